// The JSON report: the results themselves, complete (raw samples included), in a versioned
// envelope. It is also the import format: another machine's report is read back with parseReport
// (store/report-file.ts: the envelope is a file format, owned by the store that reads it).
import { REPORT_SCHEMA, REPORT_SCHEMA_VERSION, type JsonReport } from '../store/report-file.js';
import { toJsonText } from '../store/result-check.js';
import type { RunDiff } from '../../shared/contract/run-diff.js';
import type { ReportWriter } from './types.js';
import { reportNodeDiffs } from './node-diff.js';

export const jsonReport: ReportWriter = {
  format: 'json',
  extensions: ['.json'],
  description: 'every result in full (raw samples included); the format `results import` reads',
  render(results, ctx) {
    const nodeDiffs = reportNodeDiffs(results);
    // nodeDiffs: each later profiled run of a model against the first (main/reports/node-diff.ts); not read back by an import.
    const report: JsonReport & { nodeDiffs?: RunDiff[] } = {
      schema: REPORT_SCHEMA,
      version: REPORT_SCHEMA_VERSION,
      createdAt: ctx.createdAt,
      studioVersion: ctx.studioVersion,
      title: ctx.title,
      results: [...results],
      ...(ctx.accuracy?.length ? { accuracy: [...ctx.accuracy] } : {}),
      ...(ctx.lab?.length ? { lab: [...ctx.lab] } : {}),
      ...(nodeDiffs.length ? { nodeDiffs } : {}),
    };
    return toJsonText(report);
  },
};
