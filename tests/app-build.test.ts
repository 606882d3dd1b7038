// scripts/build-main.mjs: builds the three bundles (and the roofline child) into a temporary
// outdir; the preload bundle requires nothing but 'electron'; the bundled job worker runs a real
// job under Node; and the bundled main process, loaded under Node with a fake 'electron' module,
// wires everything: security, the window with its preload, the renderer page, the one IPC handler
// (answering app.info and refusing a foreign frame), the menu, and an orderly quit.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFakeElectron } from './helpers/fake-electron.js';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, PRELOAD_GLOBAL } from '../shared/contract/api.js';
import { runJobs } from '../main/engine/queue.js';
import { NodeSpawner } from '../main/process/spawner.js';

const root = fileURLToPath(new URL('..', import.meta.url));
// Inside the repository (out/ is ignored by git, eslint and prettier) so that the bundles resolve
// their external packages from the repository's node_modules, as they do from dist/.
const outdir = join(root, 'out', `build-main-test-${process.pid}`);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };

beforeAll(() => {
  execFileSync(process.execPath, [join(root, 'scripts/build-main.mjs'), '--outdir', outdir], {
    cwd: root,
    stdio: 'pipe',
  });
}, 120_000);
afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
  try {
    rmdirSync(join(root, 'out')); // only when empty: it may hold someone else's files
  } catch {
    // not empty, or already gone
  }
});

const read = (rel: string) => readFileSync(join(outdir, rel), 'utf8');

describe('build-main', () => {
  it('writes the main, preload, worker and roofline bundles, the report assets and package.json', () => {
    for (const f of [
      'main/app/electron-main.js',
      'main/app/preload.cjs',
      'main/engine/worker.js',
      'main/services/roofline-child.js',
      'main/reports/html/report.css',
    ])
      expect(existsSync(join(outdir, f)), f).toBe(true);
    expect(JSON.parse(read('package.json'))).toEqual({
      name: pkg.name,
      version: pkg.version,
      private: true,
      type: 'module',
    });
  });

  it('the preload is one CommonJS file that requires only electron', () => {
    const preload = read('main/app/preload.cjs');
    const requires = [...preload.matchAll(/\brequire\s*\(([^)]*)\)/g)].map((m) => m[1].trim());
    expect(requires).toEqual(['"electron"']);
    expect(preload).not.toMatch(/^\s*import\s|\bimport\(/m);
    expect(preload).not.toContain('zod');
    for (const c of [PRELOAD_GLOBAL, IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL]) expect(preload).toContain(`"${c}"`);
  });

  it('keeps electron, onnxruntime-node and systeminformation external and bundles our code', () => {
    const main = read('main/app/electron-main.js');
    expect(main).toMatch(/from\s*"electron"/);
    expect(main).toMatch(/from\s*"systeminformation"/);
    const worker = read('main/engine/worker.js');
    expect(worker).toMatch(/from\s*"onnxruntime-node"/);
    // No import of project sources is left (they are inlined).
    for (const text of [main, worker]) expect(text).not.toMatch(/from\s*"\.\.?\/[^"]*\.(ts|js)"/);
    // Each module's import.meta.url is its place in the dist layout (addon.ts, the spawner).
    expect(worker).toContain('new URL("../backends/native/addon.js", import.meta.url)');
    expect(main).toContain('new URL("../process/spawner.js", import.meta.url)');
  });

  it('the bundled worker runs a real job under Node', async () => {
    const [r] = await runJobs(
      [
        {
          version: 1,
          id: 'bundled',
          target: { kind: 'block', name: 'pointwise', params: { height: 8, width: 8 } },
          backend: { backend: 'ort-cpu', intraOpThreads: 1 },
          measure: { warmupRuns: 1, minRuns: 5, minTimeS: 0.05, maxTimeS: 1 },
        },
      ],
      { spawner: new NodeSpawner(join(outdir, 'main/engine/worker.js')), availableMemory: async () => undefined },
    );
    expect(r.status, r.failure?.detail ?? r.failure?.reason).toBe('ok');
    expect(r.runtime?.name).toBe('onnxruntime-node');
  });
});

// ---------------------------------------------------------------------------------------------
// The bundled main process under Node, with 'electron' resolved to a recording fake.

const FAKE_ELECTRON = String.raw`
import { pathToFileURL } from 'node:url';
import { EventEmitter } from 'node:events';
export const rec = { appEvents: {}, quit: 0, exit: [], windows: [], handlers: new Map(), menu: null, session: {}, guarded: 0, errors: [], forks: [] };
let loadedResolve; export const loaded = new Promise((r) => (loadedResolve = r));
const paths = new Map();
export const app = {
  isPackaged: false,
  name: 'x',
  setName(n) { this.name = n; },
  getName() { return this.name; },
  setPath(k, v) { paths.set(k, v); },
  getPath(k) { return paths.get(k) ?? process.env.FAKE_DOCS; },
  on(ev, cb) { rec.appEvents[ev] = cb; return app; },
  whenReady: () => Promise.resolve(),
  requestSingleInstanceLock: () => true,
  quit() { rec.quit++; },
  exit(c) { rec.exit.push(c); },
};
export const session = { defaultSession: {
  webRequest: { onHeadersReceived: (l) => (rec.session.headers = !!l) },
  setPermissionRequestHandler: (h) => (rec.session.request = h),
  setPermissionCheckHandler: (h) => (rec.session.check = h),
} };
export class BrowserWindow extends EventEmitter {
  constructor(opts) {
    super();
    this.opts = opts;
    const wc = new EventEmitter();
    wc.id = 1;
    wc.mainFrame = { url: '', parent: null, processId: 1, routingId: 1 };
    wc.isDestroyed = () => false;
    wc.sent = [];
    wc.send = (...a) => wc.sent.push(a);
    wc.setWindowOpenHandler = (h) => (wc.openHandler = h);
    this.webContents = wc;
    rec.windows.push(this);
    rec.appEvents['web-contents-created']?.({}, wc);
    if (wc.openHandler) rec.guarded++;
  }
  isDestroyed() { return false; }
  maximize() {}
  setFullScreen() {}
  show() {}
  getNormalBounds() { return { x: 0, y: 0, width: 1000, height: 700 }; }
  isMaximized() { return false; }
  isFullScreen() { return false; }
  async loadFile(p) { this.loadedFile = p; this.webContents.mainFrame.url = pathToFileURL(p).href; loadedResolve(this); }
  async loadURL(u) { this.loadedUrl = u; this.webContents.mainFrame.url = u; loadedResolve(this); }
}
export const ipcMain = { handle: (c, f) => rec.handlers.set(c, f), removeHandler: (c) => rec.handlers.delete(c) };
export const Menu = { buildFromTemplate: (t) => t, setApplicationMenu: (m) => (rec.menu = m) };
export const nativeTheme = { shouldUseDarkColors: true };
const area = { x: 0, y: 0, width: 1920, height: 1080 };
export const screen = { getPrimaryDisplay: () => ({ workArea: area }), getAllDisplays: () => [{ workArea: area }] };
export const dialog = {
  showErrorBox: (t, m) => rec.errors.push(t + ': ' + m),
  showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
  showSaveDialog: async () => ({ canceled: true }),
  showMessageBox: async () => ({ response: 0 }),
};
export const shell = { openExternal: async () => {} };
export const utilityProcess = { fork: (...a) => { rec.forks.push(a); throw new Error('not in this test'); } };
`;

const DRIVER = (bundle: string) => `
const fake = await import('./fake-electron.mjs');
await import(${JSON.stringify(bundle)});
const win = await Promise.race([fake.loaded, new Promise((_, rej) => setTimeout(() => rej(new Error('no window loaded: ' + fake.rec.errors.join('; '))), 20000))]);
const r = fake.rec;
const channels = [...r.handlers.keys()];
const handler = r.handlers.get('studio:call');
const own = { sender: { id: 1 }, senderFrame: win.webContents.mainFrame };
const info = await handler(own, { method: 'app.info', request: {} });
let foreign;
try { await handler({ sender: { id: 1 }, senderFrame: { ...win.webContents.mainFrame, url: 'https://evil.example/' } }, { method: 'app.info', request: {} }); foreign = 'answered'; }
catch (e) { foreign = e.message; }
r.menu.find((m) => m.label === '&File').submenu[0].click();
let prevented = false;
r.appEvents['before-quit']({ preventDefault: () => (prevented = true) });
await new Promise((res) => setTimeout(res, 300));
const wp = win.opts.webPreferences;
console.log(JSON.stringify({
  appEvents: Object.keys(r.appEvents).sort(),
  session: { headers: r.session.headers, denies: r.session.check?.({}, 'media') === false },
  guarded: r.guarded,
  preload: wp.preload, sandbox: wp.sandbox, contextIsolation: wp.contextIsolation, nodeIntegration: wp.nodeIntegration,
  background: win.opts.backgroundColor,
  loadedFile: win.loadedFile, loadedUrl: win.loadedUrl,
  channels,
  info, foreign,
  sent: win.webContents.sent,
  menu: r.menu.map((m) => m.label),
  prevented, quit: r.quit, handlersAfterQuit: r.handlers.size,
  errors: r.errors,
}));
process.exit(0);
`;

describe('the bundled main process with a fake electron', () => {
  it('wires security, the window, the page, IPC, the menu and quitting', () => {
    const dir = join(outdir, 'fake');
    const home = join(outdir, 'home');
    mkdirSync(home, { recursive: true });
    const register = writeFakeElectron(dir, FAKE_ELECTRON);
    const bundle = join(outdir, 'main/app/electron-main.js');
    writeFileSync(join(dir, 'driver.mjs'), DRIVER(pathToFileURL(bundle).href));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: home,
      XDG_CONFIG_HOME: home,
      APPDATA: home,
      FAKE_DOCS: home,
    };
    delete env.VITE_DEV_SERVER_URL;
    delete env.BOTTLENECK_STUDIO_RESULTS;
    delete env.STUDIO_CACHE_DIR;
    const out = execFileSync(process.execPath, ['--import', register, join(dir, 'driver.mjs')], {
      cwd: root,
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    const r = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(r.errors).toEqual([]);
    expect(r.appEvents).toEqual(['before-quit', 'second-instance', 'web-contents-created', 'window-all-closed']);
    expect(r.session).toEqual({ headers: true, denies: true });
    expect(r.guarded).toBe(1);
    expect(r.preload).toBe(join(outdir, 'main/app/preload.cjs'));
    expect(existsSync(r.preload)).toBe(true);
    expect([r.sandbox, r.contextIsolation, r.nodeIntegration]).toEqual([true, true, false]);
    expect(r.background).toBe('#0d1117');
    // The page is the renderer build next to the bundle's dist folder.
    expect(r.loadedFile).toBe(join(outdir, 'renderer/index.html'));
    expect(r.loadedUrl).toBeUndefined();
    expect(r.channels).toEqual([IPC_CALL_CHANNEL]);
    expect(r.info).toMatchObject({ ok: true, value: { mode: 'electron', version: pkg.version, apiVersion: 1 } });
    expect(r.foreign).toMatch(/refused an IPC call from a page that is not the studio's/);
    expect(r.sent).toEqual([[IPC_EVENT_CHANNEL, { event: 'app.menu', payload: { command: 'open-model' } }]]);
    expect(r.menu).toEqual(['&File', '&Edit', '&View', '&Window', '&Help']);
    // Quitting waits for the API to shut down, then quits for real and removes the IPC handler.
    expect(r.prevented).toBe(true);
    expect(r.quit).toBe(1);
    expect(r.handlersAfterQuit).toBe(0);
  });
});
