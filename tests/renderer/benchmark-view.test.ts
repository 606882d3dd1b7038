// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { setApi } from '../../renderer/src/api/index.js';
import BenchmarkView from '../../renderer/src/views/BenchmarkView.vue';
import { useBenchStore } from '../../renderer/src/stores/bench.js';
import { fakeApi, settle, type FakeApi } from './studio-fake-api.js';
import { fakeMachine, fakeResult } from '../helpers/fake-results.js';

let api: FakeApi;

beforeEach(() => {
  setActivePinia(createPinia());
  api = fakeApi({
    'machine.profile': fakeMachine(),
    'machine.backends': [
      { backend: 'ort-cpu', provider: 'CPUExecutionProvider', available: true },
      {
        backend: 'ort-cuda',
        provider: 'CUDAExecutionProvider',
        available: false,
        reason: 'the CUDA execution provider is not installed',
      },
      { backend: 'native', provider: 'native', available: true, kind: 'avx2' },
    ],
    'bench.start': ({ targets }) => ({
      runId: 'run-7',
      jobs: targets.map((t, i) => ({ id: `run-7-${i}`, label: `${t.kind === 'file' ? t.fileId : t.name} on ort-cpu` })),
    }),
    'bench.cancel': { cancelled: 1 },
  });
  setApi(api);
});
afterEach(() => {
  useBenchStore().detach();
  setApi(undefined);
});

async function mountView() {
  const w = mount(BenchmarkView, { attachTo: document.body });
  await flushPromises();
  return w;
}

describe('BenchmarkView', () => {
  it('shows unavailable backends disabled with the reason; every precision selectable', async () => {
    const w = await mountView();
    const cuda = w.find('input[aria-label="ort-cuda"]');
    expect((cuda.element as HTMLInputElement).disabled).toBe(true);
    expect(w.text()).toContain('the CUDA execution provider is not installed');
    expect((w.find('input[aria-label="native"]').element as HTMLInputElement).disabled).toBe(false);
    for (const p of ['fp32', 'fp16', 'int8'])
      expect((w.find(`input[aria-label="${p}"]`).element as HTMLInputElement).disabled).toBe(false);
    expect((w.find('input[aria-label="fp32"]').element as HTMLInputElement).checked).toBe(true);
    expect(w.find('select[aria-label="int8 calibration"]').exists()).toBe(false);
    w.unmount();
  });

  it('asks for int8 with its calibration method, and counts a job per precision', async () => {
    const w = await mountView();
    const bench = useBenchStore();
    bench.targets = [{ kind: 'block', name: 'pointwise', params: {} }];
    await w.find('input[aria-label="int8"]').setValue(true);
    expect(bench.precision).toEqual(['fp32', 'int8']);
    await w.find('select[aria-label="int8 calibration"]').setValue('entropy');
    expect(bench.jobCount).toBe(2);
    await w.find('button.run').trigger('click');
    await flushPromises();
    expect(api.callsOf('bench.start')[0]).toMatchObject({
      precision: ['fp32', 'int8'],
      calibration: { method: 'entropy' },
    });
    await w.find('input[aria-label="fp32"]').setValue(false);
    await w.find('input[aria-label="int8"]').setValue(false);
    expect(w.text()).toContain('Choose at least one precision.');
    w.unmount();
  });

  it('adds a block with parameters, runs it, and follows its job live', async () => {
    const w = await mountView();
    await w.find('select[aria-label="block"]').setValue('bottleneck');
    await w.find('input[aria-label="parameters"]').setValue('mid=32');
    await w.find('button.add-target').trigger('click');
    expect(useBenchStore().targets).toEqual([{ kind: 'block', name: 'bottleneck', params: { mid: 32 } }]);
    expect(w.find('.chosen-target').text()).toContain('bottleneck:mid=32');

    await w.find('input[aria-label="batch sizes"]').setValue('1, 8');
    await w.find('input[aria-label="batch sizes"]').trigger('change');
    await w.find('button.run').trigger('click');
    await flushPromises();
    expect(api.callsOf('bench.start')[0]).toMatchObject({
      targets: [{ kind: 'block', name: 'bottleneck', params: { mid: 32 } }],
      backends: ['ort-cpu'],
      batches: [1, 8],
    });
    const row = () => w.find('tr[data-job="run-7-0"]');
    expect(row().find('.job-status').text()).toBe('queued');

    api.emit('bench.job-start', {
      runId: 'run-7',
      jobId: 'run-7-0',
      label: 'bottleneck on ort-cpu',
      index: 0,
      total: 1,
    });
    api.emit('bench.progress', {
      runId: 'run-7',
      jobId: 'run-7-0',
      phase: 'measure',
      runs: 40,
      median: 1.234,
      fraction: 0.4,
    });
    await settle(200);
    await flushPromises();
    expect(row().find('.job-status').text()).toBe('running');
    expect(row().find('.job-median').text()).toBe('1.23 ms');
    expect(row().find('.job-runs').text()).toBe('40');
    expect((row().find('progress').element as HTMLProgressElement).value).toBeCloseTo(0.4);

    await row().find('button.cancel-job').trigger('click');
    await flushPromises();
    expect(api.callsOf('bench.cancel')).toEqual([{ runId: 'run-7', jobId: 'run-7-0' }]);
    w.unmount();
  });

  it('shows a failure on the row where it happened', async () => {
    const w = await mountView();
    const bench = useBenchStore();
    bench.addTarget({ kind: 'block', name: 'conv', params: {} });
    bench.addTarget({ kind: 'block', name: 'pointwise', params: {} });
    await flushPromises();
    await w.find('button.run').trigger('click');
    await flushPromises();
    api.emit('bench.job-end', { runId: 'run-7', jobId: 'run-7-0', result: fakeResult({ medianMs: 1 }) });
    api.emit('bench.job-end', {
      runId: 'run-7',
      jobId: 'run-7-1',
      result: fakeResult({
        status: 'failed',
        failure: { kind: 'crash', reason: 'the job process exited with SIGSEGV' },
      }),
    });
    await flushPromises();
    const [ok, failed] = [w.find('tr[data-job="run-7-0"]'), w.find('tr[data-job="run-7-1"]')];
    expect(ok.find('.job-error').exists()).toBe(false);
    expect(ok.find('.job-status').text()).toBe('ok');
    expect(failed.find('.job-status').text()).toBe('failed');
    expect(failed.find('.job-error').text()).toContain('crash');
    expect(failed.find('.job-error').text()).toContain('the job process exited with SIGSEGV');
    w.unmount();
  });

  it('Cancel all cancels the run', async () => {
    const w = await mountView();
    useBenchStore().addTarget({ kind: 'block', name: 'conv', params: {} });
    await flushPromises();
    await w.find('button.run').trigger('click');
    await flushPromises();
    await w.find('button.cancel-all').trigger('click');
    await flushPromises();
    expect(api.callsOf('bench.cancel')).toEqual([{ runId: 'run-7' }]);
    w.unmount();
  });

  it('the sweep builder previews and adds its targets', async () => {
    const w = await mountView();
    expect(w.find('.preview').text()).toContain('16, 32, 64, 128');
    await w.find('select[aria-label="sweep step kind"]').setValue('add');
    await w.find('input[aria-label="sweep step"]').setValue('16');
    await w.find('input[aria-label="sweep step"]').trigger('change');
    expect(w.find('.preview').text()).toContain('8 targets');
    await w.find('button.add-sweep').trigger('click');
    expect(useBenchStore().targets).toHaveLength(8);
    expect(useBenchStore().targets[1]).toEqual({ kind: 'block', name: 'bottleneck', params: { mid: 32 } });
    w.unmount();
  });

  it('a seed comparison adds both of its targets', async () => {
    const w = await mountView();
    await w.find('select[aria-label="seed comparison"]').setValue('standard-vs-separable');
    expect(useBenchStore().targets).toEqual([
      { kind: 'block', name: 'separable', params: { mode: 'standard' } },
      { kind: 'block', name: 'separable', params: { mode: 'separable' } },
    ]);
    w.unmount();
  });

  it('a bad parameter is reported, not added', async () => {
    const w = await mountView();
    await w.find('input[aria-label="parameters"]').setValue('nope=3');
    await w.find('button.add-target').trigger('click');
    expect(w.find('.picker-error').text()).toContain("unknown parameter 'nope'");
    expect(useBenchStore().targets).toEqual([]);
    w.unmount();
  });

  it('the Run button counts jobs as the batch sizes are typed, and a half-typed list blocks Run with the reason', async () => {
    const w = await mountView();
    useBenchStore().targets = [{ kind: 'block', name: 'pointwise', params: {} }];
    const batches = w.find('input[aria-label="batch sizes"]');
    await batches.setValue('1, 8, 32');
    // setValue fires "input" only: no Tab, no change event.
    expect(w.find('button.run').text()).toBe('Run 3 jobs');
    await batches.setValue('1, 8, x');
    expect((w.find('button.run').element as HTMLButtonElement).disabled).toBe(true);
    expect(w.text()).toContain("Batch sizes: 'x' is not an integer");
    await batches.setValue('1, 8,');
    expect(w.find('button.run').text()).toBe('Run 2 jobs');
    // Typing a trailing comma is not rewritten under the cursor.
    expect((batches.element as HTMLInputElement).value).toBe('1, 8,');
    w.unmount();
  });

  it('the parameters field empties after Add and when another block is chosen', async () => {
    const w = await mountView();
    await w.find('select[aria-label="block"]').setValue('bottleneck');
    await w.find('input[aria-label="parameters"]').setValue('mid=32');
    await w.find('button.add-target').trigger('click');
    expect((w.find('input[aria-label="parameters"]').element as HTMLInputElement).value).toBe('');
    await w.find('input[aria-label="parameters"]').setValue('mid=16');
    await w.find('select[aria-label="block"]').setValue('basic-residual');
    expect((w.find('input[aria-label="parameters"]').element as HTMLInputElement).value).toBe('');
    await w.find('button.add-target').trigger('click');
    expect(w.text()).not.toContain('unknown parameter');
    expect(useBenchStore().targets.map((t) => (t.kind === 'file' ? t.fileId : t.name))).toEqual([
      'bottleneck',
      'basic-residual',
    ]);
    w.unmount();
  });

  it('Profile asks every backend for per-layer times; refused targets are listed while the others run', async () => {
    api.handlers['bench.start'] = () => ({
      runId: 'run-8',
      jobs: [{ id: 'run-8-0', label: 'pointwise on ort-cpu' }],
      refused: [{ index: 1, label: 'model mobilenet_v2/keras', reason: 'at batch 1: out of range' }],
    });
    const w = await mountView();
    useBenchStore().targets = [{ kind: 'block', name: 'pointwise', params: {} }];
    await w.find('input[aria-label="profile each job"]').setValue(true);
    await w.find('button.run').trigger('click');
    await flushPromises();
    expect(api.callsOf('bench.start')[0].backends).toEqual([{ backend: 'ort-cpu', profiling: true }]);
    const refused = w.find('[aria-label="refused targets"]');
    expect(refused.text()).toContain('model mobilenet_v2/keras');
    expect(refused.text()).toContain('out of range');
    expect(w.find('tr[data-job="run-8-0"]').exists()).toBe(true);
    w.unmount();
  });

  it('a big run asks first, saying the count, the axes and the least time; past the cap Run is refused with the count', async () => {
    const w = await mountView();
    const bench = useBenchStore();
    bench.targets = Array.from({ length: 30 }, (_, i) => ({
      kind: 'block' as const,
      name: 'pointwise',
      params: { out: i + 1 },
    }));
    bench.backends = ['ort-cpu', 'native'];
    bench.batches = [1, 2, 4, 8];
    await flushPromises();
    expect(bench.jobCount).toBe(240);
    await w.find('button.run').trigger('click');
    await flushPromises();
    expect(api.callsOf('bench.start')).toHaveLength(0);
    const ask = w.find('[role="alertdialog"]');
    expect(ask.text()).toMatch(/240 jobs.*30 targets × 2 backends × 4 batch sizes.*at least \d+ min/s);
    expect(document.activeElement).toBe(ask.find('button.confirm-run__yes').element);
    // Changing the form asks again.
    bench.batches = [1, 2, 4, 16];
    await flushPromises();
    expect(w.find('[role="alertdialog"]').exists()).toBe(false);
    await w.find('button.run').trigger('click');
    await flushPromises();
    await w.find('button.confirm-run__yes').trigger('click');
    await flushPromises();
    expect(api.callsOf('bench.start')).toHaveLength(1);

    bench.batches = Array.from({ length: 64 }, (_, i) => i + 1);
    bench.repetitions = 3;
    await flushPromises();
    expect((w.find('button.run').element as HTMLButtonElement).disabled).toBe(true);
    expect(w.text()).toMatch(
      /At most 10,000 jobs per run: this one makes 11,520 \(30 targets × 2 backends × 64 batch sizes × 3 repetitions\)/,
    );
    w.unmount();
  });
});
