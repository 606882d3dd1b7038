// The queue is main's (issue 18, defect 1 and 2): every view (a reload, a second window, a second
// browser tab) reads the same board through bench.queue and follows the same events; a cancel from
// one view shows in all; a refused target never sinks the other targets of its run.
import { describe, expect, it } from 'vitest';
import type { ApiEvents } from '../shared/contract/api.js';
import { apiError, studioApis, recordEvents as record } from './helpers/studio-api.js';

const { makeApi } = studioApis('api-bench-queue');

const tinyMeasure = { minRuns: 3, minTimeS: 0, maxTimeS: 1, warmupRuns: 1, warmupTimeS: 0 };
const tiny = (out: number) => ({
  kind: 'block' as const,
  name: 'pointwise',
  params: { height: 8, width: 8, channels: 16, out },
});

describe('the queue board', () => {
  it('shows every run with its labels and outcomes to a view that opens late; refused targets are named, the rest run', async () => {
    const api = makeApi();
    const { events, waitFor } = record(api);
    const run = await api.call('bench.start', {
      targets: [
        tiny(8),
        { kind: 'block', name: 'no-such-block' },
        { kind: 'block', name: 'pointwise', params: { out: -3 } },
        tiny(4),
      ],
      backends: ['ort-cpu'],
      threads: [1],
      measure: tinyMeasure,
    });
    expect(run.jobs).toHaveLength(2);
    expect(run.refused.map((r) => [r.index, r.label])).toEqual([
      [1, 'block no-such-block'],
      [2, 'block pointwise:out=-3'],
    ]);
    expect(run.refused[0].reason).toMatch(/unknown target/);
    // Told to every view before any of its jobs starts.
    const runStart = events.find((e) => e.event === 'bench.run-start')!.payload as ApiEvents['bench.run-start'];
    expect(runStart.jobs).toEqual(run.jobs);
    expect(runStart.refused).toEqual(run.refused);

    // A view opening now (a reload) sees the run, its jobs by label, not by id.
    const during = await api.call('bench.queue', {});
    expect(during.runs.map((r) => r.runId)).toEqual([run.runId]);
    expect(during.jobs.map((j) => j.label)).toEqual(run.jobs.map((j) => j.label));
    expect(during.jobs.every((j) => !j.label.startsWith('run-'))).toBe(true);
    expect(during.runs[0].refused).toHaveLength(2);

    await waitFor((e) => e.event === 'bench.run-end');
    expect(events.findIndex((e) => e.event === 'bench.run-start')).toBeLessThan(
      events.findIndex((e) => e.event === 'bench.job-start'),
    );
    const after = await api.call('bench.queue', {});
    expect(after.runs[0]).toMatchObject({ ended: true, counts: { ok: 2, failed: 0, cancelled: 0 } });
    expect(after.jobs.map((j) => j.status)).toEqual(['ok', 'ok']);
    expect(after.jobs.every((j) => j.resultId && j.median! > 0 && j.fraction === 1)).toBe(true);
    // The board is a copy: a view cannot change main's.
    after.jobs[0].status = 'failed';
    expect((await api.call('bench.queue', {})).jobs[0].status).toBe('ok');

    // Clear finished, from any view: the board forgets, every view is told, the results stay.
    expect((await api.call('bench.clearFinished', {})).cleared).toBe(1);
    expect(events.find((e) => e.event === 'bench.cleared')?.payload).toEqual({ runIds: [run.runId] });
    expect(await api.call('bench.queue', {})).toEqual({ runs: [], jobs: [] });
    expect((await api.call('results.list', {})).results).toHaveLength(2);
  }, 120_000);

  it('a cancel from one view shows as cancelling in all, and ends the jobs shown', async () => {
    const api = makeApi();
    const { events, waitFor } = record(api);
    const run = await api.call('bench.start', {
      targets: [tiny(8), tiny(4), tiny(2)],
      backends: ['ort-cpu'],
      threads: [1],
      measure: { ...tinyMeasure, minTimeS: 5, maxTimeS: 10 },
    });
    await waitFor((e) => e.event === 'bench.job-start');
    const { cancelled } = await api.call('bench.cancel', { runId: run.runId });
    expect(cancelled).toBe(3);
    const cancelling = events.find((e) => e.event === 'bench.cancelling')!.payload as ApiEvents['bench.cancelling'];
    expect(cancelling.jobIds.sort()).toEqual(run.jobs.map((j) => j.id).sort());
    await waitFor((e) => e.event === 'bench.run-end');
    const board = await api.call('bench.queue', {});
    expect(board.jobs.map((j) => j.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(board.jobs.some((j) => j.cancelRequested)).toBe(false);
  }, 120_000);

  it('a run whose every target is refused is refused whole, naming each', async () => {
    const api = makeApi();
    const e = await apiError(
      api.call('bench.start', {
        targets: [
          { kind: 'block', name: 'nope-a' },
          { kind: 'block', name: 'nope-b' },
        ],
        backends: ['ort-cpu'],
      }),
    );
    expect(e.code).toBe('bad-request');
    expect(e.message).toMatch(
      /2 targets cannot run, so there is nothing to run: targets\[0\] \(block nope-a\).*targets\[1\] \(block nope-b\)/,
    );
    expect(await api.call('bench.queue', {})).toEqual({ runs: [], jobs: [] });
  });
});
