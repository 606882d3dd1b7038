// A fleet agent (docs/FLEET.md): a headless process on a target machine that registers its machine
// profile in fleet.agents, sends heartbeats, takes jobs meant for its name or one of its tags from
// pg-boss, one at a time (two benchmarks never share a machine), runs each in the engine's isolated
// worker, and saves the result (with its machine profile) in the team's results repository.
//
// What an agent guarantees:
// - A job's payload is validated (contract.ts) before anything runs; a hostile one is refused with the
//   reason and completed (never retried). A model is run only after its bytes hashed to the hash asked.
// - A measurement that failed is a result (status failed), and the job is completed: pg-boss's fail()
//   (which retries) is only for infrastructure failures, which the reaper (reaper.ts) decides.
// - A database that goes away does not stop it: the loop catches connection errors, says so once,
//   backs off and goes on; a result that cannot be written waits in memory and in a spool folder and
//   is written when the database is back (the same id: nothing lost, nothing duplicated).
// - A job retried after its agent died, whose result had been saved already (a crash between saving
//   and completing), is completed without running again.
// - stop() (SIGINT/SIGTERM) stops taking jobs, cancels the running job (its worker is killed; the
//   job is marked cancelled with the reason 'agent stopped', and its cancelled result is saved as a
//   local run's would be), marks the agent stopped and returns.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type PgBoss from 'pg-boss';
import { jobLabel, type JobSpec } from '../../shared/contract/job.js';
import type { MachineProfile } from '../../shared/contract/machine.js';
import type { BenchResult } from '../../shared/contract/result.js';
import { StudioError } from '../../shared/ir/types.js';
import { JobQueue } from '../engine/queue.js';
import type { ProgressMessage } from '../process/job-protocol.js';
import type { Spawner } from '../process/spawner.js';
import { measureFraction } from '../services/bench.js';
import type { ResultsRepository } from '../store/results-repository.js';
import { fetchBlob } from './blobs.js';
import {
  DEFAULT_LIMITS,
  RefusedJobError,
  queueOf,
  validateRemoteJob,
  type AgentLimits,
  type RemoteJob,
} from './contract.js';
import { FleetDb, isConnectionError, recordingExecutor } from './db.js';
import { reap } from './reaper.js';
import { BOSS_SCHEMA, ensureQueue, migrateFleet, openBoss } from './schema.js';

export interface AgentTimings {
  /** How often the agent says it is alive (default 5 s). */
  heartbeatMs: number;
  /** Silent for longer than this, an agent is taken for dead and its job is reaped (default 30 s). */
  staleAfterMs: number;
  /** How often an idle agent looks for a job (default 1 s). */
  pollMs: number;
  /** How often the running job's state is checked for a cancel (default 1 s). */
  cancelPollMs: number;
  /** Progress events written at most this often (default 250 ms: 4 a second). */
  progressMs: number;
  /** The reaper's period (default: staleAfterMs / 3). */
  reapMs: number;
  /** The longest wait between attempts while the database is away (default 5 s). */
  maxBackoffMs: number;
}

export const DEFAULT_TIMINGS: AgentTimings = {
  heartbeatMs: 5000,
  staleAfterMs: 30_000,
  pollMs: 1000,
  cancelPollMs: 1000,
  progressMs: 250,
  reapMs: 10_000,
  maxBackoffMs: 5000,
};

export interface AgentOptions {
  /** The database URL (never printed: FleetDb.location is). */
  db: string;
  name: string;
  tags: string[];
  /** The local folder: the spool of unsaved results (fleet-spool/) and the model cache (fleet-models/). */
  dir: string;
  /** The results repository (the team's database). */
  repository: ResultsRepository;
  machine: () => Promise<MachineProfile>;
  timings?: Partial<AgentTimings>;
  limits?: Partial<AgentLimits>;
  /** Starts job workers (tests); default: the engine's NodeSpawner. */
  spawner?: Spawner;
  /** One line per event worth a log (stderr in the CLI). */
  log?: (line: string) => void;
  /** Host name recorded (default os.hostname()). */
  host?: string;
}

/** A job taken from the queue (pg-boss's job with the metadata we use). */
interface Taken {
  id: string;
  queue: string;
  data: unknown;
  retryCount: number;
  startedOn: Date;
}

interface Outcome {
  outcome: 'ok' | 'failed' | 'cancelled' | 'refused';
  reason?: string;
  resultId?: string;
  /** The job is to be marked cancelled in pg-boss (the agent stopped) rather than completed. */
  cancel?: boolean;
}

export class Agent {
  readonly db: FleetDb;
  private boss?: PgBoss;
  private readonly t: AgentTimings;
  private readonly limits: AgentLimits;
  private readonly host: string;
  private readonly queues: string[];
  private readonly spoolDir: string;
  private readonly cacheDir: string;
  private readonly log: (line: string) => void;
  private stopping = false;
  private stopped?: Promise<void>;
  private wake?: () => void;
  private rr = 0;
  private dbDown?: string;
  private backoff = 0;
  private timers: NodeJS.Timeout[] = [];
  /** The job running now, to cancel it on stop. */
  private running?: { queue: JobQueue; spec: JobSpec; why?: 'stopped' | 'cancelled' | 'taken' };
  /** Finished jobs whose completion could not be written yet (the database away). */
  private readonly pending: { taken: Taken; outcome: Outcome; result?: BenchResult }[] = [];
  private state: 'idle' | 'busy' = 'idle';
  private loopDone?: Promise<void>;
  private registered = false;

  constructor(private readonly opts: AgentOptions) {
    this.t = { ...DEFAULT_TIMINGS, reapMs: (opts.timings?.staleAfterMs ?? 30_000) / 3, ...opts.timings };
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.host = opts.host ?? os.hostname();
    this.queues = [
      queueOf({ kind: 'agent', name: opts.name }),
      ...opts.tags.map((tag) => queueOf({ kind: 'tag', tag })),
    ];
    this.spoolDir = join(opts.dir, 'fleet-spool');
    this.cacheDir = join(opts.dir, 'fleet-models');
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.db = new FleetDb(opts.db, { onIdleError: (e) => this.lostDb(e) });
  }

  get location(): string {
    return this.db.location;
  }

  /**
   * Connects, installs the fleet's tables if needed, writes spooled results, registers. A database
   * that cannot be reached, or refuses the credentials, is a StudioError naming it (no password).
   */
  async start(): Promise<void> {
    await this.db.check();
    try {
      await migrateFleet(this.db);
      this.boss = await openBoss(this.db, { onError: (e) => this.lostDb(e) });
      for (const q of this.queues)
        if (!(await ensureQueue(this.db, q)))
          this.log(
            `agent ${this.opts.name}: queue ${q} does not exist and this role may not create it; it will exist once a job is sent to it`,
          );
      await this.flushSpool();
      await this.register();
      this.registered = true;
    } catch (e) {
      if (e instanceof StudioError) throw e;
      throw new StudioError(this.db.describe(e), isConnectionError(e) ? 'db-unreachable' : 'db-error');
    }
    this.timers.push(setInterval(() => void this.heartbeat(), this.t.heartbeatMs));
    this.timers.push(setInterval(() => void this.runReaper(), this.t.reapMs));
    this.log(
      `agent ${this.opts.name} (host ${this.host}, pid ${process.pid}) ready on ${this.db.location}: queues ${this.queues.join(', ')}`,
    );
  }

  /** Runs until stop(); resolves when the loop has ended. */
  run(): Promise<void> {
    this.loopDone ??= this.loop();
    return this.loopDone;
  }

  /**
   * Stops taking jobs and cancels the running one (docs/FLEET.md "Stopping an agent"); resolves once
   * the agent is marked stopped and its connections are closed.
   */
  stop(): Promise<void> {
    if (this.stopped) return this.stopped;
    this.stopping = true;
    this.wake?.();
    if (this.running) {
      this.running.why ??= 'stopped';
      this.running.queue.cancel(this.running.spec.id);
    }
    this.stopped = (async () => {
      await this.loopDone?.catch(() => {});
      for (const t of this.timers) clearInterval(t);
      if (this.registered)
        try {
          await this.db.query(
            `UPDATE fleet.agents SET state = 'stopped', current_job = NULL, current_queue = NULL, last_seen = now()
            WHERE name = $1 AND host = $2 AND pid = $3`,
            [this.opts.name, this.host, process.pid],
          );
        } catch (e) {
          this.log(`agent ${this.opts.name}: could not mark itself stopped: ${this.db.describe(e)}`);
        }
      if (this.pending.length)
        this.log(
          `agent ${this.opts.name}: ${this.pending.length} finished job(s) could not be recorded (the database is away); their results wait in ${this.spoolDir}`,
        );
      await this.boss?.stop({ graceful: false, close: false }).catch(() => {});
      await this.opts.repository.close().catch(() => {});
      await this.db.close();
    })();
    return this.stopped;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        if (this.pending.length) await this.flushPending();
        const taken = this.pending.length ? undefined : await this.fetchNext();
        this.dbBack();
        if (!taken) {
          await this.idle(this.pending.length ? this.nextBackoff() : this.t.pollMs);
          continue;
        }
        await this.handle(taken);
      } catch (e) {
        if (isConnectionError(e)) {
          this.lostDb(e);
          await this.idle(this.nextBackoff());
        } else {
          this.log(`agent ${this.opts.name}: ${(e as Error).message}`);
          await this.idle(this.t.pollMs);
        }
      }
    }
  }

  /** Sleeps, or less when stop() is called. */
  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private nextBackoff(): number {
    this.backoff = Math.min(this.t.maxBackoffMs, Math.max(200, this.backoff * 2));
    return this.backoff;
  }

  /** The database went away: said once per outage. */
  private lostDb(e: unknown): void {
    if (this.dbDown) return;
    this.dbDown = this.db.describe(e);
    this.log(`agent ${this.opts.name}: ${this.dbDown}; retrying (the running job goes on)`);
  }

  private dbBack(): void {
    this.backoff = 0;
    if (!this.dbDown) return;
    this.dbDown = undefined;
    this.log(`agent ${this.opts.name}: the database is back`);
  }

  /**
   * Registers this agent: its row in fleet.agents (tags, machine profile, host, pid). Refused when an
   * agent of the same name is alive elsewhere (its heartbeats are recent, or it runs on this host).
   */
  private async register(): Promise<void> {
    const machine = await this.opts.machine();
    const args = [
      this.opts.name,
      this.opts.tags,
      JSON.stringify(machine),
      this.host,
      process.pid,
      this.t.staleAfterMs / 1000,
    ];
    const upsert = (force: boolean) =>
      this.db.query(
        `INSERT INTO fleet.agents (name, tags, machine, host, pid, state)
         VALUES ($1, $2, $3, $4, $5, 'idle')
         ON CONFLICT (name) DO UPDATE SET tags = EXCLUDED.tags, machine = EXCLUDED.machine, host = EXCLUDED.host,
           pid = EXCLUDED.pid, started_at = now(), last_seen = now(), state = 'idle', current_job = NULL, current_queue = NULL
         WHERE ${force ? 'true' : `fleet.agents.state = 'stopped' OR fleet.agents.last_seen < now() - make_interval(secs => $6)`}
         RETURNING name`,
        force ? args.slice(0, 5) : args,
      );
    if ((await upsert(false)).rowCount) return;
    const { rows } = await this.db.query<{ host: string; pid: number; silent: number }>(
      `SELECT host, pid, extract(epoch FROM now() - last_seen)::float8 AS silent FROM fleet.agents WHERE name = $1`,
      [this.opts.name],
    );
    const other = rows[0];
    // The same host and a process that is gone: a crashed agent of ours, whose place we take now.
    if (other && other.host === this.host && !alive(other.pid)) {
      await upsert(true);
      return;
    }
    throw new StudioError(
      `an agent named '${this.opts.name}' is already running on host ${other?.host} (pid ${other?.pid}, last seen ${Number(other?.silent ?? 0).toFixed(1)} s ago): choose another --name, or stop it first`,
      'refused',
    );
  }

  private async heartbeat(): Promise<void> {
    try {
      const r = await this.db.query(
        // A heartbeat still on its way when the agent marked itself stopped must not undo that.
        `UPDATE fleet.agents SET last_seen = now(), state = CASE WHEN state = 'stopped' THEN state ELSE $4 END
          WHERE name = $1 AND host = $2 AND pid = $3`,
        [this.opts.name, this.host, process.pid, this.stopping ? 'stopping' : this.state],
      );
      if (!r.rowCount && !this.stopping) {
        this.log(`agent ${this.opts.name}: its registration was taken over or removed; stopping`);
        void this.stop();
      }
    } catch (e) {
      if (isConnectionError(e)) this.lostDb(e);
      else this.log(`agent ${this.opts.name}: heartbeat failed: ${(e as Error).message}`);
    }
  }

  private reaping = false;
  private async runReaper(): Promise<void> {
    if (this.reaping || this.stopping || !this.boss) return;
    this.reaping = true;
    try {
      for (const r of await reap(this.db, this.boss, this.t.staleAfterMs))
        this.log(`agent ${this.opts.name}: reaped job ${r.jobId} (${r.queue}): ${r.reason}`);
    } catch (e) {
      if (isConnectionError(e)) this.lostDb(e);
      else this.log(`agent ${this.opts.name}: the reaper failed: ${(e as Error).message}`);
    } finally {
      this.reaping = false;
    }
  }

  /**
   * Takes the next job from this agent's queues, round robin, one at a time: the job and the agent's
   * row change in one transaction, so that an active job always has its agent (see reaper.ts).
   */
  private async fetchNext(): Promise<Taken | undefined> {
    for (let i = 0; i < this.queues.length && !this.stopping; i++) {
      const queue = this.queues[(this.rr + i) % this.queues.length];
      const taken = await this.db.tx(async (c) => {
        const rec = recordingExecutor(c);
        const [job] = await this.boss!.fetch<unknown>(queue, { batchSize: 1, includeMetadata: true, db: rec.db });
        // pg-boss's fetch swallows errors (and answers "no job"): ours say what happened.
        if (rec.state.error) throw rec.state.error;
        if (!job) return undefined;
        const mine = await c.query(
          `UPDATE fleet.agents SET current_job = $4, current_queue = $5, state = 'busy', last_seen = now()
            WHERE name = $1 AND host = $2 AND pid = $3`,
          [this.opts.name, this.host, process.pid, job.id, queue],
        );
        if (!mine.rowCount) throw new Error('this agent is no longer registered (taken over or removed)');
        await c.query(
          `UPDATE fleet.jobs SET agent = $2, attempt = $3, started_at = now() WHERE job_id = $1 AND outcome IS NULL`,
          [job.id, this.opts.name, job.retryCount],
        );
        return { id: job.id, queue, data: job.data, retryCount: job.retryCount, startedOn: job.startedOn };
      });
      if (taken) {
        this.rr = (this.rr + i + 1) % this.queues.length;
        this.state = 'busy';
        return taken;
      }
    }
    return undefined;
  }

  /**
   * Validates, runs and records one job taken from the queue. Whatever goes wrong, the job ends
   * recorded: an error of the agent itself fails it (completed as failed, never retried).
   */
  private async handle(taken: Taken): Promise<void> {
    try {
      await this.handleOne(taken);
    } catch (e) {
      if (isConnectionError(e) && this.stopping) throw e;
      const reason = `the agent could not run it: ${(e as Error).message}`;
      this.log(`agent ${this.opts.name}: job ${taken.id}: ${reason}`);
      await this.finish(taken, { outcome: 'failed', reason });
    } finally {
      this.state = this.pending.length ? 'busy' : 'idle';
    }
  }

  /** Retries `fn` while the database is away (the job taken stays this agent's meanwhile). */
  private async withDb<T>(fn: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        const out = await fn();
        this.dbBack();
        return out;
      } catch (e) {
        if (!isConnectionError(e) || this.stopping) throw e;
        this.lostDb(e);
        await this.idle(this.nextBackoff());
      }
    }
  }

  private async handleOne(taken: Taken): Promise<void> {
    let remote: RemoteJob;
    try {
      remote = validateRemoteJob(taken.data, this.limits);
    } catch (e) {
      if (!(e instanceof RefusedJobError)) throw e;
      this.log(`agent ${this.opts.name}: refused job ${taken.id} (${taken.queue}): ${e.message}`);
      return this.finish(taken, { outcome: 'refused', reason: e.message });
    }
    const label = jobLabel(remote.job);
    this.log(
      `agent ${this.opts.name}: job ${taken.id} from ${taken.queue}${taken.retryCount ? ` (attempt ${taken.retryCount + 1})` : ''}: ${label}`,
    );
    await this.event(remote, taken, 'start', {
      agent: this.opts.name,
      host: this.host,
      attempt: taken.retryCount + 1,
      label,
    });
    // A retry of a job whose result was saved (its agent died between saving and completing).
    if (taken.retryCount > 0) {
      const existing = await this.withDb(() => this.savedResult(remote.job));
      if (existing) {
        this.log(`agent ${this.opts.name}: job ${taken.id} already has its result ${existing.id}: not run again`);
        return this.finish(taken, {
          outcome: existing.status,
          resultId: existing.id,
          reason: 'its result was saved by an earlier attempt: not run again',
        });
      }
    }
    let spec = remote.job;
    if (remote.model) {
      const model = remote.model;
      try {
        const path = await this.withDb(() => fetchBlob(this.db, this.cacheDir, model, this.limits.maxModelBytes));
        const dims = spec.target.kind === 'file' ? spec.target.dims : {};
        spec = { ...spec, target: { kind: 'file', path, dims } };
      } catch (e) {
        if (!(e instanceof RefusedJobError)) throw e;
        this.log(`agent ${this.opts.name}: refused job ${taken.id}: ${e.message}`);
        return this.finish(taken, { outcome: 'refused', reason: e.message });
      }
    }
    const { result, started, why } = await this.measure(spec, remote, taken);
    if (why === 'taken') {
      this.log(
        `agent ${this.opts.name}: job ${taken.id} was taken from this agent (reaped); its measurement is dropped`,
      );
      return;
    }
    const doc = this.resultDocument(result, remote, taken, why);
    const outcome: Outcome = {
      outcome: doc.status,
      ...(doc.failure ? { reason: doc.failure.reason } : {}),
      ...(why === 'stopped' ? { cancel: true } : {}),
    };
    this.log(
      `agent ${this.opts.name}: job ${taken.id} ${doc.status}${doc.stats ? `: p50 ${doc.stats.p50.toFixed(3)} ms over ${doc.stats.n} runs` : doc.failure ? `: ${doc.failure.reason}` : ''}`,
    );
    // Cancelled before its worker started: nothing measured, nothing saved (as in a local run).
    if (!started) return this.finish(taken, outcome);
    await this.saveThenFinish(taken, { ...outcome, resultId: doc.id }, doc);
  }

  /** The result of this job already saved (by an earlier attempt), if any: its id ends with the job's. */
  private async savedResult(job: JobSpec): Promise<{ id: string; status: BenchResult['status'] } | undefined> {
    if (!job.group) return undefined;
    const { results } = await this.opts.repository.list({ group: job.group });
    const found = results.find((s) => s.id.endsWith(`-${job.id}`));
    return found && { id: found.id, status: found.status };
  }

  /** Runs the job in an isolated worker, writing its progress and watching for a cancel. */
  private async measure(
    spec: JobSpec,
    remote: RemoteJob,
    taken: Taken,
  ): Promise<{ result: BenchResult; started: boolean; why?: 'stopped' | 'cancelled' | 'taken' }> {
    let result: BenchResult | undefined;
    let started = false;
    const queue = new JobQueue({
      spawner: this.opts.spawner,
      machine: this.opts.machine,
      onResult: (r, info) => {
        result = r;
        started = info.started;
      },
    });
    const running: NonNullable<Agent['running']> = { queue, spec };
    this.running = running;
    let last: ProgressMessage | undefined;
    /** The progress write on its way, if any: the job's end waits for it (see the finally below). */
    let writing: Promise<void> | undefined;
    let lastWrite = 0;
    const flush = async () => {
      if (!last || writing) return;
      const p = last;
      last = undefined;
      lastWrite = Date.now();
      writing = this.event(remote, taken, 'progress', { ...p, fraction: measureFraction(p, spec) }).finally(() => {
        writing = undefined;
      });
      await writing;
    };
    queue.on('progress', ({ progress }) => {
      last = progress;
      if (Date.now() - lastWrite >= this.t.progressMs) void flush();
    });
    queue.on('job-start', ({ pid }) => void this.event(remote, taken, 'worker', { pid }));
    const progressTimer = setInterval(() => void flush(), this.t.progressMs);
    const cancelTimer = setInterval(async () => {
      try {
        const j = await this.boss!.getJobById(taken.queue, taken.id);
        const ours =
          j && j.state === 'active' && new Date(j.startedOn).getTime() === new Date(taken.startedOn).getTime();
        if (ours) return;
        running.why ??= j?.state === 'cancelled' ? 'cancelled' : 'taken';
        queue.cancel(spec.id);
      } catch {
        // The database is away: the job goes on; the loop says so.
      }
    }, this.t.cancelPollMs);
    try {
      queue.enqueue([spec]);
      if (this.stopping) {
        running.why = 'stopped';
        queue.cancel(spec.id);
      }
      await queue.run();
    } finally {
      clearInterval(progressTimer);
      clearInterval(cancelTimer);
      // A progress event written after the job's end would outlive the end's cleanup of them.
      await writing?.catch(() => {});
      this.running = undefined;
    }
    return { result: result!, started, why: running.why };
  }

  /** The result as saved: the enqueuer's job (a model by its name), and who ran it where. */
  private resultDocument(result: BenchResult, remote: RemoteJob, taken: Taken, why?: string): BenchResult {
    const job = remote.model
      ? { ...result.job, target: { ...remote.job.target, path: remote.model.name } }
      : result.job;
    const doc: BenchResult = {
      ...result,
      job: job as JobSpec,
      label: jobLabel(job as JobSpec),
      notes: [
        ...result.notes,
        `fleet: measured by agent '${this.opts.name}' on host ${this.host} (job ${taken.id} from queue ${taken.queue}, attempt ${taken.retryCount + 1}, run ${remote.runId} requested by ${remote.requestedBy})`,
        ...(remote.model
          ? [`fleet: model ${remote.model.name}, sha256 ${remote.model.sha256} (${remote.model.bytes} bytes), verified`]
          : []),
      ],
    };
    // The fleet job this result answers (main/store/postgres: the results table keeps at most one
    // result per fleet job).
    doc.fleet = {
      jobId: taken.id,
      agent: this.opts.name,
      host: this.host,
      queue: taken.queue,
      attempt: taken.retryCount + 1,
      runId: remote.runId,
      requestedBy: remote.requestedBy,
    };
    if (why === 'stopped' && doc.failure) doc.failure = { ...doc.failure, reason: 'agent stopped' };
    if (why === 'cancelled' && doc.failure)
      doc.failure = { ...doc.failure, reason: 'cancelled from the fleet (fleet cancel, or Ctrl-C of the enqueuer)' };
    return doc;
  }

  /** Saves the result (or spools it), then records the job's end; both wait for the database if needed. */
  private async saveThenFinish(taken: Taken, outcome: Outcome, result: BenchResult): Promise<void> {
    this.spool(result);
    this.pending.push({ taken, outcome, result });
    await this.flushPending().catch((e) => {
      if (isConnectionError(e)) this.lostDb(e);
      else throw e;
    });
  }

  /**
   * Saves spooled results and records finished jobs, oldest first; stops at the first that cannot
   * reach the database (it is tried again). Any other error is said and that step is given up (a
   * result the repository refuses stays in the spool folder), so that one bad entry never blocks
   * the agent.
   */
  private async flushPending(): Promise<void> {
    while (this.pending.length) {
      const p = this.pending[0];
      if (p.result && !(await this.stillOurs(p.taken))) {
        // Reaped while the database was away from us, and retried: the retry measures it again, and
        // one result per job is enough.
        this.log(
          `agent ${this.opts.name}: job ${p.taken.id} was taken from this agent while the database was away; its result ${p.result.id} is dropped (the retry measures it)`,
        );
        this.unspool(p.result.id);
        this.pending.shift();
        continue;
      }
      if (p.result) {
        try {
          await this.opts.repository.save(p.result);
          this.unspool(p.result.id);
        } catch (e) {
          if (isConnectionError(e)) throw e;
          const existing =
            (e as { code?: string }).code === 'duplicate-job' ? await this.savedResult(p.result.job) : undefined;
          if (existing) {
            // An earlier attempt's result answers this job already (the database allows one): that one stands.
            this.log(
              `agent ${this.opts.name}: job ${p.taken.id} already has its result ${existing.id}; this one is dropped`,
            );
            this.unspool(p.result.id);
            p.outcome = {
              ...p.outcome,
              outcome: existing.status,
              resultId: existing.id,
              reason: 'its result was saved by an earlier attempt',
            };
          } else {
            const why = `its result ${p.result.id} could not be saved: ${(e as Error).message} (kept in ${this.spoolDir})`;
            this.log(`agent ${this.opts.name}: job ${p.taken.id}: ${why}`);
            p.outcome = { ...p.outcome, outcome: 'failed', reason: why, resultId: undefined };
          }
        }
        p.result = undefined;
      }
      try {
        await this.record(p.taken, p.outcome);
      } catch (e) {
        if (isConnectionError(e)) throw e;
        this.log(`agent ${this.opts.name}: could not record the end of job ${p.taken.id}: ${(e as Error).message}`);
      }
      this.pending.shift();
    }
  }

  /** Whether the job is still the attempt this agent took (active, or cancelled while it ran); true when pg-boss no longer has it. */
  private async stillOurs(taken: Taken): Promise<boolean> {
    const { rows } = await this.db.query<{ state: string; started_on: Date }>(
      `SELECT state, started_on FROM ${BOSS_SCHEMA}.job WHERE name = $1 AND id = $2`,
      [taken.queue, taken.id],
    );
    const j = rows[0];
    if (!j) return true;
    return (
      (j.state === 'active' || j.state === 'cancelled') &&
      new Date(j.started_on).getTime() === new Date(taken.startedOn).getTime()
    );
  }

  /** Records a job's end without a result to save (refused, already saved). */
  private async finish(taken: Taken, outcome: Outcome): Promise<void> {
    this.pending.push({ taken, outcome });
    await this.flushPending().catch((e) => {
      if (isConnectionError(e)) this.lostDb(e);
      else throw e;
    });
  }

  /**
   * Completes the job in pg-boss (or cancels it: the agent stopped) with its outcome, records it in
   * fleet.jobs and frees the agent, in one transaction; a job no longer ours (reaped and taken by
   * another agent) is left alone.
   */
  private async record(taken: Taken, o: Outcome): Promise<void> {
    await this.db.tx(async (c) => {
      const { rows } = await c.query<{ state: string; started_on: Date }>(
        `SELECT state, started_on FROM ${BOSS_SCHEMA}.job WHERE name = $1 AND id = $2 FOR UPDATE`,
        [taken.queue, taken.id],
      );
      const j = rows[0];
      // Ours: the attempt we took (not a retry another agent took after the reaper), active or cancelled.
      const ours =
        j &&
        (j.state === 'active' || j.state === 'cancelled') &&
        new Date(j.started_on).getTime() === new Date(taken.startedOn).getTime();
      if (ours && j.state === 'active') {
        const output = { outcome: o.outcome, reason: o.reason, resultId: o.resultId, agent: this.opts.name };
        const db = recordingExecutor(c).db;
        if (o.cancel) await this.boss!.cancel(taken.queue, taken.id, { db });
        await c.query(`UPDATE ${BOSS_SCHEMA}.job SET output = $3 WHERE name = $1 AND id = $2`, [
          taken.queue,
          taken.id,
          JSON.stringify(output),
        ]);
        if (!o.cancel) await this.boss!.complete(taken.queue, taken.id, output, { db });
      }
      if (ours)
        await c.query(
          `UPDATE fleet.jobs SET outcome = $2, reason = $3, result_id = $4, ended_at = now()
            WHERE job_id = $1 AND (outcome IS NULL OR outcome = 'cancelled')`,
          [taken.id, o.outcome, o.reason ?? null, o.resultId ?? null],
        );
      await c.query(
        `UPDATE fleet.agents SET current_job = NULL, current_queue = NULL,
                state = CASE WHEN state = 'stopped' THEN state ELSE $4 END
          WHERE name = $1 AND host = $2 AND pid = $3 AND current_job = $5`,
        [this.opts.name, this.host, process.pid, this.stopping ? 'stopping' : 'idle', taken.id],
      );
      await c.query(`DELETE FROM fleet.events WHERE job_id = $1 AND kind = 'progress'`, [taken.id]);
      await c.query(
        `INSERT INTO fleet.events (run_id, job_id, kind, payload) SELECT run_id, job_id, 'end', $2 FROM fleet.jobs WHERE job_id = $1`,
        [taken.id, JSON.stringify({ agent: this.opts.name, ...o })],
      );
    });
  }

  /** An event for the enqueuer to stream (best effort: a lost event costs a progress line, nothing more). */
  private async event(remote: RemoteJob, taken: Taken, kind: string, payload: object): Promise<void> {
    try {
      await this.db.query(`INSERT INTO fleet.events (run_id, job_id, kind, payload) VALUES ($1, $2, $3, $4)`, [
        remote.runId,
        taken.id,
        kind,
        JSON.stringify(payload),
      ]);
    } catch (e) {
      if (isConnectionError(e)) this.lostDb(e);
    }
  }

  private spool(result: BenchResult): void {
    try {
      mkdirSync(this.spoolDir, { recursive: true });
      const file = join(this.spoolDir, `${result.id}.json`);
      writeFileSync(`${file}.tmp`, JSON.stringify(result));
      renameSync(`${file}.tmp`, file);
    } catch (e) {
      this.log(
        `agent ${this.opts.name}: could not spool result ${result.id}: ${(e as Error).message} (it is kept in memory)`,
      );
    }
  }

  private unspool(id: string): void {
    rmSync(join(this.spoolDir, `${id}.json`), { force: true });
  }

  /** Results a previous run of this agent measured but could not save (the database was away). */
  private async flushSpool(): Promise<void> {
    if (!existsSync(this.spoolDir)) return;
    for (const f of readdirSync(this.spoolDir).filter((n) => n.endsWith('.json'))) {
      const file = join(this.spoolDir, f);
      try {
        const result = JSON.parse(readFileSync(file, 'utf8')) as BenchResult;
        await this.opts.repository.save(result);
        rmSync(file, { force: true });
        this.log(`agent ${this.opts.name}: saved spooled result ${result.id}`);
      } catch (e) {
        if (isConnectionError(e)) throw e;
        // Refused (a result of that job saved meanwhile by a retry, a damaged file): set aside, never blocking.
        renameSync(file, `${file}.refused`);
        this.log(
          `agent ${this.opts.name}: spooled result ${f} not saved: ${(e as Error).message} (kept as ${f}.refused)`,
        );
      }
    }
  }
}

/** Whether a process of this host is alive. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
