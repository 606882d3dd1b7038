// Activation ranges for static quantization, from the values a tensor took over calibration inputs.
// Three methods, as in onnxruntime.quantization's calibrators:
// - minmax: the smallest and largest value seen;
// - percentile: the range that keeps `percentile` % of the values, cutting half of the rest on
//   each side (on a histogram of the values);
// - entropy: the clipping threshold on |x| that minimises the KL divergence between the histogram
//   and its quantized version (TensorRT's calibration, 2048 bins into 128 levels).
import { CALIBRATION_METHODS } from '../contract/job.js';
import type { Range } from './int8.js';

export { CALIBRATION_METHODS };
export type CalibrationMethod = (typeof CALIBRATION_METHODS)[number];

export const DEFAULT_PERCENTILE = 99.999;
export const HISTOGRAM_BINS = 2048;
export const ENTROPY_QUANTIZED_BINS = 128;
/** Candidate thresholds every 4 bins (512 candidates): the KL curve is smooth at that scale, and it is 4x faster. */
export const ENTROPY_STRIDE = 4;

/**
 * A histogram over [lo, hi] that widens when later data fall outside: old counts move to the bin
 * of the new layout that holds their bin's centre (as ORT's HistogramCollector merges histograms).
 */
export class Histogram {
  counts: Float64Array;
  lo = 0;
  hi = 0;
  total = 0;

  constructor(readonly bins = HISTOGRAM_BINS) {
    this.counts = new Float64Array(bins);
  }

  private rebin(lo: number, hi: number): void {
    const old = this.counts;
    const [oldLo, oldHi] = [this.lo, this.hi];
    this.counts = new Float64Array(this.bins);
    this.lo = lo;
    this.hi = hi;
    if (this.total === 0) return;
    const w = (oldHi - oldLo) / this.bins;
    for (let i = 0; i < this.bins; i++) if (old[i]) this.counts[this.binOf(oldLo + (i + 0.5) * w)] += old[i];
  }

  binOf(v: number): number {
    const span = this.hi - this.lo;
    if (!(span > 0)) return 0;
    return Math.min(this.bins - 1, Math.max(0, Math.floor(((v - this.lo) / span) * this.bins)));
  }

  add(values: ArrayLike<number>, lo: number, hi: number): void {
    if (this.total === 0) this.rebin(lo, hi);
    else if (lo < this.lo || hi > this.hi) this.rebin(Math.min(lo, this.lo), Math.max(hi, this.hi));
    for (let i = 0; i < values.length; i++) this.counts[this.binOf(values[i])]++;
    this.total += values.length;
  }

  edge(i: number): number {
    return this.lo + ((this.hi - this.lo) * i) / this.bins;
  }
}

/** Everything a method needs about one tensor, collected over every calibration sample. */
export class RangeCollector {
  min = Infinity;
  max = -Infinity;
  samples = 0;
  readonly values?: Histogram;
  readonly magnitudes?: Histogram;

  constructor(readonly method: CalibrationMethod) {
    if (method === 'percentile') this.values = new Histogram();
    if (method === 'entropy') this.magnitudes = new Histogram();
  }

  observe(data: ArrayLike<number>): void {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!(lo <= hi)) return; // empty or NaN only
    this.min = Math.min(this.min, lo);
    this.max = Math.max(this.max, hi);
    this.samples++;
    this.values?.add(data, lo, hi);
    if (this.magnitudes) {
      const abs = new Float32Array(data.length);
      for (let i = 0; i < data.length; i++) abs[i] = Math.abs(data[i]);
      this.magnitudes.add(abs, 0, Math.max(Math.abs(lo), Math.abs(hi)));
    }
  }

  range(opts: { percentile?: number } = {}): Range {
    if (this.samples === 0) return { min: 0, max: 0 };
    if (this.method === 'percentile') return percentileRange(this.values!, opts.percentile ?? DEFAULT_PERCENTILE);
    if (this.method === 'entropy') {
      // uint8 spends all 256 levels on [0, t] when the tensor is never negative (after a Relu), and
      // about half of them on each side otherwise.
      const t = entropyThreshold(this.magnitudes!, this.min >= 0 ? 256 : ENTROPY_QUANTIZED_BINS);
      return { min: Math.max(this.min, -t), max: Math.min(this.max, t) };
    }
    return { min: this.min, max: this.max };
  }
}

/** Keeps `percentile` % of the values: (100 - percentile) / 2 % is cut off each end. */
export function percentileRange(h: Histogram, percentile: number): Range {
  if (h.total === 0) return { min: 0, max: 0 };
  const cut = ((100 - percentile) / 200) * h.total;
  let acc = 0;
  let left = 0;
  for (; left < h.bins - 1; left++) {
    acc += h.counts[left];
    if (acc > cut) break;
  }
  acc = 0;
  let right = h.bins - 1;
  for (; right > 0; right--) {
    acc += h.counts[right];
    if (acc > cut) break;
  }
  return { min: h.edge(left), max: h.edge(right + 1) };
}

/** Moves a little mass onto empty bins so that KL divergence stays finite (ORT's smooth_distribution). */
function smooth(p: Float64Array, eps = 1e-4): Float64Array | undefined {
  let zeros = 0;
  for (const v of p) if (v === 0) zeros++;
  const nonzeros = p.length - zeros;
  if (nonzeros === 0) return undefined;
  const take = (eps * zeros) / nonzeros;
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = p[i] === 0 ? eps : p[i] - take;
  return out;
}

function klDivergence(p: Float64Array, q: Float64Array): number {
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i];
    sq += q[i];
  }
  let kl = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0 && q[i] > 0) kl += (p[i] / sp) * Math.log(p[i] / sp / (q[i] / sq));
  return kl;
}

/**
 * TensorRT's entropy calibration on a histogram of |x| starting at 0: for each candidate threshold
 * (bin i from `levels` to 2048, every `stride` bins), the reference distribution is the first i bins with everything beyond
 * folded into the last; the candidate is those i bins merged into 128 levels and spread back over
 * their non-empty bins; the threshold with the smallest KL(reference || candidate) wins.
 */
export function entropyThreshold(h: Histogram, levels = ENTROPY_QUANTIZED_BINS, stride = ENTROPY_STRIDE): number {
  if (h.total === 0 || !(h.hi > 0)) return 0;
  let best = h.hi;
  let bestKl = Infinity;
  // suffix[k] = counts[k] + ... + counts[bins - 1]: what a threshold at bin k folds into its last bin.
  const suffix = new Float64Array(h.bins + 1);
  for (let k = h.bins - 1; k >= 0; k--) suffix[k] = suffix[k + 1] + h.counts[k];
  for (let i = levels; i <= h.bins; i += i + stride > h.bins && i < h.bins ? h.bins - i : stride) {
    const outliers = suffix[i];
    const ref = new Float64Array(i);
    for (let k = 0; k < i; k++) ref[k] = h.counts[k];
    ref[i - 1] += outliers;
    const cand = new Float64Array(i);
    const per = i / levels;
    for (let j = 0; j < levels; j++) {
      const start = Math.floor(j * per);
      const stop = j === levels - 1 ? i : Math.floor((j + 1) * per);
      let sum = 0;
      let nonzero = 0;
      for (let k = start; k < stop; k++) {
        sum += h.counts[k];
        if (h.counts[k] !== 0) nonzero++;
      }
      if (nonzero) for (let k = start; k < stop; k++) if (h.counts[k] !== 0) cand[k] = sum / nonzero;
    }
    const p = smooth(ref);
    const q = smooth(cand);
    if (!p || !q) continue;
    const kl = klDivergence(p, q);
    if (kl < bestKl) {
      bestKl = kl;
      best = h.edge(i);
    }
  }
  return best;
}
