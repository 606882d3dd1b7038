// The results folder (DESIGN.md "Results and reports"): one versioned JSON document per finished
// job, named `<date>_<id>.json`, written atomically so that a crash or a kill at any moment loses
// nothing already saved and never leaves a half-written result. Files the studio cannot read
// (damaged, foreign, from a newer studio) are reported by name and reason, never misread.
// Synchronous: results are small, and the job queue saves each one the moment its job ends.
//
// At scale (issue 19: 100,000 results): saving one result never lists the folder (the temporary
// files of killed writers are swept when the store opens and, at most once a minute, when it lists);
// listing reads the folder's names and stats each file, and reads only the files it has not seen
// with that identity (inode, size, mtime, ctime) before: the summaries of the others come from
// memory, or, in a fresh process (the CLI), from the index file `.results-index.json` beside them.
// The index is only a cache: an entry is used when the file's identity still matches, so a file
// changed, replaced or added by anyone is read again; a missing, damaged or foreign index is ignored
// and rewritten. Files that cannot be read are never cached: they are reported on every listing.
import { mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { z } from 'zod';
import type { ImportOutcomeView, ResultSummaryView } from '../../shared/contract/api.js';
import { ResultSchema, type BenchResult } from '../../shared/contract/result.js';
import { StudioError } from '../../shared/ir/types.js';
import { targetName } from '../../shared/stats/compare.js';
import { warningCount } from '../../shared/stats/flags.js';
import { parseReport } from './report-file.js';
import { fsReason, isTemporaryFile, saveDocumentFile, sweepTemporaryFiles, writeFileAtomic } from './atomic-write.js';
import {
  MAX_REPORT_FILE_BYTES,
  MAX_RESULT_FILE_BYTES,
  checkResult,
  describeIssues,
  parseJson,
  readTextFile,
  toJsonText,
  type Checked,
} from './result-check.js';

export type BenchResultInput = z.input<typeof ResultSchema>;

export interface ResultFilter {
  /** Target name: a block or model name ("bottleneck", "resnet50/keras"), or an ONNX file's path or file name. */
  target?: string;
  backend?: string;
  status?: BenchResult['status'];
  group?: string;
  /** Created at or after this time; a date alone ("2025-06-01") means from its start. */
  since?: string | Date;
  /** Created at or before this time; a date alone means up to its end. */
  until?: string | Date;
}

/** A result's one-line summary (the contract's view), plus the file it was read from. */
export interface ResultSummary extends ResultSummaryView {
  file: string;
  /** fp32, or the fp16 / int8 variant measured (its fidelity is in the result's `precision`). */
  precision: string;
}

/** A file in the results folder that could not be read as a result, and why. */
export interface StoreProblem {
  file: string;
  reason: string;
}

export type ImportOutcome = ImportOutcomeView;

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The id in a result file's name (`<YYYY-MM-DD>_<id>.json`, `undated_<id>.json`), by hand: run on every name of the folder. */
function idOfFile(f: string): string | undefined {
  const us = f.indexOf('_');
  if (f.length <= us + 6 || !f.endsWith('.json')) return undefined;
  if (us === 7 ? !f.startsWith('undated') : us !== 10 || !isDate(f)) return undefined;
  return f.slice(us + 1, -5);
}
const isDigit = (c: number) => c >= 48 && c <= 57;
const isDate = (f: string) => {
  for (let i = 0; i < 10; i++) {
    const c = f.charCodeAt(i);
    if (i === 4 || i === 7 ? c !== 45 : !isDigit(c)) return false;
  }
  return true;
};

/** Refuses an id that cannot name a result file (the database store keeps the same rule). */
export function checkId(id: string): void {
  if (!ID.test(id))
    throw new StudioError(
      `result id '${id}' cannot name a file: use up to 128 letters, digits, '.', '_' and '-', starting with a letter or digit`,
      'bad-parameter',
    );
}

/**
 * A filter's since (end false) or until (end true) as epoch milliseconds: a date alone means from
 * its start or up to its end (UTC); a bad date is a StudioError. Shared with the database store.
 */
export function bound(t: string | Date | undefined, end: boolean): number | undefined {
  if (t === undefined) return undefined;
  const dateOnly = typeof t === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(t);
  const ms = typeof t === 'string' ? Date.parse(dateOnly ? `${t}T00:00:00.000Z` : t) : t.getTime();
  if (Number.isNaN(ms)) throw new StudioError(`'${String(t)}' is not a date or time (use 2025-06-01 or ISO 8601)`);
  return dateOnly && end ? ms + 86_400_000 - 1 : ms;
}

/** What a filter looks at: the same fields in a result and in its cached summary. */
interface FilterFields {
  target: string;
  backend: string;
  status: string;
  group?: string;
  createdAt: string;
}

/** A filter with its times parsed once (a listing tests it against every result). */
function compileFilter(f: ResultFilter = {}): (x: FilterFields, fileTarget: boolean) => boolean {
  const [since, until] = [bound(f.since, false), bound(f.until, true)];
  const want = f.target?.toLowerCase();
  return (x, fileTarget) => {
    if (want !== undefined) {
      const name = x.target.toLowerCase();
      if (name !== want && !(fileTarget && basename(name) === want)) return false;
    }
    if (f.backend !== undefined && x.backend !== f.backend) return false;
    if (f.status !== undefined && x.status !== f.status) return false;
    if (f.group !== undefined && x.group !== f.group) return false;
    if (since !== undefined || until !== undefined) {
      const t = Date.parse(x.createdAt);
      if (Number.isNaN(t) || (since !== undefined && t < since) || (until !== undefined && t > until)) return false;
    }
    return true;
  };
}

const fieldsOf = (r: BenchResult): FilterFields => ({
  target: targetName(r.job.target),
  backend: r.job.backend.backend,
  status: r.status,
  group: r.job.group,
  createdAt: r.createdAt,
});

export function matches(r: BenchResult, f: ResultFilter = {}): boolean {
  return compileFilter(f)(fieldsOf(r), r.job.target.kind === 'file');
}

export function summarize(r: BenchResult, file: string): ResultSummary {
  return {
    id: r.id,
    file,
    createdAt: r.createdAt,
    label: r.label,
    target: targetName(r.job.target),
    backend: r.job.backend.backend,
    batch: r.job.batch,
    threads: r.job.backend.intraOpThreads,
    precision: r.job.precision ?? 'fp32',
    status: r.status,
    group: r.job.group,
    repetition: r.job.repetition,
    n: r.stats?.n ?? r.samplesMs.length,
    p50: r.stats?.p50,
    // Warnings only: notes (and the informational lines older results kept in flags) are not flags.
    flags: warningCount(r),
    failure: r.failure?.reason,
    machine: r.machine.cpu.brand,
  };
}

/** The index file of summaries beside the results (a cache: see the top of this file). */
export const INDEX_FILE = '.results-index.json';
const INDEX_SCHEMA = 'bottleneck-studio/results-index';
/** Bump when summarize() or the cached fields change: an index of another version is ignored. */
const INDEX_VERSION = 1;
/** Summaries learned since the index was last written before it is written again. */
export const INDEX_WRITE_AFTER = 500;
const MAX_INDEX_BYTES = 1024 * 2 ** 20;

/** A readable result as a listing knows it, without its file being read again. */
interface Cached {
  /** The file's identity when it was read (inode, size, mtime, ctime): a different one means read it again. */
  key: FileKey;
  summary: ResultSummary;
  fileTarget: boolean;
}

/** What a scan of the folder found: every result file, known or not readable. */
type Scanned = { file: string; cached: Cached } | { file: string; problem: string };

/** Oldest first, then by id (code-point order: the same everywhere, and fast at 100,000 rows). */
const byTimeThenId = (a: { createdAt: string; id: string }, b: { createdAt: string; id: string }) =>
  a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

const byFile = (a: { file: string }, b: { file: string }) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0);

type FileKey = readonly [ino: number, size: number, mtimeMs: number, ctimeMs: number];
const statKey = (st: { ino: number; size: number; mtimeMs: number; ctimeMs: number }): FileKey => [
  st.ino,
  st.size,
  st.mtimeMs,
  st.ctimeMs,
];
const sameKey = (a: FileKey, b: FileKey) => a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
const isKey = (k: unknown): k is FileKey => Array.isArray(k) && k.length === 4 && k.every(num);

const isResultFile = (f: string) => f.endsWith('.json') && !f.startsWith('.') && !isTemporaryFile(f);

const STATUSES = new Set(['ok', 'failed', 'cancelled']);
const str = (v: unknown) => typeof v === 'string';
const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const opt = (v: unknown, is: (v: unknown) => boolean) => v === undefined || is(v);

/** An index entry's summary has the summary's shape (the index is a file anyone could have edited). */
function isSummary(x: unknown): x is Omit<ResultSummary, 'file'> {
  if (!x || typeof x !== 'object') return false;
  const s = x as Record<string, unknown>;
  return (
    str(s.id) &&
    str(s.createdAt) &&
    str(s.label) &&
    str(s.target) &&
    str(s.backend) &&
    num(s.batch) &&
    num(s.threads) &&
    str(s.precision) &&
    STATUSES.has(s.status as string) &&
    opt(s.group, str) &&
    num(s.repetition) &&
    num(s.n) &&
    opt(s.p50, num) &&
    num(s.flags) &&
    opt(s.failure, str) &&
    str(s.machine)
  );
}

/**
 * Reads and validates a JSON report (or a single result file) without adding it anywhere: every
 * result must be valid, or a StudioError names the file and the first bad results (`refusal` adds
 * what that means to the message). Both stores' importReport read reports this way.
 */
export function readReportFile(path: string, refusal = ''): BenchResult[] {
  const source = basename(path);
  const text = readTextFile(path, MAX_REPORT_FILE_BYTES, 'report');
  if (!text.ok) throw new StudioError(`cannot read ${path}: ${text.reason}${refusal}`, 'bad-file');
  const entries = parseReport(text.value, source).results.map((v) => checkResult(v));
  const bad = entries.flatMap((e, i) => (e.ok ? [] : [`result ${i + 1}: ${e.reason}`]));
  if (bad.length)
    throw new StudioError(
      `${source}: ${bad.length} of ${entries.length} results are invalid${refusal}: ${bad.slice(0, 3).join(' | ')}`,
      'bad-file',
    );
  const results = entries.map((e) => (e as { value: BenchResult }).value);
  for (const r of results) checkId(r.id);
  return results;
}

export class ResultsStore {
  readonly dir: string;
  /** Summaries of the readable results by file name (see the top of this file). */
  private readonly cache = new Map<string, Cached>();
  /** The result files as of the last look at the folder, plus this store's own changes. */
  private names = new Set<string>();
  /** The same by the id their name carries (one name, or several: the same id under two dates). */
  private readonly byId = new Map<string, string | string[]>();
  private indexLoaded = false;
  /** Summaries learned since the index file was read or written. */
  private unindexed = 0;

  constructor(dir: string) {
    this.dir = resolve(dir);
    let names: string[];
    try {
      mkdirSync(this.dir, { recursive: true });
      if (!statSync(this.dir).isDirectory()) throw new Error('not a folder');
      names = readdirSync(this.dir);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'EEXIST' ? 'a file of that name exists' : (e as Error).message;
      throw new StudioError(`cannot use ${dir} as a results folder: ${why}`, 'io-error');
    }
    // Once at open (and at most once a minute when listing), never per save.
    sweepTemporaryFiles(this.dir, names);
    // Built at open (an O(n) pass beside the listing), so that no save pays for it.
    this.names = new Set(names.filter(isResultFile));
    for (const f of this.names) this.indexName(f);
  }

  /** File name of a result: its creation date (for people browsing the folder), then its id. */
  fileName(r: Pick<BenchResult, 'id' | 'createdAt'>): string {
    const date = /^\d{4}-\d{2}-\d{2}/.exec(r.createdAt)?.[0] ?? 'undated';
    return `${date}_${r.id}.json`;
  }

  /**
   * Validates and saves a result atomically; a result with the same id is replaced. Never lists the
   * folder: the same id saved under another date is found among the names this store knows.
   */
  save(result: BenchResultInput | BenchResult): { id: string; path: string } {
    const parsed = ResultSchema.safeParse(result);
    if (!parsed.success)
      throw new StudioError(`refusing to save an invalid result: ${describeIssues(parsed.error)}`, 'invalid-result');
    return this.write(parsed.data, toJsonText(parsed.data));
  }

  /**
   * Saves a result's document as this exact text (a pull from a database writes the bytes that were
   * pushed); `text` must be the document of `r` (the caller parsed it: its id is checked here).
   */
  saveText(r: BenchResult, text: string): { id: string; path: string } {
    const parsed = parseJson(text);
    if (!parsed.ok || (parsed.value as { id?: unknown })?.id !== r.id)
      throw new StudioError(`refusing to save result '${r.id}': the text given is not its document`, 'invalid-result');
    return this.write(r, text);
  }

  private write(r: BenchResult, text: string): { id: string; path: string } {
    checkId(r.id);
    const name = this.fileName(r);
    const { path } = saveDocumentFile(join(this.dir, name), text, 'result', r.id);
    // The same id saved earlier under another date (re-saved with a new createdAt): only the new one stays.
    for (const f of this.filesNamed(r.id))
      if (f !== name) {
        this.unlink(f);
        this.forgetName(f);
      }
    this.addName(name);
    // The next listing reads it (once): a summary cached here could be of a file another process
    // replaced between the rename and a stat.
    this.cache.delete(name);
    return { id: r.id, path };
  }

  /** Every readable result that passes the filter, oldest first, and the files that could not be read. */
  load(filter: ResultFilter = {}): { results: BenchResult[]; problems: StoreProblem[] } {
    const test = compileFilter(filter);
    const scanned = this.scan();
    const problems: StoreProblem[] = [];
    const ok: BenchResult[] = [];
    for (const e of scanned) {
      if ('problem' in e) {
        problems.push({ file: e.file, reason: e.problem });
        continue;
      }
      if (!test(e.cached.summary, e.cached.fileTarget)) continue;
      // Only the matching files are read; one changed since the scan is judged as it is now.
      const read = this.read(e.file);
      if (!read.ok) problems.push({ file: e.file, reason: read.reason });
      else if (test(fieldsOf(read.value), read.value.job.target.kind === 'file')) ok.push(read.value);
    }
    ok.sort(byTimeThenId);
    return { results: ok, problems: problems.sort(byFile) };
  }

  list(filter: ResultFilter = {}): { results: ResultSummary[]; problems: StoreProblem[] } {
    const test = compileFilter(filter);
    const problems: StoreProblem[] = [];
    const results: ResultSummary[] = [];
    for (const e of this.scan()) {
      if ('problem' in e) problems.push({ file: e.file, reason: e.problem });
      else if (test(e.cached.summary, e.cached.fileTarget)) results.push({ ...e.cached.summary });
    }
    results.sort(byTimeThenId);
    return { results, problems: problems.sort(byFile) };
  }

  /** The result with this id; a StudioError says why when it is missing or cannot be read. */
  get(id: string): BenchResult {
    return this.getMany([id])[0];
  }

  /**
   * The results with these ids, in order. Read from the files this store knows by name; the folder
   * is looked at again (once for all) only for ids not found that way.
   */
  getMany(ids: readonly string[]): BenchResult[] {
    for (const id of ids) checkId(id);
    const found = new Map<string, BenchResult>();
    for (const id of new Set(ids))
      for (const f of this.filesNamed(id).sort()) {
        const e = this.read(f);
        if (e.ok && e.value.id === id) {
          found.set(id, e.value);
          break;
        }
      }
    const missing = ids.filter((id) => !found.has(id));
    const located = missing.length ? this.locate(missing) : new Map<string, { files: string[]; byName: boolean }>();
    return ids.map((id) => {
      const have = found.get(id);
      if (have) return have;
      const { files, byName } = located.get(id)!;
      const entries = files.map((f) => this.read(f));
      for (const e of entries) if (e.ok && e.value.id === id) return e.value;
      const bad = byName ? entries.find((e) => !e.ok) : undefined;
      if (bad && !bad.ok)
        throw new StudioError(`result '${id}' (${bad.file}) cannot be read: ${bad.reason}`, 'bad-file');
      throw new StudioError(`no result with id '${id}' in ${this.dir}`, 'not-found');
    });
  }

  /** Deletes the result with this id; returns the file(s) removed. */
  delete(id: string): string[] {
    const [deleted] = this.deleteMany([id]);
    if (!deleted.files.length) throw new StudioError(`no result with id '${id}' in ${this.dir}`, 'not-found');
    return deleted.files;
  }

  /** Deletes the results with these ids (one look at the folder for all); an id with no file gets no files. */
  deleteMany(ids: readonly string[]): { id: string; files: string[] }[] {
    for (const id of ids) checkId(id);
    const located = this.locate(ids);
    return ids.map((id) => {
      const { files } = located.get(id)!;
      for (const f of files) {
        this.unlink(f);
        this.forgetName(f);
      }
      located.set(id, { files: [], byName: true });
      return { id, files };
    });
  }

  /**
   * Reads and validates a JSON report (or a single result file) without adding it to the folder:
   * every result must be valid, or a StudioError names the file and the first bad results
   * (`refusal` adds what that means to the message).
   */
  readReport(path: string, refusal = ''): BenchResult[] {
    return readReportFile(path, refusal);
  }

  /**
   * Adds the results of a JSON report (exported on another machine) to this folder, ids kept.
   * The whole report is refused when any result in it is invalid; results already here are
   * skipped and reported.
   */
  importReport(path: string): ImportOutcome {
    const source = basename(path);
    const results = this.readReport(path, ', nothing was imported');
    // The ids here from the summaries; a result is read only when the report has its id too.
    const fileOf = new Map<string, string>();
    for (const e of this.scan())
      if (!('problem' in e) && !fileOf.has(e.cached.summary.id)) fileOf.set(e.cached.summary.id, e.file);
    const existing = new Map<string, BenchResult>();
    const outcome: ImportOutcome = { source, added: [], skipped: [] };
    for (const r of results) {
      let have = existing.get(r.id);
      const file = fileOf.get(r.id);
      if (!have && file) {
        const read = this.read(file);
        if (read.ok) have = read.value;
      }
      if (have) {
        const same = JSON.stringify(have) === JSON.stringify(r);
        outcome.skipped.push({
          id: r.id,
          reason: same
            ? 'already in the results folder'
            : 'a different result with this id is already in the results folder; not replaced',
        });
        continue;
      }
      this.save(r);
      existing.set(r.id, r);
      outcome.added.push(r.id);
    }
    return outcome;
  }

  /** The result files (one look at the folder, in its own order), remembered by name and id. */
  private files(): string[] {
    const all = readdirSync(this.dir);
    // The listing is here anyway: leftovers of killed writers go at most once a minute.
    sweepTemporaryFiles(this.dir, all);
    const names = all.filter(isResultFile);
    const next = new Set(names);
    for (const f of next) if (!this.names.has(f)) this.indexName(f);
    for (const f of this.names) if (!next.has(f)) this.unindexName(f);
    this.names = next;
    return names;
  }

  /** The files whose name carries this id (a copy). */
  private filesNamed(id: string): string[] {
    const have = this.byId.get(id);
    return have === undefined ? [] : typeof have === 'string' ? [have] : [...have];
  }

  private addName(file: string): void {
    if (this.names.has(file)) return;
    this.names.add(file);
    this.indexName(file);
  }

  private forgetName(file: string): void {
    if (this.names.delete(file)) this.unindexName(file);
    this.cache.delete(file);
  }

  private indexName(file: string): void {
    const id = idOfFile(file);
    if (id === undefined) return;
    const have = this.byId.get(id);
    if (have === undefined) this.byId.set(id, file);
    else if (typeof have === 'string') this.byId.set(id, [have, file]);
    else have.push(file);
  }

  private unindexName(file: string): void {
    const id = idOfFile(file);
    const have = id === undefined ? undefined : this.byId.get(id);
    if (have === undefined) return;
    const rest = (typeof have === 'string' ? [have] : have).filter((f) => f !== file);
    if (rest.length === 0) this.byId.delete(id!);
    else this.byId.set(id!, rest.length === 1 ? rest[0] : rest);
  }

  /**
   * The files of each id: those whose name carries it (one look at the folder), else those whose
   * content has it (a renamed file; from the summaries). `byName`: found by its name.
   */
  private locate(ids: readonly string[]): Map<string, { files: string[]; byName: boolean }> {
    this.files();
    const out = new Map<string, { files: string[]; byName: boolean }>();
    const missing = new Set<string>();
    for (const id of ids) {
      const files = this.filesNamed(id).sort();
      out.set(id, { files, byName: files.length > 0 });
      if (!files.length) missing.add(id);
    }
    if (missing.size)
      for (const e of this.scan())
        if (!('problem' in e) && missing.has(e.cached.summary.id)) out.get(e.cached.summary.id)!.files.push(e.file);
    for (const v of out.values()) v.files.sort();
    return out;
  }

  /**
   * Every result file with its summary (from memory or the index when the file is unchanged, else
   * read now) or the reason it cannot be read; in the folder's order.
   */
  private scan(): Scanned[] {
    const names = this.files();
    this.loadIndex();
    const out: Scanned[] = [];
    const present = this.names;
    for (const file of names) {
      let key: FileKey | undefined;
      try {
        const st = statSync(join(this.dir, file));
        key = st.isFile() ? statKey(st) : undefined;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed since the listing
      }
      const known = this.cache.get(file);
      if (key && known && sameKey(known.key, key)) {
        out.push({ file, cached: known });
        continue;
      }
      const read = this.read(file);
      if (!read.ok) {
        this.cache.delete(file);
        out.push({ file, problem: read.reason });
        continue;
      }
      out.push({ file, cached: key ? this.remember(file, key, read.value) : this.transient(file, read.value) });
    }
    for (const file of this.cache.keys()) if (!present.has(file)) this.cache.delete(file);
    if (this.unindexed >= INDEX_WRITE_AFTER) this.writeIndex();
    return out;
  }

  private transient(file: string, r: BenchResult): Cached {
    return { key: [-1, -1, -1, -1], summary: summarize(r, file), fileTarget: r.job.target.kind === 'file' };
  }

  private remember(file: string, key: FileKey, r: BenchResult): Cached {
    const cached = { key, summary: summarize(r, file), fileTarget: r.job.target.kind === 'file' };
    this.cache.set(file, cached);
    this.unindexed++;
    return cached;
  }

  /** Seeds the memory from the index file, once per store; anything wrong with it: ignored. */
  private loadIndex(): void {
    if (this.indexLoaded) return;
    this.indexLoaded = true;
    const path = join(this.dir, INDEX_FILE);
    let doc: unknown;
    try {
      const st = statSync(path);
      if (!st.isFile() || st.size > MAX_INDEX_BYTES) return;
      const text = readTextFile(path, MAX_INDEX_BYTES, 'results index');
      if (!text.ok) return;
      doc = JSON.parse(text.value);
    } catch {
      return;
    }
    const d = doc as { schema?: unknown; version?: unknown; entries?: unknown };
    if (!d || d.schema !== INDEX_SCHEMA || d.version !== INDEX_VERSION || !Array.isArray(d.entries)) return;
    for (const e of d.entries as unknown[]) {
      if (!Array.isArray(e) || e.length !== 4) continue;
      const [file, key, fileTarget, summary] = e as unknown[];
      if (!str(file) || !isKey(key) || typeof fileTarget !== 'boolean' || !isSummary(summary)) continue;
      if (!isResultFile(file as string) || this.cache.has(file as string)) continue;
      this.cache.set(file as string, { key, fileTarget, summary: { ...summary, file: file as string } });
    }
  }

  /** Rewrites the index file from memory (atomically); a folder that cannot take it just has none. */
  private writeIndex(): void {
    const entries = [...this.cache].map(([file, c]) => {
      const { file: _file, ...summary } = c.summary;
      return [file, c.key, c.fileTarget, summary];
    });
    try {
      writeFileAtomic(
        join(this.dir, INDEX_FILE),
        JSON.stringify({ schema: INDEX_SCHEMA, version: INDEX_VERSION, entries }),
      );
      this.unindexed = 0;
    } catch {
      // a read-only or full folder: the listing still works, from the files
    }
  }

  private read(file: string): Checked<BenchResult> & { file: string } {
    // Size and kind are checked before reading: a huge file, a folder or a FIFO named *.json is a
    // problem listed by name, never a hang or an out-of-memory crash.
    const text = readTextFile(join(this.dir, file), MAX_RESULT_FILE_BYTES, 'result file');
    if (!text.ok) return { file, ...text };
    const json = parseJson(text.value);
    return { file, ...(json.ok ? checkResult(json.value) : json) };
  }

  private unlink(file: string): void {
    try {
      unlinkSync(join(this.dir, file));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new StudioError(`cannot delete ${file}: ${fsReason(e)}`, 'io-error');
    }
  }
}
