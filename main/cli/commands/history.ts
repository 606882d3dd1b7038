// `results history` and `results regressions` (issue 20): each series' medians over time and the
// changes flagged in them (shared/stats/regression.ts; method and measured false-alarm rate in
// docs/REGRESSIONS.md). Registered under `results` by results.ts, which supplies the repository:
// the results folder (--results) or a team's PostgreSQL database (--db, BOTTLENECK_DB).
//
// Exit codes: `results regressions` is a report, so it exits 0 whatever it finds; with
// --fail-on-regression it exits 1 when a 'slower' change is listed that later results did not show
// to be a one-off (state pending or confirmed): the check a CI job runs after its benchmarks.
// User errors (a bad date, a bad number) exit 2, as everywhere (io.ts action).
import type { Command } from 'commander';
import { seriesMatches, type HistoryFilter } from '../../../shared/contract/history.js';
import { PRECISIONS } from '../../../shared/contract/job.js';
import type { BenchResult } from '../../../shared/contract/result.js';
import { StudioError } from '../../../shared/ir/types.js';
import {
  describeSeries,
  historyOf,
  parseSince,
  pointsSince,
  REGRESSION_DEFAULTS,
  regressionsOf,
  type Regression,
  type RegressionOptions,
  type Series,
  type SeriesPoint,
} from '../../../shared/stats/regression.js';
import { machineKeyOf } from '../../../shared/stats/series-key.js';
import type { ResultsRepository } from '../../store/results-repository.js';
import type { StoreProblem } from '../../store/results-store.js';
import { ratio, table } from '../format.js';
import { action, printJson, printText, warn } from '../io.js';
import { withResultsSource, type ResultsSourceOptions } from '../results-source.js';

/** Opens the results the options name (--results, --db); the caller closes it. */
export type RepositoryOf = (opts: ResultsSourceOptions) => Promise<ResultsRepository>;

export interface SeriesSelection {
  target?: string;
  backend?: string;
  batch?: string | number;
  threads?: string | number;
  precision?: string;
  /** Text found (case-insensitively) in the series' machine or device. */
  machine?: string;
}

export interface DetectionFlags {
  /** The smallest change that counts, in percent ("5" or "5%"): the threshold's floor. */
  threshold?: string;
  /** Baseline points (default 10). */
  baseline?: string;
  includeQuick?: boolean;
}

export interface HistoryOptions extends SeriesSelection, DetectionFlags {
  since?: string;
}

export interface RegressionsOptions extends SeriesSelection, DetectionFlags {
  since?: string;
  failOnRegression?: boolean;
}

/** What `results history --json` prints. */
export interface HistoryDocument {
  /** Where the results are (a folder, or a database URL without credentials). */
  location: string;
  /** The detection's settings (RegressionOptions with the defaults filled in). */
  method: Required<RegressionOptions>;
  since?: string;
  /** The matching series, each with its points created since `since` (all judged on the whole history). */
  series: Series[];
  problems: StoreProblem[];
}

/** What `results regressions --json` prints. */
export interface RegressionsDocument {
  location: string;
  method: Required<RegressionOptions>;
  since?: string;
  /** Series looked at. */
  seriesCount: number;
  /** Flagged points, newest first. */
  regressions: Regression[];
  /** Counts by direction, and the 'slower' ones --fail-on-regression fails on (not transient). */
  slower: number;
  faster: number;
  failing: number;
  problems: StoreProblem[];
}

const wholeNumber = (text: string | number | undefined, what: string, min: number): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new StudioError(`${what} must be a whole number >= ${min}, got '${text}'`, 'bad-parameter');
  return n;
};

/** The detection settings the flags ask for, checked. */
export function detectionOptions(o: DetectionFlags): Required<RegressionOptions> {
  const opts: Required<RegressionOptions> = { ...REGRESSION_DEFAULTS };
  if (o.threshold !== undefined) {
    const pct = Number(String(o.threshold).replace(/%$/, ''));
    if (!Number.isFinite(pct) || pct < 0 || pct >= 1000)
      throw new StudioError(
        `--threshold must be a percentage between 0 and 1000, got '${o.threshold}'`,
        'bad-parameter',
      );
    opts.thresholdFloor = pct / 100;
  }
  const baseline = wholeNumber(o.baseline, '--baseline', 2);
  if (baseline !== undefined) opts.baselineSize = baseline;
  if (o.includeQuick) opts.includeQuick = true;
  return opts;
}

function checkSince(since: string | undefined): void {
  if (since === undefined) return;
  try {
    parseSince(since);
  } catch (e) {
    throw new StudioError(`--since: ${(e as Error).message}`, 'bad-parameter');
  }
}

/**
 * The series filter the selection asks for, checked: the History view's (shared/contract/history.ts
 * seriesMatches), so that the CLI and the app select the same series.
 */
export function seriesFilter(o: SeriesSelection): Omit<HistoryFilter, 'since'> {
  if (o.precision !== undefined && !(PRECISIONS as readonly string[]).includes(o.precision))
    throw new StudioError(`--precision must be one of ${PRECISIONS.join(', ')}, got '${o.precision}'`, 'bad-parameter');
  const f: Omit<HistoryFilter, 'since'> = {
    target: o.target,
    backend: o.backend,
    batch: wholeNumber(o.batch, '--batch', 1),
    threads: wholeNumber(o.threads, '--threads', 0),
    precision: o.precision as HistoryFilter['precision'],
    machine: o.machine,
  };
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined && v !== ''));
}

/** The judged series the selection asks for, over the whole history (since trims afterwards). */
async function judgedSeries(repo: ResultsRepository, o: SeriesSelection & DetectionFlags & { since?: string }) {
  checkSince(o.since);
  const method = detectionOptions(o);
  const filter = seriesFilter(o);
  // Not `since`: a point's baseline comes from the results before it.
  const { results, problems } = await repo.load({ status: 'ok', backend: o.backend });
  const selected = Object.keys(filter).length
    ? (r: BenchResult) => seriesMatches({ description: describeSeries(r), machineKey: machineKeyOf(r.machine) }, filter)
    : undefined;
  const series = historyOf(results, { ...method, filter: selected });
  return { method, series, problems };
}

/** `results history`: the matching series and their judged points. */
export async function historyDocument(repo: ResultsRepository, o: HistoryOptions = {}): Promise<HistoryDocument> {
  const { method, series, problems } = await judgedSeries(repo, o);
  return {
    location: repo.location,
    method,
    ...(o.since !== undefined ? { since: o.since } : {}),
    series: pointsSince(series, o.since),
    problems,
  };
}

/** `results regressions`: the flagged points of the matching series, newest first. */
export async function regressionsDocument(
  repo: ResultsRepository,
  o: RegressionsOptions = {},
): Promise<RegressionsDocument> {
  const { method, series, problems } = await judgedSeries(repo, o);
  const found = regressionsOf(series, { since: o.since });
  return {
    location: repo.location,
    method,
    ...(o.since !== undefined ? { since: o.since } : {}),
    seriesCount: series.length,
    regressions: found,
    slower: found.filter((r) => r.direction === 'slower').length,
    faster: found.filter((r) => r.direction === 'faster').length,
    failing: found.filter(failsCi).length,
    problems,
  };
}

/** What --fail-on-regression fails on: a slower change not shown to be a one-off. */
export const failsCi = (r: Regression): boolean => r.direction === 'slower' && r.state !== 'transient';

// ---------------------------------------------------------------------------------------------
// Text

const when = (iso: string) => iso.slice(0, 19).replace('T', ' ');
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
/** A threshold over 100% says the baseline is too short to tell a change from noise (2 or 3 results). */
const thresholdText = (x: number) => (x > 1 ? '>100%' : pct(x));
const ms = (x: number) => x.toFixed(3);

const MARKS: Record<SeriesPoint['verdict'], string> = {
  slower: 'SLOWER',
  faster: 'FASTER',
  'new-level': 'new level',
  unchanged: '',
  'insufficient-history': 'too little history',
  excluded: 'quick run, left out',
};

function mark(p: SeriesPoint): string {
  const m = MARKS[p.verdict];
  return p.flagged ? `${m} (${p.flagged.state})` : m;
}

function seriesHeading(s: Series): string {
  const d = s.description;
  return `${d.label} on ${d.machine}${d.device !== d.machine && !d.machine.includes(d.device) ? ` (${d.device})` : ''}`;
}

export function historyText(doc: HistoryDocument): string {
  if (!doc.series.length)
    return `no series in ${doc.location} match${doc.since ? ` since ${doc.since}` : ''} (ok results with samples)`;
  return doc.series
    .map((s) => {
      const rows = s.points.map((p) => [
        when(p.createdAt),
        p.resultId,
        ms(p.medianMs),
        `${ms(p.ci95.low)}-${ms(p.ci95.high)}`,
        String(p.n),
        p.check ? ratio(p.check.ratio) : '',
        p.check ? thresholdText(p.check.threshold) : '',
        mark(p),
      ]);
      const changes = s.points.flatMap((p) =>
        p.flagged?.versionChanges.length
          ? [`  ${p.resultId}: ${p.flagged.versionChanges.map((v) => `${v.name} ${v.from} -> ${v.to}`).join(', ')}`]
          : [],
      );
      return [
        seriesHeading(s),
        table(['created', 'id', 'p50 ms', '95% CI', 'n', 'vs baseline', 'threshold', 'flag'], rows),
        ...(changes.length ? ['versions changed at the flagged points:', ...changes] : []),
      ].join('\n');
    })
    .join('\n\n');
}

export function regressionsText(doc: RegressionsDocument): string {
  const scope = `${doc.seriesCount} series in ${doc.location}${doc.since ? `, since ${doc.since}` : ''}`;
  if (!doc.regressions.length) return `no change flagged (${scope})`;
  // The machine column only where the rows are on several machines.
  const machines = new Set(doc.regressions.map((r) => r.series.machine)).size > 1;
  const rows = doc.regressions.map((r) => [
    when(r.createdAt),
    r.direction === 'slower' ? 'SLOWER' : 'faster',
    r.state,
    r.series.label,
    ...(machines ? [r.series.machine] : []),
    r.resultId,
    r.baselineId,
    ratio(r.ratio),
    `${ratio(r.ratioCi.low)}-${ratio(r.ratioCi.high)}`,
    r.pValue.toExponential(1),
    thresholdText(r.threshold),
  ]);
  const header = ['created', 'change', 'state', 'series', ...(machines ? ['machine'] : [])];
  const changes = doc.regressions.flatMap((r) =>
    r.versionChanges.length
      ? [`  ${r.resultId}: ${r.versionChanges.map((v) => `${v.name} ${v.from} -> ${v.to}`).join(', ')}`]
      : [],
  );
  return [
    `${doc.slower} slower, ${doc.faster} faster (${scope}); newest first; ratio = result / baseline median:`,
    ...(machines ? [] : [`on ${doc.regressions[0].series.machine}:`]),
    table([...header, 'result', 'baseline', 'ratio', '95% CI', 'p-value', 'threshold'], rows),
    ...(changes.length ? ['versions changed since the baseline:', ...changes] : []),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Commands

function withSelection(cmd: Command): Command {
  return withResultsSource(cmd)
    .option(
      '--target <text>',
      "only targets whose name or series label contains this text, any case ('resnet', 'mid=64')",
    )
    .option('--backend <name>', 'only this backend (exactly: ort-cpu)')
    .option('--batch <n>', 'only this batch size')
    .option('--threads <n>', 'only this intra-op thread count (0: the runtime chose)')
    .option('--precision <p>', `only this precision (${PRECISIONS.join(', ')})`)
    .option('--machine <text>', 'only machines whose CPU, GPU or device contains this text')
    .option('--since <date>', 'only points created at or after (2026-01-31 or ISO 8601); judged on the whole history')
    .option(
      '--threshold <pct>',
      `the smallest change that counts, in percent (default ${REGRESSION_DEFAULTS.thresholdFloor * 100}); a noisy series' own threshold can be higher`,
    )
    .option('--baseline <n>', `results a point is compared with (default ${REGRESSION_DEFAULTS.baselineSize})`)
    .option('--include-quick', 'judge quick runs too and let them into baselines (left out by default)')
    .option('--json', 'print one JSON document');
}

async function using<T>(
  repositoryOf: RepositoryOf,
  o: ResultsSourceOptions,
  fn: (repo: ResultsRepository) => Promise<T>,
) {
  const repo = await repositoryOf({ results: o.results, db: o.db });
  try {
    return await fn(repo);
  } finally {
    await repo.close();
  }
}

const reportProblems = (problems: StoreProblem[]) => {
  for (const p of problems) warn(`${p.file}: ${p.reason}`);
};

/** Adds `history` and `regressions` to the `results` command. */
export function registerHistory(results: Command, repositoryOf: RepositoryOf): void {
  withSelection(
    results
      .command('history')
      .description(
        'each series (machine, target, backend, precision, batch, threads): medians over time, changes flagged',
      ),
  ).action(
    action(async (o: HistoryOptions & ResultsSourceOptions & { json?: boolean }) => {
      const doc = await using(repositoryOf, o, (repo) => historyDocument(repo, o));
      if (o.json) return printJson(doc);
      reportProblems(doc.problems);
      printText(historyText(doc));
    }),
  );

  withSelection(
    results
      .command('regressions')
      .description('changes flagged across all series, newest first (exit 0: a report; see --fail-on-regression)'),
  )
    .option('--fail-on-regression', 'exit 1 when a slower change is listed (unless later results showed it a one-off)')
    .action(
      action(async (o: RegressionsOptions & ResultsSourceOptions & { json?: boolean }) => {
        const doc = await using(repositoryOf, o, (repo) => regressionsDocument(repo, o));
        if (o.json) printJson(doc);
        else {
          reportProblems(doc.problems);
          printText(regressionsText(doc));
        }
        if (o.failOnRegression && doc.failing > 0) process.exitCode = 1;
      }),
    );
}
