// The graph explorer's overlays (shared/explorer/overlays.ts) on real graphs with synthetic profiles
// shaped like ONNX Runtime's CPU provider's (Conv + BatchNorm + Relu fused into one NCHWc node named
// after its last tensor, layout reorders that cover no graph node, Flatten folded away), joined to
// the graph by the same code the worker uses (joinNodeTimings); and the per-layer CSV.
import { describe, expect, it } from 'vitest';
import type { LayerErrorReport as ContractLayerErrorReport } from '../shared/contract/layer-error.js';
import type { BenchResult } from '../shared/contract/result.js';
import { costGraph, type CostReport } from '../shared/cost/cost-model.js';
import { layerCsv, groupPathOf } from '../shared/explorer/layer-csv.js';
import {
  deltaOverlay,
  errorJump,
  errorOverlay,
  gflopsOverlay,
  livenessSteps,
  macsOverlay,
  memoryOverlay,
  rooflineOverlay,
  timeOverlay,
  withGroupsOnScale,
  type LayerErrorReport,
} from '../shared/explorer/overlays.js';
import { topologicalOrder } from '../shared/graph/infer.js';
import { buildHierarchy, costsOf } from '../shared/explorer/hierarchy.js';
import { viewNode } from '../shared/explorer/graph-shell.js';
import type { Graph, GraphNode } from '../shared/ir/types.js';
import { dispatchOnlyProfile, joinNodeTimings, type RuntimeNodeTiming } from '../shared/stats/node-map.js';
import { diffRuns, graphNodeTimes } from '../shared/stats/run-diff.js';
import { NO_ROOFLINE_MESSAGE, topLayers } from '../shared/stats/top-layers.js';
import { buildTarget } from '../shared/targets.js';
import { fakeGpuResult, fakeMachine, fakeResult, FAKE_ROOFLINE as ROOFLINE } from './helpers/fake-results.js';

const models = new Map<string, { graph: Graph; cost: CostReport }>();
function model(name: string) {
  let m = models.get(name);
  if (!m) {
    const graph = buildTarget({ target: name });
    m = { graph, cost: costGraph(graph) };
    models.set(name, m);
  }
  return m;
}

/**
 * What ONNX Runtime's CPU provider reports for a CNN: each Conv with the BatchNorm and activation
 * that only it feeds as one NCHWc node named after the last fused tensor (FusedConv with an
 * activation, Conv without), other nodes under their own names, Flatten folded away, and a reorder
 * into and out of the blocked layout. Kernel times: Conv at 8..38 GFLOP/s depending on the node,
 * element-wise nodes a few µs.
 */
function ortLikeProfile(graph: Graph, cost: CostReport): RuntimeNodeTiming[] {
  const macsOf = new Map(cost.layers.map((l) => [l.name, l]));
  const readers = new Map<string, GraphNode[]>();
  for (const n of graph.nodes) for (const i of n.inputs) readers.set(i, [...(readers.get(i) ?? []), n]);
  const soleReader = (n: GraphNode) => {
    const r = readers.get(n.outputs[0]) ?? [];
    return r.length === 1 ? r[0] : undefined;
  };
  const fused = new Set<string>();
  const cpu = 'CPUExecutionProvider';
  const out: RuntimeNodeTiming[] = [
    { name: 'reorder_token_0', op: 'ReorderInput', provider: cpu, meanUs: 41, runs: 20 },
  ];
  topologicalOrder(graph).forEach((n, i) => {
    if (fused.has(n.name) || n.op === 'Flatten') return;
    const layer = macsOf.get(n.name)!;
    if (n.op === 'Conv') {
      const chain = [n];
      const bn = soleReader(n);
      if (bn?.op === 'BatchNormalization') {
        chain.push(bn);
        const act = soleReader(bn);
        if (act && (act.op === 'Relu' || act.op === 'Clip')) chain.push(act);
      }
      for (const c of chain.slice(1)) fused.add(c.name);
      const last = chain[chain.length - 1];
      const gflops = 8 + (i % 7) * 5;
      out.push({
        name: chain.length > 1 ? `${last.name}_nchwc` : n.name,
        op: chain.length === 3 ? 'FusedConv' : 'Conv',
        provider: cpu,
        meanUs: Math.round((2 * layer.macs) / (gflops * 1e3)),
        runs: 20,
      });
      return;
    }
    const us = n.op === 'Gemm' ? Math.round((2 * layer.macs) / 6e3) : 2 + Math.round(layer.elementwiseOps / 2e3);
    out.push({ name: n.name, op: n.op, provider: cpu, meanUs: us, runs: 20 });
  });
  out.push({ name: 'reorder_token_1', op: 'ReorderOutput', provider: cpu, meanUs: 23, runs: 20 });
  return out;
}

function profiled(
  name: string,
  o: { threads?: number; roofline?: boolean; backend?: 'ort-cpu' | 'ort-webgpu'; profile?: boolean } = {},
): BenchResult {
  const { graph, cost } = model(name);
  const base = {
    target: { kind: 'model' as const, name, params: {} },
    threads: o.threads ?? 1,
    machine: fakeMachine(o.roofline === false ? {} : { roofline: ROOFLINE }),
  };
  const r = o.backend === 'ort-webgpu' ? fakeGpuResult({ ...base, backend: 'ort-webgpu' }) : fakeResult(base);
  if (o.profile === false) return r;
  return {
    ...r,
    job: { ...r.job, backend: { ...r.job.backend, profiling: true } },
    nodes: joinNodeTimings(graph, cost, ortLikeProfile(graph, cost)),
  };
}

/** Graph nodes by their '/' scope (the blocks: 'layer1.0', 'block_3', 'head'). */
function scopes(graph: Graph): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const n of graph.nodes) {
    const s = groupPathOf(n.name);
    if (s) m.set(s, [...(m.get(s) ?? []), n.name]);
  }
  return m;
}

describe('MACs overlay', () => {
  it('gives each node its share of the MACs, summing to 100% and over groups', () => {
    const { graph, cost } = model('resnet50');
    const o = macsOverlay(cost);
    expect(o.empty).toBeUndefined();
    expect([...o.values.values()].reduce((s, v) => s + v, 0)).toBeCloseTo(100, 9);
    const block = scopes(graph).get('layer1.0')!;
    const blockMacs = cost.layers.filter((l) => block.includes(l.name)).reduce((s, l) => s + l.macs, 0);
    expect(o.groupValue(block)).toBeCloseTo((100 * blockMacs) / cost.totals.macs, 9);
    expect(o.values.get('conv1.bn')).toBe(0);
    expect(o.details!.get('conv1')).toMatch(/^\d+ M MACs \(\d\.\d+% of \d\.\d+ G\), \d+ M FLOPs$/);
    expect(o.groupValue(['no-such-node'])).toBeUndefined();
    expect(o.legend.unit).toBe('%');
    expect(o.scale).toMatchObject({ kind: 'sequential', min: 0 });
  });

  it('says there is nothing to share out when a graph has no MACs', () => {
    const { cost } = model('resnet50');
    const none = { ...cost, totals: { ...cost.totals, macs: 0 }, layers: cost.layers.map((l) => ({ ...l, macs: 0 })) };
    expect(macsOverlay(none).empty).toMatch(/has no Conv, Gemm or MatMul/);
  });
});

describe('time overlay', () => {
  for (const name of ['resnet50', 'mobilenet_v2']) {
    it(`${name}: a fused node's time is on its Conv and group sums are exact`, () => {
      const { graph, cost } = model(name);
      const result = profiled(name);
      const o = timeOverlay(graph, cost, result);
      expect(o.empty).toBeUndefined();
      const nodes = result.nodes!;
      const runtimeOnly = nodes.filter((n) => n.graphNodes.length === 0);
      expect(runtimeOnly.map((n) => n.name)).toEqual(['reorder_token_0', 'reorder_token_1']);
      const total = nodes.reduce((s, n) => s + n.meanUs, 0);
      const onGraph = [...o.values.values()].reduce((s, v) => s + v, 0);
      expect(onGraph).toBe(total - 41 - 23);
      expect(o.groupValue(graph.nodes.map((n) => n.name))).toBe(total - 64);

      // Each block: its value is the sum of the runtime nodes it wholly covers, and no runtime node
      // straddles two blocks (so the sums are exact, not an even split).
      let checked = 0;
      for (const members of scopes(graph).values()) {
        const inside = new Set(members);
        const covering = nodes.filter((n) => n.graphNodes.length && n.graphNodes.every((g) => inside.has(g)));
        expect(nodes.filter((n) => n.graphNodes.some((g) => inside.has(g)) && !covering.includes(n))).toEqual([]);
        expect(o.groupValue(members)).toBe(covering.reduce((s, n) => s + n.meanUs, 0));
        checked++;
      }
      expect(checked).toBeGreaterThan(10);

      // A fused chain: the whole time on the Conv, the followers 'fused into' it, no value of their own.
      const fusedRt = nodes.find((n) => n.op === 'FusedConv')!;
      const [conv, bn, act] = fusedRt.graphNodes;
      expect(graph.nodes.find((n) => n.name === conv)!.op).toBe('Conv');
      expect(o.values.get(conv)).toBe(fusedRt.meanUs);
      expect(o.values.has(bn)).toBe(false);
      expect(o.details!.get(bn)).toContain(`fused into ${conv} (FusedConv '${fusedRt.name}')`);
      expect(o.details!.get(conv)).toContain(`with ${bn}, ${act} fused in`);
      expect(o.groupValue([bn, act])).toBe(0);
      expect(o.groupValue([conv, bn, act])).toBe(fusedRt.meanUs);
      expect(o.groupValue(['no-such-node'])).toBeUndefined();

      expect(o.legend.note).toContain(
        '2 runtime-only nodes (ReorderInput 1, ReorderOutput 1): 64.0 µs not on any node',
      );
      expect(o.legend.note).toContain('1 graph node(s) ran in no runtime node'); // the folded Flatten
      expect(o.legend.title).toBe('measured time per node (ort-cpu, b1, t1)');
      expect(o.scale.log).toBe(true);
      expect(o.scale.min).toBeGreaterThan(0);
    });
  }

  it("says what to run when there is no profile, and refuses another model's run", () => {
    const { graph, cost } = model('resnet50');
    expect(timeOverlay(graph, cost, undefined).empty).toBe(
      'No profiled run of resnet50 yet: run `bench resnet50 --profile` (or Benchmark with Profile on) to see measured time per node',
    );
    expect(timeOverlay(graph, cost, profiled('resnet50', { profile: false })).empty).toMatch(
      /was not profiled: run `bench resnet50 --profile`/,
    );
    const other = timeOverlay(graph, cost, profiled('mobilenet_v2'));
    expect(other.empty).toMatch(/ran mobilenet_v2, not this graph \(resnet50/);
    expect(other.values.size).toBe(0);
    expect(other.groupValue(['conv1'])).toBeUndefined();
  });
});

describe('GFLOP/s and roofline overlays', () => {
  for (const name of ['resnet50', 'mobilenet_v2']) {
    it(`${name}: each node's figure is top-layers' for its runtime node, under the thread-matched roofline`, () => {
      const { graph, cost } = model(name);
      const result = profiled(name);
      const o = rooflineOverlay(graph, cost, result);
      const g = gflopsOverlay(graph, cost, result);
      expect(o.empty).toBeUndefined();
      const report = topLayers(result, { limit: Infinity })!;
      expect(report.roofline!.basis).toBe('one thread');
      let placed = 0;
      for (const row of report.rows) {
        if (!row.graphNodes.length) continue;
        const carrier = row.graphNodes[0];
        if (row.flops > 0) expect(g.values.get(carrier)).toBe(row.gflops);
        if (!row.roofline) {
          expect(o.values.has(carrier)).toBe(false);
          continue;
        }
        expect(o.values.get(carrier)).toBe(100 * row.roofline.ofAttainable);
        expect(o.categories!.get(carrier)).toBe(row.roofline.bound);
        expect(o.details!.get(carrier)).toMatch(
          new RegExp(`achieved of .* attainable \\(.*%\\), intensity [0-9.]+ FLOP/B, ${row.roofline.bound}-bound`),
        );
        // A node alone is its own group.
        expect(o.groupValue([carrier])).toBeCloseTo(100 * row.roofline.ofAttainable, 9);
        placed++;
      }
      expect(placed).toBeGreaterThan(40);
      expect(new Set(o.categories!.values())).toEqual(new Set(['memory', 'compute']));
      expect(o.legend.categories!.map((c) => c.key)).toEqual(['memory', 'compute']);
      expect(o.scale.max).toBeGreaterThanOrEqual(100);

      // A block: its summed FLOPs over its summed time, against the attainable of its summed FLOPs
      // and bytes (not the mean of its nodes' percentages).
      const members = [...scopes(graph).values()][2];
      const inside = new Set(members);
      const rows = report.rows.filter((r) => r.graphNodes.length && r.graphNodes.every((n) => inside.has(n)));
      const flops = rows.reduce((s, r) => s + r.flops, 0);
      const us = rows.reduce((s, r) => s + r.meanUs, 0);
      const bytes = rows.reduce((s, r) => s + r.bytes!, 0);
      const attainable = Math.min(50, (flops / bytes) * 10);
      expect(o.groupValue(members)).toBeCloseTo((100 * flops) / (us * 1e3) / attainable, 9);
      expect(g.groupValue(members)).toBeCloseTo(flops / (us * 1e3), 9);
      // Its category: the group's own intensity against the ridge (peak 50 / bandwidth 10 = 5 FLOP/B).
      expect(o.groupCategory!(members)).toBe(flops / bytes >= 5 ? 'compute' : 'memory');
      const percents = members.map((m) => o.values.get(m)).filter((v): v is number => v !== undefined);
      expect(o.groupValue(members)).not.toBeCloseTo(percents.reduce((s, v) => s + v, 0) / percents.length, 3);
    });
  }

  it('uses the all-threads roofline for a run on all threads', () => {
    const { graph, cost } = model('resnet50');
    const o = rooflineOverlay(graph, cost, profiled('resnet50', { threads: 0 }));
    expect(o.legend.note).toContain('for all threads (8), avx2: peak 400 GFLOP/s, triad 40.0 GB/s');
  });

  it('is empty, saying why, without a roofline, without a profile or for a GPU run', () => {
    const { graph, cost } = model('resnet50');
    expect(rooflineOverlay(graph, cost, profiled('resnet50', { roofline: false })).empty).toBe(NO_ROOFLINE_MESSAGE);
    // The machine's kept roofline stands in for a result measured before it.
    const kept = rooflineOverlay(graph, cost, profiled('resnet50', { roofline: false }), ROOFLINE);
    expect(kept.empty).toBeUndefined();
    expect(kept.values.size).toBeGreaterThan(40);
    // Given as this machine's profile, the kept roofline serves only a run of the same CPU.
    const here = fakeMachine({ roofline: ROOFLINE });
    expect(rooflineOverlay(graph, cost, profiled('resnet50', { roofline: false }), here).values.size).toBe(
      kept.values.size,
    );
    const elsewhere = rooflineOverlay(graph, cost, profiled('resnet50', { roofline: false }), {
      ...here,
      cpu: { ...here.cpu, brand: 'Xeon Gold 6338', physicalCores: 32, threads: 64 },
    });
    expect(elsewhere.empty).toMatch(
      /^This run was measured on Ryzen 9 7950X .* the roofline kept here is Xeon Gold 6338's/,
    );
    // A result's own roofline wins over the kept one.
    const own = rooflineOverlay(graph, cost, profiled('resnet50'), {
      ...ROOFLINE,
      peakGflops: { oneThread: 1, allThreads: 1 },
    });
    expect(own.values).toEqual(rooflineOverlay(graph, cost, profiled('resnet50')).values);
    expect(rooflineOverlay(graph, cost, undefined).empty).toMatch(
      /^No profiled run of resnet50 yet: run `bench resnet50 --profile`/,
    );
    const gpu = rooflineOverlay(graph, cost, profiled('resnet50', { backend: 'ort-webgpu' }), ROOFLINE);
    expect(gpu.empty).toMatch(/ran on ort-webgpu \(a GPU\), so its layers are not placed under it/);
    expect(gpu.values.size).toBe(0);
    expect(gflopsOverlay(graph, cost, undefined).empty).toMatch(/to see achieved GFLOP\/s per node$/);
  });
});

describe('memory overlay', () => {
  for (const name of ['resnet50', 'mobilenet_v2', 'inception_v3', 'bottleneck']) {
    it(`${name}: the peak of live activations is the cost model's`, () => {
      const { graph, cost } = model(name);
      const o = memoryOverlay(graph, cost);
      const peak = Math.max(...o.values.values());
      expect(peak).toBe(cost.totals.peakActivationBytes);
      expect(o.legend.note).toMatch(/^peak .* at .* \(step \d+ of \d+\), the cost model's peak activation/);
      expect(o.groupValue(graph.nodes.map((n) => n.name))).toBe(peak);
    });
  }

  it('counts the tensors alive at each step: the input until its last reader, outputs until theirs', () => {
    const { graph, cost } = model('resnet50');
    const steps = livenessSteps(graph);
    const input = 3 * 224 * 224 * 4;
    const conv1 = 64 * 112 * 112 * 4;
    expect(steps[0]).toMatchObject({ node: 'conv1', outputBytes: conv1, liveBytes: input + conv1, liveTensors: 2 });
    // The input's only reader was conv1: at conv1.bn only conv1's output and its own are live.
    expect(steps[1]).toMatchObject({ node: 'conv1.bn', liveBytes: 2 * conv1 });
    const o = memoryOverlay(graph, cost);
    expect(o.details!.get('conv1')).toBe('3.64 MiB live in 2 tensors at step 1 of 176; output 3.06 MiB');
    // A group is the largest of its steps, not a sum.
    expect(o.groupValue(['conv1', 'conv1.bn'])).toBe(2 * conv1);
    expect(o.legend.note).toContain('weights excluded');
  });
});

describe('error overlay', () => {
  const { graph } = model('resnet50');
  const order = topologicalOrder(graph);
  const entry = (node: string, relRms: number) => ({
    node,
    tensor: node,
    relRms,
    maxAbs: relRms * 40,
    cosine: 1 - relRms * relRms,
    snrDb: -20 * Math.log10(relRms),
  });
  // Error creeping up slowly node after node, with a step at layer2.0/conv2.
  const jumpAt = order.findIndex((n) => n.name === 'layer2.0/conv2');
  const report: LayerErrorReport = {
    precision: 'int8',
    model: 'resnet50',
    metric: '8 seeded inputs, tensors compared at fp32',
    nodes: order.map((n, i) => entry(n.name, 1e-3 * (1 + 0.01 * i) + (i >= jumpAt ? 2e-2 : 0))),
  };

  it('shows the relative RMS error per node, the worst in a group, and names the jump', () => {
    const o = errorOverlay(report, { graph });
    expect(o.name).toBe('int8 error');
    expect(o.scale.log).toBe(true);
    expect(o.values.size).toBe(graph.nodes.length);
    expect(o.legend.note).toContain('the error first jumps at layer2.0/conv2');
    expect(o.details!.get('layer2.0/conv2')).toMatch(
      /^rel\. RMS .*, max \|Δ\| .*, cosine .*, SNR .* dB \(tensor layer2\.0\/conv2\); the largest jump/,
    );
    const block = scopes(graph).get('layer2.0')!;
    expect(o.groupValue(block)).toBe(Math.max(...block.map((n) => o.values.get(n)!)));
  });

  it("finds the jump through nodes that were not measured, and takes a node's worst tensor", () => {
    // Only the Convs measured; the error reaching a Conv is the previous measured Conv's.
    const convs = report.nodes.filter((e) => graph.nodes.find((n) => n.name === e.node)!.op === 'Conv');
    const extra = { ...entry('layer3.1/conv1', 0.5), tensor: 'second output' };
    const o = errorOverlay({ ...report, nodes: [...convs, extra] }, { graph });
    expect(o.values.get('layer3.1/conv1')).toBe(0.5);
    expect(o.legend.note).toContain('the error first jumps at layer3.1/conv1');
    const jump = errorJump(graph, new Map(convs.map((e) => [e.node, e.relRms])))!;
    expect(jump.node).toBe('layer2.0/conv2');
    expect(jump.increase).toBeCloseTo(2e-2, 3);
  });

  it("takes the precision comparison's report as it is: its jump, its inputs, its model text", () => {
    // The producer's report (shared/contract/layer-error.ts) is a superset of the overlay's input.
    const full: ContractLayerErrorReport = {
      ...report,
      model: 'resnet50 (keras)',
      metric: 'relRms',
      inputs: '4 seeded random samples (seeds 0..3)',
      nodes: report.nodes.map((e) => ({ ...e, op: 'Conv', elements: 1000 })),
      skipped: [{ tensor: 'conv1.bn', reason: 'BatchNorm folded into the Conv in int8' }],
      runtime: { name: 'onnxruntime-node', version: '1.30.0', provider: 'CPUExecutionProvider' },
      // The producer judged the jump among the tensors stored at int8: it wins over the overlay's own.
      jump: { node: 'layer1.0/conv2', tensor: 'layer1.0/conv2', inputRelRms: 1e-3, relRms: 4e-3 },
      fidelity: { relRms: 0.03, cosine: 0.999, maxAbs: 0.2 },
      notes: [],
    };
    const input: LayerErrorReport = full;
    const o = errorOverlay(input, { graph });
    expect(o.empty).toBeUndefined();
    expect(o.legend.note).toMatch(
      /^\|\|int8 - fp32\|\| \/ \|\|fp32\|\| of each node's output, on 4 seeded random samples/,
    );
    expect(o.legend.note).toContain("the error first jumps at layer1.0/conv2 (+3.00e-3 over its inputs' 1.00e-3)");
    expect(o.legend.note).toContain('1 tensor(s) not compared (BatchNorm folded into the Conv in int8)');
  });

  it('says what to run without data, and refuses malformed data with the field at fault', () => {
    expect(errorOverlay(undefined, { graph, precision: 'int8' }).empty).toMatch(
      /^No per-node int8 error of resnet50 yet: run `precision error resnet50 --precision int8`/,
    );
    const bad = { ...report, nodes: [{ ...report.nodes[0], relRms: -1 }] };
    expect(() => errorOverlay(bad, { graph })).toThrow(/nodes\.0\.relRms/);
    const foreign = errorOverlay({ ...report, nodes: [entry('nowhere', 1e-3)] }, { graph });
    expect(foreign.empty).toMatch(/names none of the nodes of resnet50/);
    const other = errorOverlay({ ...report, model: 'mobilenet_v2' }, { graph });
    expect(other.empty).toMatch(/^The per-node error data is mobilenet_v2's, not this graph's \(resnet50\)/);
  });
});

describe('delta overlay', () => {
  const diff = [
    { node: 'conv1', aUs: 400, bUs: 300 },
    { node: 'conv1.bn', aUs: 0, bUs: 12 },
    { node: 'layer1.0/conv1', aUs: 100, bUs: 160 },
  ];

  it('diverges around 0 with B − A in µs, and sums groups', () => {
    const o = deltaOverlay(diff, { a: 'ort-cpu', b: 'native' });
    expect(o.scale).toEqual({ kind: 'diverging', min: -100, mid: 0, max: 100 });
    expect(o.legend.midLabel).toBe('0 µs');
    expect(o.legend.minLabel).toBe('−100 µs');
    expect(o.values.get('conv1')).toBe(-100);
    expect(o.groupValue(['conv1', 'conv1.bn'])).toBe(-88);
    expect(o.groupValue(['nowhere'])).toBeUndefined();
    expect(o.details!.get('conv1')).toBe('ort-cpu 400 µs → native 300 µs: −100 µs (−25.0%)');
    expect(o.legend.note).toContain('negative: native is faster');
    expect(o.legend.note).toContain('500 µs → 472 µs (−28.0 µs)');
  });

  it('counts a unit of nodes sharing one time once, on its compute node', () => {
    const rows = [
      { node: 'conv1', unit: 'conv1', aUs: 400, bUs: 250 },
      { node: 'conv1.bn', unit: 'conv1', aUs: 400, bUs: 250 },
      { node: 'conv1.relu', unit: 'conv1', aUs: 400, bUs: 250 },
      { node: 'maxpool', aUs: 20, bUs: 30 },
    ];
    const o = deltaOverlay(rows, { a: 'A', b: 'B' });
    expect(o.values.get('conv1')).toBe(-150);
    expect(o.values.has('conv1.bn')).toBe(false);
    expect(o.details!.get('conv1.bn')).toBe('in unit conv1 with conv1: its time is counted there');
    expect(o.details!.get('conv1')).toContain('with conv1.bn, conv1.relu (one unit)');
    expect(o.groupValue(['conv1', 'conv1.bn', 'conv1.relu', 'maxpool'])).toBe(-140);
    expect(o.groupValue(['conv1.bn'])).toBe(0);
    expect(() => deltaOverlay([rows[0], { ...rows[1], bUs: 1 }], { a: 'A', b: 'B' })).toThrow(
      /the rows of unit 'conv1' disagree on its time/,
    );
  });

  it('sums a real node-matched diff exactly (shared/stats/run-diff.ts: one run fused, the other not)', () => {
    const { graph, cost } = model('resnet50');
    const a = profiled('resnet50');
    // B ran every graph node on its own (as an unfused runtime would), no reorders.
    const unfused = graph.nodes
      .filter((n) => n.op !== 'Flatten')
      .map((n, i) => ({
        name: n.name,
        op: n.op,
        provider: 'CPUExecutionProvider',
        meanUs: 5 + (i % 9) * 20,
        runs: 20,
      }));
    const b = { ...profiled('resnet50'), nodes: joinNodeTimings(graph, cost, unfused) };
    const diff = diffRuns(a, b, graph);
    const o = deltaOverlay(graphNodeTimes(diff), { a: 'fused', b: 'unfused', model: 'resnet50' });
    const unitsDelta = diff.units.reduce((s, u) => s + u.deltaUs, 0);
    expect(o.groupValue(graph.nodes.map((n) => n.name))).toBeCloseTo(unitsDelta, 6);
    expect(unitsDelta).toBeCloseTo(diff.totals.kernelDeltaUs - (diff.b.runtimeOnly.us - diff.a.runtimeOnly.us), 6);
    for (const members of scopes(graph).values()) {
      const inside = new Set(members);
      const units = diff.units.filter((u) => u.graphNodes.every((n) => inside.has(n)));
      expect(o.groupValue(members) ?? 0).toBeCloseTo(
        units.reduce((s, u) => s + u.deltaUs, 0),
        6,
      );
    }
  });

  it('refuses a node twice or a negative time, and says what to run without data', () => {
    expect(() => deltaOverlay([...diff, diff[0]], { a: 'A', b: 'B' })).toThrow(/'conv1' appears twice/);
    expect(() => deltaOverlay([{ node: 'x', aUs: -1, bUs: 1 }], { a: 'A', b: 'B' })).toThrow(/row 0: aUs/);
    expect(deltaOverlay([], { a: 'A', b: 'B', model: 'resnet50' }).empty).toMatch(
      /^No node-matched difference yet: profile two runs of resnet50/,
    );
  });
});

describe('per-layer CSV', () => {
  it("writes one row per node with the costs and the overlays' columns", () => {
    const { graph, cost } = model('resnet50');
    const result = profiled('resnet50');
    const time = timeOverlay(graph, cost, result);
    const roof = rooflineOverlay(graph, cost, result);
    const mem = memoryOverlay(graph, cost);
    const csv = layerCsv(cost, [
      time,
      roof,
      mem,
      deltaOverlay([{ node: 'conv1', aUs: 1, bUs: 2 }], { a: 'A', b: 'B' }),
      errorOverlay(
        {
          precision: 'fp16',
          model: 'resnet50',
          metric: 'relRms',
          nodes: [{ node: 'layer1.0/conv2', tensor: 't', relRms: 2e-4, maxAbs: 1e-3, cosine: 1, snrDb: 74 }],
        },
        { graph },
      ),
    ]);
    const lines = csv.split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines).toHaveLength(graph.nodes.length + 2);
    expect(lines[0]).toBe(
      'name,op,group,output_shape,params,macs,flops,elementwise_ops,activation_bytes,macs_share_pct,' +
        'measured_us,roofline_pct_of_attainable,roofline_category,live_activation_bytes,delta_us,fp16_error_rel_rms',
    );
    const conv = lines.find((l) => l.startsWith('layer1.0/conv2,'))!.split(',');
    const layer = cost.layers.find((l) => l.name === 'layer1.0/conv2')!;
    expect(conv.slice(0, 10)).toEqual([
      'layer1.0/conv2',
      'Conv',
      'layer1.0',
      '1x64x56x56',
      String(layer.params),
      String(layer.macs),
      String(layer.flops),
      String(layer.elementwiseOps),
      String(layer.activationBytes),
      String((100 * layer.macs) / cost.totals.macs),
    ]);
    expect(Number(conv[10])).toBe(time.values.get('layer1.0/conv2'));
    expect(Number(conv[11])).toBe(roof.values.get('layer1.0/conv2'));
    expect(conv[12]).toBe(roof.categories!.get('layer1.0/conv2'));
    expect(Number(conv[13])).toBe(mem.values.get('layer1.0/conv2'));
    expect(conv[14]).toBe('');
    expect(conv[15]).toBe('0.0002');
    // A fused follower has no time of its own: an empty cell, not 0.
    expect(lines.find((l) => l.startsWith('layer1.0/conv2.bn,'))!.split(',')[10]).toBe('');
  });

  it("quotes names with commas and quotes (RFC 4180), and refuses another graph's overlay", () => {
    const { cost } = model('bottleneck');
    const odd = { ...cost, layers: cost.layers.map((l, i) => (i === 0 ? { ...l, name: 'a,"b"/c' } : l)) };
    const csv = layerCsv(odd, [], { groupPath: (n) => `grp ${n.length}` });
    expect(csv.split('\r\n')[1]).toMatch(/^"a,""b""\/c",Conv,grp 7,/);
    expect(() => layerCsv(cost, [macsOverlay(model('resnet50').cost)])).toThrow(/not in bottleneck/);
  });
});

const toView = (g: Graph) => ({
  nodes: g.nodes.map((n) => viewNode(n, false)),
  inputs: g.inputs.map((i) => i.name),
  outputs: g.outputs.map((o) => o.name),
});

describe('withGroupsOnScale', () => {
  it('widens a summing overlay to its blocks (and keeps a diverging one symmetric); leaves worst-of overlays alone', () => {
    const g = buildTarget({ target: 'resnet50' });
    const cost = costGraph(g);
    const macs = macsOverlay(cost);
    const h = buildHierarchy(toView(g), costsOf(cost.layers));
    const boxes = [...h.groups.values()].filter((x) => x.level !== 'stage');
    const wide = withGroupsOnScale(macs, boxes);
    const largestBox = Math.max(...boxes.map((b) => macs.groupValue(b.members) ?? 0));
    expect(macs.scale.max).toBeLessThan(largestBox);
    expect(wide.scale.max).toBeCloseTo(largestBox, 9);
    expect(wide.legend.maxLabel).toBe(macs.format(largestBox));
    expect(wide.values).toBe(macs.values);
    const delta = deltaOverlay(
      [
        { node: 'conv1', aUs: 100, bUs: 50 },
        { node: 'conv1.bn', aUs: 0, bUs: 0 },
        { node: 'layer1.0/conv1', aUs: 10, bUs: 30 },
        { node: 'layer1.0/conv2', aUs: 10, bUs: 30 },
      ],
      { a: 'A', b: 'B' },
    );
    const d = withGroupsOnScale(delta, boxes);
    expect(d.scale.min).toBe(-d.scale.max);
    expect(d.scale.max).toBeGreaterThanOrEqual(50);
    const mem = memoryOverlay(g, cost);
    expect(withGroupsOnScale(mem, boxes)).toBe(mem);
  });
});

describe('a GPU profile that times kernel launches, not their execution', () => {
  it('is said on the Time overlay, refused for GFLOP/s, and noted in a diff; a profile that covers the run is not', () => {
    const { graph, cost } = model('resnet50');
    const gpu = profiled('resnet50', { backend: 'ort-webgpu' });
    const kernelMs = gpu.nodes!.reduce((s, n) => s + n.meanUs, 0) / 1000;
    // The run took far longer than its kernels add up to (as ORT's WebGPU profile measured here).
    const launchesOnly = { ...gpu, stats: { ...gpu.stats!, p50: kernelMs * 20 } };
    expect(dispatchOnlyProfile(launchesOnly)).toMatch(/timed each kernel's launch on the host/);
    const time = timeOverlay(graph, cost, launchesOnly);
    expect(time.empty).toBeUndefined();
    expect(time.legend.title).toMatch(/^host dispatch time per node, not GPU time/);
    expect(time.legend.note).toMatch(/not its run on the GPU/);
    expect(gflopsOverlay(graph, cost, launchesOnly).empty).toMatch(/no achieved GFLOP\/s per node can be computed/);
    const covering = { ...gpu, stats: { ...gpu.stats!, p50: kernelMs * 1.2 } };
    expect(dispatchOnlyProfile(covering)).toBeUndefined();
    expect(timeOverlay(graph, cost, covering).legend.title).toMatch(/^measured time per node/);
    const cpu = profiled('resnet50');
    expect(dispatchOnlyProfile({ ...cpu, stats: { ...cpu.stats!, p50: kernelMs * 20 } })).toBeUndefined();
    const d = diffRuns(cpu, launchesOnly, graph);
    expect(d.notes.some((n) => /^B: ort-webgpu's profiler timed each kernel's launch/.test(n))).toBe(true);
  });
});
