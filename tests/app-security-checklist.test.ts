// Electron's security checklist (https://www.electronjs.org/docs/latest/tutorial/security, items 1
// to 20), one describe per item, checked in Node without the Electron binary: the window's options,
// the session and WebContents guards driven with fakes, the IPC sender check, the preload, the
// packaging config. Then the file rule of the app's API: files reach main only through its dialogs
// or as dropped bytes, so a renderer that invents a path is refused (through the IPC layer).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { IPC_CALL_CHANNEL } from '../shared/contract/api.js';
import { CONTENT_SECURITY_POLICY, RENDERER_CSP } from '../shared/contract/csp.js';
import { buildTarget } from '../shared/targets.js';
import { createStudioApi, type StudioApiHost } from '../main/api/studio-api.js';
import { writeOnnxFile } from '../main/onnx/onnx-file.js';
import type { JobProcess, Spawner } from '../main/process/spawner.js';
import {
  handleCall,
  registerIpc,
  type FrameLike,
  type InvokeEventLike,
  type IpcMainLike,
  type IpcResult,
  type WindowLike,
} from '../main/app/ipc.js';
import {
  guardWebContents,
  isAllowedDevServerUrl,
  isAllowedExternalUrl,
  secureSession,
  type NavigationEvent,
  type SessionLike,
  type WebContentsLike,
} from '../main/app/security.js';
import { windowOptions } from '../main/app/window-options.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const ROOT_URL = 'file:///opt/studio/dist/renderer/';
const PAGE = `${ROOT_URL}index.html`;

const prefs = windowOptions({ preloadPath: '/app/dist/main/app/preload.cjs', theme: 'light' }).webPreferences!;

/** Every TypeScript / Vue source of the app (main process, preload, renderer). */
function sources(): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  for (const dir of ['main', 'renderer/src'])
    for (const e of readdirSync(join(root, dir), { withFileTypes: true, recursive: true }))
      if (e.isFile() && /\.(ts|vue)$/.test(e.name)) {
        const file = join(e.parentPath, e.name);
        out.push({ file, text: readFileSync(file, 'utf8') });
      }
  return out;
}

function fakeSession() {
  const s: {
    headers?: Parameters<SessionLike['webRequest']['onHeadersReceived']>[0];
    request?: Parameters<SessionLike['setPermissionRequestHandler']>[0];
    check?: Parameters<SessionLike['setPermissionCheckHandler']>[0];
    device?: (details: unknown) => boolean;
  } = {};
  const session: SessionLike = {
    webRequest: { onHeadersReceived: (l) => void (s.headers = l) },
    setPermissionRequestHandler: (h) => void (s.request = h),
    setPermissionCheckHandler: (h) => void (s.check = h),
    setDevicePermissionHandler: (h) => void (s.device = h),
  };
  return { s, session };
}

function guarded(root: string | null = ROOT_URL) {
  const handlers = new Map<string, ((e: NavigationEvent) => void)[]>();
  let open: ((d: { url: string }) => { action: 'deny' }) | undefined;
  const contents: WebContentsLike = {
    on: (event: string, l: (e: NavigationEvent) => void) => {
      handlers.set(event, [...(handlers.get(event) ?? []), l]);
      return contents;
    },
    setWindowOpenHandler: (h) => void (open = h),
  };
  const openExternal = vi.fn();
  const log = vi.fn();
  guardWebContents(contents, { appRoot: () => root ?? undefined, openExternal, log });
  /** Fires an event; true when the guard prevented it. */
  const fire = (event: string, url = '', extra: Partial<NavigationEvent> = {}) => {
    const preventDefault = vi.fn();
    const e = { url, ...extra, preventDefault };
    for (const h of handlers.get(event) ?? []) h(e);
    return preventDefault.mock.calls.length > 0;
  };
  return { fire, open: (url: string) => open!({ url }), openExternal, log, handlers };
}

describe('1. only secure content is loaded', () => {
  it('the page is the bundled renderer (file:) or, in development, a loopback http server only', () => {
    // Reason: remote code in the privileged window would get the preload's API.
    expect(read('main/app/electron-main.ts')).toMatch(/win\.loadFile\(RENDERER_INDEX\)/);
    expect(isAllowedDevServerUrl('http://127.0.0.1:5173/')).toBe(true);
    expect(isAllowedDevServerUrl('http://example.com:5173/')).toBe(false);
    expect(isAllowedDevServerUrl('https://cdn.example.com/app')).toBe(false);
  });

  it('the CSP allows no remote origin for scripts, styles, images, fonts or connections', () => {
    // Reason: nothing is fetched over http(s) from elsewhere; only the loopback WebSocket of the web mode.
    const allowed = ["'self'", "'none'", 'data:', 'blob:', 'ws://127.0.0.1:*', 'ws://localhost:*'];
    for (const d of CONTENT_SECURITY_POLICY.split(';'))
      for (const source of d.trim().split(/\s+/).slice(1)) expect(allowed, d).toContain(source);
    expect(read('renderer/index.html')).not.toMatch(/(src|href)="https?:/);
  });
});

describe('2. no Node.js integration for (remote) content', () => {
  it('nodeIntegration, in workers and in sub-frames, is off', () => {
    // Reason: an XSS in the renderer must not become code execution on the machine.
    expect(prefs.nodeIntegration).toBe(false);
    expect(prefs.nodeIntegrationInWorker).toBe(false);
    expect(prefs.nodeIntegrationInSubFrames).toBe(false);
  });
});

describe('3. context isolation', () => {
  it('is on, and the preload reaches the page only through contextBridge', () => {
    // Reason: the page cannot tamper with the preload's world or reach ipcRenderer.
    expect(prefs.contextIsolation).toBe(true);
    const preload = read('main/app/preload.ts');
    expect(preload).toMatch(/contextBridge\.exposeInMainWorld\(PRELOAD_GLOBAL, createPreloadApi\(ipcRenderer\)\)/);
    expect(preload).not.toMatch(/window\.\w+\s*=|globalThis\.\w+\s*=/);
    // The one preload is ours: the window options name it and nothing else.
    expect(prefs.preload).toBe('/app/dist/main/app/preload.cjs');
  });
});

describe('4. process sandboxing', () => {
  it('the renderer is sandboxed', () => {
    // Reason: a compromised renderer stays inside Chromium's sandbox (and the preload gets no Node).
    expect(prefs.sandbox).toBe(true);
  });
});

describe('5. session permission requests are handled', () => {
  it.each(['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read', 'hid', 'serial', 'usb'])(
    'the %s permission is denied when asked and when checked',
    (permission) => {
      // Reason: the studio needs no permission; Electron grants them all by default.
      const { s, session } = fakeSession();
      secureSession(session);
      const granted = vi.fn();
      s.request!({}, permission, granted);
      expect(granted).toHaveBeenCalledWith(false);
      expect(s.check!({}, permission)).toBe(false);
      expect(s.device!({ deviceType: permission })).toBe(false);
    },
  );
});

describe('6. webSecurity stays on', () => {
  it('webSecurity is true', () => {
    // Reason: same-origin policy and CORS apply to the renderer.
    expect(prefs.webSecurity).toBe(true);
  });
});

describe('7. a Content-Security-Policy', () => {
  it('is sent on every response of the session, replacing any other', () => {
    // Reason: scripts only from the app itself, no eval, no framing.
    const { s, session } = fakeSession();
    secureSession(session);
    const cb = vi.fn();
    s.headers!({ responseHeaders: { 'content-security-policy': ["default-src *; script-src 'unsafe-eval'"] } }, cb);
    expect(cb).toHaveBeenCalledWith({
      responseHeaders: { 'Content-Security-Policy': [CONTENT_SECURITY_POLICY], 'X-Content-Type-Options': ['nosniff'] },
    });
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-(inline|eval)/);
  });

  it("and the file-loaded page carries it in its <meta> (file: responses don't pass through webRequest)", () => {
    expect(read('renderer/index.html')).toContain(`content="${RENDERER_CSP}"`);
  });
});

describe('8. no insecure content', () => {
  it('allowRunningInsecureContent is false', () => {
    // Reason: no http resource in an https page (and there is no http resource at all).
    expect(prefs.allowRunningInsecureContent).toBe(false);
  });
});

describe('9. no experimental features', () => {
  it('experimentalFeatures is explicitly false', () => {
    // Reason: experimental Chromium features are untested attack surface.
    expect(prefs.experimentalFeatures).toBe(false);
  });
});

describe('10. no enableBlinkFeatures', () => {
  it('enableBlinkFeatures is unset (and Auxclick is disabled instead)', () => {
    // Reason: Blink features off by default stay off.
    expect(prefs).not.toHaveProperty('enableBlinkFeatures');
    expect(prefs.disableBlinkFeatures).toBe('Auxclick');
  });
});

describe('11. <webview>: no allowpopups', () => {
  it('the webview tag is disabled and attaching one is refused', () => {
    // Reason: no <webview> exists, so none can have allowpopups.
    expect(prefs.webviewTag).toBe(false);
    expect(guarded().fire('will-attach-webview')).toBe(true);
  });
});

describe('12. <webview>: options and params verified', () => {
  it('every will-attach-webview is refused, whatever its options', () => {
    // Reason: refusing all is the strictest verification.
    const g = guarded();
    expect(g.fire('will-attach-webview', '', { url: PAGE })).toBe(true);
    expect(g.log).toHaveBeenCalledWith('refused to attach a <webview>');
  });
});

describe('13. navigation is limited', () => {
  it('will-navigate, will-redirect and sub-frame navigations away from the app are prevented and logged', () => {
    // Reason: a navigated window would show foreign content next to the preload's API.
    const g = guarded();
    expect(g.fire('will-navigate', 'https://evil.example/')).toBe(true);
    expect(g.fire('will-redirect', 'https://evil.example/')).toBe(true);
    expect(g.fire('will-frame-navigate', 'https://evil.example/', { isMainFrame: false })).toBe(true);
    expect(g.fire('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(g.log).toHaveBeenCalledWith('refused sub-frame navigation to https://evil.example/');
    // Within the app it may navigate (hash routes, its own files).
    expect(g.fire('will-navigate', `${PAGE}#/results`)).toBe(false);
    expect(g.fire('will-frame-navigate', `${PAGE}`, { isMainFrame: false })).toBe(false);
  });

  it('nothing is allowed before the app root is known', () => {
    expect(guarded(null).fire('will-navigate', PAGE)).toBe(true);
  });
});

describe('14. new windows are limited', () => {
  it('the window-open handler denies everything', () => {
    // Reason: a new window would get default options, not ours.
    const g = guarded();
    for (const url of ['https://evil.example/', PAGE, 'about:blank', 'javascript:alert(1)', 'https://github.com/'])
      expect(g.open(url)).toEqual({ action: 'deny' });
  });
});

describe('15. shell.openExternal only with validated content', () => {
  it('only https links to the documentation hosts, without credentials, go to the system browser', () => {
    // Reason: openExternal of file:, smb: or a custom scheme can run programs.
    const g = guarded();
    for (const url of [
      'file:///bin/sh',
      'smb://host/share',
      'ms-msdt:/id',
      'http://github.com/',
      'https://github.com.evil.example/',
      'https://user:pw@github.com/',
    ]) {
      g.open(url);
      g.fire('will-navigate', url);
      expect(isAllowedExternalUrl(url)).toBe(false);
    }
    expect(g.openExternal).not.toHaveBeenCalled();
    g.open('https://github.com/onnx/onnx');
    expect(g.openExternal).toHaveBeenCalledWith('https://github.com/onnx/onnx');
  });

  it('a top-frame navigation opens an allowed link once (the sub-frame guard does not repeat it)', () => {
    const g = guarded();
    g.fire('will-navigate', 'https://github.com/x');
    g.fire('will-frame-navigate', 'https://github.com/x', { isMainFrame: true });
    expect(g.openExternal).toHaveBeenCalledTimes(1);
  });

  it('main calls shell.openExternal in one place, through the guard', () => {
    const calls = sources().filter((s) => /openExternal\(/.test(s.text) && s.file.includes(`${join('main', 'app')}`));
    expect(calls.map((c) => c.file.slice(root.length + 1)).sort()).toEqual([
      'main/app/electron-main.ts',
      'main/app/security.ts',
    ]);
    expect(read('main/app/electron-main.ts')).toMatch(
      /guardWebContents\(contents, \{[^}]*openExternal: \(url\) => shell\.openExternal\(url\)/,
    );
  });
});

describe('16. a current Electron', () => {
  it('Electron 39 or later', () => {
    // Reason: security fixes land only in the supported majors (the latest three).
    const pkg = JSON.parse(read('package.json')) as { devDependencies: Record<string, string> };
    const major = Number(/(\d+)/.exec(pkg.devDependencies.electron!)![1]);
    expect(major).toBeGreaterThanOrEqual(39);
  });
});

describe('17. the sender of every IPC message is validated', () => {
  const frame: FrameLike = { url: PAGE, parent: null, processId: 7, routingId: 1 };
  const win: WindowLike = {
    isDestroyed: () => false,
    webContents: { id: 3, mainFrame: frame, isDestroyed: () => false, send: () => {} },
  };
  const event = (f: Partial<FrameLike>): InvokeEventLike => ({ sender: { id: 3 }, senderFrame: { ...frame, ...f } });

  it('the one handler refuses (and logs) another origin or a sub-frame, and answers the main frame', async () => {
    // Reason: any frame of any WebContents can reach ipcMain.handle.
    const handle = vi.fn(async () => 'ok');
    const log = vi.fn();
    const opts = {
      ipcMain: { handle: () => {}, removeHandler: () => {} },
      api: { handle, onAny: () => () => {} },
      getWindow: () => win,
      appRoot: () => ROOT_URL,
      log,
    };
    const call = { method: 'app.info', request: {} };
    await expect(handleCall(opts, event({ url: 'https://evil.example/' }), call)).rejects.toThrow(/refused/);
    await expect(handleCall(opts, event({ parent: {}, routingId: 9 }), call)).rejects.toThrow(/sub-frame/);
    expect(handle).not.toHaveBeenCalled();
    expect(log).toHaveBeenCalledTimes(2);
    expect(await handleCall(opts, event({}), call)).toEqual({ ok: true, value: 'ok' });
  });

  it('ipc.ts registers the only ipcMain handler of the app, and no ipcMain.on listener exists', () => {
    const uses = sources().flatMap((s) =>
      [...s.text.matchAll(/ipcMain\.(handle|handleOnce|on|once|addListener)\(/g)].map(
        (m) => `${s.file.slice(root.length + 1)} ${m[1]}`,
      ),
    );
    expect(uses).toEqual(['main/app/ipc.ts handle']);
  });
});

describe('18. the file:// protocol', () => {
  it('is kept, confined to dist/renderer: navigation and IPC accept only files under it', async () => {
    // Reason for not moving to a custom protocol yet: the renderer build uses relative module
    // scripts loaded from file://; the risks item 18 names are covered by isAppUrl (no other file,
    // no ../ or %2f escape), the CSP <meta>, and the navigation and IPC guards. Not applicable as a
    // switch here; a custom app:// protocol would also let the grantFileProtocolExtraPrivileges fuse go.
    const g = guarded();
    expect(g.fire('will-navigate', 'file:///opt/studio/dist/renderer/../../secret.html')).toBe(true);
    expect(g.fire('will-navigate', 'file:///home/user/evil.html')).toBe(true);
    expect(g.fire('will-navigate', 'file:///opt/studio/dist/renderer/a%2f..%2f..%2fx')).toBe(true);
  });
});

describe('19. Electron fuses', () => {
  const require = createRequire(import.meta.url);
  const yaml = require('js-yaml') as { load(text: string): unknown };
  const config = yaml.load(read('electron-builder.yml')) as { electronFuses?: Record<string, boolean> };
  const schema = require('app-builder-lib/scheme.json') as {
    properties: Record<string, unknown>;
    definitions: { FuseOptionsV1: { properties: Record<string, { type: string }> } };
  };

  it('electron-builder flips them, with option names its schema knows', () => {
    // Reason: no NODE_OPTIONS / --inspect backdoor into a signed app, code only from the checked app.asar.
    expect(schema.properties).toHaveProperty('electronFuses');
    const fuses = config.electronFuses!;
    for (const k of Object.keys(fuses)) expect(Object.keys(schema.definitions.FuseOptionsV1.properties)).toContain(k);
    expect(fuses).toMatchObject({
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
  });

  it('runAsNode is off as soon as nothing in the main process forks Electron as Node', () => {
    // Reason: child_process.fork in Electron's main process needs ELECTRON_RUN_AS_NODE. The Node
    // spawner (main/process/) forks only outside Electron: the app passes its utilityProcess spawner
    // for jobs, tasks and the roofline child, so the fuse must be off.
    const forks = sources().filter(
      (s) =>
        !s.file.includes(`${join('main', 'process')}`) &&
        !s.file.includes(`${join('main', 'server')}`) &&
        /from 'node:child_process'[\s\S]*\bfork\(/.test(s.text),
    );
    if (forks.length === 0) expect(config.electronFuses!.runAsNode).toBe(false);
    else expect(forks.map((f) => f.file.slice(root.length + 1))).toEqual(['main/services/roofline.ts']);
  });
});

describe('20. no Electron API exposed to web content', () => {
  it('the preload exposes one object (call, on) and no remote module exists', () => {
    // Reason: ipcRenderer or remote in the page would let any script call main directly.
    const preload = read('main/app/preload.ts');
    expect([...preload.matchAll(/exposeInMainWorld\(/g)]).toHaveLength(1);
    expect(preload).toMatch(/const api: StudioApi = \{\s*async call\(/);
    const pkg = read('package.json');
    expect(pkg).not.toMatch(/@electron\/remote/);
    for (const s of sources())
      expect(s.text, s.file).not.toMatch(/@electron\/remote|enableRemoteModule|require\(['"]electron['"]\)\.remote/);
  });
});

// ---------------------------------------------------------------------------------------------
// Files reach main only through its dialogs or as dropped bytes: the renderer names a model or a
// data set by the handle main gave it, so an invented path, a forged handle, a granted path's
// sibling or a granted folder's parent is refused, through the real IPC handler and the real API.

const tmp = mkdtempSync(join(tmpdir(), 'app-checklist-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A task spawner that records what the worker would have been told, then "exits". */
function recordingSpawner(sent: unknown[]): Spawner {
  return {
    start: (): JobProcess => {
      let exit!: (e: { code: number | null; signal: string | null }) => void;
      const exited = new Promise<{ code: number | null; signal: string | null }>((r) => (exit = r));
      return {
        pid: undefined,
        send: (msg) => {
          sent.push(msg);
          exit({ code: 1, signal: null });
        },
        // The worker's first word; run-task.ts then sends the task.
        onMessage: (cb) => queueMicrotask(() => cb({ type: 'ready', pid: 1 })),
        onStderr: () => {},
        exited,
        kill: () => exit({ code: null, signal: 'SIGKILL' }),
      };
    },
  };
}

async function ipcHarness() {
  const models = join(tmp, 'models');
  const dataRoot = join(tmp, 'datasets');
  const granted = join(models, 'granted.onnx');
  const sibling = join(models, 'sibling.onnx');
  mkdirSync(models, { recursive: true });
  for (const p of [granted, sibling])
    writeOnnxFile(buildTarget({ target: 'pointwise', set: { height: '8', width: '8', channels: '4', out: '4' } }), p);
  const folder = join(dataRoot, 'shapes');
  for (const c of ['a', 'b']) mkdirSync(join(folder, c), { recursive: true });
  mkdirSync(join(dataRoot, 'other', 'x'), { recursive: true });

  const sent: unknown[] = [];
  const api: StudioApiHost = createStudioApi({
    mode: 'electron',
    dataDir: join(tmp, 'data'),
    resultsDir: join(tmp, 'results'),
    cacheDir: join(tmp, 'cache'),
    knownDatasets: [],
    taskSpawner: recordingSpawner(sent),
    dialogs: { openModel: async () => granted, openDataFolder: async () => folder },
  });
  const frame: FrameLike = { url: PAGE, parent: null, processId: 7, routingId: 1 };
  const win: WindowLike = {
    isDestroyed: () => false,
    webContents: { id: 3, mainFrame: frame, isDestroyed: () => false, send: () => {} },
  };
  const handlers = new Map<string, Parameters<IpcMainLike['handle']>[1]>();
  registerIpc({
    ipcMain: { handle: (c, l) => void handlers.set(c, l), removeHandler: (c) => void handlers.delete(c) },
    api,
    getWindow: () => win,
    appRoot: () => ROOT_URL,
  });
  const h = handlers.get(IPC_CALL_CHANNEL)!;
  const call = async (method: string, request: unknown) =>
    (await h({ sender: { id: 3 }, senderFrame: frame }, { method, request })) as IpcResult;
  return { api, call, granted, sibling, folder, dataRoot, sent };
}

const refused = (r: IpcResult) => {
  expect(r.ok).toBe(false);
  return (r as Extract<IpcResult, { ok: false }>).error;
};

describe('files only through dialogs or drops (through the IPC layer)', () => {
  it('a model opened with the dialog works by its handle; invented paths and forged handles are refused', async () => {
    const { api, call, granted, sibling, sent } = await ipcHarness();
    try {
      const opened = await call('files.openModelDialog', {});
      expect(opened).toMatchObject({
        ok: true,
        value: { name: 'granted.onnx', fileId: expect.stringMatching(/^file-/) },
      });
      const fileId = (opened as { value: { fileId: string } }).value.fileId;

      // The dialog's answer is the only path: a path in the request is refused, not ignored.
      for (const path of ['/etc/passwd', '../../x', sibling, `${granted}/../sibling.onnx`]) {
        const e = refused(await call('files.openModelDialog', { path }));
        expect(e.code).toBe('refused');
        expect(e.message).toMatch(/takes no 'path': the studio opens only files the user chose in its dialogs/);
        for (const key of ['filePath', 'defaultPath'])
          expect(refused(await call('files.openModelDialog', { [key]: path })).code).toBe('refused');
      }

      // A target names a file by its handle only.
      const dims = {};
      const target = (t: Record<string, unknown>) => ({ targets: [t], backends: ['ort-cpu'] });
      for (const path of ['/etc/passwd', '../../x', sibling]) {
        const withPath = refused(await call('bench.start', target({ kind: 'file', path, dims })));
        expect(withPath).toMatchObject({ code: 'refused', message: expect.stringMatching(/never by 'path'/) });
        // The path in place of the handle, or next to a valid one.
        expect(refused(await call('bench.start', target({ kind: 'file', fileId: path }))).code).toBe('bad-request');
        expect(refused(await call('bench.start', target({ kind: 'file', fileId, path }))).code).toBe('refused');
      }
      for (const fileId2 of [`${fileId}/../x`, `${fileId}/..`, `../${fileId}`])
        expect(refused(await call('files.closeModel', { fileId: fileId2 })).code).toBe('bad-request');
      // A well-formed handle main never gave out.
      expect(await call('files.closeModel', { fileId: 'file-AAAAAAAAAAAAAAAAAAAAAAAA' })).toEqual({
        ok: true,
        value: { closed: false },
      });
      const forgedRun = refused(
        await call('accuracy.start', {
          target: { kind: 'file', fileId: 'file-AAAAAAAAAAAAAAAA' },
          dataId: 'data-AAAA',
        }),
      );
      expect(forgedRun.code).toBe('not-found');
      expect(sent).toEqual([]);

      // Dropped bytes get a name, never a place: folders in the name are dropped.
      const bytes = new Uint8Array(readFileSync(sibling));
      const dropped = await call('files.importModel', { name: '../../etc/cron.d/x.onnx', bytes });
      expect(dropped).toMatchObject({ ok: true, value: { name: 'x.onnx' } });
      expect(refused(await call('files.importModel', { name: 'x.onnx', bytes, path: '/etc/passwd' })).code).toBe(
        'refused',
      );

      // The granted handle works.
      expect(await call('files.closeModel', { fileId })).toEqual({ ok: true, value: { closed: true } });
    } finally {
      await api.dispose();
    }
  });

  it('a data folder opened with the dialog works by its handle; its parent, a sibling or /etc do not', async () => {
    const { api, call, granted, folder, dataRoot, sent } = await ipcHarness();
    try {
      const model = (await call('files.openModelDialog', {})) as { ok: true; value: { fileId: string } };
      const opened = await call('files.openDataDialog', {});
      expect(opened).toMatchObject({ ok: true, value: { name: 'shapes', origin: 'opened', format: 'image-folder' } });
      const dataId = (opened as { value: { dataId: string } }).value.dataId;
      const target = { kind: 'file', fileId: model.value.fileId };

      for (const bad of ['/etc', `${folder}/..`, join(dataRoot, 'other'), '../../x', `${dataId}/..`, `${dataId}/../x`])
        expect(refused(await call('accuracy.start', { target, dataId: bad })).code).toBe('bad-request');
      expect(refused(await call('files.openDataDialog', { path: dataRoot })).code).toBe('refused');
      expect(refused(await call('accuracy.start', { target, dataId: 'data-notGivenOut' })).code).toBe('not-found');
      expect(refused(await call('lab.start', { dataId: 'data-notGivenOut' })).code).toBe('not-found');
      expect(sent).toEqual([]);

      // The granted pair starts a task whose worker is told exactly the dialogs' paths.
      const started = await call('accuracy.start', { target, dataId });
      expect(started).toMatchObject({ ok: true, value: { taskId: expect.stringMatching(/^task-/) } });
      await vi.waitFor(() => expect(sent).toHaveLength(1));
      expect(JSON.stringify(sent[0])).toContain(JSON.stringify(folder));
      expect(JSON.stringify(sent[0])).toContain(JSON.stringify(granted));
    } finally {
      await api.dispose();
    }
  });
});
