// @vitest-environment happy-dom
// The Models view's overlay picker (issue 21): each overlay drawn with its legend or, without data,
// the sentence saying what to run; the int8 error measured from the view (precision.layerError);
// Results' "Show on graph" opening the run diff overlay; the node-data and CSV exports.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import ModelsView from '../../renderer/src/views/ModelsView.vue';
import { setApi } from '../../renderer/src/api/index.js';
import { useDiffStore } from '../../renderer/src/stores/diff.js';
import { useModelsStore } from '../../renderer/src/stores/models.js';
import { ModelNodeDataSchema } from '../../shared/explorer/node-data.js';
import { fakeApi, fakeLayerErrorReport, settle, type FakeApi } from './studio-fake-api.js';

let api: FakeApi;
const downloads: { name: string; blob: Blob | null }[] = [];
let lastBlob: Blob | null = null;
const textOf = async (i: number) => (await downloads[i].blob?.text()) ?? '';

beforeEach(() => {
  setActivePinia(createPinia());
  api = fakeApi();
  setApi(api);
  downloads.length = 0;
  // downloadText makes an object URL for an <a download>: keep what it would save.
  vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
    lastBlob = blob as Blob;
    return 'blob:fake';
  });
  vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined);
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    downloads.push({ name: this.download, blob: lastBlob });
  });
});
afterEach(() => {
  setApi(undefined);
  vi.restoreAllMocks();
});

async function mountResnet(): Promise<ReturnType<typeof mount>> {
  const w = mount(ModelsView, { attachTo: document.body });
  useModelsStore().selectZoo('resnet50');
  await settle(400);
  await flushPromises();
  return w;
}
const pick = async (w: ReturnType<typeof mount>, kind: string) => {
  await w.find('select[aria-label="overlay"]').setValue(kind);
  await settle(5);
  await flushPromises();
};

describe('Models view overlays', () => {
  it('offers every overlay; MACs and activation memory are computed here, with their legends', async () => {
    const w = await mountResnet();
    const options = w.findAll('select[aria-label="overlay"] option').map((o) => o.text());
    expect(options).toEqual([
      'Share of MACs',
      'Measured time',
      'Achieved GFLOP/s',
      'Roofline position',
      'Activation memory',
      'Precision error',
      'Run diff (Δ time)',
    ]);
    expect(w.find('.gx-legend').text()).toMatch(/share of MACs/i);
    await pick(w, 'memory');
    expect(w.find('.gx-legend--empty').exists()).toBe(false);
    expect(w.find('.gx-legend').text()).toMatch(/peak/i);
    w.unmount();
  });

  it('an overlay without data says what to run to get it', async () => {
    const w = await mountResnet();
    await pick(w, 'time');
    expect(w.find('.gx-legend--empty').text()).toMatch(/--profile/);
    await pick(w, 'delta');
    expect(w.find('.gx-legend--empty').text()).toMatch(/profile two runs/i);
    await pick(w, 'error');
    expect(w.find('.gx-legend--empty').text()).toMatch(/Measure int8 error/);
    // Nothing to export from an overlay without data.
    const exportButton = w.findAll('button').find((b) => b.text() === 'Export node data')!;
    expect(exportButton.attributes('disabled')).toBeDefined();
    w.unmount();
  });

  it('measures the int8 error from the view and colours the nodes, the jump named', async () => {
    // A report of resnet50's own nodes (the fake's default is a block's).
    const node = (name: string, relRms: number) => ({
      node: name,
      op: 'Relu',
      tensor: name,
      relRms,
      maxAbs: relRms * 10,
      cosine: 1 - relRms * relRms,
      snrDb: -20 * Math.log10(relRms),
      elements: 1000,
    });
    api.handlers['precision.layerError'] = (req) => ({
      ...fakeLayerErrorReport(req.precision),
      model: 'resnet50',
      nodes: [node('conv1.relu', 0.0098), node('layer1.0/conv1.relu', 0.011), node('layer4.2/out', 0.048)],
      jump: { node: 'conv1.relu', tensor: 'conv1.relu', inputRelRms: 0, relRms: 0.0098 },
    });
    const w = await mountResnet();
    await pick(w, 'error');
    const measure = w.findAll('button').find((b) => b.text() === 'Measure int8 error')!;
    await measure.trigger('click');
    await settle(5);
    await flushPromises();
    const calls = api.callsOf('precision.layerError');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ target: { kind: 'model', name: 'resnet50' }, precision: 'int8' });
    expect(w.find('.gx-legend--empty').exists()).toBe(false);
    expect(w.find('.gx-legend').text()).toMatch(/conv1\.relu/);
    w.unmount();
  });

  it('shows the run diff kept by Results for this model, on a diverging scale', async () => {
    const diffs = useDiffStore();
    diffs.overlay = {
      target: { kind: 'model', name: 'resnet50', variant: 'keras', params: {} },
      a: { id: 'a', label: 'resnet50 on ort-cpu' },
      b: { id: 'b', label: 'resnet50 on native' },
      nodes: [
        { node: 'conv1', unit: 'conv1', aUs: 900, bUs: 1200 },
        { node: 'conv1.bn', unit: 'conv1', aUs: 900, bUs: 1200 },
        { node: 'layer1.0/conv2', unit: 'layer1.0/conv2', aUs: 500, bUs: 300 },
      ],
    };
    useModelsStore().overlayRequest = 'delta';
    const w = await mountResnet();
    expect((w.find('select[aria-label="overlay"]').element as HTMLSelectElement).value).toBe('delta');
    expect(w.find('.gx-legend--empty').exists()).toBe(false);
    expect(w.text()).toContain('B = resnet50 on native against A = resnet50 on ort-cpu');
    w.unmount();
  });

  it('exports the shown overlay as Model Explorer node data and the layer table as CSV', async () => {
    const w = await mountResnet();
    await w
      .findAll('button')
      .find((b) => b.text() === 'Export node data')!
      .trigger('click');
    await settle(5);
    expect(downloads[0].name).toBe('resnet50-macs.node-data.json');
    const data = ModelNodeDataSchema.parse(JSON.parse(await textOf(0)));
    const graph = Object.values(data)[0];
    expect(graph.results.conv1.value).toBeGreaterThan(0);
    await w
      .findAll('button')
      .find((b) => b.text() === 'Export CSV')!
      .trigger('click');
    await settle(5);
    expect(downloads[1].name).toBe('resnet50-layers.csv');
    const lines = (await textOf(1)).trim().split(/\r?\n/);
    expect(lines.length).toBeGreaterThan(170);
    expect(lines[0]).toMatch(/name/);
    expect(lines.find((l) => l.startsWith('layer2.0/conv1,'))).toMatch(/layer2/);
    w.unmount();
  });
});
