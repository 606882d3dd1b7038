// The node diff of two profiled runs (shared/stats/run-diff.ts), on synthetic profiles shaped like
// the real ones: ONNX Runtime fuses Conv+BatchNorm+Relu into one node named after a tensor, another
// run keeps three nodes, the native backend names only its Conv and fuses the residual Add without
// saying, an int8 run has QLinearConv and Quantize/Dequantize nodes; runtime-only nodes; refusals.
import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../shared/contract/result.js';
import type { RunDiff } from '../shared/contract/run-diff.js';
import { StudioError } from '../shared/ir/types.js';
import { diffRuns, graphNodeTimes, ratioText, runDiffRefusal, unitNote } from '../shared/stats/run-diff.js';
import { buildTarget } from '../shared/targets.js';
import { fakeResult } from './helpers/fake-results.js';

type Node = NonNullable<BenchResult['nodes']>[number];
const node = (
  name: string,
  op: string,
  meanUs: number,
  graphNodes: string[],
  provider = 'CPUExecutionProvider',
): Node => ({
  name,
  op,
  provider,
  meanUs,
  graphNodes,
  macs: 0,
  gflops: 0,
});

const BOTTLENECK = { kind: 'block' as const, name: 'bottleneck', params: { height: 8, width: 8 } };
const graph = buildTarget({ target: 'bottleneck', set: { height: '8', width: '8' } });

/** A profiled bottleneck:height=8,width=8 result with these runtime nodes. */
function profiled(
  id: string,
  nodes: Node[],
  o: { backend?: string; precision?: 'fp32' | 'int8'; notes?: string[] } = {},
) {
  const r = fakeResult({ id, target: BOTTLENECK, medianMs: 0.25 });
  const backend = (o.backend ?? 'ort-cpu') as BenchResult['job']['backend']['backend'];
  return {
    ...r,
    job: { ...r.job, precision: o.precision ?? 'fp32', backend: { ...r.job.backend, backend, profiling: true } },
    runtime:
      backend === 'native'
        ? { name: 'native', version: '0.1.0', providers: ['NativeCPU'] }
        : { name: 'onnxruntime-node', version: '1.30.0', providers: ['CPUExecutionProvider'] },
    notes: o.notes ?? [],
    nodes,
  } satisfies BenchResult;
}

/** ONNX Runtime CPU, fp32: each Conv fused with its BatchNorm (and Relu), NCHWc reorders around them. */
const ortFp32 = () =>
  profiled('ort-fp32', [
    node('ReorderInput', 'ReorderInput', 6, []),
    node('conv1.relu_nchwc', 'FusedConv', 14, ['conv1', 'conv1.bn', 'conv1.relu']),
    node('conv2.relu_nchwc', 'FusedConv', 25, ['conv2', 'conv2.bn', 'conv2.relu']),
    node('conv3.bn_nchwc', 'Conv', 13, ['conv3', 'conv3.bn']),
    node('ReorderOutput', 'ReorderOutput', 4, []),
    node('add', 'Add', 4, ['add']),
    node('out', 'Relu', 40, ['out']),
  ]);

/** A run that fuses nothing: Conv, BatchNorm and Relu as three nodes each. */
const unfused = () =>
  profiled('unfused', [
    node('conv1', 'Conv', 10, ['conv1']),
    node('conv1.bn', 'BatchNormalization', 3, ['conv1.bn']),
    node('conv1.relu', 'Relu', 2, ['conv1.relu']),
    node('conv2', 'Conv', 30, ['conv2']),
    node('conv2.bn', 'BatchNormalization', 3, ['conv2.bn']),
    node('conv2.relu', 'Relu', 2, ['conv2.relu']),
    node('conv3', 'Conv', 12, ['conv3']),
    node('conv3.bn', 'BatchNormalization', 3, ['conv3.bn']),
    node('add', 'Add', 5, ['add']),
    node('out', 'Relu', 2, ['out']),
  ]);

/** The native backend: one node per Conv, named after it, BatchNorm/Relu/the residual Add fused in but not named. */
const native = () =>
  profiled(
    'native',
    [
      node('conv1', 'Conv', 50, ['conv1'], 'NativeCPU'),
      node('conv2', 'Conv', 126, ['conv2'], 'NativeCPU'),
      node('conv3', 'Conv', 14, ['conv3'], 'NativeCPU'),
    ],
    {
      backend: 'native',
      notes: ['native plan: avx512 kernels, 2 threads, activation arena 32.0 KiB, packed weights 273.5 KiB'],
    },
  );

/** ONNX Runtime int8 (QDQ): QLinearConv per Conv (BatchNorm folded, Relu removed), Q/DQ at the edges. */
const int8 = () =>
  profiled(
    'ort-int8',
    [
      node('input_QuantizeLinear', 'QuantizeLinear', 8, []),
      node('Transpose', 'Transpose', 4, []),
      node('conv1_token_1', 'QLinearConv', 10, ['conv1']),
      node('conv2_token_4', 'QLinearConv', 13, ['conv2']),
      node('conv3_token_7', 'QLinearConv', 15, ['conv3']),
      node('Transpose_token_6', 'Transpose', 4, []),
      node('add', 'QLinearAdd', 6, ['add']),
      node('out_DequantizeLinear', 'DequantizeLinear', 16, []),
    ],
    { precision: 'int8' },
  );

const unit = (d: RunDiff, name: string) => {
  const u = d.units.find((x) => x.name === name);
  expect(u, `unit ${name} in ${d.units.map((x) => x.name).join(', ')}`).toBeDefined();
  return u!;
};
const total = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

/** Every microsecond of each profile is in a unit or in the runtime-only time, and the per-op totals sum the units. */
function expectExactTotals(d: RunDiff, a: BenchResult, b: BenchResult) {
  expect(d.a.kernelUs).toBe(total(a.nodes!.map((n) => n.meanUs)));
  expect(d.b.kernelUs).toBe(total(b.nodes!.map((n) => n.meanUs)));
  expect(total(d.units.map((u) => u.a.us)) + d.a.runtimeOnly.us).toBeCloseTo(d.a.kernelUs, 9);
  expect(total(d.units.map((u) => u.b.us)) + d.b.runtimeOnly.us).toBeCloseTo(d.b.kernelUs, 9);
  expect(total(d.byOp.map((t) => t.aUs))).toBeCloseTo(total(d.units.map((u) => u.a.us)), 9);
  expect(total(d.byOp.map((t) => t.bUs))).toBeCloseTo(total(d.units.map((u) => u.b.us)), 9);
  // Each runtime node is in exactly one place: never split, never dropped.
  const placed = (side: 'a' | 'b') => [
    ...d.units.flatMap((u) => u[side].nodes.map((n) => n.name)),
    ...d[side].runtimeOnly.nodes.map((n) => n.name),
  ];
  expect(placed('a').sort()).toEqual(a.nodes!.map((n) => n.name).sort());
  expect(placed('b').sort()).toEqual(b.nodes!.map((n) => n.name).sort());
}

describe('diffRuns: matching through the graph', () => {
  it('matches a fused Conv+BN+Relu node against three nodes as one unit, fused differently', () => {
    const a = ortFp32();
    const b = unfused();
    const d = diffRuns(a, b);
    const conv1 = unit(d, 'conv1');
    expect(conv1.op).toBe('Conv');
    expect(conv1.graphNodes).toEqual(['conv1', 'conv1.bn', 'conv1.relu']);
    expect(conv1.a.nodes.map((n) => n.name)).toEqual(['conv1.relu_nchwc']);
    expect(conv1.b.nodes.map((n) => n.name)).toEqual(['conv1', 'conv1.bn', 'conv1.relu']);
    expect(conv1.a.us).toBe(14);
    expect(conv1.b.us).toBe(15);
    expect(conv1.deltaUs).toBe(1);
    expect(conv1.ratio).toBeCloseTo(15 / 14, 12);
    expect(conv1.fusedDifferently).toBe(true);
    expect(conv1.presence).toBe('both');
    expect(unitNote(conv1)).toBe('fused differently (1 vs 3 nodes)');
    // conv3: Conv+BN fused in A, two nodes in B; add and out are single nodes in both.
    expect(unit(d, 'conv3').b.nodes).toHaveLength(2);
    expect(unit(d, 'add').fusedDifferently).toBe(false);
    expect(unit(d, 'out').op).toBe('Relu');
    expect(d.units).toHaveLength(5);
    expectExactTotals(d, a, b);
  });

  it('sorts the units and the operators by |delta|, largest first', () => {
    const d = diffRuns(ortFp32(), unfused());
    const deltas = d.units.map((u) => Math.abs(u.deltaUs));
    expect(deltas).toEqual([...deltas].sort((x, y) => y - x));
    // out: 40 -> 2 µs is the largest change; conv2: 25 -> 35.
    expect(d.units.map((u) => u.name).slice(0, 2)).toEqual(['out', 'conv2']);
    expect(d.units[0].deltaUs).toBe(-38);
    const opDeltas = d.byOp.map((t) => Math.abs(t.deltaUs));
    expect(opDeltas).toEqual([...opDeltas].sort((x, y) => y - x));
    expect(d.byOp.find((t) => t.op === 'Conv')).toMatchObject({ units: 3, aUs: 52, bUs: 65, deltaUs: 13 });
  });

  it('keeps runtime-only nodes per run with their total time (never dropped)', () => {
    const a = ortFp32();
    const b = int8();
    const d = diffRuns(a, b);
    expect(d.a.runtimeOnly.nodes.map((n) => n.name)).toEqual(['ReorderInput', 'ReorderOutput']);
    expect(d.a.runtimeOnly.us).toBe(10);
    expect(d.b.runtimeOnly.nodes.map((n) => n.name)).toEqual([
      'input_QuantizeLinear',
      'Transpose',
      'Transpose_token_6',
      'out_DequantizeLinear',
    ]);
    expect(d.b.runtimeOnly.us).toBe(32);
    expect(d.a.runtimeNodes).toBe(7);
    expectExactTotals(d, a, b);
  });

  it('matches an int8 (QDQ) run: QLinearConv counts as Conv, the folded BatchNorm and removed Relu traced with the graph', () => {
    const a = ortFp32();
    const b = int8();
    const d = diffRuns(a, b, graph);
    expect(d.graph).toBe(true);
    const conv1 = unit(d, 'conv1');
    expect(conv1.op).toBe('Conv');
    expect(conv1.b.nodes.map((n) => n.op)).toEqual(['QLinearConv']);
    expect(conv1.b.inferred).toEqual(['conv1.bn', 'conv1.relu']);
    expect(conv1.a.inferred).toEqual([]);
    expect(conv1.fusedDifferently).toBe(false);
    // The final Relu has no int8 node: traced to the QLinearAdd before it, whose unit it joins.
    const add = unit(d, 'add');
    expect(add.graphNodes).toEqual(['add', 'out']);
    expect(add.op).toBe('Add');
    expect(add.a.us).toBe(44);
    expect(add.b.us).toBe(6);
    expect(add.b.inferred).toEqual(['out']);
    expect(add.fusedDifferently).toBe(true);
    expect(d.environment.differs).toEqual([{ field: 'precision', a: 'fp32', b: 'int8' }]);
    expectExactTotals(d, a, b);
  });

  it('without the graph, a node the other profile does not name is a unit of one run only, said in the notes', () => {
    const a = ortFp32();
    const b = native();
    const d = diffRuns(a, b);
    expect(d.graph).toBe(false);
    expect(unit(d, 'add').presence).toBe('a-only');
    expect(unit(d, 'add').b.us).toBe(0);
    expect(unit(d, 'add').ratio).toBe(0);
    expect(ratioText(unit(d, 'add').ratio, { aUs: 4, bUs: 0 })).toBe('only A');
    expect(unit(d, 'out').presence).toBe('a-only');
    expect(d.notes.join(' ')).toMatch(/without the studio graph/);
    expect(d.notes.join(' ')).toMatch(/2 units \(out, add\) have no runtime node in B's profile/);
    expectExactTotals(d, a, b);
  });

  it("with the graph, the native backend's unnamed fusion of BatchNorm, the residual Add and Relu joins its Conv's unit", () => {
    const a = ortFp32();
    const b = native();
    const d = diffRuns(a, b, graph);
    expect(d.units.map((u) => u.name).sort()).toEqual(['conv1', 'conv2', 'conv3']);
    const conv3 = unit(d, 'conv3');
    expect(conv3.graphNodes).toEqual(['conv3', 'conv3.bn', 'add', 'out']);
    expect(conv3.a.nodes.map((n) => n.name)).toEqual(['conv3.bn_nchwc', 'add', 'out']);
    expect(conv3.a.us).toBe(57);
    expect(conv3.b.nodes.map((n) => n.name)).toEqual(['conv3']);
    expect(conv3.b.inferred).toEqual(['conv3.bn', 'add', 'out']);
    expect(conv3.fusedDifferently).toBe(true);
    expect(d.units.every((u) => u.presence === 'both')).toBe(true);
    expect(d.notes).toEqual([]);
    expectExactTotals(d, a, b);
    // What a graph overlay draws: every graph node of a unit with the unit's (unsplit) time.
    const times = graphNodeTimes(d);
    expect(times.find((t) => t.node === 'add')).toEqual({ node: 'add', unit: 'conv3', aUs: 57, bUs: 14 });
    expect(new Set(times.map((t) => t.node))).toEqual(new Set(graph.nodes.map((n) => n.name)));
  });

  it('totals: kernel time, the median latency and their ratios', () => {
    const d = diffRuns(ortFp32(), native(), graph);
    expect(d.a.kernelUs).toBe(106);
    expect(d.b.kernelUs).toBe(190);
    expect(d.totals.kernelDeltaUs).toBe(84);
    expect(d.totals.kernelRatio).toBeCloseTo(190 / 106, 12);
    expect(d.a.medianMs).not.toBeNull();
    expect(d.totals.medianRatio).toBeCloseTo(d.b.medianMs! / d.a.medianMs!, 12);
    expect(d.model).toBe('bottleneck:height=8,width=8, batch 1');
  });
});

describe('diffRuns: the environment', () => {
  it('lists the fields that differ (backend, runtime, providers, threads, ISA) and those that are the same', () => {
    const d = diffRuns(ortFp32(), native());
    const differs = Object.fromEntries(d.environment.differs.map((f) => [f.field, [f.a, f.b]]));
    expect(differs.backend).toEqual(['ort-cpu', 'native']);
    expect(differs.runtime).toEqual(['onnxruntime-node 1.30.0', 'native 0.1.0']);
    expect(differs.ISA).toEqual(['n/a', 'avx512']);
    expect(differs.threads).toEqual(['1', '1 (native plan: 2)']);
    const same = Object.fromEntries(d.environment.same.map((f) => [f.field, f.value]));
    expect(same.precision).toBe('fp32');
    expect(same.batch).toBe('1');
    expect(same.CPU).toBe('AMD Ryzen 9 7950X 16-Core Processor');
    expect(same.host).toMatch(/not recorded/);
    expect(same['GPU adapter']).toBe('none');
  });

  it('names another machine: CPU, cores, host of a fleet run, GPU adapter and driver', () => {
    const a = ortFp32();
    const b = {
      ...ortFp32(),
      id: 'other-machine',
      machine: {
        ...a.machine,
        cpu: { ...a.machine.cpu, manufacturer: 'Intel', brand: 'Intel Xeon Gold 6348', physicalCores: 28, threads: 56 },
      },
      fleet: {
        jobId: 'j1',
        agent: 'bench-7',
        host: 'rack7',
        queue: 'q',
        attempt: 1,
        runId: 'run',
        requestedBy: 'ci',
      },
      runtime: {
        ...a.runtime!,
        adapter: {
          source: 'vulkan' as const,
          name: 'llvmpipe (LLVM 19.1.1, 256 bits)',
          type: 'cpu' as const,
          software: true,
          driver: 'llvmpipe',
          driverInfo: 'Mesa 25.0.7',
        },
      },
    } satisfies BenchResult;
    const fields = Object.fromEntries(diffRuns(a, b).environment.differs.map((f) => [f.field, f.b]));
    expect(fields.CPU).toBe('Intel Xeon Gold 6348');
    expect(fields.cores).toBe('28 cores, 56 threads');
    expect(fields.host).toBe('rack7');
    expect(fields['GPU adapter']).toBe('llvmpipe (LLVM 19.1.1, 256 bits) (software, on the CPU)');
    expect(fields['GPU driver']).toBe('llvmpipe Mesa 25.0.7');
    expect(fields.backend).toBeUndefined();
  });
});

describe('diffRuns: refusals', () => {
  const refusal = (a: BenchResult, b: BenchResult) => {
    try {
      diffRuns(a, b);
    } catch (e) {
      expect(e).toBeInstanceOf(StudioError);
      expect((e as StudioError).code).toBe('refused');
      return (e as StudioError).message;
    }
    throw new Error('diffRuns did not refuse');
  };

  it('refuses runs of different models, naming both', () => {
    const resnet = {
      ...ortFp32(),
      job: { ...ortFp32().job, target: { kind: 'model' as const, name: 'resnet50', variant: 'keras', params: {} } },
    };
    const mobilenet = {
      ...ortFp32(),
      job: { ...ortFp32().job, target: { kind: 'model' as const, name: 'mobilenet_v2', variant: 'keras', params: {} } },
    };
    expect(refusal(resnet, mobilenet)).toBe(
      'these are runs of different models: resnet50 (keras) vs mobilenet_v2 (keras) — a node diff needs two runs of the same model (the same target, parameters and batch)',
    );
    // The same block with other parameters, and the same block at another batch, are other models too.
    const wider = {
      ...unfused(),
      job: { ...unfused().job, target: { ...BOTTLENECK, params: { height: 16, width: 8 } } },
    };
    expect(refusal(ortFp32(), wider)).toMatch(
      /different models: bottleneck:height=8,width=8 vs bottleneck:height=16,width=8/,
    );
    const batch4 = { ...unfused(), job: { ...unfused().job, batch: 4 } };
    expect(refusal(ortFp32(), batch4)).toMatch(
      /bottleneck:height=8,width=8, batch 1 vs bottleneck:height=8,width=8, batch 4/,
    );
    // Same name and parameters but another graph (a changed block): the cost says so.
    const changed = { ...unfused(), cost: { ...unfused().cost!, macs: 1 } };
    expect(refusal(ortFp32(), changed)).toMatch(
      /the graphs differ: 70,400 parameters and 218,103,808 MACs vs 70,400 and 1/,
    );
  });

  it('refuses a run without per-node times, saying to profile it', () => {
    const plain = { ...ortFp32(), nodes: undefined };
    expect(refusal(ortFp32(), plain)).toMatch(
      /^B \(ort-fp32: .*\) has no per-node times: it was measured without --profile\. Run it again with `bench bottleneck:height=8,width=8 --backend ort-cpu --profile`/,
    );
    const failedProfile = {
      ...ortFp32(),
      nodes: undefined,
      flags: ['profiling failed, so node placement and per-node times are unknown: boom'],
    };
    expect(refusal(failedProfile, ortFp32())).toMatch(/^A .* has no per-node times: profiling failed, .*boom/);
  });

  it('refuses a run that did not end ok', () => {
    const failed = {
      ...ortFp32(),
      status: 'failed' as const,
      failure: { kind: 'crash' as const, reason: 'the job process exited with SIGSEGV' },
    };
    expect(refusal(ortFp32(), failed)).toMatch(
      /^B .* failed: the job process exited with SIGSEGV; only a run that ended ok/,
    );
    expect(runDiffRefusal(ortFp32(), native())).toBeUndefined();
  });

  it('model files: the same path, or the same content hash a fleet agent recorded', () => {
    const file = (path: string, note?: string) => {
      const r = ortFp32();
      return {
        ...r,
        job: { ...r.job, target: { kind: 'file' as const, path, dims: {} } },
        notes: note ? [note] : [],
      } satisfies BenchResult;
    };
    expect(runDiffRefusal(file('/models/net.onnx'), file('/models/net.onnx'))).toBeUndefined();
    // A copy of the file on another machine: the same name and cost.
    expect(runDiffRefusal(file('/models/net.onnx'), file('/home/ci/net.onnx'))).toBeUndefined();
    expect(refusal(file('/models/net.onnx'), file('/models/other.onnx'))).toMatch(
      /different models: \/models\/net\.onnx vs \/models\/other\.onnx/,
    );
    const sha = (h: string) => `fleet: model net.onnx, sha256 ${h.repeat(64)} (100 bytes), verified`;
    expect(runDiffRefusal(file('net.onnx', sha('a')), file('net.onnx', sha('a')))).toBeUndefined();
    expect(refusal(file('net.onnx', sha('a')), file('net.onnx', sha('b')))).toMatch(
      /different models: net\.onnx vs net\.onnx/,
    );
  });
});
