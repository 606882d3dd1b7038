// What a benchmark is asked, whichever face asks it (the CLI's flags, the app's Benchmark view, a
// fleet agent's queue): a sweep, the scenario, the seed comparisons to answer, and where a report
// goes. The faces turn their input into a BenchSpec; the bench service (bench.ts) does the rest, so
// the same spec gives the same jobs, rules and answer from every face.
import { resolve } from 'node:path';
import { z } from 'zod';
import { MeasureSchema, TargetSchema, withUserMinimums, type Target } from '../../shared/contract/job.js';
import { findSeedComparison, SEED_COMPARISONS, type SeedComparison } from '../../shared/cost/seed-comparisons.js';
import { SweepSpecSchema } from '../../shared/bench/sweep.js';
import { StudioError } from '../../shared/ir/types.js';
import { buildTarget, splitTarget } from '../../shared/targets.js';
import { looksLikeFile } from '../targets.js';

export const SCENARIOS = ['single-stream', 'offline'] as const;

/** Batches of the offline scenario when none are given: throughput is read across them. */
export const OFFLINE_BATCHES = [1, 4, 16, 64];

export const BenchSpecSchema = SweepSpecSchema.omit({ group: true, idPrefix: true }).extend({
  /** May be empty when seed comparisons bring the targets. */
  targets: z.array(TargetSchema).default([]),
  /** Absent: [1], or OFFLINE_BATCHES in the offline scenario. */
  batches: z.array(z.number().int().min(1)).min(1).optional(),
  /** Absent: 3 when seed comparisons are asked (DESIGN: comparisons repeat), else 1. */
  repetitions: z.number().int().min(1).max(100).optional(),
  scenario: z.enum(SCENARIOS).default('single-stream'),
  /**
   * Seed comparisons to answer: their targets join the sweep (with these block/model parameters and
   * model variant) and the run ends with one verdict per comparison and setting.
   */
  seeds: z
    .object({
      names: z.array(z.string().min(1)).min(1),
      set: z.record(z.string(), z.string()).default({}),
      variant: z.string().optional(),
    })
    .optional(),
  /** Also write a report of the run here (.html, .md, .csv or .json). */
  report: z.string().min(1).optional(),
  /**
   * A target that cannot run: 'refuse-run' refuses the whole run naming every such target (the CLI:
   * one attempt shows them all, nothing half-done); 'skip' runs the others and reports the refused
   * ones with their reasons (the app: one bad row of a form never sinks the rest).
   */
  badTargets: z.enum(['refuse-run', 'skip']).default('refuse-run'),
});
export type BenchSpec = z.input<typeof BenchSpecSchema>;
export type ParsedBenchSpec = z.output<typeof BenchSpecSchema>;

/**
 * A target written as text (the CLI, a seed comparison, an agent's job) as a job target, built now so
 * that a bad name or parameter fails before any process starts. Block and model parameters from
 * `set` apply to every block/model target; a file keeps its path (absolute) and takes its
 * dimensions from the job.
 */
export function jobTargetOf(text: string, set: Record<string, string> = {}, variant?: string): Target {
  if (looksLikeFile(text)) return { kind: 'file', path: resolve(text), dims: {} };
  const { name, inline } = splitTarget(text);
  const graph = buildTarget({ target: text, set, variant });
  const params = { ...set, ...inline };
  return graph.meta.source?.kind === 'model'
    ? { kind: 'model', name, variant: graph.meta.variant, params }
    : { kind: 'block', name, params };
}

/** A seed comparison by name, or an error that lists the known ones. */
export function seedComparison(name: string): SeedComparison {
  const found = findSeedComparison(name);
  if (found) return found;
  throw new StudioError(
    `unknown seed comparison '${name}'. Known: ${SEED_COMPARISONS.map((c) => c.name).join(', ')}`,
    'bad-parameter',
  );
}

/**
 * The measuring rules of a spec, the same for every face: a minimum time or run count given holds
 * (the confidence-interval early stop is off unless `userMinimums: false` says the minimums are
 * a preset's, not the user's); a maximum time below the default minimum
 * (1 s) means "at most this long", so the minimum follows it down; both given and contradicting
 * each other is the user's to fix. Messages name the spec's fields (measure.minTimeS); a face
 * translates them into its own words (the CLI: --min-time).
 */
export function measureOf(measure: ParsedBenchSpec['measure']): ParsedBenchSpec['measure'] {
  if (!measure) return measure;
  // A minimum asked for holds (the early stop serves the defaults only): recorded before the
  // minimum time may follow a short maximum down, which is not the user's minimum.
  const m = withUserMinimums(measure);
  const defaultMinTime = MeasureSchema.parse({}).minTimeS;
  if (m.maxTimeS !== undefined && m.minTimeS === undefined && m.maxTimeS < defaultMinTime) m.minTimeS = m.maxTimeS;
  if (m.minTimeS !== undefined && m.maxTimeS !== undefined && m.minTimeS > m.maxTimeS)
    throw new StudioError(
      `measure.minTimeS (${m.minTimeS} s) must not exceed measure.maxTimeS (${m.maxTimeS} s)`,
      'bad-parameter',
    );
  return m;
}
