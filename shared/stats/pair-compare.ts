// Any two configurations compared (issue 18): two targets with any parameters, A the reference and
// B the alternative, the cost model's speed-up beside the measured one in every setting (machine,
// device, backend, batch, threads, precision) where the saved results have both, and the settings
// where only one side was measured listed as "not measured", never filled in. The seed comparisons
// (seed-verdicts.ts) are this same answer over named pairs: both use the setting key, the labels,
// the measured speed-up and the findings defined here.
//
// - Theoretical speed-up: MACs_A / MACs_B (the cost model), and the memory-traffic ratio
//   bytes_A / bytes_B (every node's inputs, weights and outputs once, top-layers.ts's convention,
//   at the setting's precision), both from the graphs built at the setting's batch.
// - Measured speed-up: median_A / median_B of the raw samples pooled over each side's results of
//   the setting, with the bootstrap interval of the ratio and the Mann-Whitney U test
//   (compare.ts compareSamples): above 1 means B is faster. Quick runs (flags.ts) stay out unless
//   asked for, counted in `excluded`.
// - A result is a side when it is that very target: same block or model (and variant), every
//   parameter equal once the defaults are filled in (`bottleneck` and `bottleneck:mid=64` are one
//   target), the batch aside (it is part of the setting) unless the target text fixes it.
import { resolveParams, type ParamValues } from '../blocks/block-spec.js';
import { findBlock } from '../blocks/registry.js';
import { isCpuBackend, type PrecisionName, type Target } from '../contract/job.js';
import type { BenchResult } from '../contract/result.js';
import { costGraph } from '../cost/cost-model.js';
import { SOFTWARE_ADAPTER_LABEL } from '../hardware/adapters.js';
import { StudioError, type Graph } from '../ir/types.js';
import { findModel } from '../models/registry.js';
import { buildTarget, splitTarget } from '../targets.js';
import { compareSamples, type CompareOptions, type Verdict } from './compare.js';
import { quickReason } from './flags.js';
import { graphTraffic } from './top-layers.js';

// ---------------------------------------------------------------------------------------------
// Settings: what a measurement was taken under, apart from the target.

/** What a result ran on, in words. */
export function deviceOf(r: BenchResult): string {
  const a = r.runtime?.adapter;
  if (a) return a.software ? `${a.name} [${SOFTWARE_ADAPTER_LABEL}]` : a.name;
  const be = r.job.backend.backend;
  if (isCpuBackend(be)) return r.machine.cpu.brand;
  return r.runtime?.providers.join('+') ?? be;
}

/**
 * The parts of a result's setting that are not its target: the machine (as far as a result tells
 * it apart: runs from two machines are two answers), the device, the backend configuration, batch,
 * precision and scenario.
 */
export function settingParts(r: BenchResult): unknown[] {
  const j = r.job;
  const be = j.backend;
  return [
    r.machine.cpu.brand,
    r.machine.cpu.threads,
    r.machine.memory.totalBytes,
    r.runtime?.adapter?.name ?? '',
    be.backend,
    be.isa ?? 'auto',
    be.deviceId ?? 0,
    be.intraOpThreads,
    be.interOpThreads,
    be.graphOptimization,
    be.executionMode,
    be.memoryArena,
    j.batch,
    j.precision,
    j.scenario,
  ];
}

/** The setting in words: backend (ISA, device), batch, threads, precision, other parameters. */
export function settingLabel(r: BenchResult, other: Record<string, string> = {}): string {
  const j = r.job;
  const isa = j.backend.isa && j.backend.isa !== 'auto' ? `/${j.backend.isa}` : '';
  const device = j.backend.deviceId !== undefined ? ` device ${j.backend.deviceId}` : '';
  const threads = j.backend.intraOpThreads ? `, ${j.backend.intraOpThreads} threads` : '';
  const precision = j.precision !== 'fp32' ? `, ${j.precision}` : '';
  const params = Object.entries(other)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${j.backend.backend}${isa}${device}, batch ${j.batch}${threads}${precision}${params ? `, ${params}` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// The measured answer of one setting, and where it parts from the cost model.

export interface MeasuredSpeedup {
  /** median_A / median_B: above 1, B is faster. */
  speedup: number;
  /** The bootstrap interval of the speed-up (95%). */
  speedupCi: { low: number; high: number };
  /** 1 - median_B / median_A. */
  timeSaving: number;
  pValue: number;
  /** B against A: 'faster' means B is significantly faster. */
  verdict: Verdict;
  /** Results pooled on each side. */
  repetitions: [number, number];
  /** Samples pooled on each side. */
  samples: [number, number];
  /** Pooled medians, ms. */
  medianMs: [number, number];
}

/** A's results against B's in one setting: their samples pooled per side, compared (compareSamples). */
export function measuredSpeedup(
  a: readonly BenchResult[],
  b: readonly BenchResult[],
  opts: CompareOptions = {},
): MeasuredSpeedup {
  const [sa, sb] = [a.flatMap((r) => r.samplesMs), b.flatMap((r) => r.samplesMs)];
  const cmp = compareSamples(sa, sb, opts);
  return {
    speedup: 1 / cmp.ratio,
    speedupCi: { low: 1 / cmp.ratioCi.high, high: 1 / cmp.ratioCi.low },
    timeSaving: 1 - cmp.ratio,
    pValue: cmp.test.pValue,
    verdict: cmp.verdict,
    repetitions: [a.length, b.length],
    samples: [cmp.nA, cmp.nB],
    medianMs: [cmp.medianA, cmp.medianB],
  };
}

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

/**
 * Where the measurement parts from the cost model, judged on speed-ups (not savings: 89% fewer
 * MACs is an 8.9x speed-up, 48% less time only 1.9x): fewer MACs but significantly slower; less
 * than half the predicted speed-up; or more than twice it (the reference is limited by something
 * MACs do not count, such as memory traffic).
 */
export function speedupFinding(
  macsRatio: number | undefined,
  speedup: number,
  verdict: Verdict,
  device: string,
): string | undefined {
  if (macsRatio === undefined || !Number.isFinite(macsRatio) || !(macsRatio > 0)) return undefined;
  const macsSaving = 1 - 1 / macsRatio;
  const timeSaving = 1 - 1 / speedup;
  const x = (v: number) => `${v.toFixed(v >= 10 ? 0 : v >= 1 ? 1 : 2)}x`;
  const model = `the cost model says ${x(macsRatio)}`;
  if (macsRatio > 1 && verdict === 'slower')
    return `has ${pct(macsSaving)} fewer MACs but is slower on ${device} (${x(speedup)}; ${model})`;
  if (macsRatio >= 1.25 && speedup < macsRatio / 2)
    return timeSaving <= 0.02
      ? `saves ${pct(macsSaving)} of the MACs but no time on ${device} (${x(speedup)}; ${model})`
      : `saves ${pct(macsSaving)} of the MACs but only ${pct(timeSaving)} of the time on ${device} (${x(speedup)} faster; ${model})`;
  if (macsRatio >= 1.25 && speedup > macsRatio * 2 && verdict === 'faster')
    return `is ${x(speedup)} faster on ${device} where ${model}: MACs do not explain this pair there (memory traffic, kernel efficiency)`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Targets: what a user names, and which saved results are that target.

/** One side of a pair: its name for people, which results measure it, and its graph at a batch. */
export interface PairSide {
  /** "bottleneck:mid=32,stride=2", "resnet50/keras". */
  label: string;
  matches(r: BenchResult): boolean;
  /** The graph the side's jobs run at this batch (undefined: the cost model cannot say). */
  graphAt(batch: number): Graph | undefined;
}

/** A block or zoo model with every parameter resolved. */
export interface PairTarget {
  kind: 'block' | 'model';
  name: string;
  variant?: string;
  /** Every parameter but batch, defaults filled in. */
  params: ParamValues;
  /** The parameters that differ from the defaults (batch aside): what a label and a job carry. */
  given: ParamValues;
  /** The batch the text fixes, if it does. */
  batch?: number;
  /** Canonical text: name[/variant][:non-default parameters]. */
  label: string;
}

const paramText = (p: ParamValues) =>
  Object.entries(p)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/**
 * Parses a target the way the CLI takes it: `bottleneck:mid=32,stride=2`, `resnet50`,
 * `resnet50/keras:size=160` (a model's variant after a slash, or in `opts.variant`); `opts.set`
 * holds overrides for it (inline ones win), `opts.input` an N x C x H x W shape. Fails with a
 * StudioError naming what is wrong.
 */
export function parsePairTarget(
  text: string,
  opts: { set?: Record<string, string>; variant?: string; input?: number[] } = {},
): PairTarget {
  const { name: full, inline } = splitTarget(text.trim());
  const slash = full.indexOf('/');
  const name = slash > 0 && findModel(full.slice(0, slash)) ? full.slice(0, slash) : full;
  const variantInText = name !== full ? full.slice(slash + 1) : undefined;
  const given: Record<string, string | number | boolean> = { ...(opts.set ?? {}), ...inline };
  const block = findBlock(name);
  const model = block ? undefined : findModel(name);
  if (!block && !model)
    throw new StudioError(
      `unknown target '${name}': not a block or a zoo model (write e.g. bottleneck:mid=32)`,
      'unknown-target',
    );
  const input = opts.input;
  if (input) {
    const [n, c, h, w] = input;
    if (block) Object.assign(given, { batch: n, channels: c, height: h, width: w });
    else Object.assign(given, { batch: n, size: h });
  }
  const specs = (block ?? model)!.params;
  const resolved = resolveParams(`${block ? 'block' : 'model'} '${name}'`, specs, given);
  let variant: string | undefined;
  if (model) {
    variant = variantInText ?? opts.variant ?? model.defaultVariant;
    if (!model.variants.includes(variant))
      throw new StudioError(
        `model '${name}' has no variant '${variant}'. Variants: ${model.variants.join(', ')}`,
        'bad-parameter',
      );
  } else if (variantInText ?? opts.variant)
    throw new StudioError(`block '${name}' has no variants; a variant applies to zoo models`, 'bad-parameter');
  const batch = given.batch !== undefined ? (resolved.batch as number) : undefined;
  const params: ParamValues = {};
  const nonDefault: ParamValues = {};
  for (const s of specs) {
    if (s.name === 'batch') continue;
    params[s.name] = resolved[s.name];
    if (resolved[s.name] !== s.default) nonDefault[s.name] = resolved[s.name];
  }
  const shown = paramText({ ...nonDefault, ...(batch !== undefined ? { batch } : {}) });
  const label = `${name}${model ? `/${variant}` : ''}${shown ? `:${shown}` : ''}`;
  return { kind: block ? 'block' : 'model', name, variant, params, given: nonDefault, batch, label };
}

/** A saved result's target as a PairTarget (undefined for files and targets that no longer resolve). */
export function pairTargetOfResult(t: Target): PairTarget | undefined {
  if (t.kind === 'file') return undefined;
  try {
    const set: Record<string, string> = {};
    for (const [k, v] of Object.entries(t.params)) if (k !== 'batch') set[k] = String(v);
    return parsePairTarget(t.name, { set, variant: t.kind === 'model' ? t.variant : undefined });
  } catch {
    return undefined;
  }
}

const sameParams = (x: ParamValues, y: ParamValues) =>
  Object.keys(x).length === Object.keys(y).length && Object.entries(x).every(([k, v]) => y[k] === v);

/** Saved targets resolved once each (results are read-only). */
const resolvedTargets = new WeakMap<Target, PairTarget | null>();

/** Whether a result measured this target (see the file's header). */
export function resultIsTarget(p: PairTarget, r: BenchResult): boolean {
  const t = r.job.target;
  if (t.kind !== p.kind || t.name !== p.name) return false;
  if (p.batch !== undefined && r.job.batch !== p.batch) return false;
  let rt = resolvedTargets.get(t);
  if (rt === undefined) resolvedTargets.set(t, (rt = pairTargetOfResult(t) ?? null));
  return !!rt && rt.variant === p.variant && sameParams(rt.params, p.params);
}

/** The side of a pair for a block or zoo model (its graph built as the worker builds it). */
export function pairSide(p: PairTarget): PairSide {
  const graphs = new Map<number, Graph | undefined>();
  return {
    label: p.label,
    matches: (r) => resultIsTarget(p, r),
    graphAt(batch) {
      if (!graphs.has(batch)) {
        const set: Record<string, string> = {};
        for (const [k, v] of Object.entries(p.params)) set[k] = String(v);
        set.batch = String(p.batch ?? batch);
        try {
          graphs.set(batch, buildTarget({ target: p.name, set, variant: p.variant }));
        } catch {
          graphs.set(batch, undefined);
        }
      }
      return graphs.get(batch);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The pair's answer.

export interface PairTheory {
  batch: number;
  precision: PrecisionName;
  macs: [number, number];
  /** MACs_A / MACs_B: the cost model's speed-up of B over A. */
  macsRatio: number;
  /** Bytes moved by each side (every node's activations in and out and its weights, once each). */
  bytes: [number, number];
  /** bytes_A / bytes_B: the speed-up if both were bound by memory traffic. */
  trafficRatio: number;
}

export interface PairSetting {
  setting: string;
  device: string;
  batch: number;
  precision: PrecisionName;
  /** The cost model at this setting's batch and precision (undefined: a side's graph cannot be built). */
  theory?: PairTheory;
  /** Results of each side in this setting. */
  ids: [string[], string[]];
  /** Both sides measured: the measured speed-up of B over A. */
  measured?: MeasuredSpeedup;
  /** Only one side measured: which one lacks results. */
  missing?: 'A' | 'B';
  /** Where the measurement parts from the cost model (speedupFinding). */
  finding?: string;
}

export interface PairComparison {
  a: string;
  b: string;
  /** The cost model at batch 1 (or the batch the targets fix), fp32. */
  theory?: PairTheory;
  /** Settings with both sides measured first, then those with one; each group by label. */
  settings: PairSetting[];
  measuredCount: number;
  notMeasuredCount: number;
  /** Results of either side left out of the comparison and why (quick runs), by id. */
  excluded: { id: string; reason: string }[];
}

const ratio = (x: number, y: number) => (y === 0 ? (x === 0 ? 1 : Infinity) : x / y);

/** The cost model's speed-up of B over A at a batch and precision; undefined when a graph cannot be built. */
export function pairTheory(a: PairSide, b: PairSide, batch: number, precision: PrecisionName): PairTheory | undefined {
  const [ga, gb] = [a.graphAt(batch), b.graphAt(batch)];
  if (!ga || !gb) return undefined;
  try {
    const macs: [number, number] = [costGraph(ga).totals.macs, costGraph(gb).totals.macs];
    const bytes: [number, number] = [graphTraffic(ga, precision), graphTraffic(gb, precision)];
    return {
      batch,
      precision,
      macs,
      macsRatio: ratio(macs[0], macs[1]),
      bytes,
      trafficRatio: ratio(bytes[0], bytes[1]),
    };
  } catch {
    return undefined;
  }
}

export interface ComparePairOptions {
  /** Pool quick runs too (flags.ts quickReason); left out, and listed in `excluded`, by default. */
  includeQuick?: boolean;
  /** Why a result must stay out, or undefined (replaces the quick-run rule when given). */
  exclude?: (r: BenchResult) => string | undefined;
  compare?: CompareOptions;
  /** The batch of the headline theory (1 unless a target fixes another). */
  theoryBatch?: number;
}

/**
 * A against B in every setting of `results` that measured either (ok results with samples):
 * the cost model's speed-up beside the measured one, or which side is missing. Quick runs stay
 * out unless `includeQuick` (they are listed in `excluded` with the reason).
 */
export function comparePair(
  a: PairSide,
  b: PairSide,
  results: readonly BenchResult[],
  opts: ComparePairOptions = {},
): PairComparison {
  const exclude = opts.exclude ?? (opts.includeQuick ? undefined : quickReason);
  const excluded: PairComparison['excluded'] = [];
  const settings = new Map<string, { first: BenchResult; sides: [BenchResult[], BenchResult[]] }>();
  for (const r of results) {
    if (r.status !== 'ok' || r.samplesMs.length === 0) continue;
    const [isA, isB] = [a.matches(r), b.matches(r)];
    if (!isA && !isB) continue;
    const why = exclude?.(r);
    if (why) {
      excluded.push({ id: r.id, reason: why });
      continue;
    }
    const key = JSON.stringify(settingParts(r));
    let s = settings.get(key);
    if (!s) settings.set(key, (s = { first: r, sides: [[], []] }));
    if (isA) s.sides[0].push(r);
    if (isB) s.sides[1].push(r);
  }
  const theories = new Map<string, PairTheory | undefined>();
  const theoryAt = (batch: number, precision: PrecisionName) => {
    const k = `${batch}|${precision}`;
    if (!theories.has(k)) theories.set(k, pairTheory(a, b, batch, precision));
    return theories.get(k);
  };
  const rows: PairSetting[] = [];
  for (const { first, sides } of settings.values()) {
    const [ra, rb] = sides;
    const { batch, precision } = first.job;
    const theory = theoryAt(batch, precision);
    const device = deviceOf(first);
    const row: PairSetting = {
      setting: settingLabel(first),
      device,
      batch,
      precision,
      ...(theory ? { theory } : {}),
      ids: [ra.map((r) => r.id), rb.map((r) => r.id)],
    };
    if (ra.length && rb.length) {
      row.measured = measuredSpeedup(ra, rb, opts.compare);
      // The cost model of what ran: the graphs' MACs, else the MACs the results recorded.
      const [ma, mb] = [ra[0].cost?.macs, rb[0].cost?.macs];
      const macsRatio = theory?.macsRatio ?? (ma && mb ? ma / mb : undefined);
      const finding = speedupFinding(macsRatio, row.measured.speedup, row.measured.verdict, device);
      if (finding) row.finding = finding;
    } else row.missing = ra.length ? 'B' : 'A';
    rows.push(row);
  }
  rows.sort(
    (x, y) => Number(!!x.missing) - Number(!!y.missing) || (x.setting < y.setting ? -1 : x.setting > y.setting ? 1 : 0),
  );
  const measuredCount = rows.filter((r) => r.measured).length;
  return {
    a: a.label,
    b: b.label,
    theory: theoryAt(opts.theoryBatch ?? 1, 'fp32'),
    settings: rows,
    measuredCount,
    notMeasuredCount: rows.length - measuredCount,
    excluded,
  };
}

/** comparePair for two block or model texts (`bottleneck:mid=32,stride=2` against `basic-residual`). */
export function compareTargets(
  a: string,
  b: string,
  results: readonly BenchResult[],
  opts: ComparePairOptions & { set?: Record<string, string>; variant?: string } = {},
): PairComparison {
  const [ta, tb] = [
    parsePairTarget(a, { set: opts.set, variant: opts.variant }),
    parsePairTarget(b, { set: opts.set, variant: opts.variant }),
  ];
  return comparePair(pairSide(ta), pairSide(tb), results, { ...opts, theoryBatch: ta.batch ?? tb.batch ?? 1 });
}
