// The top layers of a profiled result (shared/stats/top-layers.ts): ranked by measured time, with
// their share, MACs, achieved GFLOP/s, arithmetic intensity from known tensor sizes, and their
// position under the machine's roofline, or the message that says how to measure one.
import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../shared/contract/result.js';
import { buildTarget } from '../shared/targets.js';
import {
  NO_ROOFLINE_MESSAGE,
  graphTraffic,
  rooflineFor,
  rooflinePosition,
  topLayers,
  trafficOf,
} from '../shared/stats/top-layers.js';
import { costGraph } from '../shared/cost/cost-model.js';
import { fakeGpuResult, fakeMachine, fakeResult, FAKE_ROOFLINE as ROOFLINE } from './helpers/fake-results.js';

// The bottleneck block at its defaults: input 1x256x56x56, conv1 1x1 256->64, conv2 3x3 64->64,
// conv3 1x1 64->256, each with BatchNorm; Relu after conv1 and conv2; add + Relu at the end.
const F = 4; // fp32 bytes
const IN = 256 * 56 * 56 * F; // 3,211,264
const MID = 64 * 56 * 56 * F; // 802,816
const CONV1_MACS = 256 * 64 * 56 * 56; // 51,380,224
const CONV2_MACS = 64 * 64 * 9 * 56 * 56; // 115,605,504
// conv1 + conv1.bn + conv1.relu fused: reads the input, conv1's weights and BN's four vectors, writes one tensor.
const FUSED1_BYTES = IN + (256 * 64 + 4 * 64) * F + MID;

function profiled(o: { threads?: number; roofline?: boolean; backend?: 'ort-cpu' | 'ort-webgpu' } = {}): BenchResult {
  const base = {
    target: { kind: 'block' as const, name: 'bottleneck', params: {} },
    threads: o.threads ?? 0,
    machine: fakeMachine(o.roofline === false ? {} : { roofline: ROOFLINE }),
  };
  const r = o.backend === 'ort-webgpu' ? fakeGpuResult({ ...base, backend: 'ort-webgpu' }) : fakeResult(base);
  return {
    ...r,
    job: { ...r.job, backend: { ...r.job.backend, profiling: true } },
    nodes: [
      {
        name: 'conv1.relu_nchwc',
        op: 'FusedConv',
        provider: 'CPUExecutionProvider',
        meanUs: 300,
        graphNodes: ['conv1', 'conv1.bn', 'conv1.relu'],
        macs: CONV1_MACS,
        gflops: 0,
      },
      {
        name: 'conv2',
        op: 'Conv',
        provider: 'CPUExecutionProvider',
        meanUs: 500,
        graphNodes: ['conv2'],
        macs: CONV2_MACS,
        gflops: 0,
      },
      {
        name: 'reorder_token_3',
        op: 'ReorderOutput',
        provider: 'CPUExecutionProvider',
        meanUs: 150,
        graphNodes: [],
        macs: 0,
        gflops: 0,
      },
      {
        name: 'out',
        op: 'Relu',
        provider: 'CPUExecutionProvider',
        meanUs: 50,
        graphNodes: ['out'],
        macs: 0,
        gflops: 0,
      },
    ],
  };
}

describe('bytes moved', () => {
  const g = buildTarget({ target: 'bottleneck' });

  it('counts a fused group once: its outside inputs, its weights and what it writes for others', () => {
    expect(trafficOf(g, ['conv1', 'conv1.bn', 'conv1.relu'])).toEqual({
      activationsIn: IN,
      weights: (256 * 64 + 4 * 64) * F,
      activationsOut: MID,
      total: FUSED1_BYTES,
    });
    // Alone, conv1 writes its own output (read by conv1.bn).
    expect(trafficOf(g, ['conv1'])!.total).toBe(IN + 256 * 64 * F + MID);
    // At fp16 every float tensor counts half.
    expect(trafficOf(g, ['conv1', 'conv1.bn', 'conv1.relu'], 'fp16')!.total).toBe(FUSED1_BYTES / 2);
    expect(trafficOf(g, ['no-such-node'])).toBeUndefined();
  });

  it('sums every node on its own to the bytes the cost model divides its intensity by', () => {
    const c = costGraph(g);
    const moved = (c.totals.flops + c.totals.elementwiseOps) / c.totals.arithmeticIntensity;
    expect(graphTraffic(g)).toBeCloseTo(moved, 0);
  });
});

describe('top layers of a profiled result', () => {
  it('ranks by time with shares of the total, MACs and achieved GFLOP/s', () => {
    const rep = topLayers(profiled())!;
    expect(rep.rows.map((r) => r.name)).toEqual(['conv2', 'conv1.relu_nchwc', 'reorder_token_3', 'out']);
    expect(rep.totalUs).toBe(1000);
    expect(rep.rows.map((r) => r.share)).toEqual([0.5, 0.3, 0.15, 0.05]);
    const conv2 = rep.rows[0];
    expect(conv2.rank).toBe(1);
    expect(conv2.macs).toBe(CONV2_MACS);
    expect(conv2.gflops).toBeCloseTo((2 * CONV2_MACS) / 500e3, 9);
    // Limited to the top N.
    expect(topLayers(profiled(), { limit: 2 })!.rows.map((r) => r.name)).toEqual(['conv2', 'conv1.relu_nchwc']);
  });

  it('computes intensity from the covered nodes and leaves unmapped nodes without one', () => {
    const rep = topLayers(profiled())!;
    const fused = rep.rows.find((r) => r.name === 'conv1.relu_nchwc')!;
    expect(fused.bytes).toBe(FUSED1_BYTES);
    expect(fused.intensity).toBeCloseTo((2 * CONV1_MACS) / FUSED1_BYTES, 9);
    const conv2 = rep.rows[0];
    expect(conv2.intensity).toBeCloseTo((2 * CONV2_MACS) / (MID + 64 * 64 * 9 * F + MID), 9);
    const reorder = rep.rows.find((r) => r.name === 'reorder_token_3')!;
    expect(reorder.bytes).toBeUndefined();
    expect(reorder.intensity).toBeUndefined();
    expect(reorder.roofline).toBeUndefined();
    // A Relu has bytes but no FLOPs: intensity 0, no position under the roofline.
    const relu = rep.rows.find((r) => r.name === 'out')!;
    expect(relu.intensity).toBe(0);
    expect(relu.roofline).toBeUndefined();
    // Without the graph (a file's result), no bytes at all.
    const noGraph = topLayers(profiled(), { graph: null })!;
    expect(noGraph.bytesKnown).toBe(false);
    expect(noGraph.rows.every((r) => r.intensity === undefined)).toBe(true);
  });

  it('places each layer under the all-threads roofline: attainable, % of it, memory- or compute-bound', () => {
    const rep = topLayers(profiled({ threads: 0 }))!;
    expect(rep.roofline).toMatchObject({ peakGflops: 400, bandwidthGBps: 40, ridgeFlopsPerByte: 10 });
    expect(rep.noRoofline).toBeUndefined();
    const fused = rep.rows.find((r) => r.name === 'conv1.relu_nchwc')!;
    // Intensity about 25.2 FLOP/byte: above the ridge (10), so compute-bound at the 400 GFLOP/s peak.
    expect(fused.intensity!).toBeGreaterThan(10);
    expect(fused.roofline!.bound).toBe('compute');
    expect(fused.roofline!.attainableGflops).toBe(400);
    expect(fused.roofline!.ofAttainable).toBeCloseTo(fused.gflops / 400, 9);
    const conv2 = rep.rows[0];
    const ai = conv2.intensity!;
    expect(conv2.roofline!.attainableGflops).toBeCloseTo(Math.min(400, ai * 40), 9);
  });

  it('uses the one-thread figures for one thread, and scales them in between', () => {
    const one = topLayers(profiled({ threads: 1 }))!;
    expect(one.roofline).toMatchObject({
      peakGflops: 50,
      bandwidthGBps: 10,
      ridgeFlopsPerByte: 5,
      basis: 'one thread',
    });
    const four = rooflineFor(profiled({ threads: 4 }));
    expect(four).toMatchObject({ figures: { peakGflops: 200, bandwidthGBps: 40 } });
    const sixteen = rooflineFor(profiled({ threads: 16 }));
    expect(sixteen).toMatchObject({ figures: { peakGflops: 400, bandwidthGBps: 40 } });
  });

  it('tells memory-bound from compute-bound around the ridge', () => {
    const roof = { peakGflops: 400, bandwidthGBps: 40 };
    expect(rooflinePosition(2, 40, roof)).toEqual({ attainableGflops: 80, ofAttainable: 0.5, bound: 'memory' });
    expect(rooflinePosition(20, 100, roof)).toEqual({ attainableGflops: 400, ofAttainable: 0.25, bound: 'compute' });
    expect(rooflinePosition(0, 1, roof)).toBeUndefined();
  });

  it('without a measured roofline says how to get one instead of inventing it', () => {
    const rep = topLayers(profiled({ roofline: false }))!;
    expect(rep.roofline).toBeUndefined();
    expect(rep.noRoofline).toBe(NO_ROOFLINE_MESSAGE);
    expect(rep.noRoofline).toMatch(/measure the roofline on Hardware/);
    expect(rep.rows.every((r) => r.roofline === undefined)).toBe(true);
    // Intensity does not need a roofline.
    expect(rep.rows[0].intensity).toBeGreaterThan(0);
  });

  it('does not place a GPU run under the CPU roofline', () => {
    const rep = topLayers(profiled({ backend: 'ort-webgpu' }))!;
    expect(rep.roofline).toBeUndefined();
    expect(rep.noRoofline).toMatch(/GPU/);
  });

  it("says when a GPU profile timed the kernels' launches, not their execution (far below the run)", () => {
    const gpu = profiled({ backend: 'ort-webgpu' });
    const kernelMs = gpu.nodes!.reduce((s, n) => s + n.meanUs, 0) / 1000;
    const rep = topLayers({ ...gpu, stats: { ...gpu.stats!, p50: kernelMs * 50 } })!;
    expect(rep.dispatchOnly).toMatch(/timed each kernel's launch on the host, not its run on the GPU/);
    expect(topLayers({ ...gpu, stats: { ...gpu.stats!, p50: kernelMs } })!.dispatchOnly).toBeUndefined();
    expect(topLayers(profiled())!.dispatchOnly).toBeUndefined();
  });

  it('has nothing to say about a result without per-node timings', () => {
    expect(topLayers(fakeResult())).toBeUndefined();
  });
});
