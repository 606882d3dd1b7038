// `results diff A B`: the node-matched diff of two profiled runs of one model (issue 21): backend A
// against B, fp32 against int8, two machines. A and B are result ids or unique id prefixes; the
// answer is main/services/run-diff.ts's, as the app's results.diff gives it. A refusal (a run not
// profiled or not ok, runs of different models) is a StudioError: one line on stderr, exit code 2.
import type { Command } from 'commander';
import type { RunDiff } from '../../../shared/contract/run-diff.js';
import { fmtMs } from '../../../shared/format.js';
import {
  graphNodeTimes,
  opTotalCells,
  ratioText,
  signedUsNumber,
  unitCells,
  usNumber,
} from '../../../shared/stats/run-diff.js';
import { deltaOverlay } from '../../../shared/explorer/overlays.js';
import { nodeDataJson, overlayToNodeData } from '../../../shared/explorer/node-data.js';
import { StudioError } from '../../../shared/ir/types.js';
import { studioGraphOf } from '../../reports/node-diff.js';
import { diffSavedResults } from '../../services/run-diff.js';
import { writeFileAtomic } from '../../store/atomic-write.js';
import { table } from '../format.js';
import { action, printJson, printText } from '../io.js';
import { withResults, withResultsSource } from '../results-source.js';

/** Units the text lists unless --all. */
export const DIFF_TEXT_UNITS = 20;

/** A table whose `numeric` columns are right-aligned (signed numbers and "only A" are not what table() takes for numbers). */
function alignedTable(header: string[], rows: string[][], numeric: readonly number[]): string {
  const widths = new Map(numeric.map((i) => [i, Math.max(header[i].length, ...rows.map((r) => r[i].length))]));
  const pad = (cells: string[]) => cells.map((c, i) => (widths.has(i) ? c.padStart(widths.get(i)!) : c));
  return table(pad(header), rows.map(pad));
}

/** The diff as text: header (runs, totals, environment), units by |delta|, totals per operator, notes. */
export function runDiffText(d: RunDiff, all: boolean): string {
  const out: string[] = [`Node diff of ${d.model} (delta = B - A, ratio = B / A)`, ''];
  out.push(
    table(
      ['', 'result', 'job'],
      [
        ['A', d.a.id, d.a.label],
        ['B', d.b.id, d.b.label],
      ],
    ),
    '',
  );
  const median = (ms: number | null) => (ms === null ? 'not measured' : fmtMs(ms));
  out.push(
    alignedTable(
      ['', 'A', 'B', 'delta', 'B/A'],
      [
        [
          'kernel time, µs',
          usNumber(d.a.kernelUs),
          usNumber(d.b.kernelUs),
          signedUsNumber(d.totals.kernelDeltaUs),
          ratioText(d.totals.kernelRatio),
        ],
        [
          'runtime-only, µs',
          usNumber(d.a.runtimeOnly.us),
          usNumber(d.b.runtimeOnly.us),
          signedUsNumber(d.b.runtimeOnly.us - d.a.runtimeOnly.us),
          '',
        ],
        ['runtime nodes', String(d.a.runtimeNodes), String(d.b.runtimeNodes), '', ''],
        ['median latency', median(d.a.medianMs), median(d.b.medianMs), '', ratioText(d.totals.medianRatio)],
      ],
      [1, 2, 3, 4],
    ),
    '',
  );
  if (d.environment.differs.length)
    out.push(
      'Environment, what differs:',
      table(
        ['field', 'A', 'B'],
        d.environment.differs.map((f) => [f.field, f.a, f.b]),
      ),
    );
  else out.push('Environment: the same in every field compared.');
  if (d.environment.same.length)
    out.push(`The same: ${d.environment.same.map((f) => `${f.field} ${f.value}`).join('; ')}`);
  out.push('');

  const shown = all ? d.units : d.units.slice(0, DIFF_TEXT_UNITS);
  out.push(
    `Units by |delta|${shown.length < d.units.length ? ` (the top ${shown.length} of ${d.units.length}: --all lists every one)` : ` (${d.units.length})`}:`,
    alignedTable(['unit', 'op', 'A µs', 'B µs', 'delta µs', 'B/A', 'note'], shown.map(unitCells), [2, 3, 4, 5]),
    '',
    'By operator:',
    alignedTable(['op', 'units', 'A µs', 'B µs', 'delta µs', 'B/A'], d.byOp.map(opTotalCells), [1, 2, 3, 4, 5]),
  );
  if (d.a.runtimeOnly.nodes.length || d.b.runtimeOnly.nodes.length) out.push('');
  for (const [side, run] of [
    ['A', d.a],
    ['B', d.b],
  ] as const)
    if (run.runtimeOnly.nodes.length)
      out.push(
        `Runtime-only in ${side} (no graph node): ${run.runtimeOnly.nodes.map((n) => `${n.name} (${n.op}) ${usNumber(n.meanUs)} µs`).join(', ')}`,
      );
  if (d.notes.length) out.push('', 'Notes:', ...d.notes.map((n) => `- ${n}`));
  return out.join('\n');
}

/** Adds `results diff A B` to the `results` command. */
export function registerResultsDiff(results: Command): void {
  withResultsSource(
    results
      .command('diff <a> <b>')
      .description(
        'node-matched diff of two profiled runs of one model (ids or unique id prefixes): where B spent its time against A, unit by unit, and what differs between the runs',
      ),
  )
    .option('--all', `list every unit (default: the ${DIFF_TEXT_UNITS} with the largest |delta|)`)
    .option('--json', 'print the diff as one JSON document')
    .option(
      '--node-data <file>',
      'also write the per-node delta (B - A, µs) as Model Explorer node-data JSON, keyed by node name, for the model as the studio exports it',
    )
    .action(
      action(
        async (
          a: string,
          b: string,
          o: { results?: string; db?: string; json?: boolean; all?: boolean; nodeData?: string },
        ) => {
          const { diff, graph } = await withResults(o, async (s) => {
            const d = await diffSavedResults(s, a, b);
            return { diff: d, graph: o.nodeData ? studioGraphOf((await s.get([d.a.id]))[0].job) : undefined };
          });
          if (o.nodeData) writeDeltaNodeData(o.nodeData, diff, graph);
          if (o.json) return printJson(diff);
          printText(runDiffText(diff, !!o.all));
        },
      ),
    );
}

/** The diff's delta overlay as Model Explorer node data (needs the studio graph: a block or zoo model). */
function writeDeltaNodeData(file: string, diff: RunDiff, graph: ReturnType<typeof studioGraphOf>): void {
  if (!graph)
    throw new StudioError(
      `--node-data needs the studio graph of ${diff.model}, and a model file's graph is not rebuilt from a result: open the file in Models and export its delta there`,
      'bad-parameter',
    );
  const overlay = deltaOverlay(graphNodeTimes(diff), { a: diff.a.label, b: diff.b.label, model: diff.model });
  const data = overlayToNodeData(overlay, { graphId: graph.name, graph });
  const { path } = writeFileAtomic(file, nodeDataJson(data));
  process.stderr.write(`node data (delta, µs) written to ${path}\n`);
}
