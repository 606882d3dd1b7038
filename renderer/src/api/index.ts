// The renderer's one way to the main process: the StudioApi of shared/contract/api.ts.
// In Electron the preload exposes it as window.bottleneckStudio; in the web mode this module
// builds an HTTP + WebSocket client speaking the same API (POST /api/<method>, /events).
import { inject, type App, type InjectionKey } from 'vue';
import type {
  ApiErrorBody,
  ApiEventName,
  ApiEvents,
  ApiMethod,
  ApiRequest,
  ApiResponse,
  StudioApi,
} from '../../../shared/contract/api.js';

/** An error the main side reported: `code` for the program, `message` for the user. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: ApiErrorBody['code'] | 'network' | 'http',
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The message to show for anything thrown by an API call. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

export const TOKEN_STORAGE_KEY = 'bottleneck-studio.token';

interface LocationLike {
  href: string;
  host: string;
  protocol: string;
  origin: string;
}

export interface WebApiOptions {
  /** Defaults to the token from the page URL (?token=) or sessionStorage. */
  token?: string;
  /** Defaults to window.location. */
  location?: LocationLike;
  fetch?: typeof fetch;
  WebSocket?: typeof WebSocket;
  /** First reconnect delay (ms); doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * Reads the session token: from `?token=` in the page URL (then removed from the address bar
 * and kept in sessionStorage, so a reload still works and the token is not left in history),
 * or from sessionStorage.
 */
export function takeToken(): string | undefined {
  try {
    const url = new URL(window.location.href);
    const fromUrl = url.searchParams.get('token');
    if (fromUrl) {
      sessionStorage.setItem(TOKEN_STORAGE_KEY, fromUrl);
      url.searchParams.delete('token');
      window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
      return fromUrl;
    }
    return sessionStorage.getItem(TOKEN_STORAGE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

function isErrorBody(v: unknown): v is { error: ApiErrorBody } {
  return (
    typeof v === 'object' &&
    v !== null &&
    'error' in v &&
    typeof (v as { error: unknown }).error === 'object' &&
    (v as { error: unknown }).error !== null &&
    typeof (v as { error: { message?: unknown } }).error.message === 'string'
  );
}

type Listener = (payload: unknown) => void;

/** The web mode's client: fetch for calls, one shared WebSocket (reconnecting) for events. */
export function createWebApi(options: WebApiOptions = {}): StudioApi & { close(): void } {
  const loc: LocationLike = options.location ?? window.location;
  const token = options.token ?? takeToken() ?? '';
  const doFetch = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const WS = options.WebSocket ?? (typeof WebSocket === 'undefined' ? undefined : WebSocket);
  const backoffMs = options.backoffMs ?? 500;
  const maxBackoffMs = options.maxBackoffMs ?? 15_000;

  const listeners = new Map<string, Set<Listener>>();
  let socket: WebSocket | undefined;
  let retry = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  /** The event stream was open once: a later open is a reconnect. */
  let opened = false;

  const listenerCount = () => [...listeners.values()].reduce((n, s) => n + s.size, 0);

  function connect(): void {
    if (closed || socket || !WS) return;
    const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WS(`${scheme}//${loc.host}/events?token=${encodeURIComponent(token)}`);
    socket = ws;
    ws.onopen = () => {
      retry = 0;
      // Events sent while the stream was down are lost: the views re-read what they mirror.
      if (opened) dispatch('app.reconnected', {});
      opened = true;
    };
    ws.onmessage = (ev: MessageEvent) => {
      let msg: { event?: unknown; payload?: unknown };
      try {
        msg = JSON.parse(typeof ev.data === 'string' ? ev.data : String(ev.data));
      } catch {
        return;
      }
      if (typeof msg?.event !== 'string') return;
      dispatch(msg.event, msg.payload);
    };
    ws.onclose = () => {
      if (socket === ws) socket = undefined;
      scheduleReconnect();
    };
    ws.onerror = () => {
      // onclose follows and reconnects.
    };
  }

  function dispatch(event: string, payload: unknown): void {
    for (const l of [...(listeners.get(event) ?? [])]) {
      try {
        l(payload);
      } catch (e) {
        console.error(`listener of ${event} failed`, e);
      }
    }
  }

  function scheduleReconnect(): void {
    if (closed || timer !== undefined || listenerCount() === 0) return;
    const delay = Math.min(maxBackoffMs, backoffMs * 2 ** retry);
    retry++;
    timer = setTimeout(() => {
      timer = undefined;
      connect();
    }, delay);
  }

  async function call<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResponse<M>> {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
    let url = `${loc.origin}/api/${method}`;
    let body: BodyInit;
    if (method === 'files.importModel') {
      const r = request as ApiRequest<'files.importModel'>;
      url += `?name=${encodeURIComponent(r.name)}`;
      headers['Content-Type'] = 'application/octet-stream';
      // As a Blob, not the typed array: Chromium copies an ArrayBuffer body into its network
      // inspector when DevTools (or an automation) is attached, seconds for a 30 MiB model; a Blob
      // streams (measured on DenseNet-121, 31 MiB: 4.0 s against 0.3 s to send).
      body = new Blob([r.bytes as Uint8Array<ArrayBuffer>]);
    } else {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(request ?? {});
    }
    let res: Response;
    try {
      res = await doFetch(url, { method: 'POST', headers, body });
    } catch (e) {
      throw new ApiError(`The studio's server cannot be reached (${errorMessage(e)}). Is it still running?`, 'network');
    }
    const text = await res.text();
    let data: unknown = undefined;
    if (text !== '') {
      try {
        data = JSON.parse(text);
      } catch {
        if (!res.ok) throw new ApiError(text.slice(0, 500) || `HTTP ${res.status}`, 'http', res.status);
        throw new ApiError(`${method}: the server's answer is not JSON`, 'internal', res.status);
      }
    }
    if (isErrorBody(data)) throw new ApiError(data.error.message, data.error.code, res.status);
    if (!res.ok) throw new ApiError(`${method} failed: HTTP ${res.status} ${res.statusText}`, 'http', res.status);
    return data as ApiResponse<M>;
  }

  function on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    const l = listener as Listener;
    set.add(l);
    connect();
    return () => {
      set.delete(l);
    };
  }

  function close(): void {
    closed = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    socket?.close();
    socket = undefined;
  }

  return { call, on, close };
}

let current: StudioApi | undefined;

/** The API in use: one set by setApi/provideApi, the preload's in Electron, else the web client. */
export function getApi(): StudioApi {
  if (!current) current = window.bottleneckStudio ?? createWebApi();
  return current;
}

/** Replaces the API (tests, or a reconnect); undefined goes back to the default on next use. */
export function setApi(api: StudioApi | undefined): void {
  current = api;
}

/** True when the preload's API is present (the Electron window). */
export function isElectron(): boolean {
  return typeof window !== 'undefined' && !!window.bottleneckStudio;
}

export const API_KEY: InjectionKey<StudioApi> = Symbol('studio-api');

/** Installs an API for an app (tests mount with a fake): both injected and returned by getApi(). */
export function provideApi(app: App, api: StudioApi): void {
  setApi(api);
  app.provide(API_KEY, api);
}

/** In a component: the injected API, else getApi(). */
export function useApi(): StudioApi {
  return inject(API_KEY, null) ?? getApi();
}
