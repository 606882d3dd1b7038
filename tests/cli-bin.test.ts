// The `bottleneck-studio` command as npm installs it: bin/bottleneck-studio.mjs running the CLI
// that scripts/build-main.mjs bundles (dist/main/cli/, split per command). Built into a temporary
// copy of the layout (T/bin/ + T/dist/) so that the test never touches the checkout's dist/.
// Also the desktop app's headless command line: the bundled Electron main under Node with a fake
// 'electron' module, started with --cli.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFakeElectron } from './helpers/fake-electron.js';
import { MODELS } from '../shared/models/registry.js';
import { resolveParams } from '../shared/blocks/block-spec.js';
import { costGraph } from '../shared/cost/cost-model.js';

const root = fileURLToPath(new URL('..', import.meta.url));
// Inside the repository (out/ is ignored) so that the bundles resolve their external packages
// from the repository's node_modules, as they do from dist/.
const top = join(root, 'out', `cli-bin-test-${process.pid}`);
const launcher = join(top, 'bin', 'bottleneck-studio.mjs');

beforeAll(() => {
  mkdirSync(join(top, 'bin'), { recursive: true });
  copyFileSync(join(root, 'bin/bottleneck-studio.mjs'), launcher);
  execFileSync(process.execPath, [join(root, 'scripts/build-main.mjs'), '--outdir', join(top, 'dist')], {
    cwd: root,
    stdio: 'pipe',
  });
  // What a child loaded from node_modules, printed at exit: the heavy packages must stay unloaded.
  writeFileSync(
    join(top, 'loaded.mjs'),
    `import { createRequire } from 'node:module';
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => {
  const names = Object.keys(cache).filter((p) => p.includes('node_modules')).map((p) => p.split('node_modules/').pop().split('/')[0]);
  process.stderr.write('LOADED ' + JSON.stringify([...new Set(names)].sort()) + '\\n');
});`,
  );
}, 120_000);
afterAll(() => {
  rmSync(top, { recursive: true, force: true });
  try {
    rmdirSync(join(root, 'out')); // only when empty: it may hold someone else's files
  } catch {
    // not empty, or already gone
  }
});

function run(args: string[], opts: { node?: string[]; launcherPath?: string } = {}) {
  const r = spawnSync(process.execPath, [...(opts.node ?? []), opts.launcherPath ?? launcher, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const HEAVY = ['onnxruntime-node', 'sharp', 'systeminformation', 'cli-progress'];
const loadedBy = (stderr: string): string[] => JSON.parse(/^LOADED (.*)$/m.exec(stderr)![1]);

function resnet50Keras() {
  const m = MODELS.find((x) => x.name === 'resnet50')!;
  return costGraph(m.build('keras', resolveParams('resnet50', m.params, {}))).totals;
}

describe('bin/bottleneck-studio.mjs', () => {
  it('the build writes the CLI entry beside its per-command chunks', () => {
    const files = readdirSync(join(top, 'dist/main/cli'));
    expect(files).toContain('index.js');
    expect(files.some((f) => /^cost-[A-Z0-9]+\.js$/.test(f))).toBe(true);
  });

  it('--help lists every command without loading ONNX Runtime, sharp or systeminformation', () => {
    const r = run(['--help'], { node: ['--import', pathToFileURL(join(top, 'loaded.mjs')).href] });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: bottleneck-studio \[options\] \[command\]/);
    for (const c of ['cost [options] <target>', 'bench [options] [targets...]', 'results', 'lab [options]'])
      expect(r.stdout).toContain(c);
    const loaded = loadedBy(r.stderr);
    for (const p of HEAVY) expect(loaded).not.toContain(p);
  });

  it('cost resnet50 --json prints one JSON document with the known figures', () => {
    const r = run(['cost', 'resnet50', '--json'], { node: ['--import', pathToFileURL(join(top, 'loaded.mjs')).href] });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.target).toBe('resnet50');
    // The keras variant (the default): tests/cli.test.ts and tests/zoo.test.ts assert the same count.
    expect(doc.totals.params).toBe(25_636_712);
    expect(doc.totals.macs).toBe(resnet50Keras().macs);
    expect(doc.totals.macs).toBe(3_857_973_248);
    const loaded = loadedBy(r.stderr);
    for (const p of HEAVY) expect(loaded).not.toContain(p);
  });

  it('a user error is one line on stderr with exit code 2, an unknown command a suggestion', () => {
    const bad = run(['cost', 'resnet50', '--variant', 'caffe']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: .*no variant 'caffe'/);
    const unknown = run(['costt']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('(Did you mean cost?)');
  });

  it('without a build it says which command builds it', () => {
    const bare = join(top, 'unbuilt', 'bin', 'bottleneck-studio.mjs');
    mkdirSync(join(top, 'unbuilt', 'bin'), { recursive: true });
    copyFileSync(join(root, 'bin/bottleneck-studio.mjs'), bare);
    const r = run(['--help'], { launcherPath: bare });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('the command line is not built');
    expect(r.stderr).toContain('npm run build:main');
  });
});

// ---------------------------------------------------------------------------------------------
// The desktop app started with --cli: the bundled Electron main under Node, 'electron' a fake
// that records what the app asks of it.

const FAKE_ELECTRON = String.raw`
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
export const rec = { switches: [], noGpu: false, lock: 0, windows: 0, forks: [], exit: null };
export const app = {
  isPackaged: true,
  commandLine: { appendSwitch: (...s) => rec.switches.push(s) },
  disableHardwareAcceleration() { rec.noGpu = true; },
  setName() {}, getName: () => 'x', setPath() {}, getPath: () => '/nonexistent',
  on() { return app; },
  whenReady: () => Promise.resolve(),
  requestSingleInstanceLock() { rec.lock++; return true; },
  quit() {},
  exit(code) {
    rec.exit = code;
    process.stderr.write('FAKE-APP ' + JSON.stringify(rec) + '\n');
    process.exit(code);
  },
};
export class BrowserWindow { constructor() { rec.windows++; throw new Error('no window in --cli mode'); } }
// A worker that ends at once with exit code 1, as a crash would: the job fails with that reason.
export const utilityProcess = {
  fork(path) {
    rec.forks.push(path);
    const child = new EventEmitter();
    child.pid = undefined;
    child.stdout = new PassThrough();
    child.stderr = new PassThrough();
    child.postMessage = () => {};
    child.kill = () => true;
    setImmediate(() => {
      child.stderr.end('fake utilityProcess: no worker in this test\n');
      child.stdout.end();
      child.emit('exit', 1);
    });
    return child;
  },
};
export const session = { defaultSession: {} };
export const dialog = {}; export const ipcMain = {}; export const Menu = {}; export const shell = {};
export const nativeTheme = {}; export const screen = {};
`;

function runApp(args: string[]) {
  const register = writeFakeElectron(join(top, 'fake'), FAKE_ELECTRON);
  const results = join(top, 'results');
  const r = spawnSync(process.execPath, ['--import', register, join(top, 'dist/main/app/electron-main.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, BOTTLENECK_STUDIO_RESULTS: results, HOME: top, XDG_CONFIG_HOME: top },
  });
  const line = /^FAKE-APP (.*)$/m.exec(r.stderr);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, rec: line ? JSON.parse(line[1]) : undefined };
}

describe('the desktop app with --cli', () => {
  it('runs the command line with no window and exits with its code', () => {
    const r = runApp(['--cli', 'cost', 'resnet50', '--json']);
    expect(r.rec, r.stderr).toBeDefined();
    expect(r.rec).toMatchObject({ exit: 0, windows: 0, lock: 0, noGpu: true, forks: [] });
    expect(r.rec.switches).toContainEqual(['disable-gpu']);
    if (process.platform === 'linux') expect(r.rec.switches).toContainEqual(['ozone-platform', 'headless']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).totals.macs).toBe(3_857_973_248);

    const bad = runApp(['--cli', 'cost', 'resnet50', '--variant', 'caffe']);
    expect(bad.rec?.exit).toBe(2);
    expect(bad.stderr).toMatch(/error: .*no variant 'caffe'/);
  });

  it("starts the commands' workers through utilityProcess, not fork", () => {
    const r = runApp(['--cli', 'bench', 'pointwise', '--backend', 'ort-cpu', '--json']);
    expect(r.rec, r.stderr).toBeDefined();
    expect(r.rec.forks[0]).toBe(join(top, 'dist/main/engine/worker.js'));
    // The fake worker ends at once: the job fails with the reason, and bench exits non-zero.
    expect(r.rec.exit).toBe(1);
    expect(r.stderr).toMatch(/pointwise.*(crash|exit)/);
  });
});
