// The reaper: finds jobs whose agent died (no heartbeat for longer than `staleAfterMs`) and hands them
// back to pg-boss as failed, which retries them (on any agent of the queue: another agent for a tag,
// the same agent when it comes back for a name) while the job's retryLimit allows, or marks them
// failed with the reason. Every live agent runs it, and so does an enqueuer while it waits; one runs
// at a time (an advisory lock), and a run that finds nothing changes nothing (idempotent).
//
// An agent holds a job from the moment it takes it: fetching the job and writing it into the agent's
// row happen in one transaction (agent.ts), and so do completing it and clearing the row. So an
// active job is either held by an agent whose heartbeats say whether it lives, or held by nobody
// (its agent restarted and cleared its row) and dead at once.
//
// A database that restarted has seen no heartbeat while it was down: nothing is reaped until it has
// been up for `staleAfterMs` (pg_postmaster_start_time), so that live agents reconnect first.
import type PgBoss from 'pg-boss';
import { BOSS_SCHEMA, LOCKS } from './schema.js';
import { executor, type FleetDb } from './db.js';

export interface Reaped {
  jobId: string;
  queue: string;
  agent?: string;
  /** Whether pg-boss will run it again (false: failed for good, with `reason`). */
  retried: boolean;
  reason: string;
}

/** Active fleet jobs whose agent is silent past the limit, failed in pg-boss; returns what it did. */
export async function reap(db: FleetDb, boss: PgBoss, staleAfterMs: number): Promise<Reaped[]> {
  const staleS = staleAfterMs / 1000;
  return db.tx(async (c) => {
    const lock = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [LOCKS.reap]);
    if (!lock.rows[0].ok) return [];
    const { rows } = await c.query<{
      id: string;
      queue: string;
      agent: string | null;
      host: string | null;
      silent: number | null;
      agent_state: string | null;
    }>(
      `SELECT j.id, j.name AS queue, a.name AS agent, a.host, a.state AS agent_state,
              extract(epoch FROM now() - a.last_seen)::float8 AS silent
         FROM ${BOSS_SCHEMA}.job j
         LEFT JOIN fleet.agents a ON a.current_job = j.id
        WHERE j.state = 'active'
          AND (j.name LIKE 'agent.%' OR j.name LIKE 'tag.%')
          AND pg_postmaster_start_time() < now() - make_interval(secs => $1)
          AND j.started_on < now() - make_interval(secs => $1)
          AND (a.name IS NULL OR a.state = 'stopped' OR a.last_seen < now() - make_interval(secs => $1))
        FOR UPDATE OF j SKIP LOCKED`,
      [staleS],
    );
    const reaped: Reaped[] = [];
    for (const r of rows) {
      const why = r.agent
        ? r.agent_state === 'stopped'
          ? `agent '${r.agent}' stopped while running it`
          : `agent '${r.agent}' (host ${r.host}) stopped sending heartbeats (last seen ${Number(r.silent).toFixed(1)} s ago) while running it`
        : 'the agent that took it is gone (it restarted, or its registration was removed)';
      await boss.fail(r.queue, r.id, { message: why, reaped: true }, { db: executor(c) });
      const after = await c.query<{ state: string; retry_count: number; retry_limit: number }>(
        `SELECT state, retry_count, retry_limit FROM ${BOSS_SCHEMA}.job WHERE name = $1 AND id = $2`,
        [r.queue, r.id],
      );
      const retried = after.rows[0]?.state === 'retry';
      const reason = retried
        ? `${why}; retried (attempt ${after.rows[0].retry_count + 2} of ${after.rows[0].retry_limit + 1})`
        : `${why}; no retries left`;
      if (retried)
        await c.query(`UPDATE fleet.jobs SET agent = NULL, reason = $2 WHERE job_id = $1 AND outcome IS NULL`, [
          r.id,
          reason,
        ]);
      else
        await c.query(
          `UPDATE fleet.jobs SET outcome = 'failed', reason = $2, ended_at = now() WHERE job_id = $1 AND outcome IS NULL`,
          [r.id, reason],
        );
      await c.query(`UPDATE fleet.agents SET current_job = NULL, current_queue = NULL WHERE current_job = $1`, [r.id]);
      await c.query(
        `INSERT INTO fleet.events (run_id, job_id, kind, payload)
           SELECT run_id, job_id, $2, $3 FROM fleet.jobs WHERE job_id = $1`,
        [r.id, retried ? 'retry' : 'lost', JSON.stringify({ agent: r.agent, reason })],
      );
      reaped.push({ jobId: r.id, queue: r.queue, agent: r.agent ?? undefined, retried, reason });
    }
    return reaped;
  });
}
