// The results folder (DESIGN.md "Results and reports"): one versioned JSON document per finished
// job, named `<date>_<id>.json`, written atomically so that a crash or a kill at any moment loses
// nothing already saved and never leaves a half-written result. Files the studio cannot read
// (damaged, foreign, from a newer studio) are reported by name and reason, never misread.
// Synchronous: results are small, and the job queue saves each one the moment its job ends.
import { mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { z } from 'zod';
import type { ImportOutcomeView, ResultSummaryView } from '../../shared/contract/api.js';
import { ResultSchema, type BenchResult } from '../../shared/contract/result.js';
import { StudioError } from '../../shared/ir/types.js';
import { targetName } from '../../shared/stats/compare.js';
import { warningCount } from '../../shared/stats/flags.js';
import { parseReport } from './report-file.js';
import { fsReason, isTemporaryFile, saveDocumentFile, sweepTemporaryFiles } from './atomic-write.js';
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
const FILE = /^(\d{4}-\d{2}-\d{2}|undated)_(.+)\.json$/;

function checkId(id: string): void {
  if (!ID.test(id))
    throw new StudioError(
      `result id '${id}' cannot name a file: use up to 128 letters, digits, '.', '_' and '-', starting with a letter or digit`,
      'bad-parameter',
    );
}

function bound(t: string | Date | undefined, end: boolean): number | undefined {
  if (t === undefined) return undefined;
  const dateOnly = typeof t === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(t);
  const ms = typeof t === 'string' ? Date.parse(dateOnly ? `${t}T00:00:00.000Z` : t) : t.getTime();
  if (Number.isNaN(ms)) throw new StudioError(`'${String(t)}' is not a date or time (use 2025-06-01 or ISO 8601)`);
  return dateOnly && end ? ms + 86_400_000 - 1 : ms;
}

export function matches(r: BenchResult, f: ResultFilter = {}): boolean {
  if (f.target !== undefined) {
    const name = targetName(r.job.target).toLowerCase();
    const want = f.target.toLowerCase();
    if (name !== want && !(r.job.target.kind === 'file' && basename(name) === want)) return false;
  }
  if (f.backend !== undefined && r.job.backend.backend !== f.backend) return false;
  if (f.status !== undefined && r.status !== f.status) return false;
  if (f.group !== undefined && r.job.group !== f.group) return false;
  const [since, until] = [bound(f.since, false), bound(f.until, true)];
  if (since !== undefined || until !== undefined) {
    const t = Date.parse(r.createdAt);
    if (Number.isNaN(t) || (since !== undefined && t < since) || (until !== undefined && t > until)) return false;
  }
  return true;
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

export class ResultsStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
    try {
      mkdirSync(this.dir, { recursive: true });
      if (!statSync(this.dir).isDirectory()) throw new Error('not a folder');
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'EEXIST' ? 'a file of that name exists' : (e as Error).message;
      throw new StudioError(`cannot use ${dir} as a results folder: ${why}`, 'io-error');
    }
  }

  /** File name of a result: its creation date (for people browsing the folder), then its id. */
  fileName(r: Pick<BenchResult, 'id' | 'createdAt'>): string {
    const date = /^\d{4}-\d{2}-\d{2}/.exec(r.createdAt)?.[0] ?? 'undated';
    return `${date}_${r.id}.json`;
  }

  /** Validates and saves a result atomically; a result with the same id is replaced. */
  save(result: BenchResultInput | BenchResult): { id: string; path: string } {
    const parsed = ResultSchema.safeParse(result);
    if (!parsed.success)
      throw new StudioError(`refusing to save an invalid result: ${describeIssues(parsed.error)}`, 'invalid-result');
    const r = parsed.data;
    checkId(r.id);
    const name = this.fileName(r);
    const { path } = saveDocumentFile(join(this.dir, name), toJsonText(r), 'result', r.id);
    // The same id saved earlier under another date (re-saved with a new createdAt): only the new one stays.
    for (const f of this.filesOf(r.id)) if (f !== name) this.unlink(f);
    // Temporary files of writers killed mid-save (never read as results) are removed once stale.
    sweepTemporaryFiles(this.dir);
    return { id: r.id, path };
  }

  /** Every readable result that passes the filter, oldest first, and the files that could not be read. */
  load(filter: ResultFilter = {}): { results: BenchResult[]; problems: StoreProblem[] } {
    const { ok, problems } = this.readMatching(filter);
    return { results: ok.map((e) => e.result), problems };
  }

  list(filter: ResultFilter = {}): { results: ResultSummary[]; problems: StoreProblem[] } {
    const { ok, problems } = this.readMatching(filter);
    return { results: ok.map((e) => summarize(e.result, e.file)), problems };
  }

  /** The result with this id; a StudioError says why when it is missing or cannot be read. */
  get(id: string): BenchResult {
    checkId(id);
    const named = this.filesOf(id);
    const entries = named.length ? named.map((f) => this.read(f)) : this.readAll();
    for (const e of entries) if (e.ok && e.value.id === id) return e.value;
    const bad = named.length ? entries.find((e) => !e.ok) : undefined;
    if (bad && !bad.ok) throw new StudioError(`result '${id}' (${bad.file}) cannot be read: ${bad.reason}`, 'bad-file');
    throw new StudioError(`no result with id '${id}' in ${this.dir}`, 'not-found');
  }

  /** Deletes the result with this id; returns the file(s) removed. */
  delete(id: string): string[] {
    checkId(id);
    let files = this.filesOf(id);
    if (!files.length) files = this.readAll().flatMap((e) => (e.ok && e.value.id === id ? [e.file] : []));
    if (!files.length) throw new StudioError(`no result with id '${id}' in ${this.dir}`, 'not-found');
    for (const f of files) this.unlink(f);
    return files;
  }

  /**
   * Reads and validates a JSON report (or a single result file) without adding it to the folder:
   * every result must be valid, or a StudioError names the file and the first bad results
   * (`refusal` adds what that means to the message).
   */
  readReport(path: string, refusal = ''): BenchResult[] {
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

  /**
   * Adds the results of a JSON report (exported on another machine) to this folder, ids kept.
   * The whole report is refused when any result in it is invalid; results already here are
   * skipped and reported.
   */
  importReport(path: string): ImportOutcome {
    const source = basename(path);
    const results = this.readReport(path, ', nothing was imported');
    const existing = new Map(this.readAll().flatMap((e) => (e.ok ? [[e.value.id, e.value] as const] : [])));
    const outcome: ImportOutcome = { source, added: [], skipped: [] };
    for (const r of results) {
      const have = existing.get(r.id);
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

  private files(): string[] {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json') && !f.startsWith('.') && !isTemporaryFile(f))
      .sort();
  }

  private filesOf(id: string): string[] {
    return this.files().filter((f) => FILE.exec(f)?.[2] === id);
  }

  private read(file: string): Checked<BenchResult> & { file: string } {
    // Size and kind are checked before reading: a huge file, a folder or a FIFO named *.json is a
    // problem listed by name, never a hang or an out-of-memory crash.
    const text = readTextFile(join(this.dir, file), MAX_RESULT_FILE_BYTES, 'result file');
    if (!text.ok) return { file, ...text };
    const json = parseJson(text.value);
    return { file, ...(json.ok ? checkResult(json.value) : json) };
  }

  private readAll() {
    return this.files().map((f) => this.read(f));
  }

  private readMatching(filter: ResultFilter) {
    const entries = this.readAll();
    const ok = entries.flatMap((e) => (e.ok && matches(e.value, filter) ? [{ file: e.file, result: e.value }] : []));
    ok.sort((a, b) => a.result.createdAt.localeCompare(b.result.createdAt) || a.result.id.localeCompare(b.result.id));
    return { ok, problems: entries.flatMap((e) => (e.ok ? [] : [{ file: e.file, reason: e.reason }])) };
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
