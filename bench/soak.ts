// Soak (issue 9 "Hardening"): many short jobs in a row through the JobQueue, as the CLI runs them
// (each in a fresh worker process, every result saved by the ResultsStore the moment its job ends),
// with a fault injected into every 7th job, cycling through a crash (exit code), a throw, a hang
// past a short time limit, an OOM kill (SIGKILL), native memory past the job memory limit (the
// queue's watchdog) and a native abort in the C++ addon. Checks, printed as a table at the end
// (exit code 1 when one fails):
// - no result lost: every job has exactly one saved, readable result (ok or failed) in a temporary
//   results folder, each fault recorded with the kind expected, no temporary file left;
// - the parent process stays flat: resident memory, active handles and open file descriptors at
//   the start, after the warm-up, in the middle and at the end;
// - no zombie and no leftover child process.
//
//   npm run soak                     (SOAK_JOBS=500 by default; SOAK_KEEP=1 keeps the results folder)
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { JobSpecInput } from '../shared/contract/job.js';
import type { BenchResult } from '../shared/contract/result.js';
import { JobQueue } from '../main/engine/queue.js';
import { testFaultEnv, type TestFault } from '../main/process/job-protocol.js';
import { ResultsStore } from '../main/store/results-store.js';

const JOBS = Number(process.env.SOAK_JOBS ?? 500);
const EVERY = 7;
const MEMORY_LIMIT = 1024 * 2 ** 20;
/** Allowed growth from the warm-up sample to the end. */
const RSS_SLACK = 48 * 2 ** 20;
const HANDLE_SLACK = 3;
const FD_SLACK = 3;

if (!Number.isInteger(JOBS) || JOBS < EVERY) {
  console.error(`SOAK_JOBS must be an integer of at least ${EVERY} (got ${process.env.SOAK_JOBS})`);
  process.exit(2);
}

/** The fault of each injected job, in turn, and the failure kind it must be recorded as. */
const FAULTS: { fault: TestFault; kind: string; timeLimitS?: number }[] = [
  { fault: 'crash', kind: 'crash' },
  { fault: 'throw', kind: 'error' },
  { fault: 'hang', kind: 'timeout', timeLimitS: 2 },
  { fault: 'sigkill', kind: 'killed' },
  { fault: 'alloc', kind: 'oom' },
  { fault: 'native-abort', kind: 'crash' },
];

// A full collection before each sample, so that the figures are live memory, not garbage not yet collected.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const measure = { warmupRuns: 0, warmupTimeS: 0, minRuns: 1, minTimeS: 0, maxTimeS: 0.05, targetRelCi: 0 };
const faultOf = new Map<string, (typeof FAULTS)[number]>();
const jobs: JobSpecInput[] = [];
for (let i = 0; i < JOBS; i++) {
  const id = `soak-${String(i).padStart(4, '0')}`;
  const f = i % EVERY === EVERY - 1 ? FAULTS[Math.floor(i / EVERY) % FAULTS.length] : undefined;
  if (f) faultOf.set(id, f);
  jobs.push({
    version: 1,
    id,
    target: { kind: 'block', name: 'pointwise', params: { height: 8, width: 8 } },
    backend: { backend: 'ort-cpu', intraOpThreads: 1 },
    measure,
    timeLimitS: f?.timeLimitS ?? 60,
    group: 'soak',
  });
}

interface Sample {
  at: string;
  jobs: number;
  rssMiB: number;
  heapMiB: number;
  handles: number;
  fds: number;
  children: number;
  zombies: number;
}

/** Children of this process from /proc, split into live ones and zombies (ended, never reaped). */
function childProcesses(): { live: number[]; zombies: number[] } {
  const out = { live: [] as number[], zombies: [] as number[] };
  if (process.platform !== 'linux') return out;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const [state, ppid] = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ');
      if (Number(ppid) !== process.pid) continue;
      (state === 'Z' ? out.zombies : out.live).push(Number(d));
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

const fdCount = () => {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
};

/** Children this process had before any job (tsx's esbuild service when run through tsx): not the queue's. */
const ownChildren = new Set(childProcesses().live);

function sample(at: string, done: number): Sample {
  gc();
  const m = process.memoryUsage();
  const kids = childProcesses();
  kids.live = kids.live.filter((p) => !ownChildren.has(p));
  return {
    at,
    jobs: done,
    rssMiB: m.rss / 2 ** 20,
    heapMiB: m.heapUsed / 2 ** 20,
    handles: (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length,
    fds: fdCount(),
    children: kids.live.length,
    zombies: kids.zombies.length,
  };
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'studio-soak-'));
  const store = new ResultsStore(dir);
  const samples: Sample[] = [sample('start', 0)];
  const warmAt = Math.min(20, Math.floor(JOBS / 4));
  const middleAt = Math.floor(JOBS / 2);
  let zombiesSeen = 0;
  let saveErrors = 0;
  let done = 0;
  const t0 = Date.now();

  const queue = new JobQueue({
    memoryLimitBytes: MEMORY_LIMIT,
    memoryPollMs: 100,
    workerEnv: (j) => {
      const f = faultOf.get(j.id);
      return f ? { ...testFaultEnv(f.fault), STUDIO_TEST_ALLOC_MAX_BYTES: String(3 * MEMORY_LIMIT) } : undefined;
    },
    onResult: (r) => {
      try {
        store.save(r);
      } catch (e) {
        saveErrors++;
        console.error(`saving ${r.id} failed: ${(e as Error).message}`);
      }
      done++;
      // Children are checked between jobs: the finished worker is reaped, the next one not started.
      zombiesSeen += childProcesses().zombies.length;
      if (done === warmAt) samples.push(sample('warm', done));
      if (done === middleAt) samples.push(sample('middle', done));
      if (done % 50 === 0 || done === JOBS) {
        const rate = done / ((Date.now() - t0) / 1000);
        console.error(
          `${done}/${JOBS} jobs, ${rate.toFixed(2)} jobs/s, rss ${(process.memoryUsage.rss() / 2 ** 20).toFixed(1)} MiB`,
        );
      }
    },
  });
  const onSigint = () => queue.cancelAll();
  process.once('SIGINT', onSigint);
  queue.add(jobs);
  const results: BenchResult[] = await queue.run();
  process.off('SIGINT', onSigint);
  // A finished worker's process is reaped asynchronously; give the last one a moment.
  for (let i = 0; i < 40 && childProcesses().live.some((p) => !ownChildren.has(p)); i++)
    await new Promise((r) => setTimeout(r, 50));
  samples.push(sample('end', done));
  const wallS = (Date.now() - t0) / 1000;

  // Every job: one saved, readable result, with the status and failure kind its fault calls for.
  const { results: saved, problems } = store.load();
  const savedByJob = new Map<string, BenchResult[]>();
  for (const r of saved) savedByJob.set(r.job.id, [...(savedByJob.get(r.job.id) ?? []), r]);
  const lost = jobs.filter((j) => (savedByJob.get(j.id)?.length ?? 0) !== 1).map((j) => j.id);
  const leftovers = readdirSync(dir).filter((f) => !f.endsWith('.json') || f.startsWith('.'));
  const wrong: string[] = [];
  const byFault = new Map<string, { n: number; kinds: Map<string, number> }>();
  for (const r of saved) {
    const f = faultOf.get(r.job.id);
    const name = f?.fault ?? 'none (ok)';
    const row = byFault.get(name) ?? { n: 0, kinds: new Map() };
    const got = r.status === 'ok' ? 'ok' : (r.failure?.kind ?? r.status);
    row.n++;
    row.kinds.set(got, (row.kinds.get(got) ?? 0) + 1);
    byFault.set(name, row);
    const want = f ? f.kind : 'ok';
    if (got !== want || (f && r.status !== 'failed'))
      wrong.push(`${r.job.id} (${name}): ${got}${r.failure ? ` - ${r.failure.reason.split('\n')[0]}` : ''}`);
  }
  const uniqueIds = new Set(saved.map((r) => r.id)).size === saved.length;

  console.log(
    `\nsoak: ${JOBS} jobs in ${wallS.toFixed(0)} s, ${faultOf.size} with an injected fault (every ${EVERY}th)`,
  );
  console.log('\nfault            jobs  recorded as');
  for (const [name, row] of [...byFault].sort()) {
    const kinds = [...row.kinds].map(([k, n]) => `${k} x${n}`).join(', ');
    console.log(`${name.padEnd(16)} ${String(row.n).padStart(5)}  ${kinds}`);
  }
  console.log('\nparent process   jobs   rss MiB  heap MiB  handles  fds  children  zombies');
  for (const s of samples)
    console.log(
      `${s.at.padEnd(16)} ${String(s.jobs).padStart(4)} ${s.rssMiB.toFixed(1).padStart(9)} ${s.heapMiB.toFixed(1).padStart(9)} ${String(s.handles).padStart(8)} ${String(s.fds).padStart(4)} ${String(s.children).padStart(9)} ${String(s.zombies).padStart(8)}`,
    );

  const warm = samples.find((s) => s.at === 'warm') ?? samples[0];
  const end = samples[samples.length - 1];
  const checks: [string, boolean, string][] = [
    ['every job has one result', results.length === JOBS, `${results.length} of ${JOBS} returned by the queue`],
    [
      'no result lost',
      lost.length === 0 && saved.length === JOBS,
      `${saved.length} saved, ${lost.length} lost${lost.length ? ` (${lost.slice(0, 5).join(', ')})` : ''}`,
    ],
    ['every saved result readable', problems.length === 0, `${problems.length} unreadable`],
    ['no save failed', saveErrors === 0, `${saveErrors} save errors`],
    ['unique result ids', uniqueIds, uniqueIds ? 'unique' : 'duplicates'],
    ['no temporary file left', leftovers.length === 0, leftovers.length ? leftovers.slice(0, 5).join(', ') : 'none'],
    [
      'each fault recorded as expected',
      wrong.length === 0,
      wrong.length ? wrong.slice(0, 3).join(' | ') : `${faultOf.size} faults, ${JOBS - faultOf.size} ok`,
    ],
    [
      'parent rss flat',
      end.rssMiB - warm.rssMiB <= RSS_SLACK / 2 ** 20,
      `${warm.rssMiB.toFixed(1)} -> ${end.rssMiB.toFixed(1)} MiB (warm -> end, allowed +${RSS_SLACK / 2 ** 20})`,
    ],
    ['parent handles flat', end.handles - warm.handles <= HANDLE_SLACK, `${warm.handles} -> ${end.handles}`],
    ['parent fds flat', end.fds - warm.fds <= FD_SLACK, `${warm.fds} -> ${end.fds}`],
    [
      'no zombie',
      zombiesSeen === 0 && end.zombies === 0,
      `${zombiesSeen} seen between jobs, ${end.zombies} at the end`,
    ],
    ['no child left', end.children === 0, `${end.children} worker processes at the end`],
  ];
  console.log('\ncheck                            result  figures');
  for (const [name, ok, figures] of checks)
    console.log(`${name.padEnd(32)} ${(ok ? 'pass' : 'FAIL').padEnd(7)} ${figures}`);
  const failed = checks.filter((c) => !c[1]).length;
  console.log(failed ? `\n${failed} check(s) failed; results kept in ${dir}` : '\nall checks passed');
  if (!failed && !process.env.SOAK_KEEP) rmSync(dir, { recursive: true, force: true });
  else console.log(`results folder: ${dir}`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
