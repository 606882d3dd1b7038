// Engine pieces that need no worker process: sweep expansion, job and message validation, exit
// classification, the memory estimate, and the join of profiler nodes to the studio graph.
import { describe, expect, it } from 'vitest';
import { JobSpecSchema, MeasureSchema, withUserMinimums } from '../shared/contract/job.js';
import { ResultSchema } from '../shared/contract/result.js';
import { stopReason } from '../shared/stats/latency.js';
import { fakeResult } from './helpers/fake-results.js';
import { costGraph } from '../shared/cost/cost-model.js';
import { buildTarget } from '../shared/targets.js';
import { parseOrtProfile } from '../main/backends/ort/profile.js';
import { joinNodeTimings, placementOf } from '../shared/stats/node-map.js';
import { classifyExit } from '../main/engine/outcome.js';
import { ParentMessageSchema, WorkerMessageSchema } from '../main/process/job-protocol.js';
import { memoryEstimate, MEMORY_MODEL } from '../main/engine/resolve.js';
import { configKey, expandSweep } from '../shared/bench/sweep.js';

const A = { kind: 'block' as const, name: 'reduce-then-conv', params: { mode: 'direct' } };
const B = { kind: 'block' as const, name: 'reduce-then-conv', params: { mode: 'reduced' } };

describe('sweep expansion', () => {
  it('crosses targets, backends, batches and threads, with unique ids and one group', () => {
    const jobs = expandSweep({
      targets: [A, B],
      backends: ['ort-cpu', { backend: 'ort-cuda', graphOptimization: 'basic' }],
      batches: [1, 8],
      threads: [1, 2],
      group: 'g1',
    });
    expect(jobs).toHaveLength(2 * 2 * 2 * 2);
    expect(new Set(jobs.map((j) => j.id)).size).toBe(jobs.length);
    expect(new Set(jobs.map((j) => j.group))).toEqual(new Set(['g1']));
    expect(new Set(jobs.map(configKey)).size).toBe(jobs.length);
    const cuda = jobs.filter((j) => j.backend.backend === 'ort-cuda');
    expect(cuda.every((j) => j.backend.graphOptimization === 'basic')).toBe(true);
    expect(new Set(jobs.map((j) => j.backend.intraOpThreads))).toEqual(new Set([1, 2]));
    for (const j of jobs) expect(() => JobSpecSchema.parse(j)).not.toThrow();
  });

  it('interleaves repetitions A B A B ... by default, and groups them A A B B when asked not to', () => {
    const inter = expandSweep({ targets: [A, B], backends: ['ort-cpu'], repetitions: 3, measure: { minRuns: 5 } });
    const mode = (j: (typeof inter)[number]) => (j.target.kind === 'block' ? j.target.params.mode : '');
    expect(inter.map(mode)).toEqual(['direct', 'reduced', 'direct', 'reduced', 'direct', 'reduced']);
    expect(inter.map((j) => j.repetition)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(inter.every((j) => j.measure.minRuns === 5 && j.measure.maxTimeS === 10)).toBe(true);
    // Repetitions of one configuration share its key (and seed), so reports can pool them.
    expect(configKey(inter[0])).toBe(configKey(inter[2]));
    expect(inter[0].seed).toBe(inter[2].seed);

    const grouped = expandSweep({ targets: [A, B], backends: ['ort-cpu'], repetitions: 2, interleave: false });
    expect(grouped.map(mode)).toEqual(['direct', 'direct', 'reduced', 'reduced']);
    // Two sweeps without a group name get different groups (and so different ids).
    expect(grouped[0].group).not.toBe(inter[0].group);
  });

  it('rejects invalid sweeps and job specs with the field named', () => {
    expect(() => expandSweep({ targets: [], backends: ['ort-cpu'] })).toThrow(/targets/);
    expect(() => expandSweep({ targets: [A], backends: ['ort-nope' as 'ort-cpu'] })).toThrow();
    const base = { version: 1, id: 'x', target: A, backend: { backend: 'ort-cpu' } };
    expect(JobSpecSchema.safeParse(base).success).toBe(true);
    const bad = (patch: object) => JobSpecSchema.safeParse({ ...base, ...patch });
    expect(bad({ version: 2 }).success).toBe(false);
    expect(bad({ batch: 0 }).success).toBe(false);
    expect(bad({ backend: { backend: 'ort-cpu', intraOpThreads: -1 } }).success).toBe(false);
    const minMax = bad({ measure: { minTimeS: 5, maxTimeS: 1 } });
    expect(minMax.success).toBe(false);
    expect(minMax.error?.issues[0].path).toEqual(['measure', 'minTimeS']);
    expect(bad({ target: { kind: 'file', path: '' } }).success).toBe(false);
  });
});

describe('worker protocol', () => {
  it('validates both directions', () => {
    const job = JobSpecSchema.parse({ version: 1, id: 'x', target: A, backend: { backend: 'ort-cpu' } });
    expect(ParentMessageSchema.safeParse({ type: 'start', job }).success).toBe(true);
    expect(ParentMessageSchema.safeParse({ type: 'start', job: { ...job, batch: -1 } }).success).toBe(false);
    expect(ParentMessageSchema.safeParse({ type: 'stop' }).success).toBe(false);
    const progress = { type: 'progress', phase: 'measure', done: 3, elapsedMs: 12.5, medianMs: 1.2 };
    expect(WorkerMessageSchema.safeParse(progress).success).toBe(true);
    expect(WorkerMessageSchema.safeParse({ ...progress, phase: 'sleep' }).success).toBe(false);
    expect(WorkerMessageSchema.safeParse({ ...progress, done: -1 }).success).toBe(false);
    const failure = { type: 'failure', failure: { kind: 'refused', reason: 'no CUDA' } };
    expect(WorkerMessageSchema.safeParse(failure).success).toBe(true);
    expect(WorkerMessageSchema.safeParse({ ...failure, failure: { kind: 'gone', reason: '' } }).success).toBe(false);
    expect(WorkerMessageSchema.safeParse({ type: 'result', payload: { samplesMs: 'many' } }).success).toBe(false);
  });
});

describe('stopping rule', () => {
  // Steady samples: the median's CI is within 1% as soon as it is checked (16 samples).
  const steady = (n: number) => Array.from({ length: n }, (_, i) => 1 + (i % 2) * 1e-4);
  const defaults = MeasureSchema.parse({});

  it('stops early on the confidence interval with the default minimums, and says so', () => {
    expect(stopReason(steady(15), 100, defaults)).toBeUndefined();
    expect(stopReason(steady(16), 100, defaults)).toBe('ci-reached');
    expect(stopReason(steady(20), 1000, defaults)).toBe('min-time-and-runs');
    expect(stopReason(steady(5), 10_000, defaults)).toBe('max-time');
    expect(stopReason(steady(100_000), 100, defaults)).toBe('max-runs');
  });

  it('holds a minimum the user set: no early stop before both minimums', () => {
    // The reported case: --min-time 8 --max-time 10 stopped after 0.35 s and 128 runs.
    const user = MeasureSchema.parse(withUserMinimums({ minTimeS: 8, maxTimeS: 10 }));
    expect(user.userMinimums).toBe(true);
    expect(stopReason(steady(128), 350, user)).toBeUndefined();
    expect(stopReason(steady(4096), 7999, user)).toBeUndefined();
    expect(stopReason(steady(4096), 8000, user)).toBe('user-min-time-and-runs');
    // The minimum runs hold too, until the maximum time.
    const runs = MeasureSchema.parse(withUserMinimums({ minRuns: 500 }));
    expect(stopReason(steady(256), 5000, runs)).toBeUndefined();
    expect(stopReason(steady(500), 5000, runs)).toBe('user-min-time-and-runs');
    expect(stopReason(steady(300), 10_000, runs)).toBe('max-time');
    // A min-time equal to the max-time: the minimum held, and the result says so.
    const same = MeasureSchema.parse(withUserMinimums({ minTimeS: 2, maxTimeS: 2 }));
    expect(stopReason(steady(64), 2000, same)).toBe('user-min-time-and-runs');
  });

  it('withUserMinimums records a minimum in the raw settings only, before the defaults fill them in', () => {
    expect(withUserMinimums(undefined)).toEqual({ userMinimums: false });
    expect(withUserMinimums({ maxTimeS: 3, targetRelCi: 0.05 })).toEqual({
      maxTimeS: 3,
      targetRelCi: 0.05,
      userMinimums: false,
    });
    expect(withUserMinimums({ minTimeS: 0 }).userMinimums).toBe(true);
    expect(withUserMinimums({ minRuns: 10 }).userMinimums).toBe(true);
    // An explicit value (a preset that is not the user's) is kept.
    expect(withUserMinimums({ minRuns: 100, userMinimums: false }).userMinimums).toBe(false);
    // Defaults applied first would hide the user: MeasureSchema's output always has the minimums.
    expect(MeasureSchema.parse({}).userMinimums).toBe(false);
    // Jobs and results saved before the field still read, as the default rule.
    const old = JobSpecSchema.parse({
      version: 1,
      id: 'x',
      target: A,
      backend: { backend: 'ort-cpu' },
      measure: { minRuns: 10, minTimeS: 1 },
    });
    expect(old.measure.userMinimums).toBe(false);
  });

  it('reads results saved with the old stop reason', () => {
    const r = fakeResult();
    expect(ResultSchema.parse({ ...r, stopReason: 'min-reached' }).stopReason).toBe('min-reached');
    expect(ResultSchema.parse({ ...r, stopReason: 'user-min-time-and-runs', measuredMs: 8001 }).measuredMs).toBe(8001);
  });
});

describe('exit classification', () => {
  const exit = (code: number | null, signal: string | null) => ({ code, signal });
  it('tells a cancel, a timeout, an OOM kill, a heap OOM and a crash apart', () => {
    const c = (o: Partial<Parameters<typeof classifyExit>[0]>) =>
      classifyExit({ exit: exit(1, null), stderr: '', timeLimitS: 5, ...o });
    expect(c({ exit: exit(null, 'SIGKILL'), killedBy: 'cancel' }).kind).toBe('cancelled');
    expect(c({ exit: exit(null, 'SIGKILL'), killedBy: 'timeout' }).reason).toMatch(/time limit of 5 s/);
    // A SIGKILL the studio did not send: named as a kill from outside, not guessed to be out of memory.
    expect(c({ exit: exit(null, 'SIGKILL') })).toMatchObject({
      kind: 'killed',
      reason: expect.stringMatching(
        /killed from outside the studio \(SIGKILL\).*ran out of memory, its log says so \(dmesg/,
      ),
    });
    // The studio's own memory watchdog is still an out-of-memory failure, with the numbers.
    const watchdog = c({
      exit: exit(null, 'SIGKILL'),
      killedBy: 'memory',
      memory: { peakRssBytes: 900 * 2 ** 20, limitBytes: 768 * 2 ** 20 },
    });
    expect(watchdog).toMatchObject({ kind: 'oom', reason: expect.stringMatching(/used 900 MiB .* limit of 768 MiB/) });
    const heap = c({ exit: exit(null, 'SIGABRT'), stderr: 'FATAL ERROR: JavaScript heap out of memory' });
    expect(heap.kind).toBe('oom');
    const crash = c({ exit: exit(null, 'SIGSEGV'), stderr: 'boom\nlast words' });
    expect(crash).toMatchObject({ kind: 'crash', reason: expect.stringMatching(/signal SIGSEGV/) });
    expect(crash.detail).toMatch(/last words/);
    expect(c({ exit: exit(7, null) }).reason).toMatch(/exit code 7/);
  });
});

describe('memory estimate', () => {
  it('is the cost model figure, with documented copies and runtime overhead on top', () => {
    const cost = costGraph(buildTarget({ target: 'head-fc', set: { batch: '2' } }));
    const { estimatedBytes, requiredBytes } = memoryEstimate(cost);
    expect(estimatedBytes).toBe(cost.totals.weightBytes + cost.totals.peakActivationBytes);
    expect(requiredBytes).toBe(
      MEMORY_MODEL.weightCopies * cost.totals.weightBytes +
        MEMORY_MODEL.activationFactor * cost.totals.peakActivationBytes +
        MEMORY_MODEL.runtimeBytes,
    );
  });
});

describe('profile join', () => {
  // A trace shaped like ONNX Runtime 1.30's on the CPU provider: BatchNorm and ReLU fused into an
  // NCHWc Conv named after its output, layout reorders added, one event per node per run.
  const ev = (name: string, op: string, dur: number, provider = 'CPUExecutionProvider') => ({
    cat: 'Node',
    name: `${name}_kernel_time`,
    dur,
    ph: 'X',
    args: { op_name: op, provider },
  });
  const run = (d: number) => [
    ev('ReorderInput', 'ReorderInput', 2 * d),
    ev('conv1.relu_nchwc', 'Conv', 10 * d),
    ev('conv3.bn_nchwc', 'Conv', 8 * d),
    ev('ReorderOutput', 'ReorderOutput', d),
    ev('add', 'Add', d, 'CUDAExecutionProvider'),
  ];
  const trace = JSON.stringify([
    { cat: 'Session', name: 'session_initialization', dur: 900 },
    ...run(100),
    ...run(1),
    ...run(1),
  ]);

  it('averages kernel times, dropping the first run, and maps fused nodes back to the graph', () => {
    const nodes = parseOrtProfile(trace);
    expect(nodes.find((n) => n.name === 'conv1.relu_nchwc')).toMatchObject({ meanUs: 10, runs: 2, op: 'Conv' });
    const graph = buildTarget({ target: 'bottleneck', set: { height: '8', width: '8' } });
    const cost = costGraph(graph);
    const joined = joinNodeTimings(graph, cost, nodes, [
      { name: 'ReorderOutput', op: 'ReorderOutput', inputs: ['reorder_token_5'], outputs: ['conv3.bn'] },
    ]);
    const byName = Object.fromEntries(joined.map((n) => [n.name, n]));
    expect(byName['conv1.relu_nchwc'].graphNodes).toEqual(['conv1', 'conv1.bn', 'conv1.relu']);
    expect(byName['conv3.bn_nchwc'].graphNodes).toEqual(['conv3', 'conv3.bn']);
    expect(byName['ReorderOutput'].graphNodes).toEqual([]);
    const conv1 = cost.layers.find((l) => l.name === 'conv1')!;
    expect(byName['conv1.relu_nchwc'].macs).toBe(conv1.macs);
    expect(byName['conv1.relu_nchwc'].gflops).toBeCloseTo((2 * conv1.macs) / 10e3);
    expect(placementOf(nodes, 'CPUExecutionProvider')).toEqual({
      nodesByProvider: { CPUExecutionProvider: 4, CUDAExecutionProvider: 1 },
      fallbackNodes: ['add'],
      fallbackOps: ['Add'],
    });
  });
});
