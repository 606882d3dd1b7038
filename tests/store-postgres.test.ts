// The PostgreSQL results store against a real PostgreSQL 15 server of this test file (helpers/postgres.ts):
// migrations (idempotent, versioned, refused when newer, raced), the same answers as the folder store
// on the same results, byte-identical texts, clear errors without the password, reconnection after a
// server restart.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchResult } from '../shared/contract/result.js';
import { StudioError } from '../shared/ir/types.js';
import { machineKeyOf, seriesKeyOf } from '../shared/stats/series-key.js';
import { databaseUrlOf, openResultsRepository } from '../main/services/open-results.js';
import { parseDatabaseUrl, redactUrl, scrubSecrets } from '../main/store/postgres/connection.js';
import { MIGRATIONS, SCHEMA_VERSION, migrate } from '../main/store/postgres/migrations.js';
import { PostgresResultsRepository } from '../main/store/postgres/results-repository.js';
import { FolderResultsRepository } from '../main/store/results-repository.js';
import type { ResultFilter } from '../main/store/results-store.js';
import { toJsonText } from '../main/store/result-check.js';
import { fakeGpuResult, fakeMachine, fakeReportSet, fakeResult } from './helpers/fake-results.js';
import { startPostgres, type PgServer } from './helpers/postgres.js';

let server: PgServer;
let scratch: string;
const open: PostgresResultsRepository[] = [];

beforeAll(async () => {
  server = await startPostgres();
  scratch = mkdtempSync(join(tmpdir(), 'studio-pg-store-'));
}, 120_000);

afterAll(async () => {
  for (const r of open) await r.close();
  await server?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function fresh(): Promise<{ url: string; repo: PostgresResultsRepository }> {
  const url = await server.createDatabase();
  const repo = await PostgresResultsRepository.open(url);
  open.push(repo);
  return { url, repo };
}

/** The error a promise rejects with (fails the test when it resolves). */
async function failure(p: Promise<unknown>): Promise<StudioError> {
  try {
    await p;
  } catch (e) {
    return e as StudioError;
  }
  throw new Error('expected a failure');
}

/** A varied set: blocks, models, a file target, two machines, CPU and GPU, a failure, groups, dates. */
function resultSet(): BenchResult[] {
  const file = (path: string) => ({ kind: 'file' as const, path, dims: { N: 1 } });
  return [
    ...fakeReportSet(),
    fakeResult({ id: 'f1', target: file('/models/Net.onnx'), createdAt: '2025-06-02T23:59:59.999Z', group: 'g1' }),
    fakeResult({ id: 'f2', target: file('/other/net.onnx'), createdAt: '2025-06-03T00:00:00.000Z', group: 'g1' }),
    fakeResult({ id: 'early', createdAt: '2025-05-31T23:59:59.999Z', group: 'g2', repetition: 1 }),
    fakeResult({ id: 'same-time-b', createdAt: '2025-06-04T12:00:00.000Z' }),
    fakeResult({ id: 'same-time-a', createdAt: '2025-06-04T12:00:00.000Z', flags: ['unstable: cv 30%'] }),
    fakeResult({ id: 'cancelled', status: 'cancelled', createdAt: '2025-06-04T13:00:00.000Z' }),
    fakeGpuResult({ id: 'webgpu-fp16', backend: 'ort-webgpu', precision: 'fp16', createdAt: '2025-06-05T08:00:00Z' }),
  ];
}

describe('database URLs and credentials', () => {
  it('accepts postgres:// and postgresql:// and says what is expected otherwise, without the password', () => {
    const db = parseDatabaseUrl('postgresql://ann:s%40cret-pw@db.example:6543/bench?sslmode=disable');
    expect(db).toMatchObject({ user: 'ann', host: 'db.example', port: 6543, database: 'bench', password: 's@cret-pw' });
    expect(db.redacted).toBe('postgresql://ann@db.example:6543/bench?sslmode=disable');
    expect(parseDatabaseUrl('postgres://ann@localhost/').database).toBe('ann');
    for (const bad of [
      'mysql://ann:topsecret@h/db',
      'http://ann:topsecret@h/db',
      '/var/results',
      '',
      'postgres:ann:topsecret',
    ]) {
      let e: unknown;
      try {
        parseDatabaseUrl(bad);
      } catch (err) {
        e = err;
      }
      expect(e, bad).toBeInstanceOf(StudioError);
      expect((e as StudioError).code).toBe('db-url');
      expect((e as Error).message).toMatch(/expected postgres:\/\/user:password@host:port\/database/);
      expect((e as Error).message).not.toContain('topsecret');
    }
    expect(() => parseDatabaseUrl('postgres://a@h/db?sslmode=sometimes')).toThrow(/sslmode 'sometimes' is not one of/);
    expect(() => parseDatabaseUrl('postgres://a@h/db?sslrootcert=/no/such/ca.pem')).toThrow(
      /sslrootcert names \/no\/such\/ca.pem, which cannot be read/,
    );
  });

  it('redacts the password from URLs (valid or not) and from any text', () => {
    expect(redactUrl('postgres://u:s3cret@h:5432/db?sslmode=require&password=x2')).toBe(
      'postgres://u@h:5432/db?sslmode=require',
    );
    expect(redactUrl('postgres://u:s3cret@/db?host=/run/pg')).toBe('postgres://u@/db?host=%2Frun%2Fpg');
    expect(redactUrl('oops://u:s3cret@h/db')).toBe('oops://u@h/db');
    const db = parseDatabaseUrl('postgres://u:p%40ss-word@h/db');
    expect(scrubSecrets(`failed for postgres://u:p%40ss-word@h/db: p@ss-word and p%40ss-word`, db)).toBe(
      'failed for postgres://u@h/db: *** and ***',
    );
  });

  it('picks the database from --db, else BOTTLENECK_DB, else the folder', async () => {
    expect(databaseUrlOf({ db: 'postgres://a@h/x', env: { BOTTLENECK_DB: 'postgres://b@h/y' } })).toBe(
      'postgres://a@h/x',
    );
    expect(databaseUrlOf({ env: { BOTTLENECK_DB: ' postgres://b@h/y ' } })).toBe('postgres://b@h/y');
    expect(databaseUrlOf({ env: { BOTTLENECK_DB: '' } })).toBeUndefined();
    const folder = await openResultsRepository({ dir: join(scratch, 'folder-default'), env: {} });
    expect(folder.kind).toBe('folder');
    const url = await server.createDatabase();
    const db = await openResultsRepository({ dir: join(scratch, 'unused'), env: { BOTTLENECK_DB: url } });
    try {
      expect(db.kind).toBe('postgres');
      expect(db.location).not.toContain(server.password);
    } finally {
      await db.close();
    }
  });
});

describe('migrations', () => {
  it('creates the studio schema once, records each version, and does nothing the second time', async () => {
    const { url, repo } = await fresh();
    const versions = await server.sql(
      'select version, name from studio.schema_migrations order by version',
      dbName(url),
    );
    expect(versions.trim().split('\n')).toEqual(MIGRATIONS.map((m) => `${m.version}|${m.name}`));
    expect(await migrate(repo.pool, repo.db)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION, applied: [] });
    const again = await PostgresResultsRepository.open(url);
    await again.close();
    expect(await server.sql('select count(*) from studio.schema_migrations', dbName(url))).toBe(
      `${MIGRATIONS.length}\n`,
    );
  });

  it('applies a newer migration once, in order, and a studio that does not know it refuses that database', async () => {
    const { url, repo } = await fresh();
    const next = [
      ...MIGRATIONS,
      { version: SCHEMA_VERSION + 1, name: 'test-extra', sql: 'create table studio.extra (x int)' },
    ];
    expect(await migrate(repo.pool, repo.db, next)).toEqual({
      from: SCHEMA_VERSION,
      to: SCHEMA_VERSION + 1,
      applied: [SCHEMA_VERSION + 1],
    });
    expect((await migrate(repo.pool, repo.db, next)).applied).toEqual([]);
    const e = await failure(PostgresResultsRepository.open(url));
    expect(e).toBeInstanceOf(StudioError);
    expect(e.code).toBe('db-schema');
    expect(e.message).toMatch(
      /made by a newer Bottleneck Studio \(schema version 2; this studio knows up to 1\): upgrade/,
    );
    expect(e.message).not.toContain(server.password);
  });

  it('a failed migration leaves nothing behind (all in one transaction)', async () => {
    const { url, repo } = await fresh();
    const broken = [...MIGRATIONS, { version: 2, name: 'broken', sql: 'create table studio.half (x int); select 1/0' }];
    await expect(migrate(repo.pool, repo.db, broken)).rejects.toThrow(/division by zero/);
    expect(await server.sql(`select to_regclass('studio.half') is null`, dbName(url))).toBe('t\n');
    expect(await server.sql('select max(version) from studio.schema_migrations', dbName(url))).toBe('1\n');
  });

  it('several studios opening a new database at once migrate it once', async () => {
    const url = await server.createDatabase();
    const repos = await Promise.all(Array.from({ length: 6 }, () => PostgresResultsRepository.open(url)));
    try {
      expect(await server.sql('select count(*) from studio.schema_migrations', dbName(url))).toBe(
        `${MIGRATIONS.length}\n`,
      );
      await Promise.all(repos.map((r, i) => r.save(fakeResult({ id: `race-${i}` }))));
      expect((await repos[0].list()).results).toHaveLength(6);
    } finally {
      for (const r of repos) await r.close();
    }
  });

  it('lives beside other schemas (pg-boss keeps its own) and needs no more than reading once migrated', async () => {
    const { url } = await fresh();
    const db = dbName(url);
    await server.sql('create schema pgboss; create table pgboss.job (id int)', db);
    // A least-rights role (docs/DATABASE.md "Agent role"): usage, select and insert only.
    await server.sql(
      `create role agent login password 'agent-pw-123';
       grant connect on database "${db}" to agent;
       grant usage on schema studio to agent;
       grant select on studio.schema_migrations to agent;
       grant select, insert on studio.results to agent;`,
      db,
    );
    const agent = await PostgresResultsRepository.open(server.urlFor(db, { user: 'agent', password: 'agent-pw-123' }));
    try {
      expect(await agent.addMany([fakeResult({ id: 'by-agent' })])).toEqual({ added: ['by-agent'], existing: [] });
      expect((await agent.addMany([fakeResult({ id: 'by-agent' })])).existing).toEqual(['by-agent']);
      // save() replaces (ON CONFLICT DO UPDATE), which needs UPDATE: not an agent's right.
      expect((await failure(agent.save(fakeResult({ id: 'saved-by-agent' })))).code).toBe('db-permission');
      const denied = await failure(agent.deleteMany(['by-agent']));
      expect(denied.code).toBe('db-permission');
      expect(denied.message).not.toContain('agent-pw-123');
    } finally {
      await agent.close();
    }
    // A new database the agent cannot migrate: said so, with who can.
    const empty = await server.createDatabase();
    await server.sql(
      `grant connect on database "${dbName(empty)}" to agent; revoke create on schema public from public`,
      dbName(empty),
    );
    const e = await failure(
      PostgresResultsRepository.open(server.urlFor(dbName(empty), { user: 'agent', password: 'agent-pw-123' })),
    );
    expect(e.code).toBe('db-schema');
    expect(e.message).toMatch(/user 'agent' may not change it .*run the studio once as the database's owner/);
  });
});

describe('the same answers as the folder store', () => {
  const filters: ResultFilter[] = [
    {},
    { target: 'bottleneck' },
    { target: 'BOTTLENECK' },
    { target: 'resnet50/keras' },
    { target: 'net.onnx' },
    { target: '/models/net.onnx' },
    { target: 'nothing-like-it' },
    { backend: 'ort-cuda' },
    { status: 'failed' },
    { status: 'cancelled' },
    { group: 'g1' },
    { since: '2025-06-01' },
    { until: '2025-05-31' },
    { since: '2025-06-02', until: '2025-06-02' },
    { since: '2025-06-04T12:00:00Z', until: new Date('2025-06-05T00:00:00Z') },
    { target: 'bottleneck', backend: 'ort-cpu', status: 'ok', since: '2025-05-01' },
  ];

  it('lists, loads, gets and deletes like the folder, summaries field for field', async () => {
    const { url, repo } = await fresh();
    const folder = new FolderResultsRepository(join(scratch, 'agree'));
    const set = resultSet();
    // Half saved one by one, half added at once: both paths make the same rows.
    for (const r of set.slice(0, 6)) {
      await folder.save(r);
      await repo.save(r);
    }
    await folder.addMany(set.slice(6));
    expect((await repo.addMany(set.slice(6))).added).toHaveLength(set.length - 6);
    const noFile = <T extends { file: string }>(xs: T[]) => xs.map(({ file: _f, ...rest }) => rest);
    for (const f of filters) {
      const [a, b] = [await folder.list(f), await repo.list(f)];
      expect(b.problems, JSON.stringify(f)).toEqual([]);
      expect(noFile(b.results), JSON.stringify(f)).toEqual(noFile(a.results));
      expect((await repo.load(f)).results, JSON.stringify(f)).toEqual((await folder.load(f)).results);
    }
    expect((await repo.list({ target: 'net.onnx' })).results.map((s) => s.id)).toEqual(['f1', 'f2']);
    expect((await repo.list({ since: '2025-06-04T12:00:00Z' })).results.map((s) => s.id).slice(0, 2)).toEqual([
      'same-time-a',
      'same-time-b',
    ]);
    expect((await repo.list()).results[0].file).toBe('db:bneck-laptop');
    // A bad date: the folder's own message.
    await expect(repo.list({ since: 'last tuesday' })).rejects.toThrow(/'last tuesday' is not a date or time/);

    expect(await repo.getMany(['incep', 'f1'])).toEqual(await folder.getMany(['incep', 'f1']));
    const missing = await failure(repo.getMany(['incep', 'nope']));
    expect(missing.code).toBe('not-found');
    expect(missing.message).toBe(`no result with id 'nope' in ${repo.location}`);
    expect(missing.message).not.toContain(server.password);
    await expect(repo.getMany(['../etc'])).rejects.toThrow(/cannot name a file/);

    expect(await repo.deleteMany(['sep', 'nope', 'incep', 'sep'])).toEqual(['sep', 'incep']);
    expect(await folder.deleteMany(['sep', 'nope', 'incep', 'sep'])).toEqual(['sep', 'incep']);
    expect(noFile((await repo.list()).results)).toEqual(noFile((await folder.list()).results));

    // The indexed columns: the shared series and machine keys, the versions, the parameters.
    const row = await server.sql(
      `select series_key, machine_key, studio_version, runtime_version, params::text from studio.results where id = 'bneck-4t'`,
      dbName(url),
    );
    const r = set.find((x) => x.id === 'bneck-4t')!;
    expect(row.trim().split('|')).toEqual([seriesKeyOf(r), machineKeyOf(r.machine), '0.1.0', '1.30.0', '{"mid": 64}']);
  });

  it('save replaces a result with the same id; addMany keeps what is there and the exact text given', async () => {
    const { url, repo } = await fresh();
    await repo.save(fakeResult({ id: 'x', medianMs: 1 }));
    await repo.save(fakeResult({ id: 'x', medianMs: 2, createdAt: '2025-07-01T00:00:00.000Z' }));
    const [x] = await repo.getMany(['x']);
    expect(x.stats!.p50).toBeCloseTo(2, 1);
    expect((await repo.list()).results.map((s) => s.createdAt)).toEqual(['2025-07-01T00:00:00.000Z']);

    // Texts as another tool wrote them: compact, a byte-order mark, odd number spelling.
    const a = fakeResult({ id: 'text-a' });
    const b = fakeResult({ id: 'text-b' });
    const texts = [
      JSON.stringify(a),
      '\ufeff' + toJsonText(b).replace('"studioVersion": "0.1.0"', '"studioVersion":   "0.1.0"'),
    ];
    expect(await repo.addMany([a, b, a], [...texts, texts[0]])).toEqual({
      added: ['text-a', 'text-b'],
      existing: ['text-a'],
    });
    expect(await repo.textsOf(['text-a', 'text-b'])).toEqual(
      new Map([
        ['text-a', texts[0]],
        ['text-b', texts[1]],
      ]),
    );
    expect(await repo.getMany(['text-b'])).toEqual([b]);
    // Pushing the same again adds nothing and changes nothing, even with other texts.
    expect(await repo.addMany([a, b])).toEqual({ added: [], existing: ['text-a', 'text-b'] });
    expect((await repo.textsOf(['text-a'])).get('text-a')).toBe(texts[0]);
    expect(await server.sql(`select doc->>'id' from studio.results where id = 'text-b'`, dbName(url))).toBe('text-b\n');
  });

  it('refuses invalid or unstorable results before writing anything', async () => {
    const { repo } = await fresh();
    const good = fakeResult({ id: 'good' });
    const nul = fakeResult({ id: 'nul', label: 'a\u0000b' });
    await expect(repo.addMany([good, nul])).rejects.toThrow(
      /nothing was added: nul: the document holds a NUL character/,
    );
    await expect(
      repo.addMany([good, fakeResult({ id: 'other' })], [toJsonText(good), toJsonText(good)]),
    ).rejects.toThrow(/the text given is the document of 'good', not of 'other'/);
    await expect(repo.addMany([fakeResult({ id: '../up' })])).rejects.toThrow(/cannot name a file/);
    await expect(repo.save({ ...good, job: { ...good.job, batch: 'one' } } as never)).rejects.toThrow(
      /refusing to save an invalid result: job.batch/,
    );
    expect((await repo.list()).results).toEqual([]);
  });

  it('stores one result per fleet job', async () => {
    const { repo } = await fresh();
    const fleet = {
      jobId: 'job-42',
      agent: 'gpu-box',
      host: 'h',
      queue: 'agent.gpu-box',
      attempt: 1,
      runId: 'r',
      requestedBy: 'me',
    };
    const doc = (id: string) => toJsonText({ ...fakeResult({ id }), fleet });
    const [a, b] = [fakeResult({ id: 'fleet-a' }), fakeResult({ id: 'fleet-b' })];
    expect(await repo.addMany([a], [doc('fleet-a')])).toEqual({ added: ['fleet-a'], existing: [] });
    // The agent wrote the same job's result again under another id after a reconnection: not added.
    expect(await repo.addMany([b], [doc('fleet-b')])).toEqual({ added: [], existing: ['fleet-b'] });
    expect((await repo.list()).results.map((s) => s.id)).toEqual(['fleet-a']);
  });

  it('imports a report like the folder does', async () => {
    const { repo } = await fresh();
    const set = fakeReportSet().slice(0, 3);
    await repo.save(set[0]);
    await repo.save({ ...set[1], label: 'changed' });
    const file = join(scratch, 'report.json');
    writeFileSync(
      file,
      JSON.stringify({
        schema: 'bottleneck-studio/report',
        version: 1,
        createdAt: '',
        studioVersion: '0.1.0',
        title: 't',
        results: set,
      }),
    );
    expect(await repo.importReport(file)).toEqual({
      source: 'report.json',
      added: [set[2].id],
      skipped: [
        { id: set[0].id, reason: 'already in the database' },
        { id: set[1].id, reason: 'a different result with this id is already in the database; not replaced' },
      ],
    });
    writeFileSync(file, JSON.stringify({ schema: 'bottleneck-studio/report', version: 1, results: [{ id: 'junk' }] }));
    await expect(repo.importReport(file)).rejects.toThrow(/1 of 1 results are invalid, nothing was imported/);
  });

  it("lists a newer studio's row as a problem, never misreads it", async () => {
    const { url, repo } = await fresh();
    await repo.save(fakeResult({ id: 'now' }));
    await repo.save(fakeResult({ id: 'later' }));
    await server.sql(
      `update studio.results set result_version = 2, doc_text = replace(doc_text, '"version": 1,', '"version": 2,') where id = 'later'`,
      dbName(url),
    );
    const listed = await repo.list();
    expect(listed.results.map((s) => s.id)).toEqual(['now']);
    expect(listed.problems).toEqual([
      { file: 'db:later', reason: expect.stringMatching(/written by a newer Bottleneck Studio/) },
    ]);
    const loaded = await repo.load();
    expect(loaded.results.map((r) => r.id)).toEqual(['now']);
    expect(loaded.problems[0].reason).toMatch(/newer Bottleneck Studio/);
    await expect(repo.getMany(['later'])).rejects.toThrow(/result 'later' .* cannot be read: written by a newer/);
  });

  it('reads documents page by page in order (what pull uses)', async () => {
    const { repo } = await fresh();
    const rs = Array.from({ length: 23 }, (_, i) =>
      fakeResult({
        id: `p${String(i).padStart(2, '0')}`,
        createdAt: `2025-06-${String((i % 5) + 1).padStart(2, '0')}T00:00:00.000Z`,
        n: 10,
      }),
    );
    await repo.addMany(rs);
    const pages: string[][] = [];
    for await (const page of repo.documents({}, 5)) pages.push(page.map((d) => d.id));
    expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
    expect(pages.flat()).toEqual((await repo.list()).results.map((s) => s.id));
    const some: string[] = [];
    for await (const page of repo.documents({ since: '2025-06-04' }, 2)) some.push(...page.map((d) => d.id));
    expect(some).toEqual((await repo.list({ since: '2025-06-04' })).results.map((s) => s.id));
  });
});

describe('clear errors, never the password', () => {
  it('wrong password, unreachable server, missing database, not PostgreSQL', async () => {
    const url = await server.createDatabase();
    const db = dbName(url);
    const wrong = server.urlFor(db, { user: server.user, password: 'Wrong-Passw0rd' });
    let e = await failure(PostgresResultsRepository.open(wrong));
    expect(e).toBeInstanceOf(StudioError);
    expect(e.code).toBe('db-auth');
    expect(e.message).toMatch(/password authentication failed for user 'studio'/);
    expect(e.message).not.toContain('Wrong-Passw0rd');

    const { freePort } = await import('./helpers/postgres.js');
    const port = await freePort();
    const started = Date.now();
    e = await failure(PostgresResultsRepository.open(`postgres://studio:${server.password}@127.0.0.1:${port}/${db}`));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(e.code).toBe('db-unreachable');
    expect(e.message).toBe(
      `cannot reach the database at postgres://studio@127.0.0.1:${port}/${db}: connection refused — is PostgreSQL running and is the URL right?`,
    );

    e = await failure(PostgresResultsRepository.open(server.urlFor('no_such_db')));
    expect(e.code).toBe('db-missing');
    expect(e.message).toMatch(/database "no_such_db" does not exist .* create it/);
    expect(e.message).not.toContain(server.password);

    e = await failure(PostgresResultsRepository.open(`postgres://studio:${server.password}@127.0.0.1:${port}x/db`));
    expect(e.code).toBe('db-url');
    expect(e.message).not.toContain(server.password);
  });

  it('location and summaries never hold the password', async () => {
    const { repo } = await fresh();
    expect(repo.location).toMatch(/^postgres:\/\/studio@127\.0\.0\.1:\d+\/t/);
    expect(repo.location).not.toContain(server.password);
    const saved = await repo.save(fakeResult({ id: 'loc' }));
    expect(saved.location).toBe(`${repo.location}#loc`);
    expect(JSON.stringify(await repo.list())).not.toContain(server.password);
  });
});

describe('a server restart', () => {
  it('is ridden through: idle connections dropped without a crash, the next operations reconnect', async () => {
    const { repo } = await fresh();
    await repo.addMany([fakeResult({ id: 'before' })]);
    const idleErrors: string[] = [];
    repo.pool.on('error', (e) => idleErrors.push(e.message));
    const restarting = server.restart(800);
    // Operations while the server is down wait for it (within retryForMs) instead of failing.
    await new Promise((r) => setTimeout(r, 150));
    const during = repo.addMany([fakeResult({ id: 'during', machine: fakeMachine({ gpus: [] }) })]);
    await restarting;
    expect(await during).toEqual({ added: ['during'], existing: [] });
    expect((await repo.list()).results.map((s) => s.id).sort()).toEqual(['before', 'during']);
    expect(idleErrors.join(' ')).not.toContain(server.password);
  }, 60_000);
});

describe('TLS', () => {
  it('verifies the server with the CA of sslrootcert or BOTTLENECK_DB_SSL_CA, and refuses an untrusted one', async () => {
    const { certDir } = await enableTls();
    const url = await server.createDatabase();
    const ca = join(certDir, 'ca.crt');
    const tlsOf = async (repo: PostgresResultsRepository) =>
      (await repo.pool.query('select ssl from pg_stat_ssl where pid = pg_backend_pid()')).rows[0].ssl;

    const viaUrl = await PostgresResultsRepository.open(
      `${url}?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`,
    );
    expect(await tlsOf(viaUrl)).toBe(true);
    expect(viaUrl.location).toMatch(/\?sslmode=verify-full&sslrootcert=/);
    await viaUrl.close();

    const viaEnv = await PostgresResultsRepository.open(url, { env: { BOTTLENECK_DB_SSL_CA: ca } });
    expect(await tlsOf(viaEnv)).toBe(true);
    await viaEnv.close();

    const plain = await PostgresResultsRepository.open(url, { env: {} });
    expect(await tlsOf(plain)).toBe(false);
    await plain.close();

    const e = await failure(PostgresResultsRepository.open(`${url}?sslmode=verify-full`));
    expect(e.code).toBe('db-tls');
    expect(e.message).toMatch(
      /^TLS with the database at postgres:\/\/studio@127.*failed: (self[- ]signed certificate|unable to verify).*sslrootcert=FILE/,
    );
    expect(e.message).not.toContain(server.password);

    const missing = await failure(
      PostgresResultsRepository.open(url, { env: { BOTTLENECK_DB_SSL_CA: '/no/such/ca.pem' } }),
    );
    expect(missing.code).toBe('db-tls');
    expect(missing.message).toMatch(/BOTTLENECK_DB_SSL_CA names \/no\/such\/ca.pem, which cannot be read/);
  }, 60_000);
});

/** Turns TLS on in the test server: a CA, a certificate for 127.0.0.1 signed by it, a reload. */
async function enableTls(): Promise<{ certDir: string }> {
  const { execFileSync } = await import('node:child_process');
  const { chownSync, chmodSync, copyFileSync } = await import('node:fs');
  const certDir = mkdtempSync(join(scratch, 'certs-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: certDir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=studio-test-ca', '-days', '2');
  ssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(certDir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  ssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  );
  // The server reads its key as its own user (postgres when these tests run as root), mode 0600.
  for (const f of ['server.crt', 'server.key']) {
    copyFileSync(join(certDir, f), join(server.dir, f));
    chmodSync(join(server.dir, f), 0o600);
    if (process.getuid?.() === 0) {
      const [uid, gid] = ['-u', '-g'].map((o) => Number(execFileSync('id', [o, 'postgres']).toString().trim()));
      chownSync(join(server.dir, f), uid, gid);
    }
  }
  await server.sql(`alter system set ssl_cert_file = '${join(server.dir, 'server.crt')}'`);
  await server.sql(`alter system set ssl_key_file = '${join(server.dir, 'server.key')}'`);
  await server.sql(`alter system set ssl = on`);
  await server.sql('select pg_reload_conf()');
  return { certDir };
}

function dbName(url: string): string {
  return new URL(url).pathname.slice(1);
}
