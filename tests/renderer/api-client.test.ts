// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, createWebApi, getApi, setApi, takeToken, TOKEN_STORAGE_KEY } from '../../renderer/src/api/index.js';
import { fakeApi } from './studio-fake-api.js';

const loc = {
  href: 'http://127.0.0.1:4000/',
  host: '127.0.0.1:4000',
  protocol: 'http:',
  origin: 'http://127.0.0.1:4000',
};

function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

class FakeSocket {
  static instances: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }
  close() {
    this.closed = true;
  }
  /** Test helpers. */
  receive(msg: unknown) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  drop() {
    this.onclose?.();
  }
}

beforeEach(() => {
  FakeSocket.instances = [];
  sessionStorage.clear();
});
afterEach(() => {
  vi.useRealTimers();
  setApi(undefined);
  delete window.bottleneckStudio;
});

describe('web client calls', () => {
  it('POSTs JSON to /api/<method> with the bearer token and returns the JSON answer', async () => {
    const fetch = vi.fn(async () => jsonResponse({ theme: 'dark' }));
    const api = createWebApi({ token: 'tok', location: loc, fetch, WebSocket: FakeSocket as never });
    const res = await api.call('settings.set', { theme: 'dark' });
    expect(res).toEqual({ theme: 'dark' });
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('http://127.0.0.1:4000/api/settings.set');
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
    expect(JSON.parse(init.body as string)).toEqual({ theme: 'dark' });
  });

  it('sends files.importModel as raw bytes (a Blob, which streams) with the name in the query', async () => {
    const fetch = vi.fn(async () => jsonResponse({ fileId: 'file-1' }));
    const api = createWebApi({ token: 't', location: loc, fetch, WebSocket: FakeSocket as never });
    const bytes = new Uint8Array([8, 1, 2, 3]);
    await api.call('files.importModel', { name: 'my model.onnx', bytes });
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('http://127.0.0.1:4000/api/files.importModel?name=my%20model.onnx');
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('application/octet-stream');
    expect(init.body).toBeInstanceOf(Blob);
    expect(new Uint8Array(await (init.body as Blob).arrayBuffer())).toEqual(bytes);
  });

  it('turns an {error: {code, message}} answer into a thrown Error with .code', async () => {
    const fetch = vi.fn(async () =>
      jsonResponse({ error: { code: 'bad-request', message: 'broken.onnx is not an ONNX model' } }, 400),
    );
    const api = createWebApi({ token: 't', location: loc, fetch, WebSocket: FakeSocket as never });
    const err = await api.call('app.info', {}).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe('bad-request');
    expect(err.message).toBe('broken.onnx is not an ONNX model');
    expect(err.status).toBe(400);
  });

  it('reports an unreachable server and a non-JSON error page', async () => {
    const down = createWebApi({
      token: 't',
      location: loc,
      fetch: vi.fn(async () => {
        throw new TypeError('Failed to fetch');
      }),
    });
    await expect(down.call('app.info', {})).rejects.toMatchObject({ code: 'network' });
    const html = createWebApi({
      token: 't',
      location: loc,
      fetch: vi.fn(async () => new Response('Forbidden', { status: 403 })),
    });
    await expect(html.call('app.info', {})).rejects.toMatchObject({ code: 'http', status: 403, message: 'Forbidden' });
  });
});

describe('token', () => {
  it('takes ?token= from the page URL, removes it from the address bar and keeps it for the session', () => {
    window.history.replaceState(null, '', '/index.html?token=s3cret&x=1#results');
    expect(takeToken()).toBe('s3cret');
    expect(window.location.search).toBe('?x=1');
    expect(window.location.hash).toBe('#results');
    expect(sessionStorage.getItem(TOKEN_STORAGE_KEY)).toBe('s3cret');
    // A reload (no token in the URL any more) still has it.
    expect(takeToken()).toBe('s3cret');
  });
});

describe('events over one WebSocket', () => {
  it('opens one socket for all listeners and dispatches {event, payload}', () => {
    const api = createWebApi({ token: 'a b', location: loc, fetch: vi.fn(), WebSocket: FakeSocket as never });
    const changed = vi.fn();
    const ended = vi.fn();
    const off = api.on('results.changed', changed);
    api.on('bench.run-end', ended);
    expect(FakeSocket.instances).toHaveLength(1);
    expect(FakeSocket.instances[0].url).toBe('ws://127.0.0.1:4000/events?token=a%20b');
    FakeSocket.instances[0].receive({ event: 'results.changed', payload: { ids: ['r1'] } });
    FakeSocket.instances[0].receive({
      event: 'bench.run-end',
      payload: { runId: 'x', ok: 1, failed: 0, cancelled: 0 },
    });
    expect(changed).toHaveBeenCalledWith({ ids: ['r1'] });
    expect(ended).toHaveBeenCalledTimes(1);
    off();
    FakeSocket.instances[0].receive({ event: 'results.changed', payload: { ids: ['r2'] } });
    expect(changed).toHaveBeenCalledTimes(1);
  });

  it('uses wss on https', () => {
    const api = createWebApi({
      token: 't',
      location: { ...loc, protocol: 'https:', origin: 'https://127.0.0.1:4000' },
      WebSocket: FakeSocket as never,
    });
    api.on('results.changed', () => {});
    expect(FakeSocket.instances[0].url.startsWith('wss://127.0.0.1:4000/events')).toBe(true);
  });

  it('reconnects with a growing backoff after the socket drops, and stops when closed', () => {
    vi.useFakeTimers();
    const api = createWebApi({ token: 't', location: loc, WebSocket: FakeSocket as never, backoffMs: 100 });
    const l = vi.fn();
    api.on('results.changed', l);
    FakeSocket.instances[0].drop();
    vi.advanceTimersByTime(99);
    expect(FakeSocket.instances).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.instances).toHaveLength(2);
    FakeSocket.instances[1].drop();
    vi.advanceTimersByTime(199);
    expect(FakeSocket.instances).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.instances).toHaveLength(3);
    // A successful open resets the backoff.
    FakeSocket.instances[2].onopen?.();
    FakeSocket.instances[2].receive({ event: 'results.changed', payload: { ids: [] } });
    expect(l).toHaveBeenCalledTimes(1);
    FakeSocket.instances[2].drop();
    vi.advanceTimersByTime(100);
    expect(FakeSocket.instances).toHaveLength(4);
    api.close();
    expect(FakeSocket.instances[3].closed).toBe(true);
    FakeSocket.instances[3].drop();
    vi.advanceTimersByTime(10_000);
    expect(FakeSocket.instances).toHaveLength(4);
  });

  it('tells the views after a reconnect (events sent meanwhile are lost), not after the first open', () => {
    vi.useFakeTimers();
    const api = createWebApi({ token: 't', location: loc, WebSocket: FakeSocket as never, backoffMs: 100 });
    const reconnected = vi.fn();
    api.on('app.reconnected', reconnected);
    FakeSocket.instances[0].onopen?.();
    expect(reconnected).not.toHaveBeenCalled();
    FakeSocket.instances[0].drop();
    vi.advanceTimersByTime(100);
    FakeSocket.instances[1].onopen?.();
    expect(reconnected).toHaveBeenCalledTimes(1);
    api.close();
  });

  it('ignores malformed messages', () => {
    const api = createWebApi({ token: 't', location: loc, WebSocket: FakeSocket as never });
    const l = vi.fn();
    api.on('results.changed', l);
    FakeSocket.instances[0].onmessage?.({ data: 'not json' });
    FakeSocket.instances[0].receive({ nope: 1 });
    expect(l).not.toHaveBeenCalled();
  });
});

describe('getApi', () => {
  it("prefers the preload's object (Electron), and setApi replaces it for tests", () => {
    const preload = fakeApi();
    window.bottleneckStudio = preload;
    expect(getApi()).toBe(preload);
    const other = fakeApi();
    setApi(other);
    expect(getApi()).toBe(other);
  });
});
