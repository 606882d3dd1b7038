// `fleet`: the team's benchmark agents and queues (docs/FLEET.md): `fleet` lists the agents (name,
// tags, machine, last seen, busy or idle) and the depth of each queue; `fleet cancel RUN` cancels a
// run's jobs; `fleet follow RUN` streams a run again (after `bench --on ... --detach`). And
// `bench TARGETS --on NAME|tag:TAG --db URL` (bench.ts hands off to enqueueRemote below) queues a
// benchmark on the fleet and streams its progress and results back.
import type { Command } from 'commander';
import { EventEmitter } from 'node:events';
import type { BenchResult } from '../../../shared/contract/result.js';
import { StudioError } from '../../../shared/ir/types.js';
import { seedVerdicts, sideByTarget } from '../../../shared/stats/seed-verdicts.js';
import { destinationText, parseDestinations } from '../../fleet/contract.js';
import {
  cancelRun,
  DEFAULT_RETRY_LIMIT,
  enqueueRun,
  fleetStatus,
  followRun,
  openFleet,
  runInfo,
  unserved,
  type EnqueuedRun,
  type Fleet,
  type FollowOutcome,
  type JobView,
} from '../../fleet/enqueue.js';
import { addRepetitionFlags, BenchService, type BenchEvents, type BenchOutcome } from '../../services/bench.js';
import type { BenchSpec } from '../../services/bench-spec.js';
import { ResultsService } from '../../services/results.js';
import { databaseUrlOf, openResultsRepository } from '../../services/open-results.js';
import { defaultResultsDir } from '../../store/paths.js';
import { table } from '../format.js';
import { action, printJson, printText, terminalSafe, warn } from '../io.js';
import { attachProgress } from '../progress.js';

/** What `bench --on` needs of the bench command's options. */
export interface RemoteBenchOptions {
  on?: string;
  db?: string;
  detach?: boolean;
  json?: boolean;
  results?: string;
  scenario: string;
}

/** What bench.ts lends (passed in, so that this module does not import it: no module loop). */
export interface BenchHelpers<O> {
  printOutcome: (outcome: BenchOutcome, location: string, opts: O) => void;
  inFlagWords: (e: unknown) => unknown;
}

const staleAfterMs = () => {
  const s = Number(process.env.BOTTLENECK_FLEET_STALE_AFTER);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 30_000;
};

/** Retries after an agent died (BOTTLENECK_FLEET_RETRIES, default DEFAULT_RETRY_LIMIT). */
function retries(): number {
  const text = process.env.BOTTLENECK_FLEET_RETRIES;
  if (text === undefined || text === '') return DEFAULT_RETRY_LIMIT;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 100)
    throw new StudioError(`BOTTLENECK_FLEET_RETRIES must be an integer from 0 to 100, got '${text}'`, 'bad-parameter');
  return n;
}

function requireDb(db: string | undefined, what: string): string {
  const url = databaseUrlOf({ db });
  if (!url)
    throw new StudioError(`${what} needs --db URL (or BOTTLENECK_DB): the team's PostgreSQL database`, 'bad-parameter');
  return url;
}

/** Once per outage: pg-boss's and the pool's own errors (a restart) are said, not thrown. */
function connectionLogger() {
  let said = 0;
  return (e: Error) => {
    if (Date.now() - said < 10_000) return;
    said = Date.now();
    warn(`database: ${e.message}`);
  };
}

async function withFleet<T>(db: string | undefined, what: string, fn: (fleet: Fleet) => Promise<T>): Promise<T> {
  const fleet = await openFleet(requireDb(db, what), { onError: connectionLogger() });
  try {
    return await fn(fleet);
  } finally {
    await fleet.close();
  }
}

/**
 * `bench TARGETS --on DESTINATIONS --db URL`: plans the spec as the local bench does, queues one job
 * per planned job per destination, then (unless --detach) follows the run: progress on stderr,
 * results as they land, the local bench's summary at the end. Ctrl-C cancels the run's queued and
 * running jobs (a second Ctrl-C stops waiting).
 */
export async function enqueueRemote<O extends RemoteBenchOptions>(
  spec: BenchSpec,
  opts: O,
  helpers: BenchHelpers<O>,
): Promise<void> {
  const destinations = parseDestinations(opts.on ?? '');
  const url = requireDb(opts.db, 'bench --on');
  const dir = opts.results ?? defaultResultsDir();
  const repository = await openResultsRepository({ db: url, dir });
  const results = new ResultsService(dir, repository);
  try {
    await withFleet(url, 'bench --on', async (fleet) => {
      let run: EnqueuedRun;
      try {
        run = await enqueueRun(fleet, {
          spec,
          destinations,
          planner: new BenchService({ results }),
          retryLimit: retries(),
        });
      } catch (e) {
        throw helpers.inFlagWords(e);
      }
      const where = destinations.map(destinationText).join(', ');
      for (const d of await unserved(fleet, destinations, staleAfterMs()))
        warn(
          `no live agent serves ${destinationText(d)} now: its jobs wait until one starts (fleet --db URL lists the agents)`,
        );
      if (opts.detach) {
        if (opts.json)
          printJson({ runId: run.runId, jobs: run.jobs.length, destinations: destinations.map(destinationText) });
        else
          printText(
            `${run.runId}: ${run.jobs.length} job(s) queued for ${where} in ${fleet.db.location}\nfollow it with: fleet follow ${run.runId} --db URL; cancel it with: fleet cancel ${run.runId} --db URL`,
          );
        return;
      }
      if (!opts.json)
        process.stderr.write(
          terminalSafe(
            `${run.runId}: ${run.jobs.length} job(s) queued for ${where} in ${fleet.db.location} (Ctrl-C cancels them)\n`,
          ),
        );
      const followed = await follow(fleet, run.runId, results, run, !opts.json);
      const outcome = outcomeOf(run, followed, destinations.length === 1);
      for (const r of addRepetitionFlags(followed.results))
        await repository.save(r).catch((e) => warn(`could not save the flags of ${r.id}: ${(e as Error).message}`));
      if (spec.report && followed.results.length) {
        try {
          const { path, format, bytes } = await results.export(followed.results, spec.report);
          outcome.report = { path, format, bytes };
        } catch (e) {
          outcome.unsaved.push({ id: spec.report, reason: `the report was not written: ${(e as Error).message}` });
        }
      }
      if (opts.json)
        printJson({
          runId: run.runId,
          db: fleet.db.location,
          destinations: destinations.map(destinationText),
          complete: followed.complete,
          jobs: followed.jobs,
          report: outcome.report?.path,
          comparisons: outcome.verdicts,
          results: outcome.results,
        });
      else helpers.printOutcome(outcome, fleet.db.location, { ...opts, json: false });
      if (opts.json && outcome.results.some((r) => r.status !== 'ok')) process.exitCode = 1;
      if (!followed.complete) {
        warn(`stopped waiting: the run ${run.runId} has jobs not ended yet (fleet follow ${run.runId} to see them)`);
        process.exitCode = 1;
      }
    });
  } finally {
    await results.close();
  }
}

/** Follows a run with the terminal progress of the local bench (one line per job off a TTY); Ctrl-C cancels it. */
async function follow(
  fleet: Fleet,
  runId: string,
  results: ResultsService,
  run: Pick<EnqueuedRun, 'jobs'> | undefined,
  progress: boolean,
): Promise<FollowOutcome> {
  const specs = new Map(run?.jobs.map((j) => [j.jobId, j.spec]) ?? []);
  let total = run?.jobs.length ?? (await runInfo(fleet, runId)).jobs;
  const bus = new EventEmitter();
  const source = {
    on<K extends 'job-start' | 'progress' | 'job-end'>(event: K, cb: (e: BenchEvents[K]) => void) {
      const listener = cb as (...args: unknown[]) => void;
      bus.on(event, listener);
      return () => void bus.off(event, listener);
    },
  };
  const detach = progress ? attachProgress(source, total) : () => {};
  const abort = new AbortController();
  let interrupted = 0;
  const onSigint = () => {
    interrupted++;
    if (interrupted > 1) {
      warn('interrupted again: not waiting any longer');
      abort.abort();
      return;
    }
    warn(`interrupted: cancelling the run ${runId} (results saved so far are kept; Ctrl-C again to stop waiting)`);
    cancelRun(fleet, runId)
      .then((n) =>
        warn(`cancelled ${n.queued} queued job(s); ${n.running} running job(s) are being stopped by their agents`),
      )
      .catch((e) => warn(`could not cancel: ${(e as Error).message}`))
      .finally(() => setTimeout(() => abort.abort(), 20_000).unref());
  };
  process.on('SIGINT', onSigint);
  const jobOf = (v: JobView) => specs.get(v.jobId) ?? ({ id: v.jobId } as never);
  try {
    return await followRun(fleet, {
      runId,
      repository: results.repository,
      staleAfterMs: staleAfterMs(),
      signal: abort.signal,
      on: {
        start: ({ job, agent, attempt }) => {
          total = Math.max(total, job.seq + 1);
          bus.emit('job-start', {
            runId,
            job: jobOf(job),
            label: `${job.label} @ ${agent}${attempt > 1 ? ` (attempt ${attempt})` : ''}`,
            index: job.seq,
            total,
          });
        },
        progress: ({ job, progress: p }) =>
          bus.emit('progress', { runId, job: jobOf(job), progress: p, fraction: p.fraction }),
        retry: ({ job, reason }) => progress && warn(`${job.label}: ${reason}`),
        end: ({ job, result }) => bus.emit('job-end', { runId, job: jobOf(job), result: result ?? standIn(job) }),
        connection: ({ message }) => progress && warn(message),
      },
    });
  } finally {
    process.off('SIGINT', onSigint);
    detach();
  }
}

/** A job that ended without a saved result (refused, cancelled while queued, its agent lost): for the summary only. */
function standIn(v: JobView, spec?: BenchResult['job']): BenchResult {
  const status = v.outcome === 'cancelled' ? 'cancelled' : v.outcome === 'ok' ? 'ok' : 'failed';
  const kind = v.outcome === 'refused' ? 'refused' : v.outcome === 'cancelled' ? 'cancelled' : 'error';
  const where = v.agent ? ` (agent ${v.agent})` : '';
  return {
    id: v.jobId,
    job: spec ?? ({ id: v.jobId, precision: 'fp32' } as BenchResult['job']),
    label: `${v.label} @ ${v.destination}`,
    status,
    failure: { kind, reason: `${v.reason ?? v.outcome ?? 'no outcome'}${where}` },
    samplesMs: [],
    flags: [],
    notes: [],
  } as unknown as BenchResult;
}

/** The run's answer in the local bench's shape (printOutcome prints it the same way). */
function outcomeOf(run: EnqueuedRun, f: FollowOutcome, oneDestination: boolean): BenchOutcome {
  const specs = new Map(run.jobs.map((j) => [j.jobId, j.spec]));
  const byJob = new Map(f.results.map((r) => [r.job.id, r]));
  const all: BenchResult[] = [];
  const unsaved: BenchOutcome['unsaved'] = [];
  let neverStarted = 0;
  for (const v of f.jobs) {
    const spec = specs.get(v.jobId);
    const saved = spec && byJob.get(spec.id);
    if (saved) {
      all.push(saved);
      continue;
    }
    all.push(standIn(v, spec));
    if (v.outcome === 'cancelled') neverStarted++;
    else unsaved.push({ id: v.jobId, reason: v.reason ?? v.outcome ?? 'not ended' });
  }
  const counts = { ok: 0, failed: 0, cancelled: 0 };
  for (const r of all) counts[r.status]++;
  const { comparisons, seedTargets } = run.plan;
  const verdicts =
    oneDestination && comparisons.length
      ? seedVerdicts(
          comparisons,
          f.results,
          sideByTarget((c, t) => seedTargets.get(`${c.name}|${t}`)!),
          { labelParams: false },
        )
      : [];
  return { runId: run.runId, results: all, counts, verdicts, unsaved, neverStarted };
}

const ago = (s: number) =>
  s < 90 ? `${s.toFixed(1)} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : `${(s / 3600).toFixed(1)} h ago`;

export function registerFleet(program: Command): void {
  const fleet = program
    .command('fleet')
    .description("the team's benchmark agents (name, tags, machine, last seen, busy or idle) and queue depths")
    .option('--db <url>', "the team's PostgreSQL database; default: BOTTLENECK_DB")
    .option('--json', 'print one JSON document')
    .action(
      action(async (opts: { db?: string; json?: boolean }) => {
        await withFleet(opts.db, 'fleet', async (f) => {
          const status = await fleetStatus(f, staleAfterMs());
          if (opts.json) return printJson({ db: f.db.location, ...status });
          printText(`agents in ${f.db.location}:`);
          printText(
            status.agents.length
              ? table(
                  ['agent', 'tags', 'machine', 'host', 'last seen', 'status', 'job'],
                  status.agents.map((a) => [
                    a.name,
                    a.tags.join(','),
                    a.machine ?? '',
                    a.host,
                    ago(a.lastSeenS),
                    a.status,
                    a.job ? `${a.job.label ?? a.job.id} (${a.job.runId ?? a.job.queue})` : '',
                  ]),
                )
              : '(none yet: start one with `agent --db URL --name NAME`)',
          );
          printText('\nqueues:');
          printText(
            status.queues.length
              ? table(
                  ['queue', 'queued', 'running'],
                  status.queues.map((q) => [q.name, String(q.queued), String(q.active)]),
                )
              : '(none yet)',
          );
        });
      }),
    );
  fleet
    .command('cancel <runId>')
    .description("cancel a fleet run's queued and running jobs")
    .option('--db <url>', "the team's PostgreSQL database; default: BOTTLENECK_DB")
    .option('--json', 'print one JSON document')
    .action(
      action(async (runId: string, _opts: unknown, cmd: Command) => {
        // The parent's --db and --json count too (`fleet --db URL cancel RUN` as well as `fleet cancel RUN --db URL`).
        const opts = cmd.optsWithGlobals<{ db?: string; json?: boolean }>();
        await withFleet(opts.db, 'fleet cancel', async (f) => {
          const n = await cancelRun(f, runId);
          if (opts.json) printJson({ runId, ...n });
          else
            printText(
              `${runId}: cancelled ${n.queued} queued job(s); ${n.running} running job(s) are being stopped by their agents`,
            );
        });
      }),
    );
  fleet
    .command('follow <runId>')
    .description("stream a fleet run's progress and results until it ends (Ctrl-C cancels it)")
    .option('--db <url>', "the team's PostgreSQL database; default: BOTTLENECK_DB")
    .option('--results <dir>', 'local results folder (reports)', defaultResultsDir())
    .option('--json', 'print one JSON document')
    .action(
      action(async (runId: string, _opts: unknown, cmd: Command) => {
        const opts = cmd.optsWithGlobals<{ db?: string; json?: boolean; results: string }>();
        const url = requireDb(opts.db, 'fleet follow');
        const repository = await openResultsRepository({ db: url, dir: opts.results });
        const results = new ResultsService(opts.results, repository);
        try {
          await withFleet(url, 'fleet follow', async (f) => {
            const followed = await follow(f, runId, results, undefined, !opts.json);
            if (opts.json) printJson({ runId, db: f.db.location, ...followed });
            else
              for (const j of followed.jobs)
                printText(
                  `${j.label} @ ${j.agent ?? j.destination}: ${j.outcome ?? 'not ended'}${j.reason ? `: ${j.reason}` : ''}${j.resultId ? ` (result ${j.resultId})` : ''}`,
                );
            if (followed.jobs.some((j) => j.outcome !== 'ok')) process.exitCode = 1;
          });
        } finally {
          await results.close();
        }
      }),
    );
}
