// @vitest-environment happy-dom
// Results that do not mislead quietly (issue 18), in the Results view: quick runs left out of the
// charts and comparisons by default (counted, with a toggle), bars that pool several results say so,
// the flag count lists the flags on hover, and the selection's flags and notes are shown apart.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { JobSpecSchema } from '../../shared/contract/job.js';
import { ResultSchema, type BenchResult } from '../../shared/contract/result.js';
import { warningCount } from '../../shared/stats/flags.js';
import { setApi } from '../../renderer/src/api/index.js';
import { useResultsStore } from '../../renderer/src/stores/results.js';
import { fakeApi, settle, type FakeApi } from './studio-fake-api.js';
import { fakeGpuResult, fakeResult, fakeSamples } from '../helpers/fake-results.js';
import { summaryOf } from './result-summaries.js';
import { chartCalls, type ChartCall } from './chart-stubs.js';

vi.mock('vue-chartjs', async () => (await import('./chart-stubs.js')).chartStubs);
const ResultsView = (await import('../../renderer/src/views/ResultsView.vue')).default;

const QUICK = { warmupRuns: 3, warmupTimeS: 0.5, minRuns: 10, minTimeS: 0.5, maxTimeS: 3, targetRelCi: 0.05 };
const quick = (r: BenchResult) =>
  ResultSchema.parse({ ...r, job: JobSpecSchema.parse({ ...r.job, measure: { ...r.job.measure, ...QUICK } }) });
const samples = (ms: number, seed: number) => fakeSamples(200, ms, 0.01, seed);
const bottleneck = { kind: 'block' as const, name: 'bottleneck', params: { mid: 64 } };

let api: FakeApi;
let results: BenchResult[];

beforeEach(() => {
  setActivePinia(createPinia());
  chartCalls.length = 0;
  results = [
    fakeResult({ id: 'run1', group: 'g1', target: bottleneck, samplesMs: samples(1, 1) }),
    fakeResult({ id: 'run2', group: 'g2', target: bottleneck, samplesMs: samples(1.01, 2) }),
    quick(fakeResult({ id: 'quick1', group: 'g3', target: bottleneck, samplesMs: samples(1.75, 3) })),
    {
      ...fakeResult({
        id: 'flagged',
        target: { kind: 'block', name: 'separable', params: {} },
        n: 1024,
        flags: ['high variation: coefficient of variation 113.0%', 'native plan: avx2 kernels, 1 thread'],
      }),
      notes: ['native lowering: 3 BatchNormalization folded into Conv'],
    },
  ];
  api = fakeApi({
    'app.info': { version: '0.1.0', apiVersion: 1, mode: 'web', platform: 'linux' },
    // What main answers: the summary counts warnings only (main/store/results-store.ts summarize).
    'results.list': () => ({
      results: results.map((r) => ({ ...summaryOf(r), flags: warningCount(r) })),
      problems: [],
    }),
    'results.get': ({ ids }) => results.filter((r) => ids.includes(r.id)),
    'accuracy.list': { results: [], problems: [] },
  });
  setApi(api);
});
afterEach(() => {
  useResultsStore().detach();
  setApi(undefined);
});

async function mountView(select?: string[]) {
  const w = mount(ResultsView, { attachTo: document.body });
  await flushPromises();
  if (select) {
    useResultsStore().setSelected(select);
    await flushPromises();
    await settle(250);
    await flushPromises();
  }
  return w;
}

/** The latest median-latency chart drawn. */
const latencyChart = (): ChartCall =>
  chartCalls.filter((c) => c.data.datasets[0]?.label === 'ort-cpu' && c.type === 'bar').at(-1)!;

describe('quick runs in the Results view', () => {
  it('are left out of the charts and comparisons by default, counted, and let in by the toggle', async () => {
    const w = await mountView(['run1', 'run2', 'quick1']);
    const toggle = w.find('.quick-runs');
    expect(toggle.text()).toContain('1 quick run of 3 left out of the charts and comparisons.');
    const box = w.find('input[aria-label="include quick runs"]');
    expect((box.element as HTMLInputElement).checked).toBe(false);
    // One bar for the configuration: the two thorough runs pooled (about 1 ms), the quick one (1.75 ms) out.
    const before = latencyChart();
    expect(before.data.labels).toEqual(['bottleneck:mid=64 · batch 1 · 1 thread']);
    expect(before.data.datasets[0].data[0] as number).toBeLessThan(1.05);
    expect(w.find('.pooled-bar').text()).toMatch(/pooled: 2 runs; medians spread 1\.0\d×$/);

    await box.setValue(true);
    await flushPromises();
    expect(useResultsStore().includeQuick).toBe(true);
    expect(w.find('.quick-runs').text()).toContain('1 quick run included');
    expect(latencyChart().data.datasets[0].data[0] as number).toBeGreaterThan(1.01);
    const pooled = w.find('.pooled-bar');
    expect(pooled.text()).toContain('pooled: 3 runs; medians spread 1.75×');
    // The quick run disagrees with the thorough ones beyond their intervals: flagged visibly.
    expect(pooled.classes()).toContain('pooled-disagree');
    w.unmount();
  });

  it('says so when every selected result is a quick run', async () => {
    const w = await mountView(['quick1']);
    expect(w.find('.quick-runs').text()).toContain('All 1 selected results are quick runs');
    expect(w.text()).toContain('No successful results in the selection.');
    w.unmount();
  });
});

describe('flags in the Results view', () => {
  const notesCell = (w: VueWrapper, id: string) =>
    w.findAll('tr.vtable__row').find((r) => r.text().includes(results.find((x) => x.id === id)!.label))!;

  it('counts warnings only, and lists them (notes apart) on hover', async () => {
    const w = await mountView();
    const row = notesCell(w, 'flagged');
    // One warning: the native plan is a note, not a flag.
    expect(row.find('.notes-cell').text()).toBe('1 flag');
    expect(notesCell(w, 'run1').find('.notes-cell').text()).toBe('');
    await row.find('.notes-cell').trigger('mouseenter');
    await flushPromises();
    expect(api.callsOf('results.get').at(-1)).toEqual({ ids: ['flagged'] });
    const title = row.find('.notes-cell').element.parentElement!.getAttribute('title')!;
    expect(title).toContain('Flags:\n• high variation: coefficient of variation 113.0%');
    expect(title).toContain(
      'Notes (not flags):\n• native lowering: 3 BatchNormalization folded into Conv\n• native plan',
    );
    w.unmount();
  });

  it('shows a count whole: n = 1024 in a column wide enough for it', async () => {
    const w = await mountView();
    const cells = notesCell(w, 'flagged').findAll('td');
    const headers = w.findAll('thead th').map((h) => h.text().replace(/[▲▼]/g, '').trim());
    const i = headers.indexOf('n');
    expect(cells[i].text()).toBe('1024');
    expect(cells[i].attributes('title')).toBe('1024 measured runs');
    const width = parseFloat((w.findAll('thead th')[i].element as HTMLElement).style.width);
    expect(width).toBeGreaterThanOrEqual(5);
    w.unmount();
  });

  it("lists the selection's flags and, apart, its notes and quick runs", async () => {
    const w = await mountView(['flagged', 'quick1']);
    const panel = w.find('section.result-flags');
    expect(panel.text()).toContain('1 of 2 selected results flagged');
    expect(panel.findAll('.flag-warning').map((x) => x.text())).toEqual([
      'high variation: coefficient of variation 113.0%',
    ]);
    expect(panel.findAll('.flag-note').map((x) => x.text())).toEqual([
      'native lowering: 3 BatchNormalization folded into Conv',
      'native plan: avx2 kernels, 1 thread',
    ]);
    expect(panel.find('.quick-badge').attributes('title')).toMatch(/^quick run: minimum time 0\.5 s/);
    w.unmount();
  });
});

describe('Devices compared in the Results view', () => {
  it('says which configuration each device stands for and what was pooled', async () => {
    results = [
      fakeGpuResult({ id: 'c1', backend: 'ort-cpu', target: bottleneck, threads: 1, medianMs: 8 }),
      fakeGpuResult({ id: 'c4', backend: 'ort-cpu', target: bottleneck, threads: 4, medianMs: 4 }),
      fakeGpuResult({ id: 'g1', backend: 'ort-cuda', target: bottleneck, threads: 0, medianMs: 1, group: 'a' }),
      fakeGpuResult({ id: 'g2', backend: 'ort-cuda', target: bottleneck, threads: 0, medianMs: 1.02, group: 'b' }),
    ];
    const w = await mountView(['c1', 'c4', 'g1', 'g2']);
    const choices = w.findAll('section.devices-compare td.choice').map((c) => c.text());
    expect(choices).toHaveLength(2);
    expect(choices[0]).toMatch(/^pooled: 2 runs; medians spread 1\.0\d×$/);
    expect(choices[1]).toMatch(/^fastest of 2 configurations \(4 threads .*, 1 thread .*\); one result$/);
    w.unmount();
  });
});
