// The "install" lifecycle script: builds the native addon (node-gyp rebuild in native/) unless the
// built addon is already up to date, that is newer than every file of native/binding.gyp and
// native/src/ and newer than node_modules' last install (node_modules/.package-lock.json, which
// npm writes before it runs the root's install script: so `npm ci` and `npm install` always
// rebuild, as before).
//
// Why skip at all: `npx bottleneck-studio` in the checkout links the checkout into npm's npx cache
// and runs its install and prepare scripts again (libnpmexec treats the project's own bin as a
// package to install), which would recompile every kernel on the first npx call. `npm run
// build:native` always rebuilds.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import console from 'node:console';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const addon = join(root, 'native/build/Release/studio_native.node');

/** The newest modification time of a file or, recursively, of the files in a folder. */
function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = 0;
  for (const name of readdirSync(path)) t = Math.max(t, newest(join(path, name)));
  return t;
}

function upToDate() {
  if (!existsSync(addon)) return false;
  const inputs = [
    join(root, 'native/binding.gyp'),
    join(root, 'native/src'),
    join(root, 'node_modules/.package-lock.json'),
  ];
  if (inputs.some((p) => !existsSync(p))) return false;
  return statSync(addon).mtimeMs > Math.max(...inputs.map(newest));
}

if (upToDate()) {
  console.log('build-native: native/build/Release/studio_native.node is up to date (npm run build:native rebuilds it)');
} else {
  const gyp = spawnSync('node-gyp', ['rebuild', '-j', 'max', '--directory', 'native'], {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (gyp.error) console.error(`build-native: could not run node-gyp: ${gyp.error.message}`);
  process.exit(gyp.status ?? 1);
}
