// The studio's tables in a team's PostgreSQL database, and how they change: versioned migrations that
// the studio runs itself when it opens the database (docs/DATABASE.md).
//
// - Everything lives in the schema `studio`, so that the database can hold other things beside it:
//   pg-boss's queue (its own schema, `pgboss`), a team's own tables.
// - studio.schema_migrations holds one row per migration applied (version, name, when). A migration
//   is applied once, in a transaction with its row: it is there completely or not at all.
// - Two studios opening a new database at once (two agents starting): the migrations run under a
//   transaction-scoped advisory lock, and the version is read again once the lock is held, so the
//   second waits for the first and then finds nothing left to do.
// - A database migrated by a newer studio (a version this one does not know) is refused: this studio
//   would not know what the newer columns mean, or could write rows that break the newer studio's
//   assumptions. Upgrade the studio.
// - A database already at this studio's version needs no right beyond reading schema_migrations: an
//   agent's least-rights role (docs/DATABASE.md "Agent role") opens it without CREATE.
// - Migrations are append-only: a released migration is never edited (databases out there have run
//   it); a change is a new one with the next version.
import type pg from 'pg';
import { StudioError } from '../../../shared/ir/types.js';
import { databaseError, withClient, type DatabaseUrl } from './connection.js';

/** The schema of the studio's tables. */
export const STUDIO_SCHEMA = 'studio';

export interface Migration {
  /** 1, 2, 3...: applied in this order, each once. */
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'results',
    sql: `
create table studio.results (
  -- The result's id: the folder's rule for ids (results-store.ts checkId), so that every row can be
  -- pulled into a folder as <date>_<id>.json (no path separators, no '..').
  id text collate "C" primary key check (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
  -- The document's exact text, as pushed or saved: what load, getMany and pull read. The JSONB
  -- below cannot replace it: it normalizes the text (key order, whitespace, 1.50 or 1e-3 spelled
  -- differently, duplicate keys), so a pull that wrote it back would not give the pushed bytes.
  doc_text text not null,
  -- The same document (from doc_text, by the database) for queries on any field.
  doc jsonb not null,
  -- The result schema version of the document: a newer studio's rows are reported, never misread.
  result_version int not null,
  -- createdAt as the document says it (ordering, as in the folder: by this text, then by id) and as
  -- a time (filters and history; null when the text is not a time).
  created_text text collate "C" not null,
  created_at timestamptz,
  label text not null,
  -- The target's name (shared/stats/compare.ts targetName), kind and parameters (a file's dims).
  target text not null,
  target_kind text not null,
  params jsonb not null,
  -- What the target filter matches: the name lowercased, and for a file target its file name
  -- lowercased (results-store.ts: a file target matches by path or by file name).
  target_key text not null,
  target_file_key text,
  backend text not null,
  precision text not null,
  batch int not null,
  threads int not null,
  status text not null,
  failure text,
  group_id text,
  repetition int not null,
  -- The summary's figures (a listing never reads the documents): samples, median, warnings.
  n int not null,
  p50 double precision,
  flags int not null,
  -- The machine (shared/stats/series-key.ts machineKeyOf) and its CPU's name for display.
  machine_key text not null,
  machine_brand text not null,
  studio_version text not null,
  runtime_name text,
  runtime_version text,
  -- A fleet job's id when the document carries one (fleet.jobId): one result per fleet job, so an
  -- agent that writes its result again after a reconnection adds nothing.
  job_id text,
  -- The series the result belongs to (seriesKeyOf): machine, target and parameters, backend,
  -- precision, batch, threads. Computed by the studio, not the database, so that the app, the CLI
  -- and the regression engine group by the very same key.
  series_key text not null,
  stored_at timestamptz not null default now()
);
create index results_order on studio.results (created_text, id);
create index results_created_at on studio.results (created_at);
create index results_series on studio.results (series_key, created_at);
create index results_machine on studio.results (machine_key, created_at);
create index results_target on studio.results (target_key);
create index results_target_file on studio.results (target_file_key) where target_file_key is not null;
create index results_group on studio.results (group_id) where group_id is not null;
create index results_versions on studio.results (studio_version, runtime_version);
create index results_params on studio.results using gin (params jsonb_path_ops);
create unique index results_job_id on studio.results (job_id) where job_id is not null;
-- The documents are mostly raw samples (random-looking digits) that barely compress: pglz, the
-- default, spends about 3x longer than lz4 finding that out on every insert. lz4 where the server
-- has it (PostgreSQL 14+ built with lz4, as Debian's is); pglz otherwise.
do $$
begin
  if current_setting('server_version_num')::int >= 140000 then
    begin
      execute 'alter table studio.results alter column doc_text set compression lz4, alter column doc set compression lz4';
    exception when others then
      null;
    end;
  end if;
end
$$;
`,
  },
];

/** The schema version this studio writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** The schema version a database is at (0: no studio tables yet). */
export async function schemaVersion(client: pg.ClientBase): Promise<number> {
  // Two statements: a table named in a statement must exist when it is planned, whatever its CASE says.
  const exists = await client.query<{ t: string | null }>(
    `select to_regclass('${STUDIO_SCHEMA}.schema_migrations')::text as t`,
  );
  if (!exists.rows[0]?.t) return 0;
  const { rows } = await client.query<{ version: number | null }>(
    `select max(version) as version from ${STUDIO_SCHEMA}.schema_migrations`,
  );
  return rows[0]?.version ?? 0;
}

const newer = (db: DatabaseUrl, have: number, know: number) =>
  new StudioError(
    `the database at ${db.redacted} was made by a newer Bottleneck Studio (schema version ${have}; this studio knows up to ${know}): upgrade the studio to use it`,
    'db-schema',
  );

export interface MigrationOutcome {
  /** The version found. */
  from: number;
  /** The version now. */
  to: number;
  /** The versions applied now (none when another process had applied them, or none were due). */
  applied: number[];
}

/**
 * Brings the database's studio schema to this studio's version (or the last of `migrations`, for
 * tests). Refuses a database of a newer studio; a role that may not create what a migration needs
 * gets a StudioError ('db-schema') that says who can.
 */
export async function migrate(
  pool: pg.Pool,
  db: DatabaseUrl,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationOutcome> {
  checkOrder(migrations);
  const latest = migrations.length ? migrations[migrations.length - 1].version : 0;
  let from = 0;
  try {
    return await withClient(pool, db, async (client) => {
      // Without the lock first: a database at this version (the usual case) needs nothing more.
      from = await schemaVersion(client);
      if (from > latest) throw newer(db, from, latest);
      if (from === latest) return { from, to: from, applied: [] };
      await client.query('begin');
      try {
        // One key for every studio (the lock is per database anyway), far from pg-boss's own keys.
        await client.query(`select pg_advisory_xact_lock(hashtextextended('bottleneck-studio/schema-migrations', 0))`);
        await client.query(`create schema if not exists ${STUDIO_SCHEMA}`);
        await client.query(
          `create table if not exists ${STUDIO_SCHEMA}.schema_migrations (
             version int primary key,
             name text not null,
             applied_at timestamptz not null default now()
           )`,
        );
        // Read again under the lock: another process may have migrated meanwhile.
        const now = await schemaVersion(client);
        if (now > latest) throw newer(db, now, latest);
        const applied: number[] = [];
        for (const m of migrations) {
          if (m.version <= now) continue;
          await client.query(m.sql);
          await client.query(`insert into ${STUDIO_SCHEMA}.schema_migrations (version, name) values ($1, $2)`, [
            m.version,
            m.name,
          ]);
          applied.push(m.version);
        }
        await client.query('commit');
        return { from: now, to: latest, applied };
      } catch (e) {
        await client.query('rollback').catch(() => {});
        throw e;
      }
    });
  } catch (e) {
    if (e instanceof StudioError) throw e;
    if ((e as { code?: string }).code === '42501')
      throw new StudioError(
        `the database at ${db.redacted} has the studio schema at version ${from} and this studio needs version ${latest}, but user '${db.user}' may not change it (${(e as Error).message}): run the studio once as the database's owner (any command with --db), then this user can use it`,
        'db-schema',
      );
    throw databaseError(e, db, 'updating the studio schema');
  }
}

function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (!Number.isInteger(m.version) || m.version !== i + 1)
      throw new Error(`migration ${i + 1} ('${m.name}') has version ${m.version}: versions are 1, 2, 3... in order`);
  });
}
