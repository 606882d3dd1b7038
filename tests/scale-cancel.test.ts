// Issue 19: a huge sweep, then cancel, hung the server. Now a sweep past SWEEP_LIMITS.hardCap is
// refused before anything is built (by the shared sweep, the service and the API alike), duplicate
// values are merged before counting, cancelling thousands of queued jobs takes well under a second
// while the API keeps answering, writes one file (the job that was running) instead of one per job,
// and the results store saves without listing its folder. No real worker runs here: the spawner's
// processes never start, so the first job waits until it is cancelled.
import * as realFs from 'node:fs';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiEvents } from '../shared/contract/api.js';
import { jobLabel, JobSpecSchema } from '../shared/contract/job.js';
import { checkSweepSize, expandSweep, SWEEP_LIMITS, sweepAxes } from '../shared/bench/sweep.js';
import { StudioError } from '../shared/ir/types.js';
import type { StudioApiHost } from '../main/api/studio-api.js';
import type { JobProcess, ProcessExit, Spawner } from '../main/process/spawner.js';
import { JobQueue, QUEUE_YIELD_MS } from '../main/engine/queue.js';
import { BenchService } from '../main/services/bench.js';
import { ResultsService } from '../main/services/results.js';
import { INDEX_FILE, INDEX_WRITE_AFTER, ResultsStore } from '../main/store/results-store.js';
import { fakeMachine, fakeResult } from './helpers/fake-results.js';
import { apiError, studioApis, recordEvents as record } from './helpers/studio-api.js';

// Counts the folder listings the stores make (the results store must not list on save) and the
// JSON files they open.
const io = vi.hoisted(() => ({ listings: 0, opened: [] as string[] }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const wrapped = {
    ...fs,
    readdirSync: ((...args: Parameters<typeof fs.readdirSync>) => {
      io.listings++;
      return fs.readdirSync(...args);
    }) as typeof fs.readdirSync,
    openSync: ((...args: Parameters<typeof fs.openSync>) => {
      if (String(args[0]).endsWith('.json')) io.opened.push(String(args[0]));
      return fs.openSync(...args);
    }) as typeof fs.openSync,
  };
  return { ...wrapped, default: wrapped };
});

/** Worker processes that never start: a job waits until it is cancelled (its kill ends it). */
class NeverStartingSpawner implements Spawner {
  started = 0;
  start(): JobProcess {
    this.started++;
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

const machine = fakeMachine();
const { makeApi } = studioApis('scale-cancel', {
  machine: async () => machine,
  availableMemory: async () => undefined,
});
const dir = mkdtempSync(join(tmpdir(), 'scale-cancel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());
let n = 0;
const folder = () => join(dir, `f${n++}`);

const block = (out: number) => ({ kind: 'block' as const, name: 'pointwise', params: { height: 8, width: 8, out } });
const range = (k: number, from = 1) => Array.from({ length: k }, (_, i) => i + from);
/** The reported sweep: 50 targets x 20 backends x 64 batches = 64,000 jobs. */
const huge = {
  targets: range(50).map(block),
  backends: range(20).map((t) => ({ backend: 'ort-cpu' as const, intraOpThreads: t })),
  batches: range(64),
};
const CAP_MESSAGE =
  /^a run of 64,000 jobs \(50 targets x 20 backends x 64 batches\) is past the cap of 10,000: split it or use fewer values$/;

/** Calls app.info every few ms until stopped; the latency of each is measured from when it was due. */
function probe(api: StudioApiHost) {
  const latencies: number[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const due = performance.now() + 5;
      await new Promise((r) => setTimeout(r, 5));
      await api.call('app.info', {});
      latencies.push(performance.now() - due);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      const sorted = [...latencies].sort((a, b) => a - b);
      return { n: sorted.length, p50: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted.at(-1) ?? 0 };
    },
  };
}

const jsonFiles = (d: string) => readdirSync(d).filter((f) => f.endsWith('.json') && !f.startsWith('.'));

describe('the sweep cap (SWEEP_LIMITS.hardCap), counted before anything is built', () => {
  it('refuses 64,000 jobs in the shared sweep, the service and the API, naming the count, the cap and the axes', async () => {
    expect(SWEEP_LIMITS.hardCap).toBe(10_000);
    const built = vi.spyOn(JobSpecSchema, 'parse');
    expect(() => expandSweep(huge)).toThrow(CAP_MESSAGE);

    const service = new BenchService({ results: new ResultsService(folder()) });
    let err: unknown;
    try {
      service.plan(huge);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StudioError);
    expect((err as StudioError).code).toBe('bad-parameter');
    expect((err as Error).message).toMatch(CAP_MESSAGE);
    // Not one job, nor one pre-flight probe of a target, was built.
    expect(built).not.toHaveBeenCalled();

    const api = makeApi({ spawner: new NeverStartingSpawner() });
    const e = await apiError(api.call('bench.start', huge));
    expect(e.code).toBe('bad-request');
    expect(e.message).toMatch(CAP_MESSAGE);
    expect(await api.call('bench.queue', {})).toEqual({ runs: [], jobs: [] });
  });

  it('counts exactly: the cap itself is accepted, one more is refused; repetitions and precisions count', () => {
    const axes = { targets: 10, backends: 10, batches: 10, threads: 10, precisions: 1, repetitions: 1 };
    expect(checkSweepSize(axes)).toBe(10_000);
    expect(() => checkSweepSize({ ...axes, precisions: 2 })).toThrow(
      /^a run of 20,000 jobs \(10 targets x 10 backends x 10 batches x 10 thread counts x 2 precisions\) is past the cap of 10,000/,
    );
    expect(() =>
      expandSweep({
        targets: [block(8)],
        backends: ['ort-cpu'],
        batches: range(64),
        threads: range(64),
        repetitions: 3,
      }),
    ).toThrow(/^a run of 12,288 jobs \(1 target x 1 backend x 64 batches x 64 thread counts x 3 repetitions\)/);
  });

  it('merges duplicate targets, backends, batches, threads and precisions before expanding and counting', () => {
    const jobs = expandSweep({
      targets: [block(8), block(8)],
      backends: ['ort-cpu', { backend: 'ort-cpu' }],
      batches: [1, 1, 2],
      threads: [1, 1],
      precisions: ['fp32', 'fp32'],
    });
    expect(jobs.map((j) => [j.batch, j.backend.intraOpThreads])).toEqual([
      [1, 1],
      [2, 1],
    ]);
    // With threads given, backends that differ only in their own thread count are one.
    expect(
      sweepAxes({
        targets: [block(8)],
        backends: [
          { backend: 'ort-cpu', intraOpThreads: 2 },
          { backend: 'ort-cpu', intraOpThreads: 4 },
        ],
        threads: [1],
      }).backends,
    ).toBe(1);
    // The service: two identical backends run (and count) once.
    const service = new BenchService({ results: new ResultsService(folder()) });
    const plan = service.plan({ targets: [block(8)], backends: ['ort-cpu', 'ort-cpu'], batches: [1, 2] });
    expect(plan.jobs).toHaveLength(2);
    // 20 copies of one backend x 64 batches x 50 targets is 3,200 jobs once merged: under the cap.
    expect(
      sweepAxes({ ...huge, backends: range(20).map(() => ({ backend: 'ort-cpu' as const, intraOpThreads: 1 })) }),
    ).toMatchObject({ targets: 50, backends: 1, batches: 64 });
  });
});

describe('cancelling thousands of queued jobs', () => {
  it('cancels 3,000 jobs in well under 3 s, answering app.info meanwhile, with one file written, all shown cancelled', async () => {
    const spawner = new NeverStartingSpawner();
    const api = makeApi({ spawner });
    const { events, waitFor } = record(api);
    // 1 target x 1 backend x 50 thread counts x 60 repetitions = 3,000 jobs (one pre-flight build).
    const run = await api.call('bench.start', {
      targets: [block(8)],
      backends: ['ort-cpu'],
      threads: range(50),
      repetitions: 60,
    });
    expect(run.jobs).toHaveLength(3000);
    await waitFor((e) => e.event === 'bench.job-start');
    expect(spawner.started).toBe(1);

    const timing = probe(api);
    await new Promise((r) => setTimeout(r, 30));
    const t0 = performance.now();
    const { cancelled } = await api.call('bench.cancel', { runId: run.runId });
    const answered = performance.now() - t0;
    await waitFor((e) => e.event === 'bench.run-end');
    const took = performance.now() - t0;
    const latency = await timing.stop();
    console.log(
      `cancel of 3,000 jobs: answered in ${answered.toFixed(1)} ms, all ended in ${took.toFixed(0)} ms; ` +
        `app.info meanwhile: ${latency.n} calls, p50 ${latency.p50.toFixed(1)} ms, max ${latency.max.toFixed(1)} ms`,
    );
    expect(cancelled).toBe(3000);
    expect(took).toBeLessThan(3000);
    // Generous for a loaded 2-core machine; the queue gives the event loop a turn every 10 ms.
    expect(latency.max).toBeLessThan(200);
    expect(spawner.started).toBe(1);

    const end = events.find((e) => e.event === 'bench.run-end')!.payload;
    expect(end).toEqual({ runId: run.runId, ok: 0, failed: 0, cancelled: 3000 });
    // Every job still ends with its own event (every view follows the same events)...
    expect(events.filter((e) => e.event === 'bench.job-end')).toHaveLength(3000);
    // ...but only the job that was running is a saved result: the others never started.
    const store = api.store;
    expect(jsonFiles(store.dir)).toHaveLength(1);
    const saved = (await api.call('results.list', {})).results;
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatchObject({ status: 'cancelled', group: run.runId });
    const changed = events.filter((e) => e.event === 'results.changed');
    expect(changed.flatMap((e) => (e.payload as ApiEvents['results.changed']).ids)).toEqual([saved[0].id]);

    // The board shows every job cancelled, and the run's counts.
    const board = await api.call('bench.queue', {});
    expect(board.runs).toMatchObject([
      { runId: run.runId, ended: true, counts: { ok: 0, failed: 0, cancelled: 3000 } },
    ]);
    expect(board.jobs).toHaveLength(3000);
    expect(board.jobs.every((j) => j.status === 'cancelled' && !j.cancelRequested)).toBe(true);
  }, 60_000);

  it('the service outcome lists every job, counts the never-started ones, and saves only what ran', async () => {
    const results = new ResultsService(folder());
    const service = new BenchService({
      results,
      spawner: new NeverStartingSpawner(),
      machine: async () => machine,
      availableMemory: async () => undefined,
    });
    const started = new Promise<void>((r) => service.on('job-start', () => r()));
    const run = service.start({ targets: [block(8)], backends: ['ort-cpu'], threads: range(10), repetitions: 50 });
    await started;
    expect(service.cancel(run.id)).toBe(500);
    const outcome = await run.done;
    expect(outcome.counts).toEqual({ ok: 0, failed: 0, cancelled: 500 });
    expect(outcome.results).toHaveLength(500);
    expect(outcome.neverStarted).toBe(499);
    expect(outcome.results.every((r) => r.status === 'cancelled' && r.failure?.kind === 'cancelled')).toBe(true);
    expect(outcome.results.slice(1).every((r) => r.failure?.reason === 'cancelled by the user before it started')).toBe(
      true,
    );
    // Each has its own id, job and label (copies of one template, never shared).
    expect(new Set(outcome.results.map((r) => r.id)).size).toBe(500);
    expect(outcome.results.every((r, i) => r.job.id === run.jobs[i].id && r.label === jobLabel(r.job))).toBe(true);
    expect(outcome.results[1].flags).not.toBe(outcome.results[2].flags);
    expect(jsonFiles(results.dir)).toHaveLength(1);
    expect(outcome.unsaved).toEqual([]);
  });

  it('the queue gives the event loop a turn while it drains, however slow the listeners of each job are', async () => {
    const q = new JobQueue({
      spawner: new NeverStartingSpawner(),
      machine: async () => machine,
      availableMemory: async () => undefined,
    });
    q.add(expandSweep({ targets: [block(8)], backends: ['ort-cpu'], threads: range(50), repetitions: 10 }));
    const started = new Promise<void>((r) => q.on('job-start', () => r()));
    // 1 ms of synchronous work per job end (a view serializing each event, say): 500 ms in all.
    q.on('job-end', () => {
      const until = performance.now() + 1;
      while (performance.now() < until);
    });
    const saved: boolean[] = [];
    const running = q.run();
    await started;
    let done = false;
    void running.then(() => (done = true));
    const late: number[] = [];
    const ticks = (async () => {
      while (!done) {
        const due = performance.now() + 1;
        await new Promise((r) => setTimeout(r, 1));
        late.push(performance.now() - due);
      }
    })();
    q.cancelAll();
    const results = await running;
    await ticks;
    for (const r of results) saved.push(r.status === 'cancelled');
    expect(saved).toHaveLength(500);
    expect(saved.every(Boolean)).toBe(true);
    // Without the turns, one timer would wait for all 500 ms.
    expect(late.length).toBeGreaterThan(5);
    expect(Math.max(...late)).toBeLessThan(QUEUE_YIELD_MS + 100);
  });

  it('dispose during a drain of 3,000 cancelled jobs ends at once, and timers keep running meanwhile', async () => {
    const api = makeApi({ spawner: new NeverStartingSpawner() });
    const { waitFor } = record(api);
    await api.call('bench.start', { targets: [block(8)], backends: ['ort-cpu'], threads: range(50), repetitions: 60 });
    await waitFor((e) => e.event === 'bench.job-start');
    // A timer due during the dispose (serve.ts's force-exit timer is one) must fire on time.
    let late = -1;
    const due = performance.now() + 20;
    const timer = new Promise<void>((r) =>
      setTimeout(() => {
        late = performance.now() - due;
        r();
      }, 20),
    );
    const t0 = performance.now();
    await api.dispose();
    const took = performance.now() - t0;
    await timer;
    expect(took).toBeLessThan(3000);
    expect(late).toBeLessThan(200);
    expect((await apiError(api.call('app.info', {}))).code).toBe('refused');
  }, 30_000);
});

describe('the results store at scale', () => {
  it('saves without listing its folder, and lists what others changed', () => {
    const d = folder();
    realFs.mkdirSync(d, { recursive: true });
    const base = fakeResult({ id: 'x', n: 20 });
    for (let i = 0; i < 2000; i++)
      writeFileSync(join(d, `2025-06-01_b${i}.json`), JSON.stringify({ ...base, id: `b${i}` }));
    const store = new ResultsStore(d);
    expect(store.list().results).toHaveLength(2000);

    io.listings = 0;
    for (let i = 0; i < 100; i++) store.save({ ...base, id: `s${i}`, createdAt: '2025-06-02T00:00:00.000Z' });
    expect(io.listings).toBe(0);
    // The same id under another date: replaced without a listing (the store knows its names).
    store.save({ ...base, id: 'b7', createdAt: '2025-06-03T00:00:00.000Z' });
    expect(io.listings).toBe(0);
    expect(store.get('s5').id).toBe('s5');
    expect(io.listings).toBe(0);
    const files = jsonFiles(d);
    expect(files).toContain('2025-06-03_b7.json');
    expect(files).not.toContain('2025-06-01_b7.json');

    // Another process adds one result, replaces one and damages one: the next listing sees all three.
    writeFileSync(join(d, '2025-06-01_other.json'), JSON.stringify({ ...base, id: 'other' }));
    const replaced = join(d, '2025-06-01_b1.json');
    writeFileSync(
      `${replaced}.new`,
      JSON.stringify({ ...base, id: 'b1', status: 'failed', samplesMs: [], stats: undefined }),
    );
    realFs.renameSync(`${replaced}.new`, replaced);
    writeFileSync(join(d, '2025-06-01_b2.json'), '{"damaged');
    const listed = store.list();
    expect(listed.results).toHaveLength(2000 + 100 + 1 - 1);
    expect(listed.results.find((r) => r.id === 'b1')?.status).toBe('failed');
    expect(listed.problems).toEqual([{ file: '2025-06-01_b2.json', reason: expect.stringMatching(/^not valid JSON/) }]);
    // A damaged file is never cached: it is reported on every listing.
    expect(store.list().problems).toHaveLength(1);
    expect(store.list({ status: 'failed' }).results.map((r) => r.id)).toEqual(['b1']);
    expect(store.load({ status: 'failed' }).results.map((r) => r.id)).toEqual(['b1']);
  });

  it('a fresh store reads the index instead of every file; a stale or damaged index is only a cache', () => {
    const d = folder();
    realFs.mkdirSync(d, { recursive: true });
    const base = fakeResult({ id: 'x', n: 20 });
    const count = INDEX_WRITE_AFTER + 100;
    for (let i = 0; i < count; i++)
      writeFileSync(join(d, `2025-06-01_i${i}.json`), JSON.stringify({ ...base, id: `i${i}` }));
    expect(new ResultsStore(d).list().results).toHaveLength(count);
    expect(readdirSync(d)).toContain(INDEX_FILE);

    io.opened = [];
    const fresh = new ResultsStore(d);
    const summaries = fresh.list().results;
    expect(summaries).toHaveLength(count);
    // Only the index file itself was opened (not 600 results).
    expect(io.opened.map((p) => p.split(/[\\/]/).pop())).toEqual([INDEX_FILE]);

    // A file changed behind the index's back is read again; a damaged index is ignored.
    writeFileSync(join(d, '2025-06-01_i3.json'), JSON.stringify({ ...base, id: 'i3', label: 'changed' }));
    expect(new ResultsStore(d).list().results.find((r) => r.id === 'i3')?.label).toBe('changed');
    writeFileSync(join(d, INDEX_FILE), '{"schema":"bottleneck-studio/results-index","version":1,"entries":[["x');
    const again = new ResultsStore(d).list();
    expect(again.results).toHaveLength(count);
    expect(again.problems).toEqual([]);
  });
});
