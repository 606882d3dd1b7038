// `npm start`: builds the app (renderer + main) and launches Electron on it. Where the Electron
// binary is missing (npm installs it from a postinstall download, which offline installs and
// `allowScripts` skip) this says how to get it and how to use the same UI without it, and exits 1
// instead of hanging or printing a stack trace.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** The Electron binary's path, or why there is none. */
export function electronBinary() {
  try {
    // The electron package's main export is the binary's path; it throws when the download never ran.
    const path = require('electron');
    if (typeof path !== 'string') return { error: 'the electron package did not give a binary path' };
    if (!existsSync(path)) return { error: `the Electron binary is not at ${path}` };
    return { path };
  } catch (e) {
    return { error: e.message.split('\n')[0] };
  }
}

export function missingElectronMessage(reason) {
  return [
    `Bottleneck Studio: cannot start the desktop app: the Electron binary is missing (${reason}).`,
    '',
    '  Fix (needs internet access, downloads ~100 MB once):',
    '    node node_modules/electron/install.js',
    '',
    '  Or use the same UI in a browser, without Electron:',
    '    npm run serve',
    '',
  ].join('\n');
}

function main() {
  const args = process.argv.slice(2);
  const skipBuild = args.includes('--no-build');
  // Checked before the build too: no point building for a minute to then fail.
  const bin = electronBinary();
  if (bin.error) {
    process.stderr.write(missingElectronMessage(bin.error));
    process.exit(1);
  }
  if (!skipBuild) {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const built = spawnSync(npm, ['run', 'build'], {
      cwd: root,
      stdio: 'inherit',
      shell: process.platform === 'win32',
    });
    if (built.status !== 0) {
      process.stderr.write('Bottleneck Studio: the build failed (see above); not starting.\n');
      process.exit(built.status ?? 1);
    }
  }
  if (!existsSync(join(root, 'dist', 'main', 'app', 'electron-main.js'))) {
    process.stderr.write('Bottleneck Studio: dist/main/app/electron-main.js is missing; run `npm run build`.\n');
    process.exit(1);
  }
  const env = { ...process.env };
  // Set by some tools (and by Electron's own fork()); it would make Electron behave as plain Node.
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(bin.path, [root, ...args.filter((a) => a !== '--no-build')], {
    cwd: root,
    stdio: 'inherit',
    env,
  });
  child.on('error', (e) => {
    process.stderr.write(missingElectronMessage(`it could not be started: ${e.message}`));
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
  // Ctrl-C reaches Electron through the terminal's process group; forward a plain kill too.
  for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => child.kill(s));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
