// Adapter detection without a GPU: `vulkaninfo --summary` and nvidia-smi text parsed from samples,
// software adapters classified and labeled, the adapter WebGPU runs on chosen, the machine profile
// carrying the adapters, and the sources line edit of scripts/ensure-vulkan.mjs.
import { describe, expect, it } from 'vitest';
import { GpuAdapterSchema, MachineProfileSchema } from '../shared/contract/machine.js';
import {
  describeAdapter,
  isSoftwareAdapter,
  softwareAdapterFlag,
  SOFTWARE_ADAPTER_LABEL,
  vendorName,
  webgpuAdapterOf,
} from '../shared/hardware/adapters.js';
import {
  detectGpuAdapters,
  mergeAdapters,
  parseNvidiaSmi,
  parseVulkanSummary,
  withVulkanDetails,
} from '../main/machine/gpu-adapters.js';
import { parseVulkanF16 } from '../main/machine/vulkan-details.js';
import { probeMachine } from '../main/machine/profile.js';
import { AMD_INTEGRATED, FULL, LAVAPIPE, NVIDIA, NVIDIA_SMI } from './helpers/vulkaninfo-samples.js';

describe('vulkaninfo --summary parsing', () => {
  it('reads lavapipe as a software CPU device', () => {
    const [a, ...rest] = parseVulkanSummary(LAVAPIPE);
    expect(rest).toEqual([]);
    expect(a).toEqual({
      source: 'vulkan',
      name: 'llvmpipe (LLVM 15.0.6, 256 bits)',
      type: 'cpu',
      software: true,
      vendor: 'Mesa',
      vendorId: '0x10005',
      driver: 'llvmpipe',
      driverInfo: 'Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6)',
      apiVersion: '1.4.305',
    });
    expect(() => GpuAdapterSchema.parse(a)).not.toThrow();
  });

  it('reads an NVIDIA discrete GPU next to lavapipe, in order', () => {
    const list = parseVulkanSummary(NVIDIA);
    expect(list.map((a) => [a.name, a.type, a.software, a.vendor])).toEqual([
      ['NVIDIA GeForce RTX 4090', 'discrete', false, 'NVIDIA'],
      ['llvmpipe (LLVM 15.0.6, 256 bits)', 'cpu', true, 'Mesa'],
    ]);
    expect(list[0]).toMatchObject({
      driver: 'NVIDIA',
      driverInfo: '550.54.14',
      apiVersion: '1.3.277',
      vendorId: '0x10de',
    });
  });

  it('reads an AMD integrated GPU and the older "number (version)" apiVersion format', () => {
    expect(parseVulkanSummary(AMD_INTEGRATED)).toEqual([
      {
        source: 'vulkan',
        name: 'AMD Radeon 780M (RADV GFX1103_R1)',
        type: 'integrated',
        software: false,
        vendor: 'AMD',
        vendorId: '0x1002',
        driver: 'radv',
        driverInfo: 'Mesa 23.3.0',
        apiVersion: '1.3.255',
      },
    ]);
  });

  it('gives no adapters, without throwing, for text without devices', () => {
    expect(parseVulkanSummary('')).toEqual([]);
    expect(parseVulkanSummary('ERROR: [Loader Message] vkCreateInstance failed\n')).toEqual([]);
    expect(parseVulkanSummary('Devices:\n========\nGPU0:\n\tapiVersion = 1.3.0\n')).toEqual([]);
  });
});

describe('nvidia-smi', () => {
  it('reads name, driver and memory, and joins them to the Vulkan entry of the same GPU', () => {
    const smi = parseNvidiaSmi(NVIDIA_SMI);
    expect(smi).toHaveLength(2);
    expect(smi[1]).toMatchObject({ source: 'nvidia-smi', name: 'NVIDIA H200', type: 'discrete', software: false });
    expect(smi[1].memoryBytes).toBe(143771 * 2 ** 20);
    const merged = mergeAdapters(parseVulkanSummary(NVIDIA), smi);
    expect(merged.map((a) => [a.name, a.source])).toEqual([
      ['NVIDIA GeForce RTX 4090', 'vulkan'],
      ['llvmpipe (LLVM 15.0.6, 256 bits)', 'vulkan'],
      ['NVIDIA H200', 'nvidia-smi'], // no Vulkan driver for it: still named
    ]);
    expect(merged[0].memoryBytes).toBe(24564 * 2 ** 20);
    expect(parseNvidiaSmi('')).toEqual([]);
  });
});

describe('software adapters', () => {
  it('are recognized by device type or by name', () => {
    expect(isSoftwareAdapter({ name: 'anything', type: 'cpu' })).toBe(true);
    expect(isSoftwareAdapter({ name: 'llvmpipe (LLVM 15.0.6, 256 bits)', type: 'other' })).toBe(true);
    expect(isSoftwareAdapter({ name: 'SwiftShader Device (Subzero)', type: 'unknown' })).toBe(true);
    expect(isSoftwareAdapter({ name: 'Google SwiftShader', type: 'cpu' })).toBe(true);
    expect(isSoftwareAdapter({ name: 'Vulkan device', type: 'other', driver: 'lavapipe' })).toBe(true);
    expect(isSoftwareAdapter({ name: 'NVIDIA GeForce RTX 4090', type: 'discrete' })).toBe(false);
    expect(isSoftwareAdapter({ name: 'Intel(R) UHD Graphics 770 (ADL-S GT1)', type: 'integrated' })).toBe(false);
    expect(vendorName('0x10DE')).toBe('NVIDIA');
    expect(vendorName('4098')).toBe('AMD');
    expect(vendorName('0x9999')).toBeUndefined();
  });

  it('are labeled, and WebGPU takes a real GPU before a software one', () => {
    const [lavapipe] = parseVulkanSummary(LAVAPIPE);
    expect(describeAdapter(lavapipe)).toContain(SOFTWARE_ADAPTER_LABEL);
    expect(softwareAdapterFlag(lavapipe)).toMatch(/llvmpipe.*software \(runs on the CPU\).*not GPU speed/);
    expect(webgpuAdapterOf([lavapipe])).toBe(lavapipe);
    const both = parseVulkanSummary(NVIDIA);
    expect(webgpuAdapterOf([...both].reverse())?.name).toBe('NVIDIA GeForce RTX 4090');
    expect(describeAdapter(both[0])).not.toContain('software');
    expect(webgpuAdapterOf([])).toBeUndefined();
    expect(webgpuAdapterOf(parseNvidiaSmi(NVIDIA_SMI))).toBeUndefined(); // WebGPU needs a Vulkan adapter
  });
});

describe('this machine', () => {
  it('lists its adapters (or says why there are none) in the machine profile', async () => {
    const report = await detectGpuAdapters();
    for (const a of report.adapters) expect(() => GpuAdapterSchema.parse(a)).not.toThrow();
    if (report.adapters.length === 0) expect(report.notes.join(' ')).toMatch(/Vulkan/);
    const m = await probeMachine();
    expect(() => MachineProfileSchema.parse(m)).not.toThrow();
    expect(m.adapters).toEqual(report.adapters);
    // A profile written before adapters existed stays valid.
    const { adapters: _a, adapterNotes: _n, ...old } = m;
    expect(() => MachineProfileSchema.parse(old)).not.toThrow();
  });
});

describe('scripts/ensure-vulkan.mjs', () => {
  it('adds bookworm-backports to the Suites: line and leaves the rest as it was', async () => {
    const { withBackports } = (await import('../scripts/ensure-vulkan.mjs' as string)) as {
      withBackports: (t: string) => string | undefined;
    };
    const sources = [
      'Types: deb',
      'URIs: http://deb.debian.org/debian',
      'Suites: bookworm bookworm-updates',
      'Components: main',
      '',
      'Types: deb',
      'URIs: http://deb.debian.org/debian-security',
      'Suites: bookworm-security',
      'Components: main',
      '',
    ].join('\n');
    const once = withBackports(sources)!;
    expect(once.split('\n')).toEqual(
      sources.split('\n').map((l, i) => (i === 2 ? 'Suites: bookworm bookworm-updates bookworm-backports' : l)),
    );
    expect(withBackports(once)).toBe(once); // idempotent
    expect(withBackports('Types: deb\nSuites: trixie\n')).toBeUndefined();
  });
});

describe('full vulkaninfo: memory heaps, budget and shader-f16', () => {
  const details = parseVulkanF16(FULL);

  it('reads each heap with its budget (where printed) and device-local flag', () => {
    expect(details.map((d) => [d.device, d.memoryHeaps])).toEqual([
      ['llvmpipe (LLVM 15.0.6, 256 bits)', [{ sizeBytes: 25275973632, budgetBytes: 25275973632, deviceLocal: true }]],
      [
        'NVIDIA GeForce RTX 4090',
        [
          { sizeBytes: 25757220864, deviceLocal: true },
          { sizeBytes: 33423360000, deviceLocal: false },
        ],
      ],
    ]);
  });

  it('adds heaps and shader-f16 to the adapters; GPU memory only from a real device-local heap', () => {
    const [lavapipe] = withVulkanDetails(parseVulkanSummary(LAVAPIPE), details);
    expect(lavapipe).toMatchObject({ shaderF16: true, memoryHeaps: [{ deviceLocal: true }] });
    // lavapipe's "device-local" heap is host RAM: never reported as GPU memory.
    expect(lavapipe.memoryBytes).toBeUndefined();
    expect(describeAdapter(lavapipe)).toContain('memory budget 23.5 GiB (host RAM), shader-f16');
    const nvidia = withVulkanDetails(parseVulkanSummary(NVIDIA), details).find((a) => a.vendor === 'NVIDIA')!;
    expect(nvidia).toMatchObject({ shaderF16: false, memoryBytes: 25757220864 });
    expect(describeAdapter(nvidia)).toContain('no shader-f16');
    expect(describeAdapter(nvidia)).not.toContain('budget');
  });
});
