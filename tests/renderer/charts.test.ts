// @vitest-environment happy-dom
import { describe, expect, it, vi, beforeEach } from 'vitest';
import { mount } from '@vue/test-utils';
import { chartCalls } from './chart-stubs.js';
import { fakeMachine, fakeResult, fakeSamples } from '../helpers/fake-results.js';
import { ResultSchema, type BenchResult } from '../../shared/contract/result.js';
import { costGraph } from '../../shared/cost/cost-model.js';
import { buildTarget } from '../../shared/targets.js';

vi.mock('vue-chartjs', async () => (await import('./chart-stubs.js')).chartStubs);

const {
  batchScalingData,
  distributionData,
  latencyCiData,
  machineCompareData,
  memoryData,
  paretoData,
  resultMatchesSeedTarget,
  rooflineData,
  seedSpeedups,
  threadScalingData,
} = await import('../../renderer/src/components/charts/chart-data.js');
const SeedComparisonChart = (await import('../../renderer/src/components/charts/SeedComparisonChart.vue')).default;
const LatencyCiChart = (await import('../../renderer/src/components/charts/LatencyCiChart.vue')).default;
const ParetoChart = (await import('../../renderer/src/components/charts/ParetoChart.vue')).default;
const RooflineChart = (await import('../../renderer/src/components/charts/RooflineChart.vue')).default;
const MemoryChart = (await import('../../renderer/src/components/charts/MemoryChart.vue')).default;
const MachineCompare = (await import('../../renderer/src/components/results/MachineCompare.vue')).default;

const block = (name: string, params: Record<string, string | number | boolean> = {}) => ({
  kind: 'block' as const,
  name,
  params,
});
const macsOf = (t: string) => costGraph(buildTarget({ target: t })).totals.macs;

function seedPair(backend: 'ort-cpu' | 'ort-cuda' = 'ort-cpu') {
  const standard = fakeResult({
    target: block('separable', { mode: 'standard' }),
    backend,
    samplesMs: [4.1, 3.9, 4.0, 4.0, 4.2],
  });
  const separable = fakeResult({
    target: block('separable', { mode: 'separable' }),
    backend,
    samplesMs: [0.5, 0.5, 0.5, 0.45, 0.55],
  });
  return [standard, separable];
}

beforeEach(() => {
  chartCalls.length = 0;
});

describe('seed comparison: theoretical vs measured speed-up', () => {
  it('computes the MACs ratio from the cost model and the latency ratio from the two results', () => {
    const rows = seedSpeedups(seedPair());
    expect(rows).toHaveLength(1);
    const r = rows[0];
    expect(r.comparison).toBe('standard-vs-separable');
    expect(r.reference).toBe('separable:mode=standard');
    expect(r.other).toBe('separable:mode=separable');
    // 3x3 728 -> 728 at 19x19 against depthwise 3x3 + pointwise 1x1.
    expect(r.macsReference).toBe(19 * 19 * 728 * 728 * 9);
    expect(r.macsOther).toBe(19 * 19 * 728 * 9 + 19 * 19 * 728 * 728);
    expect(r.macsReference).toBe(macsOf('separable:mode=standard'));
    expect(r.theoretical).toBeCloseTo((728 * 9) / (9 + 728), 10);
    expect(r.latencyReference).toBeCloseTo(4.0, 10);
    expect(r.latencyOther).toBeCloseTo(0.5, 10);
    expect(r.measured).toBeCloseTo(8, 10);
    expect(r.backend).toBe('ort-cpu');
  });

  it('pairs only results on the same backend, batch and threads', () => {
    const [standard] = seedPair('ort-cpu');
    const [, separableCuda] = seedPair('ort-cuda');
    expect(seedSpeedups([standard, separableCuda])).toEqual([]);
    const both = [...seedPair('ort-cpu'), ...seedPair('ort-cuda')];
    expect(seedSpeedups(both).map((r) => r.backend)).toEqual(['ort-cpu', 'ort-cuda']);
  });

  it('matches targets by resolved parameters (defaults given explicitly still match; other values do not)', () => {
    const explicit = fakeResult({ target: block('bottleneck', { mid: 64 }) });
    const other = fakeResult({ target: block('bottleneck', { mid: 32 }) });
    expect(resultMatchesSeedTarget(explicit, 'bottleneck')).toBe(true);
    expect(resultMatchesSeedTarget(other, 'bottleneck')).toBe(false);
    expect(
      resultMatchesSeedTarget(
        fakeResult({ target: block('separable', { mode: 'standard' }) }),
        'separable:mode=separable',
      ),
    ).toBe(false);
  });

  it('ignores failed results', () => {
    const [standard] = seedPair();
    const failed = fakeResult({ target: block('separable', { mode: 'separable' }), status: 'failed' });
    expect(seedSpeedups([standard, failed])).toEqual([]);
  });

  it('the chart gets both series and its table shows both ratios', () => {
    const w = mount(SeedComparisonChart, { props: { results: seedPair() } });
    const call = chartCalls.at(-1)!;
    expect(call.data.datasets.map((d) => d.label)).toEqual(['theoretical (MACs ratio)', 'measured (latency ratio)']);
    expect(call.data.datasets[0].data[0]).toBeCloseTo(8.89, 2);
    expect(call.data.datasets[1].data[0]).toBeCloseTo(8, 10);
    expect(w.find('.theoretical').text()).toBe('8.89×');
    expect(w.find('.measured').text()).toBe('8.00×');
  });

  it('keeps its table inside the card and says what each side pooled', () => {
    const [standard, separable] = seedPair();
    const again = fakeResult({
      target: block('separable', { mode: 'separable' }),
      group: 'second-run',
      samplesMs: [0.9, 0.9, 0.9, 0.88, 0.92],
    });
    const [row] = seedSpeedups([standard, separable, again]);
    expect(row.results).toEqual([1, 2]);
    expect(row.pooledText).toMatch(/^alternative pooled: 2 runs; medians spread 1\.80×/);
    expect(row.disagree).toBe(true);
    const w = mount(SeedComparisonChart, { props: { results: [standard, separable, again] } });
    // The table scrolls inside its wrapper (overflow-x: auto) rather than overflowing the card.
    expect(w.find('.seed-table-wrap > table.seed-table').exists()).toBe(true);
    const pooled = w.find('td.pooled');
    expect(pooled.text()).toBe('1 / 2 ⚠');
    expect(pooled.classes()).toContain('pooled-disagree');
    expect(pooled.attributes('title')).toContain('alternative pooled: 2 runs');
    expect(w.find('.seed-pooled').text()).toContain('alternative pooled: 2 runs');
    // Long bar labels are cut on the axis (whole in the tooltip).
    const ticks = (
      chartCalls.at(-1)!.options.scales as { x: { ticks: { callback: (v: number, i: number) => string } } }
    ).x.ticks;
    expect(ticks.callback(0, 0).length).toBeLessThanOrEqual(28);
  });

  it('says why there is nothing to show', () => {
    const w = mount(SeedComparisonChart, { props: { results: [fakeResult()] } });
    expect(w.text()).toContain('No seed comparison has ok results');
    expect(w.find('.chart-stub').exists()).toBe(false);
  });
});

describe('latency with confidence intervals', () => {
  it('groups configurations by backend with the median and its CI', () => {
    const a = fakeResult({ backend: 'ort-cpu', medianMs: 1.5 });
    const b = fakeResult({ backend: 'ort-cuda', medianMs: 0.3 });
    const c = fakeResult({ backend: 'ort-cpu', batch: 8, medianMs: 6 });
    const d = latencyCiData([a, b, c]);
    expect(d.labels).toEqual(['bottleneck:mid=64 · batch 1 · 1 thread', 'bottleneck:mid=64 · batch 8 · 1 thread']);
    expect(d.series.map((s) => s.backend)).toEqual(['ort-cpu', 'ort-cuda']);
    expect(d.series[0].medians).toEqual([a.stats!.p50, c.stats!.p50]);
    expect(d.series[0].low[0]).toBe(a.stats!.medianCi.low);
    expect(d.series[0].high[0]).toBe(a.stats!.medianCi.high);
    expect(d.series[1].medians).toEqual([b.stats!.p50, null]);
  });

  it('pools every result of one configuration into one bar, and says so', () => {
    const runs = [
      fakeResult({ group: 'a', repetition: 0, samplesMs: fakeSamples(100, 1, 0.01, 1) }),
      fakeResult({ group: 'a', repetition: 1, samplesMs: fakeSamples(100, 1, 0.01, 2) }),
      fakeResult({ group: 'b', repetition: 0, samplesMs: fakeSamples(100, 1.75, 0.01, 3) }),
      fakeResult({ group: 'b', repetition: 1, samplesMs: fakeSamples(100, 1.75, 0.01, 4) }),
    ];
    const d = latencyCiData(runs);
    expect(d.labels).toEqual(['bottleneck:mid=64 · batch 1 · 1 thread']);
    expect(d.pooled).toHaveLength(1);
    expect(d.pooled[0].label).toBe('bottleneck:mid=64 · batch 1 · 1 thread · ort-cpu');
    expect(d.pooled[0].pool.text).toBe(
      'pooled: 2 runs, 2 repetitions each; medians spread 1.75× — the runs disagree beyond their 95% intervals',
    );
    expect(d.series[0].pooled[0]!.disagree).toBe(true);
    // The pooled interval is that of all the samples' median.
    expect(d.series[0].low[0]!).toBeLessThan(d.series[0].medians[0]!);
    // One result: no pooling said.
    expect(latencyCiData([runs[0]]).pooled).toEqual([]);
    const w = mount(LatencyCiChart, { props: { results: runs } });
    expect(w.find('li.pooled-bar.pooled-disagree').text()).toContain('pooled: 2 runs, 2 repetitions each');
    const dataset = chartCalls.at(-1)!.data.datasets[0] as unknown as { borderWidth: number[] };
    expect(dataset.borderWidth).toEqual([3]);
  });

  it('never pools an fp32 result with a variant of the same configuration', () => {
    const fp32 = fakeResult({ medianMs: 2 });
    const int8 = ResultSchema.parse({ ...fakeResult({ medianMs: 1 }), job: { ...fp32.job, precision: 'int8' } });
    expect(latencyCiData([fp32, int8]).labels).toEqual([
      'bottleneck:mid=64 · batch 1 · 1 thread',
      'bottleneck:mid=64 · batch 1 · 1 thread · int8',
    ]);
    expect(machineCompareData([fp32, int8]).rows).toHaveLength(2);
  });

  it('the chart redraws without animation for big selections', async () => {
    const many = Array.from({ length: 80 }, (_, i) => fakeResult({ batch: i + 1 }));
    const w = mount(LatencyCiChart, { props: { results: many.slice(0, 2) } });
    expect(chartCalls.at(-1)!.options.animation).not.toBe(false);
    await w.setProps({ results: many });
    expect(chartCalls.at(-1)!.options.animation).toBe(false);
    expect(chartCalls.at(-1)!.data.labels).toHaveLength(80);
  });
});

describe('distribution, memory, scaling, roofline, machines', () => {
  it('box plots come from samples when present, else from quantiles', () => {
    const r = fakeResult({ samplesMs: [1, 2, 3, 4, 5, 6, 7, 8, 9, 100] });
    const [box] = distributionData([r]);
    expect(box.fromSamples).toBe(true);
    expect(box.median).toBe(5.5);
    expect(box.boxLow).toBeCloseTo(3.25);
    expect(box.boxHigh).toBeCloseTo(7.75);
    expect(box.whiskerHigh).toBe(9); // 100 is an outlier
    expect(box.max).toBe(100);
    const noSamples = { ...fakeResult(), samplesMs: [] } as BenchResult;
    const [q] = distributionData([noSamples]);
    expect(q.fromSamples).toBe(false);
    expect([q.boxLow, q.boxHigh, q.whiskerHigh]).toEqual([
      noSamples.stats!.p50,
      noSamples.stats!.p90,
      noSamples.stats!.p99,
    ]);
  });

  it('memory: measured against the cost model estimate', () => {
    const [m] = memoryData([fakeResult(), fakeResult({ status: 'failed' })]);
    expect(m.peakRssBytes).toBe(98_566_144);
    expect(m.deltaBytes).toBe(46_137_344);
    expect(m.estimatedBytes).toBe(3_493_888);
  });

  it('memory: one labelled row per result, labels cut and never overlapping', () => {
    const long = { kind: 'model' as const, name: 'inception_resnet_v2', params: {} };
    const rs = Array.from({ length: 12 }, () => fakeResult({ target: long, batch: 32, threads: 16 }));
    const bars = memoryData(rs);
    // Results of one configuration stay apart, numbered.
    expect(bars[1].label).toBe(`${bars[0].label} #2`);
    mount(MemoryChart, { props: { results: rs } });
    const options = chartCalls.at(-1)!.options as {
      indexAxis: string;
      scales: { y: { ticks: { autoSkip: boolean; callback: (v: number, i: number) => string } } };
    };
    // Horizontal bars: each label on its own row (the chart grows with them), none rotated over another.
    expect(options.indexAxis).toBe('y');
    expect(options.scales.y.ticks.autoSkip).toBe(false);
    const tick = options.scales.y.ticks.callback(0, 11);
    expect(tick.length).toBeLessThanOrEqual(36);
    expect(tick.endsWith('…')).toBe(true);
  });

  it('batch scaling: throughput per batch; thread scaling: speed-up over the fewest threads', () => {
    const rs = [
      fakeResult({ batch: 1, samplesMs: [1, 1, 1, 1] }),
      fakeResult({ batch: 4, samplesMs: [2, 2, 2, 2] }),
      fakeResult({ threads: 2, samplesMs: [0.5, 0.5, 0.5, 0.5] }),
    ];
    const [batch] = batchScalingData(rs);
    expect(batch.points).toEqual([
      { x: 1, y: 1000 },
      { x: 4, y: 2000 },
    ]);
    const [threads] = threadScalingData(rs);
    expect(threads.points).toEqual([
      { x: 1, y: 1 },
      { x: 2, y: 2 },
    ]);
  });

  it('roofline: intensity from the cost model, roofs from the machine profile', () => {
    const roofline = {
      isa: 'avx2',
      threads: 16,
      peakGflops: { oneThread: 100, allThreads: 1000 },
      triadGBps: { oneThread: 20, allThreads: 50 },
      ridgeFlopsPerByte: 20,
      measuredAt: '2025-06-01T09:00:00.000Z',
    };
    const r = fakeResult({ machine: fakeMachine({ roofline }) });
    const d = rooflineData([r]);
    expect(d.roofs).toHaveLength(1);
    expect(d.roofs[0].peakAll).toBe(1000);
    expect(d.points).toHaveLength(1);
    const ai = costGraph(buildTarget({ target: 'bottleneck', set: { mid: '64', batch: '1' } })).totals
      .arithmeticIntensity;
    expect(d.points[0].intensity).toBeCloseTo(ai, 10);
    expect(d.points[0].ofRoof).toBeCloseTo(r.stats!.gflops / Math.min(1000, ai * 50), 10);
    mount(RooflineChart, { props: { results: [r] } });
    const labels = chartCalls.at(-1)!.data.datasets.map((x) => x.label);
    expect(labels[0]).toBe('measured');
    expect(labels.some((l) => l?.startsWith('roof'))).toBe(true);
  });

  it('machines side by side: one column per machine', () => {
    const laptop = fakeMachine({ cpu: { ...fakeMachine().cpu, brand: 'Core i7-1185G7' } });
    const d = machineCompareData([
      fakeResult({ samplesMs: [1, 1, 1] }),
      fakeResult({ samplesMs: [2, 2, 2], machine: laptop }),
    ]);
    expect(d.machines).toHaveLength(2);
    expect(d.rows).toHaveLength(1);
    expect(d.rows[0].medians).toEqual([1, 2]);
    expect(d.rows[0].ratios).toEqual([1, 2]);
    expect(d.rows[0].pooled).toEqual([undefined, undefined]);
  });

  it('machines side by side: a cell that pools several results says so', () => {
    const rs = [
      fakeResult({ group: 'a', samplesMs: [1, 1, 1] }),
      fakeResult({ group: 'b', samplesMs: [1.1, 1.1, 1.1] }),
    ];
    expect(machineCompareData(rs).rows[0].pooled[0]!.text).toMatch(/^pooled: 2 runs; medians spread 1\.10×/);
    const w = mount(MachineCompare, { props: { results: rs } });
    expect(w.find('.pooled-count').text()).toMatch(/^pooled 2/);
    expect(w.find('td.num').attributes('title')).toMatch(/^pooled: 2 runs/);
  });

  it('pareto: no accuracy for these targets, and the chart says so', () => {
    expect(paretoData([fakeResult()])).toEqual([]);
    const w = mount(ParetoChart, { props: { results: [fakeResult()] } });
    expect(w.text()).toContain('No accuracy for these targets yet');
  });
});
