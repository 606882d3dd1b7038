// Saved accuracy and lab results: one versioned JSON document per run, in a sub-folder of the results
// folder (`<results>/accuracy/`, `<results>/lab/`), written atomically like benchmark results. The
// bench ResultsStore reads only the folder's top-level *.json, so these sub-folders never disturb it.
// Files that cannot be read (damaged, foreign, from a newer studio) are reported by name and reason.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import {
  ACCURACY_SCHEMA,
  ACCURACY_SCHEMA_VERSION,
  AccuracyResultSchema,
  type AccuracyResult,
} from '../../shared/contract/accuracy.js';
import { LAB_SCHEMA, LAB_SCHEMA_VERSION, LabResultSchema, type LabResult } from '../../shared/contract/lab.js';
import { StudioError } from '../../shared/ir/types.js';
import { fsReason, isTemporaryFile, saveDocumentFile, sweepTemporaryFiles } from './atomic-write.js';
import {
  checkEnvelope,
  describeIssues,
  MAX_RESULT_FILE_BYTES,
  parseJson,
  readTextFile,
  toJsonText,
  type Checked,
} from './result-check.js';
import type { StoreProblem } from './results-store.js';

export type DocumentKind = 'accuracy' | 'lab';

interface KindInfo<T> {
  schema: z.ZodType<T>;
  name: string;
  version: number;
  /** Prefix of generated ids. */
  prefix: string;
  /** What a person calls it in messages. */
  what: string;
}

const KINDS = {
  accuracy: {
    schema: AccuracyResultSchema as unknown as z.ZodType<AccuracyResult>,
    name: ACCURACY_SCHEMA,
    version: ACCURACY_SCHEMA_VERSION,
    prefix: 'acc',
    what: 'accuracy result',
  } satisfies KindInfo<AccuracyResult>,
  lab: {
    schema: LabResultSchema as unknown as z.ZodType<LabResult>,
    name: LAB_SCHEMA,
    version: LAB_SCHEMA_VERSION,
    prefix: 'lab',
    what: 'lab result',
  } satisfies KindInfo<LabResult>,
};

type DocOf<K extends DocumentKind> = K extends 'accuracy' ? AccuracyResult : LabResult;

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const FILE = /^(\d{4}-\d{2}-\d{2}|undated)_(.+)\.json$/;

export function newDocumentId(kind: DocumentKind, createdAt = new Date().toISOString()): string {
  const stamp = createdAt.replace(/[^0-9]/g, '').slice(0, 14) || 'undated';
  return `${KINDS[kind].prefix}-${stamp}-${randomBytes(4).toString('hex')}`;
}

export class DocumentStore<K extends DocumentKind> {
  readonly dir: string;
  private readonly info: KindInfo<DocOf<K>>;

  /** `resultsDir` is the results folder; the documents live in its `<kind>/` sub-folder. */
  constructor(
    resultsDir: string,
    readonly kind: K,
  ) {
    this.dir = resolve(resultsDir, kind);
    this.info = KINDS[kind] as unknown as KindInfo<DocOf<K>>;
  }

  /** Validates and saves a document atomically (an id is given when it has none); the same id is replaced. */
  save(doc: z.input<(typeof KINDS)[K]['schema']> | DocOf<K>): { id: string; path: string; doc: DocOf<K> } {
    const parsed = this.info.schema.safeParse(doc);
    if (!parsed.success)
      throw new StudioError(
        `refusing to save an invalid ${this.info.what}: ${describeIssues(parsed.error)}`,
        'invalid-result',
      );
    const d = parsed.data as DocOf<K> & { id?: string; createdAt: string };
    const id = d.id ?? newDocumentId(this.kind, d.createdAt);
    if (!ID.test(id))
      throw new StudioError(
        `${this.info.what} id '${id}' cannot name a file: use up to 128 letters, digits, '.', '_' and '-'`,
        'bad-parameter',
      );
    const saved = { ...d, id } as DocOf<K>;
    this.ensureDir();
    const date = /^\d{4}-\d{2}-\d{2}/.exec(d.createdAt)?.[0] ?? 'undated';
    const name = `${date}_${id}.json`;
    const { path } = saveDocumentFile(join(this.dir, name), toJsonText(saved), this.info.what, id);
    for (const f of this.filesOf(id)) if (f !== name) this.unlink(f);
    // Temporary files of writers killed mid-save (never read as documents) are removed once stale.
    sweepTemporaryFiles(this.dir);
    return { id, path, doc: saved };
  }

  /** Every readable document, oldest first, and the files that could not be read (with why). */
  list(): { items: DocOf<K>[]; problems: StoreProblem[] } {
    const entries = this.files().map((f) => this.read(f));
    const items = entries.flatMap((e) => (e.ok ? [e.value] : []));
    items.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || (a.id ?? '').localeCompare(b.id ?? ''));
    return { items, problems: entries.flatMap((e) => (e.ok ? [] : [{ file: e.file, reason: e.reason }])) };
  }

  get(id: string): DocOf<K> {
    for (const f of this.filesOf(id)) {
      const e = this.read(f);
      if (e.ok) return e.value;
      throw new StudioError(`${this.info.what} '${id}' (${f}) cannot be read: ${e.reason}`, 'bad-file');
    }
    throw new StudioError(`no ${this.info.what} with id '${id}' in ${this.dir}`, 'not-found');
  }

  delete(id: string): string[] {
    const files = this.filesOf(id);
    if (!files.length) throw new StudioError(`no ${this.info.what} with id '${id}' in ${this.dir}`, 'not-found');
    for (const f of files) this.unlink(f);
    return files;
  }

  private ensureDir(): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      if (!statSync(this.dir).isDirectory()) throw new Error('not a folder');
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'EEXIST' ? 'a file of that name exists' : fsReason(e);
      throw new StudioError(`cannot use ${this.dir} for ${this.info.what}s: ${why}`, 'io-error');
    }
  }

  private files(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new StudioError(`cannot read ${this.dir}: ${(e as Error).message}`, 'io-error');
    }
    return names.filter((f) => f.endsWith('.json') && !f.startsWith('.') && !isTemporaryFile(f)).sort();
  }

  private filesOf(id: string): string[] {
    return this.files().filter((f) => FILE.exec(f)?.[2] === id);
  }

  private read(file: string): Checked<DocOf<K>> & { file: string } {
    // Type and size checked before reading: a FIFO or a huge file named *.json never stalls the listing.
    const text = readTextFile(join(this.dir, file), MAX_RESULT_FILE_BYTES, this.info.what);
    if (!text.ok) return { file, ...text };
    const json = parseJson(text.value);
    if (!json.ok) return { file, ...json };
    const envelope = checkEnvelope(json.value, this.info.name, this.info.version, this.info.what);
    if (envelope) return { ok: false, file, reason: envelope };
    const parsed = this.info.schema.safeParse(json.value);
    if (!parsed.success)
      return { ok: false, file, reason: `invalid ${this.info.what}: ${describeIssues(parsed.error)}` };
    const doc = parsed.data as DocOf<K> & { id?: string };
    // A document saved without an id (copied in by hand) takes its file name's.
    return { ok: true, file, value: (doc.id ? doc : { ...doc, id: FILE.exec(file)?.[2] }) as DocOf<K> };
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

export const accuracyStore = (resultsDir: string) => new DocumentStore(resultsDir, 'accuracy');
export const labStore = (resultsDir: string) => new DocumentStore(resultsDir, 'lab');
