// The queue board: what every view of the benchmark queue shows, kept by main from the bench
// service's events. A reload, a second window or a second browser tab asks for the board and then
// follows the same events, so every view shows the same runs with their labels, progress and
// outcomes, and a cancel acts on exactly what is shown. Ended runs stay until a view clears them
// (or the board's bounds push the oldest out); their results are saved either way. Jobs cancelled
// before they started are not saved as files (services/bench.ts): the board is where they show, as
// cancelled, with the run's counts. Every event is O(1) (rows by job id): a run of 10,000 jobs
// cancelled at once must not cost 10,000 scans of the board.
import type { BenchJobView, BenchQueueView, BenchRunView } from '../../shared/contract/api.js';
import { jobLabel } from '../../shared/contract/job.js';
import type { BenchResult } from '../../shared/contract/result.js';
import type { BenchService } from './bench.js';

/** Ended runs kept on the board at most (the oldest go first); active runs are never dropped. */
export const BOARD_MAX_ENDED_RUNS = 50;
/** Job rows of ended runs kept at most: a sweep of thousands of jobs must not grow main without bound. */
export const BOARD_MAX_ENDED_JOBS = 5000;

function failureText(r: BenchResult): string | undefined {
  const f = r.failure;
  if (!f) return r.status === 'ok' ? undefined : r.status;
  return `${f.kind}: ${f.reason}${f.detail ? ` (${f.detail})` : ''}`;
}

export class BenchBoard {
  private readonly runs = new Map<string, BenchRunView>();
  /** Job rows by run, in queue order. */
  private readonly jobsOfRun = new Map<string, BenchJobView[]>();
  private readonly jobs = new Map<string, BenchJobView>();
  private readonly unsubscribe: (() => void)[];

  constructor(service: BenchService) {
    this.unsubscribe = [
      service.on('run-start', ({ runId, startedAt, jobs, refused }) => {
        this.runs.set(runId, {
          runId,
          startedAt,
          ended: false,
          refused: refused.map(({ index, label, reason }) => ({ index, label, reason })),
        });
        const rows = jobs.map((j) => ({ id: j.id, runId, label: jobLabel(j), status: 'queued' as const, fraction: 0 }));
        this.jobsOfRun.set(runId, rows);
        for (const row of rows) this.jobs.set(row.id, row);
      }),
      service.on('job-start', ({ job, label }) => {
        const row = this.jobs.get(job.id);
        if (!row) return;
        row.label = label || row.label;
        if (row.status === 'queued') row.status = 'running';
        row.phase = 'starting';
      }),
      service.on('progress', ({ job, progress, fraction }) => {
        const row = this.jobs.get(job.id);
        if (!row || (row.status !== 'queued' && row.status !== 'running')) return;
        row.status = 'running';
        row.phase = progress.phase;
        if (progress.phase === 'measure') {
          row.runs = progress.done;
          if (progress.medianMs !== undefined) row.median = progress.medianMs;
          if (fraction !== undefined) row.fraction = Math.max(0, Math.min(1, fraction));
        }
      }),
      service.on('job-end', ({ job, result }) => {
        const row = this.jobs.get(job.id);
        if (!row) return;
        row.status = result.status;
        delete row.phase;
        delete row.cancelRequested;
        row.resultId = result.id;
        if (result.stats) {
          row.runs = result.stats.n;
          row.median = result.stats.p50;
        }
        if (result.status === 'ok') row.fraction = 1;
        const error = failureText(result);
        if (error) row.error = error;
        if (result.failure) row.failureKind = result.failure.kind;
      }),
      service.on('run-end', ({ runId, counts }) => {
        const run = this.runs.get(runId);
        if (!run) return;
        run.ended = true;
        run.counts = { ...counts };
        // Every job ends with job-end before run-end; a row still open did not run.
        for (const row of this.jobsOfRun.get(runId) ?? [])
          if (row.status === 'queued' || row.status === 'running') {
            row.status = 'cancelled';
            delete row.phase;
            delete row.cancelRequested;
          }
        this.bound();
      }),
    ];
  }

  /** Marks jobs whose cancel was asked (shown as cancelling in every view until they end). */
  cancelling(runId: string, jobId?: string): string[] {
    const rows = (this.jobsOfRun.get(runId) ?? []).filter(
      (j) => (jobId === undefined || j.id === jobId) && (j.status === 'queued' || j.status === 'running'),
    );
    for (const row of rows) row.cancelRequested = true;
    return rows.map((r) => r.id);
  }

  /** The active runs' ids (what "Cancel all" cancels). */
  activeRuns(): string[] {
    return [...this.runs.values()].filter((r) => !r.ended).map((r) => r.runId);
  }

  /** A copy: views never hold the board's own objects. */
  snapshot(): BenchQueueView {
    const runs = [...this.runs.values()];
    return {
      runs: runs.map((r) => ({ ...r, refused: r.refused.map((x) => ({ ...x })), counts: r.counts && { ...r.counts } })),
      jobs: runs.flatMap((r) => (this.jobsOfRun.get(r.runId) ?? []).map((j) => ({ ...j }))),
    };
  }

  /** Forgets the ended runs; returns their ids. */
  clearFinished(): string[] {
    const ended = [...this.runs.values()].filter((r) => r.ended).map((r) => r.runId);
    for (const id of ended) this.forget(id);
    return ended;
  }

  dispose(): void {
    for (const u of this.unsubscribe) u();
  }

  private forget(runId: string): void {
    for (const j of this.jobsOfRun.get(runId) ?? []) this.jobs.delete(j.id);
    this.jobsOfRun.delete(runId);
    this.runs.delete(runId);
  }

  /** Drops the oldest ended runs beyond the bounds. */
  private bound(): void {
    const ended = [...this.runs.values()].filter((r) => r.ended);
    let jobs = ended.reduce((n, r) => n + (this.jobsOfRun.get(r.runId)?.length ?? 0), 0);
    let runs = ended.length;
    // The run that just ended stays, however big: its view must not vanish under the user.
    for (const r of ended.slice(0, -1)) {
      if (runs <= BOARD_MAX_ENDED_RUNS && jobs <= BOARD_MAX_ENDED_JOBS) break;
      jobs -= this.jobsOfRun.get(r.runId)?.length ?? 0;
      runs--;
      this.forget(r.runId);
    }
  }
}
