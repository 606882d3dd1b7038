// The results service: benchmark results in a repository (the local results folder by default, or a
// team's PostgreSQL database: main/store/results-repository.ts), and the accuracy/ and lab/ documents
// in the local results folder, read, changed and reported the same way from every face. A report always carries the
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
import { FolderResultsRepository, type ResultsRepository } from '../store/results-repository.js';
import type { BenchResultInput, StoreProblem } from '../store/results-store.js';
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
  /** The local results folder: the benchmark results too unless a database holds them. */
  readonly store: ResultsStore;
  /** Where benchmark results are read and written: the folder above, or a database. */
  readonly repository: ResultsRepository;
  readonly accuracy: DocumentStore<'accuracy'>;
  readonly lab: DocumentStore<'lab'>;

  constructor(storeOrDir: ResultsStore | string, repository?: ResultsRepository) {
    this.store = typeof storeOrDir === 'string' ? new ResultsStore(storeOrDir) : storeOrDir;
    this.repository = repository ?? new FolderResultsRepository(this.store);
    this.accuracy = accuracyStore(this.store.dir);
    this.lab = labStore(this.store.dir);
  }

  /** The local results folder (accuracy and lab documents, the kept roofline, scratch files). */
  get dir(): string {
    return this.store.dir;
  }

  /** Where benchmark results are, safe to show: the folder, or the database URL without credentials. */
  get location(): string {
    return this.repository.location;
  }

  save(result: BenchResultInput | BenchResult) {
    return this.repository.save(result);
  }

  list(filter: ResultFilter = {}) {
    return this.repository.list(filter);
  }

  load(filter: ResultFilter = {}) {
    return this.repository.load(filter);
  }

  /** The results with these ids, in order (one look at the folder for all of them). */
  get(ids: string[]): Promise<BenchResult[]> {
    return this.repository.getMany(ids);
  }

  /** Deletes what exists; returns the ids deleted (already gone is what the caller wanted). */
  delete(ids: string[]): Promise<string[]> {
    return this.repository.deleteMany(ids);
  }

  /** A JSON report (or a single result) from a file on this machine. */
  importFile(path: string): Promise<ImportOutcome> {
    return this.repository.importReport(path);
  }

  /** A JSON report received as text (the app's renderer read the file the user picked). */
  importText(name: string, text: string, scratchDir: string): Promise<ImportOutcome> {
    return importResultsText(this.repository, scratchDir, name, text);
  }

  close(): Promise<void> {
    return this.repository.close();
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
