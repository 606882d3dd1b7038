// `results list` over a big history: the table shows the newest rows (500 by default, --limit n) and
// says how many more there are; --json lists all unless --limit is given; a bad --limit is refused.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ResultsStore } from '../main/store/results-store.js';
import { fakeResult } from './helpers/fake-results.js';
import { cli, cliJson } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'cli-results-limit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const store = new ResultsStore(dir);
for (let i = 0; i < 5; i++)
  store.save(fakeResult({ id: `r${i}`, createdAt: `2026-12-0${i + 1}T10:00:00.000Z`, medianMs: 1 + i }));

describe('results list --limit', () => {
  it('shows the newest n, oldest first, and how many more there are', () => {
    const r = cli(['results', 'list', '--results', dir, '--limit', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/r3[\s\S]*r4/);
    expect(r.stdout).not.toMatch(/\br[012]\b/);
    expect(r.stdout).toContain('(the newest 2 of 5: --limit 0 lists all');
  });

  it('--json lists all unless --limit is given, and then says the total', () => {
    const all = cliJson(['results', 'list', '--results', dir]) as { results: unknown[] };
    expect(all.results).toHaveLength(5);
    const some = cliJson(['results', 'list', '--results', dir, '--limit', '3']) as {
      results: { id: string }[];
      total: number;
    };
    expect(some.results.map((x) => x.id)).toEqual(['r2', 'r3', 'r4']);
    expect(some.total).toBe(5);
  });

  it('refuses a --limit that is not a whole number', () => {
    const r = cli(['results', 'list', '--results', dir, '--limit', 'lots']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--limit must be a whole number \(0: all\), got 'lots'/);
  });
});
