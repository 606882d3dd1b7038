import { describe, expect, it } from 'vitest';
import { bootstrapMedians, compareRuns, compareSamples, mannWhitneyU } from '../shared/stats/compare.js';
import { seededRandom } from '../shared/random.js';
import { fakeResult, fakeSamples } from './helpers/fake-results.js';

describe('compareSamples', () => {
  it('calls two samples of the same distribution the same, with a large p-value', () => {
    const a = fakeSamples(400, 2.0, 0.03, 11);
    const b = fakeSamples(400, 2.0, 0.03, 12);
    const c = compareSamples(a, b);
    expect(c.verdict).toBe('same');
    expect(c.test.pValue).toBeGreaterThan(0.2);
    expect(c.ratioCi.low).toBeLessThanOrEqual(1);
    expect(c.ratioCi.high).toBeGreaterThanOrEqual(1);
    expect(c.regression).toBe(false);
    expect(c.probBSlower).toBeCloseTo(0.5, 1);
  });

  it('finds a 10% shift significant, slower, with the CI excluding 1, and flags a regression', () => {
    const a = fakeSamples(200, 2.0, 0.03, 21);
    const b = fakeSamples(200, 2.2, 0.03, 22);
    const c = compareSamples(a, b);
    expect(c.verdict).toBe('slower');
    expect(c.test.pValue).toBeLessThan(1e-6);
    expect(c.test.pValue).toBeGreaterThan(0); // a tail probability, not rounded to zero
    expect(c.ratio).toBeCloseTo(1.1, 1);
    expect(c.ratioCi.low).toBeGreaterThan(1);
    expect(c.ratioCi.high).toBeLessThan(1.15);
    expect(c.regression).toBe(true);
    expect(c.summary).toMatch(/slower.*regression/);
    // and the other way round is an improvement, not a regression
    const r = compareSamples(b, a);
    expect(r.verdict).toBe('faster');
    expect(r.improvement).toBe(true);
    expect(r.regression).toBe(false);
  });

  it('does not flag a significant difference below the threshold as a regression', () => {
    const a = fakeSamples(5000, 2.0, 0.01, 31);
    const b = fakeSamples(5000, 2.02, 0.01, 32);
    const c = compareSamples(a, b);
    expect(c.verdict).toBe('slower');
    expect(c.regression).toBe(false);
    expect(compareSamples(a, b, { threshold: 0.005 }).regression).toBe(true);
  });

  it('says unclear when there are too few noisy samples to tell', () => {
    const c = compareSamples(fakeSamples(6, 2.0, 0.3, 41), fakeSamples(6, 2.1, 0.3, 42));
    expect(c.verdict).toBe('unclear');
    expect(c.summary).toMatch(/more samples/);
  });

  it('is deterministic: the same samples and seed give the same interval', () => {
    const a = fakeSamples(100, 1, 0.1, 1);
    const b = fakeSamples(100, 1.05, 0.1, 2);
    expect(compareSamples(a, b).ratioCi).toEqual(compareSamples(a, b).ratioCi);
    expect(compareSamples(a, b, { seed: 7 }).ratioCi).not.toEqual(compareSamples(a, b).ratioCi);
  });

  it('handles an empty side without throwing', () => {
    const c = compareSamples([], [1, 2, 3]);
    expect(c.verdict).toBe('unclear');
    expect(c.summary).toMatch(/A has no samples/);
  });
});

describe('bootstrapMedians', () => {
  // Resampling by brute force: draw n ranks with replacement, sort, take the middle.
  function naive(sorted: Float64Array, resamples: number, rand: () => number): Float64Array {
    const n = sorted.length;
    const out = new Float64Array(resamples);
    for (let r = 0; r < resamples; r++) {
      const s = Float64Array.from({ length: n }, () => sorted[Math.floor(rand() * n)]).sort();
      out[r] = (s[(n - 1) >> 1] + s[n >> 1]) / 2;
    }
    return out.sort();
  }

  it.each([5, 6, 41, 100])('has the distribution of brute-force resampling (n = %i)', (n) => {
    const sorted = Float64Array.from(fakeSamples(n, 1, 0.3, n)).sort();
    const fast = bootstrapMedians(sorted, 40_000, seededRandom(1)).sort();
    const slow = naive(sorted, 40_000, seededRandom(2));
    // Kolmogorov-Smirnov distance between the two empirical distributions (noise ~0.01 at 40k draws).
    const cdf = (x: Float64Array, v: number) => x.filter((y) => y <= v).length / x.length;
    for (const v of sorted) expect(Math.abs(cdf(fast, v) - cdf(slow, v))).toBeLessThan(0.015);
    const mean = (x: Float64Array) => x.reduce((s, v) => s + v, 0) / x.length;
    expect(mean(fast)).toBeCloseTo(mean(slow), 2);
  });
});

describe('mannWhitneyU', () => {
  it('matches the exact distribution for tiny tie-free samples', () => {
    // Complete separation of 3 vs 3: U_B = 9, exact two-sided p = 2/20.
    const t = mannWhitneyU([1, 2, 3], [4, 5, 6]);
    expect(t.method).toBe('exact');
    expect(t.u).toBe(9);
    expect(t.pValue).toBeCloseTo(0.1, 10);
    // 4 vs 4, fully separated: 2/70.
    expect(mannWhitneyU([1, 2, 3, 4], [5, 6, 7, 8]).pValue).toBeCloseTo(2 / 70, 10);
  });

  it('uses the tie-corrected normal approximation with ties, and p = 1 when all values are equal', () => {
    const t = mannWhitneyU([1, 1, 2, 2, 3], [2, 3, 3, 4, 4]);
    expect(t.method).toBe('normal');
    expect(t.pValue).toBeGreaterThan(0);
    expect(t.pValue).toBeLessThan(1);
    expect(mannWhitneyU([5, 5, 5], [5, 5, 5]).pValue).toBe(1);
  });

  it('agrees with the textbook normal approximation on a larger sample', () => {
    // Against a direct computation: U = sum over pairs, z with continuity correction.
    const rand = seededRandom(3);
    const a = Array.from({ length: 30 }, () => rand());
    const b = Array.from({ length: 25 }, () => rand() + 0.2);
    let u = 0;
    for (const x of a) for (const y of b) u += y > x ? 1 : y === x ? 0.5 : 0;
    const t = mannWhitneyU(a, b);
    expect(t.u).toBeCloseTo(u, 9);
    const z = (Math.abs(u - 375) - 0.5) / Math.sqrt((30 * 25 * 56) / 12);
    expect(t.z).toBeCloseTo(z, 9);
  });
});

describe('compareRuns', () => {
  it('pairs by target, backend configuration and batch, pooling repetitions', () => {
    const block = { kind: 'block' as const, name: 'bottleneck', params: { mid: 64 } };
    const conv = { kind: 'block' as const, name: 'conv', params: {} };
    const a = [
      fakeResult({ target: block, repetition: 0, medianMs: 2, seed: 1 }),
      fakeResult({ target: block, repetition: 1, medianMs: 2, seed: 2 }),
      fakeResult({ target: conv, medianMs: 1, seed: 3 }),
      fakeResult({ target: conv, batch: 8, medianMs: 6, seed: 4 }),
      fakeResult({ target: block, status: 'failed' }),
    ];
    const b = [
      fakeResult({ target: block, repetition: 0, medianMs: 2.3, seed: 5 }),
      fakeResult({ target: block, repetition: 1, medianMs: 2.3, seed: 6 }),
      fakeResult({ target: block, repetition: 2, medianMs: 2.3, seed: 7 }),
      fakeResult({ target: conv, medianMs: 1, seed: 8 }),
      fakeResult({ target: conv, threads: 4, medianMs: 0.4, seed: 9 }),
    ];
    const cmp = compareRuns(a, b);
    expect(cmp.pairs).toHaveLength(2);
    const bottleneck = cmp.pairs.find((p) => p.label.startsWith('bottleneck'))!;
    expect(bottleneck.a.repetitions).toBe(2);
    expect(bottleneck.b.repetitions).toBe(3);
    expect(bottleneck.a.n).toBe(400);
    expect(bottleneck.b.n).toBe(600);
    expect(bottleneck.comparison.verdict).toBe('slower');
    expect(bottleneck.comparison.regression).toBe(true);
    const conv1 = cmp.pairs.find((p) => p.label.startsWith('conv'))!;
    expect(conv1.comparison.verdict).not.toBe('slower');
    expect(cmp.regressions).toBe(1);
    expect(cmp.onlyInA).toEqual(['conv on ort-cpu, batch 8, 1 threads']);
    expect(cmp.onlyInB).toEqual(['conv on ort-cpu, batch 1, 4 threads']);
    expect(cmp.skipped).toHaveLength(1);
    expect(cmp.skipped[0].reason).toMatch(/SIGSEGV/);
  });
});
