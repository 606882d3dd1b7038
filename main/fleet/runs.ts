// The fleet's recent runs at a glance (the app's Fleet view, fleet.runs): each run as queued
// (fleet.runs) with its jobs counted by state. A job's state is its recorded outcome (fleet.jobs, the
// authority once it ended), else pg-boss's state for it: created/retry = queued, active = running, a
// pg-boss end no agent recorded (cancelled while queued, failed by the reaper) as that end; a job
// pg-boss no longer has (archived) and no outcome counts as failed.
import type { FleetRunState, FleetRunView } from '../../shared/contract/fleet.js';
import { StudioError } from '../../shared/ir/types.js';
import { isKnownTarget, splitTarget } from '../../shared/targets.js';
import type { Target } from '../../shared/contract/job.js';
import { jobTargetOf } from '../services/bench-spec.js';
import type { Fleet } from './enqueue.js';
import { BOSS_SCHEMA } from './schema.js';

/** The newest runs (at most `limit`), newest first, with their jobs counted by state. */
export async function recentRuns(fleet: Fleet, limit = 50): Promise<FleetRunView[]> {
  const { rows } = await fleet.db.query<{
    run_id: string;
    requested_by: string;
    created_at: Date;
    destinations: string[];
    jobs: number;
    queued: string;
    running: string;
    ok: string;
    failed: string;
    cancelled: string;
    labels: string[] | null;
  }>(
    `WITH recent AS (
       SELECT run_id, requested_by, created_at, destinations, jobs
         FROM fleet.runs ORDER BY created_at DESC, run_id DESC LIMIT $1
     ), states AS (
       SELECT f.run_id, f.seq, f.label,
              CASE
                WHEN f.outcome = 'ok' THEN 'ok'
                WHEN f.outcome IN ('failed', 'refused') THEN 'failed'
                WHEN f.outcome = 'cancelled' THEN 'cancelled'
                WHEN j.state IN ('created', 'retry') THEN 'queued'
                WHEN j.state = 'active' THEN 'running'
                WHEN j.state = 'completed' THEN 'ok'
                WHEN j.state = 'cancelled' THEN 'cancelled'
                ELSE 'failed'
              END AS state
         FROM fleet.jobs f
         JOIN recent r ON r.run_id = f.run_id
         LEFT JOIN ${BOSS_SCHEMA}.job j ON j.id = f.job_id AND j.name = f.queue
     )
     SELECT r.run_id, r.requested_by, r.created_at, r.destinations, r.jobs,
            count(s.state) FILTER (WHERE s.state = 'queued') AS queued,
            count(s.state) FILTER (WHERE s.state = 'running') AS running,
            count(s.state) FILTER (WHERE s.state = 'ok') AS ok,
            count(s.state) FILTER (WHERE s.state = 'failed') AS failed,
            count(s.state) FILTER (WHERE s.state = 'cancelled') AS cancelled,
            (array_agg(s.label ORDER BY s.seq) FILTER (WHERE s.label IS NOT NULL))[1:3] AS labels
       FROM recent r LEFT JOIN states s ON s.run_id = r.run_id
      GROUP BY r.run_id, r.requested_by, r.created_at, r.destinations, r.jobs
      ORDER BY r.created_at DESC, r.run_id DESC`,
    [limit],
  );
  return rows.map((r) => ({
    runId: r.run_id,
    requestedBy: r.requested_by,
    createdAt: new Date(r.created_at).toISOString(),
    destinations: r.destinations,
    jobs: r.jobs,
    counts: Object.fromEntries(
      (['queued', 'running', 'ok', 'failed', 'cancelled'] as FleetRunState[]).map((k) => [k, Number(r[k])]),
    ) as Record<FleetRunState, number>,
    labels: r.labels ?? [],
  }));
}

/** Why the app does not queue a model file (the CLI does: it reads the file on the enqueuing machine). */
export const FILE_TARGET_REFUSAL = 'a model file is queued from the CLI (bench FILE --on ...)';

/**
 * A target written as text in the app (a block or zoo model by name, with inline parameters) as a job
 * target. Never a file: the app's main process does not take a path from the renderer, so anything
 * that looks like one is refused with FILE_TARGET_REFUSAL (and no path is looked at).
 */
export function fleetTargetOf(text: string): Target {
  const { name } = splitTarget(text);
  if (!isKnownTarget(name)) {
    if (/\.onnx$/i.test(name) || /[\\/]/.test(name) || name.startsWith('.') || name.startsWith('~'))
      throw new StudioError(`'${text}': ${FILE_TARGET_REFUSAL}`, 'bad-parameter');
    throw new StudioError(
      `unknown target '${name}': name a block or zoo model (e.g. pointwise:height=8,width=8)`,
      'bad-parameter',
    );
  }
  return jobTargetOf(text);
}
