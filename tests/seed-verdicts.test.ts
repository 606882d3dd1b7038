// Seed comparisons answered per setting and device (shared/stats/seed-verdicts.ts): the cost
// model's saving beside the measured one, never a CPU and a GPU run averaged into one answer.
import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../shared/contract/result.js';
import { findSeedComparison } from '../shared/cost/seed-comparisons.js';
import { seedVerdicts, sideByName, type SeedVerdict } from '../shared/stats/seed-verdicts.js';
import { fakeMachine, fakeResult } from './helpers/fake-results.js';

const comparison = findSeedComparison('standard-vs-separable')!;
const LLVMPIPE = {
  source: 'vulkan' as const,
  name: 'llvmpipe (LLVM 15.0.6, 256 bits)',
  type: 'cpu' as const,
  software: true,
  vendor: 'Mesa',
};

/** A saved result of one side of standard-vs-separable on a backend. */
function side(
  mode: 'standard' | 'separable',
  backend: 'ort-cpu' | 'ort-webgpu',
  medianMs: number,
  o: { params?: Record<string, string>; seed?: number; machine?: BenchResult['machine'] } = {},
): BenchResult {
  const r = fakeResult({
    target: { kind: 'block', name: 'separable', params: { mode, ...o.params } },
    medianMs,
    macs: mode === 'standard' ? 1_721_918_016 : 193_689_496,
    seed: o.seed,
    n: 60,
    machine: o.machine,
  });
  if (backend === 'ort-cpu') return r;
  return {
    ...r,
    job: { ...r.job, backend: { ...r.job.backend, backend } },
    runtime: { name: 'onnxruntime-node', version: '1.30.0', providers: ['WebGpuExecutionProvider'], adapter: LLVMPIPE },
  };
}

const verdicts = (results: BenchResult[]) =>
  seedVerdicts([comparison], results, sideByName).filter((v): v is SeedVerdict => !('error' in v));

describe('seed verdicts per device', () => {
  it('gives one answer per device, each with the cost model beside the measurement', () => {
    const out = verdicts([
      side('standard', 'ort-cpu', 16.5),
      side('separable', 'ort-cpu', 2.5),
      side('standard', 'ort-webgpu', 582),
      side('separable', 'ort-webgpu', 300),
    ]);
    expect(out).toHaveLength(2);
    const [cpu, gpu] = [
      out.find((v) => v.setting.startsWith('ort-cpu'))!,
      out.find((v) => v.setting.startsWith('ort-webgpu'))!,
    ];
    expect(cpu.macsRatio).toBeCloseTo(8.89, 2);
    expect(gpu.macsRatio).toBeCloseTo(8.89, 2);
    expect(cpu.macsSaving).toBeCloseTo(1 - 193_689_496 / 1_721_918_016, 6);
    expect(cpu.speedup).toBeGreaterThan(6);
    expect(cpu.speedup).toBeLessThan(7.3);
    expect(cpu.timeSaving).toBeCloseTo(1 - 1 / cpu.speedup, 6);
    expect(gpu.speedup).toBeGreaterThan(1.8);
    expect(gpu.speedup).toBeLessThan(2.1);
    // The GPU row names its device, with the software label; the CPU row names the CPU.
    expect(gpu.device).toMatch(/^llvmpipe .*\[software \(runs on the CPU\)\]$/);
    expect(cpu.device).toBe(fakeMachine().cpu.brand);
    // The finding comes out of the data: 89% fewer MACs, about half the time saved on the GPU.
    expect(cpu.finding).toBeUndefined();
    expect(gpu.finding).toMatch(
      /^saves 89% of the MACs but only 4\d% of the time on llvmpipe.*\(1\.9x faster; the cost model says 8\.9x\)$/,
    );
  });

  it('says so when the cheaper block is no faster at all', () => {
    const [v] = verdicts([side('standard', 'ort-webgpu', 10), side('separable', 'ort-webgpu', 10)]);
    expect(v.finding).toMatch(/saves 89% of the MACs but no time/);
  });

  it('pools results of one setting saved on different runs, and keeps other settings apart', () => {
    const out = verdicts([
      side('standard', 'ort-cpu', 16.5, { seed: 1 }),
      side('standard', 'ort-cpu', 16.7, { seed: 2 }),
      side('separable', 'ort-cpu', 2.5, { seed: 3 }),
      // Another size: its own setting, named in the label.
      side('standard', 'ort-cpu', 4, { params: { height: '10', width: '10' } }),
      side('separable', 'ort-cpu', 1, { params: { height: '10', width: '10' } }),
      // Another machine: its own answer.
      side('standard', 'ort-cpu', 30, { machine: fakeMachine({ memory: { totalBytes: 8 * 2 ** 30 } }) }),
      side('separable', 'ort-cpu', 3, { machine: fakeMachine({ memory: { totalBytes: 8 * 2 ** 30 } }) }),
    ]);
    expect(out).toHaveLength(3);
    expect(out.map((v) => v.repetitions)).toContainEqual([2, 1]);
    expect(out.map((v) => v.setting)).toContain('ort-cpu, batch 1, 1 threads, height=10,width=10');
  });

  it('reports a setting with one side missing instead of inventing the other', () => {
    const out = seedVerdicts([comparison], [side('standard', 'ort-webgpu', 582)], sideByName);
    expect(out).toEqual([
      expect.objectContaining({ comparison: 'standard-vs-separable', error: 'a side has no successful result' }),
    ]);
  });

  it('ignores failed results and results of other targets', () => {
    const failed = { ...side('separable', 'ort-cpu', 2.5), status: 'failed' as const, samplesMs: [] };
    const other = fakeResult({ target: { kind: 'block', name: 'bottleneck', params: {} } });
    const out = seedVerdicts([comparison], [side('standard', 'ort-cpu', 16.5), failed, other], sideByName);
    expect(out).toHaveLength(1);
    expect(out[0]).toHaveProperty('error');
  });
});

describe('findings', () => {
  it('flags fewer MACs but slower, and a speed-up far past the cost model', () => {
    const cmp = findSeedComparison('basic-vs-bottleneck')!;
    const block = (name: string, macs: number, medianMs: number) =>
      fakeResult({ target: { kind: 'block', name, params: {} }, macs, medianMs, n: 80 });
    const [slower] = seedVerdicts(
      [cmp],
      [block('basic-residual', 1_060_000_000, 5), block('bottleneck', 1_000_000_000, 8)],
      sideByName,
    ) as SeedVerdict[];
    expect(slower.verdict).toBe('slower');
    expect(slower.finding).toMatch(/^has 6% fewer MACs but is slower on .* \(0\.63x; the cost model says 1\.1x\)$/);
    const [fast] = verdicts([side('standard', 'ort-cpu', 100), side('separable', 'ort-cpu', 4)]);
    expect(fast.finding).toMatch(/is 25x faster on .* where the cost model says 8\.9x: MACs do not explain/);
  });
});
