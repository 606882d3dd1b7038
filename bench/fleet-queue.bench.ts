// What does the fleet's queue cost? (Issue 20.) A tiny job (pointwise 8x8 on ort-cpu, warm-up 1,
// 5 runs min, 20 ms min, 200 ms max) queued through PostgreSQL + pg-boss and run by agents of the
// built CLI, against the same job run by the local `bench` of the same build. Four figures:
//
// - enqueue rate: one run of BENCH_JOBS jobs (a sweep: batches 1..k x repetitions) queued by
//   enqueueRun in this process (plan, pg-boss insert, fleet.runs/fleet.jobs, one transaction);
// - throughput: BENCH_AGENTS agents drain it; wall time and jobs/s as the enqueuer sees it (followRun,
//   as `bench --on` follows), queue wait per job (pg-boss created_on -> started_on), and where each
//   job's time goes inside an agent (fleet.jobs, fleet.events, the result's createdAt);
// - dispatch overhead per job: the same job BENCH_LOCAL times through the local `bench` and through
//   ONE agent, alternating in BENCH_ROUNDS rounds so that a drift of the machine hits both; the
//   per-job cycle (one result's createdAt to the next one's on the same queue: everything a job
//   costs, worker start-up included) of each, and their difference;
// - database size per 1,000 results: studio.results (heap, indexes, TOAST), pg-boss's job table and
//   the fleet's tables of a fresh database that held only the throughput run, before and after.
//
// The server is a private PostgreSQL (tests/helpers/postgres.ts: fsync and synchronous_commit off,
// shared_buffers 16 MB, loopback), so commits cost less than on a real server. Agents run with their
// default timings (heartbeat 5 s, poll 1 s when idle). Several agents on one machine share its cores:
// the throughput phase measures the queue, not the jobs (their medians are context only).
//
//   npm run bench:fleet                                  (1,000 jobs, 3 agents, 100 local in 4 rounds: ~10 min)
//   BENCH_JOBS=100 BENCH_LOCAL=20 npm run bench:fleet    (a quick check)
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from '../shared/contract/result.js';
import { benchSpecOf } from '../main/cli/commands/bench.js';
import { enqueueRun, followRun, openFleet, type Fleet } from '../main/fleet/enqueue.js';
import { BenchService } from '../main/services/bench.js';
import type { BenchSpec } from '../main/services/bench-spec.js';
import { ResultsService } from '../main/services/results.js';
import { PostgresResultsRepository } from '../main/store/postgres/results-repository.js';
import { FolderResultsRepository } from '../main/store/results-repository.js';
import { startPostgres, type PgServer } from '../tests/helpers/postgres.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const JOBS = Number(process.env.BENCH_JOBS ?? 1000);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 3);
const LOCAL = Number(process.env.BENCH_LOCAL ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT_S ?? 3600);
for (const [name, v, min] of [
  ['BENCH_JOBS', JOBS, 1],
  ['BENCH_AGENTS', AGENTS, 1],
  ['BENCH_LOCAL', LOCAL, 2],
  ['BENCH_ROUNDS', ROUNDS, 1],
] as const)
  if (!Number.isInteger(v) || v < min) {
    console.error(`${name} must be an integer of at least ${min}, got ${v}`);
    process.exit(2);
  }

/** The tiny job, as CLI flags: the local bench gets them as arguments, the fleet through benchSpecOf. */
const TARGET = 'pointwise';
const FLAGS = { set: 'height=8,width=8', warmupRuns: '1', minRuns: '5', minTime: '0.02', maxTime: '0.2' };
const FLAG_ARGS = [
  '--set',
  FLAGS.set,
  '--warmup-runs',
  FLAGS.warmupRuns,
  '--min-runs',
  FLAGS.minRuns,
  '--min-time',
  FLAGS.minTime,
  '--max-time',
  FLAGS.maxTime,
];
const TAG = 'bench';

/** A spec of `jobs` jobs: batches 1..k x repetitions (at most 100 repetitions per configuration). */
function specOf(jobs: number): { spec: BenchSpec; batches: number; repetitions: number } {
  const batches = Math.ceil(jobs / 100);
  const repetitions = Math.ceil(jobs / batches);
  const spec = benchSpecOf([TARGET], {
    backend: 'ort-cpu',
    precision: 'fp32',
    scenario: 'single-stream',
    ...FLAGS,
    batch: Array.from({ length: batches }, (_, i) => i + 1).join(','),
    repetitions: String(repetitions),
  });
  return { spec, batches, repetitions };
}

// ---- small statistics --------------------------------------------------------------------------

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = sorted(xs);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const med = (xs: number[]) => pct(xs, 50);
const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const kib = (b: number, d = 0) => `${(b / 1024).toFixed(d)} KiB`;
const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;

/**
 * A queue's cost per job from its results in the order they were made: the cycle (one result's
 * createdAt to the next one's: everything job i+1 cost, worker start-up included) and the cycle less
 * the worker's own time of job i+1 (what running it in a fresh process through this queue added).
 */
function cyclesOf(results: BenchResult[]): { cycles: number[]; overheads: number[] } {
  const rs = [...results].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const cycles: number[] = [];
  const overheads: number[] = [];
  for (let i = 1; i < rs.length; i++) {
    const cycle = Date.parse(rs[i].createdAt) - Date.parse(rs[i - 1].createdAt);
    cycles.push(cycle);
    if (rs[i].status === 'ok') overheads.push(cycle - inWorkerMs(rs[i]));
  }
  return { cycles, overheads };
}

/** The time the worker itself spent on the job: model load, session, first run, warm-up, measured runs. */
const inWorkerMs = (r: BenchResult) =>
  (r.coldStart ? r.coldStart.loadMs + r.coldStart.sessionMs + r.coldStart.firstRunMs : 0) +
  (r.warmup?.ms ?? 0) +
  (r.measuredMs ?? 0);

// ---- processes ---------------------------------------------------------------------------------

interface Agent {
  name: string;
  child: ChildProcess;
  log: string[];
  exited: Promise<number | null>;
}

const temps: string[] = [];
const agents: Agent[] = [];
let pg: PgServer | undefined;
let outdir: string | undefined;

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}

/** An agent of the built CLI (the URL in BOTTLENECK_DB, as docs/FLEET.md advises), ready. */
async function startAgent(cli: string, url: string, name: string): Promise<Agent> {
  const dir = tempDir(`fleet-bench-${name}-`);
  const child = spawn(process.execPath, [cli, 'agent', '--name', name, '--tags', TAG, '--results', dir], {
    cwd: root,
    env: { ...process.env, BOTTLENECK_DB: url },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const log: string[] = [];
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  let partial = '';
  child.stderr!.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      if (/ ready on /.test(l)) ready();
      log.push(l);
      if (log.length > 200) log.shift();
    }
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const agent = { name, child, log, exited };
  agents.push(agent);
  const t0 = performance.now();
  await Promise.race([
    isReady,
    exited.then((code) => {
      throw new Error(`agent ${name} exited (${code}) before it was ready:\n${log.slice(-20).join('\n')}`);
    }),
  ]);
  console.log(`  agent ${name} ready in ${f((performance.now() - t0) / 1000, 2)} s (pid ${child.pid})`);
  return agent;
}

async function stopAgents(list: Agent[]): Promise<void> {
  for (const a of list) if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGTERM');
  await Promise.all(
    list.map((a) =>
      Promise.race([
        a.exited,
        new Promise((r) => setTimeout(r, 15_000)).then(() => {
          if (a.child.exitCode === null) a.child.kill('SIGKILL');
        }),
      ]),
    ),
  );
  for (const a of list) agents.splice(agents.indexOf(a), 1);
}

async function cleanup(): Promise<void> {
  await stopAgents([...agents]).catch(() => {});
  await pg?.stop().catch(() => {});
  for (const d of temps) rmSync(d, { recursive: true, force: true });
  if (outdir) rmSync(outdir, { recursive: true, force: true });
}

process.on('SIGINT', () => {
  console.error('interrupted: cleaning up');
  void cleanup().finally(() => process.exit(130));
});

// ---- the local queue ---------------------------------------------------------------------------

interface QueueSample {
  /** Per-job cycle: consecutive results' createdAt on one queue, ms. */
  cycles: number[];
  /** Per-job cycle less the worker's own time, ms. */
  overheads: number[];
  /** The worker's own time per job, ms. */
  inWorker: number[];
  /** The jobs' medians, ms (context). */
  p50: number[];
  wallMs: number;
  jobs: number;
  failed: number;
}

/** `bench` of the built CLI, n repetitions of the tiny job into a fresh results folder. */
function localRound(cli: string, n: number): QueueSample {
  const dir = tempDir('fleet-bench-local-');
  const env = { ...process.env };
  delete env.BOTTLENECK_DB;
  const t0 = performance.now();
  execFileSync(
    process.execPath,
    [cli, 'bench', TARGET, ...FLAG_ARGS, '--repetitions', String(n), '--results', dir, '--json'],
    { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 256 << 20 },
  );
  const wallMs = performance.now() - t0;
  const results = readdirSync(dir)
    .filter((x) => x.endsWith('.json') && !x.startsWith('.'))
    .map((x) => JSON.parse(readFileSync(join(dir, x), 'utf8')) as BenchResult)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  rmSync(dir, { recursive: true, force: true });
  const ok = results.filter((r) => r.status === 'ok');
  return {
    ...cyclesOf(results),
    inWorker: ok.map(inWorkerMs),
    p50: ok.map((r) => r.stats!.p50),
    wallMs,
    jobs: results.length,
    failed: results.length - ok.length,
  };
}

// ---- the fleet ---------------------------------------------------------------------------------

/** One job as the database and its result tell it (times in ms since the epoch, µs precision). */
interface JobRow {
  agent: string;
  outcome: string;
  created: number;
  taken: number;
  ended: number;
  worker?: number;
  result?: BenchResult;
}

async function jobRows(fleet: Fleet, runId: string): Promise<JobRow[]> {
  const ms = (col: string) => `extract(epoch FROM ${col})::float8 * 1000`;
  const { rows } = await fleet.db.query<{
    agent: string;
    outcome: string;
    created: number;
    taken: number;
    ended: number;
    worker: number | null;
    doc: BenchResult | null;
  }>(
    `SELECT f.agent, f.outcome, ${ms('j.created_on')} AS created, ${ms('f.started_at')} AS taken,
            ${ms('f.ended_at')} AS ended, (SELECT ${ms('min(e.at)')} FROM fleet.events e
              WHERE e.job_id = f.job_id AND e.kind = 'worker') AS worker, r.doc
       FROM fleet.jobs f
       JOIN pgboss.job j ON j.id = f.job_id AND j.name = f.queue
       LEFT JOIN studio.results r ON r.id = f.result_id
      WHERE f.run_id = $1 ORDER BY f.started_at`,
    [runId],
  );
  return rows.map((r) => ({
    agent: r.agent,
    outcome: r.outcome,
    created: r.created,
    taken: r.taken,
    ended: r.ended,
    ...(r.worker !== null ? { worker: r.worker } : {}),
    ...(r.doc ? { result: r.doc } : {}),
  }));
}

/** Queues a spec for the tag and follows it to its end (as `bench --on tag:bench` does). */
async function fleetRun(
  fleet: Fleet,
  repo: PostgresResultsRepository,
  planner: BenchService,
  spec: BenchSpec,
  progress = false,
) {
  const t0 = performance.now();
  const run = await enqueueRun(fleet, { spec, destinations: [{ kind: 'tag', tag: TAG }], planner });
  const enqueueMs = performance.now() - t0;
  let done = 0;
  const total = run.jobs.length;
  const step = Math.max(1, Math.round(total / 10));
  const controller = new AbortController();
  const deadline = setTimeout(() => controller.abort(), TIMEOUT_S * 1000);
  let running = true;
  const died = Promise.race(agents.map((a) => a.exited.then((code) => ({ a, code }))));
  void died.then(({ a, code }) => {
    if (!running) return;
    console.error(`agent ${a.name} exited (${code}) during the run:\n${a.log.slice(-20).join('\n')}`);
    controller.abort();
  });
  const followed = await followRun(fleet, {
    runId: run.runId,
    repository: repo,
    signal: controller.signal,
    on: {
      end: () => {
        done++;
        if (progress && done % step === 0)
          console.log(`  ${done}/${total} jobs ended, ${f((performance.now() - t0) / 1000)} s since the enqueue began`);
      },
    },
  });
  running = false;
  clearTimeout(deadline);
  const drainMs = performance.now() - t0 - enqueueMs;
  if (!followed.complete) throw new Error(`the run ${run.runId} did not end (${done}/${total} jobs ended)`);
  return { run, enqueueMs, drainMs, rows: await jobRows(fleet, run.runId) };
}

/** Per-job cycles of each agent in one run (see cyclesOf). */
function agentCycles(rows: JobRow[]): { cycles: number[]; overheads: number[] } {
  const byAgent = new Map<string, BenchResult[]>();
  for (const r of rows) if (r.result) byAgent.set(r.agent, [...(byAgent.get(r.agent) ?? []), r.result]);
  const each = [...byAgent.values()].map(cyclesOf);
  return { cycles: each.flatMap((c) => c.cycles), overheads: each.flatMap((c) => c.overheads) };
}

/** Where a job's time goes inside an agent, per job (ms). */
function phases(rows: JobRow[]) {
  const out = {
    takeToSpawn: [] as number[],
    worker: [] as number[],
    inWorker: [] as number[],
    saveAndRecord: [] as number[],
    endToNext: [] as number[],
    /** The job's wall time in the agent (taken -> recorded) less the worker's own time. */
    inAgentLessWorker: [] as number[],
    /** The agent's own steps around the worker: taken -> spawned, result -> recorded -> next taken. */
    fleetSteps: [] as number[],
  };
  const byAgent = new Map<string, JobRow[]>();
  for (const r of rows) byAgent.set(r.agent, [...(byAgent.get(r.agent) ?? []), r]);
  for (const list of byAgent.values()) {
    list.sort((a, b) => a.taken - b.taken);
    list.forEach((r, i) => {
      if (!r.result || r.worker === undefined) return;
      const resultAt = Date.parse(r.result.createdAt);
      out.takeToSpawn.push(r.worker - r.taken);
      out.worker.push(resultAt - r.worker);
      out.inWorker.push(inWorkerMs(r.result));
      out.saveAndRecord.push(r.ended - resultAt);
      out.inAgentLessWorker.push(r.ended - r.taken - inWorkerMs(r.result));
      const next = list[i + 1];
      if (!next) return;
      out.endToNext.push(next.taken - r.ended);
      out.fleetSteps.push(r.worker - r.taken + (r.ended - resultAt) + (next.taken - r.ended));
    });
  }
  return out;
}

// ---- database sizes ----------------------------------------------------------------------------

interface Sizes {
  [relation: string]: { total: number; heap: number; indexes: number; toast: number; rows: number };
}

async function sizes(fleet: Fleet): Promise<Sizes> {
  // pg-boss 10's job table is partitioned (one partition per queue): its size is its leaves' sum.
  const { rows } = await fleet.db.query<{
    name: string;
    total: string;
    heap: string;
    indexes: string;
    toast: string;
  }>(
    `WITH rels(name, rel) AS (
       VALUES ('studio.results', 'studio.results'::regclass), ('pgboss.archive', 'pgboss.archive'::regclass),
              ('fleet.jobs', 'fleet.jobs'::regclass), ('fleet.events', 'fleet.events'::regclass),
              ('fleet.runs', 'fleet.runs'::regclass), ('fleet.agents', 'fleet.agents'::regclass)
       UNION ALL
       SELECT 'pgboss.job', relid FROM pg_partition_tree('pgboss.job') WHERE isleaf)
     SELECT name, sum(pg_total_relation_size(rel)) AS total, sum(pg_relation_size(rel)) AS heap,
            sum(pg_indexes_size(rel)) AS indexes,
            sum(coalesce((SELECT pg_total_relation_size(reltoastrelid) FROM pg_class WHERE oid = rel AND reltoastrelid <> 0), 0)) AS toast
       FROM rels GROUP BY name`,
  );
  const counts = await fleet.db.query<{ name: string; n: string }>(
    `SELECT 'studio.results' AS name, count(*) AS n FROM studio.results
     UNION ALL SELECT 'pgboss.job', count(*) FROM pgboss.job WHERE name LIKE 'tag.%' OR name LIKE 'agent.%'
     UNION ALL SELECT 'pgboss.archive', count(*) FROM pgboss.archive
     UNION ALL SELECT 'fleet.jobs', count(*) FROM fleet.jobs
     UNION ALL SELECT 'fleet.events', count(*) FROM fleet.events
     UNION ALL SELECT 'fleet.runs', count(*) FROM fleet.runs
     UNION ALL SELECT 'fleet.agents', count(*) FROM fleet.agents`,
  );
  const db = await fleet.db.query<{ n: string }>(`SELECT pg_database_size(current_database()) AS n`);
  const out: Sizes = {};
  for (const r of rows)
    out[r.name] = {
      total: Number(r.total),
      heap: Number(r.heap),
      indexes: Number(r.indexes),
      toast: Number(r.toast),
      rows: Number(counts.rows.find((c) => c.name === r.name)?.n ?? 0),
    };
  out.database = { total: Number(db.rows[0].n), heap: 0, indexes: 0, toast: 0, rows: 0 };
  return out;
}

/** What one stored result is made of, on average (bytes): the text, the JSONB, and the largest parts. */
async function resultComposition(fleet: Fleet) {
  const { rows } = await fleet.db.query<Record<string, string>>(
    `SELECT avg(pg_column_size(r.*)) AS row_stored, avg(octet_length(doc_text)) AS text_raw,
            avg(pg_column_size(doc_text)) AS text_stored, avg(pg_column_size(doc)) AS jsonb_stored,
            avg(octet_length((doc->'samplesMs')::text)) AS samples_raw,
            avg(octet_length((doc->'machine')::text)) AS machine_raw,
            avg(jsonb_array_length(doc->'samplesMs')) AS samples_n
       FROM studio.results r`,
  );
  return Object.fromEntries(Object.entries(rows[0]).map(([k, v]) => [k, Math.round(Number(v))]));
}

// ---- the run -----------------------------------------------------------------------------------

const startedAt = Date.now();
const load0 = os.loadavg();
try {
  const pgBossVersion = (
    JSON.parse(readFileSync(createRequire(import.meta.url).resolve('pg-boss/package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  // The CLI built from this checkout (out/ is ignored by git), so agents and the local bench start as a user's would.
  outdir = join(root, 'out', `bench-fleet-${process.pid}`);
  const b0 = performance.now();
  execFileSync(process.execPath, [join(root, 'scripts/build-main.mjs'), '--outdir', join(outdir, 'dist')], {
    cwd: root,
    stdio: 'ignore',
  });
  const cli = join(outdir, 'dist/main/cli/index.js');
  console.log(`built the CLI in ${f((performance.now() - b0) / 1000, 1)} s: ${cli}`);
  pg = await startPostgres();
  const pgVersion = (await pg.sql('SHOW server_version')).trim();
  const big = specOf(JOBS);
  const perRound = Math.ceil(LOCAL / ROUNDS);
  const small = specOf(perRound);
  console.log(
    `machine: ${os.cpus()[0]?.model} x${os.cpus().length}, ${mib(os.totalmem())} RAM, node ${process.version}, ` +
      `PostgreSQL ${pgVersion} (private: fsync off, synchronous_commit off, shared_buffers 16MB), pg-boss ${pgBossVersion}`,
  );
  console.log(`load average at start: ${load0.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(
    `job: ${TARGET} ${FLAG_ARGS.join(' ')} on ort-cpu (default threads); agents: built CLI, default timings, tag ${TAG}`,
  );
  console.log(
    `throughput run: ${big.batches} batch(es) x ${big.repetitions} repetitions = ${big.batches * big.repetitions} jobs, ${AGENTS} agent(s) on ${os.cpus().length} cores`,
  );
  console.log(
    `dispatch overhead: ${ROUNDS} round(s) of ${small.repetitions} jobs, local bench then 1 agent, alternating\n`,
  );
  const scratch = tempDir('fleet-bench-planner-');
  mkdirSync(scratch, { recursive: true });
  const planner = new BenchService({ results: new ResultsService(scratch, new FolderResultsRepository(scratch)) });

  // 1. Dispatch overhead: local bench vs one agent, alternating rounds (database 1).
  console.log('dispatch overhead: local bench vs one agent');
  const url1 = await pg.createDatabase();
  const fleet1 = await openFleet(url1);
  const repo1 = await PostgresResultsRepository.open(url1);
  const solo = await startAgent(cli, url1, 'solo');
  const local: QueueSample[] = [];
  const remote: { cycles: number[]; overheads: number[]; rows: JobRow[]; wallMs: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const l = localRound(cli, small.repetitions);
    local.push(l);
    const r = await fleetRun(fleet1, repo1, planner, small.spec);
    remote.push({ ...agentCycles(r.rows), rows: r.rows, wallMs: r.enqueueMs + r.drainMs });
    console.log(
      `  round ${round + 1}: local ${l.jobs} jobs in ${f(l.wallMs / 1000, 1)} s (cycle p50 ${f(med(l.cycles))} ms); ` +
        `agent ${r.rows.length} jobs in ${f((r.enqueueMs + r.drainMs) / 1000, 1)} s (cycle p50 ${f(med(remote[round].cycles))} ms)`,
    );
  }
  await stopAgents([solo]);
  await repo1.close();
  await fleet1.close();
  const localCycles = local.flatMap((l) => l.cycles);
  const localOverheads = local.flatMap((l) => l.overheads);
  const localJobs = local.reduce((s, l) => s + l.jobs, 0);
  const localInWorker = local.flatMap((l) => l.inWorker);
  const soloRows = remote.flatMap((r) => r.rows);
  const soloCycles = remote.flatMap((r) => r.cycles);
  const soloOverheads = remote.flatMap((r) => r.overheads);
  // Per run: the gap between two rounds (the local bench ran meanwhile) is no job's.
  const each = remote.map((r) => phases(r.rows));
  const soloPhases = Object.fromEntries(
    Object.keys(each[0]).map((k) => [k, each.flatMap((p) => p[k as keyof typeof p])]),
  ) as (typeof each)[0];
  const soloInWorker = soloPhases.inWorker;
  const dispatch = med(soloCycles) - med(localCycles);
  const dispatchNet = med(soloOverheads) - med(localOverheads);
  const pairedRatios = local.map((l, i) => med(remote[i].cycles) / med(l.cycles));

  // 2. Throughput: AGENTS agents drain one run of JOBS jobs (database 2, fresh: its sizes are this run's).
  console.log(`\nthroughput: ${AGENTS} agent(s), ${big.batches * big.repetitions} jobs`);
  const url2 = await pg.createDatabase();
  const fleet2 = await openFleet(url2);
  const repo2 = await PostgresResultsRepository.open(url2);
  const crew: Agent[] = [];
  for (let i = 1; i <= AGENTS; i++) crew.push(await startAgent(cli, url2, `a${i}`));
  const before = await sizes(fleet2);
  const planT0 = performance.now();
  planner.plan(big.spec);
  const planMs = performance.now() - planT0;
  const t = await fleetRun(fleet2, repo2, planner, big.spec, true);
  await stopAgents(crew);
  const after = await sizes(fleet2);
  const composition = await resultComposition(fleet2);
  const eventKinds = (
    await fleet2.db.query<{ kind: string; n: string }>(
      `SELECT kind, count(*) AS n FROM fleet.events GROUP BY kind ORDER BY kind`,
    )
  ).rows.map((r) => `${r.kind} ${r.n}`);
  await repo2.close();
  await fleet2.close();
  const rows = t.rows;
  const n = rows.length;
  const outcomes = new Map<string, number>();
  for (const r of rows) outcomes.set(r.outcome, (outcomes.get(r.outcome) ?? 0) + 1);
  const perAgent = new Map<string, number>();
  for (const r of rows) perAgent.set(r.agent, (perAgent.get(r.agent) ?? 0) + 1);
  const queueWait = rows.map((r) => r.taken - r.created);
  const firstTaken = Math.min(...rows.map((r) => r.taken));
  const lastEnded = Math.max(...rows.map((r) => r.ended));
  const dbSpanMs = lastEnded - firstTaken;
  const { cycles: crewCycles, overheads: crewOverheads } = agentCycles(rows);
  const crewPhases = phases(rows);
  const crewP50 = rows.flatMap((r) => (r.result?.stats ? [r.result.stats.p50] : []));

  // ---- the report ----
  const line = (label: string, value: string) => console.log(`  ${label.padEnd(64)} ${value}`);
  const dist = (xs: number[], d = 1) =>
    `p50 ${f(med(xs), d)}  p90 ${f(pct(xs, 90), d)}  max ${f(Math.max(...xs), d)} ms`;
  console.log('\n== enqueue ==');
  line('jobs in one run', String(t.run.jobs.length));
  line('plan (BenchService.plan) alone', `${f(planMs)} ms`);
  line('enqueueRun (plan + pg-boss insert + fleet tables, one tx)', `${f(t.enqueueMs)} ms`);
  line('enqueue rate', `${f(t.run.jobs.length / (t.enqueueMs / 1000), 0)} jobs/s`);
  console.log(`\n== throughput: ${AGENTS} agents on ${os.cpus().length} cores ==`);
  line('outcomes', [...outcomes].map(([k, v]) => `${k} ${v}`).join(', '));
  line('jobs per agent', [...perAgent].map(([k, v]) => `${k} ${v}`).join(', '));
  line('drain, enqueuer side (commit -> followRun saw the last end)', `${f(t.drainMs / 1000, 1)} s`);
  line('drain, database side (first taken -> last ended)', `${f(dbSpanMs / 1000, 1)} s`);
  line('throughput', `${f(n / (t.drainMs / 1000), 2)} jobs/s (${f(t.drainMs / n)} ms per job, all agents)`);
  line(
    'queue wait per job (pg-boss created -> started)',
    dist(
      queueWait.map((x) => x / 1000),
      1,
    ).replace(/ms$/, 's'),
  );
  line(
    'first job taken, after its insert (created_on)',
    `${f(firstTaken - Math.min(...rows.map((r) => r.created)))} ms`,
  );
  line('cycle per job, per agent (result to next result)', dist(crewCycles));
  line('  taken -> worker spawned (validate, events, preflight)', dist(crewPhases.takeToSpawn));
  line('  worker spawned -> result (process start-up + worker)', dist(crewPhases.worker));
  line("    of which the worker's own time (load+session+runs)", dist(crewPhases.inWorker));
  line('  result -> job recorded (spool, save to studio.results)', dist(crewPhases.saveAndRecord));
  line('  recorded -> next job taken (complete tx, fetch)', dist(crewPhases.endToNext));
  line('  the three steps around the worker, summed per job', dist(crewPhases.fleetSteps));
  line('job wall in the agent (taken -> recorded) - own time', dist(crewPhases.inAgentLessWorker));
  line('cycle - own time, per job', dist(crewOverheads));
  line('job median latency (context: agents share cores)', dist(crewP50, 4));
  console.log(
    `\n== dispatch overhead: 1 agent vs the local bench, ${localJobs} local jobs, ${soloRows.length} agent jobs ==`,
  );
  line('local bench: cycle per job', dist(localCycles));
  line("local bench: worker's own time", dist(localInWorker));
  line('local bench: cycle - own time, per job (start-up, save)', dist(localOverheads));
  line('one agent: cycle per job', dist(soloCycles));
  line("one agent: worker's own time", dist(soloInWorker));
  line('one agent: cycle - own time, per job', dist(soloOverheads));
  line('  taken -> worker spawned', dist(soloPhases.takeToSpawn));
  line('  worker spawned -> result', dist(soloPhases.worker));
  line('  result -> job recorded', dist(soloPhases.saveAndRecord));
  line('  recorded -> next job taken', dist(soloPhases.endToNext));
  line('  the three steps around the worker, summed per job', dist(soloPhases.fleetSteps));
  line('one agent: job wall in the agent - own time', dist(soloPhases.inAgentLessWorker));
  line('dispatch overhead per job: cycle p50, agent - local', `${f(dispatch)} ms`);
  line('dispatch overhead per job: (cycle - own time) p50, agent - local', `${f(dispatchNet)} ms`);
  line(
    'agent / local cycle (medians; per round)',
    `${f(med(soloCycles) / med(localCycles), 3)} (${pairedRatios.map((x) => f(x, 3)).join(', ')})`,
  );
  line(
    'job median latency: local / agent (context)',
    `${f(med(local.flatMap((l) => l.p50)), 4)} / ${f(med(soloRows.flatMap((r) => (r.result?.stats ? [r.result.stats.p50] : []))), 4)} ms`,
  );
  console.log(`\n== database: ${n} results (fresh database, sizes after the run; delta from before the run) ==`);
  const per1000 = (bytes: number) => (bytes * 1000) / n;
  const results = after['studio.results'];
  console.log(
    `  ${'relation'.padEnd(16)} ${'rows'.padStart(6)} ${'total'.padStart(10)} ${'heap'.padStart(10)} ${'indexes'.padStart(10)} ${'toast'.padStart(10)} ${'delta per 1,000 jobs'.padStart(22)}`,
  );
  for (const name of [
    'studio.results',
    'pgboss.job',
    'pgboss.archive',
    'fleet.jobs',
    'fleet.events',
    'fleet.runs',
    'fleet.agents',
    'database',
  ]) {
    const a = after[name];
    const b = before[name];
    console.log(
      name === 'database'
        ? `  ${name.padEnd(16)} ${'-'.padStart(6)} ${kib(a.total).padStart(10)} ${''.padStart(32)} ${mib(per1000(a.total - b.total)).padStart(22)}`
        : `  ${name.padEnd(16)} ${String(a.rows).padStart(6)} ${kib(a.total).padStart(10)} ${kib(a.heap).padStart(10)} ${kib(a.indexes).padStart(10)} ${kib(a.toast).padStart(10)} ${mib(per1000(a.total - b.total)).padStart(22)}`,
    );
  }
  const fleetNames = ['pgboss.job', 'pgboss.archive', 'fleet.jobs', 'fleet.events', 'fleet.runs', 'fleet.agents'];
  const queueBytes = fleetNames.reduce((s, k) => s + after[k].total - before[k].total, 0);
  line(
    'one result (average): row as stored / doc_text raw / stored',
    `${kib(composition.row_stored, 1)} / ${kib(composition.text_raw, 1)} / ${kib(composition.text_stored, 1)}`,
  );
  line(
    '  doc jsonb stored / samplesMs raw (n) / machine raw',
    `${kib(composition.jsonb_stored, 1)} / ${kib(composition.samples_raw, 1)} (${composition.samples_n}) / ${kib(composition.machine_raw, 1)}`,
  );
  line('fleet.events kept, by kind', eventKinds.join(', '));
  line('studio.results per 1,000 results', mib(per1000(results.total - before['studio.results'].total)));
  line('queue and fleet tables per 1,000 jobs', mib(per1000(queueBytes)));
  line('whole database per 1,000 jobs', mib(per1000(after.database.total - before.database.total)));
  const elapsedS = (Date.now() - startedAt) / 1000;
  const load1 = os.loadavg();
  console.log(
    `\nload average at the end: ${load1.map((x) => x.toFixed(2)).join(' ')}; the bench took ${f(elapsedS, 0)} s`,
  );
  const r1 = (x: number) => Math.round(x * 10) / 10;
  console.log(
    JSON.stringify({
      bench: 'fleet-queue',
      machine: {
        cpu: os.cpus()[0]?.model,
        cores: os.cpus().length,
        node: process.version,
        postgres: pgVersion,
        pgBoss: pgBossVersion,
      },
      config: { jobs: n, agents: AGENTS, local: localJobs, rounds: ROUNDS, job: `${TARGET} ${FLAG_ARGS.join(' ')}` },
      enqueue: { ms: r1(t.enqueueMs), planMs: r1(planMs), jobsPerS: r1(n / (t.enqueueMs / 1000)) },
      throughput: {
        drainS: r1(t.drainMs / 1000),
        jobsPerS: Math.round((n / (t.drainMs / 1000)) * 100) / 100,
        queueWaitP50S: r1(med(queueWait) / 1000),
        cycleP50Ms: r1(med(crewCycles)),
        cycleLessOwnP50Ms: r1(med(crewOverheads)),
        stepsAroundWorkerP50Ms: r1(med(crewPhases.fleetSteps)),
        outcomes: Object.fromEntries(outcomes),
        perAgent: Object.fromEntries(perAgent),
      },
      dispatch: {
        localCycleP50Ms: r1(med(localCycles)),
        agentCycleP50Ms: r1(med(soloCycles)),
        overheadMs: r1(dispatch),
        overheadNetMs: r1(dispatchNet),
        localCycleLessOwnP50Ms: r1(med(localOverheads)),
        agentCycleLessOwnP50Ms: r1(med(soloOverheads)),
        agentStepsAroundWorkerP50Ms: r1(med(soloPhases.fleetSteps)),
        ratio: Math.round((med(soloCycles) / med(localCycles)) * 1000) / 1000,
        localInWorkerP50Ms: r1(med(localInWorker)),
        agentInWorkerP50Ms: r1(med(soloInWorker)),
      },
      resultBytes: composition,
      dbBytesPer1000: {
        results: Math.round(per1000(results.total - before['studio.results'].total)),
        queueAndFleet: Math.round(per1000(queueBytes)),
        database: Math.round(per1000(after.database.total - before.database.total)),
      },
      loadAvg: { start: load0[0], end: load1[0] },
      elapsedS: Math.round(elapsedS),
    }),
  );
} finally {
  await cleanup();
}
