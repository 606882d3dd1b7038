// @vitest-environment happy-dom
// The Load phases panel (LoadPhasesPanel.vue over shared/stats/load-phases.ts): a stacked bar per
// selected result on one scale, the figures, the GPU split or why it is not measurable, how each
// figure was measured, and a result saved before load phases shown as its cold start, not split.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { ResultSchema, type BenchResult, type LoadPhases } from '../../shared/contract/result.js';
import { setApi } from '../../renderer/src/api/index.js';
import { useResultsStore } from '../../renderer/src/stores/results.js';
import { fakeApi } from './studio-fake-api.js';
import { fakeGpuResult, fakeResult } from '../helpers/fake-results.js';
import { summaryOf } from './result-summaries.js';

vi.mock('vue-chartjs', async () => (await import('./chart-stubs.js')).chartStubs);
const LoadPhasesPanel = (await import('../../renderer/src/components/results/LoadPhasesPanel.vue')).default;
const ResultsView = (await import('../../renderer/src/views/ResultsView.vue')).default;

const PHASES: LoadPhases = {
  build: { ms: 10, method: 'wall time: the target built' },
  sessionCreateMs: 50,
  sessionParts: [
    { part: 'load', label: 'model parsed', ms: 5, method: 'event model_loading_array' },
    { part: 'initialization', label: 'session initialization', ms: 25, method: 'event session_initialization' },
  ],
  sessionUnseparated: ['one event covers optimization and kernel creation'],
  firstRunMs: 30,
  warmMedianMs: 10,
  firstRunOverheadMs: 20,
  firstRunNotes: [],
};

const withPhases = (r: BenchResult, p: LoadPhases): BenchResult => ResultSchema.parse({ ...r, phases: p });

const cpu = withPhases(fakeResult({ id: 'cpu', label: 'block on ort-cpu' }), PHASES);
const webgpu = withPhases(fakeGpuResult({ id: 'webgpu', backend: 'ort-webgpu' }), {
  ...PHASES,
  firstRunNotes: ['shaders compiled on first use'],
  gpu: { uploadMs: 1, computeMs: 7, readbackMs: 2, method: 'upload: a; compute: b; read-back: c', runs: 5 },
});
const cuda = withPhases(fakeGpuResult({ id: 'cuda', backend: 'ort-cuda' }), {
  ...PHASES,
  gpuUnmeasured: 'onnxruntime-node has no I/O binding',
});
const old = fakeResult({ id: 'old' });
const failed = fakeResult({ id: 'failed', status: 'failed' });

const rowOf = (w: ReturnType<typeof mount>, id: string) => w.find(`tr.load-phases-row[data-id="${id}"]`);

describe('Load phases panel', () => {
  it('draws one bar per measured result on one scale, its parts and the rest in time order', () => {
    const w = mount(LoadPhasesPanel, { props: { results: [cpu, webgpu, cuda, old, failed] } });
    expect(w.findAll('tr.load-phases-row').map((r) => r.attributes('data-id'))).toEqual([
      'cpu',
      'webgpu',
      'cuda',
      'old',
    ]);
    const segs = rowOf(w, 'cpu').findAll('.phase-bar span');
    expect(segs.map((s) => s.attributes('data-key'))).toEqual([
      'build',
      'session:load',
      'session:initialization',
      'session:rest',
      'first-run',
      'warm',
    ]);
    // The scale is the longest total (10 + 50 + 30 + 10 = 100 ms here): widths are shares of it.
    expect(segs.map((s) => (s.element as HTMLElement).style.width)).toEqual([
      '10.00%',
      '5.00%',
      '25.00%',
      '20.00%',
      '30.00%',
      '10.00%',
    ]);
    expect(segs[3].attributes('title')).toBe('session creation, not attributed: 20.0 ms');
    const row = rowOf(w, 'cpu');
    expect(row.find('.session-create').text()).toBe('50.0 ms');
    expect(row.find('.first-run').text()).toBe('30.0 ms');
    expect(row.find('.warm-median').text()).toBe('10.0 ms');
    expect(row.find('.overhead').text()).toBe('+20.0 ms');
    expect(row.find('.gpu-split').text()).toBe('– (CPU)');
  });

  it('shows the GPU split, or why it cannot be measured', () => {
    const w = mount(LoadPhasesPanel, { props: { results: [webgpu, cuda] } });
    expect(rowOf(w, 'webgpu').find('.gpu-split').text()).toBe('upload 1.00 ms, compute 7.00 ms, read-back 2.00 ms');
    expect(rowOf(w, 'cuda').find('.gpu-unmeasured').text()).toBe(
      'not measurable here: onnxruntime-node has no I/O binding',
    );
  });

  it('says how each figure was measured and what could not be told apart', () => {
    const w = mount(LoadPhasesPanel, { props: { results: [webgpu] } });
    const more = w.find('tr.load-phases-more');
    expect(more.find('summary').text()).toBe(
      'session parts: model parsed 5.00 ms; session initialization 25.0 ms; not attributed 20.0 ms',
    );
    const methods = more.findAll('.methods li').map((l) => l.text());
    expect(methods).toContain('model parsed: event model_loading_array');
    expect(methods).toContain('not separable: one event covers optimization and kernel creation');
    expect(methods).toContain('first run: shaders compiled on first use');
    expect(methods).toContain('GPU split: upload: a; compute: b; read-back: c (5 runs each)');
  });

  it('marks a result saved before load phases: its cold start, the creation not split', () => {
    const w = mount(LoadPhasesPanel, { props: { results: [old] } });
    const row = rowOf(w, 'old');
    expect(row.find('.legacy-badge').text()).toBe('cold start only');
    expect(row.findAll('.phase-bar span').map((s) => s.attributes('data-key'))).toEqual([
      'build',
      'session',
      'first-run',
      'warm',
    ]);
    expect(row.find('.session-create').text()).toBe('41.7 ms');
    expect(w.find('tr.load-phases-more summary').text()).toBe('session parts: not split (saved before load phases)');
  });

  it('shows nothing without a measured result', () => {
    const w = mount(LoadPhasesPanel, { props: { results: [failed] } });
    expect(w.find('section.load-phases-panel').exists()).toBe(false);
  });
});

describe('Load phases in the Results view', () => {
  let results: BenchResult[];
  beforeEach(() => {
    setActivePinia(createPinia());
    results = [cpu, webgpu];
    setApi(
      fakeApi({
        'app.info': { version: '0.1.0', apiVersion: 1, mode: 'web', platform: 'linux' },
        'results.list': { results: results.map(summaryOf), problems: [] },
        'results.get': ({ ids }) => results.filter((r) => ids.includes(r.id)),
        'accuracy.list': { results: [], problems: [] },
      }),
    );
  });
  afterEach(() => {
    useResultsStore().detach();
    setApi(undefined);
  });

  it('appears for the selection', async () => {
    const w = mount(ResultsView, { attachTo: document.body });
    await flushPromises();
    expect(w.find('section.load-phases-panel').exists()).toBe(false);
    await w.find('input[aria-label="select all visible results"]').trigger('change');
    await flushPromises();
    await new Promise((r) => setTimeout(r, 250));
    await flushPromises();
    expect(
      w
        .findAll('section.load-phases-panel tr.load-phases-row')
        .map((r) => r.attributes('data-id'))
        .sort(),
    ).toEqual(['cpu', 'webgpu']);
    w.unmount();
  });
});
