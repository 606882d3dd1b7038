// Any two targets compared (shared/stats/pair-compare.ts): the cost model's speed-up beside the
// measured one per setting, settings with one side only listed as not measured.
import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../shared/contract/result.js';
import { costGraph } from '../shared/cost/cost-model.js';
import { buildTarget } from '../shared/targets.js';
import { compareSamples } from '../shared/stats/compare.js';
import {
  comparePair,
  compareTargets,
  pairSide,
  parsePairTarget,
  resultIsTarget,
} from '../shared/stats/pair-compare.js';
import { graphTraffic } from '../shared/stats/top-layers.js';
import { fakeMachine, fakeResult } from './helpers/fake-results.js';

const A = 'bottleneck:mid=32,stride=2';
const B = 'basic-residual';
const macsOf = (target: string, set: Record<string, string> = {}) =>
  costGraph(buildTarget({ target, set })).totals.macs;

/** A saved result of a block target with the given parameters (as the CLI saves them: strings). */
function saved(
  name: string,
  params: Record<string, string | number>,
  medianMs: number,
  o: { threads?: number; batch?: number; seed?: number; machine?: BenchResult['machine'] } = {},
): BenchResult {
  return fakeResult({
    target: { kind: 'block', name, params },
    medianMs,
    threads: o.threads,
    batch: o.batch,
    seed: o.seed,
    n: 80,
    machine: o.machine,
  });
}

describe('targets', () => {
  it('resolves every parameter, so that defaults written out are the same target', () => {
    const p = parsePairTarget('bottleneck:mid=32,stride=2');
    expect(p.label).toBe('bottleneck:mid=32,stride=2');
    expect(p.params.mid).toBe(32);
    expect(resultIsTarget(p, saved('bottleneck', { mid: '32', stride: '2' }, 1))).toBe(true);
    expect(resultIsTarget(p, saved('bottleneck', { stride: 2, mid: 32, height: 56 }, 1))).toBe(true);
    expect(resultIsTarget(p, saved('bottleneck', { mid: '32' }, 1))).toBe(false);
    expect(resultIsTarget(parsePairTarget('bottleneck'), saved('bottleneck', { mid: 64 }, 1))).toBe(true);
    expect(resultIsTarget(parsePairTarget('basic-residual'), saved('bottleneck', {}, 1))).toBe(false);
  });

  it('reads a model variant after a slash and refuses what does not exist', () => {
    expect(parsePairTarget('resnet50/torchvision').variant).toBe('torchvision');
    expect(parsePairTarget('resnet50').label).toMatch(/^resnet50\/\w+$/);
    expect(() => parsePairTarget('resnet51')).toThrow(/unknown target 'resnet51'/);
    expect(() => parsePairTarget('bottleneck:midd=3')).toThrow(/unknown parameter 'midd'/);
    expect(() => parsePairTarget('resnet50/caffe')).toThrow(/no variant 'caffe'/);
  });
});

describe('comparing any two targets', () => {
  it("gives the cost model's MACs ratio and memory-traffic ratio as the theoretical speed-up", () => {
    const out = compareTargets(A, B, []);
    expect(out.a).toBe(A);
    expect(out.b).toBe(B);
    expect(out.theory!.macs).toEqual([macsOf(A), macsOf(B)]);
    expect(out.theory!.macsRatio).toBeCloseTo(macsOf(A) / macsOf(B), 12);
    expect(out.theory!.macsRatio).toBeCloseTo(71_450_624 / 231_211_008, 12);
    const traffic = graphTraffic(buildTarget({ target: A })) / graphTraffic(buildTarget({ target: B }));
    expect(out.theory!.trafficRatio).toBeCloseTo(traffic, 12);
    expect(out.settings).toEqual([]);
  });

  it('measures median_A / median_B per setting, pooled over repetitions, with the seed verdicts’ statistics', () => {
    const a1 = saved('bottleneck', { mid: '32', stride: '2' }, 2.0, { seed: 1 });
    const a2 = saved('bottleneck', { mid: '32', stride: '2' }, 2.02, { seed: 2 });
    const b1 = saved('basic-residual', {}, 4.0, { seed: 3 });
    const out = compareTargets(A, B, [a1, b1, a2, saved('separable', {}, 1)]);
    expect(out.settings).toHaveLength(1);
    const s = out.settings[0];
    expect(s.setting).toBe('ort-cpu, batch 1, 1 threads');
    expect(s.ids).toEqual([[a1.id, a2.id], [b1.id]]);
    const cmp = compareSamples([...a1.samplesMs, ...a2.samplesMs], b1.samplesMs);
    expect(s.measured!.speedup).toBeCloseTo(cmp.medianA / cmp.medianB, 12);
    expect(s.measured!.speedup).toBeGreaterThan(0.45);
    expect(s.measured!.speedup).toBeLessThan(0.55);
    expect(s.measured!.speedupCi.low).toBeCloseTo(1 / cmp.ratioCi.high, 12);
    expect(s.measured!.verdict).toBe('slower');
    expect(s.measured!.repetitions).toEqual([2, 1]);
    expect(s.theory!.macsRatio).toBeCloseTo(macsOf(A) / macsOf(B), 12);
    expect(out.measuredCount).toBe(1);
    expect(out.notMeasuredCount).toBe(0);
  });

  it('lists settings measured on one side only as not measured, never invents the other', () => {
    const other = fakeMachine({ memory: { totalBytes: 8 * 2 ** 30 } });
    const out = compareTargets(A, B, [
      saved('bottleneck', { mid: '32', stride: '2' }, 2, { threads: 1 }),
      saved('basic-residual', {}, 4, { threads: 1 }),
      // Four threads: only A.
      saved('bottleneck', { mid: '32', stride: '2' }, 1, { threads: 4 }),
      // Batch 8: only B (its own theory at batch 8).
      saved('basic-residual', {}, 20, { batch: 8 }),
      // Another machine, both sides: its own answer.
      saved('bottleneck', { mid: '32', stride: '2' }, 3, { machine: other }),
      saved('basic-residual', {}, 3, { machine: other }),
    ]);
    expect(out.measuredCount).toBe(2);
    expect(out.notMeasuredCount).toBe(2);
    // Measured settings first.
    expect(out.settings.map((s) => !!s.measured)).toEqual([true, true, false, false]);
    const four = out.settings.find((s) => s.setting === 'ort-cpu, batch 1, 4 threads')!;
    expect(four.measured).toBeUndefined();
    expect(four.missing).toBe('B');
    const batch8 = out.settings.find((s) => s.setting === 'ort-cpu, batch 8, 1 threads')!;
    expect(batch8.missing).toBe('A');
    expect(batch8.theory!.batch).toBe(8);
    expect(batch8.theory!.macs).toEqual([macsOf(A, { batch: '8' }), macsOf(B, { batch: '8' })]);
  });

  it('leaves quick runs out unless asked for, saying why', () => {
    const a = saved('bottleneck', { mid: '32', stride: '2' }, 2);
    const b = saved('basic-residual', {}, 4);
    const quickB = {
      ...b,
      job: { ...b.job, measure: { ...b.job.measure, minTimeS: 0.5, maxTimeS: 3, targetRelCi: 0.05 } },
    };
    const out = compareTargets(A, B, [a, quickB]);
    expect(out.excluded).toEqual([{ id: b.id, reason: expect.stringMatching(/^quick run: minimum time 0\.5 s/) }]);
    expect(out.settings[0].missing).toBe('B');
    const pooled = compareTargets(A, B, [a, quickB], { includeQuick: true });
    expect(pooled.excluded).toEqual([]);
    expect(pooled.settings[0].measured!.repetitions).toEqual([1, 1]);
  });

  it('keeps results a caller excludes out, saying why', () => {
    const quick = saved('basic-residual', {}, 4);
    const out = comparePair(
      pairSide(parsePairTarget(A)),
      pairSide(parsePairTarget(B)),
      [saved('bottleneck', { mid: '32', stride: '2' }, 2), quick],
      { exclude: (r) => (r.id === quick.id ? 'a quick run' : undefined) },
    );
    expect(out.excluded).toEqual([{ id: quick.id, reason: 'a quick run' }]);
    expect(out.settings[0].missing).toBe('B');
  });

  it('states where the measurement parts from the cost model', () => {
    // B has 3.2x fewer MACs than A here (A = basic-residual), yet is no faster.
    const out = compareTargets(B, A, [
      saved('basic-residual', {}, 2, { seed: 5 }),
      saved('bottleneck', { mid: '32', stride: '2' }, 2, { seed: 6 }),
    ]);
    expect(out.settings[0].finding).toMatch(/saves 69% of the MACs but no time/);
  });
});
