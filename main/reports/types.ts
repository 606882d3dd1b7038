// The contract between the report registry and one format.
import type { AccuracyResult } from '../../shared/contract/accuracy.js';
import type { LabResult } from '../../shared/contract/lab.js';
import type { BenchResult } from '../../shared/contract/result.js';

export type ReportFormat = 'html' | 'json' | 'csv' | 'md';

export interface ReportContext {
  /** ISO time the report is generated (fixed by tests for reproducible output). */
  createdAt: string;
  title: string;
  /** Version of the studio writing the report. */
  studioVersion: string;
  /** Saved accuracy results of the report's targets (reports/accuracy.ts matchingAccuracy). */
  accuracy?: readonly AccuracyResult[];
  /** Saved lab results to include as a heads table (reports/lab.ts matchingLab / selectLab). */
  lab?: readonly LabResult[];
}

export interface ReportWriter {
  format: ReportFormat;
  /** File extensions (lower case, with the dot) that select this format. */
  extensions: readonly string[];
  description: string;
  render(results: readonly BenchResult[], ctx: ReportContext): string;
}
