// Report formats behind one registry: adding a format is one file plus one line in WRITERS.
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import type { BenchResult } from '../../shared/contract/result.js';
import { StudioError } from '../../shared/ir/types.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import { csvReport } from './csv.js';
import { htmlReport } from './html.js';
import { jsonReport } from './json.js';
import { markdownReport } from './markdown.js';
import type { ReportContext, ReportFormat, ReportWriter } from './types.js';

export type { ReportContext, ReportFormat, ReportWriter } from './types.js';
export { REPORT_SCHEMA, REPORT_SCHEMA_VERSION, parseReport, type JsonReport } from '../store/report-file.js';

export const WRITERS: readonly ReportWriter[] = [htmlReport, jsonReport, csvReport, markdownReport];

export const REPORT_FORMATS: readonly ReportFormat[] = WRITERS.map((w) => w.format);

const STUDIO_VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export function writerFor(format: string): ReportWriter {
  const w = WRITERS.find((x) => x.format === format);
  if (!w)
    throw new StudioError(
      `unknown report format '${format}'; use one of ${REPORT_FORMATS.join(', ')}`,
      'bad-parameter',
    );
  return w;
}

/** The format a file name asks for: report.html -> 'html', results.md -> 'md'. */
export function formatFromPath(path: string): ReportFormat {
  const ext = extname(path).toLowerCase();
  const w = WRITERS.find((x) => x.extensions.includes(ext));
  if (!w)
    throw new StudioError(
      `cannot tell the report format of '${path}': name it ${WRITERS.flatMap((x) => x.extensions).join(', ')}, or give the format`,
      'bad-parameter',
    );
  return w.format;
}

export function renderReport(
  results: readonly BenchResult[],
  format: ReportFormat,
  ctx: Partial<ReportContext> = {},
): string {
  return writerFor(format).render(results, {
    createdAt: ctx.createdAt ?? new Date().toISOString(),
    title: ctx.title ?? 'Benchmark report',
    studioVersion: ctx.studioVersion ?? STUDIO_VERSION,
    ...(ctx.accuracy?.length ? { accuracy: ctx.accuracy } : {}),
    ...(ctx.lab?.length ? { lab: ctx.lab } : {}),
  });
}

/** Writes a report atomically (a failure leaves any previous file at `path` as it was). */
export function exportReport(
  results: readonly BenchResult[],
  path: string,
  format?: ReportFormat,
  ctx: Partial<ReportContext> = {},
): { path: string; format: ReportFormat; bytes: number; results: number } {
  const f = format ?? formatFromPath(path);
  const written = writeFileAtomic(path, renderReport(results, f, ctx));
  return { path: written.path, format: f, bytes: written.bytes, results: results.length };
}
