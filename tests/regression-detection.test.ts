// Regression detection over result history (shared/stats/regression.ts, issue 20): seeded synthetic
// histories (tests/helpers/regression-series.ts) of valid BenchResults.
import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../shared/contract/result.js';
import {
  buildSeries,
  detectRegressions,
  historyOf,
  logSpread,
  noiseThreshold,
  pointsSince,
  regressions,
  REGRESSION_DEFAULTS,
  studentTQuantile,
  type Series,
} from '../shared/stats/regression.js';
import { fakeResult } from './helpers/fake-results.js';
import { fakeHistory } from './helpers/regression-series.js';

const only = (series: Series[]) => {
  expect(series).toHaveLength(1);
  return series[0];
};
const verdicts = (s: Series) => s.points.map((p) => p.verdict);

describe('Student t quantiles (the noise threshold)', () => {
  it('match the tables', () => {
    // Two-sided 0.1% and 5%, df 1, 4, 9, 30.
    expect(studentTQuantile(0.001, 1)).toBeCloseTo(636.619, 2);
    expect(studentTQuantile(0.001, 4)).toBeCloseTo(8.61, 2);
    expect(studentTQuantile(0.001, 9)).toBeCloseTo(4.781, 2);
    expect(studentTQuantile(0.05, 30)).toBeCloseTo(2.042, 3);
  });

  it('widens with fewer baseline points and never goes under the floor', () => {
    const t = (levels: number[][]) => noiseThreshold(logSpread(levels), levels[0].length);
    expect(t([[1, 1, 1, 1]])).toBe(REGRESSION_DEFAULTS.thresholdFloor);
    expect(t([[1]])).toBe(REGRESSION_DEFAULTS.thresholdFloor);
    const two = t([[1, 1.01]]);
    const ten = t([[1, 1.01, 1, 1.01, 1, 1.01, 1, 1.01, 1, 1.01]]);
    expect(two).toBeGreaterThan(ten);
    expect(ten).toBeGreaterThan(0.02);
    expect(ten).toBeLessThan(0.05);
    expect(t([[1, 3]])).toBe(999);
    // Two points of a new level, with eight of the level before: the noise of ten, the center of two.
    const after = t([
      [1.15, 1.1615],
      [1, 1.01, 1, 1.01, 1, 1.01, 1, 1.01],
    ]);
    expect(after).toBeLessThan(0.05);
    expect(after).toBeGreaterThan(ten);
  });
});

describe('regression detection', () => {
  it('flags an injected 15% slowdown exactly where it starts, once, and takes the new level as normal', () => {
    const results = fakeHistory({ prefix: 'step', points: 16, runNoise: 0.01, stepAt: 10, stepFactor: 1.15, seed: 3 });
    const s = only(historyOf(results));
    expect(verdicts(s)).toEqual([
      'insufficient-history',
      'insufficient-history',
      ...Array(8).fill('unchanged'),
      'slower',
      'new-level',
      ...Array(4).fill('unchanged'),
    ]);
    const flagged = s.points[10];
    expect(flagged.resultId).toBe('step-10');
    expect(flagged.flagged).toMatchObject({ direction: 'slower', state: 'confirmed' });
    expect(flagged.check!.ratio).toBeGreaterThan(1.1);
    expect(flagged.check!.ratio).toBeLessThan(1.2);
    expect(flagged.check!.ratioCi!.low).toBeGreaterThan(1);
    expect(flagged.check!.pValue!).toBeLessThan(0.01);
    expect(flagged.check!.ratio - 1).toBeGreaterThan(flagged.check!.threshold);
    // After the change is confirmed, the baseline restarts at the new level.
    expect(s.points[12].check!.baselineIds).toEqual(['step-10', 'step-11']);
    expect(s.points[15].check!.baselineIds).toEqual(['step-10', 'step-11', 'step-12', 'step-13', 'step-14']);

    const found = regressions(results);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      resultId: 'step-10',
      direction: 'slower',
      state: 'confirmed',
      baselineId: 'step-09',
      baselineIds: Array.from({ length: 10 }, (_, i) => `step-0${i}`),
      series: {
        target: 'bottleneck',
        params: { mid: 64 },
        backend: 'ort-cpu',
        precision: 'fp32',
        batch: 1,
        threads: 1,
      },
    });
    expect(found[0].summary).toMatch(/1[3-7]\.\d% slower than its baseline of 10/);
  });

  it('flags no point of noise-only series', () => {
    // One 20-point series with 3% noise within runs and 2% between them...
    const s = only(historyOf(fakeHistory({ prefix: 'noise', points: 20, runNoise: 0.02, seed: 11 })));
    expect(s.points.filter((p) => p.flagged)).toEqual([]);
    expect(s.points.filter((p) => p.verdict === 'unchanged')).toHaveLength(18);
    // ...and 50 more at 1%: at most one (the threshold's false-alarm rate is 0.1% per point judged:
    // 0.9 expected flags over 50 x 18 points; docs/REGRESSIONS.md measures 1,000 series).
    let flagged = 0;
    for (let seed = 100; seed < 150; seed++)
      flagged += only(historyOf(fakeHistory({ prefix: 'n', points: 20, runNoise: 0.01, seed }))).points.filter(
        (p) => p.flagged,
      ).length;
    expect(flagged).toBeLessThanOrEqual(1);
  });

  it('flags a faster change as faster', () => {
    const results = fakeHistory({ prefix: 'fast', points: 14, runNoise: 0.01, stepAt: 10, stepFactor: 0.85, seed: 5 });
    const s = only(historyOf(results));
    expect(s.points.filter((p) => p.flagged).map((p) => [p.resultId, p.verdict])).toEqual([['fast-10', 'faster']]);
    expect(s.points[10].check!.ratioCi!.high).toBeLessThan(1);
    expect(regressions(results).map((r) => [r.resultId, r.direction])).toEqual([['fast-10', 'faster']]);
  });

  it('leaves quick runs out of baselines and unjudged, unless asked', () => {
    const results = fakeHistory({ prefix: 'q', points: 12, runNoise: 0.01, quickAt: [3, 11], seed: 7 });
    // The last point is a quick run 30% slower: a short, noisy measurement judges nothing.
    results[11] = { ...results[11], samplesMs: results[11].samplesMs.map((x) => x * 1.3) };
    const s = only(historyOf(results));
    expect(s.points[3]).toMatchObject({ verdict: 'excluded', quick: expect.stringMatching(/^quick run/) });
    expect(s.points[11].verdict).toBe('excluded');
    expect(s.points[11].check).toBeUndefined();
    expect(s.points.flatMap((p) => p.check?.baselineIds ?? [])).not.toContain('q-03');
    expect(regressions(results)).toEqual([]);
    // Asked for: the quick runs take part, and the slow one is flagged.
    const all = only(historyOf(results, { includeQuick: true }));
    expect(all.points[4].check!.baselineIds).toContain('q-03');
    expect(all.points[11].verdict).toBe('slower');
  });

  it('says when there is not enough history', () => {
    const s = only(historyOf(fakeHistory({ prefix: 'few', points: 3, seed: 9 })));
    expect(verdicts(s)).toEqual(['insufficient-history', 'insufficient-history', 'unchanged']);
    expect(s.points[0].note).toMatch(/insufficient history: 0 earlier results at this level, 2 needed/);
    expect(s.points[1].note).toMatch(/insufficient history: 1 earlier result at this level/);
    expect(s.points[0].check).toBeUndefined();
    // Two baseline points: judged, with the wide threshold two runs allow.
    expect(s.points[2].check!.baselineIds).toEqual(['few-00', 'few-01']);
  });

  it('keeps a series per backend, batch and threads apart, even interleaved', () => {
    const base = { points: 14, runNoise: 0.01 };
    const oneThread = fakeHistory({ ...base, prefix: 't1', seed: 21 });
    const fourThreads = fakeHistory({
      ...base,
      prefix: 't4',
      threads: 4,
      medianMs: 0.6,
      stepAt: 10,
      stepFactor: 1.15,
      seed: 22,
    });
    const batch8 = fakeHistory({ ...base, prefix: 'b8', batch: 8, medianMs: 9, seed: 23 });
    const cuda = fakeHistory({ ...base, prefix: 'cu', backend: 'ort-cuda', threads: 0, medianMs: 0.2, seed: 24 });
    const failed = fakeResult({ id: 'failed', status: 'failed', createdAt: '2025-06-05T12:00:00.000Z' });
    const mixed = [...oneThread, ...fourThreads, ...batch8, ...cuda, failed].sort((a, b) =>
      a.createdAt < b.createdAt ? -1 : 1,
    );
    const series = historyOf(mixed);
    expect(series).toHaveLength(4);
    for (const s of series) {
      const prefix = s.points[0].resultId.slice(0, 2);
      expect(s.points.every((p) => p.resultId.startsWith(prefix))).toBe(true);
      expect(s.points).toHaveLength(14);
    }
    const found = regressions(mixed);
    expect(found.map((r) => [r.resultId, r.series.threads, r.series.batch, r.series.backend])).toEqual([
      ['t4-10', 4, 1, 'ort-cpu'],
    ]);
  });

  it('marks a one-off slow run transient and keeps it out of later baselines', () => {
    const results = fakeHistory({ prefix: 'one', points: 14, runNoise: 0.01, seed: 31 });
    results[10] = { ...results[10], samplesMs: results[10].samplesMs.map((x) => x * 1.2) };
    const s = only(historyOf(results));
    expect(s.points[10]).toMatchObject({ verdict: 'slower', flagged: { state: 'transient' } });
    expect(s.points[11].verdict).toBe('unchanged');
    expect(s.points[13].check!.baselineIds).not.toContain('one-10');
    expect(regressions(results)[0]).toMatchObject({ resultId: 'one-10', state: 'transient' });
  });

  it('says which versions changed, and a pending change while it is the newest point', () => {
    const results = fakeHistory({ prefix: 'v', points: 11, runNoise: 0.01, stepAt: 10, stepFactor: 1.2, seed: 41 });
    const last = results[10];
    results[10] = {
      ...last,
      runtime: { ...last.runtime!, version: '1.31.0' },
      machine: { ...last.machine, versions: { ...last.machine.versions, onnxruntime: '1.31.0' } },
    };
    const [r] = regressions(results);
    expect(r).toMatchObject({ resultId: 'v-10', state: 'pending', direction: 'slower' });
    expect(r.versionChanges).toEqual([
      { name: 'runtime', from: 'onnxruntime-node 1.30.0', to: 'onnxruntime-node 1.31.0' },
      { name: 'onnxruntime', from: '1.30.0', to: '1.31.0' },
    ]);
    expect(r.summary).toMatch(/changed: runtime onnxruntime-node 1\.30\.0 -> onnxruntime-node 1\.31\.0/);
  });

  it('filters by time after judging the whole history, newest first', () => {
    const a = fakeHistory({ prefix: 'a', points: 14, runNoise: 0.01, stepAt: 10, stepFactor: 1.15, seed: 51 });
    const b = fakeHistory({
      prefix: 'b',
      points: 14,
      runNoise: 0.01,
      stepAt: 12,
      stepFactor: 1.15,
      seed: 52,
      threads: 2,
    });
    const all = [...a, ...b];
    expect(regressions(all).map((r) => r.resultId)).toEqual(['b-12', 'a-10']);
    // a-10 is on 2025-06-11, b-12 on 2025-06-13.
    expect(regressions(all, { since: '2025-06-12' }).map((r) => r.resultId)).toEqual(['b-12']);
    const trimmed = pointsSince(historyOf(all), '2025-06-13');
    expect(trimmed.map((s) => s.points.map((p) => p.resultId))).toEqual([
      ['a-12', 'a-13'],
      ['b-12', 'b-13'],
    ]);
    expect(() => regressions(all, { since: 'last week' })).toThrow(/not a date/);
  });

  it('returns plain JSON, and buildSeries + detectRegressions answer as historyOf does', () => {
    const results: BenchResult[] = fakeHistory({
      prefix: 'j',
      points: 13,
      runNoise: 0.01,
      stepAt: 10,
      stepFactor: 1.15,
      seed: 61,
    });
    const history = historyOf(results);
    expect(JSON.parse(JSON.stringify(history))).toEqual(history);
    const found = regressions(results);
    expect(JSON.parse(JSON.stringify(found))).toEqual(found);
    const built = buildSeries(results);
    expect(built[0].points.every((p) => p.verdict === 'insufficient-history' && !p.check)).toBe(true);
    expect(detectRegressions(built)).toEqual(history);
    expect(() => detectRegressions(JSON.parse(JSON.stringify(built)))).toThrow(/not from buildSeries/);
  });
});
