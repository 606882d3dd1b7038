// @vitest-environment happy-dom
// Precision variants in the Results view: the precision column (a badge for fp16 / int8), the
// fidelity table of the selection (overall and per output, calibration, kernels, a refusal's reason),
// and the memory-vs-accuracy Pareto chart (measured RSS growth or the cost model, front marked).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { BenchResult, PrecisionDetails } from '../../shared/contract/result.js';
import { setApi } from '../../renderer/src/api/index.js';
import { useResultsStore } from '../../renderer/src/stores/results.js';
import { memoryOf, memoryParetoData } from '../../renderer/src/components/charts/chart-data.js';
import { fakeApi, type FakeApi } from './studio-fake-api.js';
import { fakeResult } from '../helpers/fake-results.js';
import { fakeAccuracy } from '../helpers/fake-accuracy.js';
import { summaryOf } from './result-summaries.js';
import { chartCalls } from './chart-stubs.js';

vi.mock('vue-chartjs', async () => (await import('./chart-stubs.js')).chartStubs);
const ResultsView = (await import('../../renderer/src/views/ResultsView.vue')).default;
const PrecisionPanel = (await import('../../renderer/src/components/results/PrecisionPanel.vue')).default;
const MemoryParetoChart = (await import('../../renderer/src/components/charts/MemoryParetoChart.vue')).default;

const target = { kind: 'block' as const, name: 'head-fc', params: { classes: 3 } };
const figures = { maxAbsError: 0.0123, meanAbsError: 0.00042, relError: 0.0031, cosine: 0.99998, elements: 30 };
const int8Details: PrecisionDetails = {
  precision: 'int8',
  notes: ['QDQ: per-channel symmetric int8 weights, uint8 activations'],
  fidelity: {
    reference: 'onnxruntime-node 1.30.0 CPU, fp32',
    inputs: "the job's seeded inputs (seed 0)",
    outputs: [{ ...figures, top1Agreement: 0.9, name: 'logits', shape: [10, 3] }],
    overall: { ...figures, top1Agreement: 0.9 },
  },
  calibration: {
    method: 'percentile',
    samples: 8,
    source: 'seeded-random',
    seed: 1000,
    percentile: 99.99,
    tensors: 4,
    ms: 30,
  },
  quantization: {
    format: 'QDQ',
    weights: 'int8 per-channel symmetric',
    activations: 'uint8',
    ops: { Gemm: 1 },
    qdqTensors: 4,
    foldedBatchNorms: 0,
    removedActivations: 0,
    floatOps: ['Softmax'],
    runtimeKernels: { QGemm: 1, QuantizeLinear: 1 },
  },
};

function variant(id: string, precision: 'fp32' | 'fp16' | 'int8', o: Partial<BenchResult> = {}): BenchResult {
  const r = fakeResult({ id, target, samplesMs: precision === 'int8' ? [1, 1, 1] : [2, 2, 2] });
  return { ...r, job: { ...r.job, precision }, label: `${r.label} ${precision}`, ...o };
}

let api: FakeApi;
let results: BenchResult[];

beforeEach(() => {
  setActivePinia(createPinia());
  chartCalls.length = 0;
  results = [
    variant('p32', 'fp32'),
    variant('p8', 'int8', { precision: int8Details }),
    variant('p16', 'fp16', {
      status: 'failed',
      stats: undefined,
      samplesMs: [],
      memory: undefined,
      failure: { kind: 'refused', reason: 'fp16 is refused on ort-cpu: no float16 Conv kernels on x86-64' },
    }),
  ];
  api = fakeApi({
    'app.info': { version: '0.1.0', apiVersion: 1, mode: 'web', platform: 'linux' },
    'results.list': { results: results.map(summaryOf), problems: [] },
    'results.get': ({ ids }) => results.filter((r) => ids.includes(r.id)),
    'accuracy.list': {
      results: [
        fakeAccuracy({ id: 'a32', targetSpec: target, accuracy: { ...fakeAccuracy().accuracy, top1: 0.8 } }),
        fakeAccuracy({ id: 'a8', targetSpec: target, precision: 'int8' }),
      ],
      problems: [],
    },
  });
  setApi(api);
});
afterEach(() => {
  useResultsStore().detach();
  setApi(undefined);
});

describe('precision in the Results view', () => {
  it('shows the precision column, and the fidelity of the selected variants under Charts and Compare', async () => {
    const w = mount(ResultsView, { attachTo: document.body });
    await flushPromises();
    const badges = w.findAll('.precision-badge').map((b) => b.text());
    expect(badges.sort()).toEqual(['fp16', 'int8']);
    expect(w.find('.results-table').text()).toContain('Precision');
    await w.find('input[aria-label="select all visible results"]').trigger('change');
    await flushPromises();
    await new Promise((r) => setTimeout(r, 250));
    await flushPromises();
    const panel = w.find('section.precision-panel');
    expect(panel.exists()).toBe(true);
    const rows = panel.findAll('tr.fidelity-row');
    expect(rows).toHaveLength(2);
    const int8 = rows.find((r) => r.text().includes('int8'))!;
    expect(int8.find('.cosine').text()).toBe('0.999980');
    expect(int8.find('.top1-agreement').text()).toBe('90.0%');
    expect(int8.text()).toContain('1.23e-2');
    expect(int8.text()).toContain('percentile 99.99%, 8 seeded inputs');
    expect(int8.find('.kernels').text()).toBe('QGemm ×1, QuantizeLinear ×1');
    const fp16 = rows.find((r) => r.text().includes('fp16'))!;
    expect(fp16.text()).toContain('fp16 is refused on ort-cpu');
    expect(panel.find('table.fidelity-outputs').text()).toMatch(/logits\s*10×3/);
    expect(panel.text()).toContain('left in float: Softmax');
    // The memory Pareto chart beside the latency one: fp32 and int8 matched to their accuracy.
    expect(w.text()).toContain('Memory vs accuracy (Pareto)');
    await w
      .findAll('[role="tab"]')
      .find((t) => t.text() === 'Compare')!
      .trigger('click');
    expect(w.find('section.precision-panel tr.fidelity-row').exists()).toBe(true);
    w.unmount();
  });

  it('charts memory against accuracy from the measured RSS growth or the cost model, the front marked', () => {
    const [p32, p8] = results;
    const accuracy = [
      fakeAccuracy({ targetSpec: target, accuracy: { ...fakeAccuracy().accuracy, top1: 0.8 } }),
      fakeAccuracy({ targetSpec: target, precision: 'int8' }),
    ];
    // Measured: both grew the same, so the more accurate fp32 dominates.
    const measured = memoryParetoData(results, accuracy, 'measured');
    expect(measured.points.map((p) => [p.label.endsWith('int8'), p.memory, p.accuracy, p.front])).toEqual([
      [false, 46_137_344, 0.8, true],
      [true, 46_137_344, 0.6, false],
    ]);
    // The cost model counts int8 weights at one byte: both are on the front.
    expect(memoryOf(p32, 'model')).toBe(4 * 70_400 + 3_211_264);
    expect(memoryOf(p8, 'model')).toBe(70_400 + 3_211_264);
    const model = memoryParetoData(results, accuracy, 'model');
    expect(model.points.map((p) => p.front)).toEqual([true, true]);
    const noMemory = { ...p32, memory: undefined };
    expect(memoryParetoData([noMemory], accuracy, 'measured')).toEqual({ points: [], missing: 1 });

    const w = mount(MemoryParetoChart, { props: { results, accuracy } });
    expect(w.text()).toContain('x: measured peak RSS growth over the baseline. 2 results, 1 on the front');
    expect(w.find('table[aria-label="memory Pareto front"]').findAll('tbody tr')).toHaveLength(1);
    const call = chartCalls.at(-1)!;
    expect(call.data.datasets.map((d) => d.label)).toEqual(['Pareto front', 'dominated']);
    const empty = mount(MemoryParetoChart, { props: { results: [noMemory], accuracy } });
    expect(empty.text()).toContain('choose the other memory figure below');
  });

  it('shows nothing for a selection of fp32 results only', () => {
    const w = mount(PrecisionPanel, { props: { results: [results[0]] } });
    expect(w.find('section.precision-panel').exists()).toBe(false);
  });
});
