// How a finished worker process is read: its message if it sent one, otherwise its exit (a kill
// by the queue, a kill by the operating system, a crash), with the last lines it printed.
import type { z } from 'zod';
import type { FailureSchema } from '../../shared/contract/result.js';
import type { ProcessExit } from './spawner.js';

export type Failure = z.infer<typeof FailureSchema>;

/** Keeps the last `maxLines` lines of a stream (and at most `maxChars` characters of them). */
export class TailBuffer {
  private text = '';
  constructor(
    private readonly maxLines = 30,
    private readonly maxChars = 8000,
  ) {}
  push(chunk: string): void {
    this.text += chunk;
    if (this.text.length > this.maxChars * 2) this.text = this.text.slice(-this.maxChars);
  }
  lines(): string {
    return this.text.trimEnd().split('\n').slice(-this.maxLines).join('\n').slice(-this.maxChars);
  }
}

const HEAP_OOM =
  /JavaScript heap out of memory|Reached heap limit|Allocation failed|std::bad_alloc|Cannot allocate memory|out of memory/i;
/** Windows reports memory exhaustion as an NTSTATUS exit code (STATUS_NO_MEMORY, commit limit). */
const WINDOWS_OOM_CODES = new Set([0xc0000017, 0xc000012d]);

/**
 * The failure of a worker that ended without sending a result or failure message.
 * `killedBy` says whether the queue killed it (a cancel or the time limit).
 */
export function classifyExit(o: {
  exit: ProcessExit;
  stderr: string;
  killedBy?: 'cancel' | 'timeout';
  timeLimitS: number;
  protocolError?: string;
}): Failure {
  const { exit, stderr } = o;
  const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
  const detail = stderr ? `last output of the worker:\n${stderr}` : undefined;
  if (o.killedBy === 'cancel') return { kind: 'cancelled', reason: 'cancelled by the user; the worker was killed' };
  if (o.killedBy === 'timeout')
    return {
      kind: 'timeout',
      reason: `the job passed its time limit of ${o.timeLimitS} s and was killed (raise timeLimitS, or lower measure.maxTimeS)`,
      detail,
    };
  if (o.protocolError) return { kind: 'crash', reason: o.protocolError, detail };
  if (HEAP_OOM.test(stderr))
    return { kind: 'oom', reason: `the worker ran out of memory (${how}): ${stderr.match(HEAP_OOM)?.[0]}`, detail };
  if (exit.signal === 'SIGKILL')
    return {
      kind: 'oom',
      reason:
        "the worker was killed by SIGKILL from outside the studio, most likely by the operating system's out-of-memory killer",
      detail,
    };
  if (exit.code !== null && WINDOWS_OOM_CODES.has(exit.code >>> 0))
    return { kind: 'oom', reason: `the worker ran out of memory (${how})`, detail };
  return {
    kind: 'crash',
    reason: `the worker ${exit.signal ? 'was killed by' : 'exited with'} ${how} without a result`,
    detail,
  };
}
