// Comparing two sets of raw latency samples (DESIGN.md "Results and reports": compare runs side by
// side). Pure TypeScript: the CLI, the app and the tests all call the same functions.
// - Effect size: ratio of medians B/A with a percentile-bootstrap confidence interval (seeded, so
//   the same samples always give the same interval).
// - Significance: Mann-Whitney U (no normality assumed: latencies are skewed and heavy-tailed);
//   exact distribution for small tie-free samples, normal approximation with tie and continuity
//   corrections otherwise.
import { quantileSorted } from 'simple-statistics';
import type { Target } from '../contract/job.js';
import type { BenchResult } from '../contract/result.js';
import { bootstrapMedians } from './bootstrap.js';
import { seededRandom } from '../random.js';
import { mannWhitneyU, type UTest } from './rank-test.js';

export { bootstrapMedians } from './bootstrap.js';
export { mannWhitneyU, type UTest } from './rank-test.js';

export type Verdict = 'faster' | 'slower' | 'same' | 'unclear';

export interface CompareOptions {
  /** Bootstrap resamples (default 2000). */
  resamples?: number;
  /** Seed of the bootstrap's random numbers (default 1). */
  seed?: number;
  /** Confidence level of the ratio's interval (default 0.95). */
  level?: number;
  /** Significance level of the U test (default 0.05). */
  alpha?: number;
  /** Relative difference that matters: a regression is B slower by more than this (default 0.02). */
  threshold?: number;
}

export interface SampleComparison {
  nA: number;
  nB: number;
  medianA: number;
  medianB: number;
  /** medianB / medianA: above 1 means B is slower. */
  ratio: number;
  ratioCi: { low: number; high: number; level: number };
  test: UTest;
  /** Probability that a random B sample is slower than a random A sample (common-language effect size). */
  probBSlower: number;
  verdict: Verdict;
  /** B is significantly slower by more than the threshold. */
  regression: boolean;
  /** B is significantly faster by more than the threshold. */
  improvement: boolean;
  threshold: number;
  /** One sentence a reader can act on. */
  summary: string;
}

const sortedCopy = (xs: readonly number[]) => Float64Array.from(xs).sort();

const pct = (r: number) => `${Math.abs((r - 1) * 100).toFixed(1)}%`;

/** Compares B against A: ratio of medians with its bootstrap CI, U test, verdict. */
export function compareSamples(
  a: readonly number[],
  b: readonly number[],
  opts: CompareOptions = {},
): SampleComparison {
  const { resamples = 2000, seed = 1, level = 0.95, alpha = 0.05, threshold = 0.02 } = opts;
  const [sa, sb] = [sortedCopy(a), sortedCopy(b)];
  const [nA, nB] = [sa.length, sb.length];
  const base = { nA, nB, threshold, regression: false, improvement: false };
  if (nA === 0 || nB === 0) {
    return {
      ...base,
      medianA: NaN,
      medianB: NaN,
      ratio: NaN,
      ratioCi: { low: NaN, high: NaN, level },
      test: { u: NaN, z: NaN, pValue: NaN, method: 'normal' },
      probBSlower: NaN,
      verdict: 'unclear',
      summary: `cannot compare: ${nA === 0 ? 'A' : 'B'} has no samples`,
    };
  }
  const medianA = quantileSorted(Array.from(sa), 0.5);
  const medianB = quantileSorted(Array.from(sb), 0.5);
  const ratio = medianB / medianA;
  const rand = seededRandom(seed);
  const ratios = new Float64Array(resamples);
  const [ma, mb] = [bootstrapMedians(sa, resamples, rand), bootstrapMedians(sb, resamples, rand)];
  for (let r = 0; r < resamples; r++) ratios[r] = mb[r] / ma[r];
  const sortedRatios = Array.from(ratios.sort());
  const tail = (1 - level) / 2;
  const ratioCi = { low: quantileSorted(sortedRatios, tail), high: quantileSorted(sortedRatios, 1 - tail), level };
  const test = mannWhitneyU(Array.from(sa), Array.from(sb));
  const significant = test.pValue < alpha && (ratioCi.low > 1 || ratioCi.high < 1);
  const within = ratioCi.low >= 1 / (1 + threshold) && ratioCi.high <= 1 + threshold;
  const verdict: Verdict = significant ? (ratio > 1 ? 'slower' : 'faster') : within ? 'same' : 'unclear';
  const regression = verdict === 'slower' && ratio > 1 + threshold;
  const improvement = verdict === 'faster' && ratio < 1 / (1 + threshold);
  const ci = `${(level * 100).toFixed(0)}% CI ${ratioCi.low.toFixed(3)}-${ratioCi.high.toFixed(3)}`;
  const p = `p=${test.pValue < 1e-4 ? test.pValue.toExponential(1) : test.pValue.toFixed(4)}`;
  const summary =
    verdict === 'same'
      ? `same speed: B/A ${ratio.toFixed(3)} (${ci}), within +-${(threshold * 100).toFixed(0)}%`
      : verdict === 'unclear'
        ? `unclear: B/A ${ratio.toFixed(3)} (${ci}, ${p}); more samples needed to tell`
        : `B is ${pct(ratio)} ${verdict} (B/A ${ratio.toFixed(3)}, ${ci}, ${p})${regression ? ': regression' : ''}`;
  return {
    ...base,
    medianA,
    medianB,
    ratio,
    ratioCi,
    test,
    probBSlower: test.u / (nA * nB),
    verdict,
    regression,
    improvement,
    summary,
  };
}

/** "bottleneck", "resnet50/keras", or a file's path: the name a target is filtered and shown by. */
export function targetName(t: Target): string {
  if (t.kind === 'file') return t.path;
  return t.kind === 'model' && t.variant ? `${t.name}/${t.variant}` : t.name;
}

const sortedEntries = (o: Record<string, unknown>) => Object.entries(o).sort(([x], [y]) => (x < y ? -1 : 1));

/** What makes two results comparable: the same target, backend configuration, batch and precision. */
export function pairingKey(r: BenchResult): string {
  const t = r.job.target;
  const target =
    t.kind === 'file' ? [t.kind, t.path, sortedEntries(t.dims)] : [t.kind, targetName(t), sortedEntries(t.params)];
  const be = r.job.backend;
  // The ISA path is part of a native configuration: avx2 and avx512 runs are different measurements.
  // So is the GPU: device 1 never pools with device 0 (absent means device 0, the provider's default).
  const backend = [
    be.backend,
    be.intraOpThreads,
    be.interOpThreads,
    be.graphOptimization,
    be.executionMode,
    be.isa ?? 'auto',
    be.deviceId ?? 0,
  ];
  return JSON.stringify([target, backend, be.memoryArena, be.profiling, r.job.batch, r.job.precision]);
}

export interface RunSide {
  ids: string[];
  /** Repetitions pooled (fresh processes). */
  repetitions: number;
  n: number;
  median: number;
  machines: string[];
}

export interface RunPair {
  key: string;
  label: string;
  a: RunSide;
  b: RunSide;
  comparison: SampleComparison;
}

export interface RunComparison {
  pairs: RunPair[];
  /** Labels of configurations measured only in A or only in B (successfully). */
  onlyInA: string[];
  onlyInB: string[];
  /** Results that carry no samples (failed, cancelled) and so take no part. */
  skipped: { id: string; label: string; reason: string }[];
  regressions: number;
  improvements: number;
}

function group(results: readonly BenchResult[], skipped: RunComparison['skipped']) {
  const groups = new Map<string, BenchResult[]>();
  for (const r of results) {
    if (r.status !== 'ok' || r.samplesMs.length === 0) {
      skipped.push({ id: r.id, label: r.label, reason: r.failure?.reason ?? `${r.status}, no samples` });
      continue;
    }
    const key = pairingKey(r);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return groups;
}

function side(rs: BenchResult[], samples: number[]): RunSide {
  return {
    ids: rs.map((r) => r.id),
    repetitions: rs.length,
    n: samples.length,
    median: quantileSorted(
      [...samples].sort((x, y) => x - y),
      0.5,
    ),
    machines: [...new Set(rs.map((r) => r.machine.cpu.brand))],
  };
}

/**
 * Pairs the results of run A and run B by target, backend configuration, batch and precision,
 * pools the raw samples of each side's repetitions, and compares each pair (B against A).
 */
export function compareRuns(
  a: readonly BenchResult[],
  b: readonly BenchResult[],
  opts: CompareOptions = {},
): RunComparison {
  const skipped: RunComparison['skipped'] = [];
  const [ga, gb] = [group(a, skipped), group(b, skipped)];
  const pairs: RunPair[] = [];
  for (const [key, ra] of ga) {
    const rb = gb.get(key);
    if (!rb) continue;
    const [sa, sb] = [ra.flatMap((r) => r.samplesMs), rb.flatMap((r) => r.samplesMs)];
    pairs.push({ key, label: ra[0].label, a: side(ra, sa), b: side(rb, sb), comparison: compareSamples(sa, sb, opts) });
  }
  return {
    pairs,
    onlyInA: [...ga].filter(([k]) => !gb.has(k)).map(([, rs]) => rs[0].label),
    onlyInB: [...gb].filter(([k]) => !ga.has(k)).map(([, rs]) => rs[0].label),
    skipped,
    regressions: pairs.filter((p) => p.comparison.regression).length,
    improvements: pairs.filter((p) => p.comparison.improvement).length,
  };
}
