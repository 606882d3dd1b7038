// The enqueuing side of the fleet (docs/FLEET.md): a BenchSpec planned exactly as the local bench
// plans it (BenchService.plan: the same jobs, ids and rules), one pg-boss job per planned job per
// destination, models stored by hash; then the run followed (fleet.jobs and fleet.events polled),
// results read from the results repository as they land, and cancelled on request.
import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import { basename } from 'node:path';
import type PgBoss from 'pg-boss';
import { jobLabel, type JobSpec } from '../../shared/contract/job.js';
import type { BenchResult } from '../../shared/contract/result.js';
import { StudioError } from '../../shared/ir/types.js';
import type { ProgressMessage } from '../process/job-protocol.js';
import type { BenchPlan, BenchService } from '../services/bench.js';
import type { BenchSpec } from '../services/bench-spec.js';
import type { ResultsRepository } from '../store/results-repository.js';
import { uploadBlob } from './blobs.js';
import {
  blobPath,
  DEFAULT_MAX_MODEL_BYTES,
  destinationText,
  queueOf,
  REMOTE_JOB_VERSION,
  type Destination,
  type ModelRef,
  type RemoteJob,
} from './contract.js';
import { FleetDb, isConnectionError } from './db.js';
import { reap } from './reaper.js';
import { BOSS_SCHEMA, ensureQueue, migrateFleet, openBoss } from './schema.js';

/** Jobs retried after their agent died (an infrastructure failure), by default; a failed measurement never is. */
export const DEFAULT_RETRY_LIMIT = 1;

/** A connection to the fleet: the pool, pg-boss over it, the tables installed. */
export interface Fleet {
  db: FleetDb;
  boss: PgBoss;
  close(): Promise<void>;
}

/** Opens the fleet's database (installing the tables if needed); a clear StudioError when it cannot. */
export async function openFleet(
  url: string,
  opts: { supervise?: boolean; onError?: (e: Error) => void } = {},
): Promise<Fleet> {
  const db = new FleetDb(url, { onIdleError: (e) => opts.onError?.(e) });
  try {
    await db.check();
    await migrateFleet(db);
    const boss = await openBoss(db, { supervise: opts.supervise ?? false, onError: opts.onError });
    return {
      db,
      boss,
      async close() {
        await boss.stop({ graceful: false, close: false }).catch(() => {});
        await db.close();
      },
    };
  } catch (e) {
    await db.close();
    if (e instanceof StudioError) throw e;
    throw new StudioError(db.describe(e), isConnectionError(e) ? 'db-unreachable' : 'db-error');
  }
}

export interface EnqueueOptions {
  spec: BenchSpec;
  destinations: Destination[];
  /** Plans the spec as the local bench does (BenchService.plan). */
  planner: Pick<BenchService, 'plan'>;
  requestedBy?: string;
  /** Retries after an agent died (default DEFAULT_RETRY_LIMIT). */
  retryLimit?: number;
  maxModelBytes?: number;
}

export interface QueuedJob {
  jobId: string;
  seq: number;
  queue: string;
  destination: string;
  spec: JobSpec;
  label: string;
}

export interface EnqueuedRun {
  runId: string;
  jobs: QueuedJob[];
  /** The plan of the first destination (the same jobs for every destination, ids apart). */
  plan: BenchPlan;
  models: ModelRef[];
}

export const whoAmI = (): string => {
  try {
    return `${os.userInfo().username}@${os.hostname()}`;
  } catch {
    return os.hostname();
  }
};

/**
 * Plans a spec and queues its jobs on every destination, in one transaction (a run is queued whole
 * or not at all). File targets are stored as blobs first (by hash; nothing is sent twice).
 */
export async function enqueueRun(fleet: Fleet, o: EnqueueOptions): Promise<EnqueuedRun> {
  const runId = `run-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const requestedBy = o.requestedBy ?? whoAmI();
  const plans = o.destinations.map((d) => ({
    d,
    plan: o.planner.plan(o.spec, { group: runId, idPrefix: `${runId}-${slug(destinationText(d))}` }),
  }));
  // Models: each file target stored once, by hash.
  const models = new Map<string, ModelRef>();
  for (const { plan } of plans)
    for (const j of plan.jobs)
      if (j.target.kind === 'file' && !models.has(j.target.path))
        models.set(
          j.target.path,
          await uploadBlob(
            fleet.db,
            j.target.path,
            basename(j.target.path),
            o.maxModelBytes ?? DEFAULT_MAX_MODEL_BYTES,
          ),
        );
  for (const { d } of plans) await ensureQueue(fleet.db, queueOf(d));
  const jobs: QueuedJob[] = [];
  const inserts: PgBoss.JobInsert<RemoteJob>[] = [];
  let seq = 0;
  for (const { d, plan } of plans)
    for (const spec of plan.jobs) {
      const model = spec.target.kind === 'file' ? models.get(spec.target.path) : undefined;
      const job: JobSpec =
        model && spec.target.kind === 'file'
          ? { ...spec, target: { ...spec.target, path: blobPath(model.sha256) } }
          : spec;
      const payload: RemoteJob = {
        version: REMOTE_JOB_VERSION,
        runId,
        destination: destinationText(d),
        requestedBy,
        job,
        ...(model ? { model } : {}),
      };
      const jobId = randomUUID();
      const queue = queueOf(d);
      jobs.push({ jobId, seq: seq++, queue, destination: destinationText(d), spec, label: jobLabel(spec) });
      inserts.push({
        id: jobId,
        name: queue,
        data: payload,
        retryLimit: o.retryLimit ?? DEFAULT_RETRY_LIMIT,
        retryDelay: 0,
        // pg-boss's own backstop for a job active too long (the worker is killed at timeLimitS).
        expireInSeconds: Math.min(23 * 3600, Math.ceil(spec.timeLimitS) + 600),
      });
    }
  await fleet.db.tx(async (c) => {
    await c.query(
      `INSERT INTO fleet.runs (run_id, requested_by, destinations, jobs, spec) VALUES ($1, $2, $3, $4, $5)`,
      [runId, requestedBy, o.destinations.map(destinationText), jobs.length, JSON.stringify(o.spec)],
    );
    for (let i = 0; i < inserts.length; i += 500) {
      await fleet.boss.insert(inserts.slice(i, i + 500), { db: { executeSql: (t, v) => c.query(t, v) } });
      await c.query(
        `INSERT INTO fleet.jobs (job_id, run_id, seq, queue, destination, spec_id, label)
         SELECT x.job_id, $1, x.seq, x.queue, x.destination, x.spec_id, x.label
           FROM jsonb_to_recordset($2::jsonb) AS x(job_id uuid, seq int, queue text, destination text, spec_id text, label text)`,
        [
          runId,
          JSON.stringify(
            jobs.slice(i, i + 500).map((j) => ({
              job_id: j.jobId,
              seq: j.seq,
              queue: j.queue,
              destination: j.destination,
              spec_id: j.spec.id,
              label: j.label,
            })),
          ),
        ],
      );
    }
  });
  return { runId, jobs, plan: plans[0].plan, models: [...models.values()] };
}

/** The destinations no live agent serves now (their jobs wait until one starts). */
export async function unserved(
  fleet: Fleet,
  destinations: Destination[],
  staleAfterMs = 30_000,
): Promise<Destination[]> {
  const { rows } = await fleet.db.query<{ name: string; tags: string[] }>(
    `SELECT name, tags FROM fleet.agents WHERE state <> 'stopped' AND last_seen > now() - make_interval(secs => $1)`,
    [staleAfterMs / 1000],
  );
  return destinations.filter((d) =>
    d.kind === 'agent' ? !rows.some((a) => a.name === d.name) : !rows.some((a) => a.tags.includes(d.tag)),
  );
}

/** A run as queued: how many jobs, for which destinations, by whom and when. */
export async function runInfo(
  fleet: Fleet,
  runId: string,
): Promise<{ jobs: number; destinations: string[]; requestedBy: string; createdAt: string }> {
  const { rows } = await fleet.db.query<{
    jobs: number;
    destinations: string[];
    requested_by: string;
    created_at: Date;
  }>(`SELECT jobs, destinations, requested_by, created_at FROM fleet.runs WHERE run_id = $1`, [runId]);
  if (!rows.length) throw new StudioError(`no fleet run '${runId}' in ${fleet.db.location}`, 'not-found');
  const r = rows[0];
  return {
    jobs: r.jobs,
    destinations: r.destinations,
    requestedBy: r.requested_by,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, '-');

/** What a follower sees of one job. */
export interface JobView {
  jobId: string;
  seq: number;
  label: string;
  destination: string;
  agent?: string;
  attempt: number;
  /** pg-boss's state (absent once archived). */
  state?: string;
  outcome?: 'ok' | 'failed' | 'cancelled' | 'refused';
  reason?: string;
  resultId?: string;
}

export interface FollowEvents {
  /** A job was taken by an agent (again, on a retry). */
  start: { job: JobView; agent: string; attempt: number };
  progress: { job: JobView; progress: ProgressMessage & { fraction?: number } };
  /** A job was retried after its agent died, or failed for good. */
  retry: { job: JobView; reason: string };
  /** A job ended; `result` when one was saved (read from the repository). */
  end: { job: JobView; result?: BenchResult };
  /** The database went away or came back (the follower keeps trying). */
  connection: { ok: boolean; message: string };
}

export interface FollowOptions {
  runId: string;
  repository: ResultsRepository;
  pollMs?: number;
  /** Run the reaper while waiting (default true), with this staleness limit. */
  staleAfterMs?: number;
  /** Resolves to stop following early (e.g. after a cancel, with a grace period). */
  signal?: AbortSignal;
  on?: Partial<{ [K in keyof FollowEvents]: (e: FollowEvents[K]) => void }>;
}

export interface FollowOutcome {
  jobs: JobView[];
  /** The saved results, in the run's order. */
  results: BenchResult[];
  /** Whether every job ended (false: stopped by the signal first). */
  complete: boolean;
}

/**
 * Follows a run until every job has ended: polls fleet.jobs (the authority on outcomes) and
 * fleet.events (progress), reads each saved result from the repository, runs the reaper meanwhile.
 * A database that goes away is waited for (said once through `connection`).
 */
export async function followRun(fleet: Fleet, o: FollowOptions): Promise<FollowOutcome> {
  const pollMs = o.pollMs ?? 300;
  const staleAfterMs = o.staleAfterMs ?? 30_000;
  const views = new Map<string, JobView>();
  const results = new Map<string, BenchResult>();
  const ended = new Set<string>();
  const started = new Set<string>();
  /** Jobs seen cancelled or failed in pg-boss with no outcome recorded yet: since when. */
  const limbo = new Map<string, number>();
  let lastEvent = 0;
  let lastReap = 0;
  let down = false;
  const emit = <K extends keyof FollowEvents>(k: K, e: FollowEvents[K]) => o.on?.[k]?.(e);
  const known = await fleet.db.query(`SELECT 1 FROM fleet.runs WHERE run_id = $1`, [o.runId]);
  if (!known.rowCount) throw new StudioError(`no fleet run '${o.runId}' in ${fleet.db.location}`, 'not-found');
  while (!o.signal?.aborted) {
    try {
      // Events first, then the jobs: an 'end' event seen has its job's outcome committed with it.
      const events = await fleet.db.query<{
        seq: string;
        job_id: string;
        kind: string;
        payload: Record<string, unknown>;
      }>(`SELECT seq, job_id, kind, payload FROM fleet.events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT 1000`, [
        o.runId,
        lastEvent,
      ]);
      const { rows } = await fleet.db.query<{
        job_id: string;
        seq: number;
        label: string;
        destination: string;
        agent: string | null;
        attempt: number;
        outcome: JobView['outcome'] | null;
        reason: string | null;
        result_id: string | null;
        state: string | null;
        output: { outcome?: JobView['outcome']; reason?: string; message?: string; resultId?: string } | null;
      }>(
        `SELECT f.job_id, f.seq, f.label, f.destination, f.agent, f.attempt, f.outcome, f.reason, f.result_id,
                j.state, j.output
           FROM fleet.jobs f LEFT JOIN ${BOSS_SCHEMA}.job j ON j.id = f.job_id AND j.name = f.queue
          WHERE f.run_id = $1 AND NOT (f.job_id = ANY($2::uuid[]))
          ORDER BY f.seq`,
        [o.runId, [...ended]],
      );
      if (down) {
        down = false;
        emit('connection', { ok: true, message: 'the database is back' });
      }
      // Ended jobs: an outcome recorded, or a pg-boss end no agent will record (cancelled while
      // queued, failed by the reaper) after a grace period.
      const landed = new Map<string, JobView>();
      for (const r of rows) {
        const view: JobView = {
          ...views.get(r.job_id),
          jobId: r.job_id,
          seq: r.seq,
          label: r.label,
          destination: r.destination,
          attempt: r.attempt,
          ...(r.agent ? { agent: r.agent } : {}),
          ...(r.state ? { state: r.state } : {}),
        };
        views.set(r.job_id, view);
        let outcome = r.outcome ?? undefined;
        let reason = r.reason ?? undefined;
        if (!outcome && r.state && ['cancelled', 'failed', 'completed'].includes(r.state)) {
          const since = limbo.get(r.job_id) ?? Date.now();
          limbo.set(r.job_id, since);
          if (r.state === 'completed' || Date.now() - since > Math.max(5000, 3 * pollMs)) {
            outcome = r.output?.outcome ?? (r.state === 'completed' ? 'ok' : (r.state as 'cancelled' | 'failed'));
            reason = r.output?.reason ?? r.output?.message ?? (r.state === 'cancelled' ? 'cancelled' : undefined);
          }
        }
        if (!outcome) continue;
        Object.assign(view, {
          outcome,
          ...(reason ? { reason } : {}),
          ...(r.result_id ? { resultId: r.result_id } : {}),
        });
        landed.set(r.job_id, view);
      }
      const ids = [...landed.values()].flatMap((v) => (v.resultId ? [v.resultId] : []));
      const got = ids.length ? await readResults(o.repository, ids) : new Map<string, BenchResult>();
      const end = (v: JobView) => {
        if (ended.has(v.jobId)) return;
        ended.add(v.jobId);
        // Ended without starting (refused, cancelled while queued): its start is said first.
        if (!started.has(v.jobId)) emit('start', { job: v, agent: v.agent ?? v.destination, attempt: v.attempt + 1 });
        const result = v.resultId ? got.get(v.resultId) : undefined;
        if (result) results.set(v.jobId, result);
        emit('end', { job: v, ...(result ? { result } : {}) });
      };
      // In the order things happened: a job's end before the start of the next one.
      for (const e of events.rows) {
        lastEvent = Math.max(lastEvent, Number(e.seq));
        const job = views.get(e.job_id);
        if (!job || ended.has(e.job_id)) continue;
        if (e.kind === 'start' && started.add(e.job_id))
          emit('start', { job, agent: String(e.payload.agent), attempt: Number(e.payload.attempt ?? 1) });
        else if (e.kind === 'progress')
          emit('progress', { job, progress: e.payload as unknown as ProgressMessage & { fraction?: number } });
        else if (e.kind === 'retry') emit('retry', { job, reason: String(e.payload.reason) });
        else if (e.kind === 'end' && landed.has(e.job_id)) end(job);
      }
      for (const v of landed.values()) end(v);
      if (views.size && ended.size === views.size) break;
      if (Date.now() - lastReap > staleAfterMs / 3) {
        lastReap = Date.now();
        for (const r of await reap(fleet.db, fleet.boss, staleAfterMs)) {
          const job = views.get(r.jobId);
          if (job && !r.retried) continue; // its end is seen through fleet.jobs
          if (job) emit('retry', { job, reason: r.reason });
        }
      }
    } catch (e) {
      if (!isConnectionError(e)) throw e;
      if (!down) {
        down = true;
        emit('connection', { ok: false, message: `${fleet.db.describe(e)}; waiting for it` });
      }
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  const jobs = [...views.values()].sort((a, b) => a.seq - b.seq);
  return {
    jobs,
    results: jobs.flatMap((j) => (results.has(j.jobId) ? [results.get(j.jobId)!] : [])),
    complete: jobs.length > 0 && jobs.every((j) => ended.has(j.jobId)),
  };
}

/** The results with these ids that the repository has (a missing one is left out, not an error). */
async function readResults(repo: ResultsRepository, ids: string[]): Promise<Map<string, BenchResult>> {
  try {
    return new Map((await repo.getMany(ids)).map((r) => [r.id, r]));
  } catch (e) {
    if (isConnectionError(e)) throw e;
    const out = new Map<string, BenchResult>();
    for (const id of ids)
      try {
        const [r] = await repo.getMany([id]);
        if (r) out.set(id, r);
      } catch (err) {
        if (isConnectionError(err)) throw err;
      }
    return out;
  }
}

/**
 * Cancels a run's jobs not yet ended: queued ones end at once (cancelled before they started); a
 * running one is cancelled in pg-boss, and its agent (which checks every second) kills the worker
 * and records it. Returns how many of each.
 */
export async function cancelRun(fleet: Fleet, runId: string): Promise<{ queued: number; running: number }> {
  return fleet.db.tx(async (c) => {
    const known = await c.query(`SELECT 1 FROM fleet.runs WHERE run_id = $1`, [runId]);
    if (!known.rowCount) throw new StudioError(`no fleet run '${runId}' in ${fleet.db.location}`, 'not-found');
    const { rows } = await c.query<{ job_id: string; queue: string; state: string | null }>(
      `SELECT f.job_id, f.queue, j.state FROM fleet.jobs f
         LEFT JOIN ${BOSS_SCHEMA}.job j ON j.id = f.job_id AND j.name = f.queue
        WHERE f.run_id = $1 AND f.outcome IS NULL
        FOR UPDATE OF f`,
      [runId],
    );
    const live = rows.filter((r) => r.state && ['created', 'retry', 'active'].includes(r.state));
    const byQueue = new Map<string, string[]>();
    for (const r of live) byQueue.set(r.queue, [...(byQueue.get(r.queue) ?? []), r.job_id]);
    for (const [queue, ids] of byQueue)
      await fleet.boss.cancel(queue, ids, { db: { executeSql: (t, v) => c.query(t, v) } });
    const queued = live.filter((r) => r.state !== 'active').map((r) => r.job_id);
    await c.query(
      `UPDATE fleet.jobs SET outcome = 'cancelled', reason = 'cancelled before it started', ended_at = now()
        WHERE job_id = ANY($1::uuid[]) AND outcome IS NULL`,
      [queued],
    );
    return { queued: queued.length, running: live.length - queued.length };
  });
}

export interface AgentView {
  name: string;
  tags: string[];
  host: string;
  pid: number;
  machine?: string;
  startedAt: string;
  lastSeenS: number;
  /** idle, busy, stopping, stopped; 'stale' when silent past the limit (dead, or cut off). */
  status: 'idle' | 'busy' | 'stopping' | 'stopped' | 'stale';
  job?: { id: string; queue: string; label?: string; runId?: string };
}

export interface QueueView {
  name: string;
  queued: number;
  active: number;
}

/** The fleet at a glance: agents and the depth of every fleet queue. */
export async function fleetStatus(
  fleet: Fleet,
  staleAfterMs = 30_000,
): Promise<{ agents: AgentView[]; queues: QueueView[] }> {
  const agents = await fleet.db.query<{
    name: string;
    tags: string[];
    host: string;
    pid: number;
    brand: string | null;
    started_at: Date;
    silent: number;
    state: AgentView['status'];
    current_job: string | null;
    current_queue: string | null;
    label: string | null;
    run_id: string | null;
  }>(
    `SELECT a.name, a.tags, a.host, a.pid, a.machine->'cpu'->>'brand' AS brand, a.started_at,
            extract(epoch FROM now() - a.last_seen)::float8 AS silent, a.state, a.current_job, a.current_queue,
            f.label, f.run_id
       FROM fleet.agents a LEFT JOIN fleet.jobs f ON f.job_id = a.current_job
      ORDER BY a.name`,
  );
  const queues = await fleet.db.query<{ name: string; queued: string; active: string }>(
    `SELECT q.name,
            count(j.id) FILTER (WHERE j.state IN ('created', 'retry')) AS queued,
            count(j.id) FILTER (WHERE j.state = 'active') AS active
       FROM ${BOSS_SCHEMA}.queue q LEFT JOIN ${BOSS_SCHEMA}.job j ON j.name = q.name
      WHERE q.name LIKE 'agent.%' OR q.name LIKE 'tag.%'
      GROUP BY q.name ORDER BY q.name`,
  );
  return {
    agents: agents.rows.map((a) => ({
      name: a.name,
      tags: a.tags,
      host: a.host,
      pid: a.pid,
      ...(a.brand ? { machine: a.brand } : {}),
      startedAt: new Date(a.started_at).toISOString(),
      lastSeenS: Math.round(a.silent * 10) / 10,
      status: a.state !== 'stopped' && a.silent * 1000 > staleAfterMs ? 'stale' : a.state,
      ...(a.current_job
        ? {
            job: {
              id: a.current_job,
              queue: a.current_queue ?? '',
              ...(a.label ? { label: a.label } : {}),
              ...(a.run_id ? { runId: a.run_id } : {}),
            },
          }
        : {}),
    })),
    queues: queues.rows.map((q) => ({ name: q.name, queued: Number(q.queued), active: Number(q.active) })),
  };
}
