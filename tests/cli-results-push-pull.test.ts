// `results push` and `results pull` through the CLI, as a user runs them, against a real PostgreSQL 15
// server of this test file: a folder pushed and pulled back gives byte-identical files; pushing or
// pulling twice adds nothing; a wrong password or an unreachable server is one clear line on stderr,
// a non-zero exit, no password anywhere, and the local folder untouched.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultsStore } from '../main/store/results-store.js';
import { cli } from './helpers/cli.js';
import { fakeReportSet, fakeResult } from './helpers/fake-results.js';
import { freePort, startPostgres, type PgServer } from './helpers/postgres.js';

let server: PgServer;
let url: string;
let scratch: string;
let source: string;

/** Every file of a folder with its bytes (hidden index files aside). */
function filesOf(dir: string): Map<string, string> {
  return new Map(
    readdirSync(dir)
      .filter((f) => !f.startsWith('.'))
      .sort()
      .map((f) => [f, readFileSync(join(dir, f)).toString('base64')]),
  );
}

/** A folder's names, sizes and modification times: what "untouched" means. */
function snapshot(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .map((f) => {
      const st = statSync(join(dir, f));
      return `${f} ${st.size} ${st.mtimeMs}`;
    });
}

/** Runs with --json: the parsed document, after checking a clean exit. */
function json(args: string[], env: Record<string, string> = {}) {
  const r = cli([...args, '--json'], { BOTTLENECK_DB: '', ...env });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

beforeAll(async () => {
  server = await startPostgres();
  url = await server.createDatabase();
  scratch = mkdtempSync(join(tmpdir(), 'studio-push-pull-'));
  source = join(scratch, 'source');
  const store = new ResultsStore(source);
  for (const r of fakeReportSet()) store.save(r);
  // Written by another tool: compact, no final newline. Pulled back, it must be these very bytes.
  const other = fakeResult({ id: 'compact', createdAt: '2025-06-07T07:07:07.000Z' });
  writeFileSync(join(source, '2025-06-07_compact.json'), JSON.stringify(other));
  // Not a result: listed as a problem, not pushed.
  writeFileSync(join(source, '2025-06-08_broken.json'), '{"schema": "bottleneck-studio/result", ');
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('results push / pull', () => {
  it('pushes a folder, adds nothing the second time, and pulls it back byte for byte', () => {
    const count = fakeReportSet().length + 1;
    const pushed = json(['results', 'push', '--db', url, '--results', source]);
    expect(pushed).toMatchObject({ added: count, existing: 0, differing: [] });
    expect(pushed.problems).toEqual([{ file: '2025-06-08_broken.json', reason: expect.stringMatching(/truncated/) }]);
    expect(pushed.database).toBe(url.replace(`:${server.password}@`, '@'));
    expect(JSON.stringify(pushed)).not.toContain(server.password);

    // Again, through BOTTLENECK_DB this time: nothing added.
    const again = json(['results', 'push', '--results', source], { BOTTLENECK_DB: url });
    expect(again).toMatchObject({ added: 0, existing: count, differing: [] });

    const out = join(scratch, 'pulled');
    const pulled = json(['results', 'pull', '--db', url, '--out', out]);
    expect(pulled).toMatchObject({ added: count, existing: 0, differing: [], problems: [] });
    const want = filesOf(source);
    want.delete('2025-06-08_broken.json');
    expect(filesOf(out)).toEqual(want);
    expect(readFileSync(join(out, '2025-06-07_compact.json'), 'utf8')).not.toContain('\n');

    // A second pull keeps what is there; a filtered pull into a new folder takes only its results.
    expect(json(['results', 'pull', '--db', url, '--out', out])).toMatchObject({ added: 0, existing: count });
    const cuda = join(scratch, 'cuda');
    expect(json(['results', 'pull', '--db', url, '--out', cuda, '--backend', 'ort-cuda'])).toMatchObject({ added: 2 });
    expect([...filesOf(cuda).keys()]).toEqual(['2025-06-01_rn50-cuda.json', '2025-06-01_xcep-cuda.json']);
  });

  it('keeps a different local result with the same id, and says so', () => {
    const out = join(scratch, 'local-edit');
    const store = new ResultsStore(out);
    store.save({ ...fakeReportSet()[0], label: 'edited here' });
    const before = readFileSync(join(out, readdirSync(out)[0]));
    const r = cli(['results', 'pull', '--db', url, '--out', out, '--target', 'bottleneck'], { BOTTLENECK_DB: '' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /pulled 3 result\(s\) from postgres:\/\/studio@127\.0\.0\.1:\d+\/\S+ to .*local-edit; 1 already there/,
    );
    expect(r.stderr).toMatch(/warning: 1 result\(s\) have the same id as a different document .*: bneck-1t/);
    expect(
      readFileSync(
        join(
          out,
          readdirSync(out).find((f) => f.endsWith('bneck-1t.json'))!,
        ),
      ),
    ).toEqual(before);
  });

  it('a wrong password or an unreachable server: a clear error, exit 2, no password, the folder untouched', async () => {
    const db = new URL(url).pathname.slice(1);
    const wrong = server.urlFor(db, { user: 'studio', password: 'Not-The-Passw0rd' });
    const before = snapshot(source);
    let r = cli(['results', 'push', '--db', wrong, '--results', source], { BOTTLENECK_DB: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^error: password authentication failed for user 'studio' at the database at postgres:\/\/studio@127/,
    );
    expect(r.stderr + r.stdout).not.toContain('Not-The-Passw0rd');
    expect(snapshot(source)).toEqual(before);

    const out = join(scratch, 'never-made');
    r = cli(['results', 'pull', '--db', wrong, '--out', out], { BOTTLENECK_DB: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/password authentication failed/);
    expect(existsSync(out)).toBe(false);

    const port = await freePort();
    r = cli(['results', 'pull', '--out', out, '--json'], {
      BOTTLENECK_DB: `postgres://studio:${server.password}@127.0.0.1:${port}/${db}`,
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `error: cannot reach the database at postgres://studio@127.0.0.1:${port}/${db}: connection refused — is PostgreSQL running and is the URL right? (the database URL is BOTTLENECK_DB's)`,
    );
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);

    r = cli(['results', 'push', '--results', source], { BOTTLENECK_DB: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/results push needs a database: --db postgres:\/\/.* or BOTTLENECK_DB/);
    r = cli(['results', 'push', '--db', 'mysql://root:hunter22@h/db', '--results', source], { BOTTLENECK_DB: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not a PostgreSQL URL: expected postgres:\/\//);
    expect(r.stderr).not.toContain('hunter22');
    expect(snapshot(source)).toEqual(before);
  });
});
