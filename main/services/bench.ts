// The bench service: a BenchSpec in, jobs measured one at a time in isolated workers, results saved
// the moment each ends, and the run's answer out (results with the flags only repetitions reveal,
// seed comparison verdicts, a report). The CLI, the app's API and the fleet agents drive the same
// service, so the same spec gives the same jobs, rules and answer from each; the faces only turn
// their input into a spec and the events into their own output.
//
// One queue per service: a run started while another is measuring waits behind it (two jobs
// measured at once would each disturb the other's numbers). A run is the unit a face asks for; the
// queue only knows jobs, so the service keeps which jobs belong to which run.
//
// A run is at most SWEEP_LIMITS.hardCap jobs (shared/bench/sweep.ts), counted before anything is
// built. Jobs cancelled before they started are not saved as result files: they measured nothing,
// and a user cancelling 10,000 queued jobs needs no 10,000 files (issue 19). Each still ends with a
// 'cancelled' result in the run's events and outcome (counts.cancelled, the queue board); the job
// that was running when cancelled, and every job that ran, is saved as before.
import { randomBytes } from 'node:crypto';
import {
  CPU_REFERENCE_BACKEND,
  JobSpecSchema,
  JOB_SCHEMA_VERSION,
  type JobSpec,
  type Target,
} from '../../shared/contract/job.js';
import type { MachineProfile } from '../../shared/contract/machine.js';
import type { BenchResult } from '../../shared/contract/result.js';
import type { SeedComparison } from '../../shared/cost/seed-comparisons.js';
import { checkSweepSize, configKey, expandSweep, sweepAxes } from '../../shared/bench/sweep.js';
import { StudioError } from '../../shared/ir/types.js';
import { instabilityFlags } from '../../shared/stats/latency.js';
import { seedVerdicts, sideByTarget, type SeedVerdict, type SeedVerdictGap } from '../../shared/stats/seed-verdicts.js';
import { JobQueue } from '../engine/queue.js';
import { resolveJob } from '../engine/resolve.js';
import type { ProgressMessage } from '../process/job-protocol.js';
import type { Spawner } from '../process/spawner.js';
import {
  BenchSpecSchema,
  jobTargetOf,
  measureOf,
  OFFLINE_BATCHES,
  seedComparison,
  type BenchSpec,
  type ParsedBenchSpec,
} from './bench-spec.js';
import type { ResultsService } from './results.js';

/** A validated spec expanded into the jobs it will run, in order. */
export interface BenchPlan {
  spec: ParsedBenchSpec;
  jobs: JobSpec[];
  comparisons: SeedComparison[];
  /** The job target of each seed comparison's target text (`${comparison}|${text}`). */
  seedTargets: Map<string, Target>;
  /** Targets left out because they cannot run (spec.badTargets 'skip'), with the reason. */
  refused: RefusedTarget[];
}

/** A target of the spec that cannot run; `index` is its place in spec.targets (-1: a seed comparison's). */
export interface RefusedTarget {
  index: number;
  label: string;
  reason: string;
  code: string;
}

export interface BenchOutcome {
  runId: string;
  /** Every job's result, in the order the jobs ran, with the flags its repetitions revealed. */
  results: BenchResult[];
  counts: { ok: number; failed: number; cancelled: number };
  verdicts: (SeedVerdict | SeedVerdictGap)[];
  report?: { path: string; format: string; bytes: number };
  /** Results that could not be saved (a full disk), with the reason: they are in `results` only. */
  unsaved: { id: string; reason: string }[];
  /** Jobs cancelled before they started: in `results` and counts.cancelled, never saved as files. */
  neverStarted: number;
}

export interface BenchEvents {
  /** A run was queued: its jobs in queue order and the targets refused (spec.badTargets 'skip'). */
  'run-start': { runId: string; startedAt: string; jobs: JobSpec[]; refused: RefusedTarget[] };
  'job-start': { runId: string; job: JobSpec; label: string; index: number; total: number };
  progress: { runId: string; job: JobSpec; progress: ProgressMessage; fraction?: number };
  'job-end': { runId: string; job: JobSpec; result: BenchResult };
  /** A result was written to the store (again, when its repetitions added flags). */
  saved: { runId: string; result: BenchResult };
  'run-end': BenchOutcome;
}

export interface BenchRun {
  id: string;
  jobs: JobSpec[];
  /** Targets left out (spec.badTargets 'skip'). */
  refused: RefusedTarget[];
  /** Resolves when every job of the run has ended (cancelled ones included); never rejects. */
  done: Promise<BenchOutcome>;
}

export interface BenchServiceOptions {
  results: ResultsService;
  spawner?: Spawner;
  machine?: () => Promise<MachineProfile>;
  availableMemory?: () => Promise<number | undefined>;
  /** Test hook forwarded to the queue (STUDIO_TEST_FAULT); not for features. */
  workerEnv?: (job: JobSpec) => Record<string, string> | undefined;
}

/** Progress of the measuring phase as a share of its expected length: both minRuns and minTimeS must be reached. */
export function measureFraction(p: ProgressMessage, job: JobSpec): number | undefined {
  if (p.phase !== 'measure') return undefined;
  const m = job.measure;
  const byRuns = p.done / m.minRuns;
  const byTime = m.minTimeS > 0 ? p.elapsedMs / (m.minTimeS * 1000) : 1;
  return Math.max(0, Math.min(1, byRuns, byTime));
}

/**
 * The flags only a run's repetitions reveal (medians that disagree, a trend): each result gets those
 * of its configuration. Returns the results whose flags changed.
 */
export function addRepetitionFlags(results: BenchResult[]): BenchResult[] {
  const changed: BenchResult[] = [];
  // Grouped once by configuration: a run of thousands of jobs must not compare each with every other.
  const byConfig = new Map<string, BenchResult[]>();
  const keys = new Map<BenchResult, string>();
  for (const r of results) {
    if (!r.stats) continue;
    const key = configKey(r.job);
    keys.set(r, key);
    const group = byConfig.get(key);
    if (group) group.push(r);
    else byConfig.set(key, [r]);
  }
  for (const r of results) {
    if (!r.stats) continue;
    const medians = byConfig
      .get(keys.get(r)!)!
      .slice()
      .sort((x, y) => x.job.repetition - y.job.repetition)
      .map((o) => o.stats!.p50);
    const flags = [...new Set([...r.flags, ...instabilityFlags(r.stats, medians)])];
    if (flags.length !== r.flags.length) {
      r.flags = flags;
      changed.push(r);
    }
  }
  return changed;
}

interface Run {
  id: string;
  plan: BenchPlan;
  /** Each job's place in plan.jobs. */
  index: Map<string, number>;
  results: Map<string, BenchResult>;
  unsaved: { id: string; reason: string }[];
  neverStarted: number;
  resolve: (o: BenchOutcome) => void;
}

type Listener<K extends keyof BenchEvents> = (e: BenchEvents[K]) => void;

let runCounter = 0;

export class BenchService {
  private readonly queue: JobQueue;
  private readonly runs = new Map<string, Run>();
  private readonly runOfJob = new Map<string, Run>();
  private readonly ended = new Map<string, { jobs: Set<string> }>();
  private readonly listeners = new Map<keyof BenchEvents, Set<(e: never) => void>>();
  private loop?: Promise<unknown>;
  private outstanding = 0;
  /** The saves asked so far, one after another (see save). */
  private saving: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(private readonly opts: BenchServiceOptions) {
    this.queue = new JobQueue({
      spawner: opts.spawner,
      machine: opts.machine,
      availableMemory: opts.availableMemory,
      workerEnv: opts.workerEnv,
      onResult: (r, { started }) => this.jobEnded(r, started),
    });
    this.queue.on('job-start', ({ job, label }) => {
      const run = this.runOfJob.get(job.id);
      if (!run) return;
      const index = run.index.get(job.id) ?? -1;
      this.emit('job-start', { runId: run.id, job, label, index, total: run.plan.jobs.length });
    });
    this.queue.on('progress', ({ job, progress }) => {
      const run = this.runOfJob.get(job.id);
      if (run) this.emit('progress', { runId: run.id, job, progress, fraction: measureFraction(progress, job) });
    });
  }

  on<K extends keyof BenchEvents>(event: K, cb: Listener<K>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(cb as (e: never) => void);
    return () => set.delete(cb as (e: never) => void);
  }

  /**
   * Validates a spec and expands it into jobs, building every distinct target at every batch first:
   * an unknown block, a bad parameter or an unreadable file is an immediate error naming the
   * target, not a failed job discovered minutes later. A sweep past SWEEP_LIMITS.hardCap jobs is
   * refused first, counted from its merged axes, before any target is built. Nothing runs.
   */
  plan(input: BenchSpec, ids: { group?: string; idPrefix?: string } = {}): BenchPlan {
    const spec = BenchSpecSchema.parse(input);
    const comparisons = (spec.seeds?.names ?? []).map(seedComparison);
    const seedTargets = new Map<string, Target>();
    for (const c of comparisons)
      for (const t of c.targets)
        seedTargets.set(`${c.name}|${t}`, jobTargetOf(t, spec.seeds?.set, spec.seeds?.variant));
    const targets = [
      ...new Map([...spec.targets, ...seedTargets.values()].map((t) => [JSON.stringify(t), t])).values(),
    ];
    if (targets.length === 0)
      throw new StudioError('a benchmark needs targets, or seed comparisons to answer', 'bad-parameter');
    const batches = spec.batches ?? (spec.scenario === 'offline' ? OFFLINE_BATCHES : [1]);
    const repetitions = spec.repetitions ?? (comparisons.length ? 3 : 1);
    checkSweepSize(sweepAxes({ ...spec, targets, batches, repetitions }));
    const problems = preflight(targets, batches);
    // Indexes into what the spec gave (seed comparisons' own targets: -1).
    const refused = problems.map((p) => ({
      ...p,
      index: spec.targets.findIndex((t) => JSON.stringify(t) === JSON.stringify(targets[p.index])),
    }));
    if (refused.length && (spec.badTargets === 'refuse-run' || refused.length === targets.length))
      throw refusal(
        refused,
        spec.badTargets === 'refuse-run' ? 'so nothing was started' : 'so there is nothing to run',
      );
    const bad = new Set(problems.map((p) => p.index));
    const runnable = targets.filter((_, i) => !bad.has(i));
    const jobs = expandSweep({
      ...spec,
      targets: runnable,
      batches,
      repetitions,
      measure: measureOf(spec.measure),
      ...ids,
    }).map((j) => ({ ...j, scenario: spec.scenario }));
    return { spec, jobs, comparisons, seedTargets, refused };
  }

  /** Plans a spec and queues its jobs; returns at once with the run's id, its jobs and its end. */
  start(input: BenchSpec): BenchRun {
    if (this.disposed) throw new StudioError('the studio is shutting down; no new benchmark can start', 'refused');
    const id = `run-${Date.now().toString(36)}-${(runCounter++).toString(36)}${randomBytes(3).toString('hex')}`;
    const plan = this.plan(input, { group: id, idPrefix: id });
    let resolve!: (o: BenchOutcome) => void;
    const done = new Promise<BenchOutcome>((r) => (resolve = r));
    const index = new Map(plan.jobs.map((j, i) => [j.id, i]));
    const run: Run = { id, plan, index, results: new Map(), unsaved: [], neverStarted: 0, resolve };
    this.runs.set(id, run);
    for (const j of plan.jobs) this.runOfJob.set(j.id, run);
    this.ended.set(id, { jobs: new Set() });
    // Validated by plan (expandSweep): queued as they are.
    this.queue.enqueue(plan.jobs);
    this.outstanding += plan.jobs.length;
    this.emit('run-start', { runId: id, startedAt: new Date().toISOString(), jobs: plan.jobs, refused: plan.refused });
    this.kick();
    return { id, jobs: plan.jobs, refused: plan.refused, done };
  }

  /** Cancels one job of a run, or every job of the run not yet ended; returns how many were cancelled. */
  cancel(runId: string, jobId?: string): number {
    const run = this.runs.get(runId);
    const ended = this.ended.get(runId);
    if (!ended)
      throw new StudioError(
        `no benchmark run '${runId}' (it may have ended long ago, or the studio restarted)`,
        'not-found',
      );
    const jobs = run?.plan.jobs ?? [];
    if (jobId !== undefined) {
      if (run && !jobs.some((j) => j.id === jobId))
        throw new StudioError(`run '${runId}' has no job '${jobId}'`, 'not-found');
      return !ended.jobs.has(jobId) && this.queue.cancel(jobId) ? 1 : 0;
    }
    let n = 0;
    // The running job last: cancelling it first would let the queue start the next one meanwhile.
    const active = this.queue.active?.jobId;
    for (const j of jobs) if (j.id !== active && !ended.jobs.has(j.id) && this.queue.cancel(j.id)) n++;
    if (active && this.runOfJob.get(active) === run && this.queue.cancel(active)) n++;
    return n;
  }

  /** Cancels every run (workers killed at once); what was saved stays saved. */
  cancelAll(): void {
    this.queue.cancelAll();
  }

  /** The worker process of the job running now (tests check that none is left behind). */
  get activePid(): number | undefined {
    return this.queue.active?.pid;
  }

  /** Cancels everything and waits, a bounded time, for the queue to settle. */
  async dispose(timeoutMs = 5000): Promise<void> {
    this.disposed = true;
    this.queue.cancelAll();
    if (this.loop) await Promise.race([this.loop, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  private emit<K extends keyof BenchEvents>(event: K, e: BenchEvents[K]): void {
    // A throwing listener (a closed socket, a broken terminal) must not break the queue.
    for (const cb of this.listeners.get(event) ?? [])
      try {
        (cb as Listener<K>)(e);
      } catch (err) {
        console.error(`a listener of ${event} failed: ${(err as Error).message}`);
      }
  }

  private kick(): void {
    if (this.loop || this.disposed) return;
    let stopped = false;
    this.loop = this.queue
      .run()
      .catch((e) => {
        // Not restarted: a queue that throws would throw again, and spin.
        stopped = true;
        console.error(`the benchmark queue stopped: ${(e as Error).message}`);
      })
      .finally(() => {
        this.loop = undefined;
        // Jobs added while the queue was finishing its last job are picked up by a fresh loop.
        if (this.outstanding > 0 && !stopped) this.kick();
      });
  }

  /**
   * Saves a result; a result that cannot be saved (disk full, a database gone) must not stop the
   * queue. Saves happen one after another, in the order asked (a result saved again with its
   * repetition flags must land after its first save, in a database too).
   */
  private save(run: Run, result: BenchResult): Promise<void> {
    this.saving = this.saving.then(async () => {
      try {
        await this.opts.results.save(result);
        this.emit('saved', { runId: run.id, result });
      } catch (e) {
        const reason = (e as Error).message;
        if (!run.unsaved.some((u) => u.id === result.id)) run.unsaved.push({ id: result.id, reason });
        console.error(`could not save result ${result.id}: ${reason}`);
      }
    });
    return this.saving;
  }

  private jobEnded(result: BenchResult, started = true): void {
    this.outstanding = Math.max(0, this.outstanding - 1);
    const run = this.runOfJob.get(result.job.id);
    if (!run) return;
    this.runOfJob.delete(result.job.id);
    run.results.set(result.job.id, result);
    this.ended.get(run.id)?.jobs.add(result.job.id);
    // Never started: nothing measured, so no file (see the top of this file); the outcome counts it.
    if (started) void this.save(run, result);
    else run.neverStarted++;
    this.emit('job-end', { runId: run.id, job: result.job, result });
    if (run.results.size === run.plan.jobs.length) this.finish(run);
  }

  private finish(run: Run): void {
    this.runs.delete(run.id);
    // Kept a while for late cancels (answered with 0), then forgotten.
    setTimeout(() => this.ended.delete(run.id), 10 * 60_000).unref();
    const results = run.plan.jobs.map((j) => run.results.get(j.id)!);
    // Saved at once when each ended; saved again (atomically) now that its repetitions are known.
    for (const r of addRepetitionFlags(results)) void this.save(run, r);
    // The run ends once every save of it is done: a face may close the results store at its end.
    void this.saving.then(() => this.conclude(run, results));
  }

  private conclude(run: Run, results: BenchResult[]): void {
    const { comparisons, seedTargets, spec } = run.plan;
    const verdicts = seedVerdicts(
      comparisons,
      results,
      sideByTarget((c, t) => seedTargets.get(`${c.name}|${t}`)!),
      // One run: every target of a comparison got the same parameters, so the label need not repeat them.
      { labelParams: false },
    );
    const counts = { ok: 0, failed: 0, cancelled: 0 };
    for (const r of results) counts[r.status]++;
    const outcome: BenchOutcome = {
      runId: run.id,
      results,
      counts,
      verdicts,
      unsaved: run.unsaved,
      neverStarted: run.neverStarted,
    };
    if (spec.report) {
      try {
        const { path, format, bytes } = this.opts.results.export(results, spec.report);
        outcome.report = { path, format, bytes };
      } catch (e) {
        outcome.unsaved.push({ id: spec.report, reason: `the report was not written: ${(e as Error).message}` });
      }
    }
    this.emit('run-end', outcome);
    run.resolve(outcome);
  }
}

/**
 * Builds each distinct target at each batch before anything is queued (see BenchService.plan) and
 * returns every target that cannot run with its reason (`index` into `targets`), so one attempt shows
 * them all.
 */
function preflight(targets: Target[], batches: number[]): RefusedTarget[] {
  const problems: RefusedTarget[] = [];
  targets.forEach((target, i) => {
    for (const batch of batches) {
      try {
        // A probe job only resolves the target; its backend is never started.
        const probe = JobSpecSchema.parse({
          version: JOB_SCHEMA_VERSION,
          id: 'preflight',
          target,
          batch,
          backend: { backend: CPU_REFERENCE_BACKEND },
        });
        resolveJob(probe);
      } catch (e) {
        problems.push({
          index: i,
          label: describeTarget(target),
          reason: `at batch ${batch}: ${(e as Error).message}`,
          code: e instanceof StudioError ? e.code : 'bad-parameter',
        });
        return; // one reason per target is enough
      }
    }
  });
  return problems;
}

/** One error naming every refused target (`targets[i] (label) at batch b: reason`). */
function refusal(refused: RefusedTarget[], consequence: string): StudioError {
  const text = (p: RefusedTarget) => `${p.index >= 0 ? `targets[${p.index}] ` : ''}(${p.label}) ${p.reason}`;
  if (refused.length === 1) return new StudioError(text(refused[0]), refused[0].code);
  return new StudioError(
    `${refused.length} targets cannot run, ${consequence}: ${refused.map(text).join('; ')}`,
    refused.every((p) => p.code === refused[0].code) ? refused[0].code : 'bad-parameter',
  );
}

export function describeTarget(t: Target): string {
  if (t.kind === 'file') return `file ${t.path.split(/[\\/]/).pop()}`;
  const params = Object.entries(t.params ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${t.kind} ${t.name}${t.kind === 'model' && t.variant ? `/${t.variant}` : ''}${params ? `:${params}` : ''}`;
}
