// The fleet's connection to PostgreSQL: one pool per process (main/store/postgres/connection.ts:
// the URL checked, TLS from the URL, credentials kept out of every message), shared by pg-boss
// (through its `db` option) and the fleet's own tables. A database that goes away (a restart, a
// network cut) surfaces as errors of the calls made meanwhile, never as an unhandled 'error' event
// that would end the process; the pool opens new connections once the server is back.
import type pg from 'pg';
import { StudioError } from '../../shared/ir/types.js';
import {
  createPool,
  databaseError,
  isTransient,
  parseDatabaseUrl,
  type DatabaseUrl,
} from '../store/postgres/connection.js';

export { redactUrl } from '../store/postgres/connection.js';

/** Whether an error means the database cannot be reached now (worth waiting for), not a wrong statement. */
export function isConnectionError(e: unknown): boolean {
  if (isTransient(e)) return true;
  const err = e as { code?: string; message?: string } | undefined;
  return /terminating connection|the database system is (starting|shutting)|not queryable|Connection terminated/i.test(
    err?.message ?? '',
  );
}

type Queryable = { query: (text: string, values?: unknown[]) => Promise<pg.QueryResult> };

export interface FleetDbOptions {
  /** Connections at most (default 4: an agent runs one job at a time). */
  max?: number;
  /** Called for errors of idle connections (a restart): logged by the caller, once per outage. */
  onIdleError?: (e: StudioError) => void;
}

/** A pool and the URL it was opened with (kept private: `location` is what may be shown). */
export class FleetDb {
  readonly pool: pg.Pool;
  readonly url: DatabaseUrl;

  constructor(url: string, opts: FleetDbOptions = {}) {
    this.url = parseDatabaseUrl(url);
    this.pool = createPool(this.url, { max: opts.max ?? 4, onIdleError: opts.onIdleError });
  }

  /** The database URL without its password. */
  get location(): string {
    return this.url.redacted;
  }

  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]) {
    return this.pool.query<R>(text, values);
  }

  /** Runs `fn` in a transaction on one connection; rolls back on a throw. */
  async tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // pg emits a checked-out connection's failures here when no query runs: without a listener, a crash.
    const onError = () => {};
    client.on('error', onError);
    let broken = false;
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (e) {
      broken = isConnectionError(e);
      if (!broken) await client.query('ROLLBACK').catch(() => (broken = true));
      throw e;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  /** The error as a sentence that names the database without its password. */
  describe(e: unknown): string {
    return databaseError(e, this.url).message;
  }

  /** Checks the database answers; a clear StudioError (db-unreachable, db-auth...) when it does not. */
  async check(): Promise<void> {
    try {
      await this.pool.query('SELECT 1');
    } catch (e) {
      throw databaseError(e, this.url);
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {});
  }
}

/** pg-boss's `db` option over a pool or one client (a transaction). */
export const executor = (q: Queryable) => ({
  executeSql: (text: string, values?: unknown[]) => q.query(text, values),
});

/** pg-boss's `db` option that remembers the last error (its fetch swallows errors and answers "no job"). */
export function recordingExecutor(q: Queryable) {
  const state: { error?: unknown } = {};
  return {
    state,
    db: {
      executeSql: async (text: string, values?: unknown[]) => {
        try {
          return await q.query(text, values);
        } catch (e) {
          state.error = e;
          throw e;
        }
      },
    },
  };
}
