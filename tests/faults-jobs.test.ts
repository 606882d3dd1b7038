// Workers that die in every way a real one can: a native abort inside the C++ addon (its test-only
// testAbort switch), a hang past the time limit, native memory past the job memory limit (the
// queue's resident-memory watchdog), a SIGKILL from outside. Each must end as a failed result that
// says why in words a user understands, the queue must go on to the next job, and no process may
// be left behind (the children of this test process are counted before and after).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { JobSpecInput } from '../shared/contract/job.js';
import { ResultSchema } from '../shared/contract/result.js';
import { JobQueue } from '../main/engine/queue.js';
import { testFaultEnv, type TestFault } from '../main/process/job-protocol.js';

const measure = { warmupRuns: 0, minRuns: 1, minTimeS: 0, maxTimeS: 1 };
const job = (id: string, over: Partial<JobSpecInput> = {}): JobSpecInput => ({
  version: 1,
  id,
  target: { kind: 'block', name: 'pointwise', params: { height: 8, width: 8 } },
  backend: { backend: 'ort-cpu', intraOpThreads: 1 },
  measure,
  timeLimitS: 60,
  ...over,
});

/** Live (not zombie) child processes of this process (`ps --ppid`), the ps itself left out. */
function children(): number[] {
  if (process.platform !== 'linux') return [];
  let out = '';
  try {
    out = execFileSync('ps', ['--ppid', String(process.pid), '-o', 'pid=,stat=,comm='], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there is no child
  }
  return out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([pid, stat, comm]) => pid && !stat?.startsWith('Z') && comm !== 'ps')
    .map(([pid]) => Number(pid));
}

/** Zombie children of this process (ended but never reaped): must be none. */
function zombies(): number[] {
  const self = String(process.pid);
  const out: number[] = [];
  for (const d of execFileSync('ls', ['/proc'], { encoding: 'utf8' }).split('\n')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const [state, ppid] = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ');
      if (ppid === self && state === 'Z') out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function settle(want: number[], withinMs = 3000): Promise<number[]> {
  const until = Date.now() + withinMs;
  for (;;) {
    const now = children().filter((p) => !want.includes(p));
    if (now.length === 0 || Date.now() > until) return now;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.runIf(process.platform === 'linux')('faults in job workers', () => {
  it('records a native abort, a hang, a memory overrun and an external kill, and goes on', async () => {
    const before = children();
    const faults: Record<string, TestFault> = { abort: 'native-abort', hang: 'hang', alloc: 'alloc' };
    const limit = 768 * 2 ** 20;
    const q = new JobQueue({
      memoryLimitBytes: limit,
      memoryPollMs: 50,
      workerEnv: (j) =>
        faults[j.id] ? { ...testFaultEnv(faults[j.id]), STUDIO_TEST_ALLOC_MAX_BYTES: String(3 * limit) } : undefined,
    });
    const pids: Record<string, number> = {};
    q.on('job-start', (e) => void (e.pid && (pids[e.job.id] = e.pid)));
    // The external kill: the first sign of life of job 'killed' is answered with SIGKILL.
    let killedAt = 0;
    q.on('progress', (e) => {
      if (e.job.id === 'killed' && !killedAt) {
        killedAt = Date.now();
        process.kill(pids.killed, 'SIGKILL');
      }
    });
    q.add([
      job('abort'),
      job('ok1'),
      job('hang', { timeLimitS: 2 }),
      job('ok2'),
      job('alloc', { timeLimitS: 30 }),
      job('killed', { measure: { warmupRuns: 0, minRuns: 1, minTimeS: 30, maxTimeS: 30, targetRelCi: 0 } }),
      job('ok3'),
    ]);
    const t0 = Date.now();
    const results = await q.run();
    const by = Object.fromEntries(results.map((r) => [r.job.id, r]));
    for (const r of results) expect(() => ResultSchema.parse(r)).not.toThrow();
    expect(results.map((r) => r.job.id)).toEqual(['abort', 'ok1', 'hang', 'ok2', 'alloc', 'killed', 'ok3']);
    for (const ok of ['ok1', 'ok2', 'ok3']) expect(by[ok].status, by[ok].failure?.reason).toBe('ok');

    expect(by.abort.status).toBe('failed');
    expect(by.abort.failure).toMatchObject({
      kind: 'crash',
      reason: expect.stringMatching(/crashed without a result \(signal SIGABRT\): it aborted.*native code/),
    });

    expect(by.hang.failure).toMatchObject({
      kind: 'timeout',
      reason: expect.stringMatching(/passed its time limit of 2 s and was killed/),
    });

    expect(by.alloc.status).toBe('failed');
    expect(by.alloc.failure).toMatchObject({
      kind: 'oom',
      reason: expect.stringMatching(/the job used \d+ MiB of memory, more than its limit of 768 MiB, and was killed/),
    });
    const used = Number(/used (\d+) MiB/.exec(by.alloc.failure!.reason)![1]);
    expect(used).toBeGreaterThan(768);
    // Killed soon after passing the limit: well short of the 3x cap where the fault stops growing.
    expect(used).toBeLessThan(2 * 768);

    expect(killedAt).toBeGreaterThan(0);
    // kill -9 from outside: named as such, not as out of memory (only the watchdog above says 'oom').
    expect(by.killed.status).toBe('failed');
    expect(by.killed.failure).toMatchObject({
      kind: 'killed',
      reason: expect.stringMatching(
        /^the worker process was killed from outside the studio \(SIGKILL\), by a user, another program or the operating system.*if the system ran out of memory, its log says so \(dmesg/,
      ),
    });

    // Nothing left behind: the same children as before (none), and no zombie.
    expect(await settle(before)).toEqual([]);
    expect(children().sort()).toEqual([...before].sort());
    expect(zombies()).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(55_000);
  }, 90_000);

  it('a JavaScript heap past the limit is an oom too (--max-old-space-size)', async () => {
    const { classifyExit } = await import('../main/engine/outcome.js');
    const heap = classifyExit({
      exit: { code: null, signal: 'SIGABRT' },
      stderr: 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
      timeLimitS: 5,
    });
    expect(heap.kind).toBe('oom');
  });
});
