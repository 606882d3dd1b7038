// The reports' "Load phases" section (shared/stats/load-phases.ts): one row per measured result with
// its session creation (and parts), first run, warm median, first-run overhead and GPU split or why
// not; the notes say how each figure was measured. The writers render these rows in their format.
import type { BenchResult } from '../../shared/contract/result.js';
import { fmtMs } from '../../shared/format.js';
import {
  gpuSplitText,
  loadPhasesOf,
  overheadText,
  phaseMethodLines,
  phaseSegments,
  sessionPartsText,
  sessionRestMs,
  type PhaseSegment,
} from '../../shared/stats/load-phases.js';

export interface LoadPhaseRow {
  id: string;
  label: string;
  backend: string;
  /** Rebuilt from the coldStart of a result saved before load phases (the creation not split). */
  legacy: boolean;
  buildMs?: number;
  variantMs?: number;
  sessionCreateMs: number;
  /** The parts by key ('load', 'initialization', ...), ms. */
  parts: { part: string; label: string; ms: number }[];
  /** The creation's time outside its parts (absent when not split). */
  restMs?: number;
  /** "model parsed 2.77 ms; session initialization 42.9 ms; not attributed 105 ms", or ''. */
  partsText: string;
  firstRunMs: number;
  warmMedianMs: number;
  firstRunOverheadMs: number;
  gpu?: { uploadMs: number; computeMs: number; readbackMs: number };
  gpuUnmeasured?: string;
  /** "upload …, compute …, read-back …", "not measurable here: …", or '' for a CPU result. */
  gpuText: string;
  /** How each figure was measured and what cannot be told apart. */
  methods: string[];
  /** The stacked bar's segments in time order (build, session parts and rest, first run, warm median). */
  segments: PhaseSegment[];
}

/** The measured results with load phases (their own, or rebuilt from an older result's coldStart). */
export function loadPhaseRows(results: readonly BenchResult[]): LoadPhaseRow[] {
  return results.flatMap((r) => {
    const lp = loadPhasesOf(r);
    if (!lp) return [];
    const p = lp.phases;
    const rest = sessionRestMs(p);
    return [
      {
        id: r.id,
        label: r.label,
        backend: r.job.backend.backend,
        legacy: lp.legacy,
        ...(p.build ? { buildMs: p.build.ms } : {}),
        ...(p.variant ? { variantMs: p.variant.ms } : {}),
        sessionCreateMs: p.sessionCreateMs,
        parts: p.sessionParts.map((x) => ({ part: x.part, label: x.label, ms: x.ms })),
        ...(rest !== undefined ? { restMs: rest } : {}),
        partsText: sessionPartsText(p),
        firstRunMs: p.firstRunMs,
        warmMedianMs: p.warmMedianMs,
        firstRunOverheadMs: p.firstRunOverheadMs,
        ...(p.gpu
          ? { gpu: { uploadMs: p.gpu.uploadMs, computeMs: p.gpu.computeMs, readbackMs: p.gpu.readbackMs } }
          : {}),
        ...(p.gpuUnmeasured !== undefined ? { gpuUnmeasured: p.gpuUnmeasured } : {}),
        gpuText: gpuSplitText(p),
        methods: phaseMethodLines(p),
        segments: phaseSegments(p),
      },
    ];
  });
}

/** The section's table as text cells, the same in Markdown and HTML (the writers escape them). */
export function loadPhasesTable(rows: readonly LoadPhaseRow[]): {
  header: string[];
  rows: string[][];
  /** Columns of numbers (right-aligned). */
  numeric: number[];
} {
  const gpu = rows.some((r) => r.gpuText);
  return {
    header: [
      'Result',
      'Build',
      'Session create',
      'Parts of the session creation',
      'First run',
      'Warm median',
      'First-run overhead',
      ...(gpu ? ['GPU: upload / compute / read-back'] : []),
    ],
    rows: rows.map((r) => [
      r.label,
      fmtMs((r.buildMs ?? 0) + (r.variantMs ?? 0)) +
        (r.variantMs !== undefined ? ` (variant ${fmtMs(r.variantMs)})` : ''),
      fmtMs(r.sessionCreateMs),
      r.partsText || (r.legacy ? 'not split (saved before load phases)' : 'not split'),
      fmtMs(r.firstRunMs),
      fmtMs(r.warmMedianMs),
      overheadText(r.firstRunOverheadMs),
      ...(gpu ? [r.gpuText] : []),
    ]),
    numeric: [1, 2, 4, 5, 6],
  };
}

/** The notes under the table: how each backend's figures were measured, each text once per backend. */
export function loadPhasesNotes(rows: readonly LoadPhaseRow[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const r of rows)
    for (const m of r.methods) {
      const line = `${r.backend}: ${m}`;
      if (!seen.has(line)) {
        seen.add(line);
        out.push(line);
      }
    }
  return out;
}

/** What the section says above its table. */
export const LOAD_PHASES_INTRO =
  "Where each result's time went before its warm runs: building the model, creating the session (its parts where the backend can time them apart), the first run against the warm median, and on GPU backends one run split into upload, compute and read-back, or why that cannot be measured.";
