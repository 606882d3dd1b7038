// Markdown: for pull requests, issues and notes. The machines, the main numbers, then what the
// numbers must be read with (flags) and what did not run (failures, with reasons).
import { describePlacement } from '../../shared/stats/node-map.js';
import type { BenchResult } from '../../shared/contract/result.js';
import {
  fmtBytes,
  fmtCi,
  fmtCount,
  fmtMs,
  fmtPct,
  fmtTime,
  machineFacts,
  machinesOf,
  toRows,
  type ResultRow,
} from './rows.js';
import { accuracyRows } from './accuracy.js';
import { comparedDevices, deviceText, fmtOptMs, gpuRows, ratioText } from './gpu.js';
import { fmtTrain, labRows } from './lab.js';
import { precisionRows, sci } from './precision.js';
import { LOAD_PHASES_INTRO, loadPhaseRows, loadPhasesNotes, loadPhasesTable } from './load-phases.js';
import { nodeDiffSections } from './node-diff.js';
import type { ReportContext, ReportWriter } from './types.js';

/** Escapes what Markdown would otherwise read as table structure, emphasis, code or HTML. */
export function mdEscape(s: string): string {
  return s.replace(/[\\|*_`<>[\]]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

function table(header: string[], rows: string[][], right: Set<number>): string[] {
  const align = header.map((_, i) => (right.has(i) ? '---:' : ':---'));
  return [header, align, ...rows].map((cells) => `| ${cells.join(' | ')} |`);
}

function resultsTable(rows: ResultRow[], manyMachines: boolean): string[] {
  const header = ['Target', 'Backend', 'Batch', 'Threads', 'Status', 'n', 'p50', '95% CI of p50', 'p90', 'p99', 'CV'];
  header.push('Throughput/s', 'GFLOP/s', 'MACs', 'Peak RSS', ...(manyMachines ? ['Machine'] : []));
  const body = rows.map((r) => [
    mdEscape(r.name),
    r.backend,
    String(r.batch),
    String(r.threads),
    r.status === 'ok' ? 'ok' : `**${r.status}**`,
    r.n === undefined ? '' : String(r.n),
    fmtMs(r.p50),
    fmtCi(r),
    fmtMs(r.p90),
    fmtMs(r.p99),
    fmtPct(r.cv),
    r.throughput === undefined ? '' : fmtCount(r.throughput),
    r.gflops === undefined ? '' : r.gflops.toFixed(1),
    fmtCount(r.macs),
    fmtBytes(r.peakRssBytes),
    ...(manyMachines ? [`M${r.machine}`] : []),
  ]);
  return table(header, body, new Set([2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]));
}

/** Per-layer kernel times of profiled results: where the time goes, and which nodes left the provider. */
function perNodeSections(results: readonly BenchResult[]): string[] {
  const profiled = results.filter((r) => r.nodes?.length);
  if (!profiled.length) return [];
  const out = ['## Per-layer times', ''];
  for (const r of profiled) {
    const nodes = [...r.nodes!].sort((a, b) => b.meanUs - a.meanUs);
    const total = nodes.reduce((s, n) => s + n.meanUs, 0);
    out.push(`### ${mdEscape(r.label)}`, '');
    const fallback = r.placement?.fallbackNodes ?? [];
    if (r.placement?.macsShareByProvider) out.push(mdEscape(describePlacement(r.placement)), '');
    if (fallback.length) out.push(`Fell back from the requested provider: ${fallback.map(mdEscape).join(', ')}`, '');
    out.push(
      ...table(
        ['Runtime node', 'Op', 'Provider', 'Mean us', 'Share', 'MACs', 'GFLOP/s', 'Studio layers'],
        nodes.map((n) => [
          mdEscape(n.name),
          n.op,
          n.provider.replace('ExecutionProvider', ''),
          n.meanUs.toFixed(1),
          fmtPct(total > 0 ? n.meanUs / total : 0),
          fmtCount(n.macs),
          n.gflops ? n.gflops.toFixed(1) : '',
          mdEscape(n.graphNodes.join(', ')),
        ]),
        new Set([3, 4, 5, 6]),
      ),
      '',
    );
  }
  return out;
}

/** Each later profiled run of a model against the first (main/reports/node-diff.ts): top units, operators, environment. */
function nodeDiffMarkdown(results: readonly BenchResult[]): string[] {
  const sections = nodeDiffSections(results);
  if (!sections.length) return [];
  const out = ['## Node diff', ''];
  const md = (t: { header: string[]; rows: string[][]; numeric: number[] }) =>
    table(
      t.header,
      t.rows.map((r) => r.map(mdEscape)),
      new Set(t.numeric),
    );
  for (const s of sections) {
    out.push(`### ${mdEscape(s.title)}`, '', ...s.summary.map((l) => `- ${mdEscape(l)}`), '');
    out.push(...md(s.environment), '', ...md(s.units), '', ...md(s.byOp), '');
  }
  return out;
}

/** Build, session creation and its parts, first run, warm median, GPU split (main/reports/load-phases.ts). */
function loadPhasesSection(results: readonly BenchResult[]): string[] {
  const rows = loadPhaseRows(results);
  if (!rows.length) return [];
  const t = loadPhasesTable(rows);
  return [
    '## Load phases',
    '',
    mdEscape(LOAD_PHASES_INTRO),
    '',
    ...table(
      t.header,
      t.rows.map((r) => r.map(mdEscape)),
      new Set(t.numeric),
    ),
    '',
    ...loadPhasesNotes(rows).map((l) => `- ${mdEscape(l)}`),
    '',
  ];
}

/** Devices side by side, then where each GPU result ran. */
function gpuSections(results: readonly BenchResult[]): string[] {
  const out: string[] = [];
  const { groups, quickText, show } = comparedDevices(results);
  if (show) {
    const many = new Set(groups.map((g) => g.machine)).size > 1;
    out.push('## Devices compared', '');
    if (quickText) out.push(mdEscape(quickText), '');
    for (const g of groups) {
      out.push(`### ${mdEscape(g.label)}${many ? ` (${mdEscape(g.machine)})` : ''}`, '');
      out.push(
        ...table(
          ['Device', 'Median', 'vs ort-cpu', 'Device-resident', 'Results', 'Taken'],
          g.entries.map((e) => [
            e.software ? `**${mdEscape(deviceText(e))}**` : mdEscape(deviceText(e)),
            fmtMs(e.medianMs),
            ratioText(e.ratioToCpu),
            fmtOptMs(e.deviceResidentMs),
            String(e.resultIds.length),
            e.pool.disagree ? `**${mdEscape(e.choice)}**` : mdEscape(e.choice),
          ]),
          new Set([1, 2, 3, 4]),
        ),
        '',
      );
    }
    out.push(
      "Median of a complete run (host-device copies included); a backend measured in several configurations is shown by its fastest one, that configuration's results pooled (Taken says which and why); the ratio is the median over ort-cpu's (below 1: faster). A software adapter runs on the CPU: its figures are not GPU speed.",
      '',
    );
  }
  const gpu = gpuRows(results);
  if (gpu.length) {
    out.push('## GPU results', '');
    out.push(
      ...table(
        [
          'Result',
          'Device',
          'Placement',
          'Complete run incl. copies (p50)',
          'Device-resident (p50)',
          'Cold first run',
          'Device memory',
        ],
        gpu.map((r) => [
          mdEscape(r.label),
          r.device
            ? `${mdEscape(r.device)}${r.software ? ' **software (runs on the CPU): not GPU speed**' : ''}`
            : 'not recorded',
          r.placement ? (r.hasFallback ? `⚠ ${mdEscape(r.placement)}` : mdEscape(r.placement)) : 'not profiled',
          fmtOptMs(r.medianMs),
          fmtOptMs(r.deviceResidentMs),
          fmtOptMs(r.coldFirstRunMs),
          mdEscape(r.memory),
        ]),
        new Set([3, 4, 5]),
      ),
      '',
    );
    const notes = gpu.flatMap((r) => [
      ...(r.softwareWarning ? [`- **${mdEscape(r.label)}**: ${mdEscape(r.softwareWarning)}`] : []),
      ...(r.fallbackNodes.length
        ? [
            `- **${mdEscape(r.label)}**: fell back from the requested provider: ${r.fallbackNodes.map(mdEscape).join(', ')}`,
          ]
        : []),
      ...(r.deviceResidentMethod
        ? [`- **${mdEscape(r.label)}**: device-resident: ${mdEscape(r.deviceResidentMethod)}`]
        : []),
    ]);
    if (notes.length) out.push(...notes, '');
    out.push(
      'The complete run includes the host-device copies; the device-resident run keeps inputs and outputs on the device. The cold first run (shader compilation included on a GPU) is not part of the warm median.',
      '',
    );
  }
  return out;
}

function render(results: readonly BenchResult[], ctx: ReportContext): string {
  const machines = machinesOf(results);
  const rows = toRows(results, machines);
  const failed = rows.filter((r) => r.status !== 'ok');
  // Warnings only: notes are not flags.
  const flagged = rows.filter((r) => r.flags.length > 0);
  const noted = rows.filter((r) => r.notes.length > 0);
  const out = [
    `# ${mdEscape(ctx.title)}`,
    '',
    `Generated ${fmtTime(ctx.createdAt)} by Bottleneck Studio ${ctx.studioVersion}: ${rows.length} results, ` +
      `${rows.length - failed.length} ok, ${failed.length} failed, on ${machines.length} machine${machines.length === 1 ? '' : 's'}.`,
    '',
    `## Machine${machines.length === 1 ? '' : 's'}`,
    '',
  ];
  for (const m of machines) {
    const count = `${m.resultIds.length} result${m.resultIds.length === 1 ? '' : 's'}`;
    if (machines.length > 1) out.push(`**M${m.index}** (${count})`, '');
    out.push(...machineFacts(m.profile).map(([k, v]) => `- ${k}: ${mdEscape(v)}`), '');
  }
  out.push('## Results', '');
  out.push(
    rows.length ? resultsTable(rows, machines.length > 1).join('\n') : '_No results._',
    '',
    'Latencies are wall times of one inference; the 95% confidence interval of the median is distribution-free (order statistics).',
    '',
  );
  out.push('## Flags', '');
  if (!flagged.length) out.push('No result was flagged.', '');
  else {
    for (const r of flagged) out.push(`- **${mdEscape(r.label)}**: ${r.flags.map(mdEscape).join('; ')}`);
    out.push('');
  }
  const quick = rows.filter((r) => r.quick);
  if (quick.length) {
    out.push('### Quick runs', '');
    for (const r of quick) out.push(`- ${mdEscape(r.label)}: ${mdEscape(r.quick!)}`);
    out.push('');
  }
  if (noted.length) {
    out.push('### Notes', '', '_Information on what ran and how; not flags._', '');
    for (const r of noted) out.push(`- ${mdEscape(r.label)}: ${r.notes.map(mdEscape).join('; ')}`);
    out.push('');
  }
  out.push(...gpuSections(results));
  out.push(...loadPhasesSection(results));
  out.push(...perNodeSections(results));
  out.push(...nodeDiffMarkdown(results));
  const variants = precisionRows(results);
  if (variants.length) {
    out.push('## Precision variants', '');
    out.push(
      ...table(
        [
          'Result',
          'Precision',
          'Max abs error',
          'Mean abs error',
          'Relative error',
          'Cosine',
          'Top-1 agreement',
          'Calibration',
          'Integer kernels',
        ],
        variants.map((v) =>
          v.reason !== undefined && v.cosine === undefined
            ? [mdEscape(v.label), v.precision, `**${v.status}**: ${mdEscape(v.reason)}`, '', '', '', '', '', '']
            : [
                mdEscape(v.label),
                v.precision,
                sci(v.maxAbsError),
                sci(v.meanAbsError),
                sci(v.relError),
                v.cosine === undefined ? '' : v.cosine === null ? 'n/a' : v.cosine.toFixed(6),
                v.top1Agreement === undefined ? '' : v.top1Agreement === null ? 'n/a' : fmtPct(v.top1Agreement),
                mdEscape(v.calibration),
                mdEscape(v.kernels),
              ],
        ),
        new Set([2, 3, 4, 5, 6]),
      ),
      '',
      "Each variant against the fp32 model on the job's own seeded inputs, over all outputs.",
      '',
    );
  }
  if (ctx.accuracy?.length) {
    out.push('## Accuracy', '');
    out.push(
      ...table(
        ['Target', 'Data', 'Images', 'Top-1', 'Top-5', 'Backend', 'Precision', 'Fastest p50 here'],
        accuracyRows(results, ctx.accuracy).map((a) => [
          mdEscape(a.target),
          mdEscape(a.data),
          String(a.images),
          fmtPct(a.top1),
          a.top5 === undefined ? '' : fmtPct(a.top5),
          a.backend,
          a.precision,
          a.fastestP50 === undefined ? '' : `${fmtMs(a.fastestP50)} (${mdEscape(a.fastestLabel ?? '')})`,
        ]),
        new Set([2, 3, 4, 7]),
      ),
      '',
      "Saved accuracy results of this report's targets (the latest per target and precision), measured on labeled data.",
      '',
    );
  }
  if (ctx.lab?.length) {
    out.push('## Bottleneck-feature lab', '');
    out.push(
      ...table(
        ['Base (cut)', 'Data', 'Head', 'Params', 'Val accuracy', 'Test accuracy', 'Train time', 'Feature cache'],
        labRows(ctx.lab).map((h) => [
          `${mdEscape(h.base)} (${mdEscape(h.cut)})`,
          mdEscape(h.data),
          mdEscape(h.title),
          h.params.toLocaleString('en-US'),
          fmtPct(h.valAccuracy),
          fmtPct(h.testAccuracy),
          fmtTrain(h.trainMs),
          h.cacheHit ? 'hit' : 'miss',
        ]),
        new Set([3, 4, 5, 6]),
      ),
      '',
      "Heads trained on a frozen base's cached features; test accuracy is the exported classifier's, run by ONNX Runtime.",
      '',
    );
  }
  out.push('## Failures', '');
  if (!failed.length) out.push('Every job ran.', '');
  else {
    for (const r of failed)
      out.push(`- **${mdEscape(r.label)}** (${r.status}): ${mdEscape(r.failure ?? 'no reason recorded')}`);
    out.push('');
  }
  return out.join('\n');
}

export const markdownReport: ReportWriter = {
  format: 'md',
  extensions: ['.md', '.markdown'],
  description: 'machines, a results table, flags and failures, for pull requests and notes',
  render,
};
