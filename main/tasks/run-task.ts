// The parent side of a task (protocol.ts): starts a task worker through a Spawner (a forked
// child process under Node, a utilityProcess in Electron), relays its progress, resolves with
// its result, and kills it on cancel or when it runs past its time limit.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RefusedError } from '../backends/backend.js';
import { NodeSpawner, type Spawner } from '../process/spawner.js';
import { TaskWorkerMessageSchema, type TaskKind, type TaskProgress } from '../process/task-protocol.js';

/** The task worker next to this file: the compiled .js in a build, else the .ts source (tsx). */
export function defaultTaskWorkerPath(): string {
  const js = fileURLToPath(new URL('./task-worker.js', import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL('./task-worker.ts', import.meta.url));
}

export class TaskCancelledError extends Error {
  constructor() {
    super('the task was cancelled');
    this.name = 'TaskCancelledError';
  }
}

export interface RunTaskOptions {
  spawner?: Spawner;
  onProgress?: (p: TaskProgress) => void;
  signal?: AbortSignal;
  /** The worker is killed past this many seconds (default: 2 hours; a long training run is normal). */
  timeLimitS?: number;
}

/** Runs one task in a fresh worker process; rejects with the worker's failure as an Error. */
export function runTask(kind: TaskKind, spec: unknown, opts: RunTaskOptions = {}): Promise<unknown> {
  const spawner = opts.spawner ?? new NodeSpawner(defaultTaskWorkerPath());
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new TaskCancelledError());
    const child = spawner.start();
    let stderr = '';
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      child.kill();
      f();
    };
    const onAbort = () => settle(() => reject(new TaskCancelledError()));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const limitS = opts.timeLimitS ?? 7200;
    const timer = setTimeout(
      () => settle(() => reject(new Error(`the ${kind} task ran past its time limit of ${limitS} s and was stopped`))),
      limitS * 1000,
    );
    child.onStderr((t) => (stderr = (stderr + t).slice(-4000)));
    child.onMessage((raw) => {
      const parsed = TaskWorkerMessageSchema.safeParse(raw);
      if (!parsed.success) return settle(() => reject(new Error(`the ${kind} task worker sent an invalid message`)));
      const msg = parsed.data;
      switch (msg.type) {
        case 'ready':
          child.send({ type: 'task', kind, spec });
          return;
        case 'task-progress':
          opts.onProgress?.(msg.progress);
          return;
        case 'task-result':
          return settle(() => resolve(msg.value));
        case 'failure': {
          const f = msg.failure;
          return settle(() => reject(f.kind === 'refused' ? new RefusedError(f.reason) : new Error(f.reason)));
        }
      }
    });
    void child.exited.then(({ code, signal }) =>
      settle(() =>
        reject(
          new Error(
            `the ${kind} task worker exited (${signal ?? `code ${code}`}) without a result${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`,
          ),
        ),
      ),
    );
  });
}
