// A result's time before and apart from its warm latency (LoadPhases in shared/contract/result.ts):
// the build, the session's creation and its parts, the first run, the warm median, and on GPU
// backends the upload / compute / read-back split or why it is not measurable. Pure: the Results
// view, the CLI and every report format read the same segments and the same words.
import type { BenchResult, LoadPhases } from '../contract/result.js';
import { fmtMs } from '../format.js';

/** A result's phases, and whether they were rebuilt from the `coldStart` of a result saved before them. */
export interface ResultLoadPhases {
  phases: LoadPhases;
  /** True when only coldStart was saved: the session's creation is not split, the build includes any variant. */
  legacy: boolean;
}

/** What a result saved before the load phases can still say (its coldStart and median). */
export const LEGACY_PHASES_NOTE =
  'saved before load phases were recorded: the session creation is one figure, and the build includes any precision variant';

/**
 * The load phases of a measured result: its own, or for a result saved before them the same figures
 * rebuilt from its coldStart and median (measured then too; only the parts are unknown). Undefined
 * for a result that measured nothing.
 */
export function loadPhasesOf(r: BenchResult): ResultLoadPhases | undefined {
  if (r.status !== 'ok') return undefined;
  if (r.phases) return { phases: r.phases, legacy: false };
  if (!r.coldStart || !r.stats) return undefined;
  const c = r.coldStart;
  return {
    legacy: true,
    phases: {
      build: { ms: c.loadMs, method: 'coldStart.loadMs (wall time: target resolved and exported, any variant built)' },
      sessionCreateMs: c.sessionMs,
      sessionParts: [],
      sessionUnseparated: [LEGACY_PHASES_NOTE],
      firstRunMs: c.firstRunMs,
      warmMedianMs: r.stats.p50,
      firstRunOverheadMs: c.firstRunMs - r.stats.p50,
      firstRunNotes: [],
    },
  };
}

/** The session creation's time outside its timed parts, ms; undefined when no part was timed. */
export function sessionRestMs(p: LoadPhases): number | undefined {
  if (!p.sessionParts.length) return undefined;
  // The runtime's own clock and the worker's differ by microseconds: a rest below zero is none.
  return Math.max(0, p.sessionCreateMs - p.sessionParts.reduce((s, x) => s + x.ms, 0));
}

export type PhaseGroup = 'build' | 'session' | 'first-run' | 'warm';

export interface PhaseSegment {
  /** Stable key: 'build', 'variant', 'session:<part>', 'session:rest', 'session', 'first-run', 'warm'. */
  key: string;
  group: PhaseGroup;
  label: string;
  ms: number;
  /** How it was measured (absent for a figure computed from others, which says so in its label). */
  method?: string;
}

/**
 * The phases in time order, as the stacked bar draws them: build (and variant), the session's
 * creation (its parts and the rest, or one segment when not split), the first run, the warm median.
 */
export function phaseSegments(p: LoadPhases): PhaseSegment[] {
  const out: PhaseSegment[] = [];
  if (p.build) out.push({ key: 'build', group: 'build', label: 'build', ms: p.build.ms, method: p.build.method });
  if (p.variant)
    out.push({ key: 'variant', group: 'build', label: 'variant', ms: p.variant.ms, method: p.variant.method });
  const rest = sessionRestMs(p);
  if (rest === undefined)
    out.push({ key: 'session', group: 'session', label: 'session creation (not split)', ms: p.sessionCreateMs });
  else {
    for (const part of p.sessionParts)
      out.push({ key: `session:${part.part}`, group: 'session', label: part.label, ms: part.ms, method: part.method });
    out.push({ key: 'session:rest', group: 'session', label: 'session creation, not attributed', ms: rest });
  }
  out.push({ key: 'first-run', group: 'first-run', label: 'first run', ms: p.firstRunMs });
  out.push({ key: 'warm', group: 'warm', label: 'warm median', ms: p.warmMedianMs });
  return out;
}

/** "model parsed 2.77 ms; session initialization 42.9 ms; not attributed 105 ms", or '' when not split. */
export function sessionPartsText(p: LoadPhases): string {
  const rest = sessionRestMs(p);
  if (rest === undefined) return '';
  return [...p.sessionParts.map((x) => `${x.label} ${fmtMs(x.ms)}`), `not attributed ${fmtMs(rest)}`].join('; ');
}

/** "upload 10.1 ms, compute 117 ms, read-back 21.6 ms", "not measurable here: <reason>", or '' off the GPU. */
export function gpuSplitText(p: LoadPhases): string {
  if (p.gpu)
    return `upload ${fmtMs(p.gpu.uploadMs)}, compute ${fmtMs(p.gpu.computeMs)}, read-back ${fmtMs(p.gpu.readbackMs)}`;
  if (p.gpuUnmeasured !== undefined) return `not measurable here: ${p.gpuUnmeasured}`;
  return '';
}

/** "+41.2 ms" / "-0.31 ms": the first run's overhead over the warm median. */
export const overheadText = (ms: number): string => `${ms < 0 ? '-' : '+'}${fmtMs(Math.abs(ms))}`;

/**
 * How each figure was measured and what could not be told apart, in words, once each: the lines a
 * report or the CLI prints under the figures.
 */
export function phaseMethodLines(p: LoadPhases): string[] {
  const lines = [
    ...(p.build ? [`build: ${p.build.method}`] : []),
    ...(p.variant ? [`variant: ${p.variant.method}`] : []),
    ...p.sessionParts.map((x) => `${x.label}: ${x.method}`),
    ...p.sessionUnseparated.map((x) => `not separable: ${x}`),
    ...p.firstRunNotes.map((x) => `first run: ${x}`),
    ...(p.gpu ? [`GPU split: ${p.gpu.method} (${p.gpu.runs} runs each)`] : []),
    ...(p.gpuUnmeasured !== undefined ? [`GPU split not measurable: ${p.gpuUnmeasured}`] : []),
  ];
  return [...new Set(lines)];
}

/** The phases as lines of text (`results show --phases`, reports' notes). */
export function loadPhasesLines(p: LoadPhases): string[] {
  const parts = sessionPartsText(p);
  const gpu = gpuSplitText(p);
  return [
    ...(p.build ? [`build          ${fmtMs(p.build.ms)}`] : []),
    ...(p.variant ? [`variant        ${fmtMs(p.variant.ms)}`] : []),
    `session create ${fmtMs(p.sessionCreateMs)}${parts ? ` (${parts})` : ' (not split)'}`,
    `first run      ${fmtMs(p.firstRunMs)}`,
    `warm median    ${fmtMs(p.warmMedianMs)}`,
    `first-run overhead ${overheadText(p.firstRunOverheadMs)}`,
    ...(gpu ? [`GPU split      ${gpu}`] : []),
  ];
}
