/// <reference lib="dom" />
// End to end, in the web mode in headless Chromium (issue 20): the History view over a seeded results
// folder (a series with an injected 15% slowdown, the same configuration on a second machine, a
// noise-only series), its flagged point compared with its baseline and opened in Results; the Fleet
// view without a database (the commands that start one) with the same suite across machines and a
// link to each machine's history; the Results database card refusing a database it cannot reach.
// Screenshots land in test-results/screenshots/history-*.png and fleet-*.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ResultsStore } from '../main/store/results-store.js';
import type { MachineProfile } from '../shared/contract/machine.js';
import { fakeMachine } from './helpers/fake-results.js';
import { fakeHistory } from './helpers/regression-series.js';
import { startWebStudio, type WebStudio } from './helpers/web-studio.js';

let studio: WebStudio;
let page: Page;

const roofline = (peak: number, bw: number): NonNullable<MachineProfile['roofline']> => ({
  isa: 'avx2',
  threads: 8,
  peakGflops: { oneThread: peak / 8, allThreads: peak },
  triadGBps: { oneThread: bw / 2, allThreads: bw },
  ridgeFlopsPerByte: peak / bw,
  measuredAt: '2025-05-30T09:00:00.000Z',
});
const workstation = fakeMachine({ roofline: roofline(1200, 60) });
const laptop = fakeMachine({
  cpu: {
    manufacturer: 'Intel',
    brand: 'Core i7-1185G7',
    threads: 8,
    physicalCores: 4,
    speedGHz: 3,
    isa: ['avx2', 'fma'],
    cache: {},
  },
  memory: { totalBytes: 16 * 2 ** 30 },
  gpus: [],
  roofline: roofline(300, 25),
});

beforeAll(async () => {
  studio = await startWebStudio('studio-e2e-history');
  const store = new ResultsStore(studio.server.resultsDir);
  const inception = { kind: 'block' as const, name: 'inception', params: {} };
  for (const r of [
    ...fakeHistory({ prefix: 'step', points: 14, stepAt: 10, stepFactor: 1.15, seed: 3, machine: workstation }),
    ...fakeHistory({ prefix: 'laptop', points: 5, medianMs: 2.9, seed: 7, machine: laptop }),
    ...fakeHistory({ prefix: 'noise', points: 8, threads: 4, medianMs: 0.62, seed: 5, machine: workstation }),
    ...fakeHistory({
      prefix: 'incep-ws',
      points: 3,
      target: inception,
      medianMs: 2.3,
      macs: 300e6,
      machine: workstation,
    }),
    ...fakeHistory({ prefix: 'incep-lap', points: 3, target: inception, medianMs: 5.1, macs: 300e6, machine: laptop }),
  ])
    store.save(r);
  page = await studio.open();
}, 180_000);

afterAll(async () => {
  await studio?.close();
});

describe('History and Fleet (web mode, headless Chromium)', () => {
  it('History: the series with the flagged slowdown, its comparison with the baseline, and Show in Results', async () => {
    await studio.view(page, 'History');
    const items = page.locator('.series-item');
    await expect.poll(() => items.count(), { timeout: 30_000 }).toBe(5);
    const stepSeries = items
      .filter({ hasText: 'bottleneck:mid=64 · ort-cpu · batch 1 · 1 thread' })
      .filter({ hasText: 'Ryzen' });
    // Another series first, then the one with the slowdown.
    await items.filter({ hasText: '4 threads' }).click();
    await stepSeries.click();
    await expect
      .poll(() => page.locator('#series-title').textContent())
      .toBe('bottleneck:mid=64 · ort-cpu · batch 1 · 1 thread');
    // The flagged point: a red row in the table, counted in the list.
    const flaggedRow = page.locator('.point-row[data-result="step-10"]');
    expect(await flaggedRow.getAttribute('class')).toContain('point-row--slower');
    expect(await page.locator('.point-row--slower').count()).toBe(1);
    expect(await stepSeries.locator('.series-item__flags').textContent()).toContain('1');

    await flaggedRow.getByRole('button', { name: 'Compare step-10 with its baseline' }).click();
    const cmp = page.getByTestId('point-comparison');
    await expect.poll(() => cmp.isVisible()).toBe(true);
    const heading = await cmp.locator('h3').textContent();
    expect(heading).toMatch(/step-10\s+against its baseline\s+step-09/);
    const ratio = Number((await cmp.getByTestId('comparison-ratio').textContent())!.trim().split(/\s/)[0]);
    expect(ratio).toBeGreaterThan(1.1);
    expect(ratio).toBeLessThan(1.2);
    expect(await cmp.textContent()).toMatch(/p-value/);
    await studio.shot(page, 'history-flagged-comparison');

    // The Regressions list has exactly that one, and its "Show" opens the same comparison.
    const regs = page.locator('.regression-row');
    expect(await regs.count()).toBe(1);
    expect(await regs.first().textContent()).toMatch(/\+1\d\.\d%/);

    await cmp.getByRole('button', { name: 'Show both in Results' }).click();
    await expect.poll(() => page.locator('h1.view__title').textContent()).toBe('Results');
    await expect
      .poll(() => page.getByRole('button', { name: 'Compare selected' }).isEnabled(), { timeout: 15_000 })
      .toBe(true);
    await studio.shot(page, 'history-shown-in-results');
  }, 120_000);

  it('Fleet without a database: the commands to start one, the suite across machines, each machine’s history', async () => {
    await studio.view(page, 'Fleet');
    const agentCmd = page.getByTestId('agent-command');
    await expect
      .poll(() => agentCmd.textContent(), { timeout: 15_000 })
      .toBe('npm run agent -- --db postgres://USER@HOST:5432/DB --name NAME --tags cuda');
    expect(await page.getByTestId('enqueue-command').textContent()).toBe(
      'npm run cli -- bench resnet50 --on NAME --db postgres://USER@HOST:5432/DB',
    );
    expect(await page.locator('.fleet-problem').textContent()).toMatch(/needs a results database/);
    // Across machines: bottleneck and inception on both machines, with GFLOP/s against each roofline.
    const rows = page.locator('.across-row');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2);
    await expect.poll(() => page.locator('.across__roof').count(), { timeout: 15_000 }).toBe(4);
    expect(await rows.first().textContent()).toMatch(/GFLOP\/s.*of roofline/);
    await studio.shot(page, 'fleet-no-database');

    await page.getByRole('button', { name: 'History of Core i7-1185G7' }).click();
    await expect.poll(() => page.locator('h1.view__title').textContent()).toBe('History');
    await expect.poll(() => page.locator('.series-item').count()).toBe(2);
    expect(await page.locator('.machine-filter-note').textContent()).toContain('Core i7-1185G7');
    await studio.shot(page, 'history-one-machine');
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await expect.poll(() => page.locator('.series-item').count()).toBe(5);
  }, 60_000);

  it('Results database: a database that cannot be reached is refused with the reason, the folder stays', async () => {
    await studio.view(page, 'History');
    const card = page.locator('.results-source');
    await expect.poll(() => card.getByTestId('results-source').textContent()).toContain('Local results folder');
    await card.getByRole('button', { name: 'Change…' }).click();
    studio.tolerate = /status of 400/;
    await card.getByLabel('PostgreSQL URL').fill('postgres://bench:s3cret-pw@127.0.0.1:1/results');
    await card.getByRole('button', { name: 'Connect' }).click();
    const refusal = card.locator('.results-source__refusal');
    await expect.poll(() => refusal.textContent(), { timeout: 30_000 }).toMatch(/Not connected: .+not saved/);
    expect(await refusal.textContent()).not.toContain('s3cret-pw');
    expect(await card.getByTestId('results-source').textContent()).toContain('Local results folder');
    await studio.shot(page, 'history-database-refused');
    studio.tolerate = null;
    // The history is still the folder's.
    expect(await page.locator('.series-item').count()).toBe(5);
    // The dark theme: the flagged point and its comparison again.
    await card.getByRole('button', { name: 'Close' }).click();
    await page.locator('#theme-select').selectOption('dark');
    await page
      .locator('.regression-row')
      .getByRole('button', { name: /^Show step-10/ })
      .click();
    await expect.poll(() => page.getByTestId('point-comparison').isVisible()).toBe(true);
    await studio.shot(page, 'history-dark');
    await page.locator('#theme-select').selectOption('system');
    expect(studio.problems).toEqual([]);
    expect(studio.foreign).toEqual([]);
  }, 60_000);
});
