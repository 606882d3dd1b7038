// Benchmark results in a team's PostgreSQL database (issue 20; docs/DATABASE.md): the same
// ResultsRepository as the local folder (main/store/results-repository.ts), with the same meaning for
// every operation, so that a command or the app gives the same answers from either.
//
// - One row per result in studio.results (migrations.ts): the document's exact text (doc_text: what
//   is read back, so that a pull writes the very bytes that were pushed), the document as JSONB for
//   queries, and columns for what views filter, group and list by. The columns are computed here, by
//   the functions the folder uses (summarize, targetName, seriesKeyOf), never by SQL: a listing from
//   the database and one from the folder agree field for field.
// - Filters (ResultFilter) are the folder's: target by name (case-insensitive) or, for a file target,
//   by its file name; since/until with the folder's date-only rule (results-store.ts bound); oldest
//   first by the createdAt text, then by id, in code-point order (columns collated "C").
// - Writes: save() replaces a result with the same id (as the folder does); addMany() adds only ids
//   not there yet (ON CONFLICT DO NOTHING: pushing twice adds nothing, and two pushes at once never
//   fail or duplicate), 500 rows per statement, all in one transaction.
// - Connection failures: opening fails at once with a clear StudioError (connection.ts). Once open,
//   an operation that meets a broken connection or a server that is restarting tries again, for up to
//   `retryForMs` (20 s): every operation is idempotent (an addMany whose commit was sent but not
//   confirmed finds its rows there and counts them as existing: nothing is lost or duplicated).
// - Credentials: `location` is the URL without its password, and every error message is scrubbed.
import { basename } from 'node:path';
import type pg from 'pg';
import {
  RESULT_SCHEMA,
  RESULT_SCHEMA_VERSION,
  ResultSchema,
  type BenchResult,
} from '../../../shared/contract/result.js';
import { StudioError } from '../../../shared/ir/types.js';
import { machineKeyOf, seriesKeyOf } from '../../../shared/stats/series-key.js';
import { checkEnvelope, checkResult, describeIssues, parseJson, toJsonText } from '../result-check.js';
import type { ResultsRepository, SaveManyOutcome } from '../results-repository.js';
import {
  bound,
  checkId,
  readReportFile,
  summarize,
  type BenchResultInput,
  type ImportOutcome,
  type ResultFilter,
  type ResultSummary,
  type StoreProblem,
} from '../results-store.js';
import {
  createPool,
  databaseError,
  isTransient,
  parseDatabaseUrl,
  withClient,
  type DatabaseUrl,
  type PoolOptions,
} from './connection.js';
import { migrate, STUDIO_SCHEMA, type Migration } from './migrations.js';

/** Rows per INSERT statement of addMany (a 10 kB document each: a few MB per statement). */
export const INSERT_BATCH = 500;
/** Rows per page when reading documents page by page (pull). */
export const PAGE_SIZE = 500;

const T = `${STUDIO_SCHEMA}.results`;

/** The columns the studio computes for each row, with their SQL types (doc is made from doc_text by the database). */
const COLUMNS = [
  ['id', 'text'],
  ['doc_text', 'text'],
  ['result_version', 'int'],
  ['created_text', 'text'],
  ['created_at', 'timestamptz'],
  ['label', 'text'],
  ['target', 'text'],
  ['target_kind', 'text'],
  ['params', 'jsonb'],
  ['target_key', 'text'],
  ['target_file_key', 'text'],
  ['backend', 'text'],
  ['precision', 'text'],
  ['batch', 'int'],
  ['threads', 'int'],
  ['status', 'text'],
  ['failure', 'text'],
  ['group_id', 'text'],
  ['repetition', 'int'],
  ['n', 'int'],
  ['p50', 'float8'],
  ['flags', 'int'],
  ['machine_key', 'text'],
  ['machine_brand', 'text'],
  ['studio_version', 'text'],
  ['runtime_name', 'text'],
  ['runtime_version', 'text'],
  ['job_id', 'text'],
  ['series_key', 'text'],
] as const;
type Column = (typeof COLUMNS)[number][0];
type Row = Record<Column, string | number | null>;

const NAMES = COLUMNS.map(([c]) => c);
/**
 * INSERT of many rows as one statement: one array parameter per column, unnested into rows (the
 * statement's text and parameter count stay the same whatever the number of rows). The JSONB
 * document is made from the text by the database (a byte-order mark, which JSON.parse skips, too).
 */
const INSERT = `insert into ${T} (${NAMES.join(', ')}, doc)
  select ${NAMES.map((c) => `u.${c}`).join(', ')}, ltrim(u.doc_text, chr(65279))::jsonb
  from unnest(${COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')}) as u(${NAMES.join(', ')})`;
const ADD = `${INSERT} on conflict do nothing returning id`;
const UPSERT = `${INSERT} on conflict (id) do update set ${[...NAMES.filter((c) => c !== 'id'), 'doc']
  .map((c) => `${c} = excluded.${c}`)
  .join(', ')}, stored_at = now() returning id`;

/** The summary columns (what list() reads instead of the documents). */
const SUMMARY = `id, created_text, label, target, backend, batch, threads, precision, status, group_id, repetition,
  n, p50, flags, failure, machine_brand, result_version`;

interface SummaryRow {
  id: string;
  created_text: string;
  label: string;
  target: string;
  backend: string;
  batch: number;
  threads: number;
  precision: string;
  status: ResultSummary['status'];
  group_id: string | null;
  repetition: number;
  n: number;
  p50: number | null;
  flags: number;
  failure: string | null;
  machine_brand: string;
  result_version: number;
}

/** How a row is named where the folder names a file: in summaries and problems. */
const rowName = (id: string) => `db:${id}`;

/**
 * The id of the fleet job a result document answers, when it says (`fleet.jobId`: the agents write
 * it, issue 20); null for results measured locally. At most one result per fleet job is stored.
 */
export function fleetJobIdOf(doc: unknown): string | null {
  const fleet = (doc as { fleet?: { jobId?: unknown } } | null)?.fleet;
  const id = fleet && typeof fleet === 'object' ? fleet.jobId : undefined;
  return typeof id === 'string' && id ? id : null;
}

/**
 * Why PostgreSQL cannot store a document that JSON allows, or undefined: a NUL character (\u0000)
 * or half of a surrogate pair in a string (JSONB refuses both, and a text column cannot hold a NUL).
 */
export function unstorableReason(doc: unknown): string | undefined {
  const bad = (s: string) =>
    s.includes('\u0000')
      ? 'holds a NUL character (\\u0000), which PostgreSQL cannot store'
      : /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s)
        ? 'holds half of a UTF-16 surrogate pair, which PostgreSQL cannot store'
        : undefined;
  const walk = (v: unknown): string | undefined => {
    if (typeof v === 'string') return bad(v);
    if (Array.isArray(v)) {
      for (const x of v) {
        const why = typeof x === 'number' ? undefined : walk(x);
        if (why) return why;
      }
      return undefined;
    }
    if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        const why = bad(k) ?? walk(x);
        if (why) return why;
      }
    return undefined;
  };
  const why = walk(doc);
  return why && `the document ${why}`;
}

/** A time the database takes (years 1 to 9999, as JavaScript writes them), or null. */
function timeText(ms: number): string | null {
  if (!Number.isFinite(ms)) return null;
  const iso = new Date(ms).toISOString();
  return /^\d{4}-/.test(iso) && !iso.startsWith('0000') ? iso : null;
}

/** A filter bound for SQL: out of the database's range means no bound on that side. */
function boundText(ms: number, end: boolean): string {
  return timeText(ms) ?? (ms < 0 !== end ? '-infinity' : 'infinity');
}

/** The row of a valid result: its columns from the folder's own functions. `raw`: the document as parsed. */
function rowOf(r: BenchResult, text: string, raw: unknown): Row {
  const s = summarize(r, rowName(r.id));
  const t = r.job.target;
  const name = s.target.toLowerCase();
  return {
    id: r.id,
    doc_text: text,
    result_version: r.version,
    created_text: r.createdAt,
    created_at: timeText(Date.parse(r.createdAt)),
    label: s.label,
    target: s.target,
    target_kind: t.kind,
    params: JSON.stringify(t.kind === 'file' ? t.dims : t.params),
    target_key: name,
    // The folder's rule (results-store.ts compileFilter): basename of the lowercased path.
    target_file_key: t.kind === 'file' ? basename(name) : null,
    backend: s.backend,
    precision: s.precision,
    batch: s.batch,
    threads: s.threads,
    status: s.status,
    failure: s.failure ?? null,
    group_id: s.group ?? null,
    repetition: s.repetition,
    n: s.n,
    p50: s.p50 ?? null,
    flags: s.flags,
    machine_key: machineKeyOf(r.machine),
    machine_brand: s.machine,
    studio_version: r.studioVersion,
    runtime_name: r.runtime?.name ?? null,
    runtime_version: r.runtime?.version ?? r.machine.versions.onnxruntime ?? null,
    job_id: fleetJobIdOf(raw),
    series_key: seriesKeyOf(r),
  };
}

/** The statement parameters of some rows: one array per column. */
const paramsOf = (rows: readonly Row[]) => NAMES.map((c) => rows.map((r) => r[c]));

/** A filter as a SQL condition over studio.results and its parameters (numbered from `first`). */
function whereOf(f: ResultFilter = {}, first = 1): { sql: string; values: unknown[] } {
  const conds: string[] = [];
  const values: unknown[] = [];
  const param = (v: unknown) => {
    values.push(v);
    return `$${first + values.length - 1}`;
  };
  if (f.target !== undefined) {
    const p = param(f.target.toLowerCase());
    conds.push(`(target_key = ${p} or target_file_key = ${p})`);
  }
  if (f.backend !== undefined) conds.push(`backend = ${param(f.backend)}`);
  if (f.status !== undefined) conds.push(`status = ${param(f.status)}`);
  if (f.group !== undefined) conds.push(`group_id = ${param(f.group)}`);
  // bound() throws the folder's StudioError for a bad date; a row whose createdAt is not a time
  // (created_at null) passes no time filter, as in the folder.
  const [since, until] = [bound(f.since, false), bound(f.until, true)];
  if (since !== undefined) conds.push(`created_at >= ${param(boundText(since, false))}::timestamptz`);
  if (until !== undefined) conds.push(`created_at <= ${param(boundText(until, true))}::timestamptz`);
  return { sql: conds.length ? `where ${conds.join(' and ')}` : '', values };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface PostgresOpenOptions extends PoolOptions {
  /** How long an operation keeps trying while the server is unreachable or restarting (ms, default 20,000). */
  retryForMs?: number;
  /** The migrations to run (tests): default, the studio's. */
  migrations?: readonly Migration[];
}

/** A validated document ready to store: its row, or why it cannot be stored. */
type Prepared = { ok: true; row: Row } | { ok: false; id: string; reason: string };

export class PostgresResultsRepository implements ResultsRepository {
  readonly kind = 'postgres' as const;
  private closed = false;

  private constructor(
    readonly db: DatabaseUrl,
    readonly pool: pg.Pool,
    private readonly retryForMs: number,
  ) {}

  /**
   * Connects, brings the studio schema up to date (migrations.ts) and returns the repository; or a
   * StudioError that says what is wrong (the URL, unreachable, the password, a missing database, a
   * newer studio's schema), without the password. Fails at once: no retry while opening.
   */
  static async open(url: string, opts: PostgresOpenOptions = {}): Promise<PostgresResultsRepository> {
    const db = parseDatabaseUrl(url);
    const pool = createPool(db, opts);
    try {
      await withClient(pool, db, async (client) => {
        const { rows } = await client.query<{ server_encoding: string }>('show server_encoding');
        const enc = rows[0]?.server_encoding;
        if (enc !== 'UTF8')
          throw new StudioError(
            `the database at ${db.redacted} has the encoding ${enc}; results hold any character: create the database with UTF8 (createdb -E UTF8 -T template0 NAME)`,
            'db-error',
          );
      });
      await migrate(pool, db, opts.migrations);
    } catch (e) {
      await pool.end().catch(() => {});
      throw databaseError(e, db, undefined);
    }
    return new PostgresResultsRepository(db, pool, opts.retryForMs ?? 20_000);
  }

  /** The database URL without its password. */
  get location(): string {
    return this.db.redacted;
  }

  /** Runs `fn` on a connection; a broken connection or a restarting server: again, for up to retryForMs. */
  private async run<T>(doing: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new StudioError(`the database connection to ${this.location} is closed`, 'db-error');
    const deadline = Date.now() + this.retryForMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await withClient(this.pool, this.db, fn);
      } catch (e) {
        if (e instanceof StudioError && !e.code.startsWith('db-')) throw e;
        if (this.closed || !isTransient(e) || Date.now() >= deadline) throw databaseError(e, this.db, doing);
        await sleep(Math.min(200 * 2 ** attempt, 2000));
      }
    }
  }

  /** A transaction on one connection (begin, fn, commit; rollback on failure). */
  private transaction<T>(doing: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.run(doing, async (client) => {
      await client.query('begin');
      try {
        const out = await fn(client);
        await client.query('commit');
        return out;
      } catch (e) {
        await client.query('rollback').catch(() => {});
        throw e;
      }
    });
  }

  async save(result: BenchResultInput | BenchResult): Promise<{ id: string; location: string }> {
    const parsed = ResultSchema.safeParse(result);
    if (!parsed.success)
      throw new StudioError(`refusing to save an invalid result: ${describeIssues(parsed.error)}`, 'invalid-result');
    const r = parsed.data;
    checkId(r.id);
    const why = unstorableReason(r);
    if (why) throw new StudioError(`refusing to save result '${r.id}': ${why}`, 'invalid-result');
    const row = rowOf(r, toJsonText(r), r);
    try {
      await this.run(`saving result '${r.id}'`, (c) => c.query(UPSERT, paramsOf([row])));
    } catch (e) {
      throw this.jobConflict(e, row) ?? e;
    }
    return { id: r.id, location: `${this.location}#${r.id}` };
  }

  /** A save refused because another result already answers the same fleet job: said so. */
  private jobConflict(e: unknown, row: Row): StudioError | undefined {
    if (!(e instanceof StudioError) || !/results_job_id/.test(e.message)) return undefined;
    return new StudioError(
      `result '${row.id}' answers fleet job '${row.job_id}', which another result in ${this.location} already answers; not saved`,
      'duplicate-job',
    );
  }

  /** Validates one document for addMany: from its text when given (kept byte for byte), else the result. */
  private prepare(result: BenchResult, text: string | undefined): Prepared {
    const id = typeof result?.id === 'string' ? result.id : '(no id)';
    let value: BenchResult;
    let raw: unknown;
    if (text === undefined) {
      const parsed = ResultSchema.safeParse(result);
      if (!parsed.success) return { ok: false, id, reason: `invalid result: ${describeIssues(parsed.error)}` };
      value = raw = parsed.data;
      text = toJsonText(value);
    } else {
      const json = parseJson(text);
      if (!json.ok) return { ok: false, id, reason: json.reason };
      const checked = checkResult(json.value);
      if (!checked.ok) return { ok: false, id, reason: checked.reason };
      if (checked.value.id !== id)
        return { ok: false, id, reason: `the text given is the document of '${checked.value.id}', not of '${id}'` };
      [value, raw] = [checked.value, json.value];
    }
    try {
      checkId(value.id);
    } catch (e) {
      return { ok: false, id, reason: (e as Error).message };
    }
    const why = unstorableReason(raw);
    if (why) return { ok: false, id, reason: why };
    return { ok: true, row: rowOf(value, text, raw) };
  }

  /**
   * Adds the results whose ids are not stored yet (nor their fleet job); the others are left as they
   * are. All or nothing: an invalid result refuses the whole call (a StudioError names the first
   * ones) before anything is written, and the rows go in one transaction.
   */
  async addMany(results: readonly BenchResult[], texts?: readonly string[]): Promise<SaveManyOutcome> {
    if (texts && texts.length !== results.length)
      throw new StudioError(`addMany: ${results.length} results but ${texts.length} texts`, 'bad-parameter');
    const prepared = results.map((r, i) => this.prepare(r, texts?.[i]));
    const bad = prepared.filter((p): p is Extract<Prepared, { ok: false }> => !p.ok);
    if (bad.length)
      throw new StudioError(
        `refusing to add ${bad.length} of ${results.length} results to ${this.location}, nothing was added: ${bad
          .slice(0, 3)
          .map((b) => `${b.id}: ${b.reason}`)
          .join(' | ')}`,
        'invalid-result',
      );
    const rows = prepared.map((p) => (p as { row: Row }).row);
    if (!rows.length) return { added: [], existing: [] };
    const inserted = await this.transaction(`adding ${rows.length} results`, async (client) => {
      const ids = new Set<string>();
      for (let i = 0; i < rows.length; i += INSERT_BATCH) {
        const batch = rows.slice(i, i + INSERT_BATCH);
        // The ids already there are not sent again (a second push costs one small query per batch);
        // ON CONFLICT still settles a race with another writer, and a fleet job stored under another id.
        const { rows: there } = await client.query<{ id: string }>(`select id from ${T} where id = any($1::text[])`, [
          batch.map((r) => r.id),
        ]);
        const skip = new Set(there.map((r) => r.id));
        const fresh = batch.filter((r) => !skip.has(r.id as string));
        if (!fresh.length) continue;
        const { rows: got } = await client.query<{ id: string }>(ADD, paramsOf(fresh));
        for (const g of got) ids.add(g.id);
      }
      return ids;
    });
    // In the caller's order; an id given twice is added once (the first), then existing.
    const outcome: SaveManyOutcome = { added: [], existing: [] };
    for (const { id } of rows as { id: string }[]) {
      if (inserted.delete(id)) outcome.added.push(id);
      else outcome.existing.push(id);
    }
    return outcome;
  }

  async load(filter: ResultFilter = {}): Promise<{ results: BenchResult[]; problems: StoreProblem[] }> {
    const { sql, values } = whereOf(filter);
    const { rows } = await this.run('loading results', (c) =>
      c.query<{ id: string; doc_text: string }>(
        `select id, doc_text from ${T} ${sql} order by created_text, id`,
        values,
      ),
    );
    const results: BenchResult[] = [];
    const problems: StoreProblem[] = [];
    for (const row of rows) {
      const read = readDocument(row.doc_text);
      if (read.ok) results.push(read.value);
      else problems.push({ file: rowName(row.id), reason: read.reason });
    }
    return { results, problems };
  }

  /** Summaries from the columns: no document is read. A row of a newer result version is a problem, as in the folder. */
  async list(filter: ResultFilter = {}): Promise<{ results: ResultSummary[]; problems: StoreProblem[] }> {
    const { sql, values } = whereOf(filter);
    const { rows } = await this.run('listing results', (c) =>
      c.query<SummaryRow>(`select ${SUMMARY} from ${T} ${sql} order by created_text, id`, values),
    );
    const results: ResultSummary[] = [];
    const problems: StoreProblem[] = [];
    for (const r of rows) {
      if (r.result_version !== RESULT_SCHEMA_VERSION) {
        const reason = checkEnvelope(
          { schema: RESULT_SCHEMA, version: r.result_version },
          RESULT_SCHEMA,
          RESULT_SCHEMA_VERSION,
          'result',
        );
        problems.push({ file: rowName(r.id), reason: reason ?? `result version ${r.result_version}` });
        continue;
      }
      results.push({
        id: r.id,
        file: rowName(r.id),
        createdAt: r.created_text,
        label: r.label,
        target: r.target,
        backend: r.backend,
        batch: r.batch,
        threads: r.threads,
        precision: r.precision,
        status: r.status,
        group: r.group_id ?? undefined,
        repetition: r.repetition,
        n: r.n,
        p50: r.p50 ?? undefined,
        flags: r.flags,
        failure: r.failure ?? undefined,
        machine: r.machine_brand,
      });
    }
    return { results, problems };
  }

  async getMany(ids: readonly string[]): Promise<BenchResult[]> {
    for (const id of ids) checkId(id);
    const texts = await this.textsOf(ids);
    return ids.map((id) => {
      const text = texts.get(id);
      if (text === undefined) throw new StudioError(`no result with id '${id}' in ${this.location}`, 'not-found');
      const read = readDocument(text);
      if (!read.ok)
        throw new StudioError(`result '${id}' (${this.location}) cannot be read: ${read.reason}`, 'bad-file');
      return read.value;
    });
  }

  /** The stored texts of these ids (those that exist). */
  async textsOf(ids: readonly string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const { rows } = await this.run('reading results', (c) =>
      c.query<{ id: string; doc_text: string }>(`select id, doc_text from ${T} where id = any($1::text[])`, [
        [...new Set(ids)],
      ]),
    );
    return new Map(rows.map((r) => [r.id, r.doc_text]));
  }

  /** SHA-256 (hex) of the stored texts of these ids (those that exist): compares documents without reading them. */
  async fingerprints(ids: readonly string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const { rows } = await this.run('reading results', (c) =>
      c.query<{ id: string; sha: string }>(
        `select id, encode(sha256(convert_to(doc_text, 'UTF8')), 'hex') as sha from ${T} where id = any($1::text[])`,
        [[...new Set(ids)]],
      ),
    );
    return new Map(rows.map((r) => [r.id, r.sha]));
  }

  /**
   * The stored documents that pass the filter, as their exact texts, oldest first, `pageSize` at a
   * time (a pull of 100,000 results never holds them all).
   */
  async *documents(filter: ResultFilter = {}, pageSize = PAGE_SIZE): AsyncGenerator<{ id: string; text: string }[]> {
    let after: [string, string] | undefined;
    for (;;) {
      const { sql, values } = whereOf(filter, after ? 3 : 1);
      const keyset = after ? `(created_text, id) > ($1, $2)` : '';
      const where = keyset ? (sql ? `${sql} and ${keyset}` : `where ${keyset}`) : sql;
      const { rows } = await this.run('reading results', (c) =>
        c.query<{ id: string; created_text: string; doc_text: string }>(
          `select id, created_text, doc_text from ${T} ${where} order by created_text, id limit ${Math.max(1, Math.floor(pageSize))}`,
          [...(after ?? []), ...values],
        ),
      );
      if (!rows.length) return;
      yield rows.map((r) => ({ id: r.id, text: r.doc_text }));
      const last = rows[rows.length - 1];
      after = [last.created_text, last.id];
      if (rows.length < pageSize) return;
    }
  }

  async deleteMany(ids: readonly string[]): Promise<string[]> {
    for (const id of ids) checkId(id);
    if (!ids.length) return [];
    const { rows } = await this.run('deleting results', (c) =>
      c.query<{ id: string }>(`delete from ${T} where id = any($1::text[]) returning id`, [[...new Set(ids)]]),
    );
    const gone = new Set(rows.map((r) => r.id));
    // In the caller's order, each id once (the folder's deleteMany reports an id given twice once).
    return ids.filter((id) => gone.delete(id));
  }

  /**
   * Adds a JSON report's results (ids kept): the whole report is refused when any result in it is
   * invalid; results already here are skipped and reported, as the folder does.
   */
  async importReport(path: string): Promise<ImportOutcome> {
    const source = basename(path);
    const results = readReportFile(path, ', nothing was imported');
    const stored = await this.textsOf(results.map((r) => r.id));
    const outcome: ImportOutcome = { source, added: [], skipped: [] };
    const same = (a: BenchResult, b: BenchResult) => JSON.stringify(a) === JSON.stringify(b);
    const skip = (id: string, isSame: boolean) =>
      outcome.skipped.push({
        id,
        reason: isSame
          ? 'already in the database'
          : 'a different result with this id is already in the database; not replaced',
      });
    const toAdd: BenchResult[] = [];
    const first = new Map<string, BenchResult>();
    for (const r of results) {
      const earlier = first.get(r.id);
      const text = stored.get(r.id);
      if (earlier) skip(r.id, same(earlier, r));
      else if (text !== undefined) {
        const read = readDocument(text);
        skip(r.id, read.ok && same(read.value, r));
      } else {
        first.set(r.id, r);
        toAdd.push(r);
      }
    }
    const { added, existing } = await this.addMany(toAdd);
    outcome.added.push(...added);
    // Added by someone else meanwhile: there now, not by this import.
    for (const id of existing) skip(id, false);
    return outcome;
  }

  /** Ends the pool (idempotent): a CLI command's process can then exit. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end().catch(() => {});
  }
}

/** A stored text read back as a result, or why it cannot be (a newer studio's document, damage). */
function readDocument(text: string) {
  const json = parseJson(text);
  return json.ok ? checkResult(json.value) : json;
}
