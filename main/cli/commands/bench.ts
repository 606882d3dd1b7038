// `bench`: measure targets on backends in isolated worker processes, save every result at once,
// print a summary (and, for seed comparisons, measured speed-ups beside the analytic ratios).
import type { Command } from 'commander';
import {
  BACKEND_NAMES,
  BACKEND_TRAITS,
  NATIVE_ISAS,
  type BackendName,
  type NativeIsa,
} from '../../../shared/contract/job.js';
import type { BenchResult } from '../../../shared/contract/result.js';
import { SEED_COMPARISONS } from '../../../shared/cost/seed-comparisons.js';
import { StudioError } from '../../../shared/ir/types.js';
import { SOFTWARE_ADAPTER_LABEL } from '../../../shared/hardware/adapters.js';
import { parseAssignments } from '../../../shared/targets.js';
import { checkDeviceId } from '../../backends/ort/providers.js';
import { BenchService, type BenchOutcome } from '../../services/bench.js';
import { jobTargetOf, type BenchSpec } from '../../services/bench-spec.js';
import { DB_OPTION_HELP, openResults } from '../results-source.js';
import { MachineService } from '../../services/machine.js';
import { defaultResultsDir, rooflineDir } from '../../store/paths.js';
import { RooflineStore } from '../../store/roofline-store.js';
import { seedVerdictText, table } from '../format.js';
import { action, printJson, printText, warn, terminalSafe } from '../io.js';
import { splitFlags } from '../../../shared/stats/flags.js';
import { attachProgress } from '../progress.js';
import {
  FIDELITY_HEADER,
  fidelityRow,
  parseCalibration,
  parsePrecisions,
  type CalibrationFlags,
} from '../../precision/options.js';

export interface BenchOptions extends CalibrationFlags {
  backend: string;
  precision: string;
  isa?: string;
  device?: string;
  threads?: string;
  batch?: string;
  scenario: string;
  set?: string;
  variant?: string;
  seed?: string;
  seeds?: boolean;
  repetitions?: string;
  warmupRuns?: string;
  minRuns?: string;
  minTime?: string;
  maxTime?: string;
  targetCi?: string;
  timeLimit?: string;
  profile?: boolean;
  strictPlacement?: boolean;
  results?: string;
  db?: string;
  /** Queue the jobs on fleet agents (NAME or tag:TAG, comma-separated) instead of running them here. */
  on?: string;
  detach?: boolean;
  report?: string;
  json?: boolean;
}

const list = (text: string, what: string): number[] =>
  text.split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 0)
      throw new StudioError(`${what} must be non-negative integers, got '${s}'`, 'bad-parameter');
    return n;
  });

const number = (text: string | undefined, what: string): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0)
    throw new StudioError(`${what} must be a non-negative number, got '${text}'`, 'bad-parameter');
  return n;
};

function isaOf(text: string): NativeIsa {
  if (!(NATIVE_ISAS as readonly string[]).includes(text))
    throw new StudioError(`--isa must be one of ${NATIVE_ISAS.join(', ')}, got '${text}'`, 'bad-parameter');
  return text as NativeIsa;
}

/** --isa applies to the backends that take a kernel path; the others ignore it. */
const isaOption = (backend: BackendName, isa: NativeIsa) => (BACKEND_TRAITS[backend].takesIsa ? { isa } : {});

function deviceIdOf(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 0)
    throw new StudioError(`--device must be a GPU index (an integer >= 0, e.g. 1), got '${text}'`, 'bad-parameter');
  return n;
}

function backends(text: string): BackendName[] {
  return text.split(',').map((b) => {
    const name = b.trim();
    if (!(BACKEND_NAMES as readonly string[]).includes(name))
      throw new StudioError(`unknown backend '${name}'. Backends: ${BACKEND_NAMES.join(', ')}`, 'bad-parameter');
    return name as BackendName;
  });
}

const ms = (v: number | undefined) =>
  v === undefined ? '' : v < 1 ? v.toFixed(4) : v < 100 ? v.toFixed(3) : v.toFixed(1);

/** Which rule ended the measured runs, in a few words. */
const STOPPED_BY: Record<NonNullable<BenchResult['stopReason']>, string> = {
  'ci-reached': 'CI reached',
  'min-reached': 'minimums',
  'min-time-and-runs': 'minimums',
  'user-min-time-and-runs': 'your minimums',
  'max-time': 'max time',
  'max-runs': 'max runs',
};

function summaryTable(results: BenchResult[]): string {
  return table(
    ['job', 'status', 'n', 'p50 ms', '95% CI of p50', 'p90 ms', 'cv', 'items/s', 'GFLOP/s', 'peak RSS', 'stopped by'],
    results.map((r) => {
      const s = r.stats;
      return [
        r.label,
        r.status === 'ok' ? 'ok' : `${r.status}: ${r.failure?.kind ?? ''}`,
        String(s?.n ?? ''),
        ms(s?.p50),
        s ? `${ms(s.medianCi.low)}-${ms(s.medianCi.high)}` : '',
        ms(s?.p90),
        s ? `${(s.cv * 100).toFixed(1)}%` : '',
        s ? s.throughput.toFixed(1) : '',
        s ? s.gflops.toFixed(2) : '',
        r.memory ? `${(r.memory.peakRssBytes / 2 ** 20).toFixed(0)} MiB` : '',
        r.stopReason ? STOPPED_BY[r.stopReason] : '',
      ];
    }),
  );
}

/**
 * GPU jobs: the device, the cold first run (shader or kernel compilation included) apart from the
 * warm latency, the device-resident latency beside the complete run, placement and device memory.
 */
function gpuTable(results: BenchResult[]): string {
  return table(
    ['job', 'device', 'first run ms', 'p50 ms (complete run)', 'device-resident ms', 'MACs on device', 'device memory'],
    results.map((r) => {
      const a = r.runtime?.adapter;
      // The share of the cost model's MACs that ran anywhere but on the CPU provider.
      const shares = r.placement?.macsShareByProvider;
      const share = shares
        ? Object.entries(shares).reduce((sum, [p, v]) => (p === 'CPUExecutionProvider' ? sum : sum + v), 0)
        : undefined;
      return [
        r.label,
        a ? `${a.name}${a.software ? ` [${SOFTWARE_ADAPTER_LABEL}]` : ''}` : '',
        ms(r.coldStart?.firstRunMs),
        ms(r.stats?.p50),
        ms(r.deviceResident?.medianMs),
        share === undefined ? '' : `${(share * 100).toFixed(1)}%`,
        r.memory?.gpuBytes !== undefined
          ? `${(r.memory.gpuBytes / 2 ** 20).toFixed(0)} MiB`
          : r.memory?.gpuUnmeasured
            ? 'not measurable here'
            : '',
      ];
    }),
  );
}

/** Per-layer kernel times (--profile): the runtime's nodes, what they cover, MACs and GFLOP/s. */
function nodeTable(r: BenchResult): string {
  const nodes = [...r.nodes!].sort((a, b) => b.meanUs - a.meanUs);
  const total = nodes.reduce((s, n) => s + n.meanUs, 0);
  return table(
    ['runtime node', 'op', 'provider', 'mean us', 'share', 'MACs', 'GFLOP/s', 'studio layers'],
    nodes.map((n) => [
      n.name,
      n.op,
      n.provider.replace('ExecutionProvider', ''),
      n.meanUs.toFixed(1),
      `${((100 * n.meanUs) / (total || 1)).toFixed(1)}%`,
      n.macs.toLocaleString('en-US'),
      n.gflops ? n.gflops.toFixed(1) : '',
      n.graphNodes.join(', '),
    ]),
  );
}

/** Offline scenario: the best throughput of each target and the batch that reached it. */
function offlineTable(results: BenchResult[]): string {
  const best = new Map<string, BenchResult>();
  for (const r of results) {
    if (!r.stats) continue;
    const key = JSON.stringify([r.job.target, r.job.backend]);
    const cur = best.get(key);
    if (!cur || r.stats.throughput > cur.stats!.throughput) best.set(key, r);
  }
  return table(
    ['offline: target', 'best items/s', 'at batch', 'GFLOP/s'],
    [...best.values()].map((r) => [
      r.label.replace(/, batch \d+/, ''),
      r.stats!.throughput.toFixed(1),
      String(r.job.batch),
      r.stats!.gflops.toFixed(2),
    ]),
  );
}

export function registerBench(program: Command): void {
  program
    .command('bench [targets...]')
    .description('measure latency on ONNX Runtime in isolated processes; results are saved as they finish')
    .option('--backend <list>', `backends: ${BACKEND_NAMES.join(', ')}`, 'ort-cpu')
    .option(
      '--isa <path>',
      'native backend only: force an ISA path (scalar, avx2, avx512); default: the best the CPU has',
    )
    .option('--device <id>', 'GPU index for ort-cuda, ort-tensorrt and ort-dml (default 0); recorded in results')
    .option('--threads <list>', 'intra-op thread counts, e.g. 1,2 (0 = the runtime default)')
    .option('--precision <list>', 'precisions: fp32, fp16, int8 (variants built from the fp32 model)', 'fp32')
    .option('--calibration <method>', 'int8 activation ranges: minmax, percentile or entropy (default minmax)')
    .option('--calibration-samples <n>', 'int8: seeded random calibration inputs (default 8)')
    .option('--calibration-seed <n>', 'int8: seed of the first calibration input (default 1000)')
    .option('--percentile <p>', 'int8 percentile calibration: the share of values kept, % (default 99.999)')
    .option('--batch <list>', 'batch sizes, e.g. 1,8,32 (default 1; offline: 1,4,16,64)')
    .option(
      '--scenario <name>',
      'single-stream (latency, p90 headline) or offline (throughput over batches)',
      'single-stream',
    )
    .option('--set <pairs>', 'parameter overrides for every block/model target, e.g. mid=32')
    .option('--variant <name>', 'model variant')
    .option('--seed <name>', `bench a seed comparison: ${SEED_COMPARISONS.map((c) => c.name).join(', ')}`)
    .option('--seeds', 'bench every seed comparison')
    .option('--repetitions <n>', 'fresh-process repetitions per configuration (default 1, 3 for comparisons)')
    .option('--warmup-runs <n>', 'warm-up runs (bounded by 2 s)')
    .option('--min-runs <n>', 'minimum measured runs (given, it holds: no early stop before it)')
    .option('--min-time <s>', 'minimum measuring time per job, seconds (given, it holds: no early stop before it)')
    .option('--max-time <s>', 'maximum measuring time per job, seconds')
    .option(
      '--target-ci <fraction>',
      'with the default minimums, stop early once the median is known to within this fraction (default 0.01)',
    )
    .option('--time-limit <s>', 'kill a job that runs longer than this, seconds')
    .option('--profile', 'per-node kernel times and provider placement')
    .option(
      '--strict-placement',
      'GPU backends: refuse a job whose nodes fell back to the CPU instead of reporting it as a GPU result',
    )
    .option('--results <dir>', 'results folder', defaultResultsDir())
    .option('--db <url>', DB_OPTION_HELP)
    .option(
      '--on <destinations>',
      'run on fleet agents instead of here: agent names or tag:TAG, comma-separated (needs --db)',
    )
    .option('--detach', 'with --on: queue the jobs, print the run id and return')
    .option('--report <file>', 'also write a report: .html, .md, .csv or .json')
    .option('--json', 'print one JSON document (no progress bars)')
    .action(
      action(async (targetArgs: string[], opts: BenchOptions) => {
        const spec = benchSpecOf(targetArgs, opts);
        // On the fleet (docs/FLEET.md): the same spec, queued for agents; their results stream back.
        if (opts.on !== undefined)
          return (await import('./fleet.js')).enqueueRemote(spec, opts, { printOutcome, inFlagWords });
        // Opened before anything runs: a database that cannot be reached is said now, not after the jobs.
        const results = await openResults(opts);
        // Results embed the roofline kept for this machine and runtime in the results folder (measured
        // in the app's Hardware view); a benchmark never measures one itself.
        const machine = new MachineService({ rooflines: new RooflineStore(rooflineDir(results.dir)) });
        const service = new BenchService({ results, machine: () => machine.resultsProfile() });
        let run;
        try {
          run = service.start(spec);
        } catch (e) {
          throw inFlagWords(e);
        }
        const detach = opts.json ? () => {} : attachProgress(service, run.jobs.length);
        // Workers lead their own process groups, so Ctrl-C reaches only us: cancel them, keep what is saved.
        const onSigint = () => {
          warn('interrupted: cancelling the remaining jobs (results saved so far are kept)');
          service.cancelAll();
        };
        process.once('SIGINT', onSigint);
        let outcome: BenchOutcome;
        try {
          outcome = await run.done;
        } finally {
          detach();
          process.off('SIGINT', onSigint);
          await results.close();
        }
        printOutcome(outcome, results.location, opts);
      }),
    );
}

/** The CLI's targets and flags as a BenchSpec: the bench service applies every rule. */
export function benchSpecOf(targetArgs: string[], opts: BenchOptions): BenchSpec {
  const set = parseAssignments(opts.set);
  if (opts.scenario !== 'single-stream' && opts.scenario !== 'offline')
    throw new StudioError(`--scenario must be single-stream or offline, got '${opts.scenario}'`, 'bad-parameter');
  const seeds = opts.seeds ? SEED_COMPARISONS.map((c) => c.name) : opts.seed ? [opts.seed] : [];
  if (seeds.length === 0 && targetArgs.length === 0)
    throw new StudioError('bench needs targets, or --seed <name>, or --seeds', 'bad-parameter');
  const measure = {
    ...(opts.warmupRuns !== undefined && { warmupRuns: number(opts.warmupRuns, '--warmup-runs') }),
    ...(opts.minRuns !== undefined && { minRuns: number(opts.minRuns, '--min-runs') }),
    ...(opts.minTime !== undefined && { minTimeS: number(opts.minTime, '--min-time') }),
    ...(opts.maxTime !== undefined && { maxTimeS: number(opts.maxTime, '--max-time') }),
    ...(opts.targetCi !== undefined && { targetRelCi: number(opts.targetCi, '--target-ci') }),
  };
  const deviceId = opts.device === undefined ? undefined : deviceIdOf(opts.device);
  return {
    targets: targetArgs.map((t) => jobTargetOf(t, set, opts.variant)),
    ...(seeds.length ? { seeds: { names: seeds, set, variant: opts.variant } } : {}),
    backends: backends(opts.backend).map((backend) => {
      checkDeviceId(backend, deviceId);
      return {
        backend,
        profiling: !!opts.profile,
        ...(opts.strictPlacement ? { strictPlacement: true } : {}),
        ...(opts.isa ? isaOption(backend, isaOf(opts.isa)) : {}),
        ...(deviceId !== undefined ? { deviceId } : {}),
      };
    }),
    ...(opts.batch !== undefined ? { batches: list(opts.batch, '--batch') } : {}),
    threads: opts.threads ? list(opts.threads, '--threads') : undefined,
    precisions: parsePrecisions(opts.precision),
    calibration: parseCalibration(opts),
    ...(opts.repetitions !== undefined ? { repetitions: Number(opts.repetitions) } : {}),
    scenario: opts.scenario,
    measure,
    timeLimitS: number(opts.timeLimit, '--time-limit'),
    ...(opts.report ? { report: opts.report } : {}),
  };
}

/** The spec's field names in the service's messages, as the flags that set them. */
const FLAG_OF: Record<string, string> = {
  'measure.minTimeS': '--min-time',
  'measure.maxTimeS': '--max-time',
  'measure.minRuns': '--min-runs',
  'measure.warmupRuns': '--warmup-runs',
  'measure.targetRelCi': '--target-ci',
};

function inFlagWords(e: unknown): unknown {
  if (e instanceof StudioError)
    for (const [field, flag] of Object.entries(FLAG_OF)) e.message = e.message.split(field).join(flag);
  return e;
}

function printOutcome(outcome: BenchOutcome, resultsDir: string, opts: BenchOptions): void {
  const { results, verdicts, report } = outcome;
  const failed = results.filter((r) => r.status !== 'ok');
  if (opts.json) printJson({ resultsDir, report: report?.path, comparisons: verdicts, results });
  else {
    printText(summaryTable(results));
    const offCpu = results.filter((r) => r.runtime?.adapter || r.deviceResident || r.memory?.gpuUnmeasured);
    if (offCpu.length) {
      printText(
        '\nGPU jobs (first run includes shader/kernel compilation; device-resident = no host<->device copies):',
      );
      printText(gpuTable(offCpu));
    }
    if (opts.scenario === 'offline') printText('\n' + offlineTable(results));
    const variants = results.filter((r) => r.job.precision !== 'fp32');
    if (variants.length) {
      printText('\nPrecision variants against fp32 (same seeded inputs, untimed):');
      printText(
        table(
          FIDELITY_HEADER,
          variants.map((r) =>
            fidelityRow(r.label, r.status === 'ok' ? 'ok' : (r.failure?.kind ?? r.status), r.precision),
          ),
        ),
      );
    }
    // Warnings only (notes say what ran and how: in the result and the report, not on stderr).
    for (const r of results) for (const f of splitFlags(r).warnings) warn(`${r.label}: ${f}`);
    for (const r of results.filter((x) => x.nodes?.length)) printText(`\n${r.label}:\n${nodeTable(r)}`);
    if (verdicts.length) printText('\n' + seedVerdictText(verdicts));
    // Jobs cancelled before they started measured nothing and have no file (BenchService).
    const ids = new Set(results.map((r) => r.id));
    const saved = results.length - outcome.neverStarted - outcome.unsaved.filter((u) => ids.has(u.id)).length;
    const skipped = outcome.neverStarted
      ? `; ${outcome.neverStarted} cancelled before they started (nothing to save)`
      : '';
    printText(`\n${saved} result(s) saved in ${resultsDir}${skipped}${report ? `; report: ${report.path}` : ''}`);
  }
  for (const u of outcome.unsaved) warn(`not saved: ${u.id}: ${u.reason}`);
  if (failed.length) {
    for (const r of failed)
      process.stderr.write(terminalSafe(`failed: ${r.label}: ${r.failure?.kind}: ${r.failure?.reason}\n`));
    process.exitCode = 1;
  }
}
