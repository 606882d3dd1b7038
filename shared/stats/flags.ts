// How a result is to be read, for every reader (the Results view, the reports, the CLI, the
// summaries of results.list): its warnings (what may make the numbers wrong or unstable: only these
// count as flags) apart from its notes (what ran and how: the native plan, the fusions, a re-exported
// file, a software adapter), and whether it is a quick run (measured with less than the default
// measuring rules, so kept out of comparisons unless asked for).
import { MeasureSchema, type Measure } from '../contract/job.js';
import type { BenchResult } from '../contract/result.js';

/**
 * Lines that results saved before `notes` existed carried in `flags` although they only inform.
 * Anything not matched here stays a warning: an unknown line is never hidden among the notes.
 */
const NOTE_PATTERNS: readonly RegExp[] = [
  // The native backend's plan and lowering report (main/backends/native.ts, native/lower.ts).
  /^native plan: /,
  /^native lowering: /,
  // A file run through the studio's re-export (main/engine/resolve.ts).
  /^ran the studio's re-export of /,
  // A software adapter (shared/hardware/adapters.ts softwareAdapterFlag): badged wherever devices are shown.
  /^ran on .+, an adapter that is .+: these figures are CPU speed through the GPU code path/,
  // The proof that an fp16 variant computes in float16 (main/backends/ort/variant-check.ts).
  /^fp16 kernels checked on /,
];

/** Whether a line found in an old result's `flags` is informational (a note), not a warning. */
export const isNoteLine = (line: string): boolean => NOTE_PATTERNS.some((re) => re.test(line));

export interface FlagSplit {
  /** What the numbers must be read with: the flags ("2 flags", "FLAGGED"). */
  warnings: string[];
  /** Information about what ran and how: shown apart, never counted as flags. */
  notes: string[];
}

/**
 * A result's warnings and notes: its `notes`, plus the informational lines an older result kept in
 * `flags` (isNoteLine); every other line of `flags` is a warning. Each line once, in order.
 */
export function splitFlags(r: { flags?: readonly string[]; notes?: readonly string[] }): FlagSplit {
  const warnings: string[] = [];
  const notes: string[] = [...new Set(r.notes ?? [])];
  for (const line of r.flags ?? []) {
    const list = isNoteLine(line) ? notes : warnings;
    if (!list.includes(line)) list.push(line);
  }
  return { warnings, notes };
}

/** How many flags (warnings) a result has: what "N flags" and "FLAGGED" count. */
export const warningCount = (r: { flags?: readonly string[]; notes?: readonly string[] }): number =>
  splitFlags(r).warnings.length;

// ---- quick runs ----

/** The default measuring rules (MeasureSchema's defaults: the 'standard' preset). */
export const DEFAULT_MEASURE: Measure = MeasureSchema.parse({});

const seconds = (s: number) => `${Number(s.toPrecision(3))} s`;
const pct = (x: number) => `±${Number((x * 100).toPrecision(3))}%`;

/**
 * Why a result is a quick run, or undefined. A result does not record the preset it was run with,
 * so "quick" is read from its measuring rules (job.measure), against the defaults:
 * - it could stop measuring before the default minimum time (1 s): its minimum time, or its maximum
 *   time when that is shorter, is below it (the Quick preset: 0.5 s, at most 3 s);
 * - or its early stop was looser than the default (the median's 95% interval within ±1%): a wider
 *   targetRelCi while the early stop was on (no minimums set by the user; the Quick preset: ±5%).
 * The Standard (the defaults) and Thorough (5 s, ±0.5%) presets are not quick.
 */
export function quickReason(r: Pick<BenchResult, 'job'>): string | undefined {
  const m = r.job.measure;
  const reasons: string[] = [];
  const minTime = Math.min(m.minTimeS, m.maxTimeS);
  if (minTime < DEFAULT_MEASURE.minTimeS)
    reasons.push(
      `${m.maxTimeS < m.minTimeS ? 'maximum' : 'minimum'} time ${seconds(minTime)} (default minimum ${seconds(DEFAULT_MEASURE.minTimeS)})`,
    );
  if (!m.userMinimums && m.targetRelCi > DEFAULT_MEASURE.targetRelCi)
    reasons.push(`early stop at ${pct(m.targetRelCi)} (default ${pct(DEFAULT_MEASURE.targetRelCi)})`);
  return reasons.length ? `quick run: ${reasons.join(', ')}` : undefined;
}

export const isQuick = (r: Pick<BenchResult, 'job'>): boolean => quickReason(r) !== undefined;

/** The rule above in one sentence, for the places that leave quick runs out. */
export const QUICK_RULE = `a quick run is one measured with less than the default rules: a minimum time under ${seconds(DEFAULT_MEASURE.minTimeS)}, or an early stop looser than ${pct(DEFAULT_MEASURE.targetRelCi)} (the Quick preset)`;

/** Results kept for comparisons and the quick runs left out (none left out when `includeQuick`). */
export function withoutQuick<R extends Pick<BenchResult, 'job'>>(
  results: readonly R[],
  includeQuick = false,
): { kept: R[]; leftOut: R[] } {
  if (includeQuick) return { kept: [...results], leftOut: [] };
  const kept: R[] = [];
  const leftOut: R[] = [];
  for (const r of results) (isQuick(r) ? leftOut : kept).push(r);
  return { kept, leftOut };
}

/** "3 quick runs left out", "1 quick run left out". */
export const quickLeftOutText = (n: number): string => `${n} quick run${n === 1 ? '' : 's'} left out`;
