// The fleet's tables (schema `fleet`, versioned in fleet.schema_version) and the queue engine's
// (pg-boss 10, schema `pgboss`): installed by whichever fleet program meets the database first, under
// an advisory lock so that two agents starting together do not race. A role without the right to
// create them (the least-rights agent role of docs/FLEET.md) is told to run `fleet --db URL` once as
// the owner.
import PgBoss from 'pg-boss';
import { StudioError } from '../../shared/ir/types.js';
import { executor, type FleetDb } from './db.js';

export const BOSS_SCHEMA = 'pgboss';
/** Lock keys (pg_advisory_xact_lock): the migration, the reaper and queue creation (one at a time across the fleet). */
export const LOCKS = { migrate: 7_201_001, reap: 7_201_002, queue: 7_201_003 } as const;

/** Each version's statements, applied in order, once. */
const MIGRATIONS: string[][] = [
  [
    `CREATE TABLE fleet.agents (
      name text PRIMARY KEY,
      tags text[] NOT NULL DEFAULT '{}',
      machine jsonb,
      host text NOT NULL,
      pid integer NOT NULL,
      started_at timestamptz NOT NULL DEFAULT now(),
      last_seen timestamptz NOT NULL DEFAULT now(),
      current_job uuid,
      current_queue text,
      state text NOT NULL CHECK (state IN ('idle', 'busy', 'stopping', 'stopped'))
    )`,
    `CREATE TABLE fleet.runs (
      run_id text PRIMARY KEY,
      requested_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      destinations text[] NOT NULL,
      jobs integer NOT NULL,
      spec jsonb NOT NULL
    )`,
    `CREATE TABLE fleet.jobs (
      job_id uuid PRIMARY KEY,
      run_id text NOT NULL REFERENCES fleet.runs ON DELETE CASCADE,
      seq integer NOT NULL,
      queue text NOT NULL,
      destination text NOT NULL,
      spec_id text NOT NULL,
      label text NOT NULL,
      agent text,
      attempt integer NOT NULL DEFAULT 0,
      started_at timestamptz,
      ended_at timestamptz,
      outcome text CHECK (outcome IN ('ok', 'failed', 'cancelled', 'refused')),
      reason text,
      result_id text
    )`,
    `CREATE INDEX jobs_run ON fleet.jobs (run_id, seq)`,
    `CREATE TABLE fleet.events (
      seq bigserial PRIMARY KEY,
      run_id text NOT NULL,
      job_id uuid NOT NULL,
      kind text NOT NULL,
      payload jsonb NOT NULL DEFAULT '{}',
      at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE INDEX events_run ON fleet.events (run_id, seq)`,
    `CREATE INDEX events_job ON fleet.events (job_id)`,
    // A model travels by content hash, in chunks (no single value of hundreds of MiB in memory).
    `CREATE TABLE fleet.blobs (
      sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      size bigint NOT NULL CHECK (size >= 0),
      chunks integer NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE TABLE fleet.blob_chunks (
      sha256 text NOT NULL REFERENCES fleet.blobs ON DELETE CASCADE,
      idx integer NOT NULL,
      bytes bytea NOT NULL,
      PRIMARY KEY (sha256, idx)
    )`,
  ],
];
export const FLEET_SCHEMA_VERSION = MIGRATIONS.length;

/** The fleet schema's version in this database (0: not installed). */
async function currentVersion(q: { query: FleetDb['query'] }): Promise<number> {
  const { rows } = await q.query<{ t: string | null }>(`SELECT to_regclass('fleet.schema_version')::text AS t`);
  if (!rows[0].t) return 0;
  const v = await q.query<{ v: number | null }>(`SELECT max(version) AS v FROM fleet.schema_version`);
  return v.rows[0].v ?? 0;
}

const NOT_ALLOWED = new Set(['42501']); // insufficient_privilege

function notAllowed(e: unknown, db: FleetDb): StudioError {
  return new StudioError(
    `the fleet's tables in ${db.location} are missing or out of date, and this database role may not create them (${(e as Error).message}): run \`bottleneck-studio fleet --db URL\` once as the database's owner`,
    'db-permission',
  );
}

/** Installs or upgrades the fleet schema; does nothing (no DDL, no lock) when it is current. */
export async function migrateFleet(db: FleetDb): Promise<void> {
  const have = await currentVersion(db);
  if (have > FLEET_SCHEMA_VERSION)
    throw new StudioError(
      `the fleet schema in ${db.location} is version ${have}, newer than this studio's ${FLEET_SCHEMA_VERSION}: upgrade the studio`,
      'db-schema',
    );
  if (have === FLEET_SCHEMA_VERSION) return;
  try {
    await db.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [LOCKS.migrate]);
      await c.query('CREATE SCHEMA IF NOT EXISTS fleet');
      await c.query(
        `CREATE TABLE IF NOT EXISTS fleet.schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const now = await currentVersion(c);
      for (let v = now + 1; v <= FLEET_SCHEMA_VERSION; v++) {
        for (const statement of MIGRATIONS[v - 1]) await c.query(statement);
        await c.query('INSERT INTO fleet.schema_version (version) VALUES ($1)', [v]);
      }
    });
  } catch (e) {
    if (NOT_ALLOWED.has((e as { code?: string }).code ?? '')) throw notAllowed(e, db);
    throw e;
  }
}

export interface BossOptions {
  /** Run pg-boss's maintenance (expiry, archiving) in this process (default true). */
  supervise?: boolean;
  /** Called with pg-boss's own errors (a lost connection in its maintenance): logged by the caller. */
  onError?: (e: Error) => void;
}

/** pg-boss over the fleet's pool, installed (or upgraded) if needed. */
export async function openBoss(db: FleetDb, opts: BossOptions = {}): Promise<PgBoss> {
  const boss = new PgBoss({
    db: executor(db.pool),
    schema: BOSS_SCHEMA,
    migrate: true,
    supervise: opts.supervise ?? true,
    schedule: false,
    maintenanceIntervalSeconds: 60,
  });
  // Without a listener an 'error' event would throw (and end an agent on a database restart).
  boss.on('error', (e) => opts.onError?.(e));
  try {
    // pg-boss installs itself when missing; two processes installing at once can collide, so the
    // first install is serialized under the fleet's migration lock (held on a connection of its own).
    const installed = await db.query<{ t: string | null }>(`SELECT to_regclass('${BOSS_SCHEMA}.version')::text AS t`);
    if (installed.rows[0].t) await boss.start();
    else {
      const client = await db.pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock($1)', [LOCKS.migrate]);
        await boss.start();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [LOCKS.migrate]).catch(() => {});
        client.release();
      }
    }
  } catch (e) {
    if (NOT_ALLOWED.has((e as { code?: string }).code ?? '')) throw notAllowed(e, db);
    throw e;
  }
  return boss;
}

/**
 * Creates a queue if it is not there (pg-boss 10 needs it before send or fetch); false when this role
 * may not. Creations are serialized across the fleet (an advisory lock): two queues created at once
 * attach partitions to pgboss.job together, and PostgreSQL answers that with a deadlock.
 */
export async function ensureQueue(db: FleetDb, name: string): Promise<boolean> {
  const have = await db.query(`SELECT 1 FROM ${BOSS_SCHEMA}.queue WHERE name = $1`, [name]);
  if (have.rowCount) return true;
  try {
    await db.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [LOCKS.queue]);
      // pg-boss's createQueue over this transaction (its own call takes no connection option).
      await c.query(`SELECT ${BOSS_SCHEMA}.create_queue($1, $2)`, [name, JSON.stringify({ policy: 'standard' })]);
    });
    return true;
  } catch (e) {
    if (NOT_ALLOWED.has((e as { code?: string }).code ?? '')) return false;
    throw e;
  }
}

/**
 * The least rights an agent needs (docs/FLEET.md "The agent's role"): take, complete, fail and
 * cancel jobs in pg-boss (and its maintenance: archive, expire), register and heartbeat, record
 * outcomes and events, read models, and upsert its results in studio.results. No DDL: the queues
 * and tables are created by the team's owner role (an enqueuer, or `fleet --db URL` once).
 * `role` must be a plain SQL identifier.
 */
export function agentRoleGrants(role: string): string[] {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(role))
    throw new StudioError(`'${role}' is not a plain role name`, 'bad-parameter');
  return [
    `GRANT USAGE ON SCHEMA ${BOSS_SCHEMA}, fleet, studio TO ${role}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${BOSS_SCHEMA} TO ${role}`,
    `GRANT SELECT ON fleet.schema_version, fleet.runs, fleet.blobs, fleet.blob_chunks TO ${role}`,
    `GRANT SELECT, INSERT, UPDATE ON fleet.agents TO ${role}`,
    `GRANT SELECT, UPDATE ON fleet.jobs TO ${role}`,
    `GRANT SELECT, INSERT, DELETE ON fleet.events TO ${role}`,
    `GRANT USAGE ON SEQUENCE fleet.events_seq_seq TO ${role}`,
    `GRANT SELECT ON studio.schema_migrations TO ${role}`,
    `GRANT SELECT, INSERT, UPDATE ON studio.results TO ${role}`,
  ];
}
