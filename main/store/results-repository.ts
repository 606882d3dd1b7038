// Where benchmark results live, behind one interface with two implementations (issue 20): the local
// results folder (the default: one user, one machine, nothing more to install) and a team's
// PostgreSQL database (main/store/postgres/). Every face reads and writes results through this
// interface; asynchronous because a database is. The folder's accuracy/ and lab/ documents stay in
// the local folder in both cases (main/services/results.ts).
import type { BenchResult } from '../../shared/contract/result.js';
import { StudioError } from '../../shared/ir/types.js';
import {
  ResultsStore,
  type BenchResultInput,
  type ImportOutcome,
  type ResultFilter,
  type ResultSummary,
  type StoreProblem,
} from './results-store.js';

export interface SaveManyOutcome {
  /** Ids added. */
  added: string[];
  /** Ids already there (with the same document or not): left as they were. */
  existing: string[];
}

export interface ResultsRepository {
  readonly kind: 'folder' | 'postgres';
  /** Where the results are, safe to print and to put in a report: a folder, or a database URL without its credentials. */
  readonly location: string;
  /** Validates and saves a result; a result with the same id is replaced. */
  save(result: BenchResultInput | BenchResult): Promise<{ id: string; location: string }>;
  /**
   * Adds results whose ids are not there yet, leaving the others untouched (a push twice adds
   * nothing). `texts`, when given, are the documents' exact texts (same order), kept byte for byte.
   */
  addMany(results: readonly BenchResult[], texts?: readonly string[]): Promise<SaveManyOutcome>;
  /** Every readable result that passes the filter, oldest first, and what could not be read. */
  load(filter?: ResultFilter): Promise<{ results: BenchResult[]; problems: StoreProblem[] }>;
  /** One-line summaries of the results that pass the filter, oldest first. */
  list(filter?: ResultFilter): Promise<{ results: ResultSummary[]; problems: StoreProblem[] }>;
  /** The results with these ids, in order; a StudioError ('not-found') names an id that is not there. */
  getMany(ids: readonly string[]): Promise<BenchResult[]>;
  /** Deletes what exists; returns the ids deleted. */
  deleteMany(ids: readonly string[]): Promise<string[]>;
  /** Adds a JSON report's results (ids kept; those already here are skipped). */
  importReport(path: string): Promise<ImportOutcome>;
  close(): Promise<void>;
}

/** The local results folder (main/store/results-store.ts) as a repository. */
export class FolderResultsRepository implements ResultsRepository {
  readonly kind = 'folder' as const;
  readonly store: ResultsStore;

  constructor(storeOrDir: ResultsStore | string) {
    this.store = typeof storeOrDir === 'string' ? new ResultsStore(storeOrDir) : storeOrDir;
  }

  get location(): string {
    return this.store.dir;
  }

  async save(result: BenchResultInput | BenchResult) {
    const { id, path } = this.store.save(result);
    return { id, location: path };
  }

  async addMany(results: readonly BenchResult[], texts?: readonly string[]): Promise<SaveManyOutcome> {
    const have = new Set(this.store.list().results.map((s) => s.id));
    const outcome: SaveManyOutcome = { added: [], existing: [] };
    for (const [i, r] of results.entries()) {
      if (have.has(r.id)) outcome.existing.push(r.id);
      else {
        // The exact text when given (a pull from a database is byte-identical to what was pushed).
        if (texts?.[i] !== undefined) this.store.saveText(r, texts[i]);
        else this.store.save(r);
        have.add(r.id);
        outcome.added.push(r.id);
      }
    }
    return outcome;
  }

  async load(filter: ResultFilter = {}) {
    return this.store.load(filter);
  }

  async list(filter: ResultFilter = {}) {
    return this.store.list(filter);
  }

  async getMany(ids: readonly string[]) {
    return this.store.getMany(ids);
  }

  async deleteMany(ids: readonly string[]) {
    return this.store.deleteMany(ids).flatMap((d) => (d.files.length ? [d.id] : []));
  }

  async importReport(path: string) {
    return this.store.importReport(path);
  }

  async close(): Promise<void> {}
}

/** The result with this id, or a StudioError that says it is not there. */
export async function getOne(repo: ResultsRepository, id: string): Promise<BenchResult> {
  const [r] = await repo.getMany([id]);
  if (!r) throw new StudioError(`no result with id '${id}' in ${repo.location}`, 'not-found');
  return r;
}

/**
 * A repository that can be switched while the app runs (Settings: a team's database, or back to the
 * folder). Callers keep one object; each call goes to the repository current when it is made. The
 * one replaced is closed after the calls already made to it end.
 */
export class SwitchableResultsRepository implements ResultsRepository {
  private current: ResultsRepository;
  private inFlight = new Map<ResultsRepository, number>();

  constructor(initial: ResultsRepository) {
    this.current = initial;
  }

  get kind() {
    return this.current.kind;
  }

  get location() {
    return this.current.location;
  }

  /** The repository calls go to now. */
  get active(): ResultsRepository {
    return this.current;
  }

  /** Switches to `next`; the previous one is closed once its calls end. */
  async switchTo(next: ResultsRepository): Promise<void> {
    const previous = this.current;
    if (previous === next) return;
    this.current = next;
    if (!this.inFlight.get(previous)) await previous.close();
  }

  private async call<T>(fn: (r: ResultsRepository) => Promise<T>): Promise<T> {
    const repo = this.current;
    this.inFlight.set(repo, (this.inFlight.get(repo) ?? 0) + 1);
    try {
      return await fn(repo);
    } finally {
      const left = (this.inFlight.get(repo) ?? 1) - 1;
      if (left) this.inFlight.set(repo, left);
      else {
        this.inFlight.delete(repo);
        if (repo !== this.current) await repo.close().catch(() => {});
      }
    }
  }

  save(result: BenchResultInput | BenchResult) {
    return this.call((r) => r.save(result));
  }
  addMany(results: readonly BenchResult[], texts?: readonly string[]) {
    return this.call((r) => r.addMany(results, texts));
  }
  load(filter?: ResultFilter) {
    return this.call((r) => r.load(filter));
  }
  list(filter?: ResultFilter) {
    return this.call((r) => r.list(filter));
  }
  getMany(ids: readonly string[]) {
    return this.call((r) => r.getMany(ids));
  }
  deleteMany(ids: readonly string[]) {
    return this.call((r) => r.deleteMany(ids));
  }
  importReport(path: string) {
    return this.call((r) => r.importReport(path));
  }
  close(): Promise<void> {
    return this.current.close();
  }
}
