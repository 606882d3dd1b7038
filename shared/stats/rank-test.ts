// The Mann-Whitney U test (Wilcoxon rank-sum), two-sided: exact for small tie-free samples,
// otherwise the normal approximation with tie and continuity corrections.

export interface UTest {
  /** U statistic of B (pairs where the B sample is larger, ties counting one half). */
  u: number;
  z: number;
  pValue: number;
  method: 'exact' | 'normal';
}

/**
 * Complementary error function with relative error below 1.2e-7 everywhere (Numerical Recipes'
 * erfcc). Computing it as 1 - erf (simple-statistics' errorFunction) would round tiny tail
 * probabilities, the p-values of clear differences, to zero.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly = [
    -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223,
    0.17087277,
  ];
  const r = t * Math.exp(-z * z + poly.reduceRight((acc, c) => c + t * acc, 0));
  return x >= 0 ? r : 2 - r;
}

/** Number of arrangements giving each U (0..m*n) for tie-free samples of sizes m and n. */
function exactUCounts(m: number, n: number): Float64Array {
  // f[i][j][u]: arrangements of i A's and j B's with statistic u; the last element is either an A
  // (below every B: adds nothing) or a B (above all i A's: adds i).
  let prev: Float64Array[] = Array.from({ length: n + 1 }, () => Float64Array.of(1));
  for (let i = 1; i <= m; i++) {
    const cur: Float64Array[] = [Float64Array.of(1)];
    for (let j = 1; j <= n; j++) {
      const f = new Float64Array(i * j + 1);
      prev[j].forEach((c, u) => (f[u] += c));
      cur[j - 1].forEach((c, u) => (f[u + i] += c));
      cur.push(f);
    }
    prev = cur;
  }
  return prev[n];
}

/** Two-sided Mann-Whitney U test of A against B. */
export function mannWhitneyU(a: readonly number[], b: readonly number[]): UTest {
  const [nA, nB] = [a.length, b.length];
  const all = [...a.map((v) => ({ v, b: false })), ...b.map((v) => ({ v, b: true }))].sort((x, y) => x.v - y.v);
  const n = all.length;
  let rankSumB = 0;
  let tieTerm = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && all[j + 1].v === all[i].v) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (all[k].b) rankSumB += rank;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  const u = rankSumB - (nB * (nB + 1)) / 2;
  const mu = (nA * nB) / 2;
  if (nA === 0 || nB === 0) return { u, z: 0, pValue: 1, method: 'normal' };
  if (tieTerm === 0 && n <= 20) {
    const counts = exactUCounts(nA, nB);
    const total = counts.reduce((s, c) => s + c, 0);
    let [le, ge] = [0, 0];
    counts.forEach((c, k) => {
      if (k <= u) le += c;
      if (k >= u) ge += c;
    });
    const sigma = Math.sqrt((nA * nB * (n + 1)) / 12);
    return { u, z: (u - mu) / sigma, pValue: Math.min(1, (2 * Math.min(le, ge)) / total), method: 'exact' };
  }
  const variance = ((nA * nB) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u, z: 0, pValue: 1, method: 'normal' };
  const z = (Math.sign(u - mu) * Math.max(0, Math.abs(u - mu) - 0.5)) / Math.sqrt(variance);
  return { u, z, pValue: Math.min(1, erfc(Math.abs(z) / Math.SQRT2)), method: 'normal' };
}
