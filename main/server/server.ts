// The web mode: the renderer served to a browser on this machine, the API as `POST /api/<method>`
// and its events on one WebSocket (`/events`). It exposes what the desktop app can do (run jobs,
// write files in the results folder) to anything that can reach it, so it is locked down:
// - it listens on 127.0.0.1 only, never on a network interface;
// - every API call and the WebSocket need a random per-start token (the URL the server prints);
// - a Host header other than 127.0.0.1:<port> or localhost:<port> is refused (DNS rebinding: a
//   foreign site whose name resolves to 127.0.0.1 would otherwise be same-origin with us);
// - an Origin header other than our own is refused (cross-site requests and WebSockets).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ApiErrorBody } from '../../shared/contract/api.js';
import { ApiError, toApiError } from '../api/errors.js';
import { MAX_MODEL_BYTES } from '../api/files.js';
import { createStudioApi, type StudioApiDeps, type StudioApiHost } from '../api/studio-api.js';
import { CONTENT_SECURITY_POLICY, serveStatic } from './static.js';

/** JSON request bodies; results.import carries a whole report as text, so it gets the schema's own bound. */
export const MAX_JSON_BYTES = 8 * 1024 ** 2;
const MAX_IMPORT_JSON_BYTES = 520 * 1024 ** 2;

export interface WebServerOptions extends Partial<StudioApiDeps> {
  /** Port on 127.0.0.1; 0 (the default) takes any free port. */
  port?: number;
  /** The built renderer (default: <package root>/dist/renderer). */
  staticDir?: string;
  /** The access token (default: 32 random bytes, base64url). */
  token?: string;
  /** A ready API (its deps are then ignored); closed with the server. */
  api?: StudioApiHost;
}

export interface WebServer {
  /** The page's address with the token: what the user opens. */
  url: string;
  /** http://127.0.0.1:<port> without the token. */
  origin: string;
  port: number;
  token: string;
  api: StudioApiHost;
  /** Closes every socket and the server, cancels jobs and kills workers (api.dispose()). */
  close(): Promise<void>;
}

/** The folder holding package.json, found upward from this file (source or compiled build). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

export function defaultStaticDir(): string {
  return join(packageRoot(), 'dist', 'renderer');
}

/** Compares secrets in constant time whatever their lengths (hashing first makes the lengths equal). */
export function sameSecret(given: string | undefined | null, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

const STATUS: Record<ApiErrorBody['code'], number> = {
  'bad-request': 400,
  'not-found': 404,
  unsupported: 501,
  refused: 409,
  internal: 500,
};

function baseHeaders(res: ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, code: ApiErrorBody['code'], message: string): void {
  sendJson(res, status, { error: { code, message } satisfies ApiErrorBody });
}

/** Reads a request body up to `limit` bytes; over it, rejects with an HTTP 413 ApiError. */
function readBody(req: IncomingMessage, limit: number, what: string): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const declared = Number(req.headers['content-length']);
    const tooBig = () =>
      Object.assign(new ApiError('bad-request', `${what} is larger than the ${formatLimit(limit)} allowed`), {
        status: 413,
      });
    if (Number.isFinite(declared) && declared > limit) {
      reject(tooBig());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(tooBig());
        req.pause();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks, size)));
    req.on('error', reject);
    req.on('aborted', () => reject(new ApiError('bad-request', 'the request was aborted')));
  });
}

function formatLimit(n: number): string {
  return n >= 1024 ** 3 ? `${n / 1024 ** 3} GiB` : `${n / 1024 ** 2} MiB`;
}

export async function startWebServer(opts: WebServerOptions = {}): Promise<WebServer> {
  const { port: wantedPort = 0, staticDir = defaultStaticDir(), token = randomBytes(32).toString('base64url') } = opts;
  if (token.length < 16) throw new Error('the web server token must be at least 16 characters');
  const api = opts.api ?? createStudioApi({ ...opts, mode: 'web' });
  const root = resolve(staticDir);
  let port = 0;
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });

  /** Host and Origin checks shared by HTTP and WebSocket upgrades; a reason string when refused. */
  const refusal = (req: IncomingMessage): string | undefined => {
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`)
      return `Host '${host}' is not this server (open http://127.0.0.1:${port}/ instead)`;
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`)
      return `cross-origin request from '${origin}' refused: the studio only answers its own page`;
    return undefined;
  };

  const bearer = (req: IncomingMessage): string | undefined => {
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^Bearer\s+(\S+)$/i.exec(h.trim()) : null;
    return m?.[1];
  };

  async function apiCall(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (!sameSecret(bearer(req), token)) {
      sendError(
        res,
        401,
        'refused',
        'missing or wrong access token: open the URL printed by `npm run serve` (it carries ?token=...)',
      );
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      sendError(res, 405, 'bad-request', `use POST for ${url.pathname}`);
      return;
    }
    const method = decodeURIComponent(url.pathname.slice('/api/'.length));
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    let request: unknown;
    try {
      if (method === 'files.importModel') {
        if (type !== 'application/octet-stream')
          throw new ApiError(
            'bad-request',
            'files.importModel takes the file itself: POST /api/files.importModel?name=<file name> with Content-Type application/octet-stream',
          );
        const name = url.searchParams.get('name');
        if (!name)
          throw new ApiError('bad-request', 'files.importModel needs the file name: add ?name=<file name> to the URL');
        const body = await readBody(req, MAX_MODEL_BYTES, 'the model file');
        request = { name, bytes: new Uint8Array(body.buffer, body.byteOffset, body.length) };
      } else {
        if (type !== 'application/json')
          throw new ApiError(
            'bad-request',
            `send the request as JSON (Content-Type application/json), not '${type || 'none'}'`,
          );
        const limit = method === 'results.import' ? MAX_IMPORT_JSON_BYTES : MAX_JSON_BYTES;
        const body = await readBody(req, limit, 'the request');
        const text = body.toString('utf8');
        try {
          request = text.trim() === '' ? {} : JSON.parse(text);
        } catch (e) {
          throw new ApiError('bad-request', `the request body is not valid JSON (${(e as Error).message})`);
        }
      }
      const response = await api.handle(method, request);
      sendJson(res, 200, response ?? null);
    } catch (e) {
      const err = toApiError(e, method);
      const status = (e as { status?: number }).status ?? STATUS[err.code];
      if (err.code === 'internal') console.error(`web API ${method}: ${err.message}`);
      // An oversized upload: answer at once, then drop the connection instead of reading the rest.
      if (status === 413) {
        res.setHeader('Connection', 'close');
        res.once('finish', () => req.socket.destroy());
      }
      sendError(res, status, err.code, err.message);
    }
  }

  const server: Server = createServer((req, res) => {
    baseHeaders(res);
    const refused = refusal(req);
    if (refused) {
      sendError(res, 403, 'refused', refused);
      return;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    } catch {
      sendError(res, 400, 'bad-request', 'malformed URL');
      return;
    }
    const rawPath = (req.url ?? '/').split('?')[0];
    if (rawPath.startsWith('/api/')) {
      apiCall(req, res, url).catch((e) => {
        console.error(`web API: ${(e as Error).message}`);
        if (!res.headersSent) sendError(res, 500, 'internal', 'the server failed to answer');
        else res.destroy();
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendError(res, 405, 'bad-request', 'only GET and HEAD are served here; the API is POST /api/<method>');
      return;
    }
    // The raw path (not URL's normalized one): traversal attempts are refused, not silently rewritten.
    serveStatic(root, req, res, rawPath);
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const deny = (status: number, reason: string) => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const refused = refusal(req);
    if (refused) return deny(403, 'Forbidden');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    } catch {
      return deny(400, 'Bad Request');
    }
    if (url.pathname !== '/events') return deny(404, 'Not Found');
    if (!sameSecret(url.searchParams.get('token'), token)) return deny(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => sockets.delete(ws));
      // The socket only carries events to the page; anything the page sends is ignored.
      ws.on('message', () => {});
    });
  });

  const stopEvents = api.onAny((event, payload) => {
    if (sockets.size === 0) return;
    const text = JSON.stringify({ event, payload });
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(wantedPort, '127.0.0.1', () => {
      server.off('error', fail);
      ok();
    });
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      stopEvents();
      for (const ws of sockets) ws.terminate();
      sockets.clear();
      wss.close();
      const closed = new Promise<void>((ok) => server.close(() => ok()));
      server.closeAllConnections();
      await api.dispose();
      await closed;
    })());

  return { url: `${origin}/?token=${encodeURIComponent(token)}`, origin, port, token, api, close };
}
