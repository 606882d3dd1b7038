// Messages between the queue (parent) and a job worker (child process or Electron utility process).
// Both sides validate what they receive: the channel crosses a process boundary, and a worker
// that dies mid-write or a version mismatch must surface as a clear failure, not a bad result.
import { z } from 'zod';
import { JobSpecSchema } from '../../shared/contract/job.js';
import { FailureSchema, ResultSchema } from '../../shared/contract/result.js';

export const PHASES = ['load', 'session', 'cold', 'warmup', 'measure', 'profile'] as const;
export type Phase = (typeof PHASES)[number];

/** Parent -> worker: run this job (sent once, after the worker said it is ready). */
export const StartMessageSchema = z.object({ type: z.literal('start'), job: JobSpecSchema });
export const ParentMessageSchema = z.discriminatedUnion('type', [StartMessageSchema]);
export type ParentMessage = z.infer<typeof ParentMessageSchema>;

/** Worker -> parent: listening (messages sent before the child's listener exists would be lost). */
export const ReadyMessageSchema = z.object({ type: z.literal('ready'), pid: z.number().int() });

export const ProgressMessageSchema = z.object({
  type: z.literal('progress'),
  phase: z.enum(PHASES),
  /** Runs done in this phase (0 for phases that are not counted in runs). */
  done: z.number().int().min(0),
  total: z.number().int().min(0).optional(),
  /** Milliseconds since the phase began. */
  elapsedMs: z.number().min(0),
  /** Running median of the measured latencies so far (measure phase). */
  medianMs: z.number().min(0).optional(),
  /** The worker's resident memory when it sent this (the queue's memory watchdog where /proc is missing). */
  rssBytes: z.number().min(0).optional(),
});
export type ProgressMessage = z.infer<typeof ProgressMessageSchema>;

/** What the worker measured: the result minus what the parent knows (machine, ids, timestamps). */
export const WorkerPayloadSchema = ResultSchema.pick({
  runtime: true,
  cost: true,
  coldStart: true,
  warmup: true,
  samplesMs: true,
  stopReason: true,
  measuredMs: true,
  stats: true,
  memory: true,
  placement: true,
  nodes: true,
  deviceResident: true,
  phases: true,
  flags: true,
  notes: true,
  precision: true,
});
export type WorkerPayload = z.infer<typeof WorkerPayloadSchema>;

export const ResultMessageSchema = z.object({ type: z.literal('result'), payload: WorkerPayloadSchema });

/** The job failed inside the worker; `partial` carries what was known (the cost, memory so far). */
export const FailureMessageSchema = z.object({
  type: z.literal('failure'),
  failure: FailureSchema,
  partial: WorkerPayloadSchema.partial().optional(),
});

export const WorkerMessageSchema = z.discriminatedUnion('type', [
  ReadyMessageSchema,
  ProgressMessageSchema,
  ResultMessageSchema,
  FailureMessageSchema,
]);
export type WorkerMessage = z.infer<typeof WorkerMessageSchema>;

/** Test hook only: faults a worker injects when STUDIO_TEST_FAULT is set in its environment. */
export const TEST_FAULTS = ['crash', 'hang', 'sigkill', 'throw', 'native-abort', 'alloc'] as const;
export type TestFault = (typeof TEST_FAULTS)[number];
export const TEST_FAULT_ENV = 'STUDIO_TEST_FAULT';
/** The second switch of the 'native-abort' fault: the addon's testAbort() aborts only when this is "1". */
export const TEST_NATIVE_ABORT_ENV = 'STUDIO_TEST_NATIVE_ABORT';
/** The worker environment that injects a fault (both switches for 'native-abort'). */
export function testFaultEnv(fault: TestFault): Record<string, string> {
  return { [TEST_FAULT_ENV]: fault, ...(fault === 'native-abort' ? { [TEST_NATIVE_ABORT_ENV]: '1' } : {}) };
}
