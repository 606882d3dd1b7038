// Precision variants, the pure parts: fidelity figures on hand-made cases, and the calibration
// methods on a skewed distribution.
import { describe, expect, it } from 'vitest';
import { entropyThreshold, Histogram, percentileRange, RangeCollector } from '../shared/precision/calibration.js';
import { fidelity, isClassifierShape } from '../shared/precision/fidelity.js';
import { quantizeWeights, uint8Params } from '../shared/precision/int8.js';

describe('fidelity against the fp32 reference', () => {
  it('gives exact figures on a hand-made pair', () => {
    const ref = { name: 'y', shape: [4], data: [3, 0, -4, 0] };
    const got = { name: 'y', shape: [4], data: [3, 1, -4, 0] };
    const f = fidelity([got], [ref]);
    const o = f.outputs[0];
    expect(o.maxAbsError).toBe(1);
    expect(o.meanAbsError).toBe(0.25);
    // ||diff|| = 1, ||ref|| = 5.
    expect(o.relError).toBeCloseTo(0.2, 12);
    // dot = 25, |got| = sqrt(26), |ref| = 5.
    expect(o.cosine).toBeCloseTo(25 / (Math.sqrt(26) * 5), 12);
    expect(o.top1Agreement).toBeUndefined();
    expect(f.overall.elements).toBe(4);
  });

  it('is perfect on identical outputs and opposite on negated ones', () => {
    const ref = { name: 'y', shape: [3], data: [1, 2, 3] };
    expect(fidelity([ref], [ref]).overall).toMatchObject({ maxAbsError: 0, relError: 0, cosine: 1 });
    const neg = { name: 'y', shape: [3], data: [-1, -2, -3] };
    expect(fidelity([neg], [ref]).overall.cosine).toBeCloseTo(-1, 12);
  });

  it('counts top-1 agreement per row of classifier-like outputs only', () => {
    expect(isClassifierShape([2, 3])).toBe(true);
    expect(isClassifierShape([1, 10, 1, 1])).toBe(true);
    expect(isClassifierShape([1, 1])).toBe(false);
    expect(isClassifierShape([1, 64, 7, 7])).toBe(false);
    const ref = { name: 'logits', shape: [2, 3], data: [0.1, 0.7, 0.2, 0.5, 0.4, 0.1] };
    const got = { name: 'logits', shape: [2, 3], data: [0.1, 0.6, 0.3, 0.3, 0.4, 0.1] };
    const f = fidelity([got], [ref]);
    expect(f.outputs[0].top1Agreement).toBe(0.5);
    expect(f.overall.top1Agreement).toBe(0.5);
  });

  it('pools every output in the overall figures and says which output is missing', () => {
    const a = { name: 'a', shape: [2], data: [1, 0] };
    const b = { name: 'b', shape: [2], data: [0, 1] };
    const f = fidelity([a, { ...b, data: [0, 3] }], [a, b]);
    expect(f.overall.maxAbsError).toBe(2);
    expect(f.overall.elements).toBe(4);
    expect(f.overall.meanAbsError).toBe(0.5);
    expect(() => fidelity([a], [a, b])).toThrow(/no output 'b'/);
  });

  it('reports NaN in the variant as an error, never as agreement', () => {
    const ref = { name: 'y', shape: [2], data: [1, 2] };
    const f = fidelity([{ ...ref, data: [NaN, 2] }], [ref]);
    expect(Number.isNaN(f.overall.maxAbsError)).toBe(true);
  });
});

describe('quantization parameters', () => {
  it('uint8 asymmetric: the range always includes 0, the zero point maps 0 exactly', () => {
    const relu = uint8Params({ min: 0, max: 2.55 });
    expect(relu.scale).toBeCloseTo(0.01, 12);
    expect(relu.zeroPoint).toBe(0);
    const p = uint8Params({ min: -1, max: 3 });
    expect(p.scale).toBeCloseTo(4 / 255, 9);
    expect(p.zeroPoint).toBe(64);
    expect(uint8Params({ min: 0.5, max: 0.5 }).zeroPoint).toBe(0); // range [0, 0.5]
    expect(uint8Params({ min: 0, max: 0 })).toEqual({ scale: 1, zeroPoint: 0 });
  });

  it('int8 weights: one symmetric scale per output channel, within [-127, 127]', () => {
    // Two output channels of [2, 1, 1, 2] weights along axis 0.
    const w = new Float32Array([0.5, -1, 2, 1]);
    const q = quantizeWeights(w, [2, 1, 1, 2], 0);
    expect([...q.scales]).toEqual([1 / 127, 2 / 127].map((v) => Math.fround(v)));
    expect([...q.q]).toEqual([64, -127, 127, 64]);
    // Gemm with transB = 0: [K, N] weights, channels along axis 1.
    const g = quantizeWeights(new Float32Array([1, 4, -2, 8]), [2, 2], 1);
    expect([...g.scales]).toEqual([2 / 127, 8 / 127].map((v) => Math.fround(v)));
    expect([...g.q]).toEqual([64, 64, -127, 127]);
  });
});

/** A skewed activation: mostly small positives (exponential), a few large outliers. */
function skewed(n: number, seed = 1): Float32Array {
  let s = seed;
  const rand = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = -Math.log(1 - rand()) * 0.5 - 0.05;
  for (let i = 0; i < n; i += 5000) out[i] = 40 + rand() * 10; // 0.02% outliers up to 50
  return out;
}

describe('calibration methods', () => {
  const data = [skewed(50_000, 1), skewed(50_000, 2), skewed(50_000, 3)];
  const rangeOf = (method: 'minmax' | 'percentile' | 'entropy', percentile?: number) => {
    const c = new RangeCollector(method);
    for (const d of data) c.observe(d);
    return c.range({ percentile });
  };

  it('give different, sensible ranges on a skewed distribution', () => {
    const mm = rangeOf('minmax');
    const pc = rangeOf('percentile', 99.9);
    const pcDefault = rangeOf('percentile');
    const en = rangeOf('entropy');
    // minmax keeps the outliers.
    expect(mm.max).toBeGreaterThan(40);
    expect(mm.min).toBeCloseTo(-0.05, 3);
    // 99.9% cuts the 0.02% outliers: the bulk of an Exp(2) ends near -ln(0.0005)/2 = 3.8.
    expect(pc.max).toBeLessThan(6);
    expect(pc.max).toBeGreaterThan(2.5);
    // 99.999% keeps more than 99.9% does (the 0.001% cut falls inside the outliers).
    expect(pcDefault.max).toBeGreaterThan(pc.max);
    // Entropy clips the outliers too, somewhere inside the bulk's tail.
    expect(en.max).toBeLessThan(mm.max / 2);
    expect(en.max).toBeGreaterThan(1);
    expect(en.min).toBeGreaterThanOrEqual(mm.min);
    expect(new Set([mm.max, pc.max, en.max]).size).toBe(3);
  });

  it('widen the histogram when later samples exceed the first range', () => {
    const h = new Histogram(100);
    h.add([0, 1, 2, 3], 0, 3);
    h.add([10], 10, 10);
    expect(h.lo).toBe(0);
    expect(h.hi).toBe(10);
    expect(h.total).toBe(5);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(5);
    expect(percentileRange(h, 100).max).toBe(10);
  });

  it('entropy keeps the whole range of a uniform distribution', () => {
    const h = new Histogram();
    const u = Float32Array.from({ length: 100_000 }, (_, i) => (i % 1000) / 1000);
    h.add(u, 0, 0.999);
    expect(entropyThreshold(h)).toBeGreaterThan(0.95);
  });
});
