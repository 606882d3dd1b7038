// Latency statistics and the stopping rule of the measurement loop (DESIGN.md "Benchmark method").
// Percentiles, means and deviations come from simple-statistics; the median's confidence interval
// is the distribution-free order-statistic interval (no normality assumed: latencies are skewed).
import {
  interquartileRange,
  mean,
  median as sampleMedian,
  probit,
  quantileSorted,
  sampleStandardDeviation,
} from 'simple-statistics';
import type { Measure } from '../contract/job.js';
import type { BenchResult, LatencyStats } from '../contract/result.js';

/**
 * 95% (by default) confidence interval of the median from order statistics: with n sorted samples,
 * the ranks n/2 -+ z*sqrt(n)/2 (normal approximation of the Binomial(n, 1/2)) bound the median.
 */
export function medianConfidenceInterval(sorted: readonly number[], level = 0.95) {
  const n = sorted.length;
  if (n === 0) return { low: NaN, high: NaN, level };
  const z = probit(1 - (1 - level) / 2);
  const half = (z * Math.sqrt(n)) / 2;
  const lo = Math.max(0, Math.floor(n / 2 - half));
  const hi = Math.min(n - 1, Math.ceil(n / 2 + half) - 1);
  return { low: sorted[lo], high: sorted[Math.max(lo, hi)], level };
}

export function latencyStats(samplesMs: readonly number[], ctx: { batch: number; flops: number }): LatencyStats {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const n = sorted.length;
  const q = (p: number) => quantileSorted(sorted, p);
  const p50 = q(0.5);
  const avg = mean(sorted);
  const stddev = n > 1 ? sampleStandardDeviation(sorted) : 0;
  const iqr = n > 3 ? interquartileRange(sorted) : 0;
  const [q1, q3] = [q(0.25), q(0.75)];
  const outliers = n > 3 ? sorted.filter((x) => x < q1 - 1.5 * iqr || x > q3 + 1.5 * iqr).length : 0;
  return {
    n,
    min: sorted[0],
    p50,
    p90: q(0.9),
    p99: q(0.99),
    max: sorted[n - 1],
    mean: avg,
    stddev,
    cv: avg > 0 ? stddev / avg : 0,
    medianCi: medianConfidenceInterval(sorted),
    outliers,
    throughput: p50 > 0 ? (ctx.batch * 1000) / p50 : 0,
    gflops: p50 > 0 ? ctx.flops / (p50 * 1e6) : 0,
  };
}

/** Relative half-width of the median's confidence interval: max distance to the median / median. */
export function relativeCiHalfWidth(samplesMs: readonly number[]): number {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const med = quantileSorted(sorted, 0.5);
  const ci = medianConfidenceInterval(sorted);
  return med > 0 ? Math.max(med - ci.low, ci.high - med) / med : Infinity;
}

/**
 * Whether measuring may stop, and why (`undefined`: keep measuring). In order:
 * - the maximum count is hit: 'max-runs';
 * - both the minimum count and the minimum time are reached: 'user-min-time-and-runs' when the user
 *   set a minimum (m.userMinimums), 'min-time-and-runs' for the defaults;
 * - the maximum time is hit: 'max-time';
 * - with the default minimums only, at least minRuns samples and the median's CI within the target:
 *   'ci-reached'. Minimums the user set are never cut short by this early stop.
 */
export function stopReason(samplesMs: readonly number[], elapsedMs: number, m: Measure): BenchResult['stopReason'] {
  const n = samplesMs.length;
  if (n >= m.maxRuns) return 'max-runs';
  if (n >= m.minRuns && elapsedMs >= m.minTimeS * 1000)
    return m.userMinimums ? 'user-min-time-and-runs' : 'min-time-and-runs';
  if (elapsedMs >= m.maxTimeS * 1000 && n > 0) return 'max-time';
  if (m.userMinimums || n < m.minRuns) return undefined;
  // Checking the CI sorts the samples: do it on a geometric schedule, not after every run.
  if (m.targetRelCi > 0 && n >= 10 && (n & (n - 1)) === 0 && relativeCiHalfWidth(samplesMs) <= m.targetRelCi)
    return 'ci-reached';
  return undefined;
}

/** Warnings a reader needs before trusting the numbers. */
export function instabilityFlags(stats: LatencyStats, repetitionMedians: readonly number[] = []): string[] {
  const flags: string[] = [];
  if (stats.n < 10) flags.push(`only ${stats.n} samples`);
  const rel = stats.p50 > 0 ? Math.max(stats.p50 - stats.medianCi.low, stats.medianCi.high - stats.p50) / stats.p50 : 0;
  if (rel > 0.05) flags.push(`wide confidence interval: the median is known to +-${(rel * 100).toFixed(1)}%`);
  if (stats.cv > 0.1) flags.push(`high variation: coefficient of variation ${(stats.cv * 100).toFixed(1)}%`);
  if (stats.outliers > stats.n * 0.05) flags.push(`${stats.outliers} outliers of ${stats.n} samples`);
  if (repetitionMedians.length >= 3) {
    const sorted = [...repetitionMedians].sort((a, b) => a - b);
    const spread = (sorted[sorted.length - 1] - sorted[0]) / sorted[Math.floor(sorted.length / 2)];
    if (spread > 0.05) flags.push(`repetitions disagree: medians spread ${(spread * 100).toFixed(1)}%`);
    const rising = repetitionMedians.every((v, i) => i === 0 || v > repetitionMedians[i - 1]);
    const falling = repetitionMedians.every((v, i) => i === 0 || v < repetitionMedians[i - 1]);
    if ((rising || falling) && spread > 0.02)
      flags.push(`trend across repetitions (${rising ? 'slower' : 'faster'} each time)`);
  }
  return flags;
}

/** The median (simple-statistics'; the mean of the middle two for an even count); NaN for no values. */
export const median = (xs: readonly number[]): number => (xs.length ? sampleMedian([...xs]) : NaN);

/** The median latency of results pooled: of all their samples when they carry any, else of their p50s. */
export function pooledMedian(rs: readonly BenchResult[]): number {
  const samples = rs.flatMap((r) => r.samplesMs);
  if (samples.length) return median(samples);
  return median(rs.map((r) => r.stats?.p50).filter((x): x is number => x !== undefined));
}

/** What pooling several results of one configuration hid, said where the pooled figure is shown. */
export interface PoolSummary {
  /** Results pooled. */
  results: number;
  /** Distinct runs among them (results of one run share their job's group; a result without one is a run). */
  runs: number;
  /** Results per run, in the order the runs were met. */
  perRun: number[];
  /** The pooled median (of all samples, shared pooledMedian). */
  medianMs: number;
  /** Slowest result median over the fastest (1 for one result). */
  spread: number;
  /**
   * The results disagree beyond their own intervals: two of them have 95% intervals of the median
   * that do not overlap, and their medians are more than 5% apart (the repetitions-disagree threshold).
   */
  disagree: boolean;
  /** "pooled: 3 runs, 2 repetitions each; medians spread 1.75×"; '' for one result. */
  text: string;
}

const times = (x: number) => `${x.toFixed(2)}×`;

/** How results pooled into one figure (a bar, a row, a device) differ; shared by the view and the reports. */
export function poolSummary(rs: readonly BenchResult[]): PoolSummary {
  const perGroup = new Map<string, number>();
  for (const r of rs) {
    const key = r.job.group ?? `\u0000${r.id}`;
    perGroup.set(key, (perGroup.get(key) ?? 0) + 1);
  }
  const perRun = [...perGroup.values()];
  const medians = rs.map((r) => r.stats?.p50).filter((x): x is number => x !== undefined && x > 0);
  const spread = medians.length > 1 ? Math.max(...medians) / Math.min(...medians) : 1;
  const lows = rs.flatMap((r) => (r.stats ? [r.stats.medianCi.low] : []));
  const highs = rs.flatMap((r) => (r.stats ? [r.stats.medianCi.high] : []));
  const apart = lows.length > 1 && Math.max(...lows) > Math.min(...highs);
  const disagree = apart && spread > 1.05;
  const summary = { results: rs.length, runs: perRun.length, perRun, medianMs: pooledMedian(rs), spread, disagree };
  if (rs.length < 2) return { ...summary, text: '' };
  const runs = perRun.length;
  const each = perRun.every((n) => n === perRun[0]);
  const what =
    runs === 1
      ? `${rs.length} repetitions of one run`
      : perRun.every((n) => n === 1)
        ? `${runs} runs`
        : each
          ? `${runs} runs, ${perRun[0]} repetitions each`
          : `${rs.length} results of ${runs} runs (${perRun.join(' + ')} repetitions)`;
  const text = `pooled: ${what}; medians spread ${times(spread)}${disagree ? ' — the runs disagree beyond their 95% intervals' : ''}`;
  return { ...summary, text };
}
