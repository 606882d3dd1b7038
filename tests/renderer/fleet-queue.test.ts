// @vitest-environment happy-dom
// Queuing on the fleet from the Fleet view: the form as a fleet.enqueue request (targets keep their
// parameters' commas), the agents' names and tags suggested, a refusal shown in red, what was queued;
// the Runs card with each run's jobs counted by state and Cancel for a run with queued or running
// jobs (fleet.cancel), read again with the agents; and neither card without a database.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { setApi } from '../../renderer/src/api/index.js';
import {
  destinationSuggestions,
  emptyQueueForm,
  queueRequestOf,
  useFleetStore,
} from '../../renderer/src/stores/fleet.js';
import { useHistoryStore } from '../../renderer/src/stores/history.js';
import type { FleetRunView, FleetRunsResponse } from '../../shared/contract/fleet.js';
import type { FleetListResponse } from '../../shared/contract/history.js';
import { fakeApi, type FakeApi } from './studio-fake-api.js';

vi.mock('vue-chartjs', async () => (await import('./chart-stubs.js')).chartStubs);
const FleetView = (await import('../../renderer/src/views/FleetView.vue')).default;

let api: FakeApi;

const fleetList: FleetListResponse = {
  checkedAt: '2025-06-20T10:00:00.000Z',
  agents: [
    { name: 'ws-1', tags: ['cpu', 'lab'], host: 'lab-1', lastSeenS: 1, state: 'idle' },
    { name: 'gpu-box', tags: ['cuda', 'lab'], host: 'lab-3', lastSeenS: 2, state: 'busy' },
    { name: 'gone', tags: ['old'], host: 'lab-9', lastSeenS: 9000, state: 'stopped' },
  ],
  queues: [],
};

const run = (id: string, counts: Partial<FleetRunView['counts']>): FleetRunView => ({
  runId: id,
  requestedBy: 'anna@lab-1',
  createdAt: '2025-06-20T09:59:00.000Z',
  destinations: ['ws-1'],
  jobs: 2,
  counts: { queued: 0, running: 0, ok: 0, failed: 0, cancelled: 0, ...counts },
  labels: ['pointwise:height=8,width=8 on ort-cpu, batch 1'],
});

beforeEach(() => {
  setActivePinia(createPinia());
  api = fakeApi({ 'fleet.list': fleetList });
  setApi(api);
});
afterEach(() => {
  useHistoryStore().detach();
  setApi(undefined);
});

describe('the queue form', () => {
  it('turns the form into a fleet.enqueue request; bad numbers and empty fields are named', () => {
    expect(
      queueRequestOf({
        ...emptyQueueForm(),
        targets: ' pointwise:height=8,width=8   resnet50 ',
        destinations: ' ws-1,tag:cuda ',
        batches: '1, 4',
        threads: '0',
        minTimeS: '0.5',
      }),
    ).toEqual({
      targets: ['pointwise:height=8,width=8', 'resnet50'],
      destinations: 'ws-1,tag:cuda',
      backends: ['ort-cpu'],
      batches: [1, 4],
      threads: [0],
      measure: { minTimeS: 0.5 },
    });
    expect(() => queueRequestOf(emptyQueueForm())).toThrow(/at least one target/);
    expect(() => queueRequestOf({ ...emptyQueueForm(), targets: 'pointwise' })).toThrow(/agent or tag/);
    expect(() =>
      queueRequestOf({ ...emptyQueueForm(), targets: 'pointwise', destinations: 'x', batches: '0' }),
    ).toThrow(/batches must be integers from 1, got '0'/);
  });

  it("suggests the live agents' names and tags, once each", () => {
    expect(destinationSuggestions(fleetList.agents)).toEqual(['ws-1', 'gpu-box', 'tag:cpu', 'tag:lab', 'tag:cuda']);
  });
});

describe('FleetView: queue and runs', () => {
  it('queues from the form and shows what was queued; the runs are read again', async () => {
    const w = mount(FleetView, { attachTo: document.body });
    await flushPromises();
    const form = w.find('form.fleet-queue__form');
    expect(form.exists()).toBe(true);
    await w.find('input[name="targets"]').setValue('pointwise:height=8,width=8');
    await w.find('[data-destination="ws-1"]').trigger('click');
    await w.find('[data-destination="tag:cuda"]').trigger('click');
    expect((w.find('input[name="destinations"]').element as HTMLInputElement).value).toBe('ws-1,tag:cuda');
    await w.find('input[name="batches"]').setValue('1,2');
    const before = api.callsOf('fleet.runs').length;
    await form.trigger('submit');
    await flushPromises();
    expect(api.callsOf('fleet.enqueue')).toEqual([
      {
        targets: ['pointwise:height=8,width=8'],
        destinations: 'ws-1,tag:cuda',
        backends: ['ort-cpu'],
        batches: [1, 2],
      },
    ]);
    expect(w.find('.fleet-queue__done').text()).toMatch(/run-fake: 1 job\s+queued on ws-1, tag:cuda/);
    expect(api.callsOf('fleet.runs').length).toBe(before + 1);
    w.unmount();
  });

  it('shows a refusal in red', async () => {
    api.handlers['fleet.enqueue'] = () => {
      throw Object.assign(new Error('a model file is queued from the CLI (bench FILE --on ...)'), {
        code: 'bad-request',
      });
    };
    const w = mount(FleetView, { attachTo: document.body });
    await flushPromises();
    await w.find('input[name="targets"]').setValue('model.onnx');
    await w.find('input[name="destinations"]').setValue('ws-1');
    await w.find('form.fleet-queue__form').trigger('submit');
    await flushPromises();
    const error = w.find('.fleet-queue__error');
    expect(error.classes()).toContain('error-text');
    expect(error.attributes('role')).toBe('alert');
    expect(error.text()).toBe('a model file is queued from the CLI (bench FILE --on ...)');
    w.unmount();
  });

  it('lists the runs with counts, and cancels one with queued or running jobs', async () => {
    let runs: FleetRunView[] = [run('run-b', { queued: 1, running: 1 }), run('run-a', { ok: 1, failed: 1 })];
    api.handlers['fleet.runs'] = (): FleetRunsResponse => ({ runs, checkedAt: '2025-06-20T10:00:00.000Z' });
    api.handlers['fleet.cancel'] = ({ runId }) => {
      runs = runs.map((r) =>
        r.runId === runId ? { ...r, counts: { ...r.counts, queued: 0, running: 0, cancelled: 2 } } : r,
      );
      return { queued: 1, running: 1 };
    };
    const w = mount(FleetView, { attachTo: document.body });
    await flushPromises();
    const rows = w.findAll('.fleet-run');
    expect(rows.map((r) => r.attributes('data-run'))).toEqual(['run-b', 'run-a']);
    const cells = rows[0].findAll('td').map((c) => c.text());
    expect(cells.slice(1, 9)).toEqual([
      'anna@lab-1',
      'ws-1',
      expect.stringMatching(/^2 · pointwise/),
      '1',
      '1',
      '0',
      '0',
      '0',
    ]);
    expect(rows[1].find('button').exists()).toBe(false);
    expect(rows[1].findAll('td')[7].classes()).toContain('error-text');
    await rows[0].find('button').trigger('click');
    await flushPromises();
    expect(api.callsOf('fleet.cancel')).toEqual([{ runId: 'run-b' }]);
    expect(w.text()).toContain('run-b: 1 queued job cancelled, 1 running job stopping');
    expect(w.find('[data-run="run-b"] button').exists()).toBe(false);
    expect(w.find('[data-run="run-b"]').findAll('td')[8].text()).toBe('2');
    w.unmount();
  });

  it('reads the runs with every poll of the agents', async () => {
    vi.useFakeTimers();
    try {
      const fleet = useFleetStore();
      const stop = fleet.start(1000);
      await vi.advanceTimersByTimeAsync(10);
      expect(api.callsOf('fleet.runs').length).toBe(1);
      await vi.advanceTimersByTimeAsync(2000);
      expect(api.callsOf('fleet.runs').length).toBe(3);
      stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('without a database: no queue form, no runs card, fleet.runs not called', async () => {
    api.handlers['fleet.list'] = {
      agents: [],
      queues: [],
      problem: 'the fleet needs a results database',
      checkedAt: '2025-06-01T10:00:00.000Z',
    };
    const w = mount(FleetView, { attachTo: document.body });
    await flushPromises();
    expect(w.find('.fleet-queue').exists()).toBe(false);
    expect(w.find('.fleet-runs').exists()).toBe(false);
    expect(api.callsOf('fleet.runs')).toEqual([]);
    w.unmount();
  });
});
