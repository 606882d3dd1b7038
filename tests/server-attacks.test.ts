// The web-mode server under attack (issue 9, "Hardening"): every request is really sent to the
// server on 127.0.0.1, most on a raw socket so that nothing (fetch, node:http) normalizes the path
// or fixes the Host header first. Each group ends by checking the server still answers normally.
import { spawnSync } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import {
  AUTH_FAILURE_LIMIT,
  AUTH_FAILURE_WINDOW_MS,
  AuthFailures,
  clientKey,
  MAX_JSON_BYTES,
  MAX_WS_MESSAGE_BYTES,
  SECURITY_HEADERS,
  sameSecret,
  startWebServer,
} from '../main/server/server.js';
import { CONTENT_SECURITY_POLICY } from '../main/server/static.js';
import { rawSocketRequest, startTestServer, type RawResponse, type TestServer } from './helpers/web-server.js';

// The real crypto, with timingSafeEqual watched: the token check must go through it.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, default: actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const SECRET = 'TOP-SECRET';
const root = mkdtempSync(join(tmpdir(), 'server-attacks-'));
const staticDir = join(root, 'renderer');
mkdirSync(join(staticDir, 'assets'), { recursive: true });
writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>studio</title>');
writeFileSync(join(staticDir, 'assets', 'app-1234.js'), 'console.log(1)');
// Beside the static root: what a traversal would be after.
writeFileSync(join(root, 'secret.txt'), SECRET);
mkdirSync(join(root, 'renderer-sibling'));
writeFileSync(join(root, 'renderer-sibling', 'other.txt'), SECRET);
// Links inside the root: one to a file inside (fine), the others out of it.
symlinkSync('app-1234.js', join(staticDir, 'assets', 'alias.js'));
symlinkSync('../secret.txt', join(staticDir, 'leak.txt'));
symlinkSync(join(root, 'secret.txt'), join(staticDir, 'absolute-leak.txt'));
symlinkSync('..', join(staticDir, 'up'));
symlinkSync('../renderer-sibling', join(staticDir, 'sibling'));

let server: TestServer;
let H: string; // the right Host header
let T: string; // the token

beforeAll(async () => {
  // A high failure limit: this server takes many wrong tokens on purpose; the throttle has its own servers.
  server = await startTestServer({ staticDir, authFailures: { limit: 10_000 } });
  H = `127.0.0.1:${server.port}`;
  T = server.token;
});
afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

/** A request as text: the request line and headers exactly as given, Connection: close added. */
function wire(
  method: string,
  target: string,
  headers: Record<string, string | number | undefined> = {},
  body = '',
  version = 'HTTP/1.1',
): string {
  const all: Record<string, string | number | undefined> = {
    Host: H,
    Connection: 'close',
    ...(body ? { 'Content-Length': Buffer.byteLength(body) } : {}),
    ...headers,
  };
  const lines = Object.entries(all)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${v}`);
  return `${method} ${target} ${version}\r\n${lines.join('\r\n')}\r\n\r\n${body}`;
}

const send = (text: string | Buffer, port = server.port, timeoutMs?: number) =>
  rawSocketRequest(port, text, { timeoutMs });

/** POST /api/<method> with the token and a JSON body, on a raw socket. */
const api = (method: string, body = '{}', headers: Record<string, string | undefined> = {}, port = server.port) =>
  send(
    wire(
      'POST',
      `/api/${method}`,
      {
        Host: `127.0.0.1:${port}`,
        Authorization: `Bearer ${T}`,
        'Content-Type': 'application/json',
        ...headers,
      },
      body,
    ),
    port,
  );

/** A WebSocket handshake on a raw socket (the answer to it is all we read). */
function upgrade(target: string, headers: Record<string, string | undefined> = {}, port = server.port) {
  return send(
    wire('GET', target, {
      Host: `127.0.0.1:${port}`,
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version': 13,
      ...headers,
    }),
    port,
    // A successful handshake leaves the socket open: its 101 is enough.
    500,
  );
}

/** The server still does its job: the page and an API call with the token. */
async function stillServing(port = server.port, token = T): Promise<void> {
  const page = await send(wire('GET', '/', { Host: `127.0.0.1:${port}` }), port);
  expect(page.status).toBe(200);
  expect(page.body).toContain('<title>studio</title>');
  const info = await send(
    wire(
      'POST',
      '/api/app.info',
      { Host: `127.0.0.1:${port}`, Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      '{}',
    ),
    port,
  );
  expect(info.status).toBe(200);
  expect(JSON.parse(info.body)).toMatchObject({ mode: 'web' });
}

const errorMessage = (r: RawResponse): string => (JSON.parse(r.body) as { error: { message: string } }).error.message;

async function ipv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createNetServer();
    s.once('error', () => resolve(false));
    s.listen(0, '::1', () => s.close(() => resolve(true)));
  });
}

describe('loopback only', () => {
  it('binds 127.0.0.1, not every interface', async () => {
    expect(server.origin).toBe(`http://127.0.0.1:${server.port}`);
    // Bound to 127.0.0.1 only, the port is closed on the IPv6 loopback (a wildcard bind would answer there).
    if (await ipv6Loopback()) {
      const reached = await new Promise<boolean>((resolve) => {
        const s = connect(server.port, '::1');
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      });
      expect(reached).toBe(false);
    }
  });

  it.each(['0.0.0.0', '::', '', '192.168.1.10', 'localhost', '::ffff:127.0.0.1', 'example.com'])(
    'refuses to listen on %j, saying why',
    async (host) => {
      await expect(startWebServer({ host, staticDir, api: server.api })).rejects.toThrow(
        /refusing to listen on .*loopback address \(127\.0\.0\.1 or ::1\)/,
      );
    },
  );

  it('serve refuses --host 0.0.0.0 before starting anything', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'main/server/serve.ts', '--host', '0.0.0.0'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.signal).toBeNull(); // it exited on its own (a server would have kept running)
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/refusing to listen on '0\.0\.0\.0'.*loopback/);
  });

  it('listens on ::1 when asked, with that origin', async () => {
    if (!(await ipv6Loopback())) return; // no IPv6 loopback on this machine
    const v6 = await startTestServer({ staticDir, host: '::1' });
    try {
      expect(v6.origin).toBe(`http://[::1]:${v6.port}`);
      const r = await rawSocketRequest(
        v6.port,
        wire('POST', '/api/app.info', {
          Host: `[::1]:${v6.port}`,
          Origin: `http://[::1]:${v6.port}`,
          Authorization: `Bearer ${v6.token}`,
          'Content-Type': 'application/json',
          'Content-Length': 2,
        }) + '{}',
        { host: '::1' },
      );
      expect(r.status).toBe(200);
      // Not on IPv4: nothing answers there, or -- the kernel may give the same port number to an
      // IPv4 server of a test file running in parallel (seen once in a fresh-clone run) -- a server
      // that does not know this one's token.
      const v4 = await rawSocketRequest(
        v6.port,
        wire('POST', '/api/app.info', {
          Host: `127.0.0.1:${v6.port}`,
          Origin: `http://127.0.0.1:${v6.port}`,
          Authorization: `Bearer ${v6.token}`,
          'Content-Type': 'application/json',
          'Content-Length': 2,
        }) + '{}',
      ).then(
        (res) => res.status,
        (e: Error) => e.message,
      );
      if (typeof v4 === 'string') expect(v4).toMatch(/ECONNREFUSED/);
      else expect(v4).not.toBe(200);
    } finally {
      await v6.close();
    }
  });
});

describe('the token', () => {
  it('is compared with timingSafeEqual over two SHA-256 digests, whatever the lengths', async () => {
    const spy = vi.mocked(timingSafeEqual);
    spy.mockClear();
    for (const given of [T, T.slice(0, -1), `${T}x`, 'x', '', undefined, null])
      expect(sameSecret(given, T)).toBe(given === T);
    expect(spy).toHaveBeenCalledTimes(7);
    for (const [a, b] of spy.mock.calls) {
      expect((a as Buffer).length).toBe(32);
      expect((b as Buffer).length).toBe(32);
    }
    // And the server's own check goes through it.
    spy.mockClear();
    expect((await api('app.info', '{}', { Authorization: 'Bearer short' })).status).toBe(401);
    expect(spy).toHaveBeenCalled();
    expect(spy.mock.calls.every(([a, b]) => (a as Buffer).length === 32 && (b as Buffer).length === 32)).toBe(true);
  });

  it.each([
    ['missing', undefined],
    ['wrong', `Bearer ${'A'.repeat(43)}`],
    ['one character off', () => `Bearer ${T.slice(0, -1)}${T.endsWith('A') ? 'B' : 'A'}`],
    ['a prefix', () => `Bearer ${T.slice(0, 20)}`],
    ['longer', () => `Bearer ${T}x`],
    ['empty', 'Bearer '],
    ['another scheme', () => `Basic ${Buffer.from(`user:${T}`).toString('base64')}`],
    ['two tokens', () => `Bearer ${T} ${T}`],
  ])('answers 401 to a %s token', async (_name, value) => {
    const auth = typeof value === 'function' ? value() : value;
    const r = await api('app.info', '{}', { Authorization: auth });
    expect(r.status).toBe(401);
    expect(errorMessage(r)).toMatch(/access token/);
    expect(r.headers['cache-control']).toBe('no-store');
  });

  it('does not take the token from the query string for the API (only the WebSocket needs that)', async () => {
    const r = await send(wire('POST', `/api/app.info?token=${T}`, { 'Content-Type': 'application/json' }, '{}'));
    expect(r.status).toBe(401);
  });

  it('answers 401 to a WebSocket without the right token', async () => {
    for (const q of ['', '?token=', '?token=wrong', `?token=${T}x`, `?token=${T.slice(1)}`])
      expect((await upgrade(`/events${q}`)).status).toBe(401);
    expect((await upgrade(`/events?token=${encodeURIComponent(T)}`)).status).toBe(101);
    await stillServing();
  });
});

describe('repeated wrong tokens', () => {
  it(`are answered 429 with Retry-After after ${AUTH_FAILURE_LIMIT} within a minute (the defaults)`, async () => {
    expect(AUTH_FAILURE_LIMIT).toBe(10);
    expect(AUTH_FAILURE_WINDOW_MS).toBe(60_000);
    const s = await startTestServer({ staticDir });
    try {
      for (let i = 0; i < AUTH_FAILURE_LIMIT; i++)
        expect((await api('app.info', '{}', { Authorization: 'Bearer wrong' }, s.port)).status).toBe(401);
      const limited = await api('app.info', '{}', { Authorization: 'Bearer wrong' }, s.port);
      expect(limited.status).toBe(429);
      const retry = Number(limited.headers['retry-after']);
      expect(retry).toBeGreaterThanOrEqual(1);
      expect(retry).toBeLessThanOrEqual(60);
      expect(errorMessage(limited)).toMatch(/too many wrong access tokens.*try again in \d+ s/);
      // The right token is never throttled: wrong guesses from any process here cannot lock the page out.
      expect((await api('app.info', '{}', { Authorization: `Bearer ${s.token}` }, s.port)).status).toBe(200);
      // The WebSocket shares the count: a wrong token waits, the right one opens.
      const ws = await upgrade('/events?token=wrong', {}, s.port);
      expect(ws.status).toBe(429);
      expect(Number(ws.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect((await upgrade(`/events?token=${s.token}`, {}, s.port)).status).toBe(101);
      // The page itself needs no token and is still served.
      expect((await send(wire('GET', '/', { Host: `127.0.0.1:${s.port}` }), s.port)).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('are counted for the whole 127.0.0.0/8 range (a new source address does not reset them), and expire', async () => {
    const s = await startTestServer({ staticDir, authFailures: { limit: 3, windowMs: 2500 } });
    try {
      const wrong = wire(
        'POST',
        '/api/app.info',
        { Host: `127.0.0.1:${s.port}`, Authorization: 'Bearer wrong', 'Content-Type': 'application/json' },
        '{}',
      );
      // From 127.0.0.2 when the system allows binding it (Linux does), else from 127.0.0.1.
      const from = await rawSocketRequest(s.port, wrong, { localAddress: '127.0.0.2' })
        .then(() => '127.0.0.2')
        .catch(() => '127.0.0.1');
      for (let i = 1; i < 3; i++) expect((await send(wrong, s.port)).status).toBe(401);
      expect((await send(wrong, s.port)).status).toBe(429);
      expect((await rawSocketRequest(s.port, wrong, { localAddress: from })).status).toBe(429);
      // A GET on the API is a 405, never a failure: a foreign page's <img> cannot lock the user out.
      expect((await send(wire('GET', '/api/app.info', { Host: `127.0.0.1:${s.port}` }), s.port)).status).toBe(405);
      await new Promise((r) => setTimeout(r, 2600));
      await stillServing(s.port, s.token);
    } finally {
      await s.close();
    }
  });

  it('are kept in a table of bounded size', () => {
    const t = new AuthFailures(5, 60_000, 100);
    for (let i = 0; i < 10_000; i++) t.fail(`client-${i}`, 1000);
    expect(t.size).toBe(100);
    // The most recent clients are the ones remembered.
    for (let i = 0; i < 5; i++) t.fail('client-9999', 1000);
    expect(t.retryAfterMs('client-9999', 1000)).toBe(60_000);
    expect(t.retryAfterMs('client-0', 1000)).toBe(0);
    // One client's entries are bounded too, and expire.
    for (let i = 0; i < 1000; i++) t.fail('busy', 2000);
    expect(t.retryAfterMs('busy', 2000)).toBe(60_000);
    expect(t.retryAfterMs('busy', 62_000)).toBe(0);
    // Every loopback source is one client; ::1 is its own.
    expect(clientKey('127.0.0.1')).toBe(clientKey('127.9.8.7'));
    expect(clientKey('::ffff:127.0.0.1')).toBe(clientKey('127.0.0.1'));
    expect(clientKey('::1')).toBe('::1');
  });
});

describe('Host header (DNS rebinding)', () => {
  const bad = (port: number) => [
    `evil.example:${port}`,
    'evil.example',
    '127.0.0.1',
    'localhost',
    `127.0.0.1:${port + 1}`,
    `127.0.0.1:${port}.evil.example`,
    `localhost.evil.example:${port}`,
    `127.0.0.1.nip.io:${port}`,
    `0.0.0.0:${port}`,
    `127.1:${port}`,
    `2130706433:${port}`,
    `[::1]:${port + 1}`,
    `[::ffff:127.0.0.1]:${port}`,
    `127.0.0.1:${port}@evil.example`,
    '',
  ];

  it('refuses every other Host with 403, on the page and on the API (token or not)', async () => {
    for (const host of bad(server.port)) {
      const page = await send(wire('GET', '/', { Host: host }));
      expect(page.status, host).toBe(403);
      expect(page.body).not.toContain('<title>');
      const call = await api('app.info', '{}', { Host: host });
      expect([400, 403], host).toContain(call.status); // 400: what the HTTP parser refuses itself
    }
    // No Host at all: HTTP/1.1 requires one (the parser answers 400), HTTP/1.0 gets our 403.
    expect((await send(wire('GET', '/', { Host: undefined }))).status).toBe(400);
    expect((await send(wire('GET', '/', { Host: undefined }, '', 'HTTP/1.0'))).status).toBe(403);
    // Two Host headers: never served.
    const twice = await send(
      `GET / HTTP/1.1\r\nHost: evil.example:${server.port}\r\nHost: ${H}\r\nConnection: close\r\n\r\n`,
    );
    expect([400, 403]).toContain(twice.status);
    await stillServing();
  });

  it('accepts the loopback names with our port: 127.0.0.1, localhost, [::1]', async () => {
    for (const host of [H, `localhost:${server.port}`, `LocalHost:${server.port}`, `[::1]:${server.port}`]) {
      expect((await send(wire('GET', '/', { Host: host }))).status, host).toBe(200);
      expect((await api('app.info', '{}', { Host: host })).status, host).toBe(200);
    }
  });

  it('refuses a WebSocket upgrade with another Host, even with the token', async () => {
    for (const host of bad(server.port).filter((h) => h !== '')) {
      const r = await upgrade(`/events?token=${T}`, { Host: host });
      expect(r.status, host).toBe(403);
    }
    for (const host of [H, `localhost:${server.port}`, `[::1]:${server.port}`])
      expect((await upgrade(`/events?token=${T}`, { Host: host })).status, host).toBe(101);
    await stillServing();
  });
});

describe('Origin header', () => {
  const foreign = (port: number) => [
    'http://evil.example',
    `http://evil.example:${port}`,
    'null',
    `https://127.0.0.1:${port}`,
    `http://127.0.0.1:${port + 1}`,
    `http://127.0.0.1:${port}.evil.example`,
    `http://localhost:${port}`, // another origin than the page's (it was loaded from 127.0.0.1)
    `http://127.0.0.1:${port}/`,
    'file://',
    '',
  ];

  it('refuses a WebSocket from any origin but our own, with the token', async () => {
    for (const origin of foreign(server.port)) {
      const r = await upgrade(`/events?token=${T}`, { Origin: origin });
      expect(r.status, origin).toBe(403);
    }
    expect((await upgrade(`/events?token=${T}`, { Origin: `http://${H}` })).status).toBe(101);
    expect(
      (
        await upgrade(`/events?token=${T}`, {
          Host: `localhost:${server.port}`,
          Origin: `http://localhost:${server.port}`,
        })
      ).status,
    ).toBe(101);
  });

  it('refuses API calls from a foreign origin, with the token', async () => {
    for (const origin of foreign(server.port)) {
      const r = await api('app.info', '{}', { Origin: origin });
      expect(r.status, origin).toBe(403);
      expect(errorMessage(r)).toMatch(/cross-origin/);
    }
    await stillServing();
  });

  it('the ws client with a foreign origin gets 403', async () => {
    const ws = new WebSocket(`ws://${H}/events?token=${T}`, { origin: 'http://evil.example' });
    const status = await new Promise<number>((resolve) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => resolve(101));
      ws.once('error', () => resolve(-1));
    });
    ws.terminate();
    expect(status).toBe(403);
  });
});

describe('static files: no way out of the folder', () => {
  const paths = [
    '/../secret.txt',
    '/../../../../../../etc/passwd',
    '/%2e%2e/secret.txt',
    '/%2E%2E/secret.txt',
    '/.%2e/secret.txt',
    '/%2e./secret.txt',
    '/%2e%2e%2fsecret.txt',
    '/%2e%2e%2Fsecret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/assets/%2e%2e/%2e%2e/secret.txt',
    '/assets/../../secret.txt',
    '/%252e%252e/secret.txt',
    '/..%5csecret.txt',
    '/..%5Csecret.txt',
    '/..\\secret.txt',
    '/assets\\..\\..\\secret.txt',
    '/%5c..%5csecret.txt',
    '/%00',
    '/index.html%00.js',
    '/%00/../secret.txt',
    '/%2fetc%2fpasswd',
    '//etc/passwd',
    '/%2f%2fetc/passwd',
    `/${encodeURIComponent(join(root, 'secret.txt'))}`,
    '/C:/Windows/win.ini',
    '/C:%5cWindows%5cwin.ini',
    '/leak.txt',
    '/absolute-leak.txt',
    '/up/secret.txt',
    '/sibling/other.txt',
    '/.%2e/renderer-sibling/other.txt',
    '/%zz',
    '/%c0%ae%c0%ae/secret.txt',
  ];

  it.each(paths)('refuses %s (400/403/404, never the file)', async (path) => {
    const r = await send(wire('GET', path));
    expect([400, 403, 404]).toContain(r.status);
    expect(r.text).not.toContain(SECRET);
    expect(r.text).not.toContain('root:');
  });

  it('refuses absolute-form request targets that point out', async () => {
    for (const target of [
      `http://${H}/../secret.txt`,
      `http://${H}/%2e%2e/secret.txt`,
      `file://${join(root, 'secret.txt')}`,
      join(root, 'secret.txt'),
    ]) {
      const r = await send(wire('GET', target));
      expect([400, 403, 404], target).toContain(r.status);
      expect(r.text).not.toContain(SECRET);
    }
  });

  it('still serves what is inside, a link to a file inside included', async () => {
    const js = await send(wire('GET', '/assets/alias.js'));
    expect(js.status).toBe(200);
    expect(js.body).toBe('console.log(1)');
    // The rule is where the file really is: out through a link and back in is still the root's own page.
    expect((await send(wire('GET', '/up/renderer/index.html'))).status).toBe(200);
    await stillServing();
  });
});

describe('security headers', () => {
  it('are on every response: pages, assets, API answers and every refusal', async () => {
    const responses: [string, RawResponse][] = [
      ['page', await send(wire('GET', '/'))],
      ['HEAD', await send(wire('HEAD', '/'))],
      ['asset', await send(wire('GET', '/assets/app-1234.js'))],
      ['404', await send(wire('GET', '/missing.js'))],
      ['403 traversal', await send(wire('GET', '/%2e%2e/secret.txt'))],
      ['405 static', await send(wire('DELETE', '/'))],
      ['403 host', await send(wire('GET', '/', { Host: 'evil.example' }))],
      ['api 200', await api('app.info')],
      ['api 401', await api('app.info', '{}', { Authorization: undefined })],
      ['api 403 origin', await api('app.info', '{}', { Origin: 'http://evil.example' })],
      ['api 400', await api('app.info', '{oops')],
      ['api 404', await api('no.such')],
      ['api 405', await send(wire('GET', '/api/app.info'))],
      ['api 413', await api('app.info', '{}', { 'Content-Length': String(MAX_JSON_BYTES + 1) })],
      ['ws 401', await upgrade('/events')],
      ['ws 403', await upgrade(`/events?token=${T}`, { Origin: 'http://evil.example' })],
      ['ws 404', await upgrade(`/nope?token=${T}`)],
      ['parser 400', await send('BOGUS\r\n\r\n')],
      ['parser 431', await send(wire('GET', '/', { 'X-Big': 'a'.repeat(64 * 1024) }))],
    ];
    for (const [name, r] of responses) {
      expect(r.status, name).toBeGreaterThan(0);
      for (const [k, v] of Object.entries(SECURITY_HEADERS))
        expect(r.headers[k.toLowerCase()], `${name}: ${k}`).toBe(v);
    }
    expect(SECURITY_HEADERS).toMatchObject({
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
    });
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    // API answers (and refusals) are never cached: they carry results and settings.
    for (const [name, r] of responses.filter(
      ([n]) => n.startsWith('api') || n.startsWith('ws') || n.startsWith('parser'),
    ))
      expect(r.headers['cache-control'], name).toBe('no-store');
    await stillServing();
  });
});

describe('oversized and malformed input', () => {
  /** node:http for big bodies: it stops writing when the server answers and hangs up. */
  function post(
    path: string,
    body: Buffer,
    headers: Record<string, string | number>,
    chunked = false,
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      let answered = false;
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: server.port,
          method: 'POST',
          path,
          agent: false,
          headers: { Host: H, Authorization: `Bearer ${T}`, ...headers },
        },
        (res) => {
          answered = true;
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('error', (e) => {
        if (!answered) reject(e);
      });
      if (!chunked) {
        req.end(body);
        return;
      }
      // Chunked: no Content-Length to refuse up front, the server must count.
      let sent = 0;
      const next = () => {
        while (sent < body.length && !req.destroyed) {
          const part = body.subarray(sent, sent + 256 * 1024);
          sent += part.length;
          if (!req.write(part)) return void req.once('drain', next);
        }
        if (!req.destroyed) req.end();
      };
      next();
    });
  }

  it(`refuses a JSON body over ${MAX_JSON_BYTES / 1024 ** 2} MiB with 413 naming the limit, declared or chunked`, async () => {
    const big = Buffer.from(JSON.stringify({ lastView: 'x'.repeat(MAX_JSON_BYTES) }));
    const declared = await post('/api/settings.set', big, { 'Content-Type': 'application/json' });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body).error.message).toMatch(/larger than the 8 MiB allowed/);
    const chunked = await post('/api/settings.set', big, { 'Content-Type': 'application/json' }, true);
    expect(chunked.status).toBe(413);
    // A declared length alone is refused before any byte of the body is read.
    const lying = await api('settings.set', '{}', { 'Content-Length': String(10 * 1024 ** 3) });
    expect(lying.status).toBe(413);
    await stillServing();
  });

  it.each([
    ['{oops', /not valid JSON/],
    ['{"a":', /not valid JSON/],
    ['[', /not valid JSON/],
    ['nul', /not valid JSON/],
    ['\u0000', /not valid JSON/],
    ['{"lastView": "x"} trailing', /not valid JSON/],
    ['"a string"', /invalid request for app\.info/],
    ['[1,2,3]', /invalid request for app\.info/],
    // Valid JSON the API accepts: null is the empty request (as over IPC); __proto__ is a plain key.
    ['null', null],
    ['{"__proto__": {"polluted": true}}', null],
  ])('answers the body %j clearly, never a crash', async (body, message) => {
    const r = await api('app.info', body);
    if (message === null) {
      expect(r.status).toBe(200);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    } else {
      expect(r.status).toBe(400);
      expect(errorMessage(r)).toMatch(message);
    }
  });

  it('answers invalid UTF-8, very deep nesting and a bad method encoding with 400', async () => {
    const invalidUtf8 = await post('/api/app.info', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), {
      'Content-Type': 'application/json',
    });
    expect(invalidUtf8.status).toBe(400);
    const depth = 500_000;
    const deep = await post('/api/settings.set', Buffer.from('['.repeat(depth) + ']'.repeat(depth)), {
      'Content-Type': 'application/json',
    });
    expect(deep.status).toBe(400);
    const deepObject = await post('/api/settings.set', Buffer.from('{"a":'.repeat(depth) + '1' + '}'.repeat(depth)), {
      'Content-Type': 'application/json',
    });
    expect(deepObject.status).toBeLessThan(500);
    const badMethod = await api('%zz');
    expect(badMethod.status).toBe(400);
    expect(errorMessage(badMethod)).toMatch(/percent-encoding/);
    expect((await api('app.info', '{}', { 'Content-Type': 'text/plain' })).status).toBe(400);
    await stillServing();
  });

  it('survives malformed HTTP: bad request lines, oversized headers, bad chunks, a client that hangs up mid-body', async () => {
    expect((await send('GARBAGE\r\n\r\n')).status).toBe(400);
    expect((await send('GET / HTTP/9.9\r\n\r\n')).status).toBeGreaterThanOrEqual(400);
    expect((await send(wire('GET', '/', { 'X-Big': 'a'.repeat(64 * 1024) }))).status).toBe(431);
    const badChunk = await send(
      wire('POST', '/api/app.info', {
        Authorization: `Bearer ${T}`,
        'Content-Type': 'application/json',
        'Transfer-Encoding': 'chunked',
      }) + 'zz\r\n{}\r\n0\r\n\r\n',
    );
    expect(badChunk.status).toBe(400);
    const smuggle = await send(
      wire('POST', '/api/app.info', {
        Authorization: `Bearer ${T}`,
        'Content-Type': 'application/json',
        'Content-Length': 2,
        'Transfer-Encoding': 'chunked',
      }) + '0\r\n\r\n',
    );
    expect(smuggle.status).toBe(400);
    // Declares 1 MiB, sends 10 bytes, hangs up.
    await new Promise<void>((resolve) => {
      const s: Socket = connect(server.port, '127.0.0.1', () => {
        s.write(
          wire('POST', '/api/settings.set', {
            Authorization: `Bearer ${T}`,
            'Content-Type': 'application/json',
            'Content-Length': 1024 * 1024,
          }) + '{"lastView"',
        );
        setTimeout(() => (s.destroy(), resolve()), 50);
      });
      s.on('error', () => resolve());
    });
    // Refused upgrades whose client resets the connection at once (the error must not go unheard).
    for (let i = 0; i < 20; i++) {
      const s: Socket = connect(server.port, '127.0.0.1');
      s.on('error', () => {});
      s.on('connect', () => {
        s.write(wire('GET', '/events', { Upgrade: 'websocket', Connection: 'Upgrade', Host: 'evil.example' }));
        s.resetAndDestroy();
      });
    }
    await new Promise((r) => setTimeout(r, 200));
    await stillServing();
  });
});

describe('WebSocket messages', () => {
  function open(): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${H}/events?token=${encodeURIComponent(T)}`, { origin: `http://${H}` });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  }

  it(`closes a socket that sends over ${MAX_WS_MESSAGE_BYTES / 1024} KiB (1009), keeps the others`, async () => {
    expect(MAX_WS_MESSAGE_BYTES).toBe(64 * 1024);
    const other = await open();
    const ws = await open();
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('x'.repeat(100)); // small messages are ignored
    ws.send(Buffer.alloc(MAX_WS_MESSAGE_BYTES + 1));
    expect(await closed).toBe(1009);
    expect(other.readyState).toBe(WebSocket.OPEN);
    other.close();
    await stillServing();
  });

  it('closes a socket that sends a malformed frame (1002) or an unmasked one', async () => {
    for (const frame of [
      Buffer.from([0x8f, 0x80, 1, 2, 3, 4]), // reserved opcode 0xF
      Buffer.from([0x81, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f]), // unmasked text from a client
      Buffer.from([0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4]), // 2^64-1 bytes
    ]) {
      const text = await new Promise<string>((resolve) => {
        const chunks: Buffer[] = [];
        const s = connect(server.port, '127.0.0.1', () =>
          s.write(
            wire('GET', `/events?token=${encodeURIComponent(T)}`, {
              Connection: 'Upgrade',
              Upgrade: 'websocket',
              'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
              'Sec-WebSocket-Version': 13,
            }),
          ),
        );
        s.on('data', (c: Buffer) => {
          chunks.push(c);
          if (chunks.length === 1) s.write(frame);
        });
        s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
        s.on('error', () => {});
        setTimeout(() => s.destroy(), 3000);
      });
      expect(text).toMatch(/^HTTP\/1\.1 101/);
      // The server sent a close frame (opcode 8) and hung up.
      const after = Buffer.from(text.slice(text.indexOf('\r\n\r\n') + 4), 'latin1');
      expect(after[0]).toBe(0x88);
      expect([1002, 1009]).toContain(after.readUInt16BE(2));
    }
    await stillServing();
  });
});
