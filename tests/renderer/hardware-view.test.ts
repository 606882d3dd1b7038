// @vitest-environment happy-dom
// The Hardware view: the machine profile's graphics adapters, with their type and the software
// label on a device that runs on the CPU (lavapipe), next to a real GPU.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import HardwareView from '../../renderer/src/views/HardwareView.vue';
import { setApi } from '../../renderer/src/api/index.js';
import type { GpuAdapter, MachineProfile } from '../../shared/contract/machine.js';
import { SOFTWARE_ADAPTER_LABEL } from '../../shared/hardware/adapters.js';
import { fakeApi, settle } from './studio-fake-api.js';

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
