// @vitest-environment happy-dom
// GPU results in the Results view: the device each ran on (a software adapter badged), provider
// placement with fallbacks in a warning style, the device-resident latency beside the complete-run
// one, the cold first run, device memory or why it is not measurable; and devices side by side.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { BenchResult } from '../../shared/contract/result.js';
import { softwareAdapterFlag } from '../../shared/hardware/adapters.js';
import { setApi } from '../../renderer/src/api/index.js';
import { useResultsStore } from '../../renderer/src/stores/results.js';
import { fakeApi, type FakeApi } from './studio-fake-api.js';
import { fakeAdapters, fakeDevicesSet, fakeGpuResult } from '../helpers/fake-results.js';
import { summaryOf } from './result-summaries.js';
import { chartCalls } from './chart-stubs.js';

vi.mock('vue-chartjs', async () => (await import('./chart-stubs.js')).chartStubs);
const ResultsView = (await import('../../renderer/src/views/ResultsView.vue')).default;
const GpuPanel = (await import('../../renderer/src/components/results/GpuPanel.vue')).default;
const DevicesCompare = (await import('../../renderer/src/components/results/DevicesCompare.vue')).default;

let api: FakeApi;
let results: BenchResult[];

beforeEach(() => {
  setActivePinia(createPinia());
  chartCalls.length = 0;
  results = fakeDevicesSet();
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

const rowOf = (w: ReturnType<typeof mount>, id: string) => w.find(`tr.gpu-row[data-id="${id}"]`);

describe('GPU results in the Results view', () => {
  it('shows the device panel and the devices comparison for the selection, under Charts and Compare', async () => {
    const w = mount(ResultsView, { attachTo: document.body });
    await flushPromises();
    expect(w.find('section.gpu-panel').exists()).toBe(false);
    await w.find('input[aria-label="select all visible results"]').trigger('change');
    await flushPromises();
    await new Promise((r) => setTimeout(r, 250));
    await flushPromises();
    const panel = w.find('section.gpu-panel');
    expect(panel.exists()).toBe(true);
    // Only the GPU backends: webgpu twice and cuda; never ort-cpu.
    expect(
      panel
        .findAll('tr.gpu-row')
        .map((r) => r.attributes('data-id'))
        .sort(),
    ).toEqual(['dev-cuda', 'dev-llvmpipe', 'dev-webgpu']);
    const devices = w.find('section.devices-compare');
    expect(devices.exists()).toBe(true);
    expect(devices.findAll('table.devices-table')).toHaveLength(1);
    await w
      .findAll('[role="tab"]')
      .find((t) => t.text() === 'Compare')!
      .trigger('click');
    expect(w.find('section.gpu-panel tr.gpu-row').exists()).toBe(true);
    expect(w.find('section.devices-compare table.devices-table').exists()).toBe(true);
    w.unmount();
  });

  it('names the adapter, the placement with its fallbacks, both latencies, the cold run and device memory', () => {
    const w = mount(GpuPanel, { props: { results } });
    const gpu = rowOf(w, 'dev-webgpu');
    expect(gpu.find('.adapter-name').text()).toBe('NVIDIA GeForce RTX 4090');
    expect(gpu.find('.device').text()).toContain('(discrete)');
    expect(gpu.find('.software-badge').exists()).toBe(false);
    const placement = gpu.find('td.placement');
    expect(placement.classes()).toContain('placement-fallback');
    expect(placement.findAll('.provider').map((p) => p.text().replace(/\s+/g, ' '))).toEqual([
      'WebGpu 12 · 98.6% MACs',
      'CPU 3 · 1.4% MACs',
    ]);
    expect(placement.find('.fallback-note').text().replace(/\s+/g, ' ')).toBe(
      '⚠ fell back: 3 nodes (Shape, Gather, Concat)',
    );
    expect(gpu.find('.device-resident').text()).toBe('420 µs');
    expect(gpu.find('.headline').text()).toMatch(/^(9\d\d µs|1\.\d\d ms)$/);
    expect(gpu.find('.cold-start').text()).toBe('413 ms');
    expect(gpu.find('.device-memory').text()).toBe(
      'not measurable here: WebGPU exposes no per-process device memory figure',
    );
    expect(w.find('thead').text()).toContain('complete run incl. copies');
    expect(w.find('thead').text()).toContain('device-resident');
    expect(w.find('thead').text()).toContain('cold first run');
    // The details: the whole adapter line, the placement per provider, the fallback nodes, the method.
    const more = w.findAll('tr.gpu-more')[0];
    expect(more.find('.adapter-line').text()).toContain('driver NVIDIA 550.54.14');
    expect(more.find('table.placement-table').findAll('tbody tr')).toHaveLength(2);
    expect(more.find('table.placement-table').text()).toContain('215 M');
    expect(more.find('.fallback-nodes').text()).toContain('/shape_0, /gather_1, /concat_2');
    expect(more.find('.resident-method').text()).toContain('20 runs per synchronized batch');
    expect(more.text()).toContain('first run 413 ms (not in the warm median)');

    const cuda = rowOf(w, 'dev-cuda');
    expect(cuda.find('.device-memory').text()).toBe('512.0 MiB');
    expect(cuda.find('.device').text()).toBe('adapter not recorded');
    expect(cuda.find('td.placement').classes()).not.toContain('placement-fallback');
    expect(cuda.find('.fallback-note').exists()).toBe(false);
    expect(cuda.find('.device-resident').text()).toBe('–');
  });

  it('badges a software adapter: CPU speed through the GPU code path', () => {
    const w = mount(GpuPanel, { props: { results } });
    const soft = rowOf(w, 'dev-llvmpipe');
    expect(soft.classes()).toContain('gpu-software');
    const badge = soft.find('.software-badge');
    expect(badge.exists()).toBe(true);
    expect(badge.text()).toBe('software (runs on the CPU): not GPU speed');
    expect(badge.attributes('title')).toBe(softwareAdapterFlag(fakeAdapters.llvmpipe));
    expect(w.findAll('tr.gpu-more')[1].find('.software-warning').text()).toContain('not GPU speed');
  });

  it('shows nothing for CPU results only, and a hint for a GPU result with nothing to compare', () => {
    const cpuOnly = results.filter((r) => r.job.backend.backend === 'ort-cpu');
    expect(
      mount(GpuPanel, { props: { results: cpuOnly } })
        .find('section.gpu-panel')
        .exists(),
    ).toBe(false);
    expect(
      mount(DevicesCompare, { props: { results: cpuOnly } })
        .find('section.devices-compare')
        .exists(),
    ).toBe(false);
    // A failed GPU job measured nothing: no row.
    const failed = fakeGpuResult({ backend: 'ort-webgpu', status: 'failed', adapter: fakeAdapters.rtx4090 });
    expect(
      mount(GpuPanel, { props: { results: [failed] } })
        .find('section.gpu-panel')
        .exists(),
    ).toBe(false);
    // A GPU result alone: no comparison, a hint instead.
    const lone = mount(DevicesCompare, { props: { results: [results[2]] } });
    expect(lone.find('table.devices-table').exists()).toBe(false);
    expect(lone.text()).toContain('two or more backends');
  });

  it('compares devices: medians, ratios to ort-cpu, the software badge and a bar chart', () => {
    const w = mount(DevicesCompare, { props: { results } });
    const table = w.find('table.devices-table');
    expect(table.find('caption').text()).toBe('bottleneck:mid=64 · b1 · fp32');
    const rows = table.findAll('tr.device-row');
    expect(rows.map((r) => r.find('.device-name').text())).toEqual([
      'ort-cuda',
      'ort-webgpu on NVIDIA GeForce RTX 4090',
      'ort-cpu',
      'ort-webgpu on llvmpipe (LLVM 15.0.6, 256 bits)',
    ]);
    expect(rows[2].text()).toContain('(4 threads)');
    expect(rows[2].find('.ratio').text()).toBe('1.00× (same)');
    expect(rows[1].find('.ratio').text()).toMatch(/^0\.2\d× \(\d\.\d\d× faster\)$/);
    expect(rows[3].find('.ratio').text()).toMatch(/× slower$/);
    expect(rows[3].classes()).toContain('device-software');
    expect(rows[3].find('.software-badge').exists()).toBe(true);
    expect(rows[0].find('.software-badge').exists()).toBe(false);
    const call = chartCalls.at(-1)!;
    expect(call.type).toBe('bar');
    expect(call.data.datasets.map((d) => d.label)).toEqual([
      'median, complete run incl. copies',
      'device-resident median',
    ]);
    expect(call.data.labels).toHaveLength(4);
    expect(String(call.data.labels![3])).toContain('[software]');
    expect(call.data.datasets[1].data).toEqual([null, 0.42, null, null]);
  });

  it('shows a device-resident-less GPU result with its headline only', () => {
    const r = fakeGpuResult({ id: 'plain', backend: 'ort-webgpu', medianMs: 2, adapter: fakeAdapters.rtx4090 });
    const w = mount(GpuPanel, { props: { results: [r] } });
    expect(rowOf(w, 'plain').find('.device-resident').text()).toBe('–');
    expect(rowOf(w, 'plain').find('td.placement').text()).toBe('not profiled');
    expect(w.find('.resident-method').exists()).toBe(false);
  });
});
