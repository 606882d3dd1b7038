// The preload: the renderer's only way to main. It runs sandboxed, so it may require nothing but
// 'electron' (and a few built-ins); the build bundles it into one CommonJS file
// (dist/main/app/preload.cjs) and a test checks that the bundle requires only 'electron'. Hence no
// runtime imports besides 'electron': the contract's constants are repeated here (a test checks
// that they equal shared/contract/api.ts's), and its types are type-only imports.
//
// It exposes exactly one object, window.bottleneckStudio, with call() and on(); never ipcRenderer
// or anything that could send on an arbitrary channel.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ApiErrorBody, StudioApi } from '../../shared/contract/api.js';

export const PRELOAD_GLOBAL = 'bottleneckStudio';
export const IPC_CALL_CHANNEL = 'studio:call';
export const IPC_EVENT_CHANNEL = 'studio:event';

type Listener = (payload: unknown) => void;

/** The rejection of a failed call: an Error with the API's code. */
export interface PreloadApiError extends Error {
  code: ApiErrorBody['code'] | 'ipc';
}

function apiError(message: string, code: PreloadApiError['code']): PreloadApiError {
  // Note: contextBridge copies an Error into the page as a new Error with the same message only
  // (Electron drops custom fields), so the page sees the message; `code` serves this world and
  // tests. The messages are written for the user either way.
  const e = new Error(message) as PreloadApiError;
  e.name = 'ApiError';
  e.code = code;
  return e;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Builds the API object on an ipcRenderer (exported for tests, which pass a fake). */
export function createPreloadApi(ipc: Pick<typeof ipcRenderer, 'invoke' | 'on' | 'removeListener'>): StudioApi {
  const listeners = new Map<string, Set<Listener>>();
  let subscribed = false;
  // One ipcRenderer listener for all events, added on the first on(): no MaxListeners warnings,
  // and nothing is received before the page asks for it.
  const dispatch = (_e: IpcRendererEvent, msg: unknown) => {
    if (!isObject(msg) || typeof msg.event !== 'string') return;
    for (const l of [...(listeners.get(msg.event) ?? [])]) {
      try {
        l(msg.payload);
      } catch (err) {
        console.error(`a listener of ${msg.event} failed`, err);
      }
    }
  };

  const api: StudioApi = {
    async call(method, request) {
      if (typeof method !== 'string') throw apiError('call(method, request): method must be a string', 'bad-request');
      let result: unknown;
      try {
        result = await ipc.invoke(IPC_CALL_CHANNEL, { method, request: request ?? {} });
      } catch (e) {
        // Only a refused sender or a broken channel ends up here (main returns API errors as values).
        const message = String((e as Error)?.message ?? e).replace(
          /^Error invoking remote method '[^']*': (\w*Error: )?/,
          '',
        );
        throw apiError(message, 'ipc');
      }
      if (isObject(result) && result.ok === true) return result.value as never;
      if (isObject(result) && result.ok === false && isObject(result.error)) {
        const { code, message } = result.error as Partial<ApiErrorBody>;
        throw apiError(typeof message === 'string' ? message : `${method} failed`, code ?? 'internal');
      }
      throw apiError(`${method}: the main process answered in an unexpected form`, 'internal');
    },
    on(event, listener) {
      if (typeof event !== 'string' || typeof listener !== 'function')
        throw new TypeError('on(event, listener): event must be a string and listener a function');
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const l = listener as Listener;
      set.add(l);
      if (!subscribed) {
        ipc.on(IPC_EVENT_CHANNEL, dispatch);
        subscribed = true;
      }
      return () => {
        set.delete(l);
        if (set.size === 0) listeners.delete(event);
        if (listeners.size === 0 && subscribed) {
          ipc.removeListener(IPC_EVENT_CHANNEL, dispatch);
          subscribed = false;
        }
      };
    },
  };
  return api;
}

contextBridge.exposeInMainWorld(PRELOAD_GLOBAL, createPreloadApi(ipcRenderer));
