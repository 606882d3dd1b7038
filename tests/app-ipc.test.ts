// The IPC bridge of the Electron shell with fake Electron objects: only the main window's top
// frame showing the app may call; the envelope is validated; errors come back as values with their
// code; events reach the window only while it exists.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { BrowserWindow, IpcMain, IpcMainInvokeEvent } from 'electron';
import { API_EVENT_NAMES, IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, type ApiEventName } from '../shared/contract/api.js';
import { ApiError, createStudioApi } from '../main/api/studio-api.js';
import {
  handleCall,
  IpcSenderError,
  MENU_EVENT,
  registerIpc,
  senderProblem,
  toErrorBody,
  type FrameLike,
  type InvokeEventLike,
  type IpcApi,
  type IpcMainLike,
  type IpcOptions,
  type WindowLike,
} from '../main/app/ipc.js';

// Electron's real objects must fit the structural types (checked by tsc, nothing runs).
export const _typeChecks = (
  m: IpcMain,
  w: BrowserWindow,
  e: IpcMainInvokeEvent,
): [IpcMainLike, WindowLike, InvokeEventLike] => [m, w, e];

const ROOT = 'file:///opt/studio/dist/renderer/';
const PAGE = `${ROOT}index.html`;

function fakeWindow() {
  const mainFrame: FrameLike = { url: PAGE, parent: null, processId: 7, routingId: 1 };
  const state = { destroyed: false, contentsDestroyed: false };
  const sent: unknown[][] = [];
  const win: WindowLike = {
    isDestroyed: () => state.destroyed,
    webContents: {
      id: 3,
      mainFrame,
      isDestroyed: () => state.contentsDestroyed,
      send: (...args: unknown[]) => void sent.push(args),
    },
  };
  return { win, state, sent, mainFrame };
}

function fakeApi(impl: (method: string, raw: unknown) => Promise<unknown> = async (m, r) => ({ echo: m, r })) {
  const any = new Set<(event: ApiEventName, payload: unknown) => void>();
  const api: IpcApi & { emit(event: ApiEventName, payload: unknown): void; listeners: number } = {
    handle: vi.fn(impl),
    onAny: (l) => {
      any.add(l);
      return () => void any.delete(l);
    },
    emit: (event, payload) => any.forEach((l) => l(event, payload)),
    get listeners() {
      return any.size;
    },
  };
  return api;
}

function fakeIpcMain() {
  const handlers = new Map<string, Parameters<IpcMainLike['handle']>[1]>();
  const ipcMain: IpcMainLike = {
    handle: (channel, l) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, l);
    },
    removeHandler: (channel) => void handlers.delete(channel),
  };
  return { ipcMain, handlers };
}

function setup(over: Partial<IpcOptions> = {}) {
  const w = fakeWindow();
  const api = fakeApi();
  const { ipcMain, handlers } = fakeIpcMain();
  const log = vi.fn();
  let current: WindowLike | null = w.win;
  const opts: IpcOptions = { ipcMain, api, getWindow: () => current, appRoot: () => ROOT, log, ...over };
  const event = (frame: Partial<FrameLike> | null = {}, senderId = 3): InvokeEventLike => ({
    sender: { id: senderId },
    senderFrame: frame === null ? null : { ...w.mainFrame, ...frame },
  });
  return { ...w, api, ipcMain, handlers, log, opts, event, closeWindow: () => (current = null) };
}

describe('the sender check', () => {
  it("accepts the main window's top frame showing the app", () => {
    const s = setup();
    expect(senderProblem(s.event(), s.win, ROOT)).toBeNull();
    expect(senderProblem(s.event({ url: `${PAGE}#/results` }), s.win, ROOT)).toBeNull();
  });

  it.each([
    ['a foreign page in the top frame', { url: 'https://evil.example/' }, 3, /not the studio's/],
    ['a local file outside the app', { url: 'file:///home/u/evil.html' }, 3, /not the studio's/],
    ['a sub-frame (has a parent)', { parent: {} }, 3, /sub-frame/],
    ['another frame of the same page', { routingId: 2 }, 3, /sub-frame/],
    ['a frame in another process', { processId: 8 }, 3, /sub-frame/],
    ['another web contents', {}, 4, /another web contents/],
  ])('refuses %s', (_name, frame, sender, why) => {
    const s = setup();
    expect(senderProblem(s.event(frame, sender), s.win, ROOT)).toMatch(why);
  });

  it('refuses a frame that is gone, a closed window and an unknown app root', () => {
    const s = setup();
    expect(senderProblem(s.event(null), s.win, ROOT)).toMatch(/no longer exists/);
    expect(senderProblem(s.event(), null, ROOT)).toMatch(/no studio window/);
    s.state.destroyed = true;
    expect(senderProblem(s.event(), s.win, ROOT)).toMatch(/no studio window/);
    s.state.destroyed = false;
    expect(senderProblem(s.event(), s.win, undefined)).toMatch(/not the studio's/);
  });

  it('a refused call throws, is logged and never reaches the API', async () => {
    const s = setup();
    await expect(
      handleCall(s.opts, s.event({ url: 'https://evil.example/' }), { method: 'app.info', request: {} }),
    ).rejects.toThrow(IpcSenderError);
    await expect(handleCall(s.opts, s.event({ parent: {} }), { method: 'app.info', request: {} })).rejects.toThrow(
      /refused an IPC call from a sub-frame: only the studio's own window may call the API/,
    );
    expect(s.api.handle).not.toHaveBeenCalled();
    expect(s.log).toHaveBeenCalledWith(expect.stringContaining('refused a call'));
  });
});

describe('the call envelope', () => {
  it('delegates a valid call and wraps the value', async () => {
    const s = setup();
    const r = await handleCall(s.opts, s.event(), { method: 'settings.get', request: { a: 1 } });
    expect(r).toEqual({ ok: true, value: { echo: 'settings.get', r: { a: 1 } } });
    expect(s.api.handle).toHaveBeenCalledWith('settings.get', { a: 1 });
  });

  it.each([
    ['not an object', 'app.info'],
    ['null', null],
    ['no method', { request: {} }],
    ['a non-string method', { method: 42, request: {} }],
    ['an empty method', { method: '', request: {} }],
    ['an overlong method', { method: 'x'.repeat(101), request: {} }],
    ['extra fields', { method: 'app.info', request: {}, path: '/etc/passwd' }],
  ])('answers bad-request for %s', async (_name, envelope) => {
    const s = setup();
    const r = await handleCall(s.opts, s.event(), envelope);
    expect(r).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: expect.stringContaining('invalid IPC call') },
    });
    expect(s.api.handle).not.toHaveBeenCalled();
  });

  it.each(['no.such.method', '__proto__', 'constructor', 'toString'])(
    'refuses the unknown method %s',
    async (method) => {
      const s = setup();
      const r = await handleCall(s.opts, s.event(), { method, request: {} });
      expect(r).toEqual({ ok: false, error: { code: 'bad-request', message: `unknown API method "${method}"` } });
      expect(s.api.handle).not.toHaveBeenCalled();
    },
  );
});

describe('errors', () => {
  it('an ApiError keeps its code and message', async () => {
    const api = fakeApi(async () => {
      throw new ApiError('not-found', 'no result with id r1: refresh the Results view');
    });
    const s = setup({ api });
    expect(await handleCall(s.opts, s.event(), { method: 'results.get', request: { ids: ['r1'] } })).toEqual({
      ok: false,
      error: { code: 'not-found', message: 'no result with id r1: refresh the Results view' },
    });
    expect(s.log).not.toHaveBeenCalled();
  });

  it('anything else is internal, named by method, and logged with its stack', async () => {
    const api = fakeApi(async () => {
      throw new TypeError('x is undefined');
    });
    const s = setup({ api });
    expect(await handleCall(s.opts, s.event(), { method: 'app.info', request: {} })).toEqual({
      ok: false,
      error: { code: 'internal', message: 'app.info failed unexpectedly: x is undefined' },
    });
    expect(s.log).toHaveBeenCalledWith(expect.stringContaining('TypeError: x is undefined'));
  });

  it('maps odd throwables', () => {
    expect(toErrorBody('boom', 'm')).toEqual({ code: 'internal', message: 'm failed unexpectedly: boom' });
    expect(toErrorBody({ code: 'refused', message: 'too big' }, 'm')).toEqual({ code: 'refused', message: 'too big' });
    // A code outside the contract (a StudioError's, a Node errno) is not passed through.
    expect(toErrorBody(Object.assign(new Error('gone'), { code: 'ENOENT' }), 'm')).toEqual({
      code: 'internal',
      message: 'm failed unexpectedly: gone',
    });
    expect(toErrorBody(null, 'm').code).toBe('internal');
  });

  it('the result is plain data that survives structured cloning', async () => {
    const api = fakeApi(async () => {
      throw new ApiError('bad-request', 'nope');
    });
    const s = setup({ api });
    const r = await handleCall(s.opts, s.event(), { method: 'app.info', request: {} });
    expect(structuredClone(r)).toEqual(r);
  });
});

describe('registerIpc', () => {
  it('registers exactly one handler on the call channel, which the sender check guards', async () => {
    const s = setup();
    registerIpc(s.opts);
    expect([...s.handlers.keys()]).toEqual([IPC_CALL_CHANNEL]);
    const h = s.handlers.get(IPC_CALL_CHANNEL)!;
    expect(await h(s.event(), { method: 'app.info', request: {} })).toMatchObject({ ok: true });
    await expect(
      Promise.resolve(h(s.event({ url: 'https://x/' }), { method: 'app.info', request: {} })),
    ).rejects.toThrow(IpcSenderError);
  });

  it('forwards every API event to the window on the event channel', () => {
    const s = setup();
    registerIpc(s.opts);
    for (const name of API_EVENT_NAMES) s.api.emit(name, { runId: 'r' });
    expect(s.sent).toEqual(API_EVENT_NAMES.map((event) => [IPC_EVENT_CHANNEL, { event, payload: { runId: 'r' } }]));
  });

  it('sends menu commands the same way', () => {
    const s = setup();
    const reg = registerIpc(s.opts);
    expect(reg.send(MENU_EVENT, { command: 'open-model' })).toBe(true);
    expect(s.sent).toEqual([[IPC_EVENT_CHANNEL, { event: 'app.menu', payload: { command: 'open-model' } }]]);
  });

  it('drops events once the window is destroyed or gone', () => {
    const s = setup();
    const reg = registerIpc(s.opts);
    s.state.contentsDestroyed = true;
    s.api.emit('bench.progress', { runId: 'r' });
    expect(reg.send(MENU_EVENT, {})).toBe(false);
    s.state.contentsDestroyed = false;
    s.state.destroyed = true;
    s.api.emit('bench.progress', { runId: 'r' });
    s.state.destroyed = false;
    s.closeWindow();
    expect(() => s.api.emit('bench.run-end', { runId: 'r' })).not.toThrow();
    expect(s.sent).toEqual([]);
  });

  it('dispose removes the handler and stops forwarding', () => {
    const s = setup();
    const reg = registerIpc(s.opts);
    expect(s.api.listeners).toBe(1);
    reg.dispose();
    expect(s.handlers.size).toBe(0);
    expect(s.api.listeners).toBe(0);
    // A new registration (a re-created window) is possible afterwards.
    expect(() => registerIpc(s.opts)).not.toThrow();
  });
});

describe('with the real studio API', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'app-ipc-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('answers app.info in electron mode and maps a bad request to bad-request', async () => {
    const api = createStudioApi({
      mode: 'electron',
      dataDir: tmp,
      resultsDir: join(tmp, 'results'),
      cacheDir: join(tmp, 'cache'),
    });
    try {
      const s = setup({ api });
      registerIpc(s.opts);
      const h = s.handlers.get(IPC_CALL_CHANNEL)!;
      const info = await h(s.event(), { method: 'app.info', request: {} });
      expect(info).toMatchObject({ ok: true, value: { mode: 'electron', apiVersion: 1 } });
      const bad = await h(s.event(), { method: 'results.get', request: { ids: [] } });
      expect(bad).toMatchObject({ ok: false, error: { code: 'bad-request' } });
      // No dialog was given for this test: the API says so instead of hanging.
      const dialog = await h(s.event(), { method: 'files.openModelDialog', request: {} });
      expect(dialog).toMatchObject({ ok: false, error: { code: 'unsupported' } });
    } finally {
      await api.dispose();
    }
  });
});
