// @vitest-environment happy-dom
// Compare any two (CustomCompare.vue over shared/stats/pair-compare.ts): A and B picked from the
// saved results' targets or typed with parameters, the table per setting (cost model beside the
// measurement, "not measured" with Benchmark both), errors named at the field, and its card in the
// Results view.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { BenchResult } from '../../shared/contract/result.js';
import { costGraph } from '../../shared/cost/cost-model.js';
import { buildTarget } from '../../shared/targets.js';
import { setApi } from '../../renderer/src/api/index.js';
import { useBenchStore } from '../../renderer/src/stores/bench.js';
import { useResultsStore } from '../../renderer/src/stores/results.js';
import { useSettingsStore } from '../../renderer/src/stores/settings.js';
import { fakeApi, settle, type FakeApi } from './studio-fake-api.js';
import { fakeResult } from '../helpers/fake-results.js';
import { summaryOf } from './result-summaries.js';

vi.mock('vue-chartjs', async () => (await import('./chart-stubs.js')).chartStubs);
const CustomCompare = (await import('../../renderer/src/components/results/CustomCompare.vue')).default;
const ResultsView = (await import('../../renderer/src/views/ResultsView.vue')).default;

const A = 'bottleneck:mid=32,stride=2';
const B = 'basic-residual';
const macsRatio = costGraph(buildTarget({ target: A })).totals.macs / costGraph(buildTarget({ target: B })).totals.macs;

let api: FakeApi;
let results: BenchResult[];
beforeEach(() => {
  setActivePinia(createPinia());
  const block = (name: string, params: Record<string, string | number>) => ({ kind: 'block' as const, name, params });
  results = [
    // One thread: both sides (A 2 ms, B 4 ms). Four threads: A only.
    fakeResult({ id: 'a-1t', target: block('bottleneck', { mid: 32, stride: 2 }), medianMs: 2, n: 60 }),
    fakeResult({ id: 'b-1t', target: block('basic-residual', {}), medianMs: 4, n: 60 }),
    fakeResult({ id: 'a-4t', target: block('bottleneck', { mid: '32', stride: '2' }), medianMs: 1, threads: 4 }),
    fakeResult({ id: 'sep', target: block('separable', {}), medianMs: 1 }),
    fakeResult({ id: 'failed', target: block('conv', {}), status: 'failed' }),
  ];
  api = fakeApi({
    'app.info': { version: '0.1.0', apiVersion: 1, mode: 'web', platform: 'linux' },
    'results.list': { results: results.map(summaryOf), problems: [] },
    'results.get': ({ ids }) => results.filter((r) => ids.includes(r.id)),
    'accuracy.list': { results: [], problems: [] },
  });
  setApi(api);
});
afterEach(() => {
  useResultsStore().detach();
  setApi(undefined);
});

async function settled() {
  await flushPromises();
  await settle(5);
  await flushPromises();
}

describe('CustomCompare', () => {
  it('loads nothing until used, then lists the saved targets with their parameters', async () => {
    const w = mount(CustomCompare, { attachTo: document.body });
    await settled();
    expect(api.callsOf('results.get')).toEqual([]);
    await w.find('select.saved-target').trigger('focusin');
    await settled();
    const options = w
      .find('select.saved-target')
      .findAll('option')
      .map((o) => o.text());
    // Typed and string parameters are one target; failed results and their targets are not listed.
    expect(options.slice(1)).toEqual([B, A, 'separable']);
    // Picking one fills the text field, which stays editable.
    await w.findAll('select.saved-target')[1].setValue(B);
    expect((w.findAll('input.target-text')[1].element as HTMLInputElement).value).toBe(B);
    w.unmount();
  });

  it('compares two typed targets: theory and measurement per setting, the missing side named', async () => {
    const w = mount(CustomCompare, { attachTo: document.body });
    const [ta, tb] = w.findAll('input.target-text');
    await ta.setValue(A);
    await tb.setValue(B);
    await w.find('form').trigger('submit');
    await settled();
    expect(w.find('.theory-macs').text()).toBe(`${macsRatio.toFixed(2)}x`);
    const rows = w.findAll('tr.setting-row');
    expect(rows).toHaveLength(2);
    const [measured, missing] = rows;
    expect(measured.find('th.setting').text()).toBe('ort-cpu, batch 1, 1 threads');
    expect(measured.find('td.theory-macs').text()).toBe('0.31x');
    expect(measured.find('td.measured').text()).toMatch(/^0\.(4[89]|5[01])x$/);
    expect(measured.find('td.interval').text()).toMatch(/^0\.\d\dx–0\.\d\dx$/);
    expect(measured.find('td.verdict').text()).toContain('B slower');
    expect(measured.find('td.reps').text()).toBe('1 + 1');
    expect(missing.classes()).toContain('not-measured');
    expect(missing.find('th.setting').text()).toBe('ort-cpu, batch 1, 4 threads');
    expect(missing.find('td.missing').text()).toContain(`not measured: no result of ${B}`);
    // Benchmark both puts both targets into the Benchmark view.
    await missing.find('button.benchmark-both').trigger('click');
    await settled();
    expect(useBenchStore().targets).toEqual([
      { kind: 'block', name: 'bottleneck', params: { mid: 32, stride: 2 } },
      { kind: 'block', name: 'basic-residual', params: {} },
    ]);
    expect(useSettingsStore().view).toBe('benchmark');
    w.unmount();
  });

  it('swaps A and B', async () => {
    const w = mount(CustomCompare, { attachTo: document.body });
    const [ta, tb] = w.findAll('input.target-text');
    await ta.setValue(A);
    await tb.setValue(B);
    await w.find('form').trigger('submit');
    await settled();
    await w.find('button.swap').trigger('click');
    await settled();
    expect(w.find('.theory-macs').text()).toBe(`${(1 / macsRatio).toFixed(2)}x`);
    expect(w.find('tr.setting-row td.verdict').text()).toContain('B faster');
    w.unmount();
  });

  it('names a bad target at its field, with the parser’s message', async () => {
    const w = mount(CustomCompare, { attachTo: document.body });
    const [ta, tb] = w.findAll('input.target-text');
    await ta.setValue('bottleneck:midd=3');
    await tb.setValue(B);
    await w.find('form').trigger('submit');
    await settled();
    const error = w.find('[role="alert"]');
    expect(error.text()).toMatch(/unknown parameter 'midd'/);
    expect(ta.attributes('aria-invalid')).toBe('true');
    expect(ta.attributes('aria-describedby')).toBe(error.attributes('id'));
    expect(w.find('table').exists()).toBe(false);
    // Every control has a label (by its id, or around it).
    for (const el of w.findAll('select, input')) {
      const id = el.attributes('id');
      const labelled = id ? w.find(`label[for="${id}"]`).exists() : !!el.element.closest('label');
      expect(labelled, el.html()).toBe(true);
    }
    w.unmount();
  });

  it('leaves quick runs out unless “Include quick runs” is ticked', async () => {
    const q = fakeResult({
      id: 'b-4t-quick',
      target: { kind: 'block', name: 'basic-residual', params: {} },
      medianMs: 2,
      threads: 4,
    });
    results.push({ ...q, job: { ...q.job, measure: { ...q.job.measure, minTimeS: 0.5, maxTimeS: 3 } } });
    api.handlers['results.list'] = { results: results.map(summaryOf), problems: [] };
    const w = mount(CustomCompare, { attachTo: document.body });
    const [ta, tb] = w.findAll('input.target-text');
    await ta.setValue(A);
    await tb.setValue(B);
    await w.find('form').trigger('submit');
    await settled();
    expect(w.findAll('tr.setting-row.not-measured')).toHaveLength(1);
    expect(w.find('.excluded').text()).toContain('1 quick run left out');
    await w.find('input.include-quick').setValue(true);
    await settled();
    expect(w.findAll('tr.setting-row.not-measured')).toHaveLength(0);
    expect(w.find('.excluded').exists()).toBe(false);
    w.unmount();
  });

  it('offers Benchmark both when neither target was measured', async () => {
    const w = mount(CustomCompare, { attachTo: document.body });
    const [ta, tb] = w.findAll('input.target-text');
    await ta.setValue('conv:out=32');
    await tb.setValue('pointwise');
    await w.find('form').trigger('submit');
    await settled();
    expect(w.find('.none').text()).toContain('No saved result of either yet');
    await w.find('button.benchmark-both').trigger('click');
    await settled();
    expect(useBenchStore().targets.map((t) => (t.kind === 'file' ? '' : t.name))).toEqual(['conv', 'pointwise']);
    w.unmount();
  });

  it('has its own card in the Results view', async () => {
    const w = mount(ResultsView, { attachTo: document.body });
    await settled();
    const card = w.find('section.custom-compare');
    expect(card.exists()).toBe(true);
    expect(card.find('h3').text()).toBe('Compare any two');
    w.unmount();
  });
});
