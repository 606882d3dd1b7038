// The JSON report's envelope: the file format `results import` reads and reports/json.ts writes.
// The store owns it, so that reading a report back never needs the report writers.
import type { AccuracyResult } from '../../shared/contract/accuracy.js';
import type { LabResult } from '../../shared/contract/lab.js';
import { RESULT_SCHEMA, type BenchResult } from '../../shared/contract/result.js';
import { StudioError } from '../../shared/ir/types.js';
import { checkEnvelope, parseJson } from './result-check.js';

export const REPORT_SCHEMA = 'bottleneck-studio/report';
export const REPORT_SCHEMA_VERSION = 1;

export interface JsonReport {
  schema: typeof REPORT_SCHEMA;
  version: typeof REPORT_SCHEMA_VERSION;
  createdAt: string;
  studioVersion: string;
  title: string;
  results: BenchResult[];
  /** Saved accuracy results of the report's targets (absent when none). */
  accuracy?: AccuracyResult[];
  /** Saved bottleneck-feature lab results included with the report (absent when none). */
  lab?: LabResult[];
}

/**
 * Reads the envelope of a JSON report (or a single result document); the results inside are
 * returned unchecked: the caller validates each one and says which is wrong. `source` names the
 * file in messages.
 */
export function parseReport(text: string, source: string): { createdAt?: string; results: unknown[] } {
  const json = parseJson(text);
  if (!json.ok) throw new StudioError(`${source} is not a report: ${json.reason}`, 'bad-file');
  // A single result file (from another machine's results folder) is accepted as a report of one.
  if ((json.value as { schema?: unknown } | null)?.schema === RESULT_SCHEMA) return { results: [json.value] };
  const bad = checkEnvelope(json.value, REPORT_SCHEMA, REPORT_SCHEMA_VERSION, 'report');
  if (bad) throw new StudioError(`${source}: ${bad}`, 'bad-file');
  const doc = json.value as { createdAt?: unknown; results?: unknown };
  if (!Array.isArray(doc.results)) throw new StudioError(`${source}: the report has no "results" list`, 'bad-file');
  return { createdAt: typeof doc.createdAt === 'string' ? doc.createdAt : undefined, results: doc.results };
}
