import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { MachineProfileSchema } from '../shared/contract/machine.js';
import { probeMachine } from '../main/machine/profile.js';
import { tryLoadNativeAddon } from '../main/backends/native/addon.js';
import { nativeKernels } from '../main/services/machine.js';
import { machineKey, machineKeyText } from '../main/store/roofline-store.js';

describe('machine profile', () => {
  it('describes this machine and validates against the schema', async () => {
    const m = await probeMachine();
    expect(() => MachineProfileSchema.parse(m)).not.toThrow();
    expect(m.cpu.threads).toBe(os.cpus().length);
    expect(m.cpu.physicalCores).toBeGreaterThan(0);
    expect(m.cpu.physicalCores).toBeLessThanOrEqual(m.cpu.threads);
    expect(m.memory.totalBytes).toBe(os.totalmem());
    expect(m.os.arch).toBe(os.arch());
    expect(m.versions.node).toBe(process.versions.node);
    expect(m.versions.onnxruntime).toMatch(/^\d+\.\d+\.\d+/);
    // Every x86-64 CPU that runs Node 20 has SSE4.2; every AArch64 CPU has NEON.
    if (os.arch() === 'x64') expect(m.cpu.isa).toContain('sse4_2');
    if (os.arch() === 'arm64') expect(m.cpu.isa).toContain('neon');
  });

  it('probes once per process', async () => {
    expect(await probeMachine()).toBe(await probeMachine());
  });
});

describe('the machine key a kept roofline is filed under', () => {
  it('is the same on every call in a process, and names the native kernels’ ISA path', async () => {
    const kernels = nativeKernels();
    const loaded = tryLoadNativeAddon();
    if ('addon' in loaded) {
      expect(loaded.addon.cpu().isaPaths).toContain(kernels.isaPath);
      expect(kernels.build).toBe(loaded.addon.version);
    } else expect(kernels).toEqual({});
    const a = machineKey(await probeMachine(), kernels);
    const b = machineKey(await probeMachine(), nativeKernels());
    expect(machineKeyText(a)).toBe(machineKeyText(b));
    expect(a.host).toBe(os.hostname());
    expect(a.isaPath).toBe(kernels.isaPath ?? 'none');
    expect(a.runtime.node).toBe(process.versions.node);
  });
});
