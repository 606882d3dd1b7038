// results.history, results.regressions and fleet.list through the app's API (main/api/studio-api.ts,
// shared/contract/history.ts): synthetic series saved in a temporary results folder, one with an
// injected 15% slowdown, one with noise only, and the same configuration on a second machine.
import { describe, expect, it } from 'vitest';
import type { FleetListView } from '../shared/contract/history.js';
import type { BenchResult } from '../shared/contract/result.js';
import { REGRESSION_DEFAULTS } from '../shared/stats/regression.js';
import { fakeMachine, fakeResult } from './helpers/fake-results.js';
import { fakeHistory } from './helpers/regression-series.js';
import { apiError, studioApis } from './helpers/studio-api.js';

const { makeApi } = studioApis('studio-api-history');

const laptop = fakeMachine({
  cpu: {
    manufacturer: 'Intel',
    brand: 'Core i7-1185G7',
    threads: 8,
    physicalCores: 4,
    speedGHz: 3,
    isa: ['avx2', 'fma'],
    cache: {},
  },
  memory: { totalBytes: 16 * 2 ** 30 },
  gpus: [],
});

/** The slowdown series (16 days from 2025-06-01, 15% slower from the 11th), a noise-only one, and a laptop's. */
function seeded(): BenchResult[] {
  return [
    ...fakeHistory({ prefix: 'step', points: 16, runNoise: 0.01, stepAt: 10, stepFactor: 1.15, seed: 3 }),
    ...fakeHistory({ prefix: 'noise', points: 12, runNoise: 0.01, threads: 4, medianMs: 0.8, seed: 5 }),
    ...fakeHistory({ prefix: 'laptop', points: 4, runNoise: 0.01, machine: laptop, medianMs: 2.9, seed: 7 }),
    fakeResult({ id: 'failed-one', status: 'failed', createdAt: '2025-06-20T10:00:00.000Z' }),
  ];
}

function apiWithHistory(over: Parameters<typeof makeApi>[0] = {}) {
  const api = makeApi(over);
  for (const r of seeded()) api.store.save(r);
  return api;
}

describe('results.history', () => {
  it('answers every series with its judged points, as plain JSON', async () => {
    const api = apiWithHistory();
    const res = await api.call('results.history', {});
    expect(JSON.parse(JSON.stringify(res))).toEqual(res);
    expect(res.rules.minBaseline).toBe(REGRESSION_DEFAULTS.minBaseline);
    expect(res.series.map((s) => s.points.length).sort((a, b) => a - b)).toEqual([4, 12, 16]);
    const step = res.series.find((s) => s.points[0].resultId === 'step-00')!;
    expect(step.description).toMatchObject({ target: 'bottleneck', backend: 'ort-cpu', batch: 1, threads: 1 });
    const flagged = step.points.find((p) => p.verdict === 'slower')!;
    expect(flagged.resultId).toBe('step-10');
    expect(flagged.check).toMatchObject({ baselineId: 'step-09', beyondThreshold: true, significant: true });
    expect(flagged.check!.ratio).toBeGreaterThan(1.1);
    expect(flagged.ci95.low).toBeLessThan(flagged.medianMs);
    // The noise-only series raises no flag.
    const noise = res.series.find((s) => s.points[0].resultId === 'noise-00')!;
    expect(noise.points.filter((p) => p.flagged)).toEqual([]);
    // The laptop's series: another machine, the same configuration as the slowdown series.
    const lap = res.series.find((s) => s.points[0].resultId === 'laptop-00')!;
    expect(lap.machineKey).not.toBe(step.machineKey);
    expect(lap.configKey).toBe(step.configKey);
    expect(noise.configKey).not.toBe(step.configKey);
  });

  it('filters by target, machine, threads, batch, precision, backend, a series key and a date', async () => {
    const api = apiWithHistory();
    const first = (res: { series: { points: { resultId: string }[] }[] }) =>
      res.series.map((s) => s.points[0].resultId).sort();
    expect(first(await api.call('results.history', { filter: { target: 'BOTTLE' } }))).toEqual([
      'laptop-00',
      'noise-00',
      'step-00',
    ]);
    expect(first(await api.call('results.history', { filter: { machine: 'core i7' } }))).toEqual(['laptop-00']);
    expect(first(await api.call('results.history', { filter: { threads: 4 } }))).toEqual(['noise-00']);
    expect(first(await api.call('results.history', { filter: { batch: 2 } }))).toEqual([]);
    expect(first(await api.call('results.history', { filter: { precision: 'fp16' } }))).toEqual([]);
    expect(first(await api.call('results.history', { filter: { backend: 'ort-cuda' } }))).toEqual([]);
    expect(first(await api.call('results.history', { filter: { backend: 'ort-cpu', threads: 1 } }))).toEqual([
      'laptop-00',
      'step-00',
    ]);
    const all = await api.call('results.history', {});
    const lap = all.series.find((s) => s.points[0].resultId === 'laptop-00')!;
    // A machine key (what the Fleet view's "history of this machine" sends) matches exactly.
    expect(first(await api.call('results.history', { filter: { machine: lap.machineKey } }))).toEqual(['laptop-00']);
    expect(first(await api.call('results.history', { key: lap.key }))).toEqual(['laptop-00']);

    // Since the day of the slowdown: the points from then on, judged over the whole history.
    const since = await api.call('results.history', { filter: { since: '2025-06-11', target: 'bottleneck' } });
    const step = since.series.find((s) => s.description.threads === 1 && s.points[0].resultId.startsWith('step'))!;
    expect(step.points[0]).toMatchObject({ resultId: 'step-10', verdict: 'slower' });
    // The laptop's 4 points are all before 2025-06-11: its series is left out.
    expect(since.series.some((s) => s.points[0].resultId.startsWith('laptop'))).toBe(false);
  });

  it('refuses bad filters with a message that names the field', async () => {
    const api = apiWithHistory();
    const e1 = await apiError(api.call('results.history', { filter: { since: 'yesterday' } }));
    expect(e1.code).toBe('bad-request');
    expect(e1.message).toMatch(/filter\.since.*2025-06-01/);
    const e2 = await apiError(api.call('results.history', { filter: { target: 'x'.repeat(501) } }));
    expect(e2.message).toMatch(/filter\.target/);
    expect((await apiError(api.call('results.history', { filter: { batch: 0 } }))).code).toBe('bad-request');
    expect((await apiError(api.call('results.history', { filter: { precision: 'fp8' as 'fp16' } }))).message).toMatch(
      /precision/,
    );
    expect((await apiError(api.call('results.regressions', { since: '2025-13-45' }))).code).toBe('bad-request');
  });
});

describe('results.regressions', () => {
  it('finds the injected 15% slowdown (and nothing in the noise-only series), newest first', async () => {
    const api = apiWithHistory();
    const res = await api.call('results.regressions', {});
    expect(res.regressions).toHaveLength(1);
    const [r] = res.regressions;
    expect(r).toMatchObject({ resultId: 'step-10', direction: 'slower', baselineId: 'step-09' });
    expect(r.ratio).toBeGreaterThan(1.1);
    expect(r.ratio).toBeLessThan(1.2);
    expect(r.ratioCi.low).toBeGreaterThan(1);
    expect(r.pValue).toBeLessThan(REGRESSION_DEFAULTS.alpha);
    expect(r.summary).toMatch(/slower/);
    expect(r.baselineIds).toHaveLength(10);

    expect((await api.call('results.regressions', { since: '2025-06-11' })).regressions).toHaveLength(1);
    expect((await api.call('results.regressions', { since: '2025-06-12T00:00:00Z' })).regressions).toHaveLength(0);
    expect((await api.call('results.regressions', { filter: { machine: 'Core i7' } })).regressions).toHaveLength(0);
  });

  it('lists newest first across series', async () => {
    const api = makeApi();
    for (const r of fakeHistory({ prefix: 'a', points: 12, stepAt: 8, stepFactor: 1.15, seed: 3 })) api.store.save(r);
    for (const r of fakeHistory({
      prefix: 'b',
      points: 12,
      stepAt: 10,
      stepFactor: 0.8,
      seed: 4,
      threads: 2,
      start: '2025-06-01T12:00:00.000Z',
    }))
      api.store.save(r);
    const res = await api.call('results.regressions', {});
    expect(res.regressions.map((r) => [r.resultId, r.direction])).toEqual([
      ['b-10', 'faster'],
      ['a-08', 'slower'],
    ]);
  });
});

describe('fleet.list', () => {
  it('without a database: no agents, and a problem that says what the fleet needs', async () => {
    const res = await makeApi().call('fleet.list', {});
    expect(res.agents).toEqual([]);
    expect(res.queues).toEqual([]);
    expect(res.problem).toMatch(/results database.*PostgreSQL/);
    expect(Number.isNaN(Date.parse(res.checkedAt))).toBe(false);
  });

  it("answers what the fleet's implementation lists, and its failure as a problem", async () => {
    const view: FleetListView = {
      agents: [
        {
          name: 'gpu-box',
          tags: ['cuda'],
          host: 'lab-3',
          machine: 'EPYC 7763',
          lastSeenS: 2.5,
          state: 'busy',
          job: { id: 'j1', label: 'resnet50 · ort-cuda · b1' },
        },
      ],
      queues: [{ name: 'agent.gpu-box', queued: 3, active: 1 }],
    };
    const api = makeApi({ fleet: { list: async () => view } });
    expect(await api.call('fleet.list', {})).toMatchObject(view);
    const down = makeApi({
      fleet: {
        list: async () => {
          throw new Error('the database at postgres://bench@db/results cannot be reached');
        },
      },
    });
    const res = await down.call('fleet.list', {});
    expect(res.agents).toEqual([]);
    expect(res.problem).toMatch(/could not be read: the database at postgres:\/\/bench@db\/results/);
  });
});
