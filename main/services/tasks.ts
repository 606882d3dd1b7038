// The accuracy and lab services: a task spec in, progress out, the result saved in the results
// folder's accuracy/ or lab/ sub-folder the moment it arrives. The CLI and the app's API drive the
// same handlers (main/tasks/handlers.ts) and the same saving, one task at a time: accuracy and the
// lab each keep every core busy, so a second task is refused rather than slowed to a crawl.
//
// Where a task runs is the caller's choice: in a task worker process (the app: a crash, a hang or a
// cancel kills the worker, never the app), or in this process (a one-off CLI process, where errors
// keep their StudioError codes and nothing is shared with another task).
import { randomBytes } from 'node:crypto';
import type { AccuracyResult } from '../../shared/contract/accuracy.js';
import type { LabResult } from '../../shared/contract/lab.js';
import type { LayerErrorReport } from '../../shared/contract/layer-error.js';
import { StudioError } from '../../shared/ir/types.js';
import type { Spawner } from '../process/spawner.js';
import type { TaskKind, TaskProgress } from '../process/task-protocol.js';
import { TASK_HANDLERS } from '../tasks/handlers.js';
import { runTask } from '../tasks/run-task.js';
import type { ResultsService } from './results.js';

export { TaskCancelledError } from '../tasks/run-task.js';

export interface TaskResultOf {
  accuracy: AccuracyResult;
  lab: LabResult;
  /** Not saved: a diagnostic that the same target, precision, seed and samples give again. */
  'layer-error': LayerErrorReport;
}

export interface TaskOutcome<K extends TaskKind> {
  taskId: string;
  kind: K;
  /** The result as saved (with its id), or as returned when it could not be saved. */
  value: TaskResultOf[K];
  /** Where it was saved; absent with `save: false` or when saving failed (then `saveError` says why). */
  savedTo?: string;
  saveError?: string;
}

export interface TaskHooks {
  onProgress?: (p: TaskProgress) => void;
  signal?: AbortSignal;
  /** Keep the result out of the results folder (the CLI's --no-save). */
  save?: boolean;
}

export interface TaskServiceOptions {
  results: ResultsService;
  /** 'process' (default): each task in a fresh task worker; 'none': in this process. */
  isolation?: 'process' | 'none';
  /** Starts task workers (default: a child process; Electron passes a utilityProcess one). */
  spawner?: Spawner;
}

export class TaskService {
  private running: { id: string; kind: TaskKind } | undefined;

  constructor(private readonly opts: TaskServiceOptions) {}

  get runningTask(): { id: string; kind: TaskKind } | undefined {
    return this.running && { ...this.running };
  }

  /**
   * Starts a task and returns its id at once; `done` settles with the outcome (saved already), or
   * rejects with the task's error (TaskCancelledError when cancelled through the signal).
   */
  start<K extends TaskKind>(
    kind: K,
    spec: unknown,
    hooks: TaskHooks = {},
  ): { taskId: string; done: Promise<TaskOutcome<K>> } {
    if (this.running)
      throw new StudioError(
        `a ${this.running.kind} task is running; wait for it to end or cancel it before starting another`,
        'refused',
      );
    const taskId = `task-${randomBytes(6).toString('hex')}`;
    this.running = { id: taskId, kind };
    const done = this.execute(kind, spec, hooks)
      .then((value) => this.save(taskId, kind, value as TaskResultOf[K], hooks.save ?? true))
      .finally(() => {
        if (this.running?.id === taskId) this.running = undefined;
      });
    return { taskId, done };
  }

  /** Runs a task to its end (start + done). */
  run<K extends TaskKind>(kind: K, spec: unknown, hooks: TaskHooks = {}): Promise<TaskOutcome<K>> {
    return this.start(kind, spec, hooks).done;
  }

  private async execute(kind: TaskKind, spec: unknown, hooks: TaskHooks): Promise<unknown> {
    if ((this.opts.isolation ?? 'process') === 'process')
      return runTask(kind, spec, { spawner: this.opts.spawner, signal: hooks.signal, onProgress: hooks.onProgress });
    // In this process: the same handler a worker runs, with the same progress messages.
    const handler = await TASK_HANDLERS[kind]();
    const t0 = performance.now();
    return handler(spec, {
      progress: (p) => hooks.onProgress?.({ ...p, elapsedMs: performance.now() - t0 }),
    });
  }

  private save<K extends TaskKind>(taskId: string, kind: K, value: TaskResultOf[K], save: boolean): TaskOutcome<K> {
    if (!save || kind === 'layer-error') return { taskId, kind, value };
    try {
      const { results } = this.opts;
      const saved =
        kind === 'accuracy' ? results.accuracy.save(value as AccuracyResult) : results.lab.save(value as LabResult);
      return { taskId, kind, value: saved.doc as TaskResultOf[K], savedTo: saved.path };
    } catch (e) {
      return { taskId, kind, value, saveError: `the result could not be saved: ${(e as Error).message}` };
    }
  }
}
