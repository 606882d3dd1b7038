// How a finished worker process is read: its message if it sent one, otherwise its exit (a kill
// by the queue, a kill by the operating system, a crash), with the last lines it printed.
import type { z } from 'zod';
import type { FailureSchema } from '../../shared/contract/result.js';
import type { ProcessExit } from '../process/spawner.js';

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

/** What a signal that ended a worker means, in words a user can act on. */
const SIGNALS: Record<string, string> = {
  SIGABRT: 'it aborted, usually a failed check inside native code (the runtime or the addon)',
  SIGSEGV: 'a memory access violation inside native code',
  SIGBUS: 'a bus error inside native code',
  SIGILL: 'an illegal instruction: native code built for a CPU feature this machine lacks',
  SIGFPE: 'an arithmetic fault inside native code',
  SIGTERM: 'it was terminated by another program or a user',
  SIGINT: 'it was interrupted',
};

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/**
 * The failure of a worker that ended without sending a result or failure message.
 * `killedBy` says whether the queue killed it (a cancel, the time limit, the memory limit);
 * `memory` is what the queue's watchdog last saw of the worker's resident memory, and the limit.
 */
export function classifyExit(o: {
  exit: ProcessExit;
  stderr: string;
  killedBy?: 'cancel' | 'timeout' | 'memory';
  timeLimitS: number;
  protocolError?: string;
  memory?: { lastRssBytes?: number; peakRssBytes?: number; limitBytes?: number };
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
  if (o.killedBy === 'memory')
    return {
      kind: 'oom',
      reason: `the job used ${mib(o.memory?.peakRssBytes ?? 0)} of memory, more than its limit of ${mib(o.memory?.limitBytes ?? 0)}, and was killed (lower the batch size, or raise the job memory limit)`,
      detail,
    };
  if (o.protocolError) return { kind: 'crash', reason: o.protocolError, detail };
  if (HEAP_OOM.test(stderr))
    return { kind: 'oom', reason: `the worker ran out of memory (${how}): ${stderr.match(HEAP_OOM)?.[0]}`, detail };
  // Not the studio's own watchdog (that is killedBy 'memory' above): a user's kill -9, another program,
  // or the operating system's out-of-memory killer, which a SIGKILL alone cannot tell apart.
  if (exit.signal === 'SIGKILL')
    return {
      kind: 'killed',
      reason:
        'the worker process was killed from outside the studio (SIGKILL), by a user, another program or the operating system' +
        `${o.memory?.lastRssBytes ? `; it last used ${mib(o.memory.lastRssBytes)} of memory` : ''}` +
        "; if the system ran out of memory, its log says so (dmesg, or journalctl -k: 'Out of memory: Killed process')",
      detail,
    };
  if (exit.code !== null && WINDOWS_OOM_CODES.has(exit.code >>> 0))
    return { kind: 'oom', reason: `the worker ran out of memory (${how})`, detail };
  const meaning = exit.signal ? SIGNALS[exit.signal] : undefined;
  return {
    kind: 'crash',
    reason: meaning
      ? `the worker crashed without a result (${how}): ${meaning}`
      : `the worker ${exit.signal ? 'was killed by' : 'exited with'} ${how} without a result`,
    detail,
  };
}
