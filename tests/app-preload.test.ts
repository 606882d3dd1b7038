// The preload with a fake 'electron' module: it exposes exactly one object, whose call() goes over
// the one call channel and unwraps { ok, ... }, and whose on() filters the event channel by name.
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import * as contract from '../shared/contract/api.js';
import type { StudioApi } from '../shared/contract/api.js';

type Dispatch = (event: unknown, msg: unknown) => void;

const fake = vi.hoisted(() => {
  const exposed: { key: string; api: unknown }[] = [];
  const listeners = new Map<string, Set<(event: unknown, msg: unknown) => void>>();
  const ipcRenderer = {
    invoke: vi.fn<(channel: string, arg: unknown) => Promise<unknown>>(),
    on: vi.fn((channel: string, l: (event: unknown, msg: unknown) => void) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(l);
      return ipcRenderer;
    }),
    removeListener: vi.fn((channel: string, l: (event: unknown, msg: unknown) => void) => {
      listeners.get(channel)?.delete(l);
      return ipcRenderer;
    }),
    send: vi.fn(),
    sendSync: vi.fn(),
  };
  const contextBridge = {
    exposeInMainWorld: vi.fn((key: string, api: unknown) => void exposed.push({ key, api })),
  };
  const emit = (channel: string, msg: unknown) => listeners.get(channel)?.forEach((l) => l({ sender: null }, msg));
  return { exposed, listeners, ipcRenderer, contextBridge, emit };
});

vi.mock('electron', () => ({ contextBridge: fake.contextBridge, ipcRenderer: fake.ipcRenderer }));

let api: StudioApi;
let preload: typeof import('../main/app/preload.js');

beforeAll(async () => {
  preload = await import('../main/app/preload.js');
  api = fake.exposed[0]?.api as StudioApi;
});

beforeEach(() => {
  fake.ipcRenderer.invoke.mockReset();
});

describe('what the preload exposes', () => {
  it('exactly one object, under the contract name, with call and on only', () => {
    expect(fake.contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1);
    expect(fake.exposed.map((e) => e.key)).toEqual([contract.PRELOAD_GLOBAL]);
    expect(Object.keys(api).sort()).toEqual(['call', 'on']);
    expect(typeof api.call).toBe('function');
    expect(typeof api.on).toBe('function');
    // Nothing of ipcRenderer leaks, not even through a property chain.
    for (const v of Object.values(api)) expect(v).not.toBe(fake.ipcRenderer);
    expect(JSON.stringify(Object.getOwnPropertyNames(api))).not.toMatch(/ipc|send|invoke/i);
  });

  it("repeats the contract's constants exactly (it cannot import them at run time)", () => {
    expect(preload.PRELOAD_GLOBAL).toBe(contract.PRELOAD_GLOBAL);
    expect(preload.IPC_CALL_CHANNEL).toBe(contract.IPC_CALL_CHANNEL);
    expect(preload.IPC_EVENT_CHANNEL).toBe(contract.IPC_EVENT_CHANNEL);
  });

  it('sends nothing at load time', () => {
    expect(fake.ipcRenderer.send).not.toHaveBeenCalled();
    expect(fake.ipcRenderer.sendSync).not.toHaveBeenCalled();
    expect(fake.ipcRenderer.on).not.toHaveBeenCalled();
  });
});

describe('call', () => {
  it('invokes the call channel with { method, request } and resolves with the value', async () => {
    fake.ipcRenderer.invoke.mockResolvedValue({ ok: true, value: { theme: 'dark' } });
    await expect(api.call('settings.get', {})).resolves.toEqual({ theme: 'dark' });
    expect(fake.ipcRenderer.invoke).toHaveBeenCalledWith(contract.IPC_CALL_CHANNEL, {
      method: 'settings.get',
      request: {},
    });
  });

  it('passes falsy values through', async () => {
    fake.ipcRenderer.invoke.mockResolvedValue({ ok: true, value: null });
    await expect(api.call('files.openModelDialog', {})).resolves.toBeNull();
  });

  it("rejects with an Error carrying the API's message and code", async () => {
    fake.ipcRenderer.invoke.mockResolvedValue({ ok: false, error: { code: 'not-found', message: 'no result r1' } });
    const e = await api.call('results.get', { ids: ['r1'] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ message: 'no result r1', code: 'not-found', name: 'ApiError' });
  });

  it('a refused sender (invoke rejects) becomes a clean message with code ipc', async () => {
    fake.ipcRenderer.invoke.mockRejectedValue(
      new Error("Error invoking remote method 'studio:call': IpcSenderError: refused an IPC call from a sub-frame"),
    );
    const e = await api.call('app.info', {}).catch((x: unknown) => x);
    expect(e).toMatchObject({ message: 'refused an IPC call from a sub-frame', code: 'ipc' });
  });

  it('an answer in an unexpected form is an internal error', async () => {
    for (const answer of [undefined, 42, { ok: 'yes' }, { ok: false }]) {
      fake.ipcRenderer.invoke.mockResolvedValue(answer);
      await expect(api.call('app.info', {})).rejects.toMatchObject({ code: 'internal' });
    }
  });

  it('refuses a non-string method without calling main', async () => {
    await expect(api.call(42 as never, {} as never)).rejects.toMatchObject({ code: 'bad-request' });
    expect(fake.ipcRenderer.invoke).not.toHaveBeenCalled();
  });
});

describe('on', () => {
  it('delivers only the named event, to every listener, until unsubscribed', () => {
    const progress = vi.fn();
    const progress2 = vi.fn();
    const end = vi.fn();
    const offP = api.on('bench.progress', progress);
    const offP2 = api.on('bench.progress', progress2);
    const offE = api.on('bench.run-end', end);
    // One ipcRenderer listener serves them all.
    expect(fake.listeners.get(contract.IPC_EVENT_CHANNEL)?.size).toBe(1);

    fake.emit(contract.IPC_EVENT_CHANNEL, { event: 'bench.progress', payload: { runId: 'a' } });
    fake.emit(contract.IPC_EVENT_CHANNEL, { event: 'bench.run-end', payload: { runId: 'a', ok: 1 } });
    fake.emit('some-other-channel', { event: 'bench.progress', payload: { runId: 'x' } });
    expect(progress.mock.calls).toEqual([[{ runId: 'a' }]]);
    expect(progress2.mock.calls).toEqual([[{ runId: 'a' }]]);
    expect(end.mock.calls).toEqual([[{ runId: 'a', ok: 1 }]]);

    offP();
    fake.emit(contract.IPC_EVENT_CHANNEL, { event: 'bench.progress', payload: { runId: 'b' } });
    expect(progress).toHaveBeenCalledTimes(1);
    expect(progress2).toHaveBeenCalledTimes(2);

    offP2();
    offE();
    // The last unsubscribe removes the ipcRenderer listener too.
    expect(fake.listeners.get(contract.IPC_EVENT_CHANNEL)?.size).toBe(0);
  });

  it("receives the menu's app.menu event", () => {
    const menu = vi.fn();
    const off = api.on('app.menu' as never, menu);
    fake.emit(contract.IPC_EVENT_CHANNEL, { event: 'app.menu', payload: { command: 'open-model' } });
    expect(menu).toHaveBeenCalledWith({ command: 'open-model' });
    off();
  });

  it('ignores malformed messages and survives a throwing listener', () => {
    const ok = vi.fn();
    const bad = vi.fn(() => {
      throw new Error('listener bug');
    });
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const off1 = api.on('results.changed', bad);
    const off2 = api.on('results.changed', ok);
    const dispatch = [...fake.listeners.get(contract.IPC_EVENT_CHANNEL)!][0] as Dispatch;
    for (const msg of [null, 'results.changed', { event: 42 }, {}]) dispatch({}, msg);
    expect(ok).not.toHaveBeenCalled();
    dispatch({}, { event: 'results.changed', payload: { ids: ['x'] } });
    expect(ok).toHaveBeenCalledWith({ ids: ['x'] });
    expect(spy).toHaveBeenCalled();
    spy.mockRestore();
    off1();
    off2();
  });

  it('refuses a listener that is not a function', () => {
    expect(() => api.on('results.changed', 'x' as never)).toThrow(TypeError);
  });
});
