// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { BenchResult } from '../../shared/contract/result.js';
import { setApi } from '../../renderer/src/api/index.js';
import { useResultsStore } from '../../renderer/src/stores/results.js';
import { fakeApi, settle, type FakeApi } from './studio-fake-api.js';
import { fakeReportSet, fakeResult } from '../helpers/fake-results.js';
import { summaryOf } from './result-summaries.js';
import { chartCalls } from './chart-stubs.js';

vi.mock('vue-chartjs', async () => (await import('./chart-stubs.js')).chartStubs);
const ResultsView = (await import('../../renderer/src/views/ResultsView.vue')).default;

let api: FakeApi;
let results: BenchResult[];

beforeEach(() => {
  setActivePinia(createPinia());
  chartCalls.length = 0;
  results = [
    ...fakeReportSet(),
    fakeResult({
      id: 'std',
      target: { kind: 'block', name: 'separable', params: { mode: 'standard' } },
      samplesMs: [4, 4, 4, 4],
    }),
    fakeResult({
      id: 'sep2',
      target: { kind: 'block', name: 'separable', params: { mode: 'separable' } },
      samplesMs: [1, 1, 1, 1],
    }),
  ];
  api = fakeApi({
    'app.info': { version: '0.1.0', apiVersion: 1, mode: 'web', platform: 'linux' },
    'results.list': ({ filter }) => ({
      results: results.filter((r) => !filter?.status || r.status === filter.status).map(summaryOf),
      problems: [],
    }),
    'results.get': ({ ids }) => results.filter((r) => ids.includes(r.id)),
    'results.export': ({ format }) => ({
      filename: `bench.${format}`,
      mime: 'text/html',
      content: '<html>report</html>',
    }),
  });
  setApi(api);
});
afterEach(() => {
  useResultsStore().detach();
  setApi(undefined);
  vi.restoreAllMocks();
});

async function mountView() {
  const w = mount(ResultsView, { attachTo: document.body });
  await flushPromises();
  return w;
}

describe('ResultsView', () => {
  it('with nothing saved yet, says where results come from and leads there (not an empty table)', async () => {
    results = [];
    const w = await mountView();
    const empty = w.find('section.empty-results');
    expect(empty.exists()).toBe(true);
    expect(empty.text()).toMatch(/No results yet/);
    await empty.find('button.primary').trigger('click');
    await flushPromises();
    const { useSettingsStore } = await import('../../renderer/src/stores/settings.js');
    expect(useSettingsStore().view).toBe('benchmark');
    w.unmount();
  });

  it('shows no empty-state card once results exist', async () => {
    const w = await mountView();
    expect(w.find('section.empty-results').exists()).toBe(false);
    w.unmount();
  });

  it('lists the history and filters it by target text and status', async () => {
    const w = await mountView();
    expect(w.findAll('tr.vtable__row')).toHaveLength(results.length);
    await w.find('input[aria-label="filter by target"]').setValue('resnet');
    expect(w.findAll('tr.vtable__row')).toHaveLength(2);
    await w.find('input[aria-label="filter by target"]').setValue('');
    await w.find('select[aria-label="filter by status"]').setValue('failed');
    await flushPromises();
    expect(api.callsOf('results.list').at(-1)).toEqual({ filter: { status: 'failed' } });
    expect(w.findAll('tr.vtable__row')).toHaveLength(1);
    expect(w.find('tr.vtable__row').text()).toContain('xception');
    w.unmount();
  });

  it('renders only a window of a long history', async () => {
    results = Array.from({ length: 3000 }, (_, i) =>
      fakeResult({ id: `r-${i}`, n: 8, createdAt: new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString() }),
    );
    const w = await mountView();
    expect(w.text()).toContain('Select all 3000 shown');
    expect(w.findAll('tr.vtable__row').length).toBeLessThan(60);
    w.unmount();
  });

  it('selects runs, charts them, and says there is no accuracy yet', async () => {
    const w = await mountView();
    await w.find('input[aria-label="filter by target"]').setValue('separable');
    await w.find('input[aria-label="select all visible results"]').setValue(true);
    await flushPromises();
    await settle(250);
    await flushPromises();
    expect(useResultsStore().selectedIds.sort()).toEqual(['sep', 'sep2', 'std']);
    // 'sep' (separable at its defaults: mode=separable) pools with 'sep2': keep only the explicit pair.
    useResultsStore().setSelected(['std', 'sep2']);
    await flushPromises();
    await settle(250);
    await flushPromises();
    expect(w.text()).toContain('Median latency with 95% CI');
    expect(w.text()).toContain('No accuracy for these targets yet');
    // The seed comparison chart found the standard/separable pair.
    expect(w.find('.seed-row').exists()).toBe(true);
    expect(w.find('.measured').text()).toBe('4.00×');
    expect(chartCalls.some((c) => c.data.datasets.some((d) => d.label === 'measured (latency ratio)'))).toBe(true);
    w.unmount();
  });

  it('compares the selected runs and shows machines side by side', async () => {
    const w = await mountView();
    const store = useResultsStore();
    store.setSelected(['bneck-1t', 'bneck-laptop']);
    await flushPromises();
    await settle(250);
    await w.find('button.compare-selected').trigger('click');
    expect(w.find('.compare-rows').text()).toMatch(/slower|faster|same|unclear/);
    const tabs = w.findAll('[role="tab"]');
    await tabs[2].trigger('click');
    expect(w.findAll('th.machine-col')).toHaveLength(2);
    w.unmount();
  });

  it('exports the selection as a download in the web mode', async () => {
    let blob: Blob | undefined;
    vi.spyOn(URL, 'createObjectURL').mockImplementation((b) => {
      blob = b as Blob;
      return 'blob:x';
    });
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {});
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    const w = await mountView();
    useResultsStore().setSelected(['sep']);
    await flushPromises();
    await w.find('button.export-html').trigger('click');
    await flushPromises();
    expect(api.callsOf('results.export')).toEqual([{ ids: ['sep'], format: 'html' }]);
    expect(click).toHaveBeenCalledOnce();
    expect(await blob!.text()).toBe('<html>report</html>');
    w.unmount();
  });

  it('imports a picked file and lists what was skipped', async () => {
    api.handlers['results.import'] = ({ name }) => ({
      source: name,
      added: [],
      skipped: [{ id: 'sep', reason: 'a result with this id is already in the store' }],
    });
    const w = await mountView();
    const input = w.find('input.import-input');
    const file = new File(['{}'], 'laptop.json', { type: 'application/json' });
    Object.defineProperty(input.element, 'files', { value: [file], configurable: true });
    await input.trigger('change');
    await flushPromises();
    await settle();
    expect(api.callsOf('results.import')).toEqual([{ name: 'laptop.json', text: '{}' }]);
    expect(w.find('.import-outcome').text()).toContain('0 added, 1 skipped');
    expect(w.find('.import-outcome').text()).toContain('already in the store');
    w.unmount();
  });
});
