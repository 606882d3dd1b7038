// Features as the lab holds them: one row of float32 values per image (the cut tensor of one
// sample, flattened in C x H x W order), its label, and the per-feature standardization.

export interface FeatureSet {
  /** One sample's feature shape (the cut tensor without the batch dimension), e.g. [64, 7, 7]. */
  shape: number[];
  /** Samples (rows). */
  count: number;
  /** count x prod(shape) values, row-major. */
  data: Float32Array;
  labels: Int32Array;
}

/** Rows of a 2-D matrix: `width` values per row. */
export interface Rows {
  width: number;
  count: number;
  data: Float32Array;
}

export const rowWidth = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The features as rows, unchanged (flatten): the view fc and mlp heads read. */
export function flattenRows(f: FeatureSet): Rows {
  return { width: rowWidth(f.shape), count: f.count, data: f.data };
}

/**
 * Global average pooling of C x (spatial) features into C values per sample: what ONNX
 * GlobalAveragePool computes (the sum over the map divided by its size), summed in float64.
 */
export function gapRows(f: FeatureSet): Rows {
  if (f.shape.length < 2)
    throw new Error(`global average pooling needs C x H x W features; these are [${f.shape.join(', ')}]`);
  const c = f.shape[0];
  const spatial = rowWidth(f.shape.slice(1));
  const out = new Float32Array(f.count * c);
  for (let i = 0; i < f.count; i++) {
    const base = i * c * spatial;
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      const o = base + ch * spatial;
      for (let k = 0; k < spatial; k++) s += f.data[o + k];
      out[i * c + ch] = s / spatial;
    }
  }
  return { width: c, count: f.count, data: out };
}

/**
 * Per-feature mean and standard deviation (a constant feature gets std 1: it is only centred).
 * Standard deviations are floored at a tenth of the median one: a nearly dead feature (a ReLU
 * channel active on a few images) would otherwise be amplified by 1/std, and once the
 * standardization is folded into the first layer (heads.ts foldedLayers) its weights would be
 * thousands of times larger than the others, which destroys that layer under per-channel int8
 * quantization (every other weight of the row rounds to zero) and overfits the rare images anyway.
 */
export interface Standardizer {
  mean: Float32Array;
  std: Float32Array;
}

export function fitStandardizer(rows: Rows, indices: ArrayLike<number>): Standardizer {
  const w = rows.width;
  const sum = new Float64Array(w);
  const sq = new Float64Array(w);
  for (let k = 0; k < indices.length; k++) {
    const o = indices[k] * w;
    for (let j = 0; j < w; j++) {
      const v = rows.data[o + j];
      sum[j] += v;
      sq[j] += v * v;
    }
  }
  const n = Math.max(1, indices.length);
  const mean = new Float32Array(w);
  const std = new Float32Array(w);
  for (let j = 0; j < w; j++) {
    const m = sum[j] / n;
    const variance = Math.max(0, sq[j] / n - m * m);
    mean[j] = m;
    // Below this the feature is constant up to rounding: dividing would only amplify noise.
    std[j] = Math.sqrt(variance) > 1e-6 * Math.max(1, Math.abs(m)) ? Math.sqrt(variance) : 0;
  }
  const varying = Array.from(std)
    .filter((v) => v > 0)
    .sort((a, b) => a - b);
  const floor = varying.length ? 0.1 * varying[varying.length >> 1] : 1;
  for (let j = 0; j < w; j++) std[j] = std[j] === 0 ? 1 : Math.max(std[j], floor);
  return { mean, std };
}

/** (x - mean) / std of every row, as a new matrix. */
export function standardize(rows: Rows, s: Standardizer): Rows {
  const w = rows.width;
  const out = new Float32Array(rows.count * w);
  const inv = s.std.map((v) => 1 / v);
  for (let i = 0; i < rows.count; i++) {
    const o = i * w;
    for (let j = 0; j < w; j++) out[o + j] = (rows.data[o + j] - s.mean[j]) * inv[j];
  }
  return { width: w, count: rows.count, data: out };
}
