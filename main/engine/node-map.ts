// Joins the runtime's per-node kernel times to the studio graph's nodes and their MACs.
//
// A runtime keeps the node names of the model it loaded, except where it fused or rewrote nodes.
// ONNX Runtime's CPU provider, for example, folds BatchNormalization into the Conv before it and
// fuses a following Relu, then converts the Conv to its NCHWc layout and names the result after
// the fused output tensor: conv1 + conv1.bn + conv1.relu run as one node 'conv1.relu_nchwc'; its
// tensors are renamed too ('reorder_token_1'). So the join is by name, helped by the optimized
// graph where its tensor names survive:
//  1. Anchor: the studio node named like the runtime node after stripping the runtime's suffixes
//     (_nchwc, ...), or producing a tensor of that name, or producing one of the runtime node's
//     output tensors in the optimized graph.
//  2. Fusion: when the anchor is not the runtime node's core operator (FusedConv -> Conv), walk
//     back from the anchor through single-consumer element-wise nodes (BatchNormalization, Relu,
//     Add, ...) to the nearest node of that operator: all of them are covered by the runtime node.
// Runtime-only nodes (layout reorders, memory copies) match nothing and carry 0 MACs.
import type { NodeTimingSchema } from '../../shared/contract/result.js';
import type { CostReport } from '../../shared/cost/cost-model.js';
import type { Graph, GraphNode } from '../../shared/graph/types.js';
import type { OptimizedNode, RuntimeNodeTiming } from '../backends/backend.js';
import type { z } from 'zod';

export type NodeTiming = z.infer<typeof NodeTimingSchema>;

/** Operators a runtime folds into the compute node before them. */
const FUSIBLE = new Set([
  'BatchNormalization',
  'Relu',
  'LeakyRelu',
  'Clip',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'Tanh',
  'Add',
  'Mul',
  'Sum',
  'Identity',
  'Dropout',
]);
const SUFFIXES = [/_nchwc$/, /_token_\d+$/, /_fused$/i, /_output_\d+$/];

/** The ONNX operator a runtime operator implements: FusedConv / NhwcConv -> Conv, FusedGemm -> Gemm. */
export function coreOp(op: string): string {
  return op.replace(/^(Fused|Nhwc|QLinear)/, '');
}

export function joinNodeTimings(
  graph: Graph,
  cost: CostReport,
  runtime: readonly RuntimeNodeTiming[],
  optimized: readonly OptimizedNode[] = [],
): NodeTiming[] {
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const producer = new Map<string, GraphNode>();
  const consumers = new Map<string, number>();
  for (const n of graph.nodes) {
    for (const o of n.outputs) producer.set(o, n);
    for (const i of n.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  }
  const macsOf = new Map(cost.layers.map((l) => [l.name, l.macs]));
  const optimizedByName = new Map(optimized.map((n) => [n.name, n]));

  // An exact name is trusted whatever the operator; a stripped name or a tensor only when the
  // node's operator fits, so that a layout node (ReorderOutput writing 'conv3.bn') is not
  // mistaken for the node whose tensor it rewrites.
  const anchorOf = (rt: RuntimeNodeTiming): GraphNode | undefined => {
    const exact = byName.get(rt.name);
    if (exact) return exact;
    const op = coreOp(rt.op);
    const fits = (n: GraphNode | undefined) => n && (n.op === op || (FUSIBLE.has(n.op) && chainTo(n, op, 0)));
    let name = rt.name;
    for (let changed = true; changed;) {
      changed = false;
      const hit = byName.get(name) ?? producer.get(name);
      if (fits(hit)) return hit;
      for (const s of SUFFIXES)
        if (s.test(name)) {
          name = name.replace(s, '');
          changed = true;
        }
    }
    for (const out of optimizedByName.get(rt.name)?.outputs ?? []) {
      const hit = producer.get(out);
      if (fits(hit)) return hit;
    }
    return undefined;
  };

  // Depth-first back from `node` to the nearest node of operator `op` through fusible nodes whose
  // output feeds only the next node of the chain (a fused intermediate has no other reader).
  const chainTo = (node: GraphNode, op: string, depth: number): GraphNode[] | undefined => {
    for (const input of node.inputs) {
      const p = producer.get(input);
      if (!p || consumers.get(input) !== 1) continue;
      if (p.op === op) return [p];
      if (depth < 4 && FUSIBLE.has(p.op)) {
        const rest = chainTo(p, op, depth + 1);
        if (rest) return [p, ...rest];
      }
    }
    return undefined;
  };

  return runtime.map((rt) => {
    const anchor = anchorOf(rt);
    let covered: GraphNode[] = [];
    if (anchor) {
      const op = coreOp(rt.op);
      const chain = anchor.op !== op && FUSIBLE.has(anchor.op) ? chainTo(anchor, op, 0) : undefined;
      // Listed in execution order: the compute node first, then what was fused after it.
      covered = chain ? [...chain.reverse(), anchor] : [anchor];
    }
    const macs = covered.reduce((s, n) => s + (macsOf.get(n.name) ?? 0), 0);
    return {
      name: rt.name,
      op: rt.op,
      provider: rt.provider,
      meanUs: rt.meanUs,
      graphNodes: covered.map((n) => n.name),
      macs,
      // 2 x MACs FLOPs over the mean kernel time; GFLOP/s = FLOPs / (us * 1e3).
      gflops: rt.meanUs > 0 ? (2 * macs) / (rt.meanUs * 1e3) : 0,
    };
  });
}

/** Nodes per provider, and the nodes that did not run where the job asked. */
export function placementOf(runtime: readonly RuntimeNodeTiming[], requested: string) {
  const nodesByProvider: Record<string, number> = {};
  for (const n of runtime) nodesByProvider[n.provider] = (nodesByProvider[n.provider] ?? 0) + 1;
  const fallbackNodes = runtime.filter((n) => n.provider !== requested).map((n) => n.name);
  return { nodesByProvider, fallbackNodes };
}
