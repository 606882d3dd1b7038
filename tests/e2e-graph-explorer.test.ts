/// <reference lib="dom" />
// End to end, in the web mode in headless Chromium (issue 21): the graph explorer on real measurements.
// ResNet-50 is profiled on ort-cpu and native (quick settings, after the roofline is measured so the
// results carry it); the Models view opens it as its blocks, a bottleneck is expanded into its layers,
// the overlays are switched (MACs, measured time, roofline position, activation memory), the two runs
// are diffed node by node in Results and the difference shown on the graph, the int8 error per node
// is measured and drawn with the node where it jumps; what has no data says what to run, a diff of two
// models is refused with the reason, and the node data and the layer table are exported and checked.
// Screenshots land in test-results/screenshots/explorer-*.png.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Download, Locator, Page } from 'playwright-core';
import type { ApiTarget, ResultSummaryView } from '../shared/contract/api.js';
import type { BenchResult } from '../shared/contract/result.js';
import { ModelNodeDataSchema } from '../shared/explorer/node-data.js';
import { SHOTS, startWebStudio, type WebStudio } from './helpers/web-studio.js';

let studio: WebStudio;
let page: Page;
/** The node where the int8 error jumps, as the legend names it (the exports test looks it up). */
let jumpNode = '';

const RESNET: ApiTarget = { kind: 'model', name: 'resnet50', variant: 'keras', params: {} };
const POINTWISE: ApiTarget = {
  kind: 'block',
  name: 'pointwise',
  params: { height: 8, width: 8, channels: 16, out: 8 },
};
/** A few runs each (ResNet-50 at batch 1 is ~50 ms a run here): per-node times, not a latency figure. */
const QUICK = { warmupRuns: 1, warmupTimeS: 0, minRuns: 3, minTimeS: 0, maxTimeS: 3 };
const RESNET_ORT = 'resnet50/keras on ort-cpu, batch 1';
const RESNET_NATIVE = 'resnet50/keras on native, batch 1';

async function okResults(): Promise<ResultSummaryView[]> {
  const list = await studio.server.call('results.list', {});
  return 'results' in list.body ? list.body.results.filter((r) => r.status === 'ok') : [];
}

const overlayPicker = () => page.getByLabel('overlay', { exact: true });
const legend = () => page.locator('.graph-explorer .gx-footer');
const legendTitle = () => page.locator('.graph-explorer .gx-legend__title');
const emptyNote = () => page.locator('.graph-explorer .gx-legend--empty[role=note]');
/**
 * Boxes drawn (only what lies in view is) and of them those the overlay gave a colour: a box
 * without a value keeps the theme's fill, with no fill attribute. The graph's input and output aside.
 */
async function colouredBoxes(): Promise<{ drawn: number; coloured: number }> {
  const boxes = page.locator('.graph-explorer .gx-box:not(.gx-box--io) rect.gx-box__bg');
  return { drawn: await boxes.count(), coloured: await boxes.and(page.locator('[fill]')).count() };
}
/** Most of the boxes in view are coloured (a few may have no value: maxpool has no MACs, nor a Flatten a time). */
async function expectColoured(): Promise<void> {
  const { drawn, coloured } = await colouredBoxes();
  expect(drawn).toBeGreaterThanOrEqual(5);
  expect(coloured, `${coloured} of ${drawn} boxes coloured`).toBeGreaterThanOrEqual(Math.ceil(drawn * 0.6));
}
/** "21 boxes · 177 nodes · ...": the boxes of what is open, drawn or not (only what is in view is drawn). */
const boxCount = async () => Number(/(\d+) boxes/.exec((await page.locator('.gx-counts').textContent()) ?? '')?.[1]);

async function chooseOverlay(label: string): Promise<void> {
  await overlayPicker().selectOption({ label });
  await expect
    .poll(async () => overlayPicker().evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.text.trim()))
    .toBe(label);
}

async function openZooModel(title: RegExp): Promise<void> {
  await studio.view(page, 'Models');
  await page.getByRole('navigation', { name: 'Model zoo' }).getByRole('button', { name: title }).click();
  await expect.poll(() => page.locator('.gx-svg').getAttribute('aria-label'), { timeout: 60_000 }).toMatch(/ nodes$/);
}

/**
 * A screenshot of one part of a view, from the top of `first` to the bottom of `last`, in a window
 * `height` px tall: the whole-view shot of a long view (Results) is too small to read, and the
 * explorer's canvas is sized in vh, so a window grown to the view's height grows the canvas past it.
 */
async function shotRegion(name: string, first: Locator, last: Locator = first, height = 1100): Promise<void> {
  await page.setViewportSize({ width: 1440, height });
  await first.evaluate((e) => e.scrollIntoView({ block: 'start' }));
  // The explorer re-measures its canvas on resize (a ResizeObserver): let that land before the shot.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const a = (await first.boundingBox())!;
  const b = (await last.boundingBox())!;
  const x = Math.max(0, Math.min(a.x, b.x) - 8);
  const y = Math.max(0, a.y - 8);
  const right = Math.min(1440, Math.max(a.x + a.width, b.x + b.width) + 8);
  const bottom = Math.min(height, b.y + b.height + 8);
  await page.screenshot({ path: join(SHOTS, `${name}.png`), clip: { x, y, width: right - x, height: bottom - y } });
  await page.setViewportSize({ width: 1440, height: 900 });
}
/** The overlay controls, the explorer and its legend. */
const shotExplorer = (name: string) =>
  shotRegion(name, page.locator('.graph-controls'), page.locator('.graph-explorer'));

async function download(click: () => Promise<void>): Promise<{ name: string; text: string }> {
  const [d] = (await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), click()])) as [Download, void];
  const path = await d.path();
  return { name: d.suggestedFilename(), text: readFileSync(path, 'utf8') };
}

beforeAll(async () => {
  studio = await startWebStudio('studio-e2e-explorer');
}, 180_000);

afterAll(async () => {
  await studio?.close();
});

describe('the graph explorer on real measurements (web mode, headless Chromium)', () => {
  it('seeds profiled runs: ResNet-50 on ort-cpu and native, a small block on ort-cpu, after the roofline', async () => {
    // The roofline first (about 5 s here): the results saved after it carry it, for the roofline overlay.
    const roof = await studio.server.call('machine.roofline', { fresh: false, measure: true });
    expect(roof.status).toBe(200);
    const resnet = await studio.server.call('bench.start', {
      targets: [RESNET],
      backends: [
        { backend: 'ort-cpu', profiling: true },
        { backend: 'native', profiling: true },
      ],
      measure: QUICK,
    });
    expect(resnet.status).toBe(200);
    const block = await studio.server.call('bench.start', {
      targets: [POINTWISE],
      backends: [{ backend: 'ort-cpu', profiling: true }],
      measure: QUICK,
    });
    expect(block.status).toBe(200);
    await expect.poll(async () => (await okResults()).length, { timeout: 240_000, interval: 1000 }).toBe(3);
    const ok = await okResults();
    expect(ok.map((r) => r.label).sort()).toEqual(
      [RESNET_NATIVE, RESNET_ORT, expect.stringMatching(/^pointwise/) as unknown as string].sort(),
    );
    const got = await studio.server.call('results.get', { ids: ok.map((r) => r.id) });
    const results = (Array.isArray(got.body) ? got.body : []) as BenchResult[];
    expect(results).toHaveLength(3);
    // Profiled (per-node times) and under the kept roofline.
    for (const r of results) {
      expect(r.nodes?.length ?? 0, `${r.label}: per-node times`).toBeGreaterThan(0);
      expect(r.machine.roofline?.peakGflops.allThreads ?? 0).toBeGreaterThan(0);
    }
    page = await studio.open();
  }, 300_000);

  it('ResNet-50 opens collapsed to its blocks; a bottleneck expands into its layers', async () => {
    await openZooModel(/^ResNet-50 resnet50/);
    const explorer = page.locator('.graph-explorer');
    // Stages open to their 16 blocks: the blocks, the stem conv1 and the head as groups, maxpool, input, output.
    await expect.poll(boxCount).toBe(21);
    await explorer.getByRole('button', { name: 'The whole graph in view' }).click();
    // Each collapsed group's toggle in the drawing (the toolbar's "Expand all groups" is not one).
    const expand = explorer.locator('.gx-svg').getByRole('button', { name: /^Expand / });
    await expect.poll(() => expand.count()).toBe(18);
    for (const stage of ['layer1', 'layer2', 'layer3', 'layer4'])
      expect(await explorer.getByRole('button', { name: `Collapse ${stage}`, exact: true }).count()).toBe(1);
    expect(await explorer.getByRole('button', { name: 'Expand layer2.0', exact: true }).count()).toBe(1);
    // Nothing of a block's inside is drawn yet.
    expect(await explorer.getByRole('button', { name: 'Expand shortcut', exact: true }).count()).toBe(0);
    await shotExplorer('explorer-e2e-resnet50-collapsed');

    await explorer.getByRole('button', { name: 'Expand layer2.0', exact: true }).click();
    await expect.poll(() => explorer.getByRole('button', { name: 'Collapse layer2.0', exact: true }).count()).toBe(1);
    // Its layers: conv1 (beside the stem's conv1), conv2, conv3 and the projection shortcut, then the add and out.
    expect(await explorer.getByRole('button', { name: 'Expand conv1', exact: true }).count()).toBe(2);
    for (const layer of ['conv2', 'conv3', 'shortcut'])
      expect(await explorer.getByRole('button', { name: `Expand ${layer}`, exact: true }).count()).toBe(1);
    expect(await explorer.getByRole('button', { name: /^layer2\.0\/add, Add/ }).count()).toBe(1);
    expect(await boxCount()).toBe(21 - 1 + 6);
    await explorer.getByRole('button', { name: 'Fit the width in view' }).click();
    await shotExplorer('explorer-e2e-resnet50-layer2.0-expanded');
  }, 120_000);

  it('overlays: share of MACs, measured time and achieved GFLOP/s of the profiled run, roofline position, activation memory', async () => {
    await chooseOverlay('Share of MACs');
    await expect.poll(() => legendTitle().textContent()).toBe('share of MACs');
    await expectColoured();

    await chooseOverlay('Measured time');
    // The newest profiled run of this model (native ran second); its tag names backend, batch and threads.
    await expect
      .poll(() => legendTitle().textContent(), { timeout: 30_000 })
      .toMatch(/^measured time per node \((ort-cpu|native), b1, t/);
    expect(await legend().textContent()).toMatch(/profiled over \d+ runtime nodes/);
    expect(await emptyNote().count()).toBe(0);
    await expectColoured();
    await shotExplorer('explorer-e2e-measured-time');

    await chooseOverlay('Achieved GFLOP/s');
    await expect
      .poll(() => legendTitle().textContent(), { timeout: 30_000 })
      .toMatch(/^achieved GFLOP\/s per node \((ort-cpu|native), b1, t/);
    expect(await legend().textContent()).toMatch(/\d GFLOP\/s/);
    await expectColoured();

    await chooseOverlay('Roofline position');
    // The runs carry the roofline measured before them: each node placed memory- or compute-bound.
    await expect
      .poll(() => legendTitle().textContent(), { timeout: 30_000 })
      .toMatch(/^share of the attainable GFLOP\/s \(roofline\)/);
    const legendText = (await legend().textContent()) ?? '';
    expect(legendText).toContain('memory-bound');
    expect(legendText).toContain('compute-bound');
    // Categories are drawn on layer nodes: find one through the explorer's search (it opens the
    // groups around the matches; Enter centres the first).
    const find = page.getByRole('searchbox', { name: /^Find a node by name or operator/ });
    await find.fill('layer2.0/conv2');
    await expect.poll(() => page.locator('.gx-search-status').textContent()).toBe('3 matches');
    await find.press('Enter');
    await expect.poll(() => page.locator('.gx-search-status').textContent()).toBe('1 of 3');
    const badges = page.locator('.graph-explorer .gx-badge:not(.gx-badge--match)');
    await expect.poll(() => badges.count()).toBeGreaterThan(0);
    expect(await badges.allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^(memory|compute)-bound$/)]),
    );
    await shotExplorer('explorer-e2e-roofline');
    await find.fill('');

    await chooseOverlay('Activation memory');
    await expect.poll(() => legendTitle().textContent()).toBe('live activation memory at each node');
    expect(await legend().textContent()).toMatch(
      /peak [\d.]+ [KMG]i?B at \S+ \(step \d+ of \d+\), the cost model's peak activation/,
    );
    await expectColoured();
  }, 120_000);

  it('Results: the ort-cpu and native runs diffed node by node, then shown on the graph', async () => {
    await studio.view(page, 'Results');
    const diffButton = page.getByRole('button', { name: 'Diff nodes', exact: true });
    await page.getByRole('checkbox', { name: `select ${RESNET_ORT}`, exact: true }).check();
    await page.getByRole('checkbox', { name: `select ${RESNET_NATIVE}`, exact: true }).check();
    await expect.poll(() => diffButton.isEnabled(), { timeout: 30_000 }).toBe(true);
    await diffButton.click();
    const panel = page.locator('section.diff-panel');
    await expect.poll(() => panel.locator('.diff-units').count(), { timeout: 60_000 }).toBe(1);
    expect(await panel.locator('.run-a').textContent()).toContain(RESNET_ORT);
    expect(await panel.locator('.run-b').textContent()).toContain(RESNET_NATIVE);
    const unitsHeading = await panel.getByRole('heading', { name: /^Units by \|delta\| \(\d+\)$/ }).textContent();
    expect(Number(/\((\d+)\)/.exec(unitsHeading ?? '')?.[1])).toBeGreaterThan(20);
    const backendRow = panel.locator('.diff-env tr[data-field="backend"]');
    expect(await backendRow.textContent()).toMatch(/ort-cpu[\s\S]*native/);
    expect(await panel.locator('.diff-totals .kernel').textContent()).toMatch(/\d/);
    expect(await panel.locator('.diff-refusal').count()).toBe(0);
    await shotRegion('explorer-e2e-diff-panel', panel, panel, 1600);

    await panel.getByRole('button', { name: 'Show on graph' }).click();
    await expect.poll(() => page.locator('h1.view__title').textContent(), { timeout: 15_000 }).toBe('Models');
    await expect.poll(() => page.locator('#model-title').textContent()).toBe('ResNet-50');
    await expect
      .poll(() => overlayPicker().evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.text.trim()))
      .toBe('Run diff (Δ time)');
    await expect
      .poll(() => legendTitle().textContent(), { timeout: 15_000 })
      .toBe(`time per node, ${RESNET_NATIVE} − ${RESNET_ORT}`);
    // Diverging around 0: the middle of the bar is named, negative where native is faster.
    expect(await legend().textContent()).toMatch(/\(middle: 0 µs\)/);
    expect(await emptyNote().count()).toBe(0);
    await expectColoured();
    await shotExplorer('explorer-e2e-run-diff');
  }, 120_000);

  it('Precision error: int8 error per node measured here, coloured, with the node where it jumps', async () => {
    await chooseOverlay('Precision error');
    await page.getByLabel('error precision', { exact: true }).selectOption('int8');
    // Before measuring: what to run.
    await expect
      .poll(() => emptyNote().textContent())
      .toMatch(/No int8 error per node of resnet50 yet: Measure int8 error here/);
    await page.getByRole('button', { name: 'Measure int8 error', exact: true }).click();
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'Measuring…' }).count(), { timeout: 15_000 })
      .toBe(1);
    await expect.poll(() => emptyNote().count(), { timeout: 180_000, interval: 1000 }).toBe(0);
    expect(await page.getByRole('status').filter({ hasText: 'Measuring…' }).count()).toBe(0);
    expect(await legendTitle().textContent()).toBe('relative RMS error per node, int8 against fp32');
    const note = (await page.locator('.graph-explorer .gx-legend__note').textContent()) ?? '';
    const jump = /the error first jumps at (\S+) \(\+/.exec(note)?.[1];
    expect(jump, note).toBeTruthy();
    jumpNode = jump!;
    // The jump node is one of the model's layers (in the layer table).
    await page.locator('#layer-search').fill(jump!);
    await expect.poll(() => page.locator('.table-tools [aria-live]').textContent()).toMatch(/^[1-9]\d* of \d+ layers$/);
    await page.locator('#layer-search').fill('');
    await expectColoured();
    await shotExplorer('explorer-int8-error');
  }, 240_000);

  it('exports: the shown overlay as Model Explorer node data, the layer table as CSV', async () => {
    const nodeData = await download(() => page.getByRole('button', { name: 'Export node data' }).click());
    expect(nodeData.name).toBe('resnet50-error.node-data.json');
    const parsed = ModelNodeDataSchema.safeParse(JSON.parse(nodeData.text));
    expect(parsed.success, parsed.success ? '' : parsed.error.message).toBe(true);
    const graphs = Object.values(parsed.data ?? {});
    expect(graphs).toHaveLength(1);
    const results = graphs[0].results;
    expect(Object.keys(results).length).toBeGreaterThan(50);
    expect(results[jumpNode]?.value).toBeGreaterThan(0);

    const csv = await download(() => page.getByRole('button', { name: 'Export CSV' }).click());
    expect(csv.name).toBe('resnet50-layers.csv');
    const lines = csv.text.trimEnd().split('\r\n');
    const header = lines[0].split(',');
    expect(header.slice(0, 3)).toEqual(['name', 'op', 'group']);
    // The shown overlay's column beside the analytic ones.
    expect(header.some((h) => /error/.test(h))).toBe(true);
    const conv = lines.find((l) => l.startsWith('layer2.0/conv2,'));
    expect(conv).toMatch(/^layer2\.0\/conv2,Conv,layer2 \/ layer2\.0 \/ conv2,/);
    const nodes = Number(/(\d+) nodes/.exec((await page.locator('.gx-svg').getAttribute('aria-label')) ?? '')?.[1]);
    expect(lines.length - 1).toBe(nodes);
    // Every node the node data names is a node of the graph (a row of the table).
    const names = new Set(lines.slice(1).map((l) => l.split(',')[0]));
    expect(Object.keys(results).filter((k) => !names.has(k))).toEqual([]);
    // The error column carries the jump node's value.
    const errorColumn = header.findIndex((h) => /error/.test(h));
    const jumpRow = lines.find((l) => l.startsWith(`${jumpNode},`))!.split(',');
    expect(Number(jumpRow[errorColumn])).toBeCloseTo(results[jumpNode].value, 6);
  }, 60_000);

  it('bad input: an overlay without data says what to run; a diff of two models is refused with the reason', async () => {
    await openZooModel(/^MobileNetV2 /);
    await chooseOverlay('Measured time');
    await expect
      .poll(() => emptyNote().textContent(), { timeout: 30_000 })
      .toMatch(/No profiled run of mobilenet_v2 yet: run `bench mobilenet_v2 --profile`/);
    expect((await colouredBoxes()).coloured).toBe(0);
    // Nothing to export from an empty overlay.
    expect(await page.getByRole('button', { name: 'Export node data' }).isDisabled()).toBe(true);
    await chooseOverlay('Run diff (Δ time)');
    await expect
      .poll(() => emptyNote().textContent())
      .toMatch(/No node-matched difference yet: profile two runs of mobilenet_v2/);
    await shotExplorer('explorer-e2e-no-data');

    await studio.view(page, 'Results');
    await page.getByRole('button', { name: 'Clear selection' }).click();
    await page.getByRole('checkbox', { name: `select ${RESNET_ORT}`, exact: true }).check();
    await page.getByRole('checkbox', { name: /^select pointwise/ }).check();
    const diffButton = page.getByRole('button', { name: 'Diff nodes', exact: true });
    await expect
      .poll(() => page.locator('.diff-nodes-reason').textContent(), { timeout: 30_000 })
      .toMatch(
        /these are runs of different models: resnet50.* vs pointwise.*a node diff needs two runs of the same model/,
      );
    expect(await diffButton.isDisabled()).toBe(true);
    expect(await diffButton.getAttribute('title')).toMatch(/different models/);
    await shotRegion('explorer-e2e-diff-refused', page.locator('.results-table'), page.locator('.diff-nodes-reason'));
  }, 120_000);

  it('logged no error and reached no other origin', () => {
    expect(studio.problems).toEqual([]);
    expect(studio.foreign).toEqual([]);
  });
});
