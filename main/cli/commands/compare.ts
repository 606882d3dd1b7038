import type { Command } from 'commander';
import { compareReports } from '../../../shared/cost/compare.js';
import { findSeedComparison, SEED_COMPARISONS } from '../../../shared/cost/seed-comparisons.js';
import { StudioError } from '../../../shared/ir/types.js';
import { seedVerdicts, sideByName } from '../../../shared/stats/seed-verdicts.js';
import type { SeedComparison } from '../../../shared/cost/seed-comparisons.js';
import { defaultResultsDir } from '../../store/paths.js';
import { ResultsStore } from '../../store/results-store.js';
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
        'with --seed/--seeds: also the measured saving on each device, from the saved results (bench --seed ... --backend ort-cpu,ort-webgpu)',
      )
      .option('--results <dir>', 'results folder (with --measured)', defaultResultsDir()),
  ).action(
    action(
      (
        targets: string[],
        opts: TargetOptions & { seed?: string; seeds?: boolean; measured?: boolean; results: string },
      ) => {
        const sets = opts.seeds
          ? SEED_COMPARISONS
          : opts.seed
            ? [findSeedComparison(opts.seed) ?? badSeed(opts.seed)]
            : undefined;
        if (opts.measured && !sets) throw new StudioError('--measured needs --seed <name> or --seeds', 'bad-parameter');
        if (sets) {
          const results = sets.map((c) => ({ ...c, rows: compareTargets(c.targets, opts) }));
          const measured = opts.measured ? measuredVerdicts(sets, opts.results) : undefined;
          if (opts.json) return printJson({ comparisons: results, ...(measured ?? {}) });
          for (const r of results) printText(render(`${r.name}: ${r.question}`, r.rows));
          if (measured) printMeasured(measured, opts.results);
          return;
        }
        if (targets.length < 2)
          throw new StudioError('compare needs at least two targets, or --seed <name>, or --seeds', 'bad-parameter');
        const rows = compareTargets(targets, opts);
        if (opts.json) return printJson({ comparisons: [{ name: 'custom', targets, rows }] });
        printText(render('comparison', rows));
      },
    ),
  );
}

/** The saved results of the comparisons' targets, pooled per setting (machine, device, backend...). */
function measuredVerdicts(sets: readonly SeedComparison[], dir: string) {
  const store = new ResultsStore(dir);
  const { results, problems } = store.load({ status: 'ok' });
  return {
    measured: seedVerdicts(sets, results, sideByName),
    resultsDir: store.dir,
    unreadable: problems.map((p) => `${p.file}: ${p.reason}`),
  };
}

function printMeasured(m: ReturnType<typeof measuredVerdicts>, dir: string): void {
  for (const p of m.unreadable) warn(`skipped ${p}`);
  if (m.measured.length === 0) {
    printText(
      `\nNo saved results of these comparisons in ${dir}: measure them first, e.g.\n  npm run cli -- bench --seeds --backend ort-cpu,ort-webgpu`,
    );
    return;
  }
  printText('\n' + seedVerdictText(m.measured));
}

function badSeed(name: string): never {
  throw new StudioError(
    `unknown seed comparison '${name}'. Known: ${SEED_COMPARISONS.map((c) => c.name).join(', ')}`,
    'bad-parameter',
  );
}
