// The graph shell (shared/explorer/graph-shell.ts): the IR graph rebuilt from the GraphView main
// sends for an opened file (main/api/files.ts graphView) gives the overlays, the cost model and
// top-layers exactly the figures of the graph itself, with no weight value in the view.
import { describe, expect, it } from 'vitest';
import { graphView } from '../main/api/files.js';
import type { GraphView } from '../shared/contract/api.js';
import type { BenchResult } from '../shared/contract/result.js';
import { costGraph } from '../shared/cost/cost-model.js';
import { MAX_VIEW_ATTR_LENGTH, graphOfView, viewNode } from '../shared/explorer/graph-shell.js';
import {
  gflopsOverlay,
  livenessSteps,
  memoryOverlay,
  rooflineOverlay,
  timeOverlay,
} from '../shared/explorer/overlays.js';
import { topologicalOrder } from '../shared/graph/infer.js';
import { StudioError, type Graph, type GraphNode } from '../shared/ir/types.js';
import { onnxToGraph } from '../shared/onnx/reader.js';
import { graphToOnnx } from '../shared/onnx/writer.js';
import { joinNodeTimings, type RuntimeNodeTiming } from '../shared/stats/node-map.js';
import { topLayers } from '../shared/stats/top-layers.js';
import { buildTarget } from '../shared/targets.js';
import { fakeMachine, fakeResult, FAKE_ROOFLINE as ROOFLINE } from './helpers/fake-results.js';

/** The view as the renderer receives it: through JSON (the web mode's transport). */
const sent = (v: GraphView): GraphView => JSON.parse(JSON.stringify(v)) as GraphView;

function shellOf(g: Graph): Graph {
  const shell = graphOfView(sent(graphView(g)), g.name);
  if (!shell) throw new Error('graphOfView gave no graph for a view with tensors');
  return shell;
}

/**
 * A profile shaped like ONNX Runtime's CPU provider's: each Conv with the BatchNorm and activation
 * only it feeds fused into one runtime node, other nodes on their own, plus a layout reorder that
 * covers no graph node; times varying from node to node so that the rows rank.
 */
function ortLikeProfile(graph: Graph): RuntimeNodeTiming[] {
  const readers = new Map<string, GraphNode[]>();
  for (const n of graph.nodes) for (const i of n.inputs) readers.set(i, [...(readers.get(i) ?? []), n]);
  const soleReader = (n: GraphNode) => {
    const r = readers.get(n.outputs[0]) ?? [];
    return r.length === 1 ? r[0] : undefined;
  };
  const fused = new Set<string>();
  const cpu = 'CPUExecutionProvider';
  const out: RuntimeNodeTiming[] = [{ name: 'reorder_0', op: 'ReorderInput', provider: cpu, meanUs: 41, runs: 20 }];
  topologicalOrder(graph).forEach((n, i) => {
    if (fused.has(n.name)) return;
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
      out.push({
        name: chain.length > 1 ? `${last.name}_nchwc` : n.name,
        op: chain.length === 3 ? 'FusedConv' : 'Conv',
        provider: cpu,
        meanUs: 20 + ((i * 37) % 400),
        runs: 20,
      });
      return;
    }
    out.push({ name: n.name, op: n.op, provider: cpu, meanUs: 2 + (i % 9), runs: 20 });
  });
  return out;
}

/** A profiled run of `file` (a file target: top-layers cannot rebuild it and counts bytes on the graph given). */
function profiledFileRun(graph: Graph): BenchResult {
  const r = fakeResult({
    target: { kind: 'file', path: `/models/${graph.name}.onnx`, dims: {} },
    threads: 1,
    machine: fakeMachine({ roofline: ROOFLINE }),
  });
  return {
    ...r,
    job: { ...r.job, backend: { ...r.job.backend, profiling: true } },
    nodes: joinNodeTimings(graph, costGraph(graph), ortLikeProfile(graph)),
  };
}

describe.each(['resnet50', 'mobilenet_v2'])('graphOfView(graphView(%s))', (target) => {
  const graph = buildTarget({ target });
  const shell = shellOf(graph);

  it('carries no weight values, only names, dtypes, shapes and flags', () => {
    const view = sent(graphView(graph));
    for (const t of view.tensors ?? [])
      expect(Object.keys(t).every((k) => ['name', 'dtype', 'shape', 'role', 'trainable', 'declared'].includes(k))).toBe(
        true,
      );
    expect(view.tensors?.filter((t) => t.role).length).toBe(graph.initializers.size);
    for (const init of shell.initializers.values()) {
      expect(init.data).toBeUndefined();
      expect(init.init).toBeUndefined();
    }
    // Every initializer's flags as the graph has them.
    for (const [name, init] of graph.initializers) {
      const s = shell.initializers.get(name)!;
      expect([s.role, s.trainable, s.dtype, s.shape]).toEqual([init.role, init.trainable, init.dtype, init.shape]);
    }
  });

  it('orders its nodes as the graph does and types every tensor alike', () => {
    expect(topologicalOrder(shell).map((n) => n.name)).toEqual(topologicalOrder(graph).map((n) => n.name));
    expect(shell.values).toEqual(graph.values);
    expect(shell.inputs.map(({ name, dtype, shape }) => ({ name, dtype, shape }))).toEqual(
      graph.inputs.map(({ name, dtype, shape }) => ({ name, dtype, shape })),
    );
    expect(shell.outputs.map(({ name, dtype, shape }) => ({ name, dtype, shape }))).toEqual(
      graph.outputs.map(({ name, dtype, shape }) => ({ name, dtype, shape })),
    );
  });

  it('gives the same cost report, totals and every layer', () => {
    const [a, b] = [costGraph(graph), costGraph(shell)];
    expect(b.totals).toEqual(a.totals);
    expect(b.layers).toEqual(a.layers);
    expect(a.totals.macs).toBeGreaterThan(0);
  });

  it('gives the same liveness steps and memory overlay', () => {
    expect(livenessSteps(shell)).toEqual(livenessSteps(graph));
    const [a, b] = [memoryOverlay(graph, costGraph(graph)), memoryOverlay(shell, costGraph(shell))];
    expect(b.values).toEqual(a.values);
    expect(b.details).toEqual(a.details);
    expect(b.legend).toEqual(a.legend);
    expect(b.legend.note).toContain("the cost model's peak activation");
  });

  it('gives the same top layers (bytes, intensity, roofline) and profiled overlays for a file run', () => {
    const result = profiledFileRun(graph);
    const a = topLayers(result, { limit: Number.POSITIVE_INFINITY, graph })!;
    const b = topLayers(result, { limit: Number.POSITIVE_INFINITY, graph: shell })!;
    expect(b.rows).toEqual(a.rows);
    expect(a.bytesKnown && b.bytesKnown).toBe(true);
    expect(a.rows.filter((r) => r.roofline).length).toBeGreaterThan(10);
    const cost = costGraph(graph);
    for (const overlay of [timeOverlay, gflopsOverlay, rooflineOverlay]) {
      const [x, y] = [overlay(graph, cost, result), overlay(shell, costGraph(shell), result)];
      expect(x.empty).toBeUndefined();
      expect(y.values).toEqual(x.values);
      expect(y.details).toEqual(x.details);
    }
  });
});

describe('graphOfView', () => {
  it("keeps the graph's own name (Model Explorer's graph id) apart from the file's", () => {
    const g = buildTarget({ target: 'bottleneck' });
    const view = graphView({ ...g, name: 'main_graph' });
    expect(view.graphName).toBe('main_graph');
    const shell = graphOfView(view, 'net.onnx')!;
    expect(shell.name).toBe('main_graph');
    expect(shell.meta.source).toEqual({ kind: 'file', name: 'net.onnx' });
    expect(graphOfView({ ...view, graphName: undefined }, 'net.onnx')!.name).toBe('net.onnx');
  });

  it('gives no graph for a view without tensors (a diagram only)', () => {
    const g = buildTarget({ target: 'bottleneck' });
    const { tensors: _dropped, ...diagram } = graphView(g);
    expect(graphOfView(diagram, g.name)).toBeUndefined();
  });

  it('rebuilds a graph read from an ONNX file, whose roles come from the reader', () => {
    const g = onnxToGraph(graphToOnnx(buildTarget({ target: 'mobilenet_v2' })), { name: 'mnv2.onnx' });
    const shell = shellOf(g);
    expect(costGraph(shell).totals).toEqual(costGraph(g).totals);
    expect(shell.meta.source).toEqual({ kind: 'file', name: g.name });
  });

  it('keeps pool kernel shapes and operator domains, and drops tensor, huge and non-finite attributes', () => {
    const node: GraphNode = {
      name: 'pool',
      op: 'MaxPool',
      domain: 'com.example',
      inputs: ['x'],
      outputs: ['y'],
      attrs: {
        kernel_shape: { type: 'ints', value: [3, 3] },
        mode: { type: 'string', value: 'nearest' },
        table: { type: 'floats', value: new Array<number>(MAX_VIEW_ATTR_LENGTH + 1).fill(0.5) },
        bound: { type: 'float', value: Number.POSITIVE_INFINITY },
        value: {
          type: 'tensor',
          value: { name: 'v', dtype: 'float32', shape: [1], role: 'constant', trainable: false },
        },
      },
    };
    const v = viewNode(node, true);
    expect(v.op).toBe('com.example.MaxPool');
    // Split at the last dot: no domain field needed.
    expect(v.domain).toBeUndefined();
    expect(Object.keys(v.attrs ?? {}).sort()).toEqual(['kernel_shape', 'mode']);
    const view: GraphView = {
      nodes: [v],
      inputs: ['x'],
      outputs: ['y'],
      tensors: [
        { name: 'x', dtype: 'float32', shape: [1, 8, 9, 9] },
        { name: 'y', dtype: 'float32', shape: [1, 8, 7, 7] },
      ],
    };
    const back = graphOfView(view, 'pool.onnx')!.nodes[0];
    expect([back.op, back.domain, back.attrs.kernel_shape]).toEqual([
      'MaxPool',
      'com.example',
      { type: 'ints', value: [3, 3] },
    ]);
    expect(viewNode(node, false).attrs).toBeUndefined();
  });

  it('keeps a dotted operator type of the default domain unknown, as the file has it', () => {
    // 'ai.onnx.Conv' in the default domain is no operator the registry knows; split at its last dot
    // it would read as the known Conv. The view then names the domain.
    const node: GraphNode = { name: 'odd', op: 'ai.onnx.Conv', domain: '', inputs: ['x'], outputs: ['y'], attrs: {} };
    const v = viewNode(node, true);
    expect(v.domain).toBe('');
    const back = graphOfView({ nodes: [v], inputs: [], outputs: [], tensors: [] }, 'odd.onnx')!.nodes[0];
    expect([back.op, back.domain]).toEqual(['ai.onnx.Conv', '']);
  });

  it('types an output shape inference did not reach as the file declares it, and keeps it no value', () => {
    const g: Graph = {
      name: 'custom',
      inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }],
      outputs: [{ name: 'y', dtype: 'float16', shape: [] }],
      nodes: [{ name: 'n', op: 'Mystery', domain: 'com.example', inputs: ['x'], outputs: ['y'], attrs: {} }],
      initializers: new Map(),
      values: new Map([['x', { name: 'x', dtype: 'float32', shape: [1, 4] }]]),
      meta: {},
    };
    const shell = shellOf(g);
    expect(shell.outputs).toEqual([{ name: 'y', dtype: 'float16', shape: [] }]);
    expect(shell.values.has('y')).toBe(false);
    expect(costGraph(shell).totals).toEqual(costGraph(g).totals);
  });

  it('refuses a malformed view naming the tensor', () => {
    const view = (tensors: GraphView['tensors']): GraphView => ({ nodes: [], inputs: ['x'], outputs: [], tensors });
    const refusal = (v: GraphView) => {
      try {
        graphOfView(v, 'm.onnx');
      } catch (e) {
        expect(e).toBeInstanceOf(StudioError);
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(refusal(view([{ name: 'x', dtype: 'float128', shape: [1] }]))).toMatch(/tensor 'x' has dtype 'float128'/);
    expect(refusal(view([{ name: 'x', dtype: 'float32', shape: [1, -2] }]))).toMatch(/tensor 'x' has shape \[1,-2\]/);
    expect(
      refusal(
        view([
          { name: 'x', dtype: 'float32', shape: [1] },
          { name: 'x', dtype: 'float32', shape: [1] },
        ]),
      ),
    ).toMatch(/lists tensor 'x' twice/);
    expect(refusal(view([]))).toMatch(/no type for its input 'x'/);
  });
});
