// Does the results folder stay fast as it grows, and does cancelling a big sweep keep the server
// answering? (Issue 19: cancelling a sweep of 64,000 jobs saved each one through a save that listed
// and sorted the whole folder, O(n^2), and held the event loop for minutes.)
//
// For each size (default 1,000, 10,000 and 100,000 stored results, generated as fake result files):
// - open: a ResultsStore on the folder (one listing, the temporary-file sweep);
// - list cold: the first listing, every file read (no index yet); list warm: the same store again;
//   list index: a fresh store (a new CLI process) reading the index file; list filter: a backend and
//   a time window (about 1% match); load filter: the same, the matching results read in full;
// - save one, get one: median of 20;
// - the cancel of a 10,000-job sweep through the real web server (HTTP + a WebSocket client
//   receiving every event), its results folder being this one, with a spawner whose workers never
//   start (nothing is measured): the time to answer bench.start and bench.cancel, the time until
//   bench.run-end reaches the client, and the latency of app.info (HTTP, one call every 5 ms,
//   measured from when it was due) while the cancel drains: p50 and max; the files the cancel
//   added; and the time the server then takes to close. The client runs in a worker thread (its
//   own event loop, like a browser's).
// Then each figure's growth from one size to the next against the growth of the folder: 10x the
// results should cost at most 10x (listing: O(n)), a save or a get about 1x (O(1)), the cancel 1x.
//
//   npm run bench:scale                        (1,000, 10,000 and 100,000: a few minutes, ~0.3 GB)
//   SCALE_SIZES=1000,10000 npm run bench:scale
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BenchResult } from '../shared/contract/result.js';
import type { JobProcess, ProcessExit, Spawner } from '../main/process/spawner.js';
import { startWebServer } from '../main/server/server.js';
import { ResultsStore } from '../main/store/results-store.js';
import { fakeMachine, fakeResult } from '../tests/helpers/fake-results.js';

const SIZES = (process.env.SCALE_SIZES ?? '1000,10000,100000').split(',').map(Number);
type Row = Record<string, number>;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = <T>(f: () => T): [number, T] => {
  const t0 = performance.now();
  const r = f();
  return [performance.now() - t0, r];
};
const medianOf = (k: number, f: (i: number) => unknown) =>
  median(Array.from({ length: k }, (_, i) => time(() => f(i))[0]));

/** Worker processes that never start: a job waits until it is cancelled. */
class NeverStartingSpawner implements Spawner {
  start(): JobProcess {
    let end!: (e: ProcessExit) => void;
    const exited = new Promise<ProcessExit>((resolve) => (end = resolve));
    return {
      pid: undefined,
      send() {},
      onMessage() {},
      onStderr() {},
      exited,
      kill: () => end({ code: null, signal: 'SIGKILL' }),
    };
  }
}

const DAY0 = Date.UTC(2025, 0, 1);
/** n result files as a long-used studio leaves them: two backends, a few targets, one per minute. */
function generate(dir: string, n: number): void {
  const base = fakeResult({ id: 'x', n: 20 });
  const cuda = fakeResult({ id: 'x', n: 20, backend: 'ort-cuda' });
  for (let i = 0; i < n; i++) {
    const createdAt = new Date(DAY0 + i * 60_000).toISOString();
    const id = `${createdAt.replace(/[-:.]/g, '')}-gen-${i}`;
    const from = i % 10 === 0 ? cuda : base;
    const r: BenchResult = { ...from, id, createdAt, job: { ...from.job, id: `gen-${i}`, batch: 1 + (i % 4) } };
    writeFileSync(join(dir, `${createdAt.slice(0, 10)}_${id}.json`), JSON.stringify(r, null, 2));
  }
}

const jsonFiles = (d: string) => readdirSync(d).filter((f) => f.endsWith('.json') && !f.startsWith('.')).length;

/**
 * The client side of the cancel, in a worker thread (its own event loop, as a browser would be: a
 * client in the server's thread would wait for the server's turns too): a WebSocket receiving every
 * event, app.info every 5 ms, the cancel, and the time until bench.run-end arrives.
 */
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const WebSocket = require(workerData.wsPath);
const { origin, port, token, runId } = workerData;
const call = async (method, body) => {
  const res = await fetch(origin + '/api/' + method, {
    method: 'POST',
    headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status !== 200) throw new Error(method + ': HTTP ' + res.status + ' ' + JSON.stringify(json));
  return json;
};
(async () => {
  const ws = new WebSocket('ws://127.0.0.1:' + port + '/events?token=' + encodeURIComponent(token), {
    headers: { Authorization: 'Bearer ' + token },
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let events = 0;
  let ended;
  const runEnd = new Promise((resolve) => (ended = resolve));
  ws.on('message', (raw) => {
    events++;
    // Parsed only when it may be the end: the client's own work must not count as the server's.
    if (raw.includes('"bench.run-end"') && JSON.parse(raw.toString('utf8')).event === 'bench.run-end')
      ended(performance.now());
  });
  const latencies = [];
  let probing = true;
  const prober = (async () => {
    while (probing) {
      const due = performance.now() + 5;
      await new Promise((r) => setTimeout(r, 5));
      await call('app.info', {});
      latencies.push(performance.now() - due);
    }
  })();
  await new Promise((r) => setTimeout(r, 50));
  const before = latencies.length;
  const t0 = performance.now();
  const { cancelled } = await call('bench.cancel', { runId });
  const cancelMs = performance.now() - t0;
  const drainMs = (await runEnd) - t0;
  await new Promise((r) => setTimeout(r, 20));
  probing = false;
  await prober;
  ws.close();
  parentPort.postMessage({ cancelled, cancelMs, drainMs, latencies: latencies.slice(before), events });
})().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
`;

async function cancelThroughServer(dir: string, repetitions = 100) {
  const jobs = 2 * 50 * repetitions;
  const staticDir = mkdtempSync(join(tmpdir(), 'scale-static-'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>bench</title>');
  const data = mkdtempSync(join(tmpdir(), 'scale-data-'));
  const server = await startWebServer({
    resultsDir: dir,
    dataDir: data,
    cacheDir: join(data, 'cache'),
    staticDir,
    spawner: new NeverStartingSpawner(),
    machine: async () => fakeMachine(),
    availableMemory: async () => undefined,
  });
  // The app with its Results view open has listed the folder: its summaries are in the server's memory.
  server.api.store.list();
  const filesBefore = jsonFiles(dir);
  const firstJob = new Promise<void>((resolve) => {
    const off = server.api.on('bench.job-start', () => (off(), resolve()));
  });
  const t0 = performance.now();
  // 1 target x 1 backend x 2 batches x 50 thread counts x 100 repetitions = 10,000 jobs.
  const res = await fetch(`${server.origin}/api/bench.start`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      targets: [{ kind: 'block', name: 'pointwise', params: { height: 8, width: 8, out: 8 } }],
      backends: ['ort-cpu'],
      batches: [1, 2],
      threads: Array.from({ length: 50 }, (_, i) => i + 1),
      repetitions,
    }),
  });
  const run = (await res.json()) as { runId: string; jobs: unknown[] };
  const startMs = performance.now() - t0;
  if (res.status !== 200 || run.jobs.length !== jobs) throw new Error(`bench.start: ${JSON.stringify(run)}`);
  await firstJob;

  const client = new Worker(CLIENT, {
    eval: true,
    workerData: {
      origin: server.origin,
      port: server.port,
      token: server.token,
      runId: run.runId,
      wsPath: createRequire(import.meta.url).resolve('ws'),
    },
  });
  const out = await new Promise<{
    error?: string;
    cancelled: number;
    cancelMs: number;
    drainMs: number;
    latencies: number[];
    events: number;
  }>((resolve, reject) => client.once('message', resolve).once('error', reject));
  await client.terminate();
  if (out.error) throw new Error(out.error);
  if (out.cancelled !== jobs) throw new Error(`cancelled ${out.cancelled} of ${jobs}`);
  const added = jsonFiles(dir) - filesBefore;
  const c0 = performance.now();
  await server.close();
  const closeMs = performance.now() - c0;
  rmSync(staticDir, { recursive: true, force: true });
  rmSync(data, { recursive: true, force: true });
  return {
    startMs,
    cancelMs: out.cancelMs,
    drainMs: out.drainMs,
    infoP50: median(out.latencies),
    infoMax: Math.max(...out.latencies),
    infoCalls: out.latencies.length,
    events: out.events,
    added,
    closeMs,
  };
}

const rows: { n: number; row: Row }[] = [];
console.log(
  `machine: ${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}, node ${process.version}; times in ms\n`,
);
/** The store's figures on a folder of n results (in a function: its summaries are garbage after). */
function measureStore(dir: string, n: number) {
  const [open, store] = time(() => new ResultsStore(dir));
  const [listCold, cold] = time(() => store.list());
  if (cold.results.length !== n) throw new Error(`listed ${cold.results.length} of ${n}`);
  const ids = Array.from({ length: 20 }, (_, i) => cold.results[Math.floor((i * n) / 20)].id);
  const listWarm = medianOf(3, () => store.list());
  const [listIndex] = time(() => new ResultsStore(dir).list());
  const filter = {
    backend: 'ort-cuda',
    since: new Date(DAY0).toISOString(),
    until: new Date(DAY0 + n * 60_000 * 0.1).toISOString(),
  };
  const matching = store.list(filter).results.length;
  const listFilter = medianOf(3, () => store.list(filter));
  const loadFilter = medianOf(3, () => store.load(filter));
  const template = fakeResult({ id: 'x', n: 20 });
  const save = medianOf(20, (i) =>
    store.save({ ...template, id: `saved-${i}`, createdAt: new Date(DAY0 + (n + i) * 60_000).toISOString() }),
  );
  const get = medianOf(20, (i) => store.get(ids[i]));
  const row: Row = {
    open,
    'list cold': listCold,
    'list warm': listWarm,
    'list index': listIndex,
    'list filter': listFilter,
    'load filter': loadFilter,
    'save one': save,
    'get one': get,
  };
  return { row, matching };
}

// A warm-up of the whole path (the first size's figures must not include compiling it).
{
  const warm = mkdtempSync(join(tmpdir(), 'results-scale-warm-'));
  generate(warm, 200);
  measureStore(warm, 200);
  await cancelThroughServer(warm, 10);
  rmSync(warm, { recursive: true, force: true });
}

for (const n of SIZES) {
  const dir = mkdtempSync(join(tmpdir(), `results-scale-${n}-`));
  mkdirSync(dir, { recursive: true });
  const [genMs] = time(() => generate(dir, n));
  process.stderr.write(`${n}: ${(genMs / 1000).toFixed(1)} s to write the files\n`);
  const { row, matching } = measureStore(dir, n);
  process.stderr.write(`${n}: the store done; cancelling a 10,000-job sweep through the web server\n`);
  const c = await cancelThroughServer(dir);
  rows.push({
    n,
    row: {
      ...row,
      'start 10k': c.startMs,
      'cancel answer': c.cancelMs,
      'cancel drain': c.drainMs,
      'info p50': c.infoP50,
      'info max': c.infoMax,
      dispose: c.closeMs,
    },
  });
  console.log(
    `${n} results: ${matching} match the filter; the cancel: ${c.infoCalls} app.info calls while it drained, ` +
      `${c.events} events on the WebSocket, ${c.added} file(s) added`,
  );
  rmSync(dir, { recursive: true, force: true });
}

const metrics = Object.keys(rows[0].row);
const fmt = (v: number) => (v < 10 ? v.toFixed(2) : v < 1000 ? v.toFixed(1) : v.toFixed(0));
const header = ['', ...rows.map((r) => `${r.n.toLocaleString('en-US')}`)];
for (let i = 1; i < rows.length; i++) header.push(`x${rows[i].n / rows[i - 1].n} growth`);
const table = metrics.map((m) => {
  const cells = [m, ...rows.map((r) => fmt(r.row[m]))];
  for (let i = 1; i < rows.length; i++) cells.push(`${(rows[i].row[m] / rows[i - 1].row[m]).toFixed(2)}x`);
  return cells;
});
const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
const line = (cells: string[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log('\n' + line(header));
for (const r of table) console.log(line(r));
console.log(
  '\nlist/load are O(n) (growth ~ the size ratio; cold reads every file, warm stats every file, index reads one file);' +
    '\nsave, get and the cancel should not grow with the folder (growth ~1x).',
);
