// Benchmark runs behind the API: one JobQueue for the whole app, so that a run started while
// another is measuring waits behind it (one job at a time on the machine: two jobs measured at
// once would each disturb the other's numbers). A run is the API's unit (one bench.start); the
// queue only knows jobs, so this file keeps which jobs belong to which run and turns queue events
// into the API's events.
import { randomBytes } from 'node:crypto';
import type { ApiEvents, ApiTarget, BenchRequest } from '../../shared/contract/api.js';
import { BenchRequestSchema } from '../../shared/contract/api.js';
import { jobLabel, JobSpecSchema, JOB_SCHEMA_VERSION, type JobSpec, type Target } from '../../shared/contract/job.js';
import type { MachineProfile } from '../../shared/contract/machine.js';
import type { BenchResult } from '../../shared/contract/result.js';
import { expandSweep } from '../../shared/bench/sweep.js';
import { JobQueue } from '../engine/queue.js';
import { resolveJob } from '../engine/resolve.js';
import type { Spawner } from '../process/spawner.js';
import type { ProgressMessage } from '../process/job-protocol.js';
import type { ResultsStore } from '../store/results-store.js';
import { ApiError, toApiError } from './errors.js';

type Emit = <E extends keyof ApiEvents>(event: E, payload: ApiEvents[E]) => void;

export interface BenchRunsOptions {
  store: ResultsStore;
  emit: Emit;
  /** Handle -> path of an opened model file (throws ApiError 'not-found' for an unknown handle). */
  pathOf: (fileId: string) => string;
  spawner?: Spawner;
  machine?: () => Promise<MachineProfile>;
  availableMemory?: () => Promise<number | undefined>;
  /** Test hook forwarded to the queue (STUDIO_TEST_FAULT). */
  workerEnv?: (job: JobSpec) => Record<string, string> | undefined;
}

interface Run {
  id: string;
  jobs: JobSpec[];
  ended: Set<string>;
  counts: { ok: number; failed: number; cancelled: number };
}

/** Progress of the measuring phase as a share of its expected length: both minRuns and minTimeS must be reached. */
export function measureFraction(p: ProgressMessage, job: JobSpec): number | undefined {
  if (p.phase !== 'measure') return undefined;
  const m = job.measure;
  const byRuns = p.done / m.minRuns;
  const byTime = m.minTimeS > 0 ? p.elapsedMs / (m.minTimeS * 1000) : 1;
  return Math.max(0, Math.min(1, byRuns, byTime));
}

let runCounter = 0;

export class BenchRuns {
  private readonly queue: JobQueue;
  private readonly runs = new Map<string, Run>();
  private readonly runOfJob = new Map<string, Run>();
  private loop?: Promise<unknown>;
  private outstanding = 0;
  private disposed = false;

  constructor(private readonly opts: BenchRunsOptions) {
    this.queue = new JobQueue({
      spawner: opts.spawner,
      machine: opts.machine,
      availableMemory: opts.availableMemory,
      workerEnv: opts.workerEnv,
      onResult: (r) => this.saved(r),
    });
    this.queue.on('job-start', ({ job, label }) => {
      const run = this.runOfJob.get(job.id);
      if (!run) return;
      const index = run.jobs.findIndex((j) => j.id === job.id);
      opts.emit('bench.job-start', { runId: run.id, jobId: job.id, label, index, total: run.jobs.length });
    });
    this.queue.on('progress', ({ job, progress }) => {
      const run = this.runOfJob.get(job.id);
      if (!run) return;
      const measuring = progress.phase === 'measure';
      opts.emit('bench.progress', {
        runId: run.id,
        jobId: job.id,
        phase: progress.phase,
        ...(measuring ? { runs: progress.done } : {}),
        ...(measuring && progress.medianMs !== undefined ? { median: progress.medianMs } : {}),
        ...(measuring ? { fraction: measureFraction(progress, job) } : {}),
      });
    });
    this.queue.on('job-end', ({ job, result }) => {
      const run = this.runOfJob.get(job.id);
      if (run) opts.emit('bench.job-end', { runId: run.id, jobId: job.id, result });
    });
  }

  /** Validates, expands and queues a sweep; returns at once with the run's id and jobs. */
  start(request: BenchRequest): { runId: string; jobs: { id: string; label: string }[] } {
    if (this.disposed) throw new ApiError('refused', 'the studio is shutting down; no new benchmark can start');
    const req = BenchRequestSchema.parse(request);
    const targets = req.targets.map((t) => this.toTarget(t));
    const runId = `run-${Date.now().toString(36)}-${(runCounter++).toString(36)}${randomBytes(3).toString('hex')}`;
    let jobs: JobSpec[];
    try {
      jobs = expandSweep({
        targets,
        backends: req.backends,
        batches: req.batches,
        threads: req.threads,
        repetitions: req.repetitions,
        measure: req.measure,
        timeLimitS: req.timeLimitS,
        seed: req.seed,
        precisions: req.precision,
        calibration: req.calibration,
        group: runId,
        idPrefix: runId,
      }).map((j) => ({ ...j, scenario: req.scenario }));
    } catch (e) {
      throw toApiError(e, 'bench.start');
    }
    this.preflight(targets, req.targets, req.batches);
    const run: Run = { id: runId, jobs, ended: new Set(), counts: { ok: 0, failed: 0, cancelled: 0 } };
    this.queue.add(jobs);
    this.runs.set(runId, run);
    for (const j of jobs) this.runOfJob.set(j.id, run);
    this.outstanding += jobs.length;
    this.kick();
    return { runId, jobs: jobs.map((j) => ({ id: j.id, label: jobLabel(j) })) };
  }

  /** Cancels one job of a run, or every job of the run not yet ended; returns how many were cancelled. */
  cancel(runId: string, jobId?: string): number {
    const run = this.runs.get(runId);
    if (!run)
      throw new ApiError('not-found', `no benchmark run '${runId}' (it may have ended long ago, or the app restarted)`);
    if (jobId !== undefined) {
      if (!run.jobs.some((j) => j.id === jobId))
        throw new ApiError('not-found', `run '${runId}' has no job '${jobId}'`);
      return !run.ended.has(jobId) && this.queue.cancel(jobId) ? 1 : 0;
    }
    let n = 0;
    // The running job last: cancelling it first would let the queue start the next one meanwhile.
    const active = this.queue.active?.jobId;
    for (const j of run.jobs) if (j.id !== active && !run.ended.has(j.id) && this.queue.cancel(j.id)) n++;
    if (active && this.runOfJob.get(active) === run && this.queue.cancel(active)) n++;
    return n;
  }

  /** The worker process of the job running now (tests check that none is left behind). */
  get activePid(): number | undefined {
    return this.queue.active?.pid;
  }

  /** Cancels everything (workers killed at once) and waits, a bounded time, for the queue to settle. */
  async dispose(timeoutMs = 5000): Promise<void> {
    this.disposed = true;
    this.queue.cancelAll();
    if (this.loop) await Promise.race([this.loop, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  private toTarget(t: ApiTarget): Target {
    if (t.kind === 'file') return { kind: 'file', path: this.opts.pathOf(t.fileId), dims: t.dims ?? {} };
    if (t.kind === 'model') return { kind: 'model', name: t.name, variant: t.variant, params: t.params ?? {} };
    return { kind: 'block', name: t.name, params: t.params ?? {} };
  }

  /**
   * Builds each distinct target at each batch here, before anything is queued: an unknown block,
   * a bad parameter or an unreadable file is an immediate error naming the target, not a failed
   * job discovered minutes later.
   */
  private preflight(targets: Target[], asked: ApiTarget[], batches: number[]): void {
    targets.forEach((target, i) => {
      for (const batch of batches) {
        try {
          const probe = JobSpecSchema.parse({
            version: JOB_SCHEMA_VERSION,
            id: 'preflight',
            target,
            batch,
            backend: { backend: 'ort-cpu' },
          });
          resolveJob(probe);
        } catch (e) {
          const err = toApiError(e, 'bench.start');
          throw new ApiError(
            err.code === 'internal' ? 'bad-request' : err.code,
            `targets[${i}] (${describeTarget(asked[i])}) at batch ${batch}: ${err.message}`,
          );
        }
      }
    });
  }

  private kick(): void {
    if (this.loop || this.disposed) return;
    this.loop = this.queue
      .run()
      .catch((e) => console.error(`the benchmark queue stopped: ${(e as Error).message}`))
      .finally(() => {
        this.loop = undefined;
        // Jobs added while the queue was finishing its last job are picked up by a fresh loop.
        if (this.outstanding > 0) this.kick();
      });
  }

  private saved(result: BenchResult): void {
    const run = this.runOfJob.get(result.job.id);
    this.outstanding = Math.max(0, this.outstanding - 1);
    try {
      this.opts.store.save(result);
      this.opts.emit('results.changed', { ids: [result.id] });
    } catch (e) {
      // A result that cannot be saved (disk full) must not stop the queue: the renderer still got
      // it with bench.job-end; the log says why it is not in the results folder.
      console.error(`could not save result ${result.id}: ${(e as Error).message}`);
    }
    if (!run) return;
    run.ended.add(result.job.id);
    run.counts[result.status]++;
    this.runOfJob.delete(result.job.id);
    if (run.ended.size === run.jobs.length) {
      this.opts.emit('bench.run-end', { runId: run.id, ...run.counts });
      // Kept a while for late cancels (answered with 0), then forgotten.
      setTimeout(() => this.runs.delete(run.id), 10 * 60_000).unref();
    }
  }
}

function describeTarget(t: ApiTarget): string {
  if (t.kind === 'file') return `file ${t.fileId}`;
  const params = Object.entries(t.params ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${t.kind} ${t.name}${t.kind === 'model' && t.variant ? `/${t.variant}` : ''}${params ? `:${params}` : ''}`;
}
