import { resolve } from 'node:path';
import type { Command } from 'commander';
import { compareReports } from '../../../shared/cost/compare.js';
import { findSeedComparison, SEED_COMPARISONS } from '../../../shared/cost/seed-comparisons.js';
import { StudioError } from '../../../shared/ir/types.js';
import { seedVerdicts, sideByName } from '../../../shared/stats/seed-verdicts.js';
import {
  comparePair,
  pairSide,
  parsePairTarget,
  type PairComparison,
  type PairSide,
} from '../../../shared/stats/pair-compare.js';
import type { SeedComparison } from '../../../shared/cost/seed-comparisons.js';
import { quickLeftOutText, withoutQuick } from '../../../shared/stats/flags.js';
import { parseAssignments, parseShape } from '../../../shared/targets.js';
import { defaultResultsDir } from '../../store/paths.js';
import { DB_OPTION_HELP, withResults, type ResultsSourceOptions } from '../results-source.js';
import { loadTarget, looksLikeFile } from '../../targets.js';
import { bytes, grouped, ratio, seedVerdictText, table } from '../format.js';
import { action, printJson, printText, warn } from '../io.js';
import { costOf, withTargetOptions, type TargetOptions } from './cost.js';

function compareTargets(targets: string[], opts: TargetOptions) {
  return compareReports(targets.map((target) => ({ target, report: costOf(target, opts) })));
}

function render(title: string, rows: ReturnType<typeof compareTargets>): string {
  return (
    `${title}\n` +
    table(
      ['target', 'output', 'params', 'MACs', 'weights fp32', 'peak act.', 'params ratio', 'MACs ratio', 'peak ratio'],
      rows.map((r) => [
        r.target,
        r.outputShape.join('x'),
        grouped(r.params),
        grouped(r.macs),
        bytes(r.weightBytes),
        bytes(r.peakActivationBytes),
        ratio(r.ratioToFirst.params),
        ratio(r.ratioToFirst.macs),
        ratio(r.ratioToFirst.peakActivationBytes),
      ]),
    ) +
    '\n(ratio = first target / this target)\n'
  );
}

export function registerCompare(program: Command): void {
  withTargetOptions(
    program
      .command('compare [targets...]')
      .description('side-by-side costs; targets may carry overrides: reduce-then-conv:mode=direct')
      .option('--seed <name>', `a seed comparison: ${SEED_COMPARISONS.map((c) => c.name).join(', ')}`)
      .option('--seeds', 'every seed comparison')
      .option(
        '--measured',
        'also the measured speed-up from the saved results, per setting (machine, device, backend, batch, threads, precision): for two targets A B (any parameters, e.g. bottleneck:mid=32,stride=2 basic-residual: speed-up = A / B), or with --seed/--seeds',
      )
      .option('--include-quick', 'with --measured: pool quick runs too (left out of comparisons by default)')
      .option('--results <dir>', 'results folder (with --measured)', defaultResultsDir())
      .option('--db <url>', `with --measured: ${DB_OPTION_HELP}`),
  ).action(
    action(
      async (
        targets: string[],
        opts: TargetOptions & {
          seed?: string;
          seeds?: boolean;
          measured?: boolean;
          includeQuick?: boolean;
          results: string;
          db?: string;
        },
      ) => {
        const sets = opts.seeds
          ? SEED_COMPARISONS
          : opts.seed
            ? [findSeedComparison(opts.seed) ?? badSeed(opts.seed)]
            : undefined;
        if (opts.measured && !sets && targets.length !== 2)
          throw new StudioError(
            `--measured compares two targets (compare A B --measured), or a seed comparison (--seed <name>, --seeds); got ${targets.length} target${targets.length === 1 ? '' : 's'}`,
            'bad-parameter',
          );
        if (sets) {
          const results = sets.map((c) => ({ ...c, rows: compareTargets(c.targets, opts) }));
          const measured = opts.measured ? await measuredVerdicts(sets, opts, opts.includeQuick) : undefined;
          if (opts.json) return printJson({ comparisons: results, ...(measured ?? {}) });
          for (const r of results) printText(render(`${r.name}: ${r.question}`, r.rows));
          if (measured) printMeasured(measured, opts.results);
          return;
        }
        if (targets.length < 2)
          throw new StudioError('compare needs at least two targets, or --seed <name>, or --seeds', 'bad-parameter');
        const rows = compareTargets(targets, opts);
        const pair = opts.measured ? await measuredPair(targets[0], targets[1], opts) : undefined;
        if (opts.json) return printJson({ comparisons: [{ name: 'custom', targets, rows }], ...(pair ?? {}) });
        printText(render('comparison', rows));
        if (pair) printPair(pair, opts.results);
      },
    ),
  );
}

/** The saved results of the comparisons' targets, pooled per setting (machine, device, backend...). */
async function measuredVerdicts(sets: readonly SeedComparison[], source: ResultsSourceOptions, includeQuick = false) {
  const { results, problems, location } = await loadOk(source);
  // Quick runs stay out of comparisons unless asked for (shared/stats/flags.ts), as in the app.
  const { kept, leftOut } = withoutQuick(results, includeQuick);
  return {
    measured: seedVerdicts(sets, kept, sideByName),
    quickLeftOut: leftOut.length,
    resultsDir: location,
    unreadable: problems.map((p) => `${p.file}: ${p.reason}`),
  };
}

/** The saved results that measured something, from the folder or the database. */
function loadOk(source: ResultsSourceOptions) {
  return withResults(source, async (s) => ({ ...(await s.load({ status: 'ok' })), location: s.location }));
}

function printMeasured(m: Awaited<ReturnType<typeof measuredVerdicts>>, dir: string): void {
  for (const p of m.unreadable) warn(`skipped ${p}`);
  if (m.quickLeftOut) printText(`(${quickLeftOutText(m.quickLeftOut)}: --include-quick pools them)`);
  if (m.measured.length === 0) {
    printText(
      `\nNo saved results of these comparisons in ${dir}: measure them first, e.g.\n  npm run cli -- bench --seeds --backend ort-cpu,ort-webgpu`,
    );
    return;
  }
  printText('\n' + seedVerdictText(m.measured));
}

/** One side of `compare A B --measured`: a block or zoo model (every parameter resolved), or an .onnx file by path. */
function sideOf(target: string, opts: TargetOptions): PairSide {
  const set = parseAssignments(opts.set);
  const input = opts.input ? parseShape(opts.input) : undefined;
  if (looksLikeFile(target)) {
    const path = resolve(target);
    const graph = loadTarget({ target, set, variant: opts.variant, input });
    return {
      label: target,
      matches: (r) => r.job.target.kind === 'file' && r.job.target.path === path,
      // A file's batch is its own (symbolic or fixed): its graph as loaded.
      graphAt: () => graph,
    };
  }
  return pairSide(parsePairTarget(target, { set, variant: opts.variant, input }));
}

/** Two targets against each other in every setting of the saved results. */
async function measuredPair(
  a: string,
  b: string,
  opts: TargetOptions & { results: string; db?: string; includeQuick?: boolean },
) {
  const [sa, sb] = [sideOf(a, opts), sideOf(b, opts)];
  const { results, problems, location } = await loadOk(opts);
  return {
    pair: comparePair(sa, sb, results, { includeQuick: opts.includeQuick }),
    resultsDir: location,
    unreadable: problems.map((p) => `${p.file}: ${p.reason}`),
  };
}

const x = (v: number | undefined) => (v === undefined ? '' : ratio(v));

function printPair(m: { pair: PairComparison; unreadable: string[] }, dir: string): void {
  for (const p of m.unreadable) warn(`skipped ${p}`);
  const p = m.pair;
  const t = p.theory;
  printText(
    `\nA = ${p.a}, B = ${p.b}: speed-up of B over A (above 1: B is faster)` +
      (t
        ? `\ncost model at batch ${t.batch}: MACs A/B ${ratio(t.macsRatio)}, memory traffic A/B ${ratio(t.trafficRatio)}`
        : ''),
  );
  if (p.excluded.length) printText(`(${quickLeftOutText(p.excluded.length)}: --include-quick pools them)`);
  if (p.settings.length === 0) {
    printText(
      `\nNo saved results of ${p.a} or ${p.b} in ${dir}: measure both first, e.g.\n  npm run cli -- bench '${p.a}' '${p.b}' --backend ort-cpu`,
    );
    return;
  }
  const rows = p.settings.map((s) => [
    s.setting,
    s.device,
    x(s.theory?.macsRatio),
    x(s.theory?.trafficRatio),
    s.measured ? ratio(s.measured.speedup) : '',
    s.measured ? `${ratio(s.measured.speedupCi.low)}-${ratio(s.measured.speedupCi.high)}` : '',
    s.measured ? s.measured.verdict : `not measured: no result of ${s.missing === 'A' ? p.a : p.b}`,
    s.measured ? `${s.measured.repetitions[0]}+${s.measured.repetitions[1]}` : `${s.ids[0].length}+${s.ids[1].length}`,
  ]);
  printText(
    '\n' +
      table(
        ['setting', 'device', 'MACs A/B', 'traffic A/B', 'measured A/B', '95% CI', 'verdict (B vs A)', 'results A+B'],
        rows,
      ),
  );
  const findings = p.settings.flatMap((s) => (s.finding ? [`${s.setting}: B ${s.finding}`] : []));
  if (findings.length)
    printText(`\nWhere the measurement parts from the cost model:\n${findings.map((f) => `- ${f}`).join('\n')}`);
  if (p.notMeasuredCount)
    printText(
      `\n${p.notMeasuredCount} setting${p.notMeasuredCount === 1 ? '' : 's'} not measured for both: benchmark the missing side there to compare.`,
    );
}

function badSeed(name: string): never {
  throw new StudioError(
    `unknown seed comparison '${name}'. Known: ${SEED_COMPARISONS.map((c) => c.name).join(', ')}`,
    'bad-parameter',
  );
}
