// The CPU-vs-WebGPU answer users come for, end to end through the CLI: a seed comparison benched on
// ort-cpu and ort-webgpu gives one verdict per device (the cost model's speed-up beside the measured
// one), the WebGPU results carry the device-resident latency and say that device memory is not
// measurable, and `compare --measured` gives the same answers from the saved results. Sizes are
// reduced with --set to keep the test short; `npm run bench:gpu` runs the seed sizes.
// Without a Vulkan device the GPU tests are listed as skipped with the reason.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import type { BenchResult } from '../shared/contract/result.js';
import type { SeedVerdict } from '../shared/stats/seed-verdicts.js';
import { cli } from './helpers/cli.js';
import { gpuIt } from './helpers/vulkan.js';

const tmp = mkdtempSync(join(tmpdir(), 'studio-gpu-seed-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const results = join(tmp, 'results');

function json<T>(args: string[]): T {
  const r = cli([...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

describe('CPU against WebGPU on a seed comparison', () => {
  let bench: { comparisons: SeedVerdict[]; results: BenchResult[] } | undefined;

  gpuIt(
    'benches standard-vs-separable on ort-cpu and ort-webgpu: one verdict per device',
    () => {
      const run = json<{ comparisons: SeedVerdict[]; results: BenchResult[] }>([
        'bench',
        '--seed',
        'standard-vs-separable',
        '--set',
        'height=10,width=10',
        '--backend',
        'ort-cpu,ort-webgpu',
        '--repetitions',
        '1',
        '--min-runs',
        '5',
        '--min-time',
        '0.2',
        '--max-time',
        '1',
        '--results',
        results,
      ]);
      bench = run;
      expect(run.results.map((r) => [r.job.backend.backend, r.status]).sort()).toEqual([
        ['ort-cpu', 'ok'],
        ['ort-cpu', 'ok'],
        ['ort-webgpu', 'ok'],
        ['ort-webgpu', 'ok'],
      ]);
      const verdicts = run.comparisons;
      expect(verdicts.map((v) => v.setting).sort()).toEqual(['ort-cpu, batch 1', 'ort-webgpu, batch 1']);
      const [cpu, gpu] = ['ort-cpu', 'ort-webgpu'].map((b) => verdicts.find((v) => v.setting.startsWith(b))!);
      // The cost model does not depend on the device; the measurement does, and each has its own CI.
      expect(gpu.macsRatio).toBe(cpu.macsRatio);
      expect(cpu.macsRatio).toBeGreaterThan(8);
      for (const v of [cpu, gpu]) {
        expect(v.speedup).toBeGreaterThan(0);
        expect(v.speedupCi.low).toBeLessThanOrEqual(v.speedup);
        expect(v.speedupCi.high).toBeGreaterThanOrEqual(v.speedup);
        expect(v.timeSaving).toBeCloseTo(1 - 1 / v.speedup, 9);
      }
      const adapter = run.results.find((r) => r.job.backend.backend === 'ort-webgpu')!.runtime!.adapter!;
      expect(gpu.device).toContain(adapter.name);
      if (adapter.software) expect(gpu.device).toContain('software (runs on the CPU)');
      console.info(
        `standard-vs-separable at 10x10: MACs ${cpu.macsRatio!.toFixed(2)}x; ort-cpu ${cpu.speedup.toFixed(2)}x, ort-webgpu (${adapter.name}) ${gpu.speedup.toFixed(2)}x`,
      );
    },
    300_000,
  );

  gpuIt('keeps the complete-run and device-resident latencies and device memory apart', () => {
    expect(bench, 'the bench above ran').toBeDefined();
    for (const r of bench!.results) {
      if (r.job.backend.backend === 'ort-cpu') {
        expect(r.deviceResident).toBeUndefined();
        expect(r.memory?.gpuUnmeasured).toBeUndefined();
        continue;
      }
      expect(r.deviceResident?.medianMs).toBeGreaterThan(0);
      expect(r.deviceResident?.samplesMs.length).toBeGreaterThanOrEqual(3);
      expect(r.memory?.gpuBytes).toBeUndefined();
      expect(r.memory?.gpuUnmeasured).toMatch(/software device|VK_EXT_memory_budget/);
      expect(r.coldStart?.firstRunMs).toBeGreaterThan(0);
      // Every node of these blocks has a WebGPU kernel: placement says so.
      expect(r.placement?.fallbackOps ?? []).toEqual([]);
    }
  });

  gpuIt('gives the same answers from the saved results through compare --measured', () => {
    expect(bench, 'the bench above ran').toBeDefined();
    // Measured with a 0.2 s minimum, these are quick runs: left out of comparisons unless asked for.
    const args = ['compare', '--seed', 'standard-vs-separable', '--measured', '--results', results];
    const without = json<{ measured: SeedVerdict[]; quickLeftOut: number }>(args);
    expect(without.measured).toEqual([]);
    expect(without.quickLeftOut).toBe(bench!.results.length);
    const out = json<{ measured: SeedVerdict[] }>([...args, '--include-quick']);
    const key = (v: SeedVerdict) => v.setting.split(',')[0];
    const fromStore = Object.fromEntries(out.measured.map((v) => [key(v), v]));
    for (const v of bench!.comparisons) {
      const saved = fromStore[key(v)];
      expect(saved, `a saved verdict for ${v.setting}`).toBeDefined();
      // The same samples give the same speed-up; the saved label also names the --set parameters.
      expect(saved.speedup).toBeCloseTo(v.speedup, 9);
      expect(saved.macsRatio).toBe(v.macsRatio);
      expect(saved.setting).toContain('height=10,width=10');
    }
    const text = cli([...args, '--include-quick']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('Seed comparisons: the cost model against the measurement');
    expect(text.stdout).toMatch(/ort-webgpu, batch 1/);
  });
});

describe('compare --measured without results', () => {
  gpuIt('says what to run instead of printing an empty table', () => {
    const r = cli(['compare', '--seed', 'reduce-then-conv', '--measured', '--results', join(tmp, 'empty')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('No saved results of these comparisons');
    expect(r.stdout).toContain('bench --seeds --backend ort-cpu,ort-webgpu');
  });
});
