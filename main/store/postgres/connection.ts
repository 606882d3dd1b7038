// Connecting to a team's PostgreSQL database (issue 20): the URL checked before anything connects,
// the credentials kept out of everything the studio prints or saves, and the client's failures turned
// into one clear StudioError each.
//
// - The URL: postgres:// or postgresql://user:password@host:port/database?params. Special characters
//   in the user or password are percent-encoded (@ as %40, : as %3A). No database: the user's name
//   (as libpq does). A Unix socket: postgres://user@/database?host=/var/run/postgresql.
// - Credentials: `redactUrl` drops the password (the user stays: it says who connects) and the
//   password-like parameters; `scrubSecrets` removes the password, raw and percent-encoded, from any
//   text (a client error message, a stack) before it is shown. Every error this module makes is
//   built from the redacted URL only.
// - TLS: the URL's own parameters, as node-postgres reads them: sslmode (disable, no-verify, prefer,
//   require, verify-ca, verify-full; note that node-postgres treats prefer, require and verify-ca as
//   verify-full: the server's certificate must be trusted and its name match), sslrootcert (a CA
//   file), sslcert and sslkey (a client certificate and its key). When the URL has none of them,
//   BOTTLENECK_DB_SSL_CA, BOTTLENECK_DB_SSL_CERT and BOTTLENECK_DB_SSL_KEY (file paths) turn TLS on
//   with full verification: a way to keep file paths out of a URL that is shared by a team.
// - The pool: a connect timeout (a firewall that drops packets must not hang a command), TCP
//   keep-alive, and an 'error' handler on the pool: an idle connection that the server closes (a
//   restart, an administrator) is dropped and reported, never an uncaught exception.
import { accessSync, constants, readFileSync } from 'node:fs';
import pg from 'pg';
import { StudioError } from '../../../shared/ir/types.js';

/** Seconds a connection attempt may take before it counts as unreachable. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** Query parameters that carry secrets: never shown. */
const SECRET_PARAMS = ['password', 'sslpassword'];
const SSL_MODES = ['disable', 'no-verify', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];
const SSL_FILES = ['sslrootcert', 'sslcert', 'sslkey'] as const;
const EXPECTED = 'expected postgres://user:password@host:port/database (or postgresql://...)';

/** What error codes a database failure gets (StudioError.code). */
export type DbErrorCode =
  | 'db-url' // the URL itself is wrong
  | 'db-unreachable' // nothing answers at that address (down, wrong host or port, a firewall)
  | 'db-lost' // the connection broke midway (a restart)
  | 'db-auth' // wrong user or password, or the server refuses this client
  | 'db-missing' // the database does not exist
  | 'db-permission' // the role lacks a right it needs
  | 'db-tls' // TLS could not be set up or the certificate is not trusted
  | 'db-schema' // the schema is of a newer studio, or cannot be brought up to date
  | 'db-error'; // anything else the server said

export interface DatabaseUrl {
  /** The URL as given (with its password): only ever handed to the client library. */
  readonly url: string;
  /** The URL without the password: safe to print, log and save. */
  readonly redacted: string;
  readonly user: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** The password (decoded), for scrubbing it from messages; '' when none. */
  readonly password: string;
  /** Whether the URL sets TLS options of its own (sslmode, sslrootcert, ...). */
  readonly urlTls: boolean;
}

/** The URL object of a postgres URL; a URL without a host (a Unix socket in ?host=) parses with a stand-in one. */
function urlObject(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    try {
      return new URL(text.replace('@/', '@___socket___/'));
    } catch {
      return undefined;
    }
  }
}

const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/**
 * The URL without its password (the user stays) and without password-like parameters, for every
 * message, log line, result and report. Works on text that is not a valid URL too (by pattern).
 */
export function redactUrl(url: string): string {
  const u = urlObject(url);
  if (u && /^postgres(ql)?:$/.test(u.protocol)) {
    u.password = '';
    for (const p of SECRET_PARAMS) u.searchParams.delete(p);
    return u.toString().replace('@___socket___/', '@/');
  }
  // Not a URL we parse: cut anything between "user:" and "@" and any password=... parameter.
  return url.replace(/(\/\/[^/?#@:]*):[^@/?#]*@/g, '$1@').replace(/((?:^|[?&\s])(?:ssl)?password=)[^&\s]*/gi, '$1***');
}

/** Removes the password (as given, and percent-encoded or decoded) and the full URL from a text. */
export function scrubSecrets(text: string, db: Pick<DatabaseUrl, 'url' | 'redacted' | 'password'>): string {
  let out = text.split(db.url).join(db.redacted);
  // A password of fewer than 4 characters is not searched for in free text (it would mangle every
  // message); it only ever reaches text inside a URL, and the URL is replaced above.
  const secrets = new Set([db.password, encodeURIComponent(db.password)].filter((s) => s.length >= 4));
  // Longest first: a decoded password may be part of its encoded form.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join('***');
  return out;
}

/**
 * Checks a database URL before anything connects: the scheme, that it parses, the port, the TLS
 * parameters (known sslmode, readable certificate files). A StudioError ('db-url') says what is
 * expected; the message never holds the password.
 */
export function parseDatabaseUrl(url: string): DatabaseUrl {
  if (typeof url !== 'string' || !url.trim()) throw new StudioError(`no database URL given: ${EXPECTED}`, 'db-url');
  const text = url.trim();
  // A text that is not a postgres URL is never echoed: nothing in it can be told apart as a password.
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1];
  if (!scheme)
    throw new StudioError(
      `the database URL given is not a URL: ${EXPECTED} (a results folder is given with --results)`,
      'db-url',
    );
  if (!/^postgres(ql)?$/i.test(scheme) || !/^[a-z]+:\/\//i.test(text))
    throw new StudioError(`the database URL given (${scheme}:...) is not a PostgreSQL URL: ${EXPECTED}`, 'db-url');
  const u = urlObject(text);
  if (!u)
    throw new StudioError(
      `the database URL given is not a valid URL: ${EXPECTED}; percent-encode special characters in the user and password (@ as %40, : as %3A, / as %2F)`,
      'db-url',
    );
  const redacted = redactUrl(text);
  const params = u.searchParams;
  const sslmode = params.get('sslmode');
  if (sslmode !== null && !SSL_MODES.includes(sslmode))
    throw new StudioError(
      `the database URL's sslmode '${sslmode}' is not one of ${SSL_MODES.join(', ')} (${redacted})`,
      'db-url',
    );
  for (const p of SSL_FILES) {
    const file = params.get(p);
    if (file === null) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch (e) {
      throw new StudioError(
        `the database URL's ${p} names ${file}, which cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}) (${redacted})`,
        'db-tls',
      );
    }
  }
  const port = u.port ? Number(u.port) : 5432;
  const user = decode(u.username) || params.get('user') || '';
  const socketHost = params.get('host');
  const host = socketHost ?? (u.hostname === '___socket___' ? 'localhost' : u.hostname.replace(/^\[(.+)\]$/, '$1'));
  const database = decode(u.pathname.slice(1)) || user;
  const password = decode(u.password) || params.get('password') || '';
  const urlTls = ['ssl', 'sslmode', ...SSL_FILES].some((p) => params.has(p));
  return { url: text, redacted, user, host: host || 'localhost', port, database, password, urlTls };
}

/** TLS options from BOTTLENECK_DB_SSL_CA / _CERT / _KEY (file paths), when the URL sets none of its own. */
export function envTlsOptions(env: NodeJS.ProcessEnv = process.env): pg.PoolConfig['ssl'] {
  const files = { ca: env.BOTTLENECK_DB_SSL_CA, cert: env.BOTTLENECK_DB_SSL_CERT, key: env.BOTTLENECK_DB_SSL_KEY };
  if (!files.ca && !files.cert && !files.key) return undefined;
  const ssl: Record<string, string | boolean> = { rejectUnauthorized: true };
  for (const [k, path] of Object.entries(files)) {
    if (!path) continue;
    try {
      ssl[k] = readFileSync(path, 'utf8');
    } catch (e) {
      throw new StudioError(
        `BOTTLENECK_DB_SSL_${k.toUpperCase()} names ${path}, which cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
        'db-tls',
      );
    }
  }
  return ssl;
}

export interface PoolOptions {
  /** Connections at most (default 4: a CLI command or an agent does one thing at a time). */
  max?: number;
  connectTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Told of an idle connection's failure (already scrubbed); default: nothing (the pool drops it). */
  onIdleError?: (error: StudioError) => void;
}

/** A connection pool for a checked URL; it connects on first use. */
export function createPool(db: DatabaseUrl, opts: PoolOptions = {}): pg.Pool {
  const ssl = db.urlTls ? undefined : envTlsOptions(opts.env);
  const pool = new pg.Pool({
    connectionString: db.url,
    ...(ssl ? { ssl } : {}),
    max: opts.max ?? 4,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 10_000,
    keepAlive: true,
    // A CLI command that forgot to close must still end (idle connections do not hold the process).
    allowExitOnIdle: true,
    application_name: 'bottleneck-studio',
  });
  // Without this handler, a server restart that closes an idle connection would crash the process.
  pool.on('error', (err) => opts.onIdleError?.(databaseError(err, db)));
  return pool;
}

/** Codes of failures that say the server cannot be reached or the connection broke (worth a retry later). */
const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EHOSTDOWN', 'EADDRNOTAVAIL']);
const LOST = new Set(['ECONNRESET', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);
const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

/**
 * Whether an error (from the client, or a StudioError made here) is a connection failure that may go
 * away: the server down or restarting, the connection broken. Never true for a refusal (password,
 * permission, a missing database) or a failed statement.
 */
export function isTransient(e: unknown): boolean {
  if (e instanceof StudioError) return e.code === 'db-unreachable' || e.code === 'db-lost';
  const err = e as { code?: string; message?: string };
  if (err?.code && (UNREACHABLE.has(err.code) || LOST.has(err.code))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    err?.message ?? '',
  );
}

/**
 * A client failure as a StudioError with the redacted URL and a hint, the password scrubbed from
 * anything the server or the client library said. `doing`: what failed ("saving result x").
 */
export function databaseError(e: unknown, db: DatabaseUrl, doing?: string): StudioError {
  if (e instanceof StudioError) return new StudioError(scrubSecrets(e.message, db), e.code);
  const err = e as { code?: string; message?: string; detail?: string; hint?: string; cause?: unknown };
  const code = err?.code ?? '';
  const raw = scrubSecrets(String(err?.message ?? e), db);
  const at = `the database at ${db.redacted}`;
  const what = doing ? ` (${doing})` : '';
  const make = (message: string, c: DbErrorCode) => new StudioError(message, c);
  if (code === 'ECONNREFUSED')
    return make(
      `cannot reach ${at}: connection refused — is PostgreSQL running and is the URL right?${what}`,
      'db-unreachable',
    );
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return make(`cannot reach ${at}: host '${db.host}' not found — is the host name right?${what}`, 'db-unreachable');
  if (UNREACHABLE.has(code) || /timeout exceeded when trying to connect|connection timeout/i.test(raw))
    return make(
      `cannot reach ${at}: ${UNREACHABLE.has(code) && code !== 'ETIMEDOUT' ? code : `no answer within ${CONNECT_TIMEOUT_MS / 1000} s`} — is PostgreSQL running, is the URL right, and does a firewall let the port through?${what}`,
      'db-unreachable',
    );
  if (code === '28P01')
    return make(
      `password authentication failed for user '${db.user}' at ${at} — check the user and password${what}`,
      'db-auth',
    );
  if (code === '28000') return make(`${at} refuses this connection: ${raw}${what}`, 'db-auth');
  if (/client password must be a string|password must be a string|SASL/i.test(raw))
    return make(
      `${at} asks for a password and the URL gives none (postgres://user:password@host/db)${what}`,
      'db-auth',
    );
  if (code === '3D000')
    return make(`${raw} (${db.redacted}) — create it (createdb ${db.database}) or fix the URL${what}`, 'db-missing');
  if (code === '42501') return make(`permission denied at ${at}: ${raw}${what}`, 'db-permission');
  if (/The server does not support SSL connections/i.test(raw))
    return make(
      `${at} does not accept TLS, and the URL or BOTTLENECK_DB_SSL_* asks for it: remove sslmode (or use sslmode=disable) or enable ssl on the server${what}`,
      'db-tls',
    );
  if (TLS_CODES.test(code) || /certificate|ssl|tls/i.test(raw))
    return make(
      `TLS with ${at} failed: ${raw} — give the server's CA with sslrootcert=FILE in the URL or BOTTLENECK_DB_SSL_CA${what}`,
      'db-tls',
    );
  if (LOST.has(code) || /Connection terminated|connection error|terminating connection/i.test(raw))
    return make(`lost the connection to ${at}: ${raw}${what}`, 'db-lost');
  const extra = [err?.detail, err?.hint].filter(Boolean).map((s) => scrubSecrets(String(s), db));
  return make(`${at}${what}: ${raw}${extra.length ? ` (${extra.join('; ')})` : ''}`, 'db-error');
}

/**
 * Runs `fn` with one connection of the pool, and gives it back: destroyed when something failed on it
 * (a broken connection must not go back to the pool). While checked out, the connection has an
 * 'error' listener: pg emits its failures there when no query is running, and with none the process
 * would crash.
 */
export async function withClient<T>(
  pool: pg.Pool,
  db: DatabaseUrl,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (e) {
    throw databaseError(e, db);
  }
  const onError = () => {};
  client.on('error', onError);
  let failed = false;
  try {
    return await fn(client);
  } catch (e) {
    failed = !(e instanceof StudioError);
    throw e;
  } finally {
    client.removeListener('error', onError);
    client.release(failed);
  }
}
