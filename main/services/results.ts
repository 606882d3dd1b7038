// The results service: one results folder (benchmark results, and the accuracy/ and lab/ documents
// beside them) read, changed and reported the same way from every face. A report always carries the
// saved accuracy and lab results of its targets (plus any lab results asked for by id), whether the
// CLI, the app or a benchmark run writes it.
import type { AccuracyResult } from '../../shared/contract/accuracy.js';
import type { LabResult } from '../../shared/contract/lab.js';
import type { BenchResult } from '../../shared/contract/result.js';
import { StudioError } from '../../shared/ir/types.js';
import { importResultsText } from '../store/import-text.js';
import { matchingAccuracy } from '../reports/accuracy.js';
import { exportReport, renderReport, type ReportFormat } from '../reports/index.js';
import { selectLab } from '../reports/lab.js';
import { accuracyStore, labStore, type DocumentStore } from '../store/document-store.js';
import type { StoreProblem } from '../store/results-store.js';
import { ResultsStore, type ImportOutcome, type ResultFilter } from '../store/results-store.js';

export interface ReportOptions {
  /** Lab results to include besides the matching ones: comma-separated ids, or 'all'. */
  lab?: string;
  title?: string;
}

/** What a report carries besides the benchmark results, and what could not be read for it. */
export interface ReportExtras {
  accuracy: AccuracyResult[];
  lab: LabResult[];
  problems: StoreProblem[];
}

export class ResultsService {
  readonly store: ResultsStore;
  readonly accuracy: DocumentStore<'accuracy'>;
  readonly lab: DocumentStore<'lab'>;

  constructor(storeOrDir: ResultsStore | string) {
    this.store = typeof storeOrDir === 'string' ? new ResultsStore(storeOrDir) : storeOrDir;
    this.accuracy = accuracyStore(this.store.dir);
    this.lab = labStore(this.store.dir);
  }

  get dir(): string {
    return this.store.dir;
  }

  list(filter: ResultFilter = {}) {
    return this.store.list(filter);
  }

  load(filter: ResultFilter = {}) {
    return this.store.load(filter);
  }

  /** One look at the folder for all the ids (a report of thousands of results must not list it each time). */
  get(ids: string[]): BenchResult[] {
    return this.store.getMany(ids);
  }

  /** Deletes what exists; returns the ids deleted (already gone is what the caller wanted). */
  delete(ids: string[]): string[] {
    return this.store.deleteMany(ids).flatMap((d) => (d.files.length ? [d.id] : []));
  }

  /** A JSON report (or a single result) from a file on this machine. */
  importFile(path: string): ImportOutcome {
    return this.store.importReport(path);
  }

  /** A JSON report received as text (the app's renderer read the file the user picked). */
  importText(name: string, text: string, scratchDir: string): ImportOutcome {
    return importResultsText(this.store, scratchDir, name, text);
  }

  /**
   * The saved accuracy and lab results a report of these results includes. An unreadable document
   * folder leaves them out and says why in `problems`; an unknown lab id is an error.
   */
  extrasOf(results: readonly BenchResult[], opts: ReportOptions = {}): ReportExtras {
    const acc = this.safeList(this.accuracy);
    const labs = this.safeList(this.lab);
    return {
      accuracy: matchingAccuracy(results, acc.items),
      lab: selectLab(results, labs.items, opts.lab),
      problems: [...acc.problems, ...labs.problems],
    };
  }

  /** A report as text, for a face that delivers it itself (a download). */
  render(results: readonly BenchResult[], format: ReportFormat, opts: ReportOptions = {}) {
    const extras = this.extrasOf(results, opts);
    return { content: renderReport(results, format, { ...extras, title: opts.title }), ...extras };
  }

  /** A report written atomically to `path` (the extension picks the format unless given). */
  export(results: readonly BenchResult[], path: string, format?: ReportFormat, opts: ReportOptions = {}) {
    if (results.length === 0) throw new StudioError('no results match: nothing to export', 'bad-parameter');
    const extras = this.extrasOf(results, opts);
    const written = exportReport(results, path, format, { ...extras, title: opts.title });
    return { ...written, ...extras };
  }

  private safeList<K extends 'accuracy' | 'lab'>(docs: DocumentStore<K>) {
    try {
      return docs.list();
    } catch (e) {
      return {
        items: [] as ReturnType<DocumentStore<K>['list']>['items'],
        problems: [{ file: docs.dir, reason: (e as Error).message }],
      };
    }
  }
}
