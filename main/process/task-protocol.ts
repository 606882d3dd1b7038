// Messages between the app and a task worker: the long jobs that are not latency measurements
// (accuracy over a labeled data set, the bottleneck-feature lab's extraction and training). They
// run in their own process, as benchmark jobs do, so that a training loop never blocks the
// window or the web server, and a crash or a cancel (SIGKILL) leaves the app as it was.
// Both sides validate what they receive: the channel crosses a process boundary.
import { z } from 'zod';
import { FailureSchema } from '../../shared/contract/result.js';

export const TASK_KINDS = ['accuracy', 'lab', 'layer-error'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** Parent -> worker: run this task (sent once, after the worker said it is ready). */
export const TaskStartMessageSchema = z.object({
  type: z.literal('task'),
  kind: z.enum(TASK_KINDS),
  /** Validated by the task's own schema in the worker (tasks/handlers.ts). */
  spec: z.unknown(),
});
export type TaskStartMessage = z.infer<typeof TaskStartMessageSchema>;

export const TaskProgressSchema = z.object({
  /** What the task is doing: 'features', 'train:gap', 'evaluate'... */
  phase: z.string().min(1).max(100),
  /** One line for a person. */
  message: z.string().max(2000),
  /** 0..1 of the phase, when the task knows it. */
  fraction: z.number().min(0).max(1).optional(),
  /** Items done and in all (images), when the phase counts them: terminal progress bars show them. */
  done: z.number().int().min(0).optional(),
  total: z.number().int().min(0).optional(),
  /** Lab features: read from the feature cache rather than extracted. */
  cached: z.boolean().optional(),
  /** Lab export: the file an exported classifier was written to. */
  path: z.string().max(4096).optional(),
  /** Milliseconds since the task started. */
  elapsedMs: z.number().min(0),
  /** Lab training: the epoch just finished (the app draws the training curves from these). */
  epoch: z
    .object({
      head: z.string().min(1).max(20),
      epoch: z.number().int().min(0),
      epochs: z.number().int().min(0),
      trainLoss: z.number(),
      valLoss: z.number(),
      valAccuracy: z.number(),
    })
    .optional(),
});
export type TaskProgress = z.infer<typeof TaskProgressSchema>;

export const TaskWorkerMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), pid: z.number().int() }),
  z.object({ type: z.literal('task-progress'), progress: TaskProgressSchema }),
  z.object({ type: z.literal('task-result'), value: z.unknown() }),
  z.object({ type: z.literal('failure'), failure: FailureSchema }),
]);
export type TaskWorkerMessage = z.infer<typeof TaskWorkerMessageSchema>;
