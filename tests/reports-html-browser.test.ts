// The HTML report opened from a file:// URL in headless Chromium with the network blocked: the
// three charts must draw, nothing may be fetched, nothing may log an error. Saves a screenshot
// (test-results/report.png) for people to look at.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportReport } from '../main/reports/index.js';
import type { BenchResult } from '../shared/contract/result.js';
import { launchChromium } from './helpers/chromium.js';
import { fakeReportSet, fakeResult } from './helpers/fake-results.js';

let browser: Browser;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'studio-html-'));
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Opened {
  page: Page;
  errors: string[];
  external: string[];
}

async function open(results: BenchResult[], name: string): Promise<Opened> {
  const file = join(dir, name);
  exportReport(results, file, undefined, { createdAt: '2025-06-01T12:00:00.000Z', title: 'Bottleneck comparison' });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  const opened: Opened = { page: await context.newPage(), errors: [], external: [] };
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    opened.external.push(url);
    return route.abort();
  });
  opened.page.on('request', (r) => {
    if (!r.url().startsWith('file:')) opened.external.push(r.url());
  });
  opened.page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') opened.errors.push(`${m.type()}: ${m.text()}`);
  });
  opened.page.on('pageerror', (e) => opened.errors.push(`page error: ${e.message}`));
  await opened.page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return opened;
}

/** Per chart canvas: the Chart.js instance's type and data points, and how much of the canvas is painted. */
const PROBE = `(() => ['chart-latency', 'chart-histogram', 'chart-macs'].map((id) => {
  const chart = window.Chart && window.Chart.getChart(id);
  const canvas = document.getElementById(id);
  if (!chart || !canvas) return { id, type: null, points: 0, painted: 0 };
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
  return {
    id,
    type: chart.config.type,
    points: chart.data.datasets.reduce((s, d) => s + d.data.length, 0),
    painted: painted / (pixels.length / 4),
  };
}))()`;

describe('HTML report in headless Chromium', () => {
  it('draws its three charts offline, with no errors and no requests, and sorts its table', async () => {
    const { page, errors, external } = await open(fakeReportSet(), 'report.html');
    await page.waitForFunction('window.Chart && Object.keys(window.Chart.instances).length === 3', null, {
      timeout: 10_000,
    });
    const charts = (await page.evaluate(PROBE)) as { id: string; type: string; points: number; painted: number }[];
    expect(charts.map((c) => [c.id, c.type])).toEqual([
      ['chart-latency', 'bar'],
      ['chart-histogram', 'bar'],
      ['chart-macs', 'scatter'],
    ]);
    // 7 measured results (the failed one is not charted); a histogram has bins; every result carries MACs.
    expect(charts[0].points).toBe(7);
    expect(charts[1].points).toBeGreaterThanOrEqual(8);
    expect(charts[2].points).toBe(7);
    for (const c of charts) expect(c.painted, `${c.id} is blank`).toBeGreaterThan(0.02);

    // The latency chart's whiskers are the medians' confidence intervals.
    const ci = (await page.evaluate(`window.Chart.getChart('chart-latency').data.datasets[0].ci`)) as number[][];
    const medians = (await page.evaluate(`window.Chart.getChart('chart-latency').data.datasets[0].data`)) as number[];
    ci.forEach(([low, high], i) => expect(low <= medians[i] && medians[i] <= high).toBe(true));

    // The results table: every result, failures included; sorting by p50 orders the rows.
    const table = page.locator('#results-table');
    expect(await table.locator('tbody tr').count()).toBe(8);
    await table.locator('thead th', { hasText: /^p50$/ }).click();
    const p50s = (await page.evaluate(`(() => {
      const col = [...document.querySelectorAll('#results-table thead th')].findIndex((th) => th.textContent === 'p50');
      return [...document.querySelectorAll('#results-table tbody tr')].map((tr) => tr.cells[col].dataset.v);
    })()`)) as string[];
    const numbers = p50s.filter((v) => v !== '').map(Number);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(p50s[p50s.length - 1]).toBe(''); // the failed result (no p50) sorts last
    await table.locator('thead th', { hasText: /^Target$/ }).click();

    // The histogram follows the chosen result.
    const before = await page.evaluate(
      `JSON.stringify(window.Chart.getChart('chart-histogram').data.datasets[0].data)`,
    );
    await page.selectOption('#hist-select', { index: 4 });
    const after = await page.evaluate(`JSON.stringify(window.Chart.getChart('chart-histogram').data.datasets[0].data)`);
    expect(after).not.toBe(before);
    await page.selectOption('#hist-select', { index: 0 });

    // Machines, flags and failures are on the page.
    const text = await page.locator('body').innerText();
    expect(text).toContain('Core i7-1185G7');
    expect(text).toContain('Ryzen 9 7950X');
    expect(text).toMatch(/high variation: coefficient of variation/);
    expect(text).toContain('the CUDA execution provider is not installed');

    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/report.png', fullPage: true });
    expect(external).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('shows hostile labels as text: no markup or script from the data runs', async () => {
    const label = `evil</script><script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> & "quotes"`;
    const { page, errors, external } = await open([fakeResult({ id: 'evil', label })], 'hostile.html');
    await page.waitForFunction('window.Chart && Object.keys(window.Chart.instances).length === 3');
    expect(await page.evaluate('window.pwned')).toBeUndefined();
    const cell = page.locator('#results-table tbody td').first();
    expect(await cell.getAttribute('title')).toBe(`${label} (id evil)`);
    expect(await page.evaluate(`window.Chart.getChart('chart-latency').data.labels[0]`)).toBe(label);
    expect(external).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('says so instead of drawing when nothing was measured', async () => {
    const { page, errors } = await open([fakeResult({ id: 'f', status: 'failed' })], 'failed.html');
    await page.waitForLoadState('load');
    expect(await page.locator('.chart.empty').count()).toBe(3);
    expect(await page.locator('#failures-table tbody tr').count()).toBe(1);
    expect(errors).toEqual([]);
  });
});
