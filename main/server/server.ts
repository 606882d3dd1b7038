// The web mode: the renderer served to a browser on this machine, the API as `POST /api/<method>`
// and its events on one WebSocket (`/events`). It exposes what the desktop app can do (run jobs,
// write files in the results folder) to anything that can reach it, so it is locked down:
// - it listens on a loopback address only (127.0.0.1, or ::1 when asked), never on a network
//   interface; any other address is refused before anything is bound;
// - every API call and the WebSocket need a random per-start token (the URL the server prints),
//   compared in constant time. The right token is always accepted (32 random bytes cannot be
//   guessed); repeated wrong or missing tokens from one client are answered 429 for a while, which
//   only keeps a flood of guesses cheap and can never lock the page with the right token out;
// - a Host header other than 127.0.0.1:<port>, localhost:<port> or [::1]:<port> is refused (DNS
//   rebinding: a foreign site whose name resolves to 127.0.0.1 would otherwise be same-origin with us);
// - an Origin header other than our own is refused (cross-site requests and WebSockets);
// - bodies and WebSocket messages have stated size limits; a model upload is streamed to a
//   temporary file (never held in memory), its limit enforced while it streams, one upload at a
//   time per client and MAX_UPLOADS_IN_FLIGHT in all; every response carries the strict security
//   headers, including the refusals the HTTP parser itself answers.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { API_METHODS, type ApiErrorBody } from '../../shared/contract/api.js';
import { StudioError } from '../../shared/ir/types.js';
import { ApiError, toApiError } from '../api/errors.js';
import { fsReason } from '../store/atomic-write.js';
import { cleanUploads, MAX_MODEL_BYTES, uploadTempPath } from '../api/files.js';
import { createStudioApi, type StudioApiDeps, type StudioApiHost } from '../api/studio-api.js';
import { CONTENT_SECURITY_POLICY, serveStatic } from './static.js';

/** JSON request bodies; results.import carries a whole report as text, so it gets the schema's own bound. */
export const MAX_JSON_BYTES = 8 * 1024 ** 2;
const MAX_IMPORT_JSON_BYTES = 520 * 1024 ** 2;
/** The events socket only sends; a page has nothing big to say on it. */
export const MAX_WS_MESSAGE_BYTES = 64 * 1024;

/** The only addresses the server may listen on: this machine's loopback, IPv4 or IPv6. */
export const LOOPBACK_ADDRESSES = ['127.0.0.1', '::1'] as const;

/** Wrong or missing tokens allowed per client within the window before it is answered 429. */
export const AUTH_FAILURE_LIMIT = 10;
export const AUTH_FAILURE_WINDOW_MS = 60_000;
/** Clients remembered at most in the failure table (the oldest is forgotten first). */
export const AUTH_FAILURE_MAX_CLIENTS = 1024;
/** A token longer than this is wrong without being hashed (ours is 43 characters; a flood of huge headers costs no hashing). */
export const MAX_TOKEN_CHARS = 512;

/**
 * Large bodies (model uploads, results.import) in flight at once across all clients; each client
 * has one at a time. Every IPv4 loopback client is one client (clientKey), ::1 another.
 */
export const MAX_UPLOADS_IN_FLIGHT = 2;
/** An upload that sends nothing for this long is dropped (it would hold its client's one slot). */
export const UPLOAD_IDLE_MS = 30_000;

export interface WebServerOptions extends Partial<StudioApiDeps> {
  /** Port on the loopback address; 0 (the default) takes any free port. */
  port?: number;
  /** The loopback address to listen on: '127.0.0.1' (the default) or '::1'; anything else is refused. */
  host?: string;
  /** Wrong-token throttling (tests shorten the window); defaults AUTH_FAILURE_LIMIT per AUTH_FAILURE_WINDOW_MS. */
  authFailures?: { limit?: number; windowMs?: number; maxClients?: number };
  /**
   * Model uploads: the most bytes one may have (default MAX_MODEL_BYTES; tests use less), how many
   * may stream at once across clients (default MAX_UPLOADS_IN_FLIGHT) and how long one may stall
   * (default UPLOAD_IDLE_MS).
   */
  uploads?: { maxBytes?: number; maxInFlight?: number; idleMs?: number };
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
  /** http://127.0.0.1:<port> (or http://[::1]:<port>) without the token. */
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

/**
 * Compares secrets in constant time whatever their lengths: both sides are hashed first, so
 * timingSafeEqual always compares two 32-byte digests and neither the length of the token nor the
 * position of the first wrong character shows in the time taken.
 */
export function sameSecret(given: string | undefined | null, expected: string): boolean {
  const a = createHash('sha256')
    .update(typeof given === 'string' ? given : '')
    .digest();
  const b = createHash('sha256').update(expected).digest();
  // Even a missing token goes through the comparison, so "no token" is not faster than a wrong one.
  return timingSafeEqual(a, b) && typeof given === 'string';
}

/** Refuses any listening address but loopback, with what to use instead. */
export function checkLoopbackHost(host: string): string {
  if ((LOOPBACK_ADDRESSES as readonly string[]).includes(host)) return host;
  throw new StudioError(
    `refusing to listen on '${host}': the web mode serves this machine only and binds a loopback address (${LOOPBACK_ADDRESSES.join(' or ')}). ` +
      `Anyone who can reach the port could run jobs and write files; to use the studio from another machine, forward the port over SSH (ssh -L).`,
  );
}

/**
 * The key a client's failures are counted under. Every client is on this machine, and a process
 * can pick any source address in 127.0.0.0/8, so the whole IPv4 loopback range is one client:
 * rotating source addresses does not reset the count.
 */
export function clientKey(remoteAddress: string | undefined): string {
  const a = (remoteAddress ?? '').toLowerCase().replace(/^::ffff:/, '');
  return /^127\.\d+\.\d+\.\d+$/.test(a) ? '127.0.0.0/8' : a || 'unknown';
}

/**
 * Recent authentication failures per client, bounded in memory: at most `limit` timestamps per
 * client and `maxClients` clients (the least recently failing client is forgotten first).
 */
export class AuthFailures {
  private readonly table = new Map<string, number[]>();

  constructor(
    readonly limit = AUTH_FAILURE_LIMIT,
    readonly windowMs = AUTH_FAILURE_WINDOW_MS,
    readonly maxClients = AUTH_FAILURE_MAX_CLIENTS,
  ) {}

  get size(): number {
    return this.table.size;
  }

  private recent(key: string, now: number): number[] {
    const times = (this.table.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (times.length === 0) this.table.delete(key);
    return times;
  }

  /** Milliseconds until the client may try again; 0 when it is not throttled. */
  retryAfterMs(key: string, now = Date.now()): number {
    const times = this.recent(key, now);
    return times.length >= this.limit ? times[times.length - this.limit] + this.windowMs - now : 0;
  }

  fail(key: string, now = Date.now()): void {
    const times = this.recent(key, now);
    times.push(now);
    // Re-inserted last: the Map's order is then least recently failing first.
    this.table.delete(key);
    this.table.set(key, times.slice(-this.limit));
    if (this.table.size > this.maxClients) {
      for (const [k, t] of this.table) if (now - t[t.length - 1] >= this.windowMs) this.table.delete(k);
      while (this.table.size > this.maxClients) this.table.delete(this.table.keys().next().value!);
    }
  }
}

/**
 * Large bodies being received: one per client, `maxTotal` in all, so that neither memory (a JSON
 * import is read whole) nor the temporary files of uploads grow with the number of requests.
 */
export class UploadSlots {
  private readonly busy = new Set<string>();

  constructor(readonly maxTotal = MAX_UPLOADS_IN_FLIGHT) {}

  get size(): number {
    return this.busy.size;
  }

  /** A release function (safe to call twice), or why none: 'client' (it has one in flight) or 'total'. */
  take(key: string): (() => void) | 'client' | 'total' {
    if (this.busy.has(key)) return 'client';
    if (this.busy.size >= this.maxTotal) return 'total';
    this.busy.add(key);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.busy.delete(key);
    };
  }
}

const STATUS: Record<ApiErrorBody['code'], number> = {
  'bad-request': 400,
  'not-found': 404,
  unsupported: 501,
  refused: 409,
  internal: 500,
};

/** Sent on every response, refusals included: nothing we answer may be framed, sniffed or embedded elsewhere. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  // frame-ancestors 'none' in the CSP, and the older header for browsers that ignore it.
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

function baseHeaders(res: ServerResponse): void {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
}

/** A complete response written straight to a socket (refused upgrades, parser errors). */
function rawResponse(status: number, extra: Record<string, string | number> = {}, body = ''): string {
  const headers = {
    ...SECURITY_HEADERS,
    'Cache-Control': 'no-store',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    Connection: 'close',
    ...extra,
  };
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${lines.join('\r\n')}\r\n\r\n${body}`;
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

/** An ApiError answered with this HTTP status instead of its code's. */
function withStatus(e: ApiError, status: number): ApiError & { status: number } {
  return Object.assign(e, { status });
}

const tooBigError = (what: string, limit: number) =>
  withStatus(new ApiError('bad-request', `${what} is larger than the ${formatLimit(limit)} allowed`), 413);

/** Reads a request body up to `limit` bytes; over it, rejects with an HTTP 413 ApiError. */
function readBody(req: IncomingMessage, limit: number, what: string): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const declared = Number(req.headers['content-length']);
    const tooBig = () => tooBigError(what, limit);
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
  return n >= 1024 ** 3 ? `${n / 1024 ** 3} GiB` : n >= 1024 ** 2 ? `${n / 1024 ** 2} MiB` : `${n / 1024} KiB`;
}

/**
 * Streams a request body into a new file at `path` and resolves with its size. Never holds more
 * than the stream buffers in memory: the socket is paused while the disk catches up. Over `limit`
 * (declared or counted), after `idleMs` without data, or when the client goes away, it stops
 * reading at once, deletes the partial file and rejects (413, 408, 400).
 */
function receiveToFile(
  req: IncomingMessage,
  path: string,
  opts: { limit: number; idleMs: number; what: string },
): Promise<number> {
  return new Promise((resolveSize, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > opts.limit) {
      reject(tooBigError(opts.what, opts.limit));
      return;
    }
    let size = 0;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    mkdirSync(dirname(path), { recursive: true });
    const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
    const stopReading = () => {
      clearTimeout(timer);
      req.off('data', onData);
      req.pause();
    };
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      stopReading();
      out.destroy();
      // Deleted now and again once the descriptor is closed (a platform may refuse to delete an open file).
      rmSync(path, { force: true });
      out.once('close', () => rmSync(path, { force: true }));
      reject(e);
    };
    const idle = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () =>
          fail(
            withStatus(
              new ApiError('bad-request', `${opts.what} stopped arriving (nothing for ${opts.idleMs / 1000} s)`),
              408,
            ),
          ),
        opts.idleMs,
      );
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > opts.limit) return fail(tooBigError(opts.what, opts.limit));
      if (!out.write(c)) {
        // The disk is slower than the socket: stop reading until it catches up (no idle timeout meanwhile).
        clearTimeout(timer);
        req.pause();
        out.once('drain', () => {
          if (settled) return;
          idle();
          req.resume();
        });
      } else idle();
    };
    const aborted = () =>
      fail(new ApiError('bad-request', `${opts.what} was cut off before its end (the connection closed)`));
    req.on('data', onData);
    req.once('end', () => {
      if (settled) return;
      clearTimeout(timer);
      out.end();
    });
    // Listeners that stay (fail is idempotent): a second 'error' with none would end the process.
    req.on('error', aborted);
    req.once('close', () => {
      if (!req.complete) aborted();
    });
    out.on('error', (e) => fail(new ApiError('internal', `${opts.what} could not be saved: ${fsReason(e)}`)));
    out.once('close', () => {
      if (settled) return;
      settled = true;
      resolveSize(size);
    });
    idle();
  });
}

export async function startWebServer(opts: WebServerOptions = {}): Promise<WebServer> {
  const {
    port: wantedPort = 0,
    host = '127.0.0.1',
    staticDir = defaultStaticDir(),
    token = randomBytes(32).toString('base64url'),
  } = opts;
  // Refused before the API (and its workers) exist: nothing to undo.
  checkLoopbackHost(host);
  if (token.length < 16 || token.length > MAX_TOKEN_CHARS)
    throw new Error(`the web server token must be 16 to ${MAX_TOKEN_CHARS} characters`);
  const api = opts.api ?? createStudioApi({ ...opts, mode: 'web' });
  const root = resolve(staticDir);
  let port = 0;
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_MESSAGE_BYTES });
  const failures = new AuthFailures(
    opts.authFailures?.limit,
    opts.authFailures?.windowMs,
    opts.authFailures?.maxClients,
  );
  const maxUploadBytes = Math.min(opts.uploads?.maxBytes ?? MAX_MODEL_BYTES, MAX_MODEL_BYTES);
  const uploadIdleMs = opts.uploads?.idleMs ?? UPLOAD_IDLE_MS;
  // Model uploads and results.import bodies: each their own slots, so a model can stream while results import.
  const uploadSlots = new UploadSlots(opts.uploads?.maxInFlight);
  const importSlots = new UploadSlots(opts.uploads?.maxInFlight);
  // What a killed server left in the upload folder (never a running server's upload).
  cleanUploads(api.cacheDir);

  /** Host and Origin checks shared by HTTP and WebSocket upgrades; a reason string when refused. */
  const refusal = (req: IncomingMessage): string | undefined => {
    // Host names are case-insensitive; the port must be ours (another port is another server).
    const host = (req.headers.host ?? '').toLowerCase();
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}` && host !== `[::1]:${port}`)
      return `Host '${req.headers.host ?? ''}' is not this server (open http://127.0.0.1:${port}/ instead)`;
    // Only the page's own origin, which is the one it was loaded from: http://<the Host it sent>.
    // No Origin at all is a non-browser client (a browser always sends one on POST and WebSockets).
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

  /**
   * The token check with its throttle: 'ok', or the refusal to answer. The right token is checked
   * first and always accepted, throttled client or not: 32 random bytes cannot be guessed, so a
   * process flooding wrong tokens from this machine must not lock the user's page out. The
   * throttle only answers wrong and missing tokens: 401 until a client has AUTH_FAILURE_LIMIT in
   * the window, then 429 (not counted again, so the table does no more work either). A token over
   * MAX_TOKEN_CHARS is wrong without being hashed.
   */
  const authorize = (
    req: IncomingMessage,
    given: string | undefined | null,
  ): 'ok' | { status: number; retryAfterS?: number } => {
    const tooLong = typeof given === 'string' && given.length > MAX_TOKEN_CHARS;
    if (!tooLong && sameSecret(given, token)) return 'ok';
    const key = clientKey(req.socket.remoteAddress);
    const waitMs = failures.retryAfterMs(key);
    if (waitMs > 0) return { status: 429, retryAfterS: Math.max(1, Math.ceil(waitMs / 1000)) };
    failures.fail(key);
    return { status: 401 };
  };

  /** A slot for a large body from this request's client, or the 429 that refuses it. */
  const takeSlot = (slots: UploadSlots, req: IncomingMessage, what: string): (() => void) => {
    const taken = slots.take(clientKey(req.socket.remoteAddress));
    if (taken === 'client')
      throw withStatus(
        new ApiError(
          'refused',
          `another ${what} from this machine is still being received: wait for it to finish, then send this one`,
        ),
        429,
      );
    if (taken === 'total')
      throw withStatus(
        new ApiError('refused', `the server is receiving ${slots.maxTotal} other ${what}s: try again when they end`),
        429,
      );
    return taken;
  };

  /**
   * files.importModel over HTTP: the body streamed into a temporary file in the cache (never into
   * memory), then moved into the cache and opened by the API host (importModelFile).
   */
  async function importUpload(req: IncomingMessage, res: ServerResponse, name: string): Promise<unknown> {
    const nameOk = API_METHODS['files.importModel'].shape.name.safeParse(name);
    if (!nameOk.success)
      throw new ApiError('bad-request', 'files.importModel: the file name (?name=) must be 1 to 255 characters');
    const release = takeSlot(uploadSlots, req, 'model upload');
    try {
      const path = uploadTempPath(api.cacheDir);
      await receiveToFile(req, path, { limit: maxUploadBytes, idleMs: uploadIdleMs, what: 'the model file' });
      const model = await api.importModelFile(name, path);
      // A client that is gone (it hung up, or lied about its length and broke the connection) never
      // learns the handle: close the model again instead of keeping its copy until the server stops.
      const forget = () => void api.handle('files.closeModel', { fileId: model.fileId }).catch(() => {});
      if (req.socket.destroyed) forget();
      else
        res.once('close', () => {
          if (!res.writableFinished) forget();
        });
      return model;
    } finally {
      release();
    }
  }

  async function apiCall(req: IncomingMessage, res: ServerResponse, rawPath: string, url: URL): Promise<void> {
    // The method first: the API is POST only, and a GET (which a foreign page can send without an
    // Origin header, from an <img> say) must not count as a wrong token and throttle the real page.
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      sendError(res, 405, 'bad-request', `use POST for ${url.pathname}`);
      return;
    }
    const auth = authorize(req, bearer(req));
    if (auth !== 'ok') {
      if (auth.status === 429) {
        res.setHeader('Retry-After', String(auth.retryAfterS));
        // A flood: its connections are not kept for more.
        res.setHeader('Connection', 'close');
        sendError(
          res,
          429,
          'refused',
          `too many wrong access tokens from this machine: try again in ${auth.retryAfterS} s, with the URL printed by \`npm run serve\``,
        );
      } else
        sendError(
          res,
          401,
          'refused',
          'missing or wrong access token: open the URL printed by `npm run serve` (it carries ?token=...)',
        );
      return;
    }
    let method = '';
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    let request: unknown;
    let release: (() => void) | undefined;
    try {
      // The raw path: URL would resolve '/api/../x' into another path before we see it.
      try {
        method = decodeURIComponent(rawPath.slice('/api/'.length));
      } catch {
        throw new ApiError('bad-request', 'the API method in the URL is not valid percent-encoding');
      }
      if (method === 'files.importModel') {
        if (type !== 'application/octet-stream')
          throw new ApiError(
            'bad-request',
            'files.importModel takes the file itself: POST /api/files.importModel?name=<file name> with Content-Type application/octet-stream',
          );
        const name = url.searchParams.get('name');
        if (!name)
          throw new ApiError('bad-request', 'files.importModel needs the file name: add ?name=<file name> to the URL');
        sendJson(res, 200, await importUpload(req, res, name));
        return;
      } else {
        if (type !== 'application/json')
          throw new ApiError(
            'bad-request',
            `send the request as JSON (Content-Type application/json), not '${type || 'none'}'`,
          );
        // results.import is read whole (the report is parsed as one text): one at a time per
        // client and a few in all, each holding its slot until it is answered.
        if (method === 'results.import') release = takeSlot(importSlots, req, 'results import');
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
      // A body refused before its end (too large, stalled, no slot for it): answer at once, then
      // drop the connection instead of reading the rest.
      if (status === 413 || !req.complete) {
        res.setHeader('Connection', 'close');
        res.once('finish', () => req.socket.destroy());
      }
      sendError(res, status, err.code, err.message);
    } finally {
      release?.();
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
      apiCall(req, res, rawPath, url).catch((e) => {
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

  // What the HTTP parser refuses (a malformed request line, headers over the size limit, a bad
  // chunk) never reaches the handler; answer it here so that it too carries the security headers.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || (socket as Socket).bytesWritten > 0) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    socket.end(rawResponse(status, {}, `${STATUS_CODES[status]}\n`));
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node takes its own error listener off an upgraded socket: without one, a client that resets
    // the connection while we answer would be an uncaught exception and end the process.
    socket.on('error', () => socket.destroy());
    const deny = (status: number, extra: Record<string, string | number> = {}) => {
      socket.end(rawResponse(status, extra, `${STATUS_CODES[status]}\n`));
    };
    const refused = refusal(req);
    if (refused) return deny(403);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    } catch {
      return deny(400);
    }
    if (url.pathname !== '/events') return deny(404);
    // A browser cannot set headers on a WebSocket: the token comes in the query string.
    const auth = authorize(req, url.searchParams.get('token'));
    if (auth !== 'ok') return deny(auth.status, auth.retryAfterS ? { 'Retry-After': auth.retryAfterS } : {});
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      // An oversized message (over MAX_WS_MESSAGE_BYTES: ws closes with 1009) or a malformed frame
      // (1002) ends that socket only.
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

  try {
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(wantedPort, host, () => {
        server.off('error', fail);
        ok();
      });
    });
  } catch (e) {
    // Nothing bound (port in use, no IPv6 loopback): the API made for this server goes too.
    stopEvents();
    if (!opts.api) await api.dispose();
    throw e;
  }
  port = (server.address() as AddressInfo).port;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

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
