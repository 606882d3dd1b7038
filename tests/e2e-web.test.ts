/// <reference lib="dom" />
// End to end, as a user would: the web mode (`npm run serve`'s server, in-process) with the
// renderer freshly built, driven in headless Chromium. Open the app, look at the machine,
// configure a bottleneck block, open a corrupt and a real ONNX file, run a benchmark on the CPU
// while watching its progress, see the result in the charts, export an HTML report, switch to
// the dark theme. Every view is saved as a screenshot in test-results/screenshots/ (light and
// dark) for people to look at; the page must log no error and reach no other origin.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeOnnxFile } from '../main/onnx/onnx-file.js';
import { buildTarget } from '../shared/targets.js';
import { startWebStudio, type ViewTitle, type WebStudio } from './helpers/web-studio.js';
import { vulkan } from './helpers/vulkan.js';

let studio: WebStudio;
let tmp: string;
let page: Page;
let problems: string[];
let foreign: string[];

const shot = (name: string) => studio.shot(page, name);
const view = (name: ViewTitle) => studio.view(page, name);

beforeAll(async () => {
  studio = await startWebStudio('studio-e2e');
  ({ tmp, problems, foreign } = studio);
  page = await studio.open();
}, 180_000);

afterAll(async () => {
  await studio?.close();
});

describe('the studio in the web mode, in headless Chromium', () => {
  it('opens with the token from the URL, then drops it from the address bar', async () => {
    await expect.poll(() => page.url()).not.toContain('token=');
    await expect.poll(() => page.getByRole('navigation', { name: 'Views' }).isVisible()).toBe(true);
  });

  it('Hardware: the machine profile and every backend, available or with its reason', async () => {
    await view('Hardware');
    const main = page.locator('main');
    await expect.poll(() => main.textContent(), { timeout: 60_000 }).toContain('ort-cpu');
    const text = (await main.textContent()) ?? '';
    expect(text).toMatch(/cores/);
    expect(text).toContain('native');
    // An unavailable backend says why (CUDA is never bundled here).
    expect(text).toMatch(/ort-cuda[\s\S]*(missing|not bundled|unavailable)/);
    await shot('hardware');
  });

  it('Blocks: the bottleneck form validates inline and recomputes its costs live', async () => {
    await view('Blocks');
    await page.getByRole('button', { name: /ResNet bottleneck/ }).click();
    const mid = page.getByLabel('mid', { exact: true });
    await mid.fill('0');
    await expect.poll(() => mid.getAttribute('aria-invalid')).toBe('true');
    await mid.fill('32');
    await expect.poll(() => mid.getAttribute('aria-invalid')).not.toBe('true');
    await expect.poll(() => page.locator('main').textContent()).toMatch(/MACs/);
    // The seed comparisons as cards, each with its one-sentence explanation.
    expect(await page.locator('main').textContent()).toMatch(/fewer multiply-adds|cheaper|fewer/);
    await shot('blocks');
  });

  it('Models: a corrupt ONNX file is refused with a clear error; a real one opens with its layer table', async () => {
    await view('Models');
    const input = page.locator('input[type=file]').first();
    // The corrupt file's upload is answered 400 on purpose; the browser logs that response.
    studio.tolerate = /status of 400/;
    await input.setInputFiles({
      name: 'corrupt.onnx',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('not a model at all'),
    });
    const alert = page.getByRole('alert').filter({ hasText: 'corrupt.onnx' });
    await expect.poll(() => alert.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await shot('models-corrupt-file');
    studio.tolerate = null;

    const file = join(tmp, 'separable-block.onnx');
    writeOnnxFile(buildTarget({ target: 'separable' }), file);
    await input.setInputFiles(file);
    await expect.poll(() => page.locator('main').textContent(), { timeout: 30_000 }).toContain('separable-block.onnx');
    expect(await page.locator('main').textContent()).toContain('Conv');
    await shot('models-opened-file');

    await page.getByRole('button', { name: /ResNet-50/ }).click();
    await expect.poll(() => page.locator('main').textContent()).toMatch(/4\.09 G|4\.1 G|3\.8\d? G|4\.\d+ G/);
    await shot('models-zoo-resnet50');
  });

  // With a Vulkan device (lavapipe here), the same block runs on ort-webgpu too: the GPU path of the app.
  const jobs = vulkan.ok ? 3 : 2;
  if (!vulkan.ok) console.warn(`the web-mode run leaves out ort-webgpu: ${vulkan.reason}`);

  it(`Benchmark: a bottleneck block on ort-cpu, native${vulkan.ok ? ' and ort-webgpu' : ''}, with live progress`, async () => {
    await view('Benchmark');
    await page.getByLabel('target kind').selectOption('block');
    await page.getByLabel('block', { exact: true }).selectOption('bottleneck');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByLabel('native', { exact: true }).check();
    if (vulkan.ok) await page.getByLabel('ort-webgpu', { exact: true }).check();
    await page.getByRole('radio', { name: 'quick' }).check();
    const run = page.getByRole('button', { name: /^Run \d+ jobs?$/ });
    await expect.poll(() => run.textContent()).toMatch(new RegExp(`Run ${jobs} jobs`));
    await run.click();
    const rows = page.locator('.job-row');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(jobs);
    // Progress shows while it runs: a row leaves 'queued' with a phase and a running median.
    await expect
      .poll(async () => (await page.locator('.job-row .job-status').allTextContents()).join(','), { timeout: 60_000 })
      .toMatch(/running|ok/);
    await shot('benchmark-running');
    await expect
      .poll(async () => (await page.locator('.job-row .job-status').allTextContents()).join(','), {
        timeout: 180_000,
        interval: 500,
      })
      .toBe(Array(jobs).fill('ok').join(','));
    const medians = await page.locator('.job-row .job-median').allTextContents();
    expect(medians.every((m) => /\d/.test(m))).toBe(true);
    await shot('benchmark-done');
  });

  it('Accuracy: a classifier on 200 Fashion-MNIST images with live progress, then a short lab', async () => {
    await view('Accuracy');
    await expect.poll(() => page.getByLabel('data set').textContent(), { timeout: 30_000 }).toContain('Fashion-MNIST');
    await page.getByLabel('image limit', { exact: true }).fill('200');
    await page.getByLabel('image limit', { exact: true }).dispatchEvent('change');
    await page.getByRole('button', { name: 'Run accuracy' }).click();
    const top1 = page.locator('.top1');
    await expect.poll(() => top1.count(), { timeout: 120_000 }).toBe(1);
    expect(await top1.textContent()).toMatch(/^\d+\.\d%$/);
    expect(await page.locator('table.per-class tbody tr').count()).toBe(10);
    expect(await page.locator('table.confusion tbody tr').count()).toBe(10);
    await shot('accuracy');

    // The same classifier as fp16 and int8 variants beside fp32: fp16 is refused on ort-cpu with the
    // reason; int8 is calibrated on training images and runs after it (one task at a time).
    await page.getByLabel('precision fp16', { exact: true }).check();
    await page.getByLabel('precision int8', { exact: true }).check();
    await page.getByLabel('int8 calibration').selectOption('percentile');
    await page.getByRole('button', { name: 'Run accuracy' }).click();
    await expect
      .poll(() => page.locator('.variant-int8 .variant-top1').count(), { timeout: 180_000, interval: 500 })
      .toBe(1);
    expect(await page.locator('.variant-fp32 .variant-top1').textContent()).toMatch(/^\d+\.\d%$/);
    expect(await page.locator('.variant-fp16 .refusal').textContent()).toMatch(/fp16|float16/);
    expect(await page.locator('.variant-int8 .variant-delta').textContent()).toMatch(/points/);
    expect(await page.locator('.variant-int8 .variant-notes').textContent()).toMatch(/calibration: percentile/);
    await shot('accuracy-precision');

    // The lab is a view of its own, on the same data set.
    await view('Lab');
    await page.getByLabel('epochs', { exact: true }).fill('3');
    await page.getByLabel('training image limit').fill('500');
    await page.getByLabel('training image limit').dispatchEvent('change');
    await page.getByRole('button', { name: 'Run lab' }).click();
    await expect.poll(() => page.locator('.test-acc').count(), { timeout: 180_000, interval: 500 }).toBe(3);
    expect(await page.locator('main').textContent()).toMatch(/cache (hit|miss)/);
    await shot('lab');
  });

  it('Benchmark: the same classifier as fp32 and int8, for the Pareto charts and the fidelity table', async () => {
    await view('Benchmark');
    await page.locator('.chosen-target button').first().click();
    await page.getByLabel('native', { exact: true }).uncheck();
    if (vulkan.ok) await page.getByLabel('ort-webgpu', { exact: true }).uncheck();
    await page.getByLabel('target kind').selectOption('block');
    await page.getByLabel('block', { exact: true }).selectOption('head-fc');
    await page.getByLabel('parameters', { exact: true }).fill('height=28,width=28,channels=1,classes=10');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByLabel('int8', { exact: true }).check();
    await page.locator('button.clear-finished').click();
    const run = page.getByRole('button', { name: /^Run \d+ jobs?$/ });
    await expect.poll(() => run.textContent()).toMatch(/Run 2 jobs/);
    await run.click();
    await expect
      .poll(async () => (await page.locator('.job-row .job-status').allTextContents()).join(','), {
        timeout: 180_000,
        interval: 500,
      })
      .toBe('ok,ok');
  });

  it('Results: both runs listed, charted, and exported as an HTML report', async () => {
    await view('Results');
    const table = page.locator('main');
    await expect.poll(() => table.textContent(), { timeout: 30_000 }).toMatch(/bottleneck[\s\S]*native/);
    await page.getByLabel('select all visible results').check();
    // Its runs used the quick preset, which comparisons leave out unless asked.
    await page.getByLabel('include quick runs', { exact: true }).check();
    await expect.poll(() => page.locator('canvas').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    // The charts drew something: the first canvas is not blank.
    const painted = await page
      .locator('canvas')
      .first()
      .evaluate((c: HTMLCanvasElement) => {
        const ctx = c.getContext('2d');
        if (!ctx || c.width === 0) return 0;
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
        return n;
      });
    expect(painted).toBeGreaterThan(100);
    // The classifier's fp32 and int8 results matched to their accuracy: both Pareto charts have points,
    // and the int8 result's fidelity against fp32 is listed.
    await expect
      .poll(() => page.locator('table[aria-label="Pareto front"] tbody tr').count(), { timeout: 30_000 })
      .toBeGreaterThan(0);
    expect(await page.locator('table[aria-label="memory Pareto front"] tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('section.precision-panel .fidelity-row').count()).toBe(1);
    expect(await page.locator('section.precision-panel .cosine').textContent()).toMatch(/^0\.\d{6}$|^1\.000000$/);
    await shot('results-charts');
    if (vulkan.ok) {
      // The WebGPU result: its device with the software badge, placement, the device-resident latency,
      // and the block compared across the three devices.
      const gpu = page.locator('section.gpu-panel tr.gpu-row');
      await expect.poll(() => gpu.count(), { timeout: 30_000 }).toBe(1);
      expect(await gpu.locator('.software-badge').textContent()).toMatch(/software \(runs on the CPU\)/);
      expect(await gpu.locator('.placement').textContent()).toMatch(/WebGpu/);
      expect(await gpu.locator('.device-resident').textContent()).toMatch(/\d/);
      expect(await gpu.locator('.device-memory').textContent()).toMatch(/not measurable here/);
      const devices = page.locator('section.devices-compare table.devices-table tbody tr');
      expect(await devices.count()).toBe(3);
      await page.locator('section.gpu-panel').scrollIntoViewIfNeeded();
      await shot('results-gpu');
    }

    const download = page.waitForEvent('download');
    await page.getByRole('group', { name: 'export the selection' }).getByRole('button', { name: 'HTML' }).click();
    const file = await (await download).path();
    const html = readFileSync(file, 'utf8');
    expect(html).toMatch(/<!doctype html>/i);
    expect(html).toContain('bottleneck');
    expect(html).toContain('native');
  });

  it('every view reads in the dark theme too', async () => {
    await page.getByLabel('Theme').selectOption('dark');
    await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe('dark');
    for (const v of ['Hardware', 'Blocks', 'Models', 'Benchmark', 'Accuracy', 'Lab', 'Results'] as const) {
      await view(v);
      await page.waitForTimeout(300);
      await shot(`dark-${v.toLowerCase()}`);
    }
    // The theme is a setting: it survives a reload (stored by main, not the page).
    await page.reload();
    await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe('dark');
  });

  it('logged no error and reached no other origin', () => {
    expect(problems).toEqual([]);
    expect(foreign).toEqual([]);
  });
});
