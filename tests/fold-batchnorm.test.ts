// shared/graph/fold-batchnorm.ts: the BatchNormalization fold both the native lowering and the
// int8 pre-processing use. Its results must stay bit-identical to the loops it replaced (the
// precision of each intermediate is part of what the callers' fidelity and conformance figures
// were measured with), so each function is checked against those loops, written out here.
import { describe, expect, it } from 'vitest';
import { batchNormAffine, batchNormScale, foldBatchNorm, scaleOutputChannels } from '../shared/graph/fold-batchnorm.js';
import { seededRandom } from '../shared/random.js';

/** The bytes of a typed array: equal bytes, equal bits (+0 and -0, NaN payloads included). */
const bits = (a: Float32Array | Float64Array) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

function randomVector(n: number, next: () => number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * next());
}

function randomCase(seed: number) {
  const next = seededRandom(seed);
  const m = 1 + Math.floor(next() * 16);
  const per = 1 + Math.floor(next() * 27);
  return {
    m,
    weights: randomVector(m * per, next, -1, 1),
    bias: randomVector(m, next, -1, 1),
    gamma: randomVector(m, next, 0.5, 1.5),
    beta: randomVector(m, next, -0.5, 0.5),
    mean: randomVector(m, next, -0.5, 0.5),
    variance: randomVector(m, next, 1e-4, 2),
  };
}

describe('BatchNormalization folding (shared/graph/fold-batchnorm.ts)', () => {
  it('folds a hand-computed case: scale = gamma / sqrt(var + eps), W * scale, (b - mean) * scale + beta', () => {
    const bn = { gamma: [2, 0.5], beta: [1, -1], mean: [0.25, -0.5], variance: [3, 0.999], epsilon: 1e-3 };
    const { weights, bias } = foldBatchNorm([1, 2, 3, 4], [0.5, 0.125], bn, 2);
    const s0 = 2 / Math.sqrt(3 + 1e-3);
    const s1 = 0.5 / Math.sqrt(0.999 + 1e-3);
    expect(Array.from(weights)).toEqual([1 * s0, 2 * s0, 3 * s1, 4 * s1].map(Math.fround));
    expect(Array.from(bias)).toEqual([(0.5 - 0.25) * s0 + 1, (0.125 + 0.5) * s1 - 1].map(Math.fround));
  });

  it('foldBatchNorm is bit-identical to the int8 pre-processing loop it replaced', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const { m, weights: w, bias: b, gamma, beta, mean, variance } = randomCase(seed);
      const eps = Math.fround(1e-5);
      const per = w.length / m;
      const w2 = new Float32Array(w.length);
      const b2 = new Float32Array(m);
      for (let c = 0; c < m; c++) {
        const f = gamma[c] / Math.sqrt(variance[c] + eps);
        for (let k = 0; k < per; k++) w2[c * per + k] = w[c * per + k] * f;
        b2[c] = (b[c] - mean[c]) * f + beta[c];
      }
      const got = foldBatchNorm(w, b, { gamma, beta, mean, variance, epsilon: eps }, m);
      expect(bits(got.weights)).toEqual(bits(w2));
      expect(bits(got.bias)).toEqual(bits(b2));
    }
  });

  it('batchNormAffine and scaleOutputChannels are bit-identical to the native lowering loops they replaced', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const { m, weights: w, gamma, beta, mean, variance } = randomCase(seed);
      const eps = 1e-3;
      const scale = new Float64Array(m);
      const shift = new Float64Array(m);
      for (let i = 0; i < m; i++) {
        scale[i] = gamma[i] / Math.sqrt(variance[i] + Math.fround(eps));
        shift[i] = beta[i] - mean[i] * scale[i];
      }
      const got = batchNormAffine({ gamma, beta, mean, variance, epsilon: Math.fround(eps) });
      expect(bits(got.scale)).toEqual(bits(scale));
      expect(bits(got.shift)).toEqual(bits(shift));
      const per = w.length / m;
      const wf = new Float32Array(w.length);
      for (let o = 0; o < m; o++) for (let k = 0; k < per; k++) wf[o * per + k] = w[o * per + k] * scale[o];
      expect(bits(scaleOutputChannels(w, scale))).toEqual(bits(wf));
    }
  });

  it('adds epsilon as given: the caller chooses float32 or float64 epsilon', () => {
    const s64 = batchNormScale([1], [1e-4], 1e-5)[0];
    const s32 = batchNormScale([1], [1e-4], Math.fround(1e-5))[0];
    expect(s64).toBe(1 / Math.sqrt(1e-4 + 1e-5));
    expect(s32).toBe(1 / Math.sqrt(1e-4 + Math.fround(1e-5)));
    expect(s64).not.toBe(s32);
  });
});
