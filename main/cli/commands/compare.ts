import type { Command } from 'commander';
import { compareReports } from '../../../shared/cost/compare.js';
import { findSeedComparison, SEED_COMPARISONS } from '../../../shared/cost/seed-comparisons.js';
import { StudioError } from '../../../shared/graph/types.js';
import { bytes, grouped, ratio, table } from '../format.js';
import { action, printJson, printText } from '../io.js';
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
      .option('--seeds', 'every seed comparison'),
  ).action(
    action((targets: string[], opts: TargetOptions & { seed?: string; seeds?: boolean }) => {
      const sets = opts.seeds
        ? SEED_COMPARISONS
        : opts.seed
          ? [findSeedComparison(opts.seed) ?? badSeed(opts.seed)]
          : undefined;
      if (sets) {
        const results = sets.map((c) => ({ ...c, rows: compareTargets(c.targets, opts) }));
        if (opts.json) return printJson({ comparisons: results });
        for (const r of results) printText(render(`${r.name}: ${r.question}`, r.rows));
        return;
      }
      if (targets.length < 2)
        throw new StudioError('compare needs at least two targets, or --seed <name>, or --seeds', 'bad-parameter');
      const rows = compareTargets(targets, opts);
      if (opts.json) return printJson({ comparisons: [{ name: 'custom', targets, rows }] });
      printText(render('comparison', rows));
    }),
  );
}

function badSeed(name: string): never {
  throw new StudioError(
    `unknown seed comparison '${name}'. Known: ${SEED_COMPARISONS.map((c) => c.name).join(', ')}`,
    'bad-parameter',
  );
}
