// @vitest-environment happy-dom
// The node diff in the Results view (DiffPanel.vue, stores/diff.ts over results.diff): the "Diff
// nodes" button is enabled only for two profiled runs of one model (otherwise disabled, with the
// reason), the panel shows both runs, the totals, what differs, the units by |delta| with a bar each,
// the totals per operator and the runtime-only time; a refusal shows its reason; "Show on graph"
// keeps the per-graph-node times with the target in the store.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { BenchResult } from '../../shared/contract/result.js';
import { setApi } from '../../renderer/src/api/index.js';
import { useDiffStore } from '../../renderer/src/stores/diff.js';
import { useResultsStore } from '../../renderer/src/stores/results.js';
import { fakeApi, settle, type FakeApi } from './studio-fake-api.js';
import { fakeResult } from '../helpers/fake-results.js';
import { summaryOf } from './result-summaries.js';

vi.mock('vue-chartjs', async () => (await import('./chart-stubs.js')).chartStubs);
const ResultsView = (await import('../../renderer/src/views/ResultsView.vue')).default;
const DiffPanel = (await import('../../renderer/src/components/results/DiffPanel.vue')).default;

const node = (name: string, op: string, meanUs: number, graphNodes: string[], provider = 'CPUExecutionProvider') => ({
  name,
  op,
  provider,
  meanUs,
  graphNodes,
  macs: 0,
  gflops: 0,
});

function profiled(
  id: string,
  backend: 'ort-cpu' | 'native',
  nodes: ReturnType<typeof node>[] | undefined,
  target = 'bottleneck',
): BenchResult {
  const r = fakeResult({
    id,
    target: { kind: 'block', name: target, params: {} },
    createdAt: `2025-06-01T10:0${id.length % 10}:00.000Z`,
  });
  return { ...r, job: { ...r.job, backend: { ...r.job.backend, backend, profiling: !!nodes } }, nodes };
}

/** ORT fuses Conv+BN+Relu; a layout reorder covers no graph node. */
const ort = profiled('ort', 'ort-cpu', [
  node('ReorderInput', 'ReorderInput', 6, []),
  node('conv1.relu_nchwc', 'FusedConv', 300, ['conv1', 'conv1.bn', 'conv1.relu']),
  node('conv2', 'Conv', 500, ['conv2']),
]);
/** Three nodes for conv1; conv2 faster. */
const other = profiled('other-backend', 'native', [
  node('conv1', 'Conv', 350, ['conv1'], 'NativeCPU'),
  node('conv1.bn', 'BatchNormalization', 20, ['conv1.bn'], 'NativeCPU'),
  node('conv1.relu', 'Relu', 10, ['conv1.relu'], 'NativeCPU'),
  node('conv2', 'Conv', 200, ['conv2'], 'NativeCPU'),
]);
const plain = profiled('plain-run', 'ort-cpu', undefined);
const inception = profiled('inception-run', 'ort-cpu', [node('branch1', 'Conv', 100, ['branch1'])], 'inception');
const all = [ort, other, plain, inception];

let api: FakeApi;
beforeEach(() => {
  setActivePinia(createPinia());
  api = fakeApi({
    'app.info': { version: '0.1.0', apiVersion: 1, mode: 'web', platform: 'linux' },
    'results.list': { results: all.map(summaryOf), problems: [] },
    'results.get': ({ ids }) => all.filter((r) => ids.includes(r.id)),
    'accuracy.list': { results: [], problems: [] },
  });
  setApi(api);
});
afterEach(() => {
  useResultsStore().detach();
  setApi(undefined);
});

async function view(): Promise<VueWrapper> {
  const w = mount(ResultsView, { attachTo: document.body });
  await flushPromises();
  return w;
}
async function select(w: VueWrapper, ids: string[]): Promise<void> {
  useResultsStore().setSelected(ids);
  await flushPromises();
  await settle(5);
  await flushPromises();
}
const button = (w: VueWrapper) => w.find('button.diff-nodes');

describe('Diff nodes in the Results view', () => {
  it('is disabled with the reason unless two profiled runs of one model are selected', async () => {
    const w = await view();
    expect(button(w).attributes('disabled')).toBeDefined();
    expect(button(w).attributes('title')).toBe('select two profiled runs of the same model');
    await select(w, ['ort']);
    expect(button(w).attributes('disabled')).toBeDefined();
    await select(w, ['ort', 'plain-run']);
    expect(button(w).attributes('disabled')).toBeDefined();
    expect(w.find('.diff-nodes-reason').text()).toMatch(
      /^select two profiled runs of the same model: B \(plain-run: .*\) has no per-node times: it was measured without --profile/,
    );
    await select(w, ['ort', 'inception-run']);
    expect(w.find('.diff-nodes-reason').text()).toMatch(/these are runs of different models: bottleneck vs inception/);
    await select(w, ['ort', 'other-backend', 'plain-run']);
    expect(button(w).attributes('disabled')).toBeDefined();
    await select(w, ['ort', 'other-backend']);
    expect(button(w).attributes('disabled')).toBeUndefined();
    expect(w.find('.diff-nodes-reason').exists()).toBe(false);
    expect(w.find('section.diff-panel').exists()).toBe(false);
    w.unmount();
  });

  it('opens the diff: runs, totals, what differs, units by |delta| with bars, operators, runtime-only time', async () => {
    const w = await view();
    await select(w, ['ort', 'other-backend']);
    await button(w).trigger('click');
    await flushPromises();
    expect(api.callsOf('results.diff')).toEqual([{ a: 'ort', b: 'other-backend' }]);
    const panel = w.find('section.diff-panel');
    expect(panel.exists()).toBe(true);
    expect(panel.find('.run-a').text()).toBe(ort.label);
    expect(panel.find('.run-b').text()).toBe(other.label);
    // Kernel time: 806 µs against 580 µs.
    const kernel = panel.find('tr.kernel');
    expect(kernel.findAll('td').map((c) => c.text())).toEqual(['806 µs', '580 µs', '0.72x']);
    expect(panel.find('tr.runtime-only').findAll('td')[0].text()).toBe('6.00 µs (1)');
    expect(
      panel
        .find('.diff-env tr[data-field="backend"]')
        .findAll('td')
        .map((c) => c.text()),
    ).toEqual(['ort-cpu', 'native']);
    expect(panel.find('.diff-same').text()).toContain('precision fp32');
    // Units, largest |delta| first: conv2 (-300 µs), conv1 (+80 µs, fused differently).
    const rows = panel.findAll('.diff-units tbody tr.vtable__row');
    expect(rows.map((r) => r.findAll('td')[0].text())).toEqual(['conv2', 'conv1']);
    const conv1 = rows[1].findAll('td').map((c) => c.text());
    expect(conv1.slice(1, 4)).toEqual(['Conv', '300', '380']);
    expect(conv1[4]).toContain('+80.0');
    expect(conv1[5]).toBe('1.27x');
    expect(conv1[6]).toBe('fused differently (1 vs 3 nodes)');
    // The bars: conv2 the largest change (half the bar, to the faster side), conv1 scaled to it.
    const fills = panel.findAll('.diff-units .dbar__fill');
    expect(fills[0].classes()).toContain('dbar__fill--faster');
    expect(fills[0].attributes('style')).toContain('width: 50.0%');
    expect(fills[1].classes()).toContain('dbar__fill--slower');
    expect(fills[1].attributes('style')).toContain(`width: ${((50 * 80) / 300).toFixed(1)}%`);
    expect(panel.find('.diff-units .dbar').attributes('aria-label')).toBe('B faster by 300 µs');
    expect(
      panel
        .find('.diff-ops tr[data-op="Conv"]')
        .findAll('td')
        .map((c) => c.text()),
    ).toEqual(['2', '800', '580', '-220', '0.72x']);
    expect(panel.find('.runtime-only-a').text()).toContain('ReorderInput (ReorderInput) 6.0 µs');
    w.unmount();
  });

  it('"Show on graph" keeps each graph node with its unit\'s times and the target to open', async () => {
    const w = await view();
    await select(w, ['ort', 'other-backend']);
    await button(w).trigger('click');
    await flushPromises();
    await w.find('button.show-on-graph').trigger('click');
    const overlay = useDiffStore().overlay!;
    expect(overlay.target).toEqual(ort.job.target);
    expect(overlay.a).toEqual({ id: 'ort', label: ort.label });
    expect(overlay.nodes).toEqual(
      expect.arrayContaining([
        { node: 'conv1.bn', unit: 'conv1', aUs: 300, bUs: 380 },
        { node: 'conv2', unit: 'conv2', aUs: 500, bUs: 200 },
      ]),
    );
    expect(overlay.nodes).toHaveLength(4);
    expect(w.find('.overlay-kept').text()).toContain('Kept 4 graph nodes');
    await w.find('button.close-diff').trigger('click');
    expect(w.find('section.diff-panel').exists()).toBe(false);
    w.unmount();
  });
});

describe('DiffPanel', () => {
  it('shows a refusal with its reason', async () => {
    api.handlers['results.diff'] = () => {
      throw Object.assign(
        new Error('these are runs of different models: a vs b — a node diff needs two runs of the same model'),
        {
          code: 'refused',
        },
      );
    };
    const w = mount(DiffPanel);
    await useDiffStore().run(ort, other);
    await flushPromises();
    const refusal = w.find('.diff-refusal');
    expect(refusal.attributes('role')).toBe('alert');
    expect(refusal.text()).toBe(
      'these are runs of different models: a vs b — a node diff needs two runs of the same model',
    );
    expect(w.find('.diff-units').exists()).toBe(false);
  });

  it('shows nothing until a diff is asked for, and drops an answer for a pair replaced meanwhile', async () => {
    let release: () => void = () => {};
    api.handlers['results.diff'] = async ({ a }) => {
      if (a === 'ort') await new Promise<void>((r) => (release = r));
      throw Object.assign(new Error(`refused ${a}`), { code: 'refused' });
    };
    const w = mount(DiffPanel);
    expect(w.find('section').exists()).toBe(false);
    const store = useDiffStore();
    const first = store.run(ort, other);
    await flushPromises();
    expect(w.text()).toContain('Matching the nodes of the two runs');
    await store.run(other, ort);
    release();
    await first;
    await flushPromises();
    expect(w.find('.diff-refusal').text()).toBe('refused other-backend');
    expect(w.find('.run-a').text()).toBe(other.label);
  });
});
