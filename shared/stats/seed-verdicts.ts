// The answers the seed comparisons ask for: per comparison and per setting (machine, device,
// backend, batch, threads, precision, the block's other parameters), the cost model's saving beside
// the measured one. Samples are pooled only across results of one setting (fresh-process
// repetitions, or runs of the same setting saved on different days): a CPU and a GPU run are two
// answers, never one average. Used by `bench --seed` (results just measured) and `compare --measured`
// (results found in the store).
// The setting, the measured speed-up and the findings are pair-compare.ts's, shared with any two targets.
import type { Target } from '../contract/job.js';
import type { BenchResult } from '../contract/result.js';
import type { SeedComparison } from '../cost/seed-comparisons.js';
import type { Verdict } from './compare.js';
import { deviceOf, measuredSpeedup, settingLabel, settingParts, speedupFinding } from './pair-compare.js';

export { deviceOf, settingLabel } from './pair-compare.js';

export interface SeedVerdict {
  comparison: string;
  /** The setting in words: backend (ISA, device), batch, threads, precision, other parameters. */
  setting: string;
  /** What ran it: the CPU, or the GPU adapter (with the software label where it applies). */
  device: string;
  reference: string;
  target: string;
  /** Reference MACs / target MACs (the cost model's speed-up). */
  macsRatio?: number;
  /** The cost model's saving: 1 - target MACs / reference MACs. */
  macsSaving?: number;
  /** Reference median / target median. */
  speedup: number;
  speedupCi: { low: number; high: number };
  /** The measured saving of time: 1 - target median / reference median. */
  timeSaving: number;
  pValue: number;
  verdict: Verdict;
  /** Results pooled on each side. */
  repetitions: [number, number];
  /**
   * When the measured speed-up is less than half the cost model's: the finding a user comes for
   * (for example depthwise separable convolutions saving MACs but not time on a GPU).
   */
  finding?: string;
}

export interface SeedVerdictGap {
  comparison: string;
  setting: string;
  target: string;
  error: string;
}

/** Which side of `comparison` a result measures (its index in comparison.targets), if any. */
export type SideOf = (comparison: SeedComparison, result: BenchResult) => number | undefined;

/** Sides by exact job target: for results of this very run, whose targets the caller built. */
export function sideByTarget(targetsOf: (comparison: SeedComparison, target: string) => Target): SideOf {
  return (c, r) => {
    const t = JSON.stringify(r.job.target);
    const i = c.targets.findIndex((x) => JSON.stringify(targetsOf(c, x)) === t);
    return i < 0 ? undefined : i;
  };
}

/** `name:a=1,b=2` -> name and fixed parameters (as strings, the way job targets keep them). */
function parseSeedTarget(text: string): { name: string; fixed: Record<string, string> } {
  const colon = text.indexOf(':');
  if (colon < 0) return { name: text, fixed: {} };
  const fixed: Record<string, string> = {};
  for (const part of text.slice(colon + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fixed[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return { name: text.slice(0, colon), fixed };
}

/**
 * Sides by block or model name and the comparison's fixed parameters: for saved results, which may
 * carry other parameters too (--set height=...), kept apart as part of their setting.
 */
export const sideByName: SideOf = (c, r) => {
  const t = r.job.target;
  if (t.kind === 'file') return undefined;
  const i = c.targets.findIndex((x) => {
    const { name, fixed } = parseSeedTarget(x);
    return name === t.name && Object.entries(fixed).every(([k, v]) => String(t.params[k]) === v);
  });
  return i < 0 ? undefined : i;
};

/** The parameters a result has beyond those its comparison side fixes (the shared overrides). */
function otherParams(c: SeedComparison, side: number, r: BenchResult): Record<string, string> {
  const t = r.job.target;
  if (t.kind === 'file') return {};
  const { fixed } = parseSeedTarget(c.targets[side]);
  return Object.fromEntries(
    Object.entries(t.params)
      .filter(([k]) => !(k in fixed))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => [k, String(v)]),
  );
}

function settingKey(c: SeedComparison, side: number, r: BenchResult): string {
  const t = r.job.target;
  return JSON.stringify([...settingParts(r), t.kind === 'model' ? (t.variant ?? '') : '', otherParams(c, side, r)]);
}

/** One alternative of a comparison against its first target in one setting: the results pooled on each side. */
export interface SeedPair {
  comparison: SeedComparison;
  /** The alternative: comparison.targets[k], k >= 1. */
  target: string;
  setting: string;
  device: string;
  /** The comparison's first target's results in this setting (none: a gap). */
  reference: BenchResult[];
  other: BenchResult[];
}

/**
 * Per comparison and setting, each alternative beside the comparison's first target: the results
 * (ok, with samples) that seedVerdicts answers on, for a caller that shows them its own way.
 */
export function seedPairs(
  comparisons: readonly SeedComparison[],
  results: readonly BenchResult[],
  sideOf: SideOf,
  /** Name the other parameters in the setting's label (off when one run gave them all alike). */
  opts: { labelParams?: boolean } = {},
): SeedPair[] {
  const out: SeedPair[] = [];
  for (const c of comparisons) {
    // setting key -> per side: results; plus the label and device of the setting.
    const settings = new Map<string, { label: string; device: string; sides: BenchResult[][] }>();
    for (const r of results) {
      if (r.status !== 'ok' || r.samplesMs.length === 0) continue;
      const side = sideOf(c, r);
      if (side === undefined) continue;
      const key = settingKey(c, side, r);
      let s = settings.get(key);
      if (!s) {
        s = {
          label: settingLabel(r, opts.labelParams === false ? {} : otherParams(c, side, r)),
          device: deviceOf(r),
          sides: c.targets.map(() => []),
        };
        settings.set(key, s);
      }
      s.sides[side].push(r);
    }
    for (const s of settings.values()) {
      const [ref, ...others] = s.sides;
      others.forEach((rs, k) =>
        out.push({
          comparison: c,
          target: c.targets[k + 1],
          setting: s.label,
          device: s.device,
          reference: ref,
          other: rs,
        }),
      );
    }
  }
  return out;
}

/** The answer of one pair: the cost model's saving beside the measured one, or why there is none. */
export function seedVerdictOf(p: SeedPair): SeedVerdict | SeedVerdictGap {
  const { comparison: c, target, reference: ref, other: rs } = p;
  if (!ref.length || !rs.length)
    return { comparison: c.name, setting: p.setting, target, error: 'a side has no successful result' };
  const m = measuredSpeedup(ref, rs);
  const [ma, mb] = [ref[0].cost?.macs, rs[0].cost?.macs];
  const macsRatio = ma && mb ? ma / mb : undefined;
  return {
    comparison: c.name,
    setting: p.setting,
    device: p.device,
    reference: c.targets[0],
    target,
    macsRatio,
    macsSaving: ma && mb ? 1 - mb / ma : undefined,
    speedup: m.speedup,
    speedupCi: m.speedupCi,
    timeSaving: m.timeSaving,
    pValue: m.pValue,
    verdict: m.verdict,
    repetitions: m.repetitions,
    finding: speedupFinding(macsRatio, m.speedup, m.verdict, p.device),
  };
}

/** Per comparison and setting, each alternative against the comparison's first target. */
export function seedVerdicts(
  comparisons: readonly SeedComparison[],
  results: readonly BenchResult[],
  sideOf: SideOf,
  /** Name the other parameters in the setting's label (off when one run gave them all alike). */
  opts: { labelParams?: boolean } = {},
): (SeedVerdict | SeedVerdictGap)[] {
  return seedPairs(comparisons, results, sideOf, opts).map(seedVerdictOf);
}
