// @vitest-environment happy-dom
// The Hardware view: the machine profile's graphics adapters, with their type and the software
// label on a device that runs on the CPU (lavapipe), next to a real GPU; the roofline main keeps for
// this machine, shown on load (after a reload) without measuring; and a backend available on a
// software adapter marked as such, not plain green.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import HardwareView from '../../renderer/src/views/HardwareView.vue';
import { setApi } from '../../renderer/src/api/index.js';
import type { BackendAvailability, Roofline } from '../../shared/contract/api.js';
import type { GpuAdapter, MachineProfile } from '../../shared/contract/machine.js';
import { SOFTWARE_ADAPTER_LABEL } from '../../shared/hardware/adapters.js';
import { fakeApi, settle } from './studio-fake-api.js';

vi.mock('vue-chartjs', async () => (await import('./chart-stubs.js')).chartStubs);

const lavapipe: GpuAdapter = {
  source: 'vulkan',
  name: 'llvmpipe (LLVM 15.0.6, 256 bits)',
  type: 'cpu',
  software: true,
  vendor: 'Mesa',
  driver: 'llvmpipe',
  driverInfo: 'Mesa 25.0.7',
  apiVersion: '1.4.305',
};
const nvidia: GpuAdapter = {
  source: 'vulkan',
  name: 'NVIDIA GeForce RTX 4090',
  type: 'discrete',
  software: false,
  vendor: 'NVIDIA',
  driver: 'NVIDIA',
  driverInfo: '550.54',
  apiVersion: '1.3.277',
  memoryBytes: 24 * 2 ** 30,
};

function profile(adapters?: GpuAdapter[]): MachineProfile {
  return {
    cpu: {
      manufacturer: 'AMD',
      brand: 'EPYC',
      physicalCores: 2,
      threads: 2,
      isa: ['avx2'],
      cache: {},
    },
    memory: { totalBytes: 8 * 2 ** 30 },
    gpus: [],
    os: { platform: 'linux', arch: 'x64' },
    versions: { node: '20.0.0', studio: '0.1.0' },
    ...(adapters ? { adapters } : {}),
  } as unknown as MachineProfile;
}

beforeEach(() => setActivePinia(createPinia()));
afterEach(() => setApi(undefined));

async function mountWith(p: MachineProfile) {
  setApi(fakeApi({ 'machine.profile': p, 'machine.backends': [] }));
  const w = mount(HardwareView, { attachTo: document.body });
  await settle(5);
  await flushPromises();
  return w;
}

describe('HardwareView adapters', () => {
  it('lists each adapter with its type, and labels the software one', async () => {
    const w = await mountWith(profile([nvidia, lavapipe]));
    const items = w.findAll('[data-testid="adapters"] li');
    expect(items).toHaveLength(2);
    expect(items[0].text()).toContain('NVIDIA GeForce RTX 4090');
    expect(items[0].text()).toContain('discrete');
    expect(items[0].text()).not.toContain(SOFTWARE_ADAPTER_LABEL);
    expect(items[0].text()).toContain('24.00 GiB');
    expect(items[1].text()).toContain('llvmpipe (LLVM 15.0.6, 256 bits)');
    expect(items[1].text()).toContain('cpu');
    expect(items[1].find('.adapter__software').text()).toBe(SOFTWARE_ADAPTER_LABEL);
    expect(items[1].text()).toContain('Vulkan 1.4.305');
    w.unmount();
  });

  it('says when no adapter was found, and shows nothing for a profile written before adapters', async () => {
    const none = await mountWith(profile([]));
    expect(none.text()).toContain('none found');
    none.unmount();
    setActivePinia(createPinia());
    const old = await mountWith(profile());
    expect(old.find('[data-testid="adapters"]').exists()).toBe(false);
    expect(old.text()).not.toContain('adapters');
    old.unmount();
  });
});

const KEPT: Roofline = {
  isa: 'avx2',
  threads: 2,
  peakGflops: { oneThread: 60, allThreads: 120 },
  triadGBps: { oneThread: 12, allThreads: 20 },
  ridgeFlopsPerByte: 6,
  measuredAt: '2025-02-03T04:05:06.000Z',
};

describe('HardwareView roofline', () => {
  it('shows the kept roofline on load (a reload), with when it was measured, without measuring', async () => {
    const api = fakeApi({
      'machine.profile': profile(),
      'machine.backends': [],
      'machine.roofline': (req) =>
        req.measure === false ? KEPT : { ...KEPT, ridgeFlopsPerByte: 0.1, measuredAt: '2025-03-04T05:06:07.000Z' },
    });
    setApi(api);
    const w = mount(HardwareView, { attachTo: document.body });
    await settle(5);
    await flushPromises();
    expect(api.callsOf('machine.roofline')).toEqual([{ fresh: false, measure: false }]);
    const kept = w.find('[data-testid="roofline-kept"]');
    expect(kept.text()).toContain(new Date(KEPT.measuredAt).toLocaleString());
    expect(kept.text()).toContain('kept for this machine');
    expect(w.text()).toContain('6.00 FLOP/byte');
    const button = w.findAll('button').find((b) => b.text() === 'Measure again')!;
    expect(button.exists()).toBe(true);

    // "Measure again": measured fresh, and the new one replaces the kept one on screen.
    await button.trigger('click');
    await flushPromises();
    expect(api.callsOf('machine.roofline').at(-1)).toEqual({ fresh: true, measure: true });
    expect(w.text()).toContain('0.10 FLOP/byte');
    expect(w.find('[data-testid="roofline-kept"]').text()).toContain(
      new Date('2025-03-04T05:06:07.000Z').toLocaleString(),
    );
    expect(w.find('.chart-stub').exists()).toBe(true);
    w.unmount();
  });

  it('offers to measure when none is kept (null), and an API without it is no error', async () => {
    const api = fakeApi({ 'machine.profile': profile(), 'machine.backends': [], 'machine.roofline': null });
    setApi(api);
    const w = mount(HardwareView, { attachTo: document.body });
    await settle(5);
    await flushPromises();
    expect(w.find('[data-testid="roofline-kept"]').exists()).toBe(false);
    expect(w.findAll('button').some((b) => b.text() === 'Measure roofline')).toBe(true);
    w.unmount();

    setActivePinia(createPinia());
    const bare = await mountWith(profile());
    expect(bare.text()).not.toContain('could not be measured');
    expect(bare.findAll('button').some((b) => b.text() === 'Measure roofline')).toBe(true);
    bare.unmount();
  });
});

describe('HardwareView backends', () => {
  const backends: BackendAvailability[] = [
    { backend: 'ort-cpu', provider: 'CPUExecutionProvider', available: true },
    { backend: 'ort-webgpu', provider: 'WebGpuExecutionProvider', available: true, adapter: lavapipe },
    { backend: 'ort-cuda', provider: 'CUDAExecutionProvider', available: false, kind: 'no-device', reason: 'no GPU' },
  ];

  it('marks an available backend on a software adapter amber, not plain green', async () => {
    setApi(fakeApi({ 'machine.profile': profile([lavapipe]), 'machine.backends': backends }));
    const w = mount(HardwareView, { attachTo: document.body });
    await settle(5);
    await flushPromises();
    const cpu = w.find('[data-testid="backend-ort-cpu"]');
    expect(cpu.find('.badge').text()).toBe('available');
    expect(cpu.find('.badge').classes()).toContain('badge--good');
    const webgpu = w.find('[data-testid="backend-ort-webgpu"]');
    const badge = webgpu.find('.badge');
    expect(badge.text()).toBe('available — software adapter, runs on the CPU: GPU code path, CPU speed');
    expect(badge.classes()).toContain('badge--warn');
    expect(badge.classes()).not.toContain('badge--good');
    expect(badge.attributes('title')).toContain(lavapipe.name);
    expect(webgpu.classes()).toContain('backend--software');
    expect(webgpu.text()).toContain(lavapipe.name);
    const cuda = w.find('[data-testid="backend-ort-cuda"]');
    expect(cuda.find('.badge').text()).toBe('unavailable');
    w.unmount();
  });

  it('shows an available backend on a real GPU as plain available', async () => {
    setApi(
      fakeApi({
        'machine.profile': profile([nvidia]),
        'machine.backends': [
          { backend: 'ort-webgpu', provider: 'WebGpuExecutionProvider', available: true, adapter: nvidia },
        ],
      }),
    );
    const w = mount(HardwareView, { attachTo: document.body });
    await settle(5);
    await flushPromises();
    const badge = w.find('[data-testid="backend-ort-webgpu"] .badge');
    expect(badge.text()).toBe('available');
    expect(badge.classes()).toContain('badge--good');
    w.unmount();
  });
});
