// A private PostgreSQL server for a test file: Debian's own server programs (scripts/ensure-postgres.mjs
// installs them), a fresh cluster in a temporary folder, listening on loopback only, on a free port,
// with password (SCRAM) authentication over TCP so that a wrong password is a real refusal.
// PostgreSQL refuses to run as root: as root, initdb and pg_ctl run as the `postgres` system user the
// package creates (runuser); as anyone else, as that user.
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PgServer {
  /** Superuser URL of the `postgres` database (postgres://studio:PASSWORD@127.0.0.1:PORT/postgres). */
  readonly url: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** The cluster's folder (its data is under data/, its log in server.log). */
  readonly dir: string;
  /** A URL for a database of this server (another user and password when given). */
  urlFor(database: string, who?: { user: string; password: string }): string;
  /** Creates a fresh, empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Runs SQL as the superuser on a database (psql, no client library: tests of the client use it). */
  sql(query: string, database?: string): Promise<string>;
  /** Stops the server (fast: connections are closed) and starts it again on the same port. */
  restart(downForMs?: number): Promise<void>;
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  /** Stops the server and deletes its folder. */
  stop(): Promise<void>;
}

function binDir(): string {
  if (process.env.STUDIO_PG_BINDIR) return process.env.STUDIO_PG_BINDIR;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions.length)
    throw new Error('PostgreSQL is not installed: run `node scripts/ensure-postgres.mjs` (npm test runs it)');
  return join(root, versions[0], 'bin');
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs one of PostgreSQL's programs, as the postgres system user when we are root. */
async function pgRun(program: string, args: string[]): Promise<string> {
  const bin = join(binDir(), program);
  const [cmd, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  try {
    const { stdout } = await run(cmd, argv, { cwd: '/', timeout: 60_000, maxBuffer: 16 << 20 });
    return stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string; stdout?: string };
    throw new Error(`${program} ${args.join(' ')} failed: ${err.stderr || err.stdout || err.message}`);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

let databases = 0;

/** Starts a private server; call stop() in afterAll. */
export async function startPostgres(): Promise<PgServer> {
  const dir = mkdtempSync(join(tmpdir(), 'studio-pg-'));
  const data = join(dir, 'data');
  const user = 'studio';
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  writeFileSync(join(dir, 'pw'), `${password}\n`);
  if (isRoot()) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
    chownSync(join(dir, 'pw'), Number(stdout.trim()), Number(gid.trim()));
  }
  chmodSync(dir, 0o700);
  await pgRun('initdb', [
    '-D',
    data,
    '-U',
    user,
    `--pwfile=${join(dir, 'pw')}`,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  let port = await freePort();
  const options = () =>
    [
      `-p ${port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${dir}`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c shared_buffers=16MB',
      '-c max_connections=60',
    ].join(' ');
  const startServer = async () => {
    await pgRun('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', options(), 'start']);
  };
  const stopServer = async () => {
    await pgRun('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
  };
  for (let attempt = 0; ; attempt++) {
    try {
      await startServer();
      break;
    } catch (e) {
      // The free port was taken in between by someone else: another one.
      if (attempt >= 3) throw e;
      port = await freePort();
    }
  }
  const urlFor = (database: string, who = { user, password }) =>
    `postgres://${encodeURIComponent(who.user)}:${encodeURIComponent(who.password)}@127.0.0.1:${port}/${database}`;
  const sql = (query: string, database = 'postgres') =>
    pgRun('psql', [
      '-h',
      dir,
      '-p',
      String(port),
      '-U',
      user,
      '-d',
      database,
      '-v',
      'ON_ERROR_STOP=1',
      '-At',
      '-c',
      query,
    ]);
  let stopped = false;
  return {
    get url() {
      return urlFor('postgres');
    },
    get port() {
      return port;
    },
    user,
    password,
    dir,
    urlFor,
    sql,
    async createDatabase(name) {
      const db = name ?? `t${process.pid}_${++databases}_${Math.random().toString(36).slice(2, 8)}`;
      await sql(`CREATE DATABASE "${db}"`);
      return urlFor(db);
    },
    async restart(downForMs = 0) {
      await stopServer();
      if (downForMs) await new Promise((r) => setTimeout(r, downForMs));
      await startServer();
    },
    stopServer,
    startServer,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await stopServer();
      } catch {
        // Already stopped (a test stopped it): the folder goes anyway.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
