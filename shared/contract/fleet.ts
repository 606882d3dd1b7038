// Queuing benchmarks on the team's fleet from the app (issue 20): `fleet.enqueue` (targets written as
// the CLI writes them, e.g. 'pointwise:height=8', sent to agents by name or tag, as `bench TARGETS
// --on ...` does), `fleet.runs` (the fleet's recent runs with their jobs counted by state) and
// `fleet.cancel` (a run's queued and running jobs, as `fleet cancel RUN` does). All three live in
// the results database: without one they are refused.
import { z } from 'zod';
import { BACKEND_NAMES, PRECISIONS } from './job.js';

/** A target as text: a block or zoo model by name with inline parameters ('pointwise:height=8,width=8'). */
export const FleetTargetTextSchema = z.string().trim().min(1).max(300);

export const FleetEnqueueRequestSchema = z.object({
  targets: z.array(FleetTargetTextSchema).min(1).max(50),
  /** Agents by name and tags, comma-separated: 'ws-1,tag:cuda' (main/fleet/contract.ts parseDestinations). */
  destinations: z.string().trim().min(1).max(1000),
  backends: z.array(z.enum(BACKEND_NAMES)).min(1).max(20).default(['ort-cpu']),
  batches: z.array(z.number().int().min(1).max(65_536)).min(1).max(64).optional(),
  threads: z.array(z.number().int().min(0).max(1024)).min(1).max(64).optional(),
  precision: z.array(z.enum(PRECISIONS)).min(1).max(8).default(['fp32']),
  repetitions: z.number().int().min(1).max(100).optional(),
  scenario: z.enum(['single-stream', 'offline']).default('single-stream'),
  /** Measuring rules (as the CLI's --warmup-runs, --min-runs, --min-time, --max-time). */
  measure: z
    .object({
      warmupRuns: z.number().int().min(0).max(100_000).optional(),
      minRuns: z.number().int().min(1).max(1_000_000).optional(),
      minTimeS: z.number().min(0).max(3600).optional(),
      maxTimeS: z.number().positive().max(3600).optional(),
    })
    .strict()
    .optional(),
  timeLimitS: z
    .number()
    .positive()
    .max(24 * 3600)
    .optional(),
});
export type FleetEnqueueRequest = z.input<typeof FleetEnqueueRequestSchema>;

export interface FleetEnqueueResponse {
  runId: string;
  /** Jobs queued (every planned job, once per destination). */
  jobs: number;
  /** The destinations as written back ('ws-1', 'tag:cuda'). */
  destinations: string[];
  /** Destinations no live agent serves now (their jobs wait until one starts). */
  unserved: string[];
}

export const FleetRunIdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_-]+$/, 'not a fleet run id');

export const FLEET_RUN_STATES = ['queued', 'running', 'ok', 'failed', 'cancelled'] as const;
export type FleetRunState = (typeof FLEET_RUN_STATES)[number];

/** One run on the fleet, as fleet.runs lists it. */
export interface FleetRunView {
  runId: string;
  requestedBy: string;
  createdAt: string;
  destinations: string[];
  jobs: number;
  /** Jobs by state: queued (waiting or to be retried), running, and the ended ones by outcome ('refused' counts as failed). */
  counts: Record<FleetRunState, number>;
  /** A few of its jobs' labels (the first ones). */
  labels: string[];
}

export interface FleetRunsResponse {
  /** Newest first, at most FLEET_RUNS_LIMIT. */
  runs: FleetRunView[];
  checkedAt: string;
}

export const FLEET_RUNS_LIMIT = 50;

export interface FleetCancelResponse {
  /** Jobs cancelled before they started. */
  queued: number;
  /** Running jobs cancelled (their agents stop the worker within a second or so and record it). */
  running: number;
}
