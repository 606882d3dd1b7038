// Real jobs in real worker processes (ONNX Runtime CPU): a measured result, profiling, cancel,
// injected faults (the worker's STUDIO_TEST_FAULT test hook), refusals. Measurement settings are
// small so that the whole file stays within seconds per job.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withUserMinimums, type JobSpecInput } from '../shared/contract/job.js';
import { ResultSchema, type BenchResult } from '../shared/contract/result.js';
import { costGraph } from '../shared/cost/cost-model.js';
import { buildTarget } from '../shared/targets.js';
import { writeOnnxFile } from '../main/onnx/onnx-file.js';
import { JobQueue, runJobs } from '../main/engine/queue.js';
import type { TestFault } from '../main/process/job-protocol.js';

const measure = { warmupRuns: 3, minRuns: 20, minTimeS: 0.2, maxTimeS: 2 };
const small = { height: 8, width: 8 };
let n = 0;
const job = (over: Partial<JobSpecInput> = {}): JobSpecInput => ({
  version: 1,
  id: `t${n++}`,
  target: { kind: 'block', name: 'pointwise', params: small },
  backend: { backend: 'ort-cpu', intraOpThreads: 1 },
  measure,
  ...over,
});
const tmp = mkdtempSync(join(tmpdir(), 'engine-jobs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** True once `pid` no longer runs (a zombie, killed but not yet reaped by its new parent, counts as gone). */
const gone = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] === 'Z';
  } catch {
    return true;
  }
};

/** SIGKILL is delivered asynchronously: a process killed a moment ago may take a few ms to end. */
async function allGone(pids: number[], withinMs = 2000): Promise<number[]> {
  const until = Date.now() + withinMs;
  for (;;) {
    const left = pids.filter((p) => !gone(p));
    if (left.length === 0 || Date.now() > until) return left;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Process ids in process group `pgid` (Linux /proc; elsewhere an empty list). */
function groupMembers(pgid: number): number[] {
  if (process.platform !== 'linux') return [];
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        // "pid (comm) state ppid pgrp ...": the comm may hold spaces, so split after its ')'.
        return readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]?.split(' ')[2] === String(pgid);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('jobs in worker processes', () => {
  it('measures the pointwise block on ort-cpu into a valid result', async () => {
    const phases = new Set<string>();
    const saved: BenchResult[] = [];
    const [r] = await runJobs([job()], {
      onResult: (res) => void saved.push(res),
      on: { progress: (e) => phases.add(e.progress.phase) },
    });
    expect(saved).toEqual([r]);
    expect(() => ResultSchema.parse(r)).not.toThrow();
    expect(r.status).toBe('ok');
    expect(r.label).toBe('pointwise:height=8,width=8 on ort-cpu, batch 1, 1 threads');
    expect(r.machine.cpu.threads).toBeGreaterThan(0);
    expect(r.runtime).toMatchObject({ name: 'onnxruntime-node', providers: ['CPUExecutionProvider'] });
    const cost = costGraph(buildTarget({ target: 'pointwise', set: { height: '8', width: '8' } })).totals;
    expect(r.cost).toMatchObject({ macs: cost.macs, flops: cost.flops, params: cost.params });
    expect(r.samplesMs.length).toBeGreaterThanOrEqual(20);
    // No minimum set by the user: the early stop on the confidence interval may end it.
    expect(['min-time-and-runs', 'ci-reached', 'max-time']).toContain(r.stopReason);
    const s = r.stats!;
    expect(s.n).toBe(r.samplesMs.length);
    expect(s.min).toBeGreaterThan(0);
    expect(s.min).toBeLessThanOrEqual(s.p50);
    expect(s.p50).toBeLessThanOrEqual(s.p99);
    expect(s.p50).toBeLessThan(100);
    expect(s.medianCi.low).toBeLessThanOrEqual(s.p50);
    expect(s.throughput).toBeCloseTo(1000 / s.p50);
    expect(s.gflops).toBeCloseTo(cost.flops / (s.p50 * 1e6));
    const cold = r.coldStart!;
    expect(cold.loadMs).toBeGreaterThan(0);
    expect(cold.sessionMs).toBeGreaterThan(0);
    expect(cold.firstRunMs).toBeGreaterThan(0);
    expect(r.warmup!.runs).toBe(3);
    const m = r.memory!;
    expect(m.baselineRssBytes).toBeGreaterThan(10e6);
    expect(m.peakRssBytes).toBeGreaterThanOrEqual(m.baselineRssBytes);
    expect(m.deltaBytes).toBe(m.peakRssBytes - m.baselineRssBytes);
    expect(m.estimatedBytes).toBe(cost.weightBytes + cost.peakActivationBytes);
    expect([...phases]).toEqual(expect.arrayContaining(['load', 'session', 'cold', 'warmup', 'measure']));
    expect(phases.has('profile')).toBe(false);
  });

  it('holds a minimum time the user set: no early stop on the confidence interval', async () => {
    // A tiny block reaches a 1% confidence interval within milliseconds; before the fix the early
    // stop ended this job long before the minimum time the user asked for.
    const measure = withUserMinimums({ warmupRuns: 3, minTimeS: 1.5, maxTimeS: 5 });
    const [r] = await runJobs([job({ measure })]);
    expect(r.status, r.failure?.reason).toBe('ok');
    expect(r.job.measure.userMinimums).toBe(true);
    expect(r.stopReason).toBe('user-min-time-and-runs');
    expect(r.measuredMs).toBeGreaterThanOrEqual(1500);
    expect(r.measuredMs).toBeLessThan(5000);
    expect(r.samplesMs.length).toBeGreaterThanOrEqual(10);
    expect(() => ResultSchema.parse(r)).not.toThrow();
  }, 30_000);

  it('profiles in a second session: per-node times on the CPU provider, joined to MACs', async () => {
    const [r] = await runJobs([
      job({
        target: { kind: 'block', name: 'bottleneck', params: small },
        backend: { backend: 'ort-cpu', intraOpThreads: 1, profiling: true },
      }),
    ]);
    expect(r.status, r.failure?.reason).toBe('ok');
    expect(r.nodes!.length).toBeGreaterThan(0);
    expect(r.nodes!.every((nd) => nd.provider === 'CPUExecutionProvider' && nd.meanUs > 0)).toBe(true);
    const convs = r.nodes!.filter((nd) => nd.op === 'Conv');
    expect(convs.length).toBe(3);
    expect(convs.every((nd) => nd.macs > 0 && nd.gflops > 0 && nd.graphNodes.length > 0)).toBe(true);
    // Every MAC of the cost model lands on exactly one runtime node.
    expect(r.nodes!.reduce((s, nd) => s + nd.macs, 0)).toBe(r.cost!.macs);
    expect(r.placement).toMatchObject({ fallbackNodes: [] });
    expect(r.placement!.nodesByProvider.CPUExecutionProvider).toBe(r.nodes!.length);
    // The profiler's files went to a temporary folder that is gone.
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('studio-profile-'))).toEqual([]);
  });

  it('cancels a running job: the worker and everything in its process group are gone', async () => {
    // Uncached, tsx keeps an esbuild service child under the worker: the kill must take it too.
    const q = new JobQueue({ workerEnv: () => ({ TSX_DISABLE_CACHE: '1' }) });
    const [long] = q.add([job({ measure: { minRuns: 20, minTimeS: 60, maxTimeS: 120, targetRelCi: 0 } })]);
    let pid = 0;
    let members: number[] | undefined;
    q.on('job-start', (e) => (pid = e.pid ?? 0));
    q.on('progress', (e) => {
      if (e.progress.phase === 'measure' && e.progress.done > 0 && !members) {
        members = groupMembers(pid);
        q.cancel(long.id);
      }
    });
    const [r] = await q.run();
    expect(r.status).toBe('cancelled');
    expect(r.failure?.kind).toBe('cancelled');
    expect(pid).toBeGreaterThan(0);
    if (process.platform === 'linux') expect(members).toContain(pid);
    expect(gone(pid)).toBe(true);
    expect(await allGone(members!)).toEqual([]);
  });

  it('records a crash, a hang past its time limit, a throw and a SIGKILL, and goes on', async () => {
    const faults: Record<string, TestFault> = { crash: 'crash', hang: 'hang', throw: 'throw', sigkill: 'sigkill' };
    const pids: number[] = [];
    const jobs = ['crash', 'ok1', 'hang', 'ok2', 'throw', 'sigkill', 'ok3'].map((id) =>
      job({ id, timeLimitS: id === 'hang' ? 2 : 60 }),
    );
    const results = await runJobs(jobs, {
      workerEnv: (j) => (faults[j.id] ? { STUDIO_TEST_FAULT: faults[j.id] } : undefined),
      on: { 'job-start': (e) => e.pid && pids.push(e.pid) },
    });
    const by = Object.fromEntries(results.map((r) => [r.job.id, r]));
    for (const ok of ['ok1', 'ok2', 'ok3']) expect(by[ok].status, by[ok].failure?.reason).toBe('ok');
    expect(by.crash).toMatchObject({ status: 'failed', failure: { kind: 'crash' } });
    expect(by.crash.failure!.reason).toMatch(/exit code 3/);
    expect(by.crash.failure!.detail).toMatch(/simulated native crash/);
    expect(by.hang.failure).toMatchObject({ kind: 'timeout', reason: expect.stringMatching(/time limit of 2 s/) });
    expect(by.throw.failure).toMatchObject({ kind: 'error', reason: expect.stringMatching(/simulated failure/) });
    // A SIGKILL the studio did not send says so; it is not guessed to be an out-of-memory kill.
    expect(by.sigkill.failure).toMatchObject({
      kind: 'killed',
      reason: expect.stringMatching(/killed from outside the studio \(SIGKILL\)/),
    });
    for (const r of results) expect(() => ResultSchema.parse(r)).not.toThrow();
    expect(await allGone(pids)).toEqual([]);
  });

  it("records a worker killed from outside (kill -9) as 'killed', not as out of memory", async () => {
    const q = new JobQueue();
    let pid = 0;
    q.on('job-start', (e) => void (e.pid && (pid = e.pid)));
    q.on('progress', () => {
      if (pid && !gone(pid)) process.kill(pid, 'SIGKILL');
    });
    q.add([job({ id: 'kill9', measure: { warmupRuns: 0, minTimeS: 20, maxTimeS: 20 } })]);
    const [r] = await q.run();
    expect(pid).toBeGreaterThan(0);
    expect(r.status).toBe('failed');
    expect(r.failure).toMatchObject({
      kind: 'killed',
      reason: expect.stringMatching(
        /^the worker process was killed from outside the studio \(SIGKILL\).*if the system ran out of memory, its log says so \(dmesg/,
      ),
    });
    expect(() => ResultSchema.parse(r)).not.toThrow();
  }, 30_000);

  it('refuses a CUDA job on a machine without CUDA, saying why', async () => {
    const { getBackend } = await import('../main/backends/registry.js');
    if ((await getBackend('ort-cuda').detect()).available) return;
    const [r] = await runJobs([job({ backend: { backend: 'ort-cuda' } })]);
    expect(r.status).toBe('failed');
    expect(r.failure).toMatchObject({
      kind: 'refused',
      reason: expect.stringMatching(/ort-cuda is unavailable.*CUDA/),
    });
    expect(r.stats).toBeUndefined();
    expect(r.samplesMs).toEqual([]);
  });

  it('refuses a job that cannot fit in memory before starting a worker, with the numbers', async () => {
    let started = 0;
    const [r] = await runJobs(
      [
        job({
          target: { kind: 'block', name: 'head-fc', params: { height: 256, width: 256, channels: 2048 } },
          batch: 4096,
        }),
      ],
      { on: { 'job-start': (e) => void (e.pid && started++) } },
    );
    expect(started).toBe(0);
    expect(r.failure?.kind).toBe('refused');
    expect(r.failure?.reason).toMatch(
      /not enough memory: the job needs about [\d.]+ [TP]iB .* only [\d.]+ [GMT]iB is available/,
    );
    expect(r.cost!.weightBytes).toBeGreaterThan(1e11);
  });

  it('runs an .onnx file at its batch, and refuses another batch when the file fixes it', async () => {
    const path = join(tmp, 'pointwise.onnx');
    writeOnnxFile(buildTarget({ target: 'pointwise', set: { height: '8', width: '8' } }), path);
    const file = { kind: 'file' as const, path };
    const [ok, refused] = await runJobs([job({ target: file }), job({ target: file, batch: 2 })]);
    expect(ok.status, ok.failure?.reason).toBe('ok');
    expect(ok.cost!.macs).toBe(8 * 8 * 152 * 64);
    expect(refused.failure).toMatchObject({
      kind: 'refused',
      reason: expect.stringMatching(/fixed batch dimension of 1/),
    });
  });
});
