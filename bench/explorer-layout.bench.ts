// How long does the graph explorer take to group and lay out the largest graphs? (Issue 21: the
// largest zoo model must open collapsed "in well under a second" and stay smooth fully expanded.)
// Times, per graph: building the group tree (shared/explorer/hierarchy.ts), the layout of the
// opening view (stages open to their blocks), the layout with every group open (a cold cache),
// one block opened from the opening view (a warm cache: only the groups around it are laid out
// again) and Collapse all. Median of repeated runs, each on a fresh layout engine except the
// warm-cache row. Graphs: Inception-ResNet-v2 (the zoo's largest, 823 nodes) and DenseNet-121 as
// a PyTorch export names it (bench/fixtures/densenet121.ts), read through the real import path.
//   npx tsx bench/explorer-layout.bench.ts
import os from 'node:os';
import { graphView } from '../main/api/files.js';
import { costGraph } from '../shared/cost/cost-model.js';
import type { GraphView } from '../shared/contract/api.js';
import {
  buildHierarchy,
  costsOf,
  defaultExpansion,
  expand,
  expandAll,
  type Hierarchy,
} from '../shared/explorer/hierarchy.js';
import { onnxToGraph } from '../shared/onnx/reader.js';
import { buildTarget } from '../shared/targets.js';
import { toGraphView } from '../renderer/src/components/graph.js';
import { ExplorerLayoutEngine } from '../renderer/src/components/explorer/layout.js';
import { densenet121Onnx } from './fixtures/densenet121.js';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 7);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function time(fn: () => void): number {
  const runs: number[] = [];
  for (let i = 0; i < REPEATS + 1; i++) {
    const t0 = performance.now();
    fn();
    if (i > 0) runs.push(performance.now() - t0);
  }
  return median(runs);
}

console.log(
  `machine: ${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}, node ${process.version}; median of ${REPEATS} runs after a warm-up\n`,
);

function bench(title: string, graph: GraphView, costs: ReturnType<typeof costsOf>): void {
  let h: Hierarchy = buildHierarchy(graph, costs);
  const tree = time(() => (h = buildHierarchy(graph, costs)));
  const open = defaultExpansion(h);
  const all = expandAll(h);
  const block = [...h.groups.values()].find(
    (g) => g.level === 'block' && !open.has(g.id) && g.parent && open.has(g.parent),
  );
  let boxes = 0;
  const opening = time(() => {
    boxes = new ExplorerLayoutEngine(h).layout(open).boxes.size;
  });
  let allBoxes = 0;
  const expanded = time(() => {
    allBoxes = new ExplorerLayoutEngine(h).layout(all).boxes.size;
  });
  const oneBlock = block ? expand(open, block.id) : open;
  const engines = Array.from({ length: REPEATS + 1 }, () => new ExplorerLayoutEngine(h));
  for (const e of engines) e.layout(open);
  let run = 0;
  const opened = time(() => engines[run++].layout(oneBlock));
  const collapsed = time(() => new ExplorerLayoutEngine(h).layout(new Set()));
  console.log(`${title}: ${graph.nodes.length} nodes, ${h.groups.size} groups`);
  console.log(`  group tree                          ${tree.toFixed(1).padStart(7)} ms`);
  console.log(
    `  opening view (${String(boxes).padStart(3)} items)  tree+layout ${(tree + opening).toFixed(1).padStart(7)} ms`,
  );
  console.log(`  everything open (${String(allBoxes).padStart(4)} items)        ${expanded.toFixed(1).padStart(7)} ms`);
  console.log(`  open ${block?.label ?? '-'} from the opening view (cache warm)  ${opened.toFixed(1).padStart(7)} ms`);
  console.log(`  collapse all                        ${collapsed.toFixed(1).padStart(7)} ms\n`);
}

const irv2 = buildTarget({ target: 'inception_resnet_v2' });
bench('inception_resnet_v2 (zoo)', toGraphView(irv2), costsOf(costGraph(irv2).layers));
const bytes = densenet121Onnx();
const dn = onnxToGraph(bytes, { name: 'densenet121.onnx' });
bench(
  `densenet121.onnx (PyTorch names, ${(bytes.length / 2 ** 20).toFixed(1)} MiB)`,
  graphView(dn),
  costsOf(costGraph(dn).layers),
);

// ---- In headless Chromium, through the web mode (`--browser`) -------------------------------
// The time a user waits: from the click on a zoo model to its drawing on screen (the renderer
// builds and costs the model, groups it and lays it out), from Expand all to the drawing, and for
// DenseNet-121 from choosing the file to its drawing (upload, import in main, then the same).
// Also saves screenshots of ResNet-50 collapsed and with one bottleneck open
// (test-results/screenshots/explorer-*.png).
if (process.argv.includes('--browser')) {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { startWebStudio } = await import('../tests/helpers/web-studio.js');
  const studio = await startWebStudio('explorer-bench');
  const dir = mkdtempSync(join(tmpdir(), 'explorer-bench-'));
  try {
    const page = await studio.open();
    await studio.view(page, 'Models');
    /** What shows that a drawing is there: the model's title, and a selector present (or, with
     * `atLeast`, present that many times; with `absent`, gone). */
    interface Drawn {
      title?: string;
      selector: string;
      atLeast?: number;
      absent?: boolean;
    }
    /** Runs `act` and waits until two frames after `done` holds in the page: the drawing is on screen. */
    const drawn = async (act: () => Promise<void>, done: Drawn): Promise<number> => {
      await page.evaluate(() => ((window as unknown as { t0: number }).t0 = performance.now()));
      await act();
      // A function, not a string: the page's CSP forbids eval.
      await page.waitForFunction(
        (d: Drawn) => {
          if (d.title !== undefined && document.querySelector('#model-title')?.textContent !== d.title) return false;
          const n = document.querySelectorAll(d.selector).length;
          return d.absent ? n === 0 : n >= (d.atLeast ?? 1);
        },
        done,
        { polling: 'raf', timeout: 60_000 },
      );
      return page.evaluate(
        () =>
          new Promise<number>((r) =>
            requestAnimationFrame(() =>
              requestAnimationFrame(() => r(performance.now() - (window as unknown as { t0: number }).t0)),
            ),
          ),
      );
    };
    const click = (name: RegExp) => page.getByRole('button', { name }).first().click();
    const expandAllButton = () => page.getByRole('button', { name: 'Expand all groups' }).click();
    const rows: string[] = [];
    for (let i = 0; i < 3; i++) {
      await click(/^ResNet-18/);
      await page.waitForSelector('.gx-box');
      const open = await drawn(() => click(/Inception-ResNet-v2/), {
        title: 'Inception-ResNet-v2',
        selector: '.gx-box[data-id="g:Conv2d_1a_3x3#layer"]',
      });
      const all = await drawn(expandAllButton, { selector: '.gx-frame[data-id="g:Conv2d_1a_3x3#layer"]' });
      const collapse = await drawn(() => page.getByRole('button', { name: 'Collapse all groups' }).click(), {
        selector: '.gx-frame',
        absent: true,
      });
      rows.push(
        `  run ${i + 1}: open ${open.toFixed(0)} ms · Expand all ${all.toFixed(0)} ms · Collapse all ${collapse.toFixed(0)} ms`,
      );
    }
    console.log('headless Chromium, web mode: Inception-ResNet-v2 (zoo: build + cost + group + lay out + draw)');
    console.log(rows.join('\n'));

    const file = join(dir, 'densenet121.onnx');
    writeFileSync(file, densenet121Onnx());
    const input = page.locator('input[type=file]').first();
    const dnOpen = await drawn(() => input.setInputFiles(file), {
      title: 'densenet121.onnx',
      selector: '.gx-box',
      atLeast: 5,
    });
    const dnAll = await drawn(expandAllButton, { selector: '.gx-frame[data-id="g:features/denseblock1/denselayer1"]' });
    console.log(
      `DenseNet-121 file: chosen -> drawn ${dnOpen.toFixed(0)} ms (upload + import in main included) · Expand all ${dnAll.toFixed(0)} ms`,
    );
    await studio.shot(page, 'explorer-densenet121-expanded');

    await click(/^ResNet-50/);
    await page.waitForSelector('.gx-box[data-id="g:layer2.0"]');
    await studio.shot(page, 'explorer-resnet50-collapsed');
    await page.getByRole('button', { name: 'Expand layer2.0' }).click();
    await page.waitForSelector('.gx-frame[data-id="g:layer2.0"]');
    await studio.shot(page, 'explorer-resnet50-bottleneck-open');
    // Keyboard: the toggle is a focusable button (a click could land on the table below the canvas).
    await page.locator('.gx-box[data-id="g:layer2.0/conv2#layer"] .gx-toggle').press('Enter');
    await page.waitForSelector('.gx-frame[data-id="g:layer2.0/conv2#layer"]');
    await studio.shot(page, 'explorer-resnet50-layer-open');
    if (studio.problems.length) console.log(`page problems: ${studio.problems.join('; ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await studio.close();
  }
}
