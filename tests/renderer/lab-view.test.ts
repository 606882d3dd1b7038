// @vitest-environment happy-dom
// The Lab view and its store against a fake API: a lab run on the data set chosen, its base the
// Accuracy view's classifier or the default, live curves per head, then the heads compared with the
// cache and the time it saved; and one task at a time across the Accuracy and Lab views.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import { useAccuracyStore } from '../../renderer/src/stores/accuracy.js';
import { useLabStore } from '../../renderer/src/stores/lab.js';
import { settle, type FakeApi } from './studio-fake-api.js';
import { mountAttached, setUpTaskApi, tearDownTaskApi } from './task-fake-api.js';
import { chartCalls } from './chart-stubs.js';
import { fakeLab } from '../helpers/fake-accuracy.js';

vi.mock('vue-chartjs', async () => (await import('./chart-stubs.js')).chartStubs);
const LabView = (await import('../../renderer/src/views/LabView.vue')).default;
const AccuracyView = (await import('../../renderer/src/views/AccuracyView.vue')).default;

let api: FakeApi;
beforeEach(() => void (api = setUpTaskApi()));
afterEach(tearDownTaskApi);
const mountView = () => mountAttached(LabView);

describe('LabView', () => {
  it('runs the lab on the Accuracy view’s classifier as its base, cut at a named tensor', async () => {
    const w = await mountView();
    expect(w.find('select[aria-label="data set"]').text()).toContain('Fashion-MNIST (IDX)');
    expect(w.find('select[aria-label="lab base"]').attributes('title')).toBe(
      "The Accuracy view's classifier: head-fc:height=28,width=28,channels=1,classes=10",
    );
    await w.find('select[aria-label="lab base"]').setValue('target');
    await w.find('input[aria-label="cut tensor"]').setValue(' layer2/out ');
    await w.find('button.run-lab').trigger('click');
    await flushPromises();
    expect(api.callsOf('lab.start')).toEqual([
      {
        dataId: 'data-fashion',
        heads: ['gap', 'fc', 'mlp'],
        epochs: 5,
        limit: 2000,
        base: { kind: 'block', name: 'head-fc', params: { height: 28, width: 28, channels: 1, classes: 10 } },
        cut: 'layer2/out',
      },
    ]);
    w.unmount();
  });

  it('runs the lab: live curves per head, then the heads compared, cache and time saved', async () => {
    const w = await mountView();
    await w.find('input[aria-label="head mlp"]').setValue(false);
    await w.find('button.run-lab').trigger('click');
    await flushPromises();
    expect(api.callsOf('lab.start')).toEqual([
      { dataId: 'data-fashion', heads: ['gap', 'fc'], epochs: 5, limit: 2000 },
    ]);
    for (const [head, epoch, acc] of [
      ['gap', 1, 0.5],
      ['gap', 2, 0.6],
      ['fc', 1, 0.7],
    ] as const)
      api.emit('task.progress', {
        taskId: 'task-2',
        kind: 'lab',
        phase: `train:${head}`,
        message: '',
        elapsedMs: 1,
        epoch: { head, epoch, epochs: 5, trainLoss: 1, valLoss: 1, valAccuracy: acc },
      });
    await flushPromises();
    await settle();
    expect(w.find('section.task').text()).toContain('Lab running');
    const line = chartCalls.filter((c) => c.type === 'line').at(-1)!;
    expect(line.data.datasets.map((d) => [d.label, d.data])).toEqual([
      [
        'GAP + linear',
        [
          { x: 1, y: 50 },
          { x: 2, y: 60 },
        ],
      ],
      ['flatten + linear (FC)', [{ x: 1, y: 70 }]],
    ]);
    api.emit('task.end', { taskId: 'task-2', kind: 'lab', status: 'ok', lab: fakeLab({ id: 'lab-1' }) });
    await flushPromises();
    expect(w.find('progress').exists()).toBe(false);
    expect(w.findAll('.test-acc').map((c) => c.text())).toEqual(['70.0%', '80.0%']);
    expect(w.text()).toContain('cache miss');
    expect(w.find('.time-saved').text()).toBe('300 ms');
    expect(w.text()).toMatch(
      /GAP \+ linear: 70\.0% with 99 parameters; flatten \+ linear: 80\.0% with 4,707 \(48x the parameters, \+10\.0 points\)/,
    );
    const heads = chartCalls.filter((c) => c.type === 'scatter').at(-1)!;
    expect(heads.data.datasets.map((d) => d.data)).toEqual([[{ x: 99, y: 70 }], [{ x: 4707, y: 80 }]]);
    expect(useLabStore().savedLab.map((r) => r.id)).toEqual(['lab-1']);
    w.unmount();
  });

  it('says why the lab cannot run, and why its task failed', async () => {
    const w = await mountView();
    useAccuracyStore().target = null;
    await flushPromises();
    expect(w.find('select[aria-label="lab base"] option[value="target"]').attributes('disabled')).toBeDefined();
    useLabStore().base = 'target';
    await useLabStore().runLab();
    await flushPromises();
    expect(w.find('[role="alert"]').text()).toContain('choose a classifier in the Accuracy view');
    useLabStore().base = 'default';
    await useLabStore().runLab();
    api.emit('task.end', { taskId: 'task-2', kind: 'lab', status: 'failed', error: 'no tensor named x' });
    await flushPromises();
    expect(useLabStore().taskError).toBe('no tensor named x');
    expect(w.text()).toContain('no tensor named x');
    w.unmount();
  });

  it('runs one task at a time across the Accuracy and Lab views: a lab running shows in both', async () => {
    const lab = await mountView();
    await lab.find('button.run-lab').trigger('click');
    await flushPromises();
    lab.unmount();
    const acc = await mountAttached(AccuracyView);
    expect(acc.find('section.task').text()).toContain('Lab running');
    expect(acc.find('button.run-accuracy').attributes('disabled')).toBeDefined();
    await acc.find('button.cancel-task').trigger('click');
    await flushPromises();
    expect(api.callsOf('tasks.cancel')).toEqual([{ taskId: 'task-2' }]);
    api.emit('task.end', { taskId: 'task-2', kind: 'lab', status: 'cancelled' });
    await flushPromises();
    expect(acc.find('section.task').exists()).toBe(false);
    expect(acc.find('button.run-accuracy').attributes('disabled')).toBeUndefined();
    expect(useAccuracyStore().taskError).toBeNull();
    acc.unmount();
  });
});
