/// <reference lib="dom" />
// End to end with a real team database (issue 20): a private PostgreSQL holding a pushed history with
// an injected 15% slowdown, a real fleet agent (a CLI child process on pg-boss), and the web mode in
// headless Chromium connected to that database through the Results database card, as a user does it.
// The Fleet view shows the agent idle, then busy with a job queued from the CLI (`bench --on`), and the
// History view reads the database's series, the agent's new result among them. Screenshots:
// test-results/screenshots/fleet-database-*.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { PostgresResultsRepository } from '../main/store/postgres/results-repository.js';
import { cliRun, FAST_ENV, query, startAgent, stopAll, until, type Proc } from './fleet-helpers.js';
import { fakeHistory } from './helpers/regression-series.js';
import { startPostgres, type PgServer } from './helpers/postgres.js';
import { startWebStudio, type WebStudio } from './helpers/web-studio.js';

let pg: PgServer;
let url: string;
let studio: WebStudio;
let page: Page;
let agent: Proc | undefined;

beforeAll(async () => {
  pg = await startPostgres();
  url = await pg.createDatabase('team');
  const repo = await PostgresResultsRepository.open(url);
  await repo.addMany(fakeHistory({ prefix: 'team', points: 12, stepAt: 9, stepFactor: 1.15, seed: 11 }));
  await repo.close();
  studio = await startWebStudio('studio-e2e-fleet-db');
  agent = await startAgent(url, 'ws-1', ['cpu', 'lab'], studio.tmp);
  page = await studio.open();
}, 240_000);

afterAll(async () => {
  await stopAll([agent]);
  await studio?.close();
  await pg?.stop();
});

describe('a team database in the app (web mode, headless Chromium, real PostgreSQL and agent)', () => {
  it('connects from the Results database card; Fleet shows the agent idle, then busy with a job from the CLI', async () => {
    await studio.view(page, 'Fleet');
    const card = page.locator('.results-source');
    await card.getByRole('button', { name: 'Change…' }).click();
    await card.getByLabel('PostgreSQL URL').fill(url);
    await card.getByRole('button', { name: 'Connect' }).click();
    await expect.poll(() => card.getByTestId('results-source').textContent(), { timeout: 30_000 }).toContain('team');
    // The password never reaches the page.
    expect(await page.locator('main').textContent()).not.toContain(pg.password);

    const row = page.locator('.agent-row[data-agent="ws-1"]');
    await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1);
    await expect.poll(() => row.locator('.agent-state--idle').count(), { timeout: 20_000 }).toBe(1);
    expect(await row.textContent()).toMatch(/cpu/);
    await studio.shot(page, 'fleet-database-idle');

    // A job long enough to be seen running, queued from another "machine" (the CLI).
    const queued = await cliRun(
      // A block of a few milliseconds a run, so that the runs cap (100,000) leaves it its minimum time.
      [
        'bench',
        'bottleneck',
        '--warmup-runs',
        '1',
        '--min-time',
        '8',
        '--max-time',
        '10',
        '--on',
        'tag:cpu',
        '--db',
        url,
        '--detach',
        '--json',
      ],
      FAST_ENV,
    );
    expect(queued.code, queued.stderr).toBe(0);
    const { runId } = JSON.parse(queued.stdout) as { runId: string };
    // The view re-reads the fleet every few seconds while it is shown.
    await expect.poll(() => row.locator('.agent-state--busy').count(), { timeout: 30_000 }).toBe(1);
    await studio.shot(page, 'fleet-database-busy');

    // The job ends with its result in the database, saved with the agent's fleet record.
    const [saved] = await until(
      async () => {
        const rows = await query<{ id: string; agent: string }>(
          url,
          `SELECT id, doc->'fleet'->>'agent' AS agent FROM studio.results WHERE group_id = $1 AND job_id IS NOT NULL`,
          [runId],
        );
        return rows.length ? rows : undefined;
      },
      60_000,
      500,
    );
    expect(saved.agent).toBe('ws-1');
    await expect.poll(() => row.locator('.agent-state--idle').count(), { timeout: 30_000 }).toBe(1);
  }, 180_000);

  it('queues a benchmark on the fleet from the app, sees the run, and cancels it from the app', async () => {
    await studio.view(page, 'Fleet');
    const form = page.getByRole('form', { name: 'queue a benchmark on the fleet' });
    // A block of a few milliseconds a run: the runs cap (100,000) must not end it before the minimum time.
    await form.getByLabel('Targets').fill('bottleneck');
    await form.getByLabel('On (agents, tag:TAG)').fill('ws-1');
    await form.getByLabel('Min time (s)').fill('40');
    await form.getByLabel('Max time (s)').fill('50');
    await form.getByRole('button', { name: 'Queue' }).click();
    // Newest first: the app's run above the one queued from the CLI before.
    await expect.poll(() => page.locator('.fleet-run').count(), { timeout: 20_000 }).toBe(2);
    const runId = await page.locator('.fleet-run').first().getAttribute('data-run');
    const run = page.locator(`.fleet-run[data-run="${runId}"]`);
    const row = page.locator('.agent-row[data-agent="ws-1"]');
    // The agent takes it (said by the database first: on a loaded machine the worker starts slowly).
    const [taken] = await until(
      async () => {
        const rows = await query<{ started: boolean; outcome: string | null; reason: string | null }>(
          url,
          `SELECT started_at IS NOT NULL AS started, outcome, reason FROM fleet.jobs WHERE run_id = $1`,
          [runId],
        );
        return rows[0]?.started || rows[0]?.outcome ? rows : undefined;
      },
      60_000,
      300,
    );
    expect(taken.outcome, `the job ended before it could be cancelled: ${taken.reason}\n${agent?.stderr}`).toBeNull();
    await expect.poll(() => row.locator('.agent-state--busy').count(), { timeout: 30_000 }).toBe(1);
    await studio.shot(page, 'fleet-database-queued');
    await run.getByRole('button', { name: `cancel ${runId}` }).click();
    // The agent stops the running job: recorded as cancelled, the agent idle again.
    await until(
      async () =>
        (await query(url, `SELECT 1 FROM fleet.jobs WHERE run_id = $1 AND outcome = 'cancelled'`, [runId])).length,
      30_000,
      300,
    );
    await expect.poll(() => row.locator('.agent-state--idle').count(), { timeout: 30_000 }).toBe(1);
    await expect.poll(() => run.locator('td.num').nth(4).textContent(), { timeout: 20_000 }).toBe('1');
    await studio.shot(page, 'fleet-database-cancelled');
  }, 120_000);

  it('History reads the database: the pushed series with its flagged slowdown, and the agent’s result', async () => {
    await studio.view(page, 'History');
    await expect.poll(() => page.locator('.series-item').count(), { timeout: 20_000 }).toBe(2);
    await page.locator('.series-item', { hasText: '12 results' }).click();
    await expect.poll(() => page.locator('.regression-row').count()).toBe(1);
    expect(await page.locator('.regression-row').textContent()).toMatch(/\+1[3-7]\.\d% slower/);
    await studio.shot(page, 'fleet-database-history');
    expect(studio.problems).toEqual([]);
    expect(studio.foreign).toEqual([]);
  }, 60_000);
});
