// @vitest-environment happy-dom
// The Accuracy view and its store against a fake API: data sets by handle, an accuracy run with live
// progress and cancel, the result (top-1, per-class table, confusion matrix), precision variants
// side by side; and the Pareto chart's matching of accuracy to benchmark results. (The lab is the
// Lab view: lab-view.test.ts.)
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { useAccuracyStore } from '../../renderer/src/stores/accuracy.js';
import { useTaskStore } from '../../renderer/src/stores/tasks.js';
import { accuracyTargetKey, markFront, paretoData } from '../../renderer/src/components/charts/chart-data.js';
import { FASHION, mountAttached, setUpTaskApi, tearDownTaskApi } from './task-fake-api.js';
import { type FakeApi } from './studio-fake-api.js';
import { chartCalls } from './chart-stubs.js';
import { fakeAccuracy } from '../helpers/fake-accuracy.js';
import { fakeResult } from '../helpers/fake-results.js';

vi.mock('vue-chartjs', async () => (await import('./chart-stubs.js')).chartStubs);
const AccuracyView = (await import('../../renderer/src/views/AccuracyView.vue')).default;
const ParetoChart = (await import('../../renderer/src/components/charts/ParetoChart.vue')).default;

let api: FakeApi;
beforeEach(() => void (api = setUpTaskApi()));
afterEach(tearDownTaskApi);
const mountView = () => mountAttached(AccuracyView);

describe('AccuracyView', () => {
  it('lists the data sets by handle and runs accuracy with the chosen settings, live progress and cancel', async () => {
    const w = await mountView();
    const select = w.find('select[aria-label="data set"]');
    expect(select.text()).toContain('Fashion-MNIST (IDX)');
    expect(w.text()).not.toContain('Open data folder'); // web mode: no native dialog
    await w.find('input[aria-label="image limit"]').setValue('200');
    await w.find('input[aria-label="image limit"]').trigger('change');
    await w.find('button.run-accuracy').trigger('click');
    await flushPromises();
    expect(api.callsOf('accuracy.start')).toEqual([
      {
        target: { kind: 'block', name: 'head-fc', params: { height: 28, width: 28, channels: 1, classes: 10 } },
        dataId: 'data-fashion',
        batch: 32,
        backend: 'ort-cpu',
        limit: 200,
        precision: 'fp32',
      },
    ]);
    api.emit('task.progress', {
      taskId: 'task-1',
      kind: 'accuracy',
      phase: 'evaluate',
      message: '100/200 images',
      fraction: 0.5,
      elapsedMs: 900,
    });
    await flushPromises();
    const bar = w.find('progress[aria-label="Accuracy progress"]');
    expect((bar.element as HTMLProgressElement).value).toBe(0.5);
    expect(w.text()).toContain('100/200 images');
    expect(w.find('button.run-accuracy').attributes('disabled')).toBeDefined();
    await w.find('button.cancel-task').trigger('click');
    await flushPromises();
    expect(api.callsOf('tasks.cancel')).toEqual([{ taskId: 'task-1' }]);
    expect(w.find('button.cancel-task').text()).toBe('Cancelling…');
    api.emit('task.end', { taskId: 'task-1', kind: 'accuracy', status: 'cancelled' });
    await flushPromises();
    expect(w.find('progress').exists()).toBe(false);
    w.unmount();
  });

  it('shows the result: top-1 / top-5, the per-class table and the confusion matrix coloured by share', async () => {
    const w = await mountView();
    await w.find('button.run-accuracy').trigger('click');
    await flushPromises();
    const result = fakeAccuracy({ id: 'acc-1', accuracy: { ...fakeAccuracy().accuracy, top5: 0.95 } });
    api.emit('task.end', { taskId: 'task-1', kind: 'accuracy', status: 'ok', accuracy: result });
    await flushPromises();
    expect(w.find('.top1').text()).toBe('60.0%');
    expect(w.find('.top5').text()).toBe('95.0%');
    const rows = w.findAll('table.per-class tbody tr');
    expect(rows.map((r) => r.findAll('td').at(-1)!.text())).toEqual(['80.0%', '60.0%', '40.0%']);
    const diag = w.findAll('table.confusion td.diag');
    expect(diag.map((d) => d.text())).toEqual(['8', '6', '4']);
    expect(diag[0].attributes('style')).toMatch(/--share: 71%/);
    expect(useAccuracyStore().savedAccuracy.map((r) => r.id)).toEqual(['acc-1']);
    w.unmount();
  });

  it('runs several precisions one after another, int8 with its calibration, and shows them side by side', async () => {
    let n = 0;
    api.handlers['accuracy.start'] = () => ({ taskId: `task-p${++n}` });
    const w = await mountView();
    expect(w.find('select[aria-label="int8 calibration"]').exists()).toBe(false);
    await w.find('input[aria-label="precision fp16"]').setValue(true);
    await w.find('input[aria-label="precision int8"]').setValue(true);
    await w.find('select[aria-label="int8 calibration"]').setValue('entropy');
    await w.find('button.run-accuracy').trigger('click');
    await flushPromises();
    // One task at a time: fp32 first, the others wait for its end.
    expect(api.callsOf('accuracy.start').map((c) => c.precision)).toEqual(['fp32']);
    expect(w.find('table.variants-table').text()).toMatch(/fp32\s*running…[\s\S]*fp16\s*queued[\s\S]*int8\s*queued/);
    const fp32 = fakeAccuracy({ id: 'a32', accuracy: { ...fakeAccuracy().accuracy, top1: 0.8 } });
    api.emit('task.end', { taskId: 'task-p1', kind: 'accuracy', status: 'ok', accuracy: fp32 });
    await flushPromises();
    const refusal = 'fp16 is refused on ort-cpu: ONNX Runtime has no float16 Conv kernels on this CPU';
    api.emit('task.end', { taskId: 'task-p2', kind: 'accuracy', status: 'failed', error: refusal });
    await flushPromises();
    const starts = api.callsOf('accuracy.start');
    expect(starts.map((c) => c.precision)).toEqual(['fp32', 'fp16', 'int8']);
    expect(starts[2]).toMatchObject({ calibration: { method: 'entropy' }, dataId: 'data-fashion', batch: 32 });
    expect(starts[1].calibration).toBeUndefined();
    const int8 = fakeAccuracy({
      id: 'a8',
      precision: 'int8',
      accuracy: { ...fakeAccuracy().accuracy, top1: 0.77 },
      precisionDetails: {
        precision: 'int8',
        notes: ['calibration images: 64 of the train split'],
        calibration: { method: 'entropy', samples: 2, source: 'supplied', tensors: 5, ms: 12 },
        quantization: {
          format: 'QDQ',
          weights: 'int8 per-channel symmetric',
          activations: 'uint8',
          ops: { Conv: 2 },
          qdqTensors: 5,
          foldedBatchNorms: 1,
          removedActivations: 0,
          floatOps: [],
          runtimeKernels: { QuantizeLinear: 1, QLinearConv: 2, DequantizeLinear: 1 },
        },
      },
    });
    api.emit('task.end', { taskId: 'task-p3', kind: 'accuracy', status: 'ok', accuracy: int8 });
    await flushPromises();
    const rows = w.findAll('table.variants-table tbody tr');
    expect(rows.map((r) => r.find('td').text())).toEqual(['fp32', 'fp16', 'int8']);
    expect(rows[0].find('.variant-top1').text()).toBe('80.0%');
    expect(rows[0].find('.variant-delta').text()).toBe('reference');
    expect(rows[1].text()).toContain('did not run');
    expect(rows[1].find('.refusal').text()).toBe(refusal);
    expect(rows[2].find('.variant-top1').text()).toBe('77.0%');
    expect(rows[2].find('.variant-delta').text()).toBe('−3.0 points');
    expect(rows[2].text()).toContain('calibration images: 64 of the train split');
    expect(rows[2].text()).toContain('calibration: entropy, 2 batches (real images), 5 tensors');
    expect(rows[2].text()).toContain('kernels: QLinearConv ×2, DequantizeLinear ×1, QuantizeLinear ×1');
    // A refusal among several precisions is not a failure of the run.
    expect(useAccuracyStore().taskError).toBeNull();
    expect(w.find('.accuracy-result h2').text()).toContain('head-fc');
    expect(w.find('.top1').text()).toBe('77.0%');
    await rows[0].find('button.show-variant').trigger('click');
    expect(w.find('.top1').text()).toBe('80.0%');
    w.unmount();
  });

  it('compares a variant with a saved fp32 result of the same images, and cancels what is queued', async () => {
    let n = 0;
    api.handlers['accuracy.start'] = () => ({ taskId: `task-q${++n}` });
    api.handlers['accuracy.list'] = {
      results: [fakeAccuracy({ id: 'old32', accuracy: { ...fakeAccuracy().accuracy, top1: 0.5 } })],
      problems: [],
    };
    const w = await mountView();
    await w.find('input[aria-label="precision fp32"]').setValue(false);
    await w.find('input[aria-label="precision int8"]').setValue(true);
    await w.find('button.run-accuracy').trigger('click');
    await flushPromises();
    expect(api.callsOf('accuracy.start')).toEqual([expect.objectContaining({ precision: 'int8' })]);
    expect(api.callsOf('accuracy.start')[0].calibration).toEqual({ method: 'minmax' });
    const int8 = fakeAccuracy({ id: 'q8', precision: 'int8', accuracy: { ...fakeAccuracy().accuracy, top1: 0.52 } });
    api.emit('task.end', { taskId: 'task-q1', kind: 'accuracy', status: 'ok', accuracy: int8 });
    await flushPromises();
    expect(w.find('.variant-int8 .variant-delta').text()).toBe('+2.0 points');
    expect(w.find('section.variants').text()).toContain('a saved fp32 result of this target on the same images');
    // Two precisions, cancelled during the first: the second never starts.
    await w.find('input[aria-label="precision fp16"]').setValue(true);
    await w.find('button.run-accuracy').trigger('click');
    await flushPromises();
    await w.find('button.cancel-task').trigger('click');
    api.emit('task.end', { taskId: 'task-q2', kind: 'accuracy', status: 'cancelled' });
    await flushPromises();
    expect(api.callsOf('accuracy.start').map((c) => c.precision)).toEqual(['int8', 'fp16']);
    expect(w.find('.variant-int8 .variant-status').text()).toBe('cancelled');
    useAccuracyStore().togglePrecision('fp16', false);
    useAccuracyStore().togglePrecision('int8', false);
    await flushPromises();
    expect(w.find('button.run-accuracy').attributes('disabled')).toBeDefined();
    w.unmount();
  });

  it('says why a task failed, and refuses to run without a data set', async () => {
    api.handlers['data.list'] = { datasets: [] };
    const w = await mountView();
    expect(w.text()).toContain('No labeled data set is known on this machine');
    expect(w.find('button.run-accuracy').attributes('disabled')).toBeDefined();
    await useAccuracyStore().runAccuracy();
    expect(useAccuracyStore().error).toBe('choose a data set first');
    useTaskStore().dataId = 'data-x';
    await useAccuracyStore().runAccuracy();
    api.emit('task.end', {
      taskId: 'task-1',
      kind: 'accuracy',
      status: 'failed',
      error: 'the data set has 10 classes but x outputs 8 scores',
    });
    await flushPromises();
    expect(w.find('[role="alert"]').text()).toContain('outputs 8 scores');
    w.unmount();
  });

  it('offers the native folder dialog in the desktop app and selects what was opened', async () => {
    api.handlers['app.info'] = { version: '0.1.0', apiVersion: 1, mode: 'electron', platform: 'linux' };
    api.handlers['files.openDataDialog'] = { ...FASHION, dataId: 'data-mine', name: 'mine', origin: 'opened' };
    const { useSettingsStore } = await import('../../renderer/src/stores/settings.js');
    await useSettingsStore().load();
    const w = await mountView();
    await w.find('button.open-data').trigger('click');
    await flushPromises();
    expect(useTaskStore().dataId).toBe('data-mine');
    expect(w.find('select[aria-label="data set"]').text()).toContain('mine (IDX)');
    w.unmount();
  });
});

describe('Pareto chart: accuracy matched to benchmark results', () => {
  it('matches by target (parameters but the batch, numbers or text) and precision; marks the front', () => {
    const t = { kind: 'block' as const, name: 'head-fc', params: { classes: 3 } };
    expect(accuracyTargetKey(t)).toBe(accuracyTargetKey({ ...t, params: { classes: '3', batch: 8 } }));
    expect(accuracyTargetKey({ kind: 'file', path: '/a/b/m.onnx', dims: {} })).toBe(
      accuracyTargetKey({ kind: 'file', path: '/c/m.onnx', dims: { batch: 1 } }),
    );
    const fast = fakeResult({ id: 'f', target: t, samplesMs: [1, 1, 1] });
    const slow = fakeResult({
      id: 's',
      target: { kind: 'block', name: 'head-gap', params: {} },
      samplesMs: [3, 3, 3],
    });
    const other = fakeResult({ id: 'o', target: { kind: 'block', name: 'pointwise', params: {} } });
    const acc = [
      fakeAccuracy({
        targetSpec: t,
        createdAt: '2025-01-01T00:00:00Z',
        accuracy: { ...fakeAccuracy().accuracy, top1: 0.1 },
      }),
      fakeAccuracy({ targetSpec: t, createdAt: '2025-02-01T00:00:00Z' }),
      fakeAccuracy({
        targetSpec: { kind: 'block', name: 'head-gap', params: {} },
        accuracy: { ...fakeAccuracy().accuracy, top1: 0.9 },
      }),
    ];
    const points = paretoData([fast, slow, other], acc);
    expect(points.map((p) => [p.accuracy, p.front])).toEqual([
      [0.6, true],
      [0.9, true],
    ]);
    expect(
      markFront([
        { latency: 1, accuracy: 0.5 },
        { latency: 2, accuracy: 0.4 },
        { latency: 3, accuracy: 0.7 },
      ]).map((p) => p.front),
    ).toEqual([true, false, true]);
    const w = mount(ParetoChart, { props: { results: [fast, slow, other], accuracy: acc } });
    expect(w.find('table.pareto-front').findAll('tbody tr')).toHaveLength(2);
    const call = chartCalls.at(-1)!;
    expect(call.data.datasets.map((d) => d.label)).toEqual(['Pareto front', 'dominated']);
    const empty = mount(ParetoChart, { props: { results: [other], accuracy: acc } });
    expect(empty.text()).toContain('No accuracy for these targets yet');
  });
});
