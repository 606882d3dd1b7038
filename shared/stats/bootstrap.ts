// The bootstrap of the median, without resampling: seeded, exact in distribution, O(1) per resample
// (a run keeps up to 100,000 samples, and a comparison resamples both sides 2000 times).

function standardNormal(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** Gamma(shape >= 1) by Marsaglia and Tsang's method. */
function gamma(shape: number, rand: () => number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = standardNormal(rand);
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    if (Math.log(1 - rand()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/**
 * Medians of `resamples` bootstrap resamples of `sorted`, in O(1) each instead of O(n): a resample
 * draws n ranks floor(n U_i), so its k-th smallest rank is floor(n U_(k)), and the k-th order
 * statistic of n uniforms is Beta(k, n - k + 1). The next one (the upper middle of an even n) is
 * the smallest of the n - k uniforms left above it. Same distribution as resampling, exactly.
 */
export function bootstrapMedians(sorted: Float64Array, resamples: number, rand: () => number): Float64Array {
  const n = sorted.length;
  const k = ((n - 1) >> 1) + 1;
  const out = new Float64Array(resamples);
  const rank = (u: number) => Math.min(n - 1, Math.floor(n * u));
  for (let r = 0; r < resamples; r++) {
    const g = gamma(k, rand);
    const v = g / (g + gamma(n - k + 1, rand));
    const low = sorted[rank(v)];
    if (n % 2 === 1) out[r] = low;
    else out[r] = (low + sorted[rank(v + (1 - v) * (1 - Math.pow(1 - rand(), 1 / (n - k))))]) / 2;
  }
  return out;
}
