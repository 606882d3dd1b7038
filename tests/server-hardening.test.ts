// The web mode's weaknesses 2, 3 and 4 of issue 19, each sent to a real server on 127.0.0.1:
// - settings: a request too deep or too large is refused before anything is written; a settings
//   file that cannot be read (too deep, too large, not the schema) gives the defaults with a
//   message, is moved aside, and settings work again, across a restart too;
// - the token throttle: wrong tokens are throttled, the right one never;
// - uploads: streamed to a temporary file, refused while streaming past the limit (the server's
//   memory stays far below the upload's size), partial files deleted, one upload per client.
import { timingSafeEqual } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { graphToOnnx } from '../shared/onnx/writer.js';
import { buildTarget } from '../shared/targets.js';
import { MAX_SETTINGS_BYTES, MAX_SETTINGS_DEPTH } from '../main/api/settings.js';
import { uploadDir } from '../main/api/files.js';
import { AUTH_FAILURE_LIMIT, MAX_TOKEN_CHARS, UploadSlots } from '../main/server/server.js';
import { rawSocketRequest, startTestServer, type TestServer } from './helpers/web-server.js';

// The real crypto, with timingSafeEqual watched: an oversized token must not even be hashed.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, default: actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const root = mkdtempSync(join(tmpdir(), 'server-hardening-'));
const staticDir = join(root, 'renderer');
mkdirSync(staticDir, { recursive: true });
writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>studio</title>');
let n = 0;

const servers: TestServer[] = [];
async function start(opts: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const s = await startTestServer({ staticDir, ...opts });
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  vi.restoreAllMocks();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** POST /api/<method> with a JSON body (as text) and the given token (null: none). */
function post(s: TestServer, method: string, body: string, token: string | null = s.token): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: s.port,
        method: 'POST',
        path: `/api/${method}`,
        agent: false,
        headers: {
          Host: `127.0.0.1:${s.port}`,
          'Content-Type': 'application/json',
          ...(token === null ? {} : { Authorization: `Bearer ${token}` }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const message = (a: Answer): string => (JSON.parse(a.body) as { error: { message: string } }).error.message;

/** `{a: {a: ... {} }}`, `depth` objects deep (built as text: no recursion anywhere). */
const deepObject = (depth: number, key = 'a') => `${`{"${key}":`.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;

/** Polls until `check` holds (or fails after `ms`). */
async function eventually(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('the condition did not hold in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('settings: bounded before writing, and an unreadable file never breaks them', () => {
  it(`refuses a lastBench nested 3,000 levels, saying why, and writes nothing`, async () => {
    const s = await start();
    const settingsFile = join(s.dataDir, 'settings.json');
    for (const lastBench of [deepObject(3000), `{"sweep":{"block":"b","param":"p","base":${deepObject(3000)}}}`]) {
      const r = await post(s, 'settings.set', `{"theme":"dark","lastBench":${lastBench}}`);
      expect(r.status).toBe(400);
      expect(message(r)).toMatch(
        new RegExp(
          `the settings sent nest deeper than ${MAX_SETTINGS_DEPTH} levels \\(at lastBench\\..*nothing was saved`,
        ),
      );
      expect(existsSync(settingsFile)).toBe(false);
    }
    // Settings still work, and nothing of the refused requests was kept.
    expect((await post(s, 'settings.get', '{}')).status).toBe(200);
    const ok = await post(s, 'settings.set', '{"lastBench":{"batches":[1,8],"fromAnOlderStudio":{"x":1}}}');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ theme: 'system', lastBench: { batches: [1, 8] } });
    expect(JSON.parse(readFileSync(settingsFile, 'utf8'))).toEqual({ theme: 'system', lastBench: { batches: [1, 8] } });
  });

  it(`refuses settings that would take more than ${MAX_SETTINGS_BYTES / 1024} KiB, keeping the saved ones`, async () => {
    const s = await start();
    await post(s, 'settings.set', '{"theme":"dark"}');
    const before = readFileSync(join(s.dataDir, 'settings.json'), 'utf8');
    const targets = Array.from({ length: 500 }, (_, i) => ({
      kind: 'block',
      name: 'pointwise',
      params: { note: `${i}`.padEnd(1000, 'x') },
    }));
    const r = await post(s, 'settings.set', JSON.stringify({ lastBench: { targets } }));
    expect(r.status).toBe(400);
    expect(message(r)).toMatch(/over the 256 KiB allowed.*nothing was saved/);
    expect(readFileSync(join(s.dataDir, 'settings.json'), 'utf8')).toBe(before);
    // A form within the bounds is kept; a field that does not fit is dropped, not the whole form.
    const fits = await post(
      s,
      'settings.set',
      JSON.stringify({ lastBench: { targets: targets.slice(0, 2), batches: [0], preset: 'quick' } }),
    );
    expect(fits.status).toBe(200);
    expect(JSON.parse(fits.body).lastBench).toEqual({ targets: targets.slice(0, 2), preset: 'quick' });
  });

  const deep3000 = deepObject(3000);
  const hostile: [string, () => string, RegExp][] = [
    // What the old server wrote (3,000 levels, pretty-printed): 18 MB, never read into memory.
    ['an 18 MB, 3,000-level file', () => JSON.stringify({ lastBench: JSON.parse(deep3000) }, null, 2), /MiB/],
    // Small but 3,000 levels deep under a key the schema does not name.
    ['a 3,000-level file', () => `{"theme":"dark","lastBench":{"old":${deep3000}}}`, /nests deeper than 16 levels/],
    ['a file the schema refuses', () => '{"theme":"neon","lastBench":"x"}', /theme/],
    ['a file that is not JSON', () => '{"theme": "dark", oops', /JSON/],
  ];
  it.each(hostile)(
    '%s gives the defaults with a message, is moved aside, and settings work again, also after a restart',
    async (_name, content, reason) => {
      const dataDir = join(root, `data-${n++}`);
      mkdirSync(dataDir, { recursive: true });
      const text = content();
      writeFileSync(join(dataDir, 'settings.json'), text);
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      let s = await start({ dataDir });
      const got = await post(s, 'settings.get', '{}');
      expect(got.status).toBe(200);
      // The defaults, and the reason for the page (said once there).
      const body = JSON.parse(got.body) as { theme: string; problem?: string };
      expect(body.theme).toBe('system');
      expect(Object.keys(body).sort()).toEqual(['problem', 'theme']);
      expect(body.problem).toMatch(reason);
      const aside = readdirSync(dataDir).filter((f) => f.startsWith('settings.json.corrupt-'));
      expect(aside).toHaveLength(1);
      expect(readFileSync(join(dataDir, aside[0]), 'utf8')).toBe(text);
      expect(warn).toHaveBeenCalledTimes(1);
      const said = String(warn.mock.calls[0][0]);
      expect(said).toMatch(reason);
      expect(said).toContain(aside[0]);
      expect(said).toMatch(/using the defaults/);
      const set = await post(s, 'settings.set', '{"theme":"light","lastView":"benchmark"}');
      expect(set.status).toBe(200);
      // A restart of the server (a new API on the same data folder) reads what was saved.
      await s.close();
      servers.splice(servers.indexOf(s), 1);
      s = await start({ dataDir });
      expect(JSON.parse((await post(s, 'settings.get', '{}')).body)).toEqual({ theme: 'light', lastView: 'benchmark' });
      expect((await post(s, 'settings.set', '{"theme":"dark"}')).status).toBe(200);
      expect(warn).toHaveBeenCalledTimes(1);
    },
  );
});

describe('the token throttle', () => {
  it('throttles wrong tokens but accepts the right one at once, on the API and the WebSocket', async () => {
    const s = await start();
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) statuses.push((await post(s, 'app.info', '{}', `wrong-${i}`)).status);
    expect(statuses.slice(0, AUTH_FAILURE_LIMIT).every((x) => x === 401)).toBe(true);
    expect(statuses.slice(AUTH_FAILURE_LIMIT).every((x) => x === 429)).toBe(true);
    const missing = await post(s, 'app.info', '{}', null);
    expect(missing.status).toBe(429);
    expect(missing.headers['retry-after']).toBeDefined();
    // The right token, right after the flood: accepted immediately.
    const started = Date.now();
    const right = await post(s, 'app.info', '{}');
    expect(right.status).toBe(200);
    expect(JSON.parse(right.body).mode).toBe('web');
    expect(Date.now() - started).toBeLessThan(1000);
    const ws = await rawSocketRequest(
      s.port,
      [
        `GET /events?token=${encodeURIComponent(s.token)} HTTP/1.1`,
        `Host: 127.0.0.1:${s.port}`,
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version: 13',
        '',
        '',
      ].join('\r\n'),
      { timeoutMs: 300 },
    );
    expect(ws.status).toBe(101);
    // Still throttled for the wrong ones.
    expect((await post(s, 'app.info', '{}', 'wrong-again')).status).toBe(429);
  });

  it(`does not even hash a token over ${MAX_TOKEN_CHARS} characters`, async () => {
    const s = await start();
    const spy = vi.mocked(timingSafeEqual);
    spy.mockClear();
    expect((await post(s, 'app.info', '{}', 'x'.repeat(8000))).status).toBe(401);
    expect(spy).not.toHaveBeenCalled();
    expect((await post(s, 'app.info', '{}', 'x'.repeat(100))).status).toBe(401);
    expect(spy).toHaveBeenCalledTimes(1);
  });
});

describe('uploads: streamed to a file, limited while streaming, one at a time per client', () => {
  const MiB = 1024 ** 2;
  const model = graphToOnnx(
    buildTarget({ target: 'pointwise', set: { height: '8', width: '8', channels: '16', out: '8' } }),
  );

  /** Starts POST /api/files.importModel; returns the request (to write to) and its answer. */
  function startUpload(
    s: TestServer,
    opts: { name?: string; length?: number; path?: string } = {},
  ): { req: ClientRequest; answer: Promise<Answer> } {
    let req!: ClientRequest;
    const answer = new Promise<Answer>((resolve, reject) => {
      let answered = false;
      req = httpRequest(
        {
          host: '127.0.0.1',
          port: s.port,
          method: 'POST',
          path: opts.path ?? `/api/files.importModel?name=${encodeURIComponent(opts.name ?? 'model.onnx')}`,
          agent: false,
          headers: {
            Host: `127.0.0.1:${s.port}`,
            Authorization: `Bearer ${s.token}`,
            'Content-Type': 'application/octet-stream',
            ...(opts.length === undefined ? {} : { 'Content-Length': opts.length }),
          },
        },
        (res) => {
          answered = true;
          const chunks: Buffer[] = [];
          const done = () =>
            resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', done);
          res.on('error', done);
        },
      );
      req.on('error', (e) => {
        if (!answered) reject(e);
      });
    });
    return { req, answer };
  }

  /** Writes `total` bytes from one reused 64 KiB buffer (nothing allocated per chunk), until the server hangs up. */
  function stream(req: ClientRequest, total: number, end = true): Promise<number> {
    const chunk = Buffer.alloc(64 * 1024, 7);
    let sent = 0;
    return new Promise((resolve) => {
      const next = () => {
        while (sent < total && !req.destroyed) {
          const part = chunk.subarray(0, Math.min(chunk.length, total - sent));
          sent += part.length;
          if (!req.write(part)) return void req.once('drain', next);
        }
        if (end && !req.destroyed) req.end();
        resolve(sent);
      };
      req.once('close', () => resolve(sent));
      next();
    });
  }

  const uploadFiles = (s: TestServer) => {
    const dir = uploadDir(s.cacheDir);
    return existsSync(dir) ? readdirSync(dir) : [];
  };
  const modelFolders = (s: TestServer) => {
    const dir = join(s.cacheDir, 'models');
    return existsSync(dir) ? readdirSync(dir) : [];
  };

  it('refuses 20 MiB past a 1 MiB limit while streaming, with the server memory far below the upload', async () => {
    const s = await start({ uploads: { maxBytes: MiB } });
    const size = 20 * MiB;
    const base = process.memoryUsage();
    let peakArrayBuffers = base.arrayBuffers;
    let peakRss = base.rss;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakArrayBuffers = Math.max(peakArrayBuffers, m.arrayBuffers);
      peakRss = Math.max(peakRss, m.rss);
    }, 2);
    try {
      // Chunked: no Content-Length to refuse up front, the server must count.
      const { req, answer } = startUpload(s, { name: 'big.onnx' });
      void stream(req, size);
      const r = await answer;
      expect(r.status).toBe(413);
      expect(message(r)).toMatch(/the model file is larger than the 1 MiB allowed/);
    } finally {
      clearInterval(sampler);
    }
    const grewAB = peakArrayBuffers - base.arrayBuffers;
    const grewRss = peakRss - base.rss;
    console.log(
      `refused 20 MiB upload (1 MiB limit): peak growth arrayBuffers ${(grewAB / MiB).toFixed(2)} MiB, rss ${(grewRss / MiB).toFixed(2)} MiB`,
    );
    // Buffered whole, the upload alone would be 20 MiB (twice that once concatenated).
    expect(grewAB).toBeLessThan(6 * MiB);
    expect(grewRss).toBeLessThan(size);
    // The partial file is gone, and nothing was imported.
    await eventually(() => uploadFiles(s).length === 0);
    expect(modelFolders(s)).toEqual([]);
    // A declared length over the limit is refused before any byte is read (no file made at all).
    const declared = startUpload(s, { name: 'big.onnx', length: size });
    void stream(declared.req, 64 * 1024);
    expect((await declared.answer).status).toBe(413);
    expect(uploadFiles(s)).toEqual([]);
    // And a normal upload still works.
    const ok = startUpload(s, { name: 'small.onnx', length: model.length });
    ok.req.end(model);
    const opened = await ok.answer;
    expect(opened.status).toBe(200);
    expect(JSON.parse(opened.body)).toMatchObject({ name: 'small.onnx', sizeBytes: model.length });
    expect(modelFolders(s)).toHaveLength(1);
    expect(uploadFiles(s)).toEqual([]);
  });

  it('answers a second upload from the same client 429 while the first streams; a cut-off upload leaves nothing', async () => {
    const s = await start();
    const first = startUpload(s, { name: 'first.onnx', length: 4 * MiB });
    const firstAnswer = first.answer.catch((e: Error) => e);
    void stream(first.req, 256 * 1024, false);
    // The first is being received into a temporary file.
    await eventually(() => uploadFiles(s).length === 1);
    const second = startUpload(s, { name: 'second.onnx', length: model.length });
    second.req.end(model);
    const refused = await second.answer;
    expect(refused.status).toBe(429);
    expect(message(refused)).toMatch(/another model upload from this machine is still being received/);
    // The first hangs up before sending what it declared: its partial file is deleted, its slot freed.
    first.req.destroy();
    expect(await firstAnswer).toBeInstanceOf(Error);
    await eventually(() => uploadFiles(s).length === 0);
    const third = startUpload(s, { name: 'third.onnx', length: model.length });
    third.req.end(model);
    expect((await third.answer).status).toBe(200);
    expect(modelFolders(s)).toHaveLength(1);
  });

  it('drops an upload that stalls, and handles a Content-Length shorter than the body', async () => {
    const s = await start({ uploads: { idleMs: 300 } });
    const stalled = startUpload(s, { name: 'stalled.onnx', length: MiB });
    void stream(stalled.req, 64 * 1024, false);
    const r = await stalled.answer;
    expect(r.status).toBe(408);
    expect(message(r)).toMatch(/stopped arriving/);
    await eventually(() => uploadFiles(s).length === 0);
    // Declares 100 bytes, sends the whole model: the server takes 100 bytes (not a model) and no more.
    const short = startUpload(s, { name: 'short.onnx', length: 100 });
    short.req.on('error', () => {});
    short.req.end(Buffer.concat([model, model]).subarray(0, 100));
    const answered = await short.answer;
    expect(answered.status).toBe(400);
    expect(message(answered)).toMatch(/short\.onnx/);
    await eventually(() => uploadFiles(s).length === 0);
    expect(modelFolders(s)).toEqual([]);
    // Over a raw socket, with the rest of the body sent after the declared length (it is not a request).
    const wire =
      [
        'POST /api/files.importModel?name=lying.onnx HTTP/1.1',
        `Host: 127.0.0.1:${s.port}`,
        `Authorization: Bearer ${s.token}`,
        'Content-Type: application/octet-stream',
        'Content-Length: 100',
        '',
        '',
      ].join('\r\n') + Buffer.from(model).toString('latin1');
    const lying = await rawSocketRequest(s.port, Buffer.from(wire, 'latin1'), { timeoutMs: 2000 });
    expect(lying.status).toBeGreaterThanOrEqual(400);
    await eventually(() => uploadFiles(s).length === 0);
    expect(modelFolders(s)).toEqual([]);
    expect((await post(s, 'app.info', '{}')).status).toBe(200);
  });

  it('reads one results.import at a time per client', async () => {
    const s = await start();
    const { req, answer } = startUpload(s, { path: '/api/results.import', length: 2 * MiB });
    req.setHeader('Content-Type', 'application/json');
    const firstAnswer = answer.catch((e: Error) => e);
    void stream(req, 64 * 1024, false);
    await new Promise((r) => setTimeout(r, 100));
    const second = await post(s, 'results.import', JSON.stringify({ name: 'r.json', text: '{}' }));
    expect(second.status).toBe(429);
    expect(message(second)).toMatch(/another results import from this machine/);
    req.destroy();
    await firstAnswer;
    // Once the server has seen the hang-up, the slot is free: the next import is read and answered
    // (400: '{}' is not a report).
    let third = await post(s, 'results.import', JSON.stringify({ name: 'r.json', text: '{}' }));
    for (let i = 0; i < 50 && third.status === 429; i++) {
      await new Promise((r) => setTimeout(r, 20));
      third = await post(s, 'results.import', JSON.stringify({ name: 'r.json', text: '{}' }));
    }
    expect(third.status).toBe(400);
    expect(message(third)).toMatch(/r\.json/);
  });

  it('removes, when it starts, the partial uploads a killed server left (never a live one)', async () => {
    const cacheDir = join(root, `cache-${n++}`);
    const dir = uploadDir(cacheDir);
    mkdirSync(dir, { recursive: true });
    const dead = join(dir, '.upload.999999999.0123456789abcdef.tmp');
    // Another process that runs (this one's parent): its upload may be in progress.
    const live = join(dir, `.upload.${process.ppid}.fedcba9876543210.tmp`);
    for (const f of [dead, live]) {
      writeFileSync(f, 'partial');
      utimesSync(f, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    }
    await start({ cacheDir });
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });

  it('keeps one slot per client and a bound in all', () => {
    const slots = new UploadSlots(2);
    const a = slots.take('127.0.0.0/8');
    expect(typeof a).toBe('function');
    expect(slots.take('127.0.0.0/8')).toBe('client');
    const b = slots.take('::1');
    expect(typeof b).toBe('function');
    expect(slots.take('other')).toBe('total');
    (a as () => void)();
    (a as () => void)();
    expect(slots.size).toBe(1);
    expect(typeof slots.take('127.0.0.0/8')).toBe('function');
  });
});
