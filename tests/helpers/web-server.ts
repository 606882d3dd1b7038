// Starts the web-mode server in-process for tests: a temporary results folder and data/cache
// folder (removed on close), the given static folder (default: the built renderer, dist/renderer),
// and the usual token. End-to-end tests in Chromium open `url`; API tests use `call()` (fetch with
// the bearer token).
import { mkdtempSync, rmSync } from 'node:fs';
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
