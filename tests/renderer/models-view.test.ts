// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import ModelsView from '../../renderer/src/views/ModelsView.vue';
import { ApiError, setApi } from '../../renderer/src/api/index.js';
import { useBenchStore } from '../../renderer/src/stores/bench.js';
import { measuredByNode, useModelsStore } from '../../renderer/src/stores/models.js';
import { useSettingsStore } from '../../renderer/src/stores/settings.js';
import { toGraphView } from '../../renderer/src/components/graph.js';
import { costGraph } from '../../shared/cost/cost-model.js';
import { fakeMachine } from '../helpers/fake-results.js';
import { viewTensors } from '../../shared/explorer/graph-shell.js';
import { buildTarget } from '../../shared/targets.js';
import type { OpenedModel, ResultSummaryView } from '../../shared/contract/api.js';
import type { BenchResult } from '../../shared/contract/result.js';
import type { MachineProfile } from '../../shared/contract/machine.js';
import { bytes, macs } from '../../shared/format.js';
import { fakeApi, settle, type FakeApi } from './studio-fake-api.js';

/** An opened file: the bottleneck block plus one operator the studio does not know. */
function openedModel(): OpenedModel {
  const g = buildTarget({ target: 'bottleneck' });
  const cost = costGraph(g);
  const graph = toGraphView(g);
  const last = graph.nodes[graph.nodes.length - 1];
  graph.nodes.push({ name: 'custom', op: 'MyCustomOp', inputs: [last.outputs[0]], outputs: ['custom_out'] });
  cost.layers.push({
    ...cost.layers[cost.layers.length - 1],
    name: 'custom',
    op: 'MyCustomOp',
    params: 0,
    macs: 0,
    flops: 0,
    known: false,
  });
  // What main sends for a file: the tensors' shapes too (graphOfView rebuilds the graph the overlays read).
  graph.tensors = [
    ...viewTensors(g),
    { ...viewTensors(g).find((t) => t.name === last.outputs[0])!, name: 'custom_out' },
  ];
  return { fileId: 'file-abc', name: 'net.onnx', sizeBytes: 123_456, cost, unknownOps: ['MyCustomOp'], graph };
}

function profiled(m: OpenedModel): BenchResult {
  const conv = m.cost.layers.filter((l) => l.op === 'Conv').map((l) => l.name);
  return {
    id: 'r1',
    createdAt: '2025-01-02T00:00:00Z',
    label: 'net.onnx on ort-cpu, batch 1',
    status: 'ok',
    job: { target: { kind: 'file', path: '/x/net.onnx', dims: {} }, backend: { backend: 'ort-cpu' }, batch: 1 },
    machine: fakeMachine(),
    // One fused runtime node covering two graph nodes, one plain.
    nodes: [
      {
        name: 'fused',
        op: 'FusedConv',
        provider: 'CPU',
        meanUs: 300,
        graphNodes: [conv[0], `${conv[0]}.bn`],
        macs: 0,
        gflops: 0,
      },
      { name: conv[1], op: 'Conv', provider: 'CPU', meanUs: 700, graphNodes: [conv[1]], macs: 0, gflops: 0 },
    ],
  } as unknown as BenchResult;
}

const summary: ResultSummaryView = {
  id: 'r1',
  createdAt: '2025-01-02T00:00:00Z',
  label: 'x',
  target: 'net.onnx',
  backend: 'ort-cpu',
  batch: 1,
  threads: 0,
  status: 'ok',
  repetition: 0,
  n: 10,
  flags: 0,
  machine: 'm',
};

let api: FakeApi;
beforeEach(() => {
  setActivePinia(createPinia());
  api = fakeApi();
  setApi(api);
});
afterEach(() => setApi(undefined));

async function mountView() {
  const w = mount(ModelsView, { attachTo: document.body });
  await settle(5);
  await flushPromises();
  return w;
}

function pickFile(w: Awaited<ReturnType<typeof mountView>>, file: File) {
  const input = w.find('[data-testid="file-input"]');
  Object.defineProperty(input.element, 'files', { value: [file], configurable: true });
  return input.trigger('change');
}

const onnxFile = (name = 'net.onnx') => new File([new Uint8Array([8, 7, 18, 0])], name);

describe('ModelsView', () => {
  it('builds and costs the first zoo model, with a virtualized layer table and a coloured graph', async () => {
    const w = await mountView();
    const models = useModelsStore();
    expect(models.model?.name).toBe('resnet18');
    expect(w.find('#model-title').text()).toBe('ResNet-18');
    const report = costGraph(buildTarget({ target: 'resnet18' }));
    expect(w.find('.table-tools').text()).toContain(`${report.layers.length} of ${report.layers.length} layers`);
    const rendered = w.findAll('tr.vtable__row').length;
    expect(rendered).toBeGreaterThan(0);
    expect(rendered).toBeLessThan(report.layers.length);
    expect(w.find('.gx-legend').text()).toContain('share of MACs');
    // The explorer: ResNet-18's stages open to their blocks, each box coloured by its share of MACs.
    expect(w.find('.gx-box[data-id="g:layer2.0"]').exists()).toBe(true);
    expect(w.findAll('.gx-box rect[fill]').length).toBeGreaterThan(0);
    // Search by name or operator.
    await w.find('#layer-search').setValue('Gemm');
    const gemms = report.layers.filter(
      (l) => l.op.toLowerCase().includes('gemm') || l.name.toLowerCase().includes('gemm'),
    );
    expect(w.find('.table-tools').text()).toContain(`${gemms.length} of ${report.layers.length} layers`);
    w.unmount();
  });

  it('switches variant and recomputes; "Benchmark this model" hands the target to the bench store', async () => {
    const w = await mountView();
    await w
      .findAll('.pick-list__item')
      .find((b) => b.find('.pick-list__title').text() === 'ResNet-50')!
      .trigger('click');
    await settle(5);
    await w.find('#model-variant').setValue('torchvision');
    await settle(5);
    const tv = costGraph(buildTarget({ target: 'resnet50', variant: 'torchvision' }));
    expect(useModelsStore().current?.cost.totals.macs).toBe(tv.totals.macs);
    await w
      .findAll('button')
      .find((b) => b.text() === 'Benchmark this model')!
      .trigger('click');
    await flushPromises();
    expect(useBenchStore().targets).toEqual([{ kind: 'model', name: 'resnet50', variant: 'torchvision', params: {} }]);
    expect(useSettingsStore().view).toBe('benchmark');
    w.unmount();
  });

  it('shows a corrupt file’s error clearly in an alert region', async () => {
    api.handlers['files.importModel'] = () => {
      throw new ApiError('not an ONNX model: invalid wire type 7 at offset 3', 'bad-request');
    };
    const w = await mountView();
    await pickFile(w, onnxFile('broken.onnx'));
    await flushPromises();
    const alert = w.find('[role="alert"]');
    expect(alert.exists()).toBe(true);
    expect(alert.text()).toContain('broken.onnx could not be opened');
    expect(alert.text()).toContain('invalid wire type');
    // Dismissible.
    await alert.find('button').trigger('click');
    expect(w.find('[role="alert"]').exists()).toBe(false);
    // A non-.onnx file never reaches main.
    await pickFile(w, new File(['x'], 'notes.txt'));
    await flushPromises();
    expect(w.find('[role="alert"]').text()).toContain('notes.txt is not an ONNX model');
    expect(api.callsOf('files.importModel')).toHaveLength(1);
    w.unmount();
  });

  it('opens a picked file (web mode: bytes to files.importModel) and flags unknown operators', async () => {
    const m = openedModel();
    api.handlers['files.importModel'] = () => m;
    const w = await mountView();
    await pickFile(w, onnxFile());
    await flushPromises();
    const req = api.callsOf('files.importModel')[0];
    expect(req.name).toBe('net.onnx');
    expect(Array.from(req.bytes)).toEqual([8, 7, 18, 0]);
    expect(w.find('#model-title').text()).toBe('net.onnx');
    expect(w.find('.notice--warn').text()).toContain('MyCustomOp');
    // The unknown row: badge and highlight (sort by # descending to bring it into view).
    await w.find('#layer-search').setValue('custom');
    const row = w.find('tr.vtable__row');
    expect(row.classes()).toContain('row--unknown');
    expect(row.find('.badge--warn').text()).toBe('unknown');
    // Selecting the row brings its node into view in the graph, flagged and selected.
    await row.trigger('click');
    expect(w.findAll('.gx-box.gx-box--unknown')).toHaveLength(1);
    expect(w.find('.gx-box.gx-box--unknown').classes()).toContain('gx-box--selected');
    expect(w.find('tr.vtable__row').attributes('aria-selected')).toBe('true');
    // Close it.
    await w.find('button[aria-label="Close net.onnx"]').trigger('click');
    await flushPromises();
    expect(api.callsOf('files.closeModel')).toEqual([{ fileId: 'file-abc' }]);
    w.unmount();
  });

  it('opens a dropped .onnx file', async () => {
    api.handlers['files.importModel'] = () => openedModel();
    const w = await mountView();
    await w.find('.models-view').trigger('drop', { dataTransfer: { files: [onnxFile()], types: ['Files'] } });
    await flushPromises();
    expect(api.callsOf('files.importModel')).toHaveLength(1);
    expect(useModelsStore().file?.fileId).toBe('file-abc');
    w.unmount();
  });

  it('uses the native dialog in Electron', async () => {
    api.handlers['files.openModelDialog'] = () => openedModel();
    const w = await mountView();
    useSettingsStore().info = { version: '0.1.0', apiVersion: 1, mode: 'electron', platform: 'linux' };
    await w
      .findAll('button')
      .find((b) => b.text() === 'Open ONNX file…')!
      .trigger('click');
    await flushPromises();
    expect(api.callsOf('files.openModelDialog')).toHaveLength(1);
    expect(api.callsOf('files.importModel')).toHaveLength(0);
    expect(useModelsStore().file?.name).toBe('net.onnx');
    w.unmount();
  });

  it('with a profiled result: colour-by-time toggle and measured share beside the analytic share', async () => {
    const m = openedModel();
    api.handlers['files.importModel'] = () => m;
    api.handlers['results.list'] = (req) =>
      req.filter?.target === 'net.onnx' ? { results: [summary], problems: [] } : { results: [], problems: [] };
    api.handlers['results.get'] = () => [profiled(m)];
    const w = await mountView();
    await pickFile(w, onnxFile());
    await flushPromises();
    await settle(5);
    expect(api.callsOf('results.get')).toEqual([{ ids: ['r1'] }]);
    const headers = w.findAll('thead th').map((h) => h.text());
    expect(headers).toContain('MACs %');
    expect(headers.some((h) => h.startsWith('time %'))).toBe(true);
    await w.find('select[aria-label="overlay"]').setValue('time');
    await settle(5);
    expect(w.find('.gx-legend').text()).toMatch(/measured time/i);
    expect(w.find('.gx-legend--empty').exists()).toBe(false);
    // The second conv took 70% of the measured time.
    const conv2 = m.cost.layers.filter((l) => l.op === 'Conv')[1].name;
    await w.find('#layer-search').setValue(conv2);
    const row = w.findAll('tr.vtable__row').find((r) => r.findAll('td')[1].text() === conv2)!;
    expect(row.findAll('td').at(-1)!.text()).toBe('70.0%');
    w.unmount();
  });

  it('keeps the last valid graph and table shown, marked stale and dimmed, while an input is wrong', async () => {
    const w = await mountView();
    const models = useModelsStore();
    const r18 = costGraph(buildTarget({ target: 'resnet18' }));
    const layersText = `${r18.layers.length} of ${r18.layers.length} layers`;
    expect(w.find('.stale-note').exists()).toBe(false);
    await w.find('#model-resnet18-size').setValue('3');
    await settle(300);
    expect(w.find('#model-resnet18-size-error').text()).toBe('must be at least 32, got 3');
    expect(w.find('.stale-note').text()).toBe(
      'stale showing the last valid configuration: size must be at least 32, got 3',
    );
    const area = w.find('.stale-area');
    expect(area.classes()).toContain('is-stale');
    expect(area.find('.graph-explorer').exists()).toBe(true);
    expect(w.find('.table-tools').text()).toContain(layersText);
    expect(w.find('.summary').text()).toContain(macs(r18.totals.macs));
    expect(models.current?.cost.totals.macs).toBe(r18.totals.macs);
    expect(models.target).toBeNull();

    // Another variant while the input is wrong: that variant, with the last valid input, still stale.
    await w
      .findAll('.pick-list__item')
      .find((b) => b.find('.pick-list__title').text() === 'ResNet-50')!
      .trigger('click');
    await settle(5);
    await w.find('#model-resnet50-classes').setValue('0');
    await w.find('#model-variant').setValue('torchvision');
    await settle(5);
    expect(w.find('.stale-note').text()).toContain('classes must be at least 1, got 0');
    const tv = costGraph(buildTarget({ target: 'resnet50', variant: 'torchvision' }));
    expect(models.current?.cost.totals.macs).toBe(tv.totals.macs);
    expect(models.current?.title).toBe('ResNet-50 (torchvision)');

    // Valid again: the mark and the dimming go, the figures are the form's.
    await w.find('#model-resnet50-classes').setValue('10');
    await settle(300);
    expect(w.find('.stale-note').exists()).toBe(false);
    expect(w.find('.is-stale').exists()).toBe(false);
    const ten = costGraph(buildTarget({ target: 'resnet50:classes=10', variant: 'torchvision' }));
    expect(models.current?.cost.totals.params).toBe(ten.totals.params);

    // Reset parameters: a wrong form back to the defaults in one press.
    await w.find('#model-resnet50-batch').setValue('');
    expect(w.find('.stale-note').text()).toContain("batch must be a number, got ''");
    await w
      .findAll('button')
      .find((b) => b.text() === 'Reset parameters')!
      .trigger('click');
    await settle(5);
    expect(w.find('.stale-note').exists()).toBe(false);
    expect((w.find('#model-resnet50-batch').element as HTMLInputElement).value).toBe('1');
    expect(models.current?.cost.totals.macs).toBe(tv.totals.macs);
    w.unmount();
  });

  it('warns when weights + peak activations at the chosen batch exceed the machine’s memory', async () => {
    const GiB = 2 ** 30;
    api.handlers['machine.profile'] = () => ({ memory: { totalBytes: 8 * GiB } }) as unknown as MachineProfile;
    api.handlers['machine.backends'] = [];
    const w = await mountView();
    expect(api.callsOf('machine.profile')).toHaveLength(1);
    expect(w.find('[data-testid="memory-note"]').exists()).toBe(false);
    await w.find('#model-resnet18-batch').setValue('2048');
    await settle(300);
    const t = costGraph(buildTarget({ target: 'resnet18:batch=2048' })).totals;
    const estimate = t.weightBytes + t.peakActivationBytes;
    expect(estimate).toBeGreaterThan(8 * GiB);
    const note = w.find('[data-testid="memory-note"]');
    expect(note.classes()).toContain('notice--warn');
    expect(note.text()).toBe(
      `Too big for this machine: About ${bytes(estimate)} (weights ${bytes(t.weightBytes)} + peak activations ${bytes(t.peakActivationBytes)} at batch 2048) exceeds this machine's 8.00 GiB of memory: the run would likely fail or swap.`,
    );
    // Above half of the memory: a softer note.
    const half = Math.ceil((8 * GiB * 0.6) / (estimate / 2048));
    await w.find('#model-resnet18-batch').setValue(String(half));
    await settle(300);
    const soft = w.find('[data-testid="memory-note"]');
    expect(soft.classes()).not.toContain('notice--warn');
    expect(soft.text()).toMatch(/^Memory: About .* is (5|6)\d\.\d% of this machine's 8\.00 GiB of memory/);
    await w.find('#model-resnet18-batch').setValue('1');
    await settle(300);
    expect(w.find('[data-testid="memory-note"]').exists()).toBe(false);
    w.unmount();
  });

  it('puts a fused runtime node’s whole time on its compute node, as the Time overlay does', () => {
    const byNode = measuredByNode(profiled(openedModel()));
    const conv1 = openedModel().cost.layers.filter((l) => l.op === 'Conv')[0].name;
    expect(byNode.get(conv1)).toBe(300);
    expect(byNode.has(`${conv1}.bn`)).toBe(false);
  });
});
