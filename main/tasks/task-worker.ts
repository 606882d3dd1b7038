// The task worker: one task per process, started through a Spawner (process/spawner.ts) with this
// module's path. It says 'ready', receives one 'task', streams progress, sends one result or
// failure, and exits. Killing it (cancel, window closed) leaves nothing behind: it starts no
// processes of its own.
import { RefusedError } from '../backends/backend.js';
import { openWorkerChannel } from '../process/channel.js';
import { TASK_HANDLERS } from './handlers.js';
import { TaskStartMessageSchema, type TaskProgress, type TaskWorkerMessage } from '../process/task-protocol.js';

/** Progress messages at most this often (a training loop may report every mini-batch). */
const PROGRESS_INTERVAL_MS = 100;

function failureOf(e: unknown): { kind: 'refused' | 'error'; reason: string; detail?: string } {
  if (e instanceof RefusedError) return { kind: 'refused', reason: e.message };
  const err = e instanceof Error ? e : new Error(String(e));
  return { kind: 'error', reason: err.message, detail: err.name === 'StudioError' ? undefined : err.stack };
}

function main(): void {
  const channel = openWorkerChannel<TaskWorkerMessage>();
  const finish = async (msg: TaskWorkerMessage, code: number) => {
    try {
      await channel.send(msg);
    } finally {
      process.exit(code);
    }
  };
  const fail = (e: unknown) => finish({ type: 'failure', failure: failureOf(e) }, 0);
  process.on('disconnect', () => process.exit(1));
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  let started = false;
  channel.onMessage((raw) => {
    const parsed = TaskStartMessageSchema.safeParse(raw);
    if (!parsed.success || started) {
      const why = started ? 'a second task message' : parsed.error?.issues.map((i) => i.message).join('; ');
      void fail(new Error(`the task worker received an invalid message: ${why}`));
      return;
    }
    started = true;
    const t0 = performance.now();
    let last = -Infinity;
    const progress = (p: Omit<TaskProgress, 'elapsedMs'>, force = false) => {
      const now = performance.now();
      if (!force && now - last < PROGRESS_INTERVAL_MS && (p.fraction ?? 0) < 1) return;
      last = now;
      void channel.send({ type: 'task-progress', progress: { ...p, elapsedMs: now - t0 } }).catch(() => {});
    };
    TASK_HANDLERS[parsed.data.kind]()
      .then((handler) => handler(parsed.data.spec, { progress }))
      .then(
        (value) => finish({ type: 'task-result', value }, 0),
        (e) => fail(e),
      );
  });
  void channel.send({ type: 'ready', pid: process.pid });
}

main();
