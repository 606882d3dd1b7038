// `results list|show|export|import|delete|compare|diff`: the saved results folder from the command line.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { BenchResult } from '../../../shared/contract/result.js';
import { StudioError } from '../../../shared/ir/types.js';
import { compareRuns } from '../../../shared/stats/compare.js';
import { loadPhasesLines, loadPhasesOf, phaseMethodLines } from '../../../shared/stats/load-phases.js';
import { parseReport } from '../../reports/index.js';
import type { ResultsService } from '../../services/results.js';
import { checkResult } from '../../store/result-check.js';
import { ratio, table } from '../format.js';
import { action, printJson, printText, warn } from '../io.js';
import { filterFrom, withFilterOptions, type FilterOptions as ResultFilterOptions } from '../result-filter.js';
import { withResults, withResultsSource } from '../results-source.js';
import { openResultsRepository } from '../../services/open-results.js';
import { defaultResultsDir } from '../../store/paths.js';
import { registerHistory } from './history.js';
import { registerResultsSync } from './results-sync.js';
import { registerResultsDiff } from './results-diff.js';

interface FilterOptions extends ResultFilterOptions {
  results?: string;
  db?: string;
}

const withFilters = (cmd: Command): Command => withFilterOptions(withResultsSource(cmd));

function reportProblems(problems: { file: string; reason: string }[]): void {
  for (const p of problems) warn(`${p.file}: ${p.reason}`);
}

/** A set of results named on the command line: a group id, or a JSON report file from elsewhere. */
async function resultSet(store: ResultsService, spec: string): Promise<BenchResult[]> {
  const byGroup = (await store.load({ group: spec })).results;
  if (byGroup.length) return byGroup;
  if (spec.endsWith('.json')) {
    let text: string;
    try {
      text = readFileSync(spec, 'utf8');
    } catch (e) {
      throw new StudioError(`cannot read ${spec}: ${(e as Error).message}`, 'bad-file');
    }
    return parseReport(text, spec).results.map((r, i) => {
      const checked = checkResult(r);
      if (!checked.ok) throw new StudioError(`${spec}: result ${i + 1}: ${checked.reason}`, 'bad-file');
      return checked.value;
    });
  }
  throw new StudioError(`'${spec}' is neither a group in ${store.location} nor a .json report file`, 'bad-parameter');
}

/** `results show --phases`: the load phases and how each figure was measured (shared/stats/load-phases.ts). */
function phasesText(r: BenchResult): string {
  const lp = loadPhasesOf(r);
  if (!lp)
    return `${r.label} (${r.id}): no load phases (status ${r.status}${r.failure ? `: ${r.failure.reason}` : ''})`;
  return [
    `${r.label} (${r.id})${lp.legacy ? ' [saved before load phases: rebuilt from its cold start]' : ''}`,
    ...loadPhasesLines(lp.phases).map((l) => `  ${l}`),
    'how measured:',
    ...phaseMethodLines(lp.phases).map((l) => `  - ${l}`),
  ].join('\n');
}

/** Rows `results list` prints in its table unless --limit says otherwise. */
const LIST_TEXT_LIMIT = 500;

export function registerResults(program: Command): void {
  const results = program
    .command('results')
    .description(
      'list, show, export, import, delete and compare saved results; push and pull them to a database; history and regressions',
    );
  registerResultsSync(results);

  withFilters(results.command('list').description('saved results, oldest first'))
    .option(
      '--limit <n>',
      `the newest n only (default: all with --json, the newest ${LIST_TEXT_LIMIT} in the table; 0: all)`,
    )
    .action(
      action(async (o: FilterOptions & { limit?: string }) => {
        const filter = filterFrom(o);
        const { results: all, problems } = await withResults(o, (s) => s.list(filter));
        const limit = o.limit === undefined ? (o.json ? 0 : LIST_TEXT_LIMIT) : Number(o.limit);
        if (!Number.isInteger(limit) || limit < 0)
          throw new StudioError(`--limit must be a whole number (0: all), got '${o.limit}'`, 'bad-parameter');
        // A table of 100,000 rows helps nobody: the newest, still oldest first, and how many more.
        const rows = limit > 0 && all.length > limit ? all.slice(-limit) : all;
        if (o.json)
          return printJson({ results: rows, problems, ...(rows.length < all.length ? { total: all.length } : {}) });
        reportProblems(problems);
        printText(
          table(
            ['id', 'created', 'job', 'status', 'n', 'p50 ms', 'flags', 'group'],
            rows.map((r) => [
              r.id,
              r.createdAt.slice(0, 19).replace('T', ' '),
              r.label,
              r.status,
              String(r.n),
              r.p50 !== undefined ? r.p50.toFixed(3) : '',
              // Warnings only (the summary counts them: notes are not flags); `results show` lists both.
              r.flags ? String(r.flags) : '',
              r.group ?? '',
            ]),
          ),
        );
        if (rows.length < all.length)
          printText(
            `(the newest ${rows.length.toLocaleString('en-US')} of ${all.length.toLocaleString('en-US')}: --limit 0 lists all; --target, --backend, --status, --since narrow the list)`,
          );
      }),
    );

  withResultsSource(results.command('show <id>').description('one result as JSON (raw samples included)'))
    .option('--json', 'print one JSON document (the default for show)')
    .option(
      '--phases',
      'print its load phases as text instead: build, session creation and its parts, first run, warm median, GPU split',
    )
    .action(
      action(async (id: string, o: { results?: string; db?: string; phases?: boolean }) => {
        const r = (await withResults(o, (s) => s.get([id])))[0];
        if (!o.phases) return printJson(r);
        printText(phasesText(r));
      }),
    );

  withFilters(
    results
      .command('export')
      .description('write the matching results as a report (.html, .md, .csv or .json)')
      .requiredOption('--out <file>', 'report file; the extension picks the format')
      .option(
        '--lab <ids>',
        "also include these saved lab results (comma-separated ids, or 'all'); lab results whose base or exported classifier is one of the report's targets are included anyway",
      ),
  ).action(
    action(async (o: FilterOptions & { out: string; lab?: string }) => {
      const filter = filterFrom(o);
      // Saved accuracy and lab results go beside the benchmark results, as in every report.
      const {
        accuracy,
        lab,
        problems: docProblems,
        ...written
      } = await withResults(o, async (service) => {
        const { results: rs, problems } = await service.load(filter);
        reportProblems(problems);
        return service.export(rs, o.out, undefined, { lab: o.lab });
      });
      reportProblems(docProblems);
      const extra = { accuracy: accuracy.map((a) => a.id), lab: lab.map((l) => l.id) };
      if (o.json) return printJson({ ...written, ...extra });
      const also = [
        accuracy.length ? `${accuracy.length} accuracy result${accuracy.length === 1 ? '' : 's'}` : '',
        lab.length ? `${lab.length} lab result${lab.length === 1 ? '' : 's'}` : '',
      ].filter(Boolean);
      printText(
        `wrote ${written.path} (${written.format}, ${written.results} results${also.length ? `, ${also.join(', ')}` : ''}, ${written.bytes} bytes)`,
      );
    }),
  );

  withResultsSource(
    results
      .command('import <report.json>')
      .description('add the results of a JSON report (from another machine) to the results folder or database'),
  )
    .option('--json', 'print one JSON document')
    .action(
      action(async (file: string, o: { results?: string; db?: string; json?: boolean }) => {
        const outcome = await withResults(o, (s) => s.importFile(file));
        if (o.json) return printJson(outcome);
        printText(`imported ${outcome.added.length} result(s) from ${file}`);
        for (const s of outcome.skipped) warn(`skipped ${s.id}: ${s.reason}`);
      }),
    );

  withResultsSource(results.command('delete <ids...>').description('delete results by id')).action(
    action((ids: string[], o: { results?: string; db?: string }) =>
      withResults(o, async (service) => {
        // Unlike the app's delete, an id that names no result is an error here: a typo must not pass.
        if (service.repository.kind === 'folder') {
          for (const id of ids) printText(`deleted ${service.store.delete(id).join(', ')}`);
          return;
        }
        await service.get(ids);
        for (const id of await service.delete(ids)) printText(`deleted ${id} from ${service.location}`);
      }),
    ),
  );

  withResultsSource(
    results
      .command('compare <a> <b>')
      .description('compare two runs (group ids or .json reports): ratio of medians with 95% CI and a U test'),
  )
    .option('--json', 'print one JSON document')
    .action(
      action(async (a: string, b: string, o: { results?: string; db?: string; json?: boolean }) => {
        const [setA, setB] = await withResults(o, async (s) => [await resultSet(s, a), await resultSet(s, b)]);
        const cmp = compareRuns(setA, setB);
        if (o.json) return printJson(cmp);
        printText(
          table(
            ['configuration', 'A p50 ms', 'B p50 ms', 'B/A', '95% CI', 'p-value', 'verdict'],
            cmp.pairs.map((p) => [
              p.label,
              p.a.median.toFixed(3),
              p.b.median.toFixed(3),
              ratio(p.comparison.ratio),
              `${ratio(p.comparison.ratioCi.low)}-${ratio(p.comparison.ratioCi.high)}`,
              p.comparison.test.pValue.toExponential(2),
              p.comparison.regression ? 'REGRESSION' : p.comparison.verdict,
            ]),
          ),
        );
        for (const l of cmp.onlyInA) warn(`only in A: ${l}`);
        for (const l of cmp.onlyInB) warn(`only in B: ${l}`);
        if (cmp.regressions) process.exitCode = 1;
      }),
    );

  registerResultsDiff(results);
  registerHistory(results, (o) => openResultsRepository({ db: o.db, dir: o.results ?? defaultResultsDir() }));
}
