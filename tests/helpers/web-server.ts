// Starts the web-mode server in-process for tests: a temporary results folder and data/cache
// folder (removed on close), the given static folder (default: the built renderer, dist/renderer),
// and the usual token. End-to-end tests in Chromium open `url`; API tests use `call()` (fetch with
// the bearer token).
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiMethod, ApiRequest, ApiResponse } from '../../shared/contract/api.js';
import { defaultStaticDir, startWebServer, type WebServer, type WebServerOptions } from '../../main/server/server.js';

export interface TestServer extends WebServer {
  resultsDir: string;
  dataDir: string;
  cacheDir: string;
  /** POST /api/<method> with the token; resolves with the parsed JSON and the status. */
  call<M extends ApiMethod>(
    method: M,
    request: ApiRequest<M>,
  ): Promise<{ status: number; body: ApiResponse<M> | { error: { code: string; message: string } } }>;
}

export async function startTestServer(opts: WebServerOptions = {}): Promise<TestServer> {
  const root = mkdtempSync(join(tmpdir(), 'studio-web-'));
  const resultsDir = opts.resultsDir ?? join(root, 'results');
  const dataDir = opts.dataDir ?? join(root, 'data');
  const cacheDir = opts.cacheDir ?? join(root, 'cache');
  let server: WebServer;
  try {
    server = await startWebServer({
      ...opts,
      resultsDir,
      dataDir,
      cacheDir,
      staticDir: opts.staticDir ?? defaultStaticDir(),
    });
  } catch (e) {
    rmSync(root, { recursive: true, force: true });
    throw e;
  }
  return {
    ...server,
    resultsDir,
    dataDir,
    cacheDir,
    async call(method, request) {
      const res = await fetch(`${server.origin}/api/${method}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(request),
      });
      return { status: res.status, body: (await res.json()) as never };
    },
    async close() {
      try {
        await server.close();
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Everything the server sent, as text. */
  text: string;
}

/**
 * Sends `request` byte for byte on a fresh TCP connection to 127.0.0.1:`port` and reads until the
 * server closes (or `timeoutMs`): nothing is normalized, so an encoded path, a raw backslash, a
 * bad or missing Host header or a malformed request line reach the server exactly as written.
 * `status` is 0 when the server closed without answering.
 */
export function rawSocketRequest(
  port: number,
  request: string | Buffer,
  opts: { timeoutMs?: number; host?: string; localAddress?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ port, host: opts.host ?? '127.0.0.1', localAddress: opts.localAddress });
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(parseRawResponse(Buffer.concat(chunks).toString('latin1')));
    };
    const timer = setTimeout(done, opts.timeoutMs ?? 5000);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // A reset after the answer still counts as the answer.
      if (chunks.length) done();
      else {
        clearTimeout(timer);
        reject(e);
      }
    });
  });
}

/** Status, headers (lower-cased names) and body of a raw HTTP/1.1 response, or status 0 for nothing. */
export function parseRawResponse(text: string): RawResponse {
  const m = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(text);
  if (!m) return { status: 0, headers: {}, body: '', text };
  const end = text.indexOf('\r\n\r\n');
  const head = text.slice(m[0].length, end === -1 ? text.length : end);
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(m[1]), headers, body: end === -1 ? '' : text.slice(end + 4), text };
}
