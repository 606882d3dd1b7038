// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { setApi } from '../../renderer/src/api/index.js';
import { sweepValues, useBenchStore, parseForm, MEASURE_PRESETS } from '../../renderer/src/stores/bench.js';
import { fakeApi, settle, type FakeApi } from './studio-fake-api.js';
import { fakeResult } from '../helpers/fake-results.js';

let api: FakeApi;

function startAnswer() {
  return {
    runId: 'run-1',
    jobs: [
      { id: 'run-1-0', label: 'bottleneck:mid=16 on ort-cpu, batch 1' },
      { id: 'run-1-1', label: 'bottleneck:mid=32 on ort-cpu, batch 1' },
    ],
  };
}

beforeEach(() => {
  setActivePinia(createPinia());
  api = fakeApi({ 'bench.start': () => startAnswer(), 'bench.cancel': { cancelled: 1 } });
  setApi(api);
});
afterEach(() => {
  useBenchStore().detach();
  setApi(undefined);
});

describe('sweep builder', () => {
  it('expands ×step and +step ranges', () => {
    expect(sweepValues({ from: 16, to: 128, step: 2, mode: 'mul' }).values).toEqual([16, 32, 64, 128]);
    expect(sweepValues({ from: 16, to: 128, step: 16, mode: 'add' }).values).toEqual([
      16, 32, 48, 64, 80, 96, 112, 128,
    ]);
    expect(sweepValues({ from: 16, to: 8, step: 2, mode: 'mul' }).error).toMatch(/below/);
    expect(sweepValues({ from: 16, to: 128, step: 1, mode: 'mul' }).error).toMatch(/above 1/);
    expect(sweepValues({ from: 1, to: 1000, step: 1, mode: 'add' }).error).toMatch(/more than/);
  });

  it('adds one target per value, keeping the other parameters, without duplicates', () => {
    const bench = useBenchStore();
    bench.sweep = { block: 'bottleneck', param: 'mid', from: 16, to: 128, step: 2, mode: 'mul', base: { stride: 2 } };
    expect(bench.addSweep()).toBe(4);
    expect(bench.targets).toEqual(
      [16, 32, 64, 128].map((mid) => ({ kind: 'block', name: 'bottleneck', params: { stride: 2, mid } })),
    );
    expect(bench.addSweep()).toBe(0);
    expect(bench.targets).toHaveLength(4);
  });
});

describe('starting a run', () => {
  it('sends the form as a bench.start request, lists the jobs queued and saves the form', async () => {
    const bench = useBenchStore();
    bench.addTarget({ kind: 'block', name: 'bottleneck', params: { mid: 16 } });
    bench.addTarget({ kind: 'model', name: 'resnet50', variant: 'keras', params: {} });
    bench.backends = ['ort-cpu', 'native'];
    bench.batches = [1, 8];
    bench.threads = [1, 4];
    bench.repetitions = 2;
    bench.preset = 'quick';
    expect(bench.jobCount).toBe(2 * 2 * 2 * 2 * 2);
    const runId = await bench.start();
    expect(runId).toBe('run-1');
    const [req] = api.callsOf('bench.start');
    expect(req).toEqual({
      targets: [
        { kind: 'block', name: 'bottleneck', params: { mid: 16 } },
        { kind: 'model', name: 'resnet50', variant: 'keras', params: {} },
      ],
      backends: ['ort-cpu', 'native'],
      batches: [1, 8],
      threads: [1, 4],
      precision: ['fp32'],
      repetitions: 2,
      scenario: 'single-stream',
      measure: MEASURE_PRESETS.quick,
    });
    expect(bench.jobs.map((j) => [j.id, j.status])).toEqual([
      ['run-1-0', 'queued'],
      ['run-1-1', 'queued'],
    ]);
    await settle();
    const saved = api.callsOf('settings.set').at(-1)!;
    expect((saved.lastBench as { targets: unknown[] }).targets).toHaveLength(2);
    expect((saved.lastBench as { preset: string }).preset).toBe('quick');
  });

  it('leaves threads out when none are given (the runtime chooses) and refuses an empty form', async () => {
    const bench = useBenchStore();
    expect(await bench.start()).toBeNull();
    expect(bench.error).toMatch(/at least one target/);
    bench.addTarget({ kind: 'block', name: 'conv', params: {} });
    await bench.start();
    expect(api.callsOf('bench.start')[0]).not.toHaveProperty('threads');
    expect(api.callsOf('bench.start')[0]).not.toHaveProperty('measure');
  });

  it('shows the error main gave', async () => {
    api.handlers['bench.start'] = () => {
      throw new Error('targets[0] (block nope): unknown target');
    };
    const bench = useBenchStore();
    bench.addTarget({ kind: 'block', name: 'nope', params: {} });
    expect(await bench.start()).toBeNull();
    expect(bench.error).toContain('unknown target');
  });
});

describe('live job state from events', () => {
  async function started() {
    const bench = useBenchStore();
    bench.addTarget({ kind: 'block', name: 'bottleneck', params: { mid: 16 } });
    await bench.start();
    return bench;
  }

  it('progress events update the job row (coalesced) and its running median', async () => {
    const bench = await started();
    api.emit('bench.job-start', { runId: 'run-1', jobId: 'run-1-0', label: 'bneck 16', index: 0, total: 2 });
    expect(bench.row('run-1-0')!.status).toBe('running');
    for (let i = 1; i <= 50; i++)
      api.emit('bench.progress', {
        runId: 'run-1',
        jobId: 'run-1-0',
        phase: 'measure',
        runs: i,
        median: 1 + i / 100,
        fraction: i / 100,
      });
    // Not applied one by one: at most one update per throttle window.
    expect(bench.row('run-1-0')!.runs).toBeUndefined();
    await settle(200);
    const row = bench.row('run-1-0')!;
    expect(row.runs).toBe(50);
    expect(row.median).toBeCloseTo(1.5);
    expect(row.fraction).toBeCloseTo(0.5);
    expect(row.phase).toBe('measure');
    expect(bench.row('run-1-1')!.status).toBe('queued');
  });

  it('a job-end with a failure shows it on its row; an ok one its p50', async () => {
    const bench = await started();
    const ok = fakeResult({ id: 'ok-1', medianMs: 2 });
    api.emit('bench.job-end', { runId: 'run-1', jobId: 'run-1-0', result: ok });
    const failed = fakeResult({
      id: 'bad-1',
      status: 'failed',
      failure: { kind: 'oom', reason: 'the job ran out of memory at batch 1' },
    });
    api.emit('bench.job-end', { runId: 'run-1', jobId: 'run-1-1', result: failed });
    const [a, b] = [bench.row('run-1-0')!, bench.row('run-1-1')!];
    expect(a.status).toBe('ok');
    expect(a.fraction).toBe(1);
    expect(a.median).toBe(ok.stats!.p50);
    expect(a.resultId).toBe('ok-1');
    expect(b.status).toBe('failed');
    expect(b.failureKind).toBe('oom');
    expect(b.error).toBe('oom: the job ran out of memory at batch 1');
    api.emit('bench.run-end', { runId: 'run-1', ok: 1, failed: 1, cancelled: 0 });
    expect(bench.running).toBe(false);
    expect(bench.runs[0]).toMatchObject({ runId: 'run-1', ended: true, counts: { ok: 1, failed: 1, cancelled: 0 } });
  });

  it('a progress event pending when the job ends does not reopen it', async () => {
    const bench = await started();
    api.emit('bench.progress', { runId: 'run-1', jobId: 'run-1-0', phase: 'measure', runs: 3, median: 9 });
    api.emit('bench.job-end', { runId: 'run-1', jobId: 'run-1-0', result: fakeResult({ medianMs: 2 }) });
    await settle(200);
    expect(bench.row('run-1-0')!.status).toBe('ok');
    expect(bench.row('run-1-0')!.median).not.toBe(9);
  });

  it('events arriving before bench.start answers create the row', async () => {
    const bench = useBenchStore();
    bench.attach();
    api.emit('bench.job-start', { runId: 'run-9', jobId: 'run-9-0', label: 'early', index: 0, total: 1 });
    expect(bench.row('run-9-0')).toMatchObject({ label: 'early', status: 'running', runId: 'run-9' });
  });

  it('cancel(jobId) cancels that job of its run; cancel() every active run', async () => {
    const bench = await started();
    await bench.cancel('run-1-1');
    expect(api.callsOf('bench.cancel')).toEqual([{ runId: 'run-1', jobId: 'run-1-1' }]);
    expect(bench.row('run-1-1')!.cancelRequested).toBe(true);
    await bench.cancel();
    expect(api.callsOf('bench.cancel')[1]).toEqual({ runId: 'run-1' });
    api.emit('bench.job-end', {
      runId: 'run-1',
      jobId: 'run-1-1',
      result: fakeResult({ status: 'cancelled', failure: { kind: 'cancelled', reason: 'cancelled by the user' } }),
    });
    expect(bench.row('run-1-1')!.status).toBe('cancelled');
  });
});

describe('the last form', () => {
  it('is restored from settings, keeping only what is valid (files do not survive a restart)', async () => {
    api.handlers['settings.get'] = {
      theme: 'system',
      lastBench: {
        targets: [
          { kind: 'block', name: 'bottleneck', params: { mid: 32 } },
          { kind: 'file', fileId: 'file-x', dims: {} },
          { kind: 'bogus' },
        ],
        backends: ['ort-cpu', 'ort-cuda'],
        batches: [1, 16],
        threads: 'lots',
        repetitions: 3,
        preset: 'thorough',
        scenario: 'offline',
      },
    };
    const bench = useBenchStore();
    await bench.restore();
    expect(bench.targets).toEqual([{ kind: 'block', name: 'bottleneck', params: { mid: 32 } }]);
    expect(bench.backends).toEqual(['ort-cpu', 'ort-cuda']);
    expect(bench.batches).toEqual([1, 16]);
    expect(bench.threads).toEqual([]);
    expect(bench.repetitions).toBe(3);
    expect(bench.preset).toBe('thorough');
    expect(bench.scenario).toBe('offline');
  });

  it('parseForm ignores junk', () => {
    expect(parseForm(null)).toEqual({});
    expect(parseForm({ backends: ['ort-gpu'], batches: [0], repetitions: 1000 })).toEqual({});
  });
});

describe('restoring next to targets added from other views', () => {
  it('appends those targets to the saved ones (as it does once restored) and restores the rest of the form', async () => {
    api.handlers['settings.get'] = {
      theme: 'system',
      lastBench: { targets: [{ kind: 'block', name: 'conv', params: {} }], backends: ['native'], batches: [4] },
    };
    const bench = useBenchStore();
    bench.addTarget({ kind: 'model', name: 'vgg16', params: {} });
    await bench.restore();
    expect(bench.targets).toEqual([
      { kind: 'block', name: 'conv', params: {} },
      { kind: 'model', name: 'vgg16', params: {} },
    ]);
    bench.addTarget({ kind: 'block', name: 'bottleneck', params: {} });
    expect(bench.targets.map((t) => (t.kind === 'file' ? t.fileId : t.name))).toEqual(['conv', 'vgg16', 'bottleneck']);
    expect(bench.backends).toEqual(['native']);
    expect(bench.batches).toEqual([4]);
  });

  it("carries a model's batch parameter into Batch sizes, also through the restore", async () => {
    api.handlers['settings.get'] = { theme: 'system', lastBench: { batches: [1, 8] } };
    const bench = useBenchStore();
    bench.addTarget({ kind: 'model', name: 'mobilenet_v2', variant: 'keras', params: { batch: 4096, alpha: 0.5 } });
    expect(bench.targets).toEqual([{ kind: 'model', name: 'mobilenet_v2', variant: 'keras', params: { alpha: 0.5 } }]);
    expect(bench.notice).toMatch(/Batch 4096 was added to Batch sizes/);
    await bench.restore();
    expect(bench.batches).toEqual([1, 8, 4096]);
    expect(bench.blocker).toBeNull();
    expect(bench.request.batches).toEqual([1, 8, 4096]);
    expect(bench.request.targets[0]).not.toHaveProperty('params.batch');
  });

  it('a target that still sets a batch (an old saved form slipped through) blocks Run with the reason', () => {
    const bench = useBenchStore();
    bench.targets = [{ kind: 'model', name: 'vgg16', params: { batch: 4 } }];
    expect(bench.blocker).toMatch(/sets its own batch \(vgg16\).*Batch sizes/);
  });
});

describe("the queue is main's", () => {
  const board = () => ({
    runs: [{ runId: 'run-a', startedAt: '2026-12-07T10:00:00Z', ended: false, refused: [] }],
    jobs: [
      {
        id: 'run-a-0',
        runId: 'run-a',
        label: 'basic-residual on ort-cpu, batch 1',
        status: 'ok' as const,
        fraction: 1,
        median: 1.5,
      },
      {
        id: 'run-a-1',
        runId: 'run-a',
        label: 'bottleneck on ort-cpu, batch 1',
        status: 'running' as const,
        fraction: 0.4,
        phase: 'measure',
      },
      { id: 'run-a-2', runId: 'run-a', label: 'bottleneck on native, batch 1', status: 'queued' as const, fraction: 0 },
    ],
  });

  it('a fresh page (a reload, a second tab) shows every run main has, with labels and outcomes', async () => {
    api.handlers['bench.queue'] = board();
    const bench = useBenchStore();
    bench.attach();
    await settle();
    expect(bench.jobs.map((j) => [j.label, j.status])).toEqual([
      ['basic-residual on ort-cpu, batch 1', 'ok'],
      ['bottleneck on ort-cpu, batch 1', 'running'],
      ['bottleneck on native, batch 1', 'queued'],
    ]);
    expect(bench.running).toBe(true);
    // Cancel all acts on exactly what is shown: the run whose jobs are listed.
    await bench.cancel();
    expect(api.callsOf('bench.cancel')).toEqual([{ runId: 'run-a' }]);
  });

  it('a run started in another tab appears with its queued jobs; a cancel there shows here', async () => {
    const bench = useBenchStore();
    bench.attach();
    await settle();
    api.emit('bench.run-start', {
      runId: 'run-b',
      startedAt: '2026-12-07T10:01:00Z',
      jobs: [{ id: 'run-b-0', label: 'conv on native, batch 1' }],
      refused: [{ index: 1, label: 'block nope', reason: 'unknown block' }],
    });
    expect(bench.row('run-b-0')).toMatchObject({ label: 'conv on native, batch 1', status: 'queued' });
    expect(bench.runs.find((r) => r.runId === 'run-b')!.refused).toHaveLength(1);
    api.emit('bench.cancelling', { runId: 'run-b', jobIds: ['run-b-0'] });
    expect(bench.row('run-b-0')!.cancelRequested).toBe(true);
  });

  it('reads the board again after the event stream reconnects (events meanwhile were lost)', async () => {
    const bench = useBenchStore();
    bench.attach();
    await settle();
    expect(bench.jobs).toEqual([]);
    api.handlers['bench.queue'] = board();
    api.emit('app.reconnected', {});
    await settle();
    expect(bench.jobs.map((j) => j.id)).toEqual(['run-a-0', 'run-a-1', 'run-a-2']);
  });

  it('a board answer older than a run started here does not drop that run', async () => {
    let answer!: (v: ReturnType<typeof board>) => void;
    api.handlers['bench.queue'] = () => new Promise((r) => (answer = r));
    const bench = useBenchStore();
    bench.addTarget({ kind: 'block', name: 'bottleneck', params: {} });
    bench.attach();
    await bench.start();
    answer(board());
    await settle();
    expect(bench.runs.map((r) => r.runId)).toEqual(['run-a', 'run-1']);
    expect(bench.jobs.map((j) => j.id)).toEqual(['run-a-0', 'run-a-1', 'run-a-2', 'run-1-0', 'run-1-1']);
  });

  it("Clear finished clears main's board, and a clear from another view drops the ended runs here", async () => {
    const bench = await startedAndEnded();
    await bench.clearFinished();
    expect(api.callsOf('bench.clearFinished')).toHaveLength(1);
    expect(bench.jobs).toEqual([]);
    api.handlers['bench.queue'] = board();
    await bench.sync();
    api.emit('bench.run-end', { runId: 'run-a', ok: 1, failed: 0, cancelled: 2 });
    api.emit('bench.cleared', { runIds: ['run-a'] });
    expect(bench.jobs).toEqual([]);
  });
});

async function startedAndEnded() {
  const bench = useBenchStore();
  bench.attach();
  bench.addTarget({ kind: 'block', name: 'bottleneck', params: {} });
  await bench.start();
  for (const id of ['run-1-0', 'run-1-1'])
    api.emit('bench.job-end', { runId: 'run-1', jobId: id, result: fakeResult({ medianMs: 2 }) });
  api.emit('bench.run-end', { runId: 'run-1', ok: 2, failed: 0, cancelled: 0 });
  return bench;
}
