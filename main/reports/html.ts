// The HTML report: ONE self-contained file that works offline. Chart.js (its UMD build, read from
// node_modules), the report's script and style, and the data are all inlined; a Content Security
// Policy forbids every fetch, so opening the file never reaches the network.
import { describePlacement } from '../../shared/stats/node-map.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { interquartileRange, quantileSorted } from 'simple-statistics';
import type { BenchResult } from '../../shared/contract/result.js';
import { StudioError } from '../../shared/ir/types.js';
import { tickCount, tickMs } from '../../shared/format.js';
import { softwareAdapterFlag } from '../../shared/hardware/adapters.js';
import {
  fmtBytes,
  fmtCi,
  fmtCount,
  fmtMs,
  fmtPct,
  fmtTime,
  machineFacts,
  machineLine,
  machinesOf,
  toRows,
  type MachineEntry,
  type ResultRow,
} from './rows.js';
import { accuracyRows } from './accuracy.js';
import {
  SOFTWARE_DEVICE_BADGE,
  comparedDevices,
  deviceText,
  fmtOptMs,
  gpuRows,
  ratioText,
  type DeviceGroup,
} from './gpu.js';
import { fmtTrain, labRows } from './lab.js';
import { precisionRows, sci } from './precision.js';
import {
  LOAD_PHASES_INTRO,
  loadPhaseRows,
  loadPhasesNotes,
  loadPhasesTable,
  type LoadPhaseRow,
} from './load-phases.js';
import { nodeDiffSections, type NodeDiffSection } from './node-diff.js';
import type { ReportContext, ReportWriter } from './types.js';

let assets: { chartJs: string; chartVersion: string; client: string; css: string } | undefined;

/** The Content-Security-Policy source of an inline script: the SHA-256 of its exact text. */
export const scriptHash = (code: string): string =>
  `'sha256-${createHash('sha256').update(code, 'utf8').digest('base64')}'`;

/**
 * The report's policy: nothing may be fetched (default-src 'none', images only from data: URLs,
 * no <base>, no form submission), and the only scripts that run are the report's own two inlined
 * ones, by hash: markup or script that slipped into the data would still run nothing. Styles may be
 * inline (the bars' widths are style attributes); they cannot fetch anything either.
 */
export function reportCsp(scripts: readonly string[]): string {
  const script = scripts.length ? scripts.map(scriptHash).join(' ') : "'none'";
  return `default-src 'none'; script-src ${script}; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'`;
}

/** The two inline scripts exactly as the report carries them (the CSP hashes these). */
function inlineScripts(a: NonNullable<typeof assets>): [string, string] {
  return [scriptText(a.chartJs), scriptText(a.client)];
}

/** Chart.js's UMD build (it defines window.Chart), found beside the package's main entry. */
function loadAssets() {
  if (assets) return assets;
  const main = createRequire(import.meta.url).resolve('chart.js');
  const dist = dirname(main);
  let chartJs: string | undefined;
  for (const name of ['chart.umd.min.js', 'chart.umd.js']) {
    try {
      chartJs = readFileSync(join(dist, name), 'utf8');
      break;
    } catch {
      // try the next name
    }
  }
  if (!chartJs) throw new StudioError(`Chart.js's UMD build (chart.umd.js) is missing from ${dist}`, 'io-error');
  const own = (name: string) => readFileSync(new URL(`./html/${name}`, import.meta.url), 'utf8');
  assets = {
    // The source map comment would make developer tools fetch a file that is not there; the
    // license banners keep their text, their home pages lose the scheme (the report holds no URL).
    chartJs: chartJs.replace(/^\/\/# sourceMappingURL=.*$/m, '').replace(/^(\s*\*\s*)https?:\/\//gm, '$1'),
    chartVersion: /Chart\.js v(\d+\.\d+\.\d+)/.exec(chartJs)?.[1] ?? '4',
    // Two independent scripts: the charts, and the sortable tables.
    // The axis formatters come from shared/format.ts as source text: one copy of each.
    client: `const fmtMs = ${tickMs.toString()};\nconst fmtCount = ${tickCount.toString()};\n${own('report-client.js')}\n${own('report-table.js')}`,
    css: own('report.css'),
  };
  return assets;
}

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

/** Code inside <script>: only "</script" could end the element early; "<\/script" means the same to JS. */
export const scriptText = (code: string): string => code.replace(/<\/(script)/gi, '<\\/$1');

/** JSON inside <script type="application/json">: every "<" escaped, so no "</script" or "<!--" survives. */
export const jsonScriptText = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

let policy: string | undefined;
/**
 * The policy every HTML report carries (the scripts are the same in every report): computed on the
 * first report, not when the module loads (the CLI imports this module for every bench).
 */
export function reportPolicy(): string {
  policy ??= reportCsp(inlineScripts(loadAssets()));
  return policy;
}

/** Histogram of the raw samples over [min, p99] (the slow tail beyond is counted, not drawn). */
export function histogram(samples: readonly number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const lo = sorted[0];
  const hi = n >= 100 ? quantileSorted(sorted, 0.99) : sorted[n - 1];
  if (!(hi > lo)) return { start: lo - 0.5 * (lo || 1) * 0.01, width: (lo || 1) * 0.01, counts: [n], above: 0 };
  const iqr = n > 3 ? interquartileRange(sorted) : 0;
  const fd = iqr > 0 ? 2 * iqr * Math.cbrt(1 / n) : (hi - lo) / 10;
  const bins = Math.min(40, Math.max(8, Math.ceil((hi - lo) / fd)));
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  let above = 0;
  for (const x of sorted) {
    if (x > hi) above++;
    else counts[Math.min(bins - 1, Math.floor((x - lo) / width))]++;
  }
  return { start: lo, width, counts, above };
}

/** What the report's script draws: the measured results only, with their histograms. */
function chartData(results: readonly BenchResult[], machines: MachineEntry[]) {
  const machineOf = new Map(machines.flatMap((m) => m.resultIds.map((id) => [id, m.index] as const)));
  return results.flatMap((r) =>
    r.status === 'ok' && r.stats
      ? [
          {
            id: r.id,
            label: machines.length > 1 ? `${r.label} · M${machineOf.get(r.id)}` : r.label,
            backend: r.job.backend.backend,
            n: r.stats.n,
            p50: r.stats.p50,
            p90: r.stats.p90,
            ciLow: r.stats.medianCi.low,
            ciHigh: r.stats.medianCi.high,
            macs: r.cost?.macs ?? 0,
            gflops: r.stats.gflops,
            hist: r.samplesMs.length ? histogram(r.samplesMs) : undefined,
          },
        ]
      : [],
  );
}

const num = (v: number | undefined, text: string) =>
  `<td class="num" data-v="${v === undefined || !Number.isFinite(v) ? '' : v}">${escapeHtml(text)}</td>`;

function resultsTable(rows: ResultRow[], manyMachines: boolean): string {
  const head = ['Target', ...(manyMachines ? ['Machine'] : []), 'Backend', 'Batch', 'Threads', 'Status', 'n', 'p50'];
  head.push('95% CI of p50', 'p90', 'p99', 'CV', 'Items/s', 'GFLOP/s', 'Params', 'MACs', 'Peak RSS', 'Flags');
  const numeric = new Set(['Batch', 'Threads', 'n', 'p50', '95% CI of p50', 'p90', 'p99', 'CV', 'Items/s']);
  ['GFLOP/s', 'Params', 'MACs', 'Peak RSS', 'Flags'].forEach((h) => numeric.add(h));
  const th = head.map((h) => `<th scope="col"${numeric.has(h) ? ' class="num"' : ''}>${escapeHtml(h)}</th>`);
  const body = rows.map((r) => {
    const cells = [
      `<td title="${escapeHtml(`${r.label} (id ${r.id})`)}">${escapeHtml(r.name)}${r.quick ? ` <span class="badge quick" title="${escapeHtml(r.quick)}">quick</span>` : ''}</td>`,
      ...(manyMachines ? [`<td>M${r.machine}</td>`] : []),
      `<td>${escapeHtml(r.backend)}</td>`,
      num(r.batch, String(r.batch)),
      num(r.threads === 'auto' ? 0 : r.threads, String(r.threads)),
      `<td><span class="badge ${r.status}">${r.status}</span></td>`,
      num(r.n, r.n === undefined ? '' : String(r.n)),
      num(r.p50, fmtMs(r.p50)),
      num(r.ciLow, fmtCi(r)),
      num(r.p90, fmtMs(r.p90)),
      num(r.p99, fmtMs(r.p99)),
      num(r.cv, fmtPct(r.cv)),
      num(r.throughput, r.throughput === undefined ? '' : fmtCount(r.throughput)),
      num(r.gflops, r.gflops === undefined ? '' : r.gflops.toFixed(1)),
      num(r.params, fmtCount(r.params)),
      num(r.macs, fmtCount(r.macs)),
      num(r.peakRssBytes, fmtBytes(r.peakRssBytes)),
      flagCell(r),
    ];
    return `<tr>${cells.join('')}</tr>`;
  });
  return `<table class="sortable" id="results-table"><thead><tr>${th.join('')}</tr></thead><tbody>${body.join('\n')}</tbody></table>`;
}

/** Warnings as a badge that lists them on hover; notes as a quieter mark beside it (not counted). */
function flagCell(r: ResultRow): string {
  const warnings = r.flags.length
    ? `<span class="badge flag" title="${escapeHtml(r.flags.join('\n'))}">${r.flags.length}</span>`
    : '';
  const notes = r.notes.length
    ? ` <span class="badge note" title="${escapeHtml(`notes (not flags):\n${r.notes.join('\n')}`)}">${r.notes.length} note${r.notes.length === 1 ? '' : 's'}</span>`
    : '';
  return `<td class="num" data-v="${r.flags.length}">${warnings}${notes}</td>`;
}

function machineCards(machines: MachineEntry[]): string {
  return machines
    .map((m) => {
      const facts = machineFacts(m.profile)
        .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`)
        .join('');
      const title = `${machines.length > 1 ? `M${m.index} · ` : ''}${machineLine(m.profile)}`;
      const count = `<dt>Results</dt><dd>${m.resultIds.length}</dd>`;
      return `<div class="machine"><h3>${escapeHtml(title)}</h3><dl>${facts}${count}</dl></div>`;
    })
    .join('');
}

function flagsList(rows: ResultRow[]): string {
  const flagged = rows.filter((r) => r.flags.length);
  const noted = rows.filter((r) => r.notes.length);
  const warnings = flagged.length
    ? `<ul class="flags">${flagged.map((r) => `<li><b>${escapeHtml(r.label)}</b>: ${r.flags.map(escapeHtml).join('; ')}</li>`).join('')}</ul>`
    : '<p class="none">No result was flagged.</p>';
  // Notes inform (the plan, fusions, a software adapter): listed apart, quieter, never counted as flags.
  const notes = noted.length
    ? `<details class="notes" id="notes"><summary>Notes on ${noted.length} result${noted.length === 1 ? '' : 's'} (information, not flags)</summary><ul class="notes">${noted.map((r) => `<li><b>${escapeHtml(r.label)}</b>: ${r.notes.map(escapeHtml).join('; ')}</li>`).join('')}</ul></details>`
    : '';
  return warnings + notes;
}

function failuresTable(results: readonly BenchResult[]): string {
  const failed = results.filter((r) => r.status !== 'ok');
  if (!failed.length) return '<p class="none">Every job ran.</p>';
  const rows = failed.map(
    (r) =>
      `<tr><td>${escapeHtml(r.label)}</td><td><span class="badge ${r.status}">${escapeHtml(r.failure?.kind ?? r.status)}</span></td>` +
      `<td class="wrap">${escapeHtml(r.failure?.reason ?? 'no reason recorded')}</td><td class="wrap">${escapeHtml(r.failure?.detail ?? '')}</td></tr>`,
  );
  return `<div class="table-wrap"><table id="failures-table"><thead><tr><th>Result</th><th>Kind</th><th>Reason</th><th>Detail</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

/** Per-layer kernel times of profiled results (bench --profile), longest first. */
function perNodeTables(results: readonly BenchResult[]): string {
  return results
    .filter((r) => r.nodes?.length)
    .map((r) => {
      const nodes = [...r.nodes!].sort((a, b) => b.meanUs - a.meanUs);
      const total = nodes.reduce((s, n) => s + n.meanUs, 0) || 1;
      const fallback = r.placement?.fallbackNodes ?? [];
      const rows = nodes.map(
        (n) =>
          `<tr><td>${escapeHtml(n.name)}</td><td>${escapeHtml(n.op)}</td><td>${escapeHtml(n.provider.replace('ExecutionProvider', ''))}</td>` +
          `<td class="num">${n.meanUs.toFixed(1)}</td><td class="num">${((100 * n.meanUs) / total).toFixed(1)}%</td>` +
          `<td class="num">${n.macs.toLocaleString('en-US')}</td><td class="num">${n.gflops ? n.gflops.toFixed(1) : ''}</td>` +
          `<td class="wrap">${escapeHtml(n.graphNodes.join(', '))}</td></tr>`,
      );
      return (
        `<h3>${escapeHtml(r.label)}</h3>` +
        (r.placement?.macsShareByProvider ? `<p class="note">${escapeHtml(describePlacement(r.placement))}</p>` : '') +
        (fallback.length
          ? `<p class="note">Fell back from the requested provider: ${fallback.map(escapeHtml).join(', ')}</p>`
          : '') +
        `<div class="table-wrap"><table class="nodes"><thead><tr><th>Runtime node</th><th>Op</th><th>Provider</th><th>Mean µs</th><th>Share</th><th>MACs</th><th>GFLOP/s</th><th>Studio layers</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`
      );
    })
    .join('');
}

/** Node diffs (main/reports/node-diff.ts): each later profiled run of a model against the first. */
function nodeDiffTables(sections: readonly NodeDiffSection[]): string {
  const html = (t: NodeDiffSection['units']) => {
    const cell = (c: string, i: number, tag: string) =>
      `<${tag}${t.numeric.includes(i) ? ' class="num"' : ''}>${escapeHtml(c)}</${tag}>`;
    const rows = t.rows.map((r) => `<tr>${r.map((c, i) => cell(c, i, 'td')).join('')}</tr>`).join('');
    return `<div class="table-wrap"><table class="node-diff"><thead><tr>${t.header.map((h, i) => cell(h, i, 'th')).join('')}</tr></thead><tbody>${rows}</tbody></table></div>`;
  };
  return sections
    .map(
      (s) =>
        `<h3>${escapeHtml(s.title)}</h3>${s.summary.map((l) => `<p class="note">${escapeHtml(l)}</p>`).join('')}` +
        html(s.environment) +
        html(s.units) +
        html(s.byOp),
    )
    .join('');
}

function accuracyTable(results: readonly BenchResult[], accuracy: NonNullable<ReportContext['accuracy']>): string {
  const pct = (x: number | undefined) => (x === undefined ? '' : `${(x * 100).toFixed(2)}%`);
  const rows = accuracyRows(results, accuracy).map(
    (a) =>
      `<tr><td>${escapeHtml(a.target)}</td><td>${escapeHtml(a.data)}</td><td class="num">${a.images}</td><td class="num">${pct(a.top1)}</td><td class="num">${pct(a.top5)}</td><td>${escapeHtml(a.backend)}</td><td>${escapeHtml(a.precision)}</td><td class="num">${a.fastestP50 === undefined ? '' : escapeHtml(`${fmtMs(a.fastestP50)} (${a.fastestLabel ?? ''})`)}</td></tr>`,
  );
  return `<table class="accuracy"><thead><tr><th>Target</th><th>Data</th><th>Images</th><th>Top-1</th><th>Top-5</th><th>Backend</th><th>Precision</th><th>Fastest p50 here</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function precisionTable(results: readonly BenchResult[]): string {
  const fig = (x: number | null | undefined, text: string) => num(x ?? undefined, text);
  const rows = precisionRows(results).map((v) => {
    const head = `<tr><td>${escapeHtml(v.label)}</td><td>${escapeHtml(v.precision)}</td>`;
    if (v.reason !== undefined && v.cosine === undefined)
      return `${head}<td colspan="7" class="wrap"><span class="badge ${v.status}">${escapeHtml(v.status)}</span> ${escapeHtml(v.reason)}</td></tr>`;
    return (
      head +
      fig(v.maxAbsError, sci(v.maxAbsError)) +
      fig(v.meanAbsError, sci(v.meanAbsError)) +
      fig(v.relError, sci(v.relError)) +
      fig(v.cosine, v.cosine === undefined ? '' : v.cosine === null ? 'n/a' : v.cosine.toFixed(6)) +
      fig(
        v.top1Agreement,
        v.top1Agreement === undefined ? '' : v.top1Agreement === null ? 'n/a' : fmtPct(v.top1Agreement),
      ) +
      `<td>${escapeHtml(v.calibration)}</td><td class="wrap">${escapeHtml(v.kernels)}</td></tr>`
    );
  });
  return `<table class="precision" id="precision-table"><thead><tr><th scope="col">Result</th><th scope="col">Precision</th><th scope="col" class="num">Max abs error</th><th scope="col" class="num">Mean abs error</th><th scope="col" class="num">Relative error</th><th scope="col" class="num">Cosine</th><th scope="col" class="num">Top-1 agreement</th><th scope="col">Calibration</th><th scope="col">Integer kernels</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** One table per target + batch + precision measured on several devices: medians, ratios to ort-cpu. */
function devicesTables(groups: DeviceGroup[]): string {
  if (!groups.length) return '<p class="none">Every result that would be compared here is a quick run.</p>';
  const many = new Set(groups.map((g) => g.machine)).size > 1;
  return groups
    .map((g) => {
      const slowest = Math.max(...g.entries.map((e) => e.medianMs));
      const rows = g.entries.map((e) => {
        const width = slowest > 0 ? ((100 * e.medianMs) / slowest).toFixed(1) : '0';
        const name =
          escapeHtml(deviceText({ ...e, software: false })) +
          (e.software
            ? ` <span class="badge software" title="${escapeHtml(e.adapter ? softwareAdapterFlag(e.adapter) : SOFTWARE_DEVICE_BADGE)}">${escapeHtml(SOFTWARE_DEVICE_BADGE)}</span>`
            : '');
        return (
          `<tr${e.software ? ' class="software"' : ''}><td>${name}</td>` +
          num(e.medianMs, fmtMs(e.medianMs)) +
          `<td class="barcell"><span class="bar${e.software ? ' software' : ''}" style="width:${width}%"></span></td>` +
          num(e.ratioToCpu, ratioText(e.ratioToCpu)) +
          num(e.deviceResidentMs, fmtOptMs(e.deviceResidentMs)) +
          num(e.resultIds.length, String(e.resultIds.length)) +
          `<td class="wrap choice${e.pool.disagree ? ' disagree' : ''}">${escapeHtml(e.choice)}</td>` +
          '</tr>'
        );
      });
      const caption = `${escapeHtml(g.label)}${many ? ` <span class="note">${escapeHtml(g.machine)}</span>` : ''}`;
      return `<div class="table-wrap"><table class="devices"><caption>${caption}</caption><thead><tr><th scope="col">Device</th><th scope="col" class="num">Median</th><th scope="col"></th><th scope="col" class="num">vs ort-cpu</th><th scope="col" class="num">Device-resident</th><th scope="col" class="num">Results</th><th scope="col">Taken</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
    })
    .join('');
}

/** Where each GPU result ran, its placement, both latencies, the cold run and device memory. */
function gpuTable(results: readonly BenchResult[]): string {
  const g = gpuRows(results);
  const rows = g.map(
    (r) =>
      `<tr class="gpu${r.software ? ' software' : ''}"><td class="wrap">${escapeHtml(r.label)}</td>` +
      `<td class="wrap">${r.device ? escapeHtml(r.device) : '<span class="none">not recorded</span>'}` +
      (r.software
        ? ` <span class="badge software" title="${escapeHtml(r.softwareWarning ?? '')}">${escapeHtml(SOFTWARE_DEVICE_BADGE)}</span>`
        : '') +
      `</td><td class="wrap${r.hasFallback ? ' fallback' : ''}"${r.fallbackNodes.length ? ` title="${escapeHtml(`fallback nodes: ${r.fallbackNodes.join(', ')}`)}"` : ''}>${r.placement ? escapeHtml(r.placement) : '<span class="none">not profiled</span>'}</td>` +
      num(r.medianMs, fmtOptMs(r.medianMs)) +
      num(r.deviceResidentMs, fmtOptMs(r.deviceResidentMs)) +
      num(r.coldFirstRunMs, fmtOptMs(r.coldFirstRunMs)) +
      `<td class="wrap">${escapeHtml(r.memory)}</td></tr>`,
  );
  const notes = g.flatMap((r) => [
    ...(r.softwareWarning ? [`<li class="software">${escapeHtml(r.softwareWarning)}</li>`] : []),
    ...(r.fallbackNodes.length
      ? [
          `<li class="fallback"><b>${escapeHtml(r.label)}</b>: fell back from the requested provider: ${r.fallbackNodes.map(escapeHtml).join(', ')}</li>`,
        ]
      : []),
    ...(r.deviceResidentMethod
      ? [`<li><b>${escapeHtml(r.label)}</b>: device-resident: ${escapeHtml(r.deviceResidentMethod)}</li>`]
      : []),
  ]);
  return (
    `<div class="table-wrap"><table id="gpu-table"><thead><tr><th scope="col">Result</th><th scope="col">Device</th><th scope="col">Placement</th><th scope="col" class="num">Complete run incl. copies (p50)</th><th scope="col" class="num">Device-resident (p50)</th><th scope="col" class="num">Cold first run</th><th scope="col">Device memory</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>` +
    (notes.length ? `<ul class="flags gpu-notes">${notes.join('')}</ul>` : '')
  );
}

/** The load phases: the figures of each result, then how each was measured (main/reports/load-phases.ts). */
function loadPhasesHtml(rows: readonly LoadPhaseRow[]): string {
  const t = loadPhasesTable(rows);
  const head = t.header
    .map((h, i) => `<th scope="col"${t.numeric.includes(i) ? ' class="num"' : ''}>${escapeHtml(h)}</th>`)
    .join('');
  const body = t.rows
    .map(
      (cells, k) =>
        `<tr class="load-phases-row" data-id="${escapeHtml(rows[k].id)}">` +
        cells.map((c, i) => `<td class="${t.numeric.includes(i) ? 'num' : 'wrap'}">${escapeHtml(c)}</td>`).join('') +
        '</tr>',
    )
    .join('');
  const notes = loadPhasesNotes(rows);
  return (
    `<div class="table-wrap"><table id="load-phases-table"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>` +
    (notes.length
      ? `<ul class="flags load-phases-notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`
      : '')
  );
}

function labTable(lab: NonNullable<ReportContext['lab']>): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const rows = labRows(lab).map(
    (h) =>
      `<tr><td title="${escapeHtml(`lab result ${h.labId}`)}">${escapeHtml(h.base)} <span class="note">(${escapeHtml(h.cut)})</span></td>` +
      `<td>${escapeHtml(h.data)}</td><td title="${escapeHtml(h.exported ?? '')}">${escapeHtml(h.title)}</td>` +
      num(h.params, h.params.toLocaleString('en-US')) +
      num(h.valAccuracy, pct(h.valAccuracy)) +
      num(h.testAccuracy, pct(h.testAccuracy)) +
      num(h.trainMs, fmtTrain(h.trainMs)) +
      `<td><span class="badge ${h.cacheHit ? 'ok' : 'cancelled'}">${h.cacheHit ? 'hit' : 'miss'}</span></td></tr>`,
  );
  return `<table class="sortable lab" id="lab-table"><thead><tr><th scope="col">Base (cut)</th><th scope="col">Data</th><th scope="col">Head</th><th scope="col" class="num">Params</th><th scope="col" class="num">Val accuracy</th><th scope="col" class="num">Test accuracy</th><th scope="col" class="num">Train time</th><th scope="col">Feature cache</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const card = (title: string, sub: string, body: string, controls = '') =>
  `<section class="card"><div class="card-head"><h2>${title}</h2><p class="sub">${sub}</p>${controls}</div>${body}</section>`;

function render(results: readonly BenchResult[], ctx: ReportContext): string {
  const a = loadAssets();
  const machines = machinesOf(results);
  const rows = toRows(results, machines);
  const failed = rows.filter((r) => r.status !== 'ok').length;
  // Warnings only: notes are not flags.
  const flagged = rows.filter((r) => r.flags.length).length;
  const devices = comparedDevices(results);
  const loadPhases = loadPhaseRows(results);
  const nodeDiffs = nodeDiffSections(results);
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  const stat = (n: number, label: string, cls = '') =>
    `<div class="stat ${cls}"><b>${n}</b><span>${label}</span></div>`;
  const title = escapeHtml(ctx.title);
  const [chartScript, clientScript] = inlineScripts(a);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${reportPolicy()}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Bottleneck Studio ${escapeHtml(ctx.studioVersion)}">
<title>${title}</title>
<style>${a.css.replace(/<\/(style)/gi, '<\\/$1')}</style>
</head>
<body>
<header class="top"><div class="wrap">
<div class="brand">Bottleneck Studio</div>
<h1>${title}</h1>
<p class="meta">Generated ${escapeHtml(fmtTime(ctx.createdAt))} · ${plural(rows.length, 'result')} on ${plural(machines.length, 'machine')}</p>
</div></header>
<main class="wrap">
<section class="stats">${stat(rows.length, 'results')}${stat(rows.length - failed, 'measured')}${stat(failed, 'failed', failed ? 'bad' : '')}${stat(flagged, 'flagged', flagged ? 'warn' : '')}${stat(machines.length, plural(machines.length, 'machine').replace(/^\d+ /, ''))}</section>
${card(
  'Median latency',
  'One inference, wall time as the runtime reports it. Bars: median of the measured runs; whiskers: its 95% confidence interval.',
  '<div class="legend" id="latency-legend"></div><div class="chart"><canvas id="chart-latency" role="img" aria-label="Median latency per result with 95% confidence intervals"></canvas></div>',
  '<label class="controls"><input type="checkbox" id="latency-log"> log scale</label>',
)}
<div class="grid2">
${card(
  'Latency distribution',
  'Histogram of the raw measured runs.',
  '<div class="chart"><canvas id="chart-histogram" role="img" aria-label="Histogram of measured latencies"></canvas></div><p class="note" id="hist-note"></p>',
  '<label class="controls"><select id="hist-select" aria-label="Result"></select></label>',
)}
${card(
  'MACs vs measured latency',
  'Analytic multiply-accumulates against the median; points on one diagonal run at the same GFLOP/s.',
  '<div class="chart"><canvas id="chart-macs" role="img" aria-label="MACs against median latency"></canvas></div>',
)}
</div>
${devices.show ? card('Devices compared', `One target at one batch and precision on several devices of one machine: the median of a complete run (host-device copies included) and its ratio to ort-cpu's median (below 1: faster). Each device is shown by its fastest configuration, that configuration's results pooled: the Taken column says which and why. A software adapter runs on the CPU: its figures are not GPU speed.`, (devices.quickText ? `<p class="note quick-left-out">${escapeHtml(devices.quickText)}</p>` : '') + devicesTables(devices.groups)) : ''}
${gpuRows(results).length ? card('GPU results', "Where each GPU result ran: the adapter, the providers its nodes ran on (share of the cost model's MACs), the complete run beside the device-resident one (inputs and outputs kept on the device), the cold first run (shader compilation included) apart from the warm median, and device memory.", gpuTable(results)) : ''}
${loadPhases.length ? card('Load phases', escapeHtml(LOAD_PHASES_INTRO), loadPhasesHtml(loadPhases)) : ''}
${results.some((r) => r.nodes?.length) ? card('Per-layer times', 'From the runtime profiler (bench --profile): each runtime node, the studio layers it covers (fused), its MACs and achieved GFLOP/s.', perNodeTables(results)) : ''}
${nodeDiffs.length ? card('Node diff', 'Each later profiled run of a model against the first of them, matched through the studio graph (units: graph nodes either runtime fused together); the units with the largest |delta| (B - A), the totals per operator and what differs between the runs.', nodeDiffTables(nodeDiffs)) : ''}
${precisionRows(results).length ? card('Precision variants', "fp16 and int8 variants against the fp32 model on the job's own seeded inputs (over all outputs); a variant the backend cannot run is listed with the reason.", `<div class="table-wrap">${precisionTable(results)}</div>`) : ''}
${ctx.accuracy?.length ? card('Accuracy', 'Saved accuracy results of these targets (the latest per target and precision), on labeled data; the fastest median latency of the same target and precision in this report beside it.', `<div class="table-wrap">${accuracyTable(results, ctx.accuracy)}</div>`) : ''}
${ctx.lab?.length ? card('Bottleneck-feature lab', "Heads trained on a frozen base's cached features (saved lab results tied to these targets, or chosen for the report); test accuracy is the exported classifier's, run by ONNX Runtime.", `<div class="table-wrap">${labTable(ctx.lab)}</div>`) : ''}
${card('Results', 'Click a column to sort. Latencies per inference; throughput in items per second at the batch size.', `<div class="table-wrap">${resultsTable(rows, machines.length > 1)}</div>`)}
${card(machines.length > 1 ? 'Machines' : 'Machine', 'Where the results were measured.', `<div class="machines">${machineCards(machines)}</div>`)}
${card('Flags', 'Warnings the numbers must be read with; notes on what ran and how follow, apart.', flagsList(rows))}
${card('Failures', 'Jobs that did not produce a measurement, and why.', failuresTable(results))}
</main>
<footer class="wrap">Bottleneck Studio ${escapeHtml(ctx.studioVersion)} · a self-contained report: the data and the chart code are inside this file. Charts drawn with Chart.js ${a.chartVersion} (MIT License).</footer>
<script type="application/json" id="report-data">${jsonScriptText({ title: ctx.title, createdAt: ctx.createdAt, charted: chartData(results, machines) })}</script>
<script>${chartScript}</script>
<script>${clientScript}</script>
</body>
</html>
`;
}

export const htmlReport: ReportWriter = {
  format: 'html',
  extensions: ['.html', '.htm'],
  description: 'one self-contained interactive page with charts; works offline',
  render,
};
