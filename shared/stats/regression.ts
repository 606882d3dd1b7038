// Regressions over time (issue 20, DESIGN.md "Beyond one machine"): every series of results (one
// machine, one target with its parameters, backend, precision, batch, threads: series-key.ts) keeps
// its history of medians, and a new result is flagged when it differs from the series' baseline
// beyond BOTH a noise threshold learned from the series AND a significance test. Pure TypeScript
// (no Node, no DOM): the CLI, the API and the app's History view call the same functions, and every
// object returned is plain JSON. The method and its measured false-positive rate: docs/REGRESSIONS.md.
//
// - Points: the ok results with samples of a series, oldest first; each with its median and the
//   distribution-free 95% interval of the median (latency.ts medianConfidenceInterval, the same
//   interval the results carry in stats.medianCi).
// - Baseline of a point: the last `baselineSize` (10) points before it that are part of the normal
//   level (not flagged, not a quick run). Fewer than `minBaseline` (2): 'insufficient-history'.
// - Noise threshold, learned from the series: samples within one run share that run's conditions
//   (CPU frequency, memory placement, the other processes of the day), so two runs of the same code
//   differ by more than their samples say, and a U test over hundreds of samples calls those
//   ordinary run-to-run differences "significant". So a point must first leave the range the
//   series' own runs vary over: the prediction interval of one more run's median, from the baseline
//   medians (log scale: s = standard deviation of their logarithms, K of them): threshold =
//   max(floor 2%, exp(t x s x sqrt(1 + 1/K)) - 1), t Student's quantile with K - 1 degrees of
//   freedom whose two-sided tail is `falseAlarm` (0.001). Student's t, not a fixed multiple of a
//   spread: with 2 to 10 baseline medians the spread itself is uncertain (a fixed 3 x the largest
//   deviation, tried first, flagged 19 of 100 noise-only series at 1% run-to-run noise, and 9% of
//   the points judged on 2-point baselines, whose two medians often happen to agree); t widens the
//   threshold exactly as much as a small baseline needs (K = 2: t = 637, nothing but a huge change
//   passes; K = 10: t = 4.8). The floor keeps a very steady series from flagging changes nobody
//   cares about.
//   After a confirmed change the baseline restarts at the new level, but the series' noise does
//   not: while the new level has fewer than baselineSize points, the last points of the level
//   before it count towards the noise too (a pooled standard deviation, each level about its own
//   mean), so a series is not blind for the next few results after every change.
//   The ratio passes it on a log scale, as in compareSamples: slower when ratio > 1 + threshold,
//   faster when ratio < 1 / (1 + threshold).
// - Significance, for a point beyond the threshold (only there: the test is the costly part):
//   compare.ts compareSamples, the engine's own comparison, of the point's samples against the
//   baseline's samples POOLED: Mann-Whitney U p < alpha (0.01) AND the bootstrap 95% interval of the
//   ratio of medians excludes 1. Pooled rather than the latest baseline point alone: one odd baseline
//   run then neither makes nor hides a change, and the point is set against the level of several
//   runs (the threshold already covers their spread). It guards against a point whose own samples
//   are too few or too spread to say (a short run, an unstable one).
// - The baseline moves after a change that persists: a flagged point stays out of baselines; the
//   points after it that differ from the old baseline in the same direction are 'new-level' (not
//   flagged again: one change, one flag); once `confirmAfter` (2) consecutive points (the flagged
//   one included) agree, the baseline restarts from them and the new level is normal. A point back
//   at the old level ends a pending change: the flag stays ('transient'), its points stay out.
// - Quick runs (flags.ts) are listed as 'excluded': neither judged nor part of a baseline, unless
//   `includeQuick`.
// - Not detected: a slow drift (each step within the threshold moves the baseline along with it).
import { gammaln, quantileSorted } from 'simple-statistics';
import { jobLabel } from '../contract/job.js';
import type { BenchResult } from '../contract/result.js';
import { compareSamples } from './compare.js';
import { quickReason } from './flags.js';
import { median, medianConfidenceInterval } from './latency.js';
import { deviceOf } from './pair-compare.js';
import { targetName } from './compare.js';
import { seriesKeyOf } from './series-key.js';

// ---------------------------------------------------------------------------------------------
// Options and shapes (plain JSON: the API hands them to the app as they are).

export interface RegressionOptions {
  /** Baseline points: the last this many normal points before the one judged (default 10). */
  baselineSize?: number;
  /** Fewer baseline points than this: 'insufficient-history' (default 2; at least 1). */
  minBaseline?: number;
  /** Significance level of the Mann-Whitney U test (default 0.01). */
  alpha?: number;
  /** The smallest relative change that counts, whatever the series' noise (default 0.02). */
  thresholdFloor?: number;
  /**
   * How often an unchanged run may pass the noise threshold: the two-sided tail of the prediction
   * interval the threshold is (default 0.001).
   */
  falseAlarm?: number;
  /** Consecutive points that must agree before a change becomes the new baseline (default 2). */
  confirmAfter?: number;
  /** Judge quick runs and use them in baselines (default false: listed as 'excluded'). */
  includeQuick?: boolean;
  /** Bootstrap resamples of the ratio's interval (default 2000) and their seed (default 1). */
  resamples?: number;
  seed?: number;
}

export const REGRESSION_DEFAULTS = {
  baselineSize: 10,
  minBaseline: 2,
  alpha: 0.01,
  thresholdFloor: 0.02,
  falseAlarm: 0.001,
  confirmAfter: 2,
  includeQuick: false,
  resamples: 2000,
  seed: 1,
} as const satisfies Required<RegressionOptions>;

/** What a series is, in words and values (the series key's parts). */
export interface SeriesDescription {
  /** The CPU, and the GPUs the machine profile lists: "Ryzen 9 7950X 16-Core Processor + GeForce RTX 4090". */
  machine: string;
  /** What computed (deviceOf): the CPU, the GPU adapter, or the providers. */
  device: string;
  /** "bottleneck", "resnet50/keras", a file's path. */
  target: string;
  targetKind: 'block' | 'model' | 'file';
  /** The target's parameters (a file's symbolic dimensions), as the job gave them. */
  params: Record<string, string | number | boolean>;
  backend: string;
  precision: string;
  batch: number;
  /** Intra-op threads (0: the runtime chose). */
  threads: number;
  /** The job's label (contract/job.ts jobLabel) without a repetition number: "bottleneck:mid=64 on ort-cpu, batch 1, 4 threads". */
  label: string;
}

/**
 * - 'slower' / 'faster': flagged, a change starts here;
 * - 'new-level': differs from the old baseline as the flagged point before it did (not flagged again);
 * - 'unchanged': within the noise threshold, or not significant;
 * - 'insufficient-history': fewer than minBaseline baseline points before it;
 * - 'excluded': a quick run (neither judged nor in a baseline).
 */
export type PointVerdict = 'slower' | 'faster' | 'new-level' | 'unchanged' | 'insufficient-history' | 'excluded';

/** A flagged change's fate, as far as the later points tell: confirmed by confirmAfter points, still pending, or gone. */
export type ChangeState = 'confirmed' | 'pending' | 'transient';

/** The point against its baseline (every judged point has one). */
export interface PointCheck {
  /** The baseline's results, oldest first. */
  baselineIds: string[];
  /** The baseline result closest in time (the newest): the one to open beside the point. */
  baselineId: string;
  /** Median of the baseline's pooled samples, ms. */
  baselineMedianMs: number;
  /** This point's median / the baseline's: above 1 is slower. */
  ratio: number;
  /**
   * Whether the ratio passes the threshold (ratio > 1 + threshold, or < 1 / (1 + threshold)). The
   * significance test runs only then (a point within the threshold cannot be flagged): ratioCi,
   * pValue and significant are absent otherwise.
   */
  beyondThreshold: boolean;
  /** Bootstrap interval of the ratio (compareSamples). */
  ratioCi?: { low: number; high: number; level: number };
  /** Two-sided Mann-Whitney U p-value. */
  pValue?: number;
  /**
   * The series' run-to-run noise: the standard deviation of the logarithms of the baseline medians
   * (logSpread; after a change, pooled with the level before it while the new one is short).
   */
  noise: number;
  /** Its degrees of freedom (medians - levels): the Student t quantile's. */
  noiseDf: number;
  /** The relative change that counts here (noiseThreshold). */
  threshold: number;
  /** p < alpha and the ratio's interval excludes 1. */
  significant?: boolean;
  /** Beyond the threshold and significant: the direction. */
  direction?: 'slower' | 'faster';
}

/** Versions that differ between the baseline result and the point (what may explain a change). */
export interface VersionChange {
  name: string;
  from: string;
  to: string;
}

export interface SeriesPoint {
  resultId: string;
  createdAt: string;
  /** Median of the samples, ms, and its distribution-free 95% interval. */
  medianMs: number;
  ci95: { low: number; high: number };
  /** Samples. */
  n: number;
  /** studio, runtime ("onnxruntime-node 1.30.0"), node, onnxruntime, electron, kernel, gpu driver: those the result records. */
  versions: Record<string, string>;
  verdict: PointVerdict;
  /** One sentence on the verdict. */
  note: string;
  check?: PointCheck;
  /** Present on 'slower' and 'faster' points. */
  flagged?: {
    direction: 'slower' | 'faster';
    state: ChangeState;
    /** Versions that differ from the baseline result's (check.baselineId). */
    versionChanges: VersionChange[];
  };
  /** Quick runs: why (flags.ts quickReason). */
  quick?: string;
}

export interface Series {
  key: string;
  description: SeriesDescription;
  /** Oldest first. */
  points: SeriesPoint[];
  /** Results of the series left out (ok but no samples). */
  skipped: { id: string; reason: string }[];
}

/** A flagged point, with what it was compared with: what `results regressions` lists. */
export interface Regression {
  seriesKey: string;
  series: SeriesDescription;
  resultId: string;
  createdAt: string;
  direction: 'slower' | 'faster';
  state: ChangeState;
  medianMs: number;
  baselineMedianMs: number;
  /** The baseline result closest in time, and the whole baseline (oldest first). */
  baselineId: string;
  baselineIds: string[];
  ratio: number;
  ratioCi: { low: number; high: number; level: number };
  pValue: number;
  threshold: number;
  noise: number;
  versionChanges: VersionChange[];
  /** One sentence: "23.4% slower than its baseline (5 results): ratio 1.234 (95% CI ...), p=..." */
  summary: string;
}

// ---------------------------------------------------------------------------------------------
// Series

const timeOf = (iso: string) => {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? -Infinity : t;
};

function machineText(r: BenchResult): string {
  const gpus = r.machine.gpus.map((g) => g.model);
  return [r.machine.cpu.brand, ...new Set(gpus)].join(' + ');
}

export function describeSeries(r: BenchResult): SeriesDescription {
  const t = r.job.target;
  return {
    machine: machineText(r),
    device: deviceOf(r),
    target: targetName(t),
    targetKind: t.kind,
    params: { ...(t.kind === 'file' ? t.dims : t.params) },
    backend: r.job.backend.backend,
    precision: r.job.precision,
    batch: r.job.batch,
    threads: r.job.backend.intraOpThreads,
    label: jobLabel({ ...r.job, repetition: 0 }),
  };
}

function versionsOf(r: BenchResult): Record<string, string> {
  const v: Record<string, string> = { studio: r.studioVersion };
  if (r.runtime) v.runtime = `${r.runtime.name} ${r.runtime.version}`;
  const mv = r.machine.versions;
  v.node = mv.node;
  if (mv.onnxruntime) v.onnxruntime = mv.onnxruntime;
  if (mv.electron) v.electron = mv.electron;
  if (r.machine.os.kernel) v.kernel = r.machine.os.kernel;
  const drivers = [...new Set(r.machine.gpus.flatMap((g) => (g.driver ? [g.driver] : [])))];
  if (drivers.length) v.gpuDriver = drivers.join(', ');
  const adapter = r.runtime?.adapter;
  if (adapter?.driverInfo) v.adapterDriver = adapter.driverInfo;
  return v;
}

function versionChanges(from: Record<string, string>, to: Record<string, string>): VersionChange[] {
  const names = [...new Set([...Object.keys(from), ...Object.keys(to)])];
  return names.flatMap((name) =>
    from[name] !== to[name] ? [{ name, from: from[name] ?? '(none)', to: to[name] ?? '(none)' }] : [],
  );
}

/** What buildSeries keeps beside each point: its samples (not part of the JSON shapes). */
interface Working {
  point: SeriesPoint;
  samples: readonly number[];
  quick?: string;
}

interface WorkingSeries {
  series: Series;
  working: Working[];
}

export interface BuildSeriesOptions {
  /** Keep only the series some result of which passes this (the CLI's --target, --machine...). */
  filter?: (r: BenchResult) => boolean;
}

function groupSeries(results: readonly BenchResult[], opts: BuildSeriesOptions = {}): WorkingSeries[] {
  const groups = new Map<string, BenchResult[]>();
  for (const r of results) {
    if (r.status !== 'ok') continue;
    const key = seriesKeyOf(r);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(r);
  }
  const out: WorkingSeries[] = [];
  for (const [key, rs] of groups) {
    if (opts.filter && !rs.some(opts.filter)) continue;
    rs.sort((a, b) => timeOf(a.createdAt) - timeOf(b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const skipped: Series['skipped'] = [];
    const working: Working[] = [];
    for (const r of rs) {
      if (r.samplesMs.length === 0) {
        skipped.push({ id: r.id, reason: 'no samples' });
        continue;
      }
      const sorted = [...r.samplesMs].sort((a, b) => a - b);
      const ci = medianConfidenceInterval(sorted);
      const quick = quickReason(r);
      const point: SeriesPoint = {
        resultId: r.id,
        createdAt: r.createdAt,
        medianMs: median(sorted),
        ci95: { low: ci.low, high: ci.high },
        n: sorted.length,
        versions: versionsOf(r),
        verdict: 'insufficient-history',
        note: '',
        ...(quick ? { quick } : {}),
      };
      working.push({ point, samples: r.samplesMs, quick });
    }
    if (!working.length) continue;
    const newest = rs[rs.length - 1];
    out.push({
      series: { key, description: describeSeries(newest), points: working.map((w) => w.point), skipped },
      working,
    });
  }
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  out.sort((a, b) => cmp(a.series.description.label, b.series.description.label) || cmp(a.series.key, b.series.key));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Change detection

/** ln Gamma (Lanczos, simple-statistics' gammaln). Continued fraction of the regularized incomplete beta (Numerical Recipes' betacf). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const [qab, qap, qam] = [a + b, a + 1, a - 1];
  let c = 1;
  let d = 1 - (qab * x) / qap;
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    for (const aa of [
      (m * (b - m) * x) / ((qam + m2) * (a + m2)),
      (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2)),
    ]) {
      d = 1 + aa * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + aa / c;
      if (Math.abs(c) < tiny) c = tiny;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(gammaln(a + b) - gammaln(a) - gammaln(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(a, b, x)) / a
    : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(|T| > t) for Student's t with df degrees of freedom. */
export function studentTwoSidedTail(t: number, df: number): number {
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

const quantiles = new Map<string, number>();

/** The t with P(|T| > t) = tail for Student's t with df degrees of freedom (bisection; cached). */
export function studentTQuantile(tail: number, df: number): number {
  const key = `${tail}|${df}`;
  const known = quantiles.get(key);
  if (known !== undefined) return known;
  let [lo, hi] = [0, 1];
  while (studentTwoSidedTail(hi, df) > tail) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTwoSidedTail(mid, df) > tail) lo = mid;
    else hi = mid;
  }
  const t = (lo + hi) / 2;
  quantiles.set(key, t);
  return t;
}

/** The run-to-run noise of a series: a standard deviation of log medians, and its degrees of freedom. */
export interface Noise {
  spread: number;
  df: number;
}

/**
 * The pooled standard deviation of the logarithms of these medians, each level (a run of results at
 * one level of the series) about its own mean: the series' relative run-to-run spread, with
 * (medians - levels) degrees of freedom. One level is the plain sample standard deviation.
 */
export function logSpread(levels: readonly (readonly number[])[]): Noise {
  let [squares, count, groups] = [0, 0, 0];
  for (const level of levels) {
    const logs = level.filter((m) => m > 0).map(Math.log);
    if (!logs.length) continue;
    const mean = logs.reduce((s, x) => s + x, 0) / logs.length;
    squares += logs.reduce((s, x) => s + (x - mean) ** 2, 0);
    count += logs.length;
    groups++;
  }
  const df = count - groups;
  return df > 0 ? { spread: Math.sqrt(squares / df), df } : { spread: 0, df: 0 };
}

/**
 * The noise threshold (a relative change) of a baseline of `baselineCount` results:
 * max(floor, exp(q x spread x sqrt(1 + 1/baselineCount)) - 1), q Student's t quantile with the
 * noise's degrees of freedom whose two-sided tail is falseAlarm: the prediction interval of one more
 * run's median. No degrees of freedom: the floor. At most 999 (a thousandfold: JSON has no Infinity).
 */
export function noiseThreshold(noise: Noise, baselineCount: number, opts: RegressionOptions = {}): number {
  const floor = opts.thresholdFloor ?? REGRESSION_DEFAULTS.thresholdFloor;
  const falseAlarm = opts.falseAlarm ?? REGRESSION_DEFAULTS.falseAlarm;
  if (noise.df < 1 || baselineCount < 1) return floor;
  const half = studentTQuantile(falseAlarm, noise.df) * noise.spread * Math.sqrt(1 + 1 / baselineCount);
  return Math.min(999, Math.max(floor, Math.expm1(half)));
}

const pctText = (x: number) => `${(x * 100).toFixed(1)}%`;
const pText = (p: number) => (p < 1e-4 ? p.toExponential(1) : p.toFixed(4));

function judge(working: Working[], opts: RegressionOptions): void {
  const o = { ...REGRESSION_DEFAULTS, ...opts };
  const minBaseline = Math.max(1, o.minBaseline);
  const confirmAfter = Math.max(1, o.confirmAfter);
  /** The normal level: the points a baseline is drawn from. */
  let pool: Working[] = [];
  /** The level before the last confirmed change (its noise still counts). */
  let previous: Working[] = [];
  let pending: { direction: 'slower' | 'faster'; first: SeriesPoint; points: Working[] } | undefined;
  const settlePending = (state: ChangeState) => {
    if (pending?.first.flagged) pending.first.flagged.state = state;
    pending = undefined;
  };
  for (const w of working) {
    const p = w.point;
    if (w.quick && !o.includeQuick) {
      p.verdict = 'excluded';
      p.note = `${w.quick}: not judged, not part of a baseline`;
      continue;
    }
    const baseline = pool.slice(-o.baselineSize);
    if (baseline.length < minBaseline) {
      p.verdict = 'insufficient-history';
      p.note = `insufficient history: ${baseline.length} earlier result${baseline.length === 1 ? '' : 's'} at this level, ${minBaseline} needed to judge`;
      pool.push(w);
      continue;
    }
    // The noise: from the baseline, and after a change while the new level has fewer than
    // baselineSize points, from the last points of the level before it too (each level about its
    // own mean): a series' run-to-run noise outlives a change of its level.
    const before = baseline.length < o.baselineSize ? previous.slice(-(o.baselineSize - baseline.length)) : [];
    const noise = logSpread([baseline, before].map((level) => level.map((b) => b.point.medianMs)));
    const threshold = noiseThreshold(noise, baseline.length, o);
    const newest = baseline[baseline.length - 1].point;
    // The threshold first: a point within it cannot be flagged, so the test (a sort and a bootstrap
    // of the pooled samples, the costly part over long histories) runs only beyond it.
    const pooled = baseline.flatMap((b) => b.samples);
    const baselineMedianMs = quantileSorted(Array.from(Float64Array.from(pooled).sort()), 0.5);
    const ratio = p.medianMs / baselineMedianMs;
    const beyond = ratio > 1 + threshold || ratio < 1 / (1 + threshold);
    const cmp = beyond
      ? compareSamples(pooled, w.samples, {
          alpha: o.alpha,
          threshold,
          level: 0.95,
          resamples: o.resamples,
          seed: o.seed,
        })
      : undefined;
    const direction = cmp?.regression ? 'slower' : cmp?.improvement ? 'faster' : undefined;
    p.check = {
      baselineIds: baseline.map((b) => b.point.resultId),
      baselineId: newest.resultId,
      baselineMedianMs,
      ratio,
      noise: noise.spread,
      noiseDf: noise.df,
      threshold,
      beyondThreshold: beyond,
      ...(cmp
        ? {
            ratioCi: cmp.ratioCi,
            pValue: cmp.test.pValue,
            significant: cmp.verdict === 'slower' || cmp.verdict === 'faster',
          }
        : {}),
      ...(direction ? { direction } : {}),
    };
    const test = cmp
      ? `95% CI ${cmp.ratioCi.low.toFixed(3)}-${cmp.ratioCi.high.toFixed(3)}, p=${pText(cmp.test.pValue)}, `
      : '';
    const how = `ratio ${ratio.toFixed(3)} to its baseline of ${baseline.length} (${test}threshold ${pctText(threshold)})`;
    if (!direction) {
      p.verdict = 'unchanged';
      p.note = `unchanged: ${how}`;
      // Back at the old level: a pending change was a one-off, and its points stay out of baselines.
      if (pending) settlePending('transient');
      pool.push(w);
      continue;
    }
    if (pending && pending.direction === direction) {
      p.verdict = 'new-level';
      pending.points.push(w);
      p.note = `new level: ${direction} like ${pending.first.resultId} (flagged), ${how}`;
      if (pending.points.length >= confirmAfter) {
        previous = pool;
        pool = [...pending.points];
        settlePending('confirmed');
      }
      continue;
    }
    if (pending) settlePending('transient');
    p.verdict = direction;
    const change = Math.abs(ratio - 1);
    p.note = `${direction}: ${pctText(change)} ${direction} than its baseline, ${how}`;
    p.flagged = { direction, state: 'pending', versionChanges: versionChanges(newest.versions, p.versions) };
    pending = { direction, first: p, points: [w] };
    if (confirmAfter <= 1) {
      previous = pool;
      pool = [w];
      settlePending('confirmed');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Entry points

/** The samples behind the points of the series buildSeries returned (kept out of the JSON shapes). */
const samplesOf = new WeakMap<Series, (readonly number[])[]>();

/** A point as buildSeries makes it: not judged yet. */
function freshPoint(p: SeriesPoint): SeriesPoint {
  const { check: _check, flagged: _flagged, ...rest } = p;
  return { ...rest, verdict: 'insufficient-history', note: '' };
}

/**
 * The series of these results (ok results with samples, grouped by seriesKeyOf, oldest first), not
 * judged yet: every point 'insufficient-history' until detectRegressions judges it.
 */
export function buildSeries(results: readonly BenchResult[], opts: BuildSeriesOptions = {}): Series[] {
  return groupSeries(results, opts).map(({ series, working }) => {
    samplesOf.set(
      series,
      working.map((w) => w.samples),
    );
    return series;
  });
}

/**
 * Each point of these series (from buildSeries, in this process: it keeps their samples) judged
 * against its baseline; new objects, the input is left as it was.
 */
export function detectRegressions(series: readonly Series[], opts: RegressionOptions = {}): Series[] {
  return series.map((s) => {
    const samples = samplesOf.get(s);
    if (!samples) throw new Error(`series ${s.description.label}: not from buildSeries (its samples are not known)`);
    const working = s.points.map((p, i) => ({ point: freshPoint(p), samples: samples[i], quick: p.quick }));
    judge(working, opts);
    const judged: Series = { ...s, points: working.map((w) => w.point) };
    samplesOf.set(judged, samples);
    return judged;
  });
}

/**
 * Every series of these results with each point judged against its baseline (buildSeries, then
 * detectRegressions). Judge the whole history: a point's baseline is drawn from the points before
 * it, so cutting the history first (--since) changes the answers; trim afterwards (pointsSince).
 */
export function historyOf(
  results: readonly BenchResult[],
  opts: RegressionOptions & BuildSeriesOptions = {},
): Series[] {
  return groupSeries(results, opts).map(({ series, working }) => {
    judge(working, opts);
    return series;
  });
}

/**
 * A date or time as the CLI takes it: "2025-06-01" (that day's start in UTC, or its end with
 * `end`), or ISO 8601. Throws a plain Error on anything else.
 */
export function parseSince(t: string, end = false): number {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(t);
  const ms = Date.parse(dateOnly ? `${t}T00:00:00.000Z` : t);
  if (Number.isNaN(ms)) throw new Error(`'${t}' is not a date or time (use 2025-06-01 or ISO 8601)`);
  return dateOnly && end ? ms + 86_400_000 - 1 : ms;
}

/** The series with only their points created at or after `since` (series left with none are dropped). */
export function pointsSince(series: readonly Series[], since?: string): Series[] {
  if (since === undefined) return [...series];
  const from = parseSince(since);
  return series.flatMap((s) => {
    const points = s.points.filter((p) => timeOf(p.createdAt) >= from);
    return points.length ? [{ ...s, points }] : [];
  });
}

/** The flagged points of these series (created at or after `since`), newest first. */
export function regressionsOf(series: readonly Series[], opts: { since?: string } = {}): Regression[] {
  const from = opts.since !== undefined ? parseSince(opts.since) : -Infinity;
  const out: Regression[] = [];
  for (const s of series)
    for (const p of s.points) {
      const c = p.check;
      if (!p.flagged || !c?.ratioCi || c.pValue === undefined || timeOf(p.createdAt) < from) continue;
      const change = `${pctText(Math.abs(c.ratio - 1))} ${p.flagged.direction}`;
      const versions = p.flagged.versionChanges.map((v) => `${v.name} ${v.from} -> ${v.to}`).join(', ');
      out.push({
        seriesKey: s.key,
        series: s.description,
        resultId: p.resultId,
        createdAt: p.createdAt,
        direction: p.flagged.direction,
        state: p.flagged.state,
        medianMs: p.medianMs,
        baselineMedianMs: c.baselineMedianMs,
        baselineId: c.baselineId,
        baselineIds: c.baselineIds,
        ratio: c.ratio,
        ratioCi: c.ratioCi,
        pValue: c.pValue,
        threshold: c.threshold,
        noise: c.noise,
        versionChanges: p.flagged.versionChanges,
        summary: `${s.description.label}: ${change} than its baseline of ${c.baselineIds.length} (ratio ${c.ratio.toFixed(3)}, 95% CI ${c.ratioCi.low.toFixed(3)}-${c.ratioCi.high.toFixed(3)}, p=${pText(c.pValue)}, threshold ${pctText(c.threshold)})${versions ? `; changed: ${versions}` : ''}`,
      });
    }
  return out.sort((a, b) => timeOf(b.createdAt) - timeOf(a.createdAt) || (a.resultId < b.resultId ? 1 : -1));
}

/** The flagged points of every series of these results, newest first (historyOf, then regressionsOf). */
export function regressions(
  results: readonly BenchResult[],
  opts: RegressionOptions & BuildSeriesOptions & { since?: string } = {},
): Regression[] {
  return regressionsOf(historyOf(results, opts), { since: opts.since });
}
