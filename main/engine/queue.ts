// The job queue: one job at a time, each in a fresh worker process (DESIGN.md "Benchmark method":
// a crash kills only its job, and peak memory belongs to that job alone). Every job ends in
// exactly one result (ok, failed or cancelled) handed to onResult before the next job starts.
//
// A cancel must stay cheap however many jobs are queued (issue 19: cancelling 64,000 queued jobs
// hung the server): a job is found by its id in a map, jobs cancelled before they started end with
// a result built from one template (no worker, no schema pass each), onResult is told they never
// started (the bench service does not save them as files), and the loop gives the event loop a turn
// every few milliseconds, so that other requests, timers and signals are served while it drains.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import si from 'systeminformation';
import { jobLabel, JobSpecSchema, type JobSpec, type JobSpecInput } from '../../shared/contract/job.js';
import type { MachineProfile } from '../../shared/contract/machine.js';
import { RESULT_SCHEMA, RESULT_SCHEMA_VERSION, ResultSchema, type BenchResult } from '../../shared/contract/result.js';
import { RefusedError } from '../backends/backend.js';
import { probeMachine } from '../machine/profile.js';
import { classifyExit, TailBuffer, type Failure } from './outcome.js';
import { WorkerMessageSchema, type ProgressMessage, type WorkerPayload } from '../process/job-protocol.js';
import { formatBytes, memoryEstimate, MEMORY_MODEL, resolveJob } from './resolve.js';
import { NodeSpawner, type JobProcess, type ProcessExit, type Spawner } from '../process/spawner.js';

export interface QueueEvents {
  'job-start': { job: JobSpec; label: string; pid?: number; index: number; total: number };
  progress: { job: JobSpec; progress: ProgressMessage };
  'job-end': { job: JobSpec; result: BenchResult };
}
type Listener<K extends keyof QueueEvents> = (e: QueueEvents[K]) => void;

export interface QueueOptions {
  spawner?: Spawner;
  /** The machine profile every result embeds; probed once per queue. */
  machine?: () => Promise<MachineProfile>;
  /**
   * Saves a result (the store); awaited before the next job starts. A throw stops the queue.
   * `started` is false for a job cancelled before it started (nothing was spawned or measured).
   */
  onResult?: (result: BenchResult, info: { started: boolean }) => void | Promise<void>;
  /** Bytes of memory available now; undefined skips the memory check. */
  availableMemory?: () => Promise<number | undefined>;
  /** Extra environment for a job's worker. Test hook (STUDIO_TEST_FAULT); not for features. */
  workerEnv?: (job: JobSpec) => Record<string, string> | undefined;
  /**
   * Memory limit of one job's worker, in bytes: its resident memory is watched (every
   * `memoryPollMs`) and the worker is killed past it, recorded as an 'oom' failure that names the
   * limit. When given, the worker's JavaScript heap is limited to it too (--max-old-space-size).
   * Default: 90% of the machine's memory (a runaway job is stopped before the operating system's
   * out-of-memory killer picks a victim); 0 turns the watchdog off.
   */
  memoryLimitBytes?: number;
  /** How often the memory watchdog reads the worker's resident memory (default 200 ms). */
  memoryPollMs?: number;
}

/** The default job memory limit: 90% of the machine's physical memory. */
export const defaultMemoryLimit = (): number => Math.floor(os.totalmem() * 0.9);

/** A process's resident memory from /proc (Linux); undefined elsewhere or once it is gone. */
export function residentBytes(pid: number): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Available memory as the OS counts it (Linux MemAvailable: free + reclaimable cache). */
export async function availableMemory(): Promise<number> {
  try {
    const m = await si.mem();
    return m.available > 0 ? m.available : os.freemem();
  } catch {
    return os.freemem();
  }
}

interface Entry {
  job: JobSpec;
  cancelled: boolean;
}

/** The longest the queue's loop runs without giving the event loop a turn (see the top of this file). */
export const QUEUE_YIELD_MS = 10;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class JobQueue {
  /** Queued jobs in order; those before `head` have been taken (compacted now and then). */
  private pending: Entry[] = [];
  private head = 0;
  /** Queued (not yet taken) jobs by id. */
  private readonly byId = new Map<string, Entry>();
  private current?: { entry: Entry; proc?: JobProcess; killedBy?: 'cancel' | 'timeout' | 'memory' };
  private readonly listeners = new Map<keyof QueueEvents, Set<(e: never) => void>>();
  private machine?: Promise<MachineProfile>;
  private running?: Promise<BenchResult[]>;
  private done = 0;
  private readonly spawner: Spawner;
  /** A cancelled-before-start result of this queue's machine: the others are copies with their own job. */
  private cancelledTemplate?: BenchResult;

  constructor(private readonly opts: QueueOptions = {}) {
    this.spawner = opts.spawner ?? new NodeSpawner();
  }

  on<K extends keyof QueueEvents>(event: K, cb: Listener<K>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(cb as (e: never) => void);
    return () => set.delete(cb as (e: never) => void);
  }

  private emit<K extends keyof QueueEvents>(event: K, e: QueueEvents[K]): void {
    for (const cb of this.listeners.get(event) ?? []) (cb as Listener<K>)(e);
  }

  /** Validates and appends jobs (JobSpecSchema); a bad spec throws here, before anything runs. */
  add(jobs: JobSpecInput | JobSpecInput[]): JobSpec[] {
    return this.enqueue((Array.isArray(jobs) ? jobs : [jobs]).map((j) => JobSpecSchema.parse(j)));
  }

  /**
   * Appends jobs already validated (JobSpecSchema's output: expandSweep's jobs); a sweep of 10,000
   * jobs is not parsed twice. An id already queued throws, before any is appended.
   */
  enqueue(parsed: readonly JobSpec[]): JobSpec[] {
    const ids = new Set<string>();
    for (const j of parsed) {
      if (ids.has(j.id) || this.byId.has(j.id) || this.current?.entry.job.id === j.id)
        throw new Error(`job id '${j.id}' is already queued`);
      ids.add(j.id);
    }
    for (const job of parsed) {
      const entry = { job, cancelled: false };
      this.pending.push(entry);
      this.byId.set(job.id, entry);
    }
    return [...parsed];
  }

  /** Jobs queued and not yet started. */
  get queued(): number {
    return this.pending.length - this.head;
  }

  /** Takes the next queued job (O(1): the taken part is dropped once it is half the array). */
  private next(): Entry | undefined {
    if (this.head >= this.pending.length) {
      this.pending = [];
      this.head = 0;
      return undefined;
    }
    const entry = this.pending[this.head++];
    this.byId.delete(entry.job.id);
    if (this.head > 1024 && this.head * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
    return entry;
  }

  /** The job running now and its worker's process id. */
  get active(): { jobId: string; pid?: number } | undefined {
    return this.current && { jobId: this.current.entry.job.id, pid: this.current.proc?.pid };
  }

  /** Runs queued jobs until none is left; calling again while running returns the same promise. */
  run(): Promise<BenchResult[]> {
    this.running ??= this.loop().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Cancels a queued or running job (the worker is killed at once). False when no such job is left. */
  cancel(jobId: string): boolean {
    if (this.current?.entry.job.id === jobId) {
      this.current.entry.cancelled = true;
      this.current.killedBy ??= 'cancel';
      this.current.proc?.kill();
      return true;
    }
    const e = this.byId.get(jobId);
    if (!e || e.cancelled) return false;
    e.cancelled = true;
    return true;
  }

  cancelAll(): void {
    for (let i = this.head; i < this.pending.length; i++) this.pending[i].cancelled = true;
    if (this.current) this.cancel(this.current.entry.job.id);
  }

  private async loop(): Promise<BenchResult[]> {
    const results: BenchResult[] = [];
    let turn = performance.now();
    for (let entry = this.next(); entry; entry = this.next()) {
      const total = this.done + this.queued + 1;
      let result: BenchResult;
      const started = !entry.cancelled;
      if (!started) {
        // Cancelled before it started: no worker, no pre-flight, one copy of a template.
        this.emit('job-start', { job: entry.job, label: jobLabel(entry.job), index: this.done, total });
        result = await this.cancelledBeforeStart(entry.job);
      } else {
        this.current = { entry };
        try {
          result = await this.runOne(entry, total);
        } finally {
          this.current = undefined;
        }
      }
      this.done++;
      results.push(result);
      this.emit('job-end', { job: entry.job, result });
      await this.opts.onResult?.(result, { started });
      // Awaiting a promise that is already settled never lets timers, I/O or signals in: a long run
      // of jobs that end at once (cancelled, refused) would hold the event loop for its whole length.
      if (performance.now() - turn >= QUEUE_YIELD_MS) {
        await yieldToEventLoop();
        turn = performance.now();
      }
    }
    return results;
  }

  /** The result of a job cancelled before it started: a copy of one validated template. */
  private async cancelledBeforeStart(job: JobSpec): Promise<BenchResult> {
    const failure: Failure = { kind: 'cancelled', reason: 'cancelled by the user before it started' };
    if (!this.cancelledTemplate) return (this.cancelledTemplate = await this.result(job, { failure }));
    const createdAt = new Date().toISOString();
    return {
      ...this.cancelledTemplate,
      id: resultId(createdAt, job),
      createdAt,
      job,
      label: jobLabel(job),
      samplesMs: [],
      flags: [],
      failure: { ...failure },
    };
  }

  private async runOne(entry: Entry, total: number): Promise<BenchResult> {
    const job = entry.job;
    const start = (pid?: number) => this.emit('job-start', { job, label: jobLabel(job), pid, index: this.done, total });
    const cancelled: Failure = { kind: 'cancelled', reason: 'cancelled by the user before it started' };

    // Pre-flight in this process: a target that cannot be built, or a job that cannot fit, is
    // answered here without spawning anything.
    let cost: WorkerPayload['cost'];
    try {
      const r = resolveJob(job);
      const t = r.cost.totals;
      cost = {
        params: t.params,
        macs: t.macs,
        flops: t.flops,
        weightBytes: t.weightBytes,
        peakActivationBytes: t.peakActivationBytes,
      };
      const available = await (this.opts.availableMemory ?? availableMemory)();
      const need = memoryEstimate(r.cost);
      if (available !== undefined && need.requiredBytes > available)
        throw new RefusedError(
          `not enough memory: the job needs about ${formatBytes(need.requiredBytes)} (cost model: weights ${formatBytes(t.weightBytes)} + peak activations ${formatBytes(t.peakActivationBytes)} at batch ${job.batch}; counted as ${MEMORY_MODEL.weightCopies} x weights + ${MEMORY_MODEL.activationFactor} x activations + ${formatBytes(MEMORY_MODEL.runtimeBytes)} for the runtime) but only ${formatBytes(available)} is available`,
        );
    } catch (e) {
      start();
      const failure: Failure =
        e instanceof RefusedError
          ? { kind: 'refused', reason: e.message }
          : { kind: 'error', reason: e instanceof Error ? e.message : String(e) };
      return this.result(job, { failure, cost });
    }
    if (entry.cancelled) return (start(), this.result(job, { failure: cancelled, cost }));
    try {
      return await this.spawn(job, start, cost);
    } catch (e) {
      // A worker that cannot even start (a spawner that throws: no executable, no process slots) is
      // this job's failure, never the queue's: the jobs behind it still run.
      start();
      const reason = `could not start the job's worker process: ${e instanceof Error ? e.message : String(e)}`;
      return this.result(job, { failure: { kind: 'error', reason }, cost });
    }
  }

  private async spawn(job: JobSpec, start: (pid?: number) => void, cost: WorkerPayload['cost']) {
    const limit = this.opts.memoryLimitBytes ?? defaultMemoryLimit();
    const proc = this.spawner.start({
      env: this.opts.workerEnv?.(job),
      ...(this.opts.memoryLimitBytes ? { maxOldSpaceMb: this.opts.memoryLimitBytes / 2 ** 20 } : {}),
    });
    const cur = this.current!;
    cur.proc = proc;
    start(proc.pid);
    const stderr = new TailBuffer();
    proc.onStderr((t) => stderr.push(t));
    let outcome: { payload: WorkerPayload } | { failure: Failure; partial?: Partial<WorkerPayload> } | undefined;
    let protocolError: string | undefined;
    // The memory watchdog: /proc on Linux, the worker's own figure in its progress messages elsewhere.
    const memory: { lastRssBytes?: number; peakRssBytes?: number; limitBytes?: number } = { limitBytes: limit };
    const seen = (rss: number | undefined) => {
      if (rss === undefined) return;
      memory.lastRssBytes = rss;
      memory.peakRssBytes = Math.max(memory.peakRssBytes ?? 0, rss);
      if (limit > 0 && rss > limit && !cur.killedBy) {
        cur.killedBy = 'memory';
        proc.kill();
      }
    };
    proc.onMessage((raw) => {
      const m = WorkerMessageSchema.safeParse(raw);
      if (!m.success) {
        protocolError ??= `the worker sent an invalid message: ${m.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
        proc.kill();
        return;
      }
      const msg = m.data;
      if (msg.type === 'ready') proc.send({ type: 'start', job });
      else if (msg.type === 'progress') {
        if (process.platform !== 'linux') seen(msg.rssBytes);
        this.emit('progress', { job, progress: msg });
      } else if (msg.type === 'result') outcome = { payload: msg.payload };
      else outcome = { failure: msg.failure, partial: msg.partial };
    });
    const timer = setTimeout(() => {
      cur.killedBy ??= 'timeout';
      proc.kill();
    }, job.timeLimitS * 1000);
    const watchdog =
      limit > 0 && proc.pid !== undefined && process.platform === 'linux'
        ? setInterval(() => seen(residentBytes(proc.pid!)), this.opts.memoryPollMs ?? 200)
        : undefined;
    // A cancel that raced the spawn (between runOne's check and here) still kills the worker.
    if (cur.entry.cancelled) proc.kill();
    let exit: ProcessExit;
    try {
      exit = await proc.exited;
    } finally {
      clearTimeout(timer);
      clearInterval(watchdog);
    }

    if (outcome && 'payload' in outcome) return this.result(job, { payload: outcome.payload });
    if (outcome) return this.result(job, { failure: outcome.failure, cost, partial: outcome.partial });
    const failure = classifyExit({
      exit,
      stderr: stderr.lines(),
      killedBy: cur.killedBy,
      timeLimitS: job.timeLimitS,
      protocolError,
      memory,
    });
    return this.result(job, { failure, cost });
  }

  private async result(
    job: JobSpec,
    o: { payload?: WorkerPayload; failure?: Failure; cost?: WorkerPayload['cost']; partial?: Partial<WorkerPayload> },
  ): Promise<BenchResult> {
    this.machine ??= (this.opts.machine ?? probeMachine)();
    const machine = await this.machine;
    const createdAt = new Date().toISOString();
    const status = o.payload ? 'ok' : o.failure?.kind === 'cancelled' ? 'cancelled' : 'failed';
    const doc = {
      schema: RESULT_SCHEMA,
      version: RESULT_SCHEMA_VERSION,
      id: resultId(createdAt, job),
      createdAt,
      studioVersion: machine.versions.studio,
      job,
      label: jobLabel(job),
      status,
      machine,
      ...(o.payload ?? { cost: o.cost, ...o.partial, samplesMs: [], flags: [] }),
      failure: o.failure,
    };
    const parsed = ResultSchema.safeParse(doc);
    if (parsed.success) return parsed.data;
    // A worker that measured nonsense (NaN statistics, say) is a failed job, not a crashed queue.
    const reason = `the worker's result does not match the result schema: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
    return ResultSchema.parse({
      ...doc,
      ...{ stats: undefined, nodes: undefined },
      status: 'failed',
      failure: { kind: 'error', reason },
    });
  }
}

/** A result's id: its creation time (compact) and its job's id. */
const resultId = (createdAt: string, job: JobSpec) => `${createdAt.replace(/[-:.]/g, '')}-${job.id}`;

/** Runs jobs to the end in a fresh queue: the simple API for the CLI. */
export async function runJobs(
  jobs: JobSpecInput[],
  opts: QueueOptions & { on?: Partial<{ [K in keyof QueueEvents]: Listener<K> }> } = {},
): Promise<BenchResult[]> {
  const q = new JobQueue(opts);
  for (const [k, cb] of Object.entries(opts.on ?? {})) q.on(k as keyof QueueEvents, cb as Listener<keyof QueueEvents>);
  q.add(jobs);
  return q.run();
}
