// bench.start and bench.cancel over the bench service (services/bench.ts): this face only turns an
// API request into a BenchSpec (files by handle, never by path) and the service's events into the
// API's events. The jobs, their rules, saving and the flags repetitions reveal are the service's,
// the same as the CLI's.
import type { ApiEvents, ApiResponse, ApiTarget, BenchQueueView, BenchRequest } from '../../shared/contract/api.js';
import { BenchRequestSchema } from '../../shared/contract/api.js';
import { jobLabel, type Target } from '../../shared/contract/job.js';
import { BenchBoard } from '../services/bench-board.js';
import { BenchService, type BenchServiceOptions } from '../services/bench.js';
import { ApiError, toApiError } from './errors.js';

type Emit = <E extends keyof ApiEvents>(event: E, payload: ApiEvents[E]) => void;

export interface BenchRunsOptions extends BenchServiceOptions {
  emit: Emit;
  /** Handle -> path of an opened model file (throws ApiError 'not-found' for an unknown handle). */
  pathOf: (fileId: string) => string;
}

export class BenchRuns {
  readonly service: BenchService;
  /** The queue as every view shows it (a reload or a second tab asks for it: bench.queue). */
  readonly board: BenchBoard;
  private disposed = false;

  constructor(private readonly opts: BenchRunsOptions) {
    this.service = new BenchService(opts);
    // Before the face's own listeners: a view told of an event and asking for the board at once sees it there.
    this.board = new BenchBoard(this.service);
    const { emit } = opts;
    this.service.on('run-start', ({ runId, startedAt, jobs, refused }) =>
      emit('bench.run-start', {
        runId,
        startedAt,
        jobs: jobs.map((j) => ({ id: j.id, label: jobLabel(j) })),
        refused: refused.map(({ index, label, reason }) => ({ index, label, reason })),
      }),
    );
    this.service.on('job-start', ({ runId, job, label, index, total }) =>
      emit('bench.job-start', { runId, jobId: job.id, label, index, total }),
    );
    this.service.on('progress', ({ runId, job, progress, fraction }) => {
      const measuring = progress.phase === 'measure';
      emit('bench.progress', {
        runId,
        jobId: job.id,
        phase: progress.phase,
        ...(measuring ? { runs: progress.done } : {}),
        ...(measuring && progress.medianMs !== undefined ? { median: progress.medianMs } : {}),
        ...(measuring ? { fraction } : {}),
      });
    });
    this.service.on('job-end', ({ runId, job, result }) => emit('bench.job-end', { runId, jobId: job.id, result }));
    this.service.on('saved', ({ result }) => emit('results.changed', { ids: [result.id] }));
    this.service.on('run-end', ({ runId, counts }) => emit('bench.run-end', { runId, ...counts }));
  }

  /**
   * Validates, expands and queues a sweep; returns at once with the run's id, its jobs and the
   * targets refused with their reasons (the others run: one bad row of a form never sinks the rest).
   */
  start(request: BenchRequest): ApiResponse<'bench.start'> {
    if (this.disposed) throw new ApiError('refused', 'the studio is shutting down; no new benchmark can start');
    const req = BenchRequestSchema.parse(request);
    const targets = req.targets.map((t) => this.toTarget(t));
    try {
      const run = this.service.start({
        targets,
        backends: req.backends,
        batches: req.batches,
        threads: req.threads,
        precisions: req.precision,
        calibration: req.calibration,
        repetitions: req.repetitions,
        scenario: req.scenario,
        measure: req.measure,
        timeLimitS: req.timeLimitS,
        seed: req.seed,
        badTargets: 'skip',
      });
      return {
        runId: run.id,
        jobs: run.jobs.map((j) => ({ id: j.id, label: jobLabel(j) })),
        refused: run.refused.map(({ index, label, reason }) => ({ index, label, reason })),
      };
    } catch (e) {
      const err = toApiError(e, 'bench.start');
      // The service names a file target by its file name; the renderer knows it by its handle.
      throw new ApiError(
        err.code === 'internal' ? 'bad-request' : err.code,
        this.withHandles(err.message, req.targets),
      );
    }
  }

  /** Cancels one job of a run, or every job of the run not yet ended; returns how many were cancelled. */
  cancel(runId: string, jobId?: string): number {
    const n = this.service.cancel(runId, jobId);
    const jobIds = this.board.cancelling(runId, jobId);
    if (jobIds.length) this.opts.emit('bench.cancelling', { runId, jobIds });
    return n;
  }

  queue(): BenchQueueView {
    return this.board.snapshot();
  }

  clearFinished(): number {
    const runIds = this.board.clearFinished();
    if (runIds.length) this.opts.emit('bench.cleared', { runIds });
    return runIds.length;
  }

  /** The worker process of the job running now (tests check that none is left behind). */
  get activePid(): number | undefined {
    return this.service.activePid;
  }

  async dispose(timeoutMs = 5000): Promise<void> {
    this.disposed = true;
    await this.service.dispose(timeoutMs);
    this.board.dispose();
  }

  private toTarget(t: ApiTarget): Target {
    if (t.kind === 'file') return { kind: 'file', path: this.opts.pathOf(t.fileId), dims: t.dims ?? {} };
    if (t.kind === 'model') return { kind: 'model', name: t.name, variant: t.variant, params: t.params ?? {} };
    return { kind: 'block', name: t.name, params: t.params ?? {} };
  }

  private withHandles(message: string, asked: ApiTarget[]): string {
    return message.replace(/^targets\[(\d+)\] \(file [^)]*\)/, (whole, i: string) => {
      const t = asked[Number(i)];
      return t?.kind === 'file' ? `targets[${i}] (file ${t.fileId})` : whole;
    });
  }
}
