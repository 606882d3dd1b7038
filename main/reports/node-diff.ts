// Node diffs of profiled runs (shared/stats/run-diff.ts) with the studio graph at hand, for every
// face: `results diff`, `results.diff` and the reports' "Node diff" section, which diffs each later
// profiled run of a model against the first of them.
import type { JobSpec } from '../../shared/contract/job.js';
import type { BenchResult } from '../../shared/contract/result.js';
import type { RunDiff } from '../../shared/contract/run-diff.js';
import type { Graph } from '../../shared/ir/types.js';
import { fmtMs } from '../../shared/format.js';
import {
  differentModels,
  diffRuns,
  fmtUs,
  ratioText,
  signedUs,
  opTotalCells,
  unitCells,
} from '../../shared/stats/run-diff.js';
import { buildTarget } from '../../shared/targets.js';

/**
 * The studio graph of a job's block or zoo model, rebuilt from the job (cheap: no weights), or
 * undefined when it cannot be (a catalog entry this version no longer has, parameters it refuses).
 * A model file's graph is not read: the path in a result may come from another machine (an import,
 * a fleet agent's job names the model, not a file here), and a diff must not open whatever a result
 * names. Without the graph the diff still matches units, with the runtime's operator names.
 */
export function studioGraphOf(job: JobSpec): Graph | undefined {
  const t = job.target;
  if (t.kind === 'file') return undefined;
  try {
    const set: Record<string, string> = {};
    for (const [k, v] of Object.entries(t.params)) set[k] = String(v);
    set.batch = String(job.batch);
    return buildTarget({ target: t.name, set, variant: t.kind === 'model' ? t.variant : undefined });
  } catch {
    return undefined;
  }
}

/** diffRuns with the model's studio graph when it can be built (refusals are diffRuns's StudioErrors). */
export function diffWithGraph(a: BenchResult, b: BenchResult): RunDiff {
  return diffRuns(a, b, studioGraphOf(a.job));
}

const profiled = (r: BenchResult): boolean => r.status === 'ok' && !!r.nodes?.length;

/**
 * The node diffs a report shows: its profiled ok results grouped by model (in report order), each
 * later one diffed against the first of its group. A model with one profiled run has none.
 */
export function reportNodeDiffs(results: readonly BenchResult[]): RunDiff[] {
  const groups: BenchResult[][] = [];
  for (const r of results.filter(profiled)) {
    const group = groups.find((g) => differentModels(g[0], r) === undefined);
    if (group) group.push(r);
    else groups.push([r]);
  }
  return groups.flatMap(([first, ...later]) => {
    if (!later.length) return [];
    const graph = studioGraphOf(first.job);
    return later.map((r) => diffRuns(first, r, graph));
  });
}

/** How many units a report's node diff lists (largest |delta| first). */
export const REPORT_DIFF_UNITS = 10;

/** A table of a report section, as text cells (each writer escapes and lays them out). */
export interface SectionTable {
  header: string[];
  rows: string[][];
  /** Columns of numbers (right-aligned). */
  numeric: number[];
}

/** One "Node diff" entry of a report: a later profiled run of a model against the first. */
export interface NodeDiffSection {
  /** "A label vs B label". */
  title: string;
  /** Sentences: the totals, the runtime-only time, what the diff must be read with. */
  summary: string[];
  environment: SectionTable;
  /** The REPORT_DIFF_UNITS units with the largest |delta|. */
  units: SectionTable;
  byOp: SectionTable;
}

/** A report's node diffs as text tables, for the writers (reportNodeDiffs, top units only). */
export function nodeDiffSections(results: readonly BenchResult[]): NodeDiffSection[] {
  return reportNodeDiffs(results).map((d) => {
    const median =
      d.a.medianMs !== null && d.b.medianMs !== null
        ? `; median latency ${fmtMs(d.a.medianMs)} vs ${fmtMs(d.b.medianMs)} (${ratioText(d.totals.medianRatio)})`
        : '';
    const shown = d.units.slice(0, REPORT_DIFF_UNITS);
    return {
      title: `${d.a.label} vs ${d.b.label}`,
      summary: [
        `Kernel time A ${fmtUs(d.a.kernelUs)}, B ${fmtUs(d.b.kernelUs)}: ${signedUs(d.totals.kernelDeltaUs)} (B/A ${ratioText(d.totals.kernelRatio)})${median}.`,
        `Runtime-only time (no graph node: layout reorders, copies, QDQ): A ${fmtUs(d.a.runtimeOnly.us)} in ${d.a.runtimeOnly.nodes.length} nodes, B ${fmtUs(d.b.runtimeOnly.us)} in ${d.b.runtimeOnly.nodes.length}.`,
        `${shown.length < d.units.length ? `The ${shown.length} of ${d.units.length} matched units with the largest |delta|` : `All ${d.units.length} matched units, the largest |delta| first`} (delta = B - A).`,
        ...d.notes.map((n) => `${n[0].toUpperCase()}${n.slice(1)}.`),
      ],
      environment: {
        header: ['Differs', 'A', 'B'],
        rows: d.environment.differs.length
          ? d.environment.differs.map((f) => [f.field, f.a, f.b])
          : [['(nothing compared differs)', '', '']],
        numeric: [],
      },
      units: {
        header: ['Unit', 'Op', 'A µs', 'B µs', 'Delta µs', 'B/A', 'Note'],
        rows: shown.map(unitCells),
        numeric: [2, 3, 4, 5],
      },
      byOp: {
        header: ['Op', 'Units', 'A µs', 'B µs', 'Delta µs', 'B/A'],
        rows: d.byOp.map(opTotalCells),
        numeric: [1, 2, 3, 4, 5],
      },
    };
  });
}
