// The web-mode server (main/server): loopback only, the token, Host and Origin checks, static files
// kept inside their folder with the strict headers, the API over HTTP (JSON and a binary upload),
// and events over the WebSocket.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildTarget } from '../shared/targets.js';
import { graphToOnnx } from '../shared/onnx/writer.js';
import { CONTENT_SECURITY_POLICY } from '../main/server/static.js';
import { RENDERER_CSP } from '../shared/contract/csp.js';
import { sameSecret } from '../main/server/server.js';
import { startTestServer, type TestServer } from './helpers/web-server.js';
import { fakeResult } from './helpers/fake-results.js';

const root = mkdtempSync(join(tmpdir(), 'server-web-'));
const staticDir = join(root, 'renderer');
mkdirSync(join(staticDir, 'assets'), { recursive: true });
writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>studio</title>');
writeFileSync(join(staticDir, 'assets', 'app-1234.js'), 'console.log(1)');
writeFileSync(join(staticDir, '.env'), 'HIDDEN');
writeFileSync(join(root, 'secret.txt'), 'TOP-SECRET');

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ staticDir });
});
afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request with full control of the path and headers (fetch would normalize the path and fix Host). */
function raw(
  path: string,
  opts: { method?: string; headers?: Record<string, string | number>; body?: string | Uint8Array; port?: number } = {},
): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: opts.port ?? server.port,
        method: opts.method ?? 'GET',
        path,
        headers: { Host: `127.0.0.1:${server.port}`, ...opts.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const auth = () => ({ Authorization: `Bearer ${server.token}` });
const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json', ...auth(), ...headers },
  body: JSON.stringify(body),
});

function openSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

describe('binding and access', () => {
  it('listens on 127.0.0.1 only, and prints a URL with a long random token', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (external) {
      const refused = await new Promise<boolean>((resolve) => {
        const s = connect(server.port, external.address);
        s.once('connect', () => (s.destroy(), resolve(false)));
        s.once('error', () => resolve(true));
      });
      expect(refused).toBe(true);
    }
  });

  it('answers an API call with the token, and 401 without it or with a wrong one', async () => {
    const ok = await raw('/api/app.info', json({}));
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ apiVersion: 1, mode: 'web' });
    expect(ok.headers['cache-control']).toBe('no-store');
    const none = await raw('/api/app.info', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).error.message).toMatch(/token/);
    const wrong = await raw('/api/app.info', json({}, { Authorization: `Bearer ${server.token.slice(1)}x` }));
    expect(wrong.status).toBe(401);
    const short = await raw('/api/app.info', json({}, { Authorization: 'Bearer x' }));
    expect(short.status).toBe(401);
    expect(sameSecret(server.token, server.token)).toBe(true);
    expect(sameSecret(undefined, server.token)).toBe(false);
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin (CSRF)', async () => {
    const host = await raw('/api/app.info', json({}, { Host: `evil.example:${server.port}` }));
    expect(host.status).toBe(403);
    expect((await raw('/', { headers: { Host: 'evil.example' } })).status).toBe(403);
    const origin = await raw('/api/app.info', json({}, { Origin: 'http://evil.example' }));
    expect(origin.status).toBe(403);
    expect(JSON.parse(origin.body).error.message).toMatch(/cross-origin/);
    const same = await raw('/api/app.info', json({}, { Origin: `http://127.0.0.1:${server.port}` }));
    expect(same.status).toBe(200);
    const localhost = await raw(
      '/api/app.info',
      json({}, { Host: `localhost:${server.port}`, Origin: `http://localhost:${server.port}` }),
    );
    expect(localhost.status).toBe(200);
  });
});

describe('static files', () => {
  it('serves index.html with the strict headers, assets with their MIME type', async () => {
    const page = await raw('/?token=abc');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>studio</title>');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['cache-control']).toBe('no-store');
    // The header is the same policy as the renderer's own meta tag.
    expect(CONTENT_SECURITY_POLICY).toBe(`${RENDERER_CSP}; frame-ancestors 'none'`);
    expect(readFileSync('renderer/index.html', 'utf8')).toContain(`content="${RENDERER_CSP}"`);
    const js = await raw('/assets/app-1234.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await raw('/missing.js')).status).toBe(404);
    expect((await raw('/assets')).status).toBe(404); // no directory listing
    expect((await raw('/.env')).status).toBe(403);
    expect((await raw('/', { method: 'DELETE' })).status).toBe(405);
  });

  it.each([
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E/secret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/..%5csecret.txt',
    '/assets/%2e%2e/%2e%2e/secret.txt',
    '/%00/index.html',
    '/%zz',
  ])('refuses the traversal %s', async (path) => {
    const r = await raw(path);
    expect([400, 403, 404]).toContain(r.status);
    expect(r.body).not.toContain('TOP-SECRET');
  });

  it('answers 503 with what to run when the renderer is not built', async () => {
    const bare = await startTestServer({ staticDir: join(root, 'not-built') });
    try {
      const r = await raw('/', { port: bare.port, headers: { Host: `127.0.0.1:${bare.port}` } });
      expect(r.status).toBe(503);
      expect(r.body).toContain('npm run build:renderer');
    } finally {
      await bare.close();
    }
  });
});

describe('API over HTTP', () => {
  it('sends errors as {error: {code, message}} with a matching status', async () => {
    const unknown = await raw('/api/no.such', json({}));
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error.code).toBe('not-found');
    const bad = await raw('/api/results.get', json({ ids: [] }));
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.message).toContain('ids');
    const notJson = await raw('/api/app.info', {
      method: 'POST',
      headers: { ...auth(), 'Content-Type': 'application/json' },
      body: '{oops',
    });
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body).error.message).toMatch(/not valid JSON/);
    expect((await raw('/api/app.info', { headers: auth() })).status).toBe(405);
    const big = await raw('/api/settings.set', json({ lastView: 'x'.repeat(9 * 1024 * 1024) }));
    expect(big.status).toBe(413);
    const unsupported = await raw('/api/files.openModelDialog', json({}));
    expect(unsupported.status).toBe(501);
  });

  it('imports a model as raw bytes (application/octet-stream), and refuses garbage clearly', async () => {
    const g = buildTarget({ target: 'pointwise', set: { height: '8', width: '8', channels: '16', out: '8' } });
    const bytes = graphToOnnx(g);
    const upload = (name: string, body: Uint8Array, type = 'application/octet-stream') =>
      raw(`/api/files.importModel?name=${encodeURIComponent(name)}`, {
        method: 'POST',
        headers: { ...auth(), 'Content-Type': type },
        body,
      });
    const ok = await upload('my model.onnx', bytes);
    expect(ok.status).toBe(200);
    const model = JSON.parse(ok.body);
    expect(model).toMatchObject({ name: 'my model.onnx', sizeBytes: bytes.length, unknownOps: [] });
    expect(model.cost.totals.macs).toBe(8 * 8 * 16 * 8);
    const closed = await raw('/api/files.closeModel', json({ fileId: model.fileId }));
    expect(JSON.parse(closed.body)).toEqual({ closed: true });
    const garbage = await upload('junk.onnx', new TextEncoder().encode('not a model at all'));
    expect(garbage.status).toBe(400);
    expect(JSON.parse(garbage.body).error.message).toMatch(/junk\.onnx/);
    const asJson = await upload('x.onnx', bytes, 'application/json');
    expect(asJson.status).toBe(400);
    expect(JSON.parse(asJson.body).error.message).toMatch(/octet-stream/);
    const huge = await raw('/api/files.importModel?name=huge.onnx', {
      method: 'POST',
      headers: { ...auth(), 'Content-Type': 'application/octet-stream', 'Content-Length': 3 * 1024 ** 3 },
      body: new Uint8Array(16),
    }).catch((e: Error) => ({ status: -1, body: e.message, headers: {} }));
    expect(huge.status).toBe(413);
  });
});

describe('events over the WebSocket', () => {
  it('refuses a socket without the token, with a wrong one, or from a foreign origin', async () => {
    const base = `ws://127.0.0.1:${server.port}/events`;
    await expect(openSocket(base)).rejects.toThrow(/401/);
    await expect(openSocket(`${base}?token=wrong`)).rejects.toThrow(/401/);
    await expect(openSocket(`${base}?token=${server.token}`, { Origin: 'http://evil.example' })).rejects.toThrow(/403/);
    await expect(openSocket(`ws://127.0.0.1:${server.port}/other?token=${server.token}`)).rejects.toThrow(/404/);
  });

  it('broadcasts API events as {event, payload} to an authenticated socket', async () => {
    const ws = await openSocket(`ws://127.0.0.1:${server.port}/events?token=${encodeURIComponent(server.token)}`, {
      Origin: `http://127.0.0.1:${server.port}`,
    });
    try {
      const message = new Promise<{ event: string; payload: unknown }>((resolve) =>
        ws.once('message', (data) => resolve(JSON.parse(String(data)))),
      );
      const report = JSON.stringify({
        schema: 'bottleneck-studio/report',
        version: 1,
        results: [fakeResult({ id: 'ws-1' })],
      });
      const r = await raw('/api/results.import', json({ name: 'r.json', text: report }));
      expect(r.status).toBe(200);
      expect(await message).toEqual({ event: 'results.changed', payload: { ids: ['ws-1'] } });
    } finally {
      ws.close();
    }
  });
});

describe('close', () => {
  it('closes sockets and the server', async () => {
    const s = await startTestServer({ staticDir });
    const ws = await openSocket(`ws://127.0.0.1:${s.port}/events?token=${s.token}`);
    const closed = new Promise((resolve) => ws.once('close', resolve));
    await s.close();
    await closed;
    await expect(raw('/', { port: s.port })).rejects.toThrow(/ECONNREFUSED/);
  });
});
