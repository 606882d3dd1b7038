// Builds the main-process side of the desktop app with esbuild (the renderer is Vite's job):
//
//   main/app/electron-main.ts -> dist/main/app/electron-main.js   (ESM, Electron's main process)
//   main/app/preload.ts       -> dist/main/app/preload.cjs        (CommonJS, one file: a sandboxed
//                                                                  preload may require only 'electron')
//   main/engine/worker.ts     -> dist/main/engine/worker.js       (ESM, the job worker; a utilityProcess)
//   main/services/roofline-child.ts -> dist/main/services/roofline-child.js (ESM, the roofline measurement's child)
//   main/tasks/task-worker.ts -> dist/main/tasks/task-worker.js   (ESM, the accuracy/lab task worker)
//   main/cli/index.ts         -> dist/main/cli/index.js           (ESM, the command line, split:
//                                  + dist/main/cli/*-HASH.js         one chunk per command module,
//                                                                  loaded when that command runs;
//                                                                  bin/bottleneck-studio.mjs runs it)
//
// plus the HTML report's assets (dist/main/reports/html/) and dist/package.json (name, version,
// "type": "module").
//
// Modules find files next to themselves through import.meta.url (the worker beside the spawner,
// the report assets, ../../package.json, the native addon). In a bundle import.meta.url would be the
// bundle's, so each module's import.meta.url is rewritten to the place the module would have in
// dist/ if it were compiled file by file (main/x/y.ts -> dist/main/x/y.js): the same layout the code
// already expects of a build (spawner.ts looks for worker.js, roofline.ts for roofline-child.js,
// addon.ts for the repository root three or four folders up). dist/package.json is what
// ../../package.json finds from dist/main/<folder>/.
//
// Not bundled: electron (the runtime), onnxruntime-node and systeminformation (native binaries and
// platform-specific code; shipped in node_modules), and .node files (the addon is loaded at run time
// from native/build/Release or app.asar.unpacked, see main/backends/native/addon.ts).
//
// Usage: node scripts/build-main.mjs [--outdir <dir>]   (default: dist; tests build into a temp dir)
import { build } from 'esbuild';
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import console from 'node:console';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  let outdir = join(root, 'dist');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--outdir' && argv[i + 1]) outdir = resolve(argv[++i]);
    else if (argv[i].startsWith('--outdir=')) outdir = resolve(argv[i].slice('--outdir='.length));
    else {
      console.error(`build-main: unknown argument ${argv[i]}\nusage: node scripts/build-main.mjs [--outdir <dir>]`);
      process.exit(2);
    }
  }
  return { outdir };
}

// pg-native: pg's optional libpq binding, required lazily and only when asked for (never here); pg's pure-JS client is bundled.
const EXTERNAL = ['electron', 'onnxruntime-node', 'systeminformation', 'sharp', 'pg-native', '*.node'];
const toPosix = (p) => p.split(sep).join('/');

/** Rewrites import.meta.url in project sources to the module's own place under outdir (see above). */
function sourceLocationPlugin(outdir, outfile) {
  return {
    name: 'studio-source-location',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return { contents: text, loader: 'ts' };
        const virtual = join(outdir, relative(root, args.path)).replace(/\.ts$/, '.js');
        let rel = toPosix(relative(dirname(outfile), virtual));
        if (!rel.startsWith('.')) rel = `./${rel}`;
        const expr = `new URL(${JSON.stringify(rel)}, import.meta.url).href`;
        return { contents: text.replace(/\bimport\.meta\.url\b/g, expr), loader: 'ts' };
      });
    },
  };
}

/** Bundled CommonJS dependencies call require(); an ESM bundle needs one. */
const ESM_BANNER = [
  "import { createRequire as __studioCreateRequire } from 'node:module';",
  'const require = __studioCreateRequire(import.meta.url);',
].join('\n');

/** What every ESM bundle of the main side shares, the CLI's chunks included. */
function esmOptions(outdir, outfile) {
  return {
    bundle: true,
    platform: 'node',
    format: 'esm',
    external: EXTERNAL,
    banner: { js: ESM_BANNER },
    sourcemap: 'linked',
    logLevel: 'warning',
    plugins: [sourceLocationPlugin(outdir, outfile)],
  };
}

async function esmBundle(outdir, entry) {
  const outfile = join(outdir, entry.replace(/\.ts$/, '.js'));
  await build({
    entryPoints: [join(root, entry)],
    outfile,
    ...esmOptions(outdir, outfile),
    // Electron's own Node.
    target: 'node22',
  });
  return outfile;
}

/**
 * The command line, split: main/cli/program.ts imports each command module with import() when
 * that command runs, so `--help` or `cost` never loads ONNX Runtime, sharp or systeminformation.
 * The chunks sit beside index.js, so the import.meta.url rewrite above (relative to the output
 * file's folder) holds for every chunk.
 */
async function cliBundle(outdir) {
  const outfile = join(outdir, 'main', 'cli', 'index.js');
  await build({
    entryPoints: [join(root, 'main/cli/index.ts')],
    outdir: dirname(outfile),
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    splitting: true,
    ...esmOptions(outdir, outfile),
    // The user's Node (package.json engines).
    target: 'node20',
  });
  return outfile;
}

async function preloadBundle(outdir) {
  const outfile = join(outdir, 'main', 'app', 'preload.cjs');
  await build({
    entryPoints: [join(root, 'main/app/preload.ts')],
    outfile,
    bundle: true,
    // Electron's sandboxed preload is CommonJS with a require() that knows only 'electron' and a
    // few built-ins: everything else is inlined.
    platform: 'node',
    format: 'cjs',
    target: 'chrome130',
    external: ['electron'],
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  return outfile;
}

export async function buildMain({ outdir }) {
  // Only what this script owns: dist/renderer is Vite's.
  rmSync(join(outdir, 'main'), { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const outputs = await Promise.all([
    esmBundle(outdir, 'main/app/electron-main.ts'),
    esmBundle(outdir, 'main/engine/worker.ts'),
    esmBundle(outdir, 'main/services/roofline-child.ts'),
    esmBundle(outdir, 'main/tasks/task-worker.ts'),
    cliBundle(outdir),
    preloadBundle(outdir),
  ]);
  cpSync(join(root, 'main/reports/html'), join(outdir, 'main/reports/html'), { recursive: true });
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  writeFileSync(
    join(outdir, 'package.json'),
    `${JSON.stringify({ name: pkg.name, version: pkg.version, private: true, type: 'module' }, null, 2)}\n`,
  );
  return outputs;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  try {
    const outputs = await buildMain(parseArgs(process.argv.slice(2)));
    for (const f of outputs)
      console.log(`  ${toPosix(relative(process.cwd(), f))}  ${(statSync(f).size / 1024).toFixed(0)} KiB`);
    console.log(`build-main: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (e) {
    // esbuild has printed the errors already.
    console.error(`build-main: failed: ${e.message.split('\n')[0]}`);
    process.exit(1);
  }
}
