// shared/stats/devices.ts: GPU details of one result (adapter, software device, placement,
// device-resident latency, device memory) and the devices comparison (grouping, pooling, ratios).
import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../shared/contract/result.js';
import { SOFTWARE_ADAPTER_LABEL, softwareAdapterFlag } from '../shared/hardware/adapters.js';
import {
  SOFTWARE_DEVICE_BADGE,
  compareDevices,
  gpuDetails,
  isGpuBackend,
  placementSummary,
  ratioText,
  unmeasuredText,
} from '../shared/stats/devices.js';
import { fakeAdapters, fakeDevicesSet, fakeGpuResult, fakeMachine } from './helpers/fake-results.js';

const byId = (rs: BenchResult[], id: string) => rs.find((r) => r.id === id)!;

describe('gpuDetails', () => {
  const set = fakeDevicesSet();

  it('is only for GPU backends', () => {
    expect(isGpuBackend('ort-cpu')).toBe(false);
    expect(isGpuBackend('native')).toBe(false);
    expect(isGpuBackend('ort-webgpu')).toBe(true);
    expect(isGpuBackend('ort-cuda')).toBe(true);
    expect(gpuDetails(byId(set, 'dev-cpu-1t'))).toBeUndefined();
  });

  it('names the adapter, the placement, both latencies, the cold run and why memory is not measured', () => {
    const d = gpuDetails(byId(set, 'dev-webgpu'))!;
    expect(d.adapterText).toBe('NVIDIA GeForce RTX 4090 (discrete)');
    expect(d.software).toBe(false);
    expect(d.softwareWarning).toBeUndefined();
    expect(d.placement!.hasFallback).toBe(true);
    expect(d.placement!.providers.map((p) => [p.name, p.nodes, p.macsShare])).toEqual([
      ['WebGpu', 12, 0.9858],
      ['CPU', 3, 0.0142],
    ]);
    expect(d.placement!.text).toBe(
      'WebGpu 12 nodes (98.6% of MACs); CPU 3 nodes (1.4% of MACs); fell back: 3 nodes (Shape, Gather, Concat)',
    );
    expect(d.deviceResident!.medianMs).toBe(0.42);
    expect(d.medianMs).toBeCloseTo(1, 1);
    expect(d.coldFirstRunMs).toBe(412.5);
    expect(d.memory).toEqual({ kind: 'unmeasured', reason: 'WebGPU exposes no per-process device memory figure' });
    expect(unmeasuredText('x')).toBe('not measurable here: x');
  });

  it('labels a software adapter with the wording of shared/hardware/adapters.ts', () => {
    const d = gpuDetails(byId(set, 'dev-llvmpipe'))!;
    expect(d.software).toBe(true);
    expect(d.softwareWarning).toBe(softwareAdapterFlag(fakeAdapters.llvmpipe));
    expect(d.softwareWarning).toContain('not GPU speed');
    expect(SOFTWARE_DEVICE_BADGE.startsWith(SOFTWARE_ADAPTER_LABEL)).toBe(true);
    expect(d.placement!.hasFallback).toBe(false);
    expect(d.placement!.text).toBe('WebGpu 15 nodes (100.0% of MACs); no fallback');
  });

  it('gives measured device memory in bytes, and nothing when the result says nothing', () => {
    expect(gpuDetails(byId(set, 'dev-cuda'))!.memory).toEqual({ kind: 'measured', bytes: 512 * 2 ** 20 });
    const bare = gpuDetails(fakeGpuResult({ backend: 'ort-cuda', medianMs: 1 }))!;
    expect(bare.memory).toBeUndefined();
    expect(bare.adapter).toBeUndefined();
    expect(bare.placement).toBeUndefined();
    expect(bare.deviceResident).toBeUndefined();
  });

  it('sorts providers by nodes and tolerates a placement without MAC shares', () => {
    const s = placementSummary({
      nodesByProvider: { CPUExecutionProvider: 1, CUDAExecutionProvider: 9 },
      fallbackNodes: ['n1'],
    });
    expect(s.providers.map((p) => p.name)).toEqual(['CUDA', 'CPU']);
    expect(s.providers[0].macsShare).toBeUndefined();
    expect(s.text).toBe('CUDA 9 nodes; CPU 1 node; fell back: 1 node');
  });
});

describe('compareDevices', () => {
  it('groups one target + batch + precision across backends and adapters, with ratios to ort-cpu', () => {
    const groups = compareDevices(fakeDevicesSet());
    // The lone separable result has no other backend: no group.
    expect(groups).toHaveLength(1);
    const g = groups[0];
    expect(g.label).toBe('bottleneck:mid=64 · b1 · fp32');
    expect(g.entries.map((e) => e.device)).toEqual([
      'ort-cuda',
      'ort-webgpu on NVIDIA GeForce RTX 4090',
      'ort-cpu',
      'ort-webgpu on llvmpipe (LLVM 15.0.6, 256 bits)',
    ]);
    // ort-cpu: the fastest configuration (4 threads, ~4 ms), not the 1-thread one.
    const cpu = g.entries.find((e) => e.backend === 'ort-cpu')!;
    expect(cpu.resultIds).toEqual(['dev-cpu-4t']);
    expect(cpu.threads).toBe(4);
    expect(g.cpuMedianMs).toBe(cpu.medianMs);
    expect(cpu.ratioToCpu).toBe(1);
    const gpu = g.entries[1];
    expect(gpu.ratioToCpu).toBeCloseTo(gpu.medianMs / cpu.medianMs, 12);
    expect(gpu.ratioToCpu!).toBeGreaterThan(0.2);
    expect(gpu.ratioToCpu!).toBeLessThan(0.3);
    expect(gpu.deviceResidentMs).toBe(0.42);
    expect(gpu.software).toBe(false);
    const soft = g.entries[3];
    expect(soft.software).toBe(true);
    expect(soft.ratioToCpu!).toBeGreaterThan(3);
    expect(soft.deviceResidentMs).toBeUndefined();
  });

  it('pools repetitions of one configuration by their samples', () => {
    const target = { kind: 'block' as const, name: 'conv', params: {} };
    const rs = [
      fakeGpuResult({ id: 'a', backend: 'ort-cpu', target, samplesMs: [10, 10, 10] }),
      fakeGpuResult({ id: 'b', backend: 'ort-cpu', target, samplesMs: [20] }),
      fakeGpuResult({ id: 'c', backend: 'ort-cuda', target, samplesMs: [2, 2, 2, 2] }),
    ];
    const [g] = compareDevices(rs);
    const cpu = g.entries.find((e) => e.backend === 'ort-cpu')!;
    expect(cpu.resultIds).toEqual(['a', 'b']);
    expect(cpu.medianMs).toBe(10);
    expect(g.entries[0].ratioToCpu).toBeCloseTo(0.2, 12);
  });

  it('keeps batches, precisions and machines apart, and skips failed results', () => {
    const target = { kind: 'block' as const, name: 'conv', params: {} };
    const other = fakeMachine({ cpu: { ...fakeMachine().cpu, brand: 'Other CPU' } });
    const rs = [
      fakeGpuResult({ id: 'cpu-b1', backend: 'ort-cpu', target, batch: 1, medianMs: 5 }),
      fakeGpuResult({ id: 'gpu-b8', backend: 'ort-cuda', target, batch: 8, medianMs: 1 }),
      fakeGpuResult({ id: 'gpu-fp16', backend: 'ort-cuda', target, batch: 1, precision: 'fp16', medianMs: 1 }),
      fakeGpuResult({ id: 'gpu-other', backend: 'ort-cuda', target, batch: 1, machine: other, medianMs: 1 }),
      fakeGpuResult({ id: 'gpu-failed', backend: 'ort-webgpu', target, batch: 1, status: 'failed' }),
    ];
    expect(compareDevices(rs)).toEqual([]);
    rs.push(fakeGpuResult({ id: 'gpu-b1', backend: 'ort-webgpu', target, batch: 1, medianMs: 1 }));
    const groups = compareDevices(rs);
    expect(groups.map((g) => g.entries.map((e) => e.resultIds).flat())).toEqual([['gpu-b1', 'cpu-b1']]);
  });

  it('has no ratios without an ort-cpu result', () => {
    const target = { kind: 'block' as const, name: 'conv', params: {} };
    const [g] = compareDevices([
      fakeGpuResult({ backend: 'native', target, medianMs: 3 }),
      fakeGpuResult({ backend: 'ort-cuda', target, medianMs: 1 }),
    ]);
    expect(g.cpuMedianMs).toBeUndefined();
    expect(g.entries.every((e) => e.ratioToCpu === undefined)).toBe(true);
  });

  it('words ratios', () => {
    expect(ratioText(0.25)).toBe('0.25× (4.00× faster)');
    expect(ratioText(1.6)).toBe('1.60× slower');
    expect(ratioText(1)).toBe('1.00× (same)');
    expect(ratioText(undefined)).toBe('');
  });
});
