// @vitest-environment happy-dom
// Top layers by time (TopLayers.vue over shared/stats/top-layers.ts): the table of a profiled
// result in the Results view and the Models view, its roofline position, and what it says without
// a roofline or without a profiled result.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { BenchResult } from '../../shared/contract/result.js';
import { setApi } from '../../renderer/src/api/index.js';
import { useResultsStore } from '../../renderer/src/stores/results.js';
import { fakeApi, settle, type FakeApi } from './studio-fake-api.js';
import { fakeMachine, fakeResult, FAKE_ROOFLINE as ROOFLINE } from '../helpers/fake-results.js';
import { summaryOf } from './result-summaries.js';

vi.mock('vue-chartjs', async () => (await import('./chart-stubs.js')).chartStubs);
const TopLayers = (await import('../../renderer/src/components/results/TopLayers.vue')).default;
const ResultsView = (await import('../../renderer/src/views/ResultsView.vue')).default;
const ModelsView = (await import('../../renderer/src/views/ModelsView.vue')).default;

const CONV1_MACS = 256 * 64 * 56 * 56;
const CONV2_MACS = 64 * 64 * 9 * 56 * 56;
const FUSED1_BYTES = 4 * (256 * 56 * 56 + 256 * 64 + 4 * 64 + 64 * 56 * 56);

/** A profiled bottleneck result: a fused conv1 (300 µs), conv2 (500 µs), a layout reorder (200 µs). */
function profiled(o: { id?: string; roofline?: boolean } = {}): BenchResult {
  const r = fakeResult({
    id: o.id ?? 'prof',
    target: { kind: 'block', name: 'bottleneck', params: {} },
    threads: 0,
    machine: fakeMachine(o.roofline === false ? {} : { roofline: ROOFLINE }),
  });
  const node = (name: string, op: string, meanUs: number, graphNodes: string[], macs: number) => ({
    name,
    op,
    provider: 'CPUExecutionProvider',
    meanUs,
    graphNodes,
    macs,
    gflops: 0,
  });
  return {
    ...r,
    job: { ...r.job, backend: { ...r.job.backend, profiling: true } },
    nodes: [
      node('conv1.relu_nchwc', 'FusedConv', 300, ['conv1', 'conv1.bn', 'conv1.relu'], CONV1_MACS),
      node('conv2', 'Conv', 500, ['conv2'], CONV2_MACS),
      node('reorder_token_3', 'ReorderOutput', 200, [], 0),
    ],
  };
}

let api: FakeApi;
beforeEach(() => {
  setActivePinia(createPinia());
  api = fakeApi({ 'app.info': { version: '0.1.0', apiVersion: 1, mode: 'web', platform: 'linux' } });
  setApi(api);
});
afterEach(() => {
  useResultsStore().detach();
  setApi(undefined);
});

const cells = (w: ReturnType<typeof mount>, name: string) => w.find(`tr.top-layer-row[data-name="${name}"]`);

describe('TopLayers', () => {
  it('lists the layers by time with shares, MACs, intensity and the roofline position', () => {
    const w = mount(TopLayers, { props: { results: [profiled(), fakeResult({ id: 'plain' })] } });
    const rows = w.findAll('tr.top-layer-row');
    expect(rows.map((r) => r.attributes('data-name'))).toEqual(['conv2', 'conv1.relu_nchwc', 'reorder_token_3']);
    expect(rows.map((r) => r.find('td.share').text())).toEqual(['50.0%', '30.0%', '20.0%']);
    expect(rows.map((r) => r.find('td.time').text())).toEqual(['500 µs', '300 µs', '200 µs']);
    const fused = cells(w, 'conv1.relu_nchwc');
    expect(fused.find('td.macs').text()).toBe('51.4 M');
    expect(fused.find('td.intensity').text()).toBe(((2 * CONV1_MACS) / FUSED1_BYTES).toFixed(2));
    // 25 FLOP/byte is past the ridge (10): compute-bound at the 400 GFLOP/s peak.
    expect(fused.find('td.attainable').text()).toBe('400 GFLOP/s');
    expect(fused.find('td.bound').text()).toBe('compute-bound');
    const achieved = (2 * CONV1_MACS) / 300e3;
    expect(fused.find('td.achieved').text()).toBe(`${achieved.toFixed(0)} GFLOP/s`);
    const bar = fused.find('.bar[role="img"]');
    expect(bar.attributes('aria-label')).toBe(`${((100 * achieved) / 400).toFixed(1)}% of the attainable GFLOP/s`);
    expect(bar.find('.bar__fill').attributes('style')).toContain(`width: ${((100 * achieved) / 400).toFixed(1)}%`);
    // The layout reorder covers no graph node: no MACs, no intensity, no position.
    const reorder = cells(w, 'reorder_token_3');
    expect(reorder.find('td.intensity').text()).toBe('—');
    expect(reorder.find('td.position').text()).toBe('—');
    expect(w.find('.roof-figures').text()).toContain('all threads (8)');
    expect(w.find('.no-roofline').exists()).toBe(false);
    // Only the profiled result gets a table.
    expect(w.findAll('.top-layers-result').map((d) => d.attributes('data-id'))).toEqual(['prof']);
  });

  it('says to measure the roofline on Hardware when the machine has none', () => {
    const w = mount(TopLayers, { props: { results: [profiled({ roofline: false })] } });
    expect(w.find('.no-roofline').text()).toMatch(/measure the roofline on Hardware/);
    expect(cells(w, 'conv2').find('td.position').text()).toBe('—');
    expect(cells(w, 'conv2').find('td.intensity').text()).not.toBe('—');
  });

  it('shows nothing without a profiled result, or the empty text when given', () => {
    expect(
      mount(TopLayers, { props: { results: [fakeResult()] } })
        .find('section')
        .exists(),
    ).toBe(false);
    const w = mount(TopLayers, { props: { results: [], emptyText: 'Benchmark with Profile on.' } });
    expect(w.find('section.top-layers--empty').text()).toContain('Benchmark with Profile on.');
  });
});

describe('in the views', () => {
  it('appears in the Results view for a selected profiled result', async () => {
    const results = [profiled(), fakeResult({ id: 'plain' })];
    api.handlers['results.list'] = { results: results.map(summaryOf), problems: [] };
    api.handlers['results.get'] = ({ ids }) => results.filter((r) => ids.includes(r.id));
    api.handlers['accuracy.list'] = { results: [], problems: [] };
    const w = mount(ResultsView, { attachTo: document.body });
    await flushPromises();
    expect(w.find('section.top-layers').exists()).toBe(false);
    await w.find('input[aria-label="select all visible results"]').trigger('change');
    await flushPromises();
    await settle(250);
    await flushPromises();
    const panel = w.find('section.top-layers');
    expect(panel.exists()).toBe(true);
    expect(panel.findAll('tr.top-layer-row')[0].attributes('data-name')).toBe('conv2');
    w.unmount();
  });

  it('in the Models view: how to get a profiled result, or its top layers once opened', async () => {
    const w = mount(ModelsView, { attachTo: document.body });
    await settle(5);
    await flushPromises();
    await settle(5);
    expect(w.find('section.top-layers--empty').text()).toContain('Benchmark with Profile on');
    w.unmount();

    // A profiled result of the model shown (resnet18, torchvision).
    const r = fakeResult({
      id: 'rn18',
      target: { kind: 'model', name: 'resnet18', variant: 'torchvision', params: {} },
      machine: fakeMachine({ roofline: ROOFLINE }),
      threads: 0,
    });
    const rn18: BenchResult = {
      ...r,
      nodes: [
        {
          name: 'conv1',
          op: 'FusedConv',
          provider: 'CPUExecutionProvider',
          meanUs: 900,
          graphNodes: ['conv1', 'conv1.bn', 'conv1.relu'],
          macs: 118_013_952,
          gflops: 0,
        },
        {
          name: 'maxpool',
          op: 'MaxPool',
          provider: 'CPUExecutionProvider',
          meanUs: 100,
          graphNodes: ['maxpool'],
          macs: 0,
          gflops: 0,
        },
      ],
    };
    setActivePinia(createPinia());
    api.handlers['results.list'] = (req) =>
      req.filter?.target === 'resnet18/torchvision'
        ? { results: [summaryOf(rn18)], problems: [] }
        : { results: [], problems: [] };
    api.handlers['results.get'] = ({ ids }) => [rn18].filter((x) => ids.includes(x.id));
    const v = mount(ModelsView, { attachTo: document.body });
    await settle(5);
    await flushPromises();
    await settle(5);
    await flushPromises();
    const details = v.find('details.top-layers-details');
    expect(details.exists()).toBe(true);
    expect(v.find('section.top-layers--empty').exists()).toBe(false);
    // Loaded only once opened (one results.get so far: the models store's own search).
    const gets = api.callsOf('results.get').length;
    (details.element as HTMLDetailsElement).open = true;
    await details.trigger('toggle');
    await flushPromises();
    await settle(5);
    expect(api.callsOf('results.get').length).toBe(gets + 1);
    const rows = v.findAll('tr.top-layer-row');
    expect(rows.map((x) => x.attributes('data-name'))).toEqual(['conv1', 'maxpool']);
    expect(rows[0].find('td.share').text()).toBe('90.0%');
    expect(rows[0].find('td.intensity').text()).not.toBe('—');
    expect(rows[0].find('td.bound').text()).toMatch(/^(memory|compute)-bound$/);
    v.unmount();
  });
});
