// What the Results view's charts plot, computed from results as plain data (no Chart.js here), so
// that the numbers can be tested on their own. The chart components turn these into datasets.
import { quantileSorted } from 'simple-statistics';
import {
  median,
  medianConfidenceInterval,
  pooledMedian,
  poolSummary,
  type PoolSummary,
} from '../../../../shared/stats/latency.js';
import { resolveParams } from '../../../../shared/blocks/block-spec.js';
import { findBlock } from '../../../../shared/blocks/registry.js';
import { accuracyTargetKey, type AccuracyResult } from '../../../../shared/contract/accuracy.js';
import type { BenchResult } from '../../../../shared/contract/result.js';
import { costGraph } from '../../../../shared/cost/cost-model.js';
import { SEED_COMPARISONS, type SeedComparison } from '../../../../shared/cost/seed-comparisons.js';
import { findModel } from '../../../../shared/models/registry.js';
import { seedPairs, seedVerdictOf, type SideOf } from '../../../../shared/stats/seed-verdicts.js';
import { buildTarget, splitTarget } from '../../../../shared/targets.js';
import { backendText, machineText, targetText } from '../results/fmt.js';

export const okResults = (rs: readonly BenchResult[]) => rs.filter((r) => r.status === 'ok' && r.stats);

/** Quantile of sorted values, R-7 (simple-statistics' quantileSorted); NaN for no values. */
export const quantile = (sorted: readonly number[], p: number): number =>
  sorted.length ? quantileSorted([...sorted], p) : NaN;

export { median, pooledMedian, poolSummary, type PoolSummary };

/** A label cut to `max` characters with an ellipsis (axis ticks; the full label goes in the tooltip). */
export function shortLabel(label: string, max = 32): string {
  return label.length > max ? `${label.slice(0, max - 1)}…` : label;
}

// Words, not codes ("b1 · autot" read as a typo): the axis shortens a long label, the tooltip has it whole.
const threadsText = (t: number) => (t === 1 ? '1 thread' : t ? `${t} threads` : 'runtime threads');

/** The configuration of a result without its backend: "bottleneck:mid=64 · batch 1 · 1 thread" (+ machine, repetition). */
function configLabel(r: BenchResult, withMachine: boolean, withRepetition = true): string {
  const parts = [targetText(r.job.target), `batch ${r.job.batch}`, threadsText(r.job.backend.intraOpThreads)];
  parts.push(...precisionPart(r));
  if (withMachine) parts.push(r.machine.cpu.brand);
  if (withRepetition && r.job.repetition > 0) parts.push(`rep ${r.job.repetition + 1}`);
  return parts.join(' · ');
}

const multipleMachines = (rs: readonly BenchResult[]) => new Set(rs.map(machineText)).size > 1;

// ---------------------------------------------------------------------------------------------
// (1) Median latency with its 95% confidence interval, per configuration, grouped by backend.

export interface CiSeries {
  backend: string;
  /** One entry per label (null where this backend has no result for it). */
  medians: (number | null)[];
  low: (number | null)[];
  high: (number | null)[];
  /** Per label: how the bar pooled several results (repetitions, runs), or null for one result or none. */
  pooled: (PoolSummary | null)[];
}

/** A bar that pools several results, said in words beside the chart. */
export interface PooledBar {
  /** "bottleneck:mid=64 · b1 · 1t · ort-cpu". */
  label: string;
  pool: PoolSummary;
}

export interface LatencyCiData {
  labels: string[];
  series: CiSeries[];
  /** The bars that pool several results (every repetition and run of one configuration is one bar). */
  pooled: PooledBar[];
}

/**
 * One bar per configuration and backend: the median of all its results' samples (repetitions and
 * runs of the same configuration pooled) with the 95% interval of that pooled median. A bar that
 * pools several results says so (`pooled`: how many runs and repetitions, how far their medians
 * spread, and whether they disagree beyond their own intervals): never a silent merge.
 */
export function latencyCiData(results: readonly BenchResult[]): LatencyCiData {
  const ok = okResults(results);
  const withMachine = multipleMachines(ok);
  const labels: string[] = [];
  const backends: string[] = [];
  const cells = new Map<string, BenchResult[]>();
  for (const r of ok) {
    const label = configLabel(r, withMachine, false);
    const backend = backendText(r);
    if (!labels.includes(label)) labels.push(label);
    if (!backends.includes(backend)) backends.push(backend);
    const key = `${backend}\u0000${label}`;
    cells.set(key, [...(cells.get(key) ?? []), r]);
  }
  const pooled: PooledBar[] = [];
  const series = backends.map((backend) => {
    const cellsOf = labels.map((l) => cells.get(`${backend}\u0000${l}`));
    const figures = cellsOf.map((rs, i) => {
      if (!rs) return { median: null, low: null, high: null, pool: null };
      if (rs.length === 1) {
        const s = rs[0].stats!;
        return { median: s.p50, low: s.medianCi.low, high: s.medianCi.high, pool: null };
      }
      const pool = poolSummary(rs);
      pooled.push({ label: `${labels[i]} · ${backend}`, pool });
      const samples = rs.flatMap((r) => r.samplesMs).sort((a, b) => a - b);
      // Without raw samples, the pooled interval spans the results' own intervals.
      const ci = samples.length
        ? medianConfidenceInterval(samples)
        : {
            low: Math.min(...rs.map((r) => r.stats!.medianCi.low)),
            high: Math.max(...rs.map((r) => r.stats!.medianCi.high)),
          };
      return { median: pool.medianMs, low: ci.low, high: ci.high, pool };
    });
    return {
      backend,
      medians: figures.map((f) => f.median),
      low: figures.map((f) => f.low),
      high: figures.map((f) => f.high),
      pooled: figures.map((f) => f.pool),
    };
  });
  return { labels, series, pooled };
}

// ---------------------------------------------------------------------------------------------
// (2) Latency distribution: a box plot per result, from its samples when present, else its quantiles.

export interface BoxStats {
  id: string;
  label: string;
  /** Whiskers: the most extreme samples within Tukey's fences (min and p99 without samples). */
  whiskerLow: number;
  whiskerHigh: number;
  /** The box: first and third quartiles (p50 and p90 without samples). */
  boxLow: number;
  boxHigh: number;
  median: number;
  min: number;
  max: number;
  fromSamples: boolean;
}

export function distributionData(results: readonly BenchResult[]): BoxStats[] {
  const ok = okResults(results);
  const withMachine = multipleMachines(ok);
  return ok.map((r) => {
    const s = r.stats!;
    const label = `${configLabel(r, withMachine)} · ${backendText(r)}`;
    if (r.samplesMs.length >= 4) {
      const sorted = [...r.samplesMs].sort((a, b) => a - b);
      const [q1, q3] = [quantile(sorted, 0.25), quantile(sorted, 0.75)];
      const iqr = q3 - q1;
      const inside = sorted.filter((x) => x >= q1 - 1.5 * iqr && x <= q3 + 1.5 * iqr);
      return {
        id: r.id,
        label,
        whiskerLow: inside[0] ?? sorted[0],
        whiskerHigh: inside[inside.length - 1] ?? sorted[sorted.length - 1],
        boxLow: q1,
        boxHigh: q3,
        median: quantile(sorted, 0.5),
        min: sorted[0],
        max: sorted[sorted.length - 1],
        fromSamples: true,
      };
    }
    return {
      id: r.id,
      label,
      whiskerLow: s.min,
      whiskerHigh: s.p99,
      boxLow: s.p50,
      boxHigh: s.p90,
      median: s.p50,
      min: s.min,
      max: s.max,
      fromSamples: false,
    };
  });
}

/** A histogram of one result's samples: `bins` equal-width bins between its min and max. */
export function histogram(samples: readonly number[], bins = 30): { edges: number[]; counts: number[] } {
  if (samples.length === 0) return { edges: [], counts: [] };
  let [lo, hi] = [Infinity, -Infinity];
  for (const x of samples) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
  if (hi === lo) return { edges: [lo, hi], counts: [samples.length] };
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const x of samples) counts[Math.min(bins - 1, Math.floor((x - lo) / width))]++;
  return { edges: Array.from({ length: bins + 1 }, (_, i) => lo + i * width), counts };
}

// ---------------------------------------------------------------------------------------------
// Targets of the seed comparisons ("separable:mode=standard") matched against results, and their costs.

/** The parameters a block target resolves to (defaults filled), without the batch; undefined if invalid. */
function canonicalBlockParams(name: string, given: Record<string, string | number | boolean>): string | undefined {
  const spec = findBlock(name);
  if (!spec) return undefined;
  try {
    const resolved = resolveParams(name, spec.params, given);
    delete resolved.batch;
    return JSON.stringify(Object.entries(resolved).sort(([a], [b]) => (a < b ? -1 : 1)));
  } catch {
    return undefined;
  }
}

/** Whether a result ran the seed comparison's target (a catalog block with the same resolved parameters). */
export function resultMatchesSeedTarget(r: BenchResult, seedTarget: string): boolean {
  const t = r.job.target;
  const { name, inline } = splitTarget(seedTarget);
  if (t.kind !== 'block' || t.name !== name) return false;
  const want = canonicalBlockParams(name, inline);
  return want !== undefined && want === canonicalBlockParams(name, t.params);
}

const macsCache = new Map<string, number>();

/** MACs of a target named as the CLI names it, from the shared cost model (cached). */
export function targetMacs(target: string): number {
  let macs = macsCache.get(target);
  if (macs === undefined) {
    macs = costGraph(buildTarget({ target })).totals.macs;
    macsCache.set(target, macs);
  }
  return macs;
}

// ---------------------------------------------------------------------------------------------
// (3) Theoretical (MACs ratio) vs measured (latency ratio) speed-up of each seed comparison.

export interface SeedSpeedup {
  comparison: string;
  question: string;
  reference: string;
  other: string;
  backend: string;
  batch: number;
  threads: number;
  machine: string;
  macsReference: number;
  macsOther: number;
  /** MACs(reference) / MACs(other): the speed-up the cost model predicts for `other`. */
  theoretical: number;
  latencyReference: number;
  latencyOther: number;
  /** latency(reference) / latency(other): the speed-up measured. */
  measured: number;
  label: string;
  /** Results pooled on each side (repetitions, runs of the same setting). */
  results: [number, number];
  /** What each side pooled, in words ("reference pooled: 3 runs; medians spread 1.75×"); '' when one result each. */
  pooledText: string;
  /** A side's pooled results disagree beyond their intervals. */
  disagree: boolean;
}

/** The side of a seed comparison a result ran: the target whose resolved parameters it has. */
export const sideBySeedTarget: SideOf = (c, r) => {
  const i = c.targets.findIndex((t) => resultMatchesSeedTarget(r, t));
  return i < 0 ? undefined : i;
};

/** What each side of a seed comparison pooled, in words. */
function pooledSides(reference: readonly BenchResult[], other: readonly BenchResult[]) {
  const [a, b] = [poolSummary(reference), poolSummary(other)];
  const text = [a.text && `reference ${a.text}`, b.text && `alternative ${b.text}`].filter(Boolean).join('; ');
  return {
    results: [reference.length, other.length] as [number, number],
    pooledText: text,
    disagree: a.disagree || b.disagree,
  };
}

/**
 * For each seed comparison, and each setting (backend, batch, threads, machine, precision...) where
 * both the reference (its first target) and another of its targets have ok results: the cost
 * model's speed-up beside the measured one, the answer of shared/stats/seed-verdicts.ts.
 */
export function seedSpeedups(
  results: readonly BenchResult[],
  comparisons: readonly SeedComparison[] = SEED_COMPARISONS,
): SeedSpeedup[] {
  const out: { order: number; row: SeedSpeedup }[] = [];
  for (const pair of seedPairs(comparisons, results, sideBySeedTarget, { labelParams: false })) {
    const v = seedVerdictOf(pair);
    if ('error' in v) continue;
    const c = pair.comparison;
    const [ref, other] = [c.targets[0], pair.target];
    const r = pair.reference[0];
    const [backend, batch, threads, precision] = [
      backendText(r),
      r.job.batch,
      r.job.backend.intraOpThreads,
      r.job.precision ?? 'fp32',
    ];
    const [macsReference, macsOther] = [targetMacs(ref), targetMacs(other)];
    const order = comparisons.indexOf(c) * 1000 + c.targets.indexOf(other);
    const row: SeedSpeedup = {
      comparison: c.name,
      question: c.question,
      reference: ref,
      other,
      backend,
      batch,
      threads,
      machine: machineText(r),
      macsReference,
      macsOther,
      theoretical: macsReference / macsOther,
      latencyReference: pooledMedian(pair.reference),
      latencyOther: pooledMedian(pair.other),
      measured: v.speedup,
      ...pooledSides(pair.reference, pair.other),
      label: `${c.name}${c.targets.length > 2 ? ` (${other})` : ''} · ${backend} · batch ${batch} · ${threadsText(threads)}${precision !== 'fp32' ? ` · ${precision}` : ''}`,
    };
    out.push({ order, row });
  }
  // By comparison and alternative, each in the order its settings were first met.
  const rows = out.sort((a, b) => a.order - b.order).map(({ row }) => row);
  const machines = new Set(rows.map((s) => s.machine));
  if (machines.size > 1) for (const s of rows) s.label += ` · ${s.machine}`;
  // Settings told apart by more than the label says (ONNX Runtime options, the machine's memory...).
  const seen = new Map<string, number>();
  for (const s of rows) {
    const n = (seen.get(s.label) ?? 0) + 1;
    seen.set(s.label, n);
    if (n > 1) s.label += ` #${n}`;
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// (4) Achieved GFLOP/s against arithmetic intensity, under the machine's roofline.

const intensityCache = new Map<string, number | undefined>();

/** Arithmetic intensity (FLOP/byte) of a result's graph at its batch, from the cost model; undefined for files. */
export function resultIntensity(r: BenchResult): number | undefined {
  const t = r.job.target;
  if (t.kind === 'file') return undefined;
  const key = JSON.stringify([t, r.job.batch]);
  if (intensityCache.has(key)) return intensityCache.get(key);
  let ai: number | undefined;
  try {
    const spec = t.kind === 'block' ? findBlock(t.name) : findModel(t.name);
    const set: Record<string, string> = Object.fromEntries(Object.entries(t.params).map(([k, v]) => [k, String(v)]));
    if (spec?.params.some((p) => p.name === 'batch')) set.batch = String(r.job.batch);
    const variant = t.kind === 'model' ? t.variant : undefined;
    ai = costGraph(buildTarget({ target: t.name, set, variant })).totals.arithmeticIntensity;
  } catch {
    ai = undefined;
  }
  intensityCache.set(key, ai);
  return ai;
}

export interface RooflinePoint {
  id: string;
  label: string;
  machine: string;
  intensity: number;
  gflops: number;
  /** Fraction of the attainable performance at this intensity (all threads), when the machine has a roofline. */
  ofRoof?: number;
}

export interface Roof {
  machine: string;
  isa: string;
  peakAll: number;
  peakOne: number;
  bwAll: number;
  bwOne: number;
  ridge: number;
}

export const attainable = (peak: number, bw: number, ai: number) => Math.min(peak, ai * bw);

export function rooflineData(results: readonly BenchResult[]): { points: RooflinePoint[]; roofs: Roof[] } {
  const ok = okResults(results);
  const roofs = new Map<string, Roof>();
  for (const r of ok) {
    const rl = r.machine.roofline;
    const machine = machineText(r);
    if (rl && !roofs.has(machine))
      roofs.set(machine, {
        machine,
        isa: rl.isa,
        peakAll: rl.peakGflops.allThreads,
        peakOne: rl.peakGflops.oneThread,
        bwAll: rl.triadGBps.allThreads,
        bwOne: rl.triadGBps.oneThread,
        ridge: rl.ridgeFlopsPerByte,
      });
  }
  const points: RooflinePoint[] = [];
  for (const r of ok) {
    const intensity = resultIntensity(r);
    const gflops = r.stats!.gflops;
    if (intensity === undefined || !(intensity > 0) || !(gflops > 0)) continue;
    const machine = machineText(r);
    const roof = roofs.get(machine);
    points.push({
      id: r.id,
      label: `${targetText(r.job.target)} · ${backendText(r)} · batch ${r.job.batch} · ${threadsText(r.job.backend.intraOpThreads)}`,
      machine,
      intensity,
      gflops,
      ofRoof: roof ? gflops / attainable(roof.peakAll, roof.bwAll, intensity) : undefined,
    });
  }
  return { points, roofs: [...roofs.values()] };
}

/** The label, or "label #n" for its n-th occurrence: bars of one configuration stay apart. */
function numbered(seen: Map<string, number>, label: string): string {
  const n = (seen.get(label) ?? 0) + 1;
  seen.set(label, n);
  return n > 1 ? `${label} #${n}` : label;
}

// ---------------------------------------------------------------------------------------------
// (5) Memory: measured peak RSS and its growth over the baseline, against the cost model's estimate.

export interface MemoryBar {
  id: string;
  label: string;
  peakRssBytes: number;
  deltaBytes: number;
  /** Cost model: weights + peak live activations. */
  estimatedBytes: number;
  gpuBytes?: number;
}

/** One bar per result (memory is per process: never pooled); results of one configuration numbered #2, #3... */
export function memoryData(results: readonly BenchResult[]): MemoryBar[] {
  const ok = results.filter((r) => r.status === 'ok' && r.memory);
  const withMachine = multipleMachines(ok);
  const seen = new Map<string, number>();
  return ok.map((r) => ({
    id: r.id,
    label: numbered(seen, `${configLabel(r, withMachine)} · ${backendText(r)}`),
    peakRssBytes: r.memory!.peakRssBytes,
    deltaBytes: r.memory!.deltaBytes,
    estimatedBytes: r.memory!.estimatedBytes || (r.cost ? r.cost.weightBytes + r.cost.peakActivationBytes : 0),
    gpuBytes: r.memory!.gpuBytes,
  }));
}

// ---------------------------------------------------------------------------------------------
// (6) Batch scaling (throughput vs batch) and thread scaling (speed-up vs threads).

export interface ScalingSeries {
  label: string;
  points: { x: number; y: number }[];
  /** Points that pool several results, in words ("batch 8: pooled: 2 runs; medians spread 1.10×"). */
  pooled: string[];
}

function scaling(
  results: readonly BenchResult[],
  xOf: (r: BenchResult) => number,
  keyParts: (r: BenchResult) => string[],
  yOf: (rs: BenchResult[]) => number,
): { label: string; points: { x: number; y: number; rs: BenchResult[] }[] }[] {
  const groups = new Map<string, Map<number, BenchResult[]>>();
  for (const r of okResults(results)) {
    const x = xOf(r);
    if (!(x > 0)) continue;
    const key = keyParts(r).join(' · ');
    const g = groups.get(key) ?? new Map<number, BenchResult[]>();
    g.set(x, [...(g.get(x) ?? []), r]);
    groups.set(key, g);
  }
  return [...groups]
    .filter(([, g]) => g.size >= 2)
    .map(([label, g]) => ({
      label,
      points: [...g].sort(([a], [b]) => a - b).map(([x, rs]) => ({ x, y: yOf(rs), rs })),
    }));
}

/** A variant's precision as a label part (fp32 says nothing): variants are never pooled with fp32. */
const precisionPart = (r: BenchResult): string[] => ((r.job.precision ?? 'fp32') !== 'fp32' ? [r.job.precision] : []);

/** The points of a scaling series that pool several results, said in words. */
function pooledPoints(points: { x: number; rs: BenchResult[] }[], what: string): string[] {
  return points.filter((p) => p.rs.length > 1).map((p) => `${what} ${p.x}: ${poolSummary(p.rs).text}`);
}

/** Items per second against batch size, per configuration (target, backend, threads, machine). */
export function batchScalingData(results: readonly BenchResult[]): ScalingSeries[] {
  const withMachine = multipleMachines(okResults(results));
  return scaling(
    results,
    (r) => r.job.batch,
    (r) => [
      targetText(r.job.target),
      backendText(r),
      threadsText(r.job.backend.intraOpThreads),
      ...precisionPart(r),
      ...(withMachine ? [r.machine.cpu.brand] : []),
    ],
    (rs) => median(rs.map((r) => r.stats!.throughput)),
  ).map(({ label, points }) => ({
    label,
    points: points.map(({ x, y }) => ({ x, y })),
    pooled: pooledPoints(points, 'batch'),
  }));
}

/** Speed-up over the fewest threads measured (latency(fewest) / latency(t)), per configuration. */
export function threadScalingData(results: readonly BenchResult[]): ScalingSeries[] {
  const withMachine = multipleMachines(okResults(results));
  return scaling(
    results,
    (r) => r.job.backend.intraOpThreads,
    (r) => [
      targetText(r.job.target),
      backendText(r),
      `batch ${r.job.batch}`,
      ...precisionPart(r),
      ...(withMachine ? [r.machine.cpu.brand] : []),
    ],
    pooledMedian,
  ).map(({ label, points }) => ({
    label,
    points: points.map(({ x, y }) => ({ x, y: points[0].y / y })),
    pooled: pooledPoints(points, 'threads'),
  }));
}

// ---------------------------------------------------------------------------------------------
// (7) Accuracy: benchmark results matched to saved accuracy results (same target and precision).

/** A result's accuracy figure when it carries one (a future `accuracy` field: top1, cosine...). */
export function accuracyOf(r: BenchResult): number | undefined {
  const acc = (r as unknown as { accuracy?: Record<string, unknown> }).accuracy;
  if (!acc || typeof acc !== 'object') return undefined;
  for (const k of ['top1', 'top1Agreement', 'cosine', 'cosineSimilarity'])
    if (typeof acc[k] === 'number') return acc[k] as number;
  return undefined;
}

export { accuracyTargetKey };

export interface ParetoPoint {
  label: string;
  latency: number;
  accuracy: number;
  /** Not dominated: no other point is at least as fast and more accurate (or faster and as accurate). */
  front: boolean;
}

/** Marks the Pareto front: lower latency and higher accuracy are better. */
export function markFront<T extends { latency: number; accuracy: number }>(points: T[]): (T & { front: boolean })[] {
  const order = points
    .map((p, i) => ({ p, i }))
    .sort((a, b) => a.p.latency - b.p.latency || b.p.accuracy - a.p.accuracy);
  const front = new Set<number>();
  let best = -Infinity;
  for (const { p, i } of order)
    if (p.accuracy > best) {
      front.add(i);
      best = p.accuracy;
    }
  return points.map((p, i) => ({ ...p, front: front.has(i) }));
}

/** Each ok benchmark result with an accuracy: its own figure, or the latest saved accuracy result of its target and precision. */
function withAccuracy(
  results: readonly BenchResult[],
  accuracy: readonly AccuracyResult[],
): { r: BenchResult; accuracy: number; label: string }[] {
  const latest = new Map<string, AccuracyResult>();
  for (const a of [...accuracy].sort((x, y) => x.createdAt.localeCompare(y.createdAt)))
    if (a.targetSpec) latest.set(`${accuracyTargetKey(a.targetSpec)}|${a.precision}`, a);
  return okResults(results).flatMap((r) => {
    const own = accuracyOf(r);
    const matched = latest.get(`${accuracyTargetKey(r.job.target)}|${r.job.precision ?? 'fp32'}`);
    const y = own ?? matched?.accuracy.top1;
    if (y === undefined) return [];
    const precision = r.job.precision && r.job.precision !== 'fp32' ? ` · ${r.job.precision}` : '';
    return [
      { r, accuracy: y, label: `${targetText(r.job.target)} · ${backendText(r)} · batch ${r.job.batch}${precision}` },
    ];
  });
}

/**
 * Latency vs accuracy: each benchmark result whose target (and precision) has a saved accuracy
 * result (the latest), x = its median latency, y = that top-1; plus results that carry an accuracy
 * figure themselves. The front is marked.
 */
export function paretoData(results: readonly BenchResult[], accuracy: readonly AccuracyResult[] = []): ParetoPoint[] {
  return markFront(
    withAccuracy(results, accuracy).map(({ r, accuracy: a, label }) => ({ label, latency: r.stats!.p50, accuracy: a })),
  );
}

/** Where the memory figure of the memory-vs-accuracy chart comes from. */
export type MemorySource = 'measured' | 'model';

export const MEMORY_SOURCE_TEXT: Record<MemorySource, string> = {
  measured: 'measured peak RSS growth over the baseline',
  model: "cost model: weights at the job's precision + peak activations",
};

/** Weight bytes of a variant from the fp32 figure: fp16 halves them; int8 stores one byte per weight. */
const WEIGHT_SCALE: Record<string, number> = { fp32: 1, fp16: 0.5, int8: 0.25 };

/** A result's memory by source; undefined when it has none (no memory measurement, no cost). */
export function memoryOf(r: BenchResult, source: MemorySource): number | undefined {
  if (source === 'measured') return r.memory && r.memory.deltaBytes > 0 ? r.memory.deltaBytes : undefined;
  if (!r.cost) return r.memory?.estimatedBytes || undefined;
  return r.cost.weightBytes * (WEIGHT_SCALE[r.job.precision ?? 'fp32'] ?? 1) + r.cost.peakActivationBytes;
}

export interface MemoryParetoPoint {
  label: string;
  /** Bytes. */
  memory: number;
  accuracy: number;
  front: boolean;
}

/**
 * Memory vs accuracy: the same matching as paretoData, x = the result's memory from `source`
 * (results without that figure are counted in `missing`); less memory and more accuracy are better.
 */
export function memoryParetoData(
  results: readonly BenchResult[],
  accuracy: readonly AccuracyResult[] = [],
  source: MemorySource = 'measured',
): { points: MemoryParetoPoint[]; missing: number } {
  const matched = withAccuracy(results, accuracy);
  const points = matched.flatMap(({ r, accuracy: a, label }) => {
    const memory = memoryOf(r, source);
    return memory === undefined ? [] : [{ label, latency: memory, accuracy: a }];
  });
  return {
    points: markFront(points).map(({ latency, ...p }) => ({ ...p, memory: latency })),
    missing: matched.length - points.length,
  };
}

// ---------------------------------------------------------------------------------------------
// Side by side: one column per machine, one row per configuration (target, backend, batch, threads).

export interface MachineCompare {
  machines: string[];
  rows: {
    label: string;
    medians: (number | undefined)[];
    ratios: (number | undefined)[];
    /** Per machine: how the cell pooled several results (undefined for one result or none). */
    pooled: (PoolSummary | undefined)[];
  }[];
}

export function machineCompareData(results: readonly BenchResult[]): MachineCompare {
  const ok = okResults(results);
  const machines = [...new Set(ok.map(machineText))];
  const rows = new Map<string, Map<string, BenchResult[]>>();
  for (const r of ok) {
    const label = [
      targetText(r.job.target),
      backendText(r),
      `batch ${r.job.batch}`,
      threadsText(r.job.backend.intraOpThreads),
      ...precisionPart(r),
    ].join(' · ');
    const row = rows.get(label) ?? new Map<string, BenchResult[]>();
    const m = machineText(r);
    row.set(m, [...(row.get(m) ?? []), r]);
    rows.set(label, row);
  }
  return {
    machines,
    rows: [...rows].map(([label, row]) => {
      const medians = machines.map((m) => (row.has(m) ? pooledMedian(row.get(m)!) : undefined));
      const base = medians.find((x) => x !== undefined);
      const pooled = machines.map((m) => {
        const rs = row.get(m);
        return rs && rs.length > 1 ? poolSummary(rs) : undefined;
      });
      return {
        label,
        medians,
        ratios: medians.map((x) => (x !== undefined && base ? x / base : undefined)),
        pooled,
      };
    }),
  };
}
