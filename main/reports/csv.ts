// CSV: one row per result, raw numbers (milliseconds, bytes, counts) for spreadsheets and scripts.
// RFC 4180: CRLF line ends; a field holding a comma, a quote or a line break is quoted, quotes doubled.
import { toRows, type ResultRow } from './rows.js';
import type { ReportWriter } from './types.js';

const COLUMNS: [string, (r: ResultRow) => string | number | undefined][] = [
  ['id', (r) => r.id],
  ['label', (r) => r.label],
  ['target', (r) => r.target],
  ['backend', (r) => r.backend],
  ['batch', (r) => r.batch],
  ['threads', (r) => r.threads],
  ['status', (r) => r.status],
  ['n', (r) => r.n],
  ['min_ms', (r) => r.min],
  ['p50_ms', (r) => r.p50],
  ['p90_ms', (r) => r.p90],
  ['p99_ms', (r) => r.p99],
  ['mean_ms', (r) => r.mean],
  ['stddev_ms', (r) => r.stddev],
  ['cv', (r) => r.cv],
  ['ci95_low_ms', (r) => r.ciLow],
  ['ci95_high_ms', (r) => r.ciHigh],
  ['throughput_per_s', (r) => r.throughput],
  ['gflops', (r) => r.gflops],
  ['params', (r) => r.params],
  ['macs', (r) => r.macs],
  ['peak_rss_bytes', (r) => r.peakRssBytes],
  ['machine_cpu', (r) => r.machineCpu],
  ['created_at', (r) => r.createdAt],
  ['flags', (r) => r.flags.join('; ')],
  ['failure', (r) => r.failure],
];

export function csvField(v: string | number | undefined): string {
  if (v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvReport: ReportWriter = {
  format: 'csv',
  extensions: ['.csv'],
  description: 'one row per result with raw numbers (ms, bytes, counts)',
  render(results) {
    const lines = [COLUMNS.map(([h]) => h), ...toRows(results).map((r) => COLUMNS.map(([, get]) => get(r)))];
    return lines.map((cells) => cells.map(csvField).join(',')).join('\r\n') + '\r\n';
  },
};
