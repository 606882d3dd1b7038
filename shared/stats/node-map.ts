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
import { BACKEND_TRAITS, type BackendName } from '../contract/job.js';
import type { NodeTimingSchema } from '../contract/result.js';
import type { CostReport } from '../cost/cost-model.js';
import type { Graph, GraphNode } from '../ir/types.js';
import type { z } from 'zod';

export type NodeTiming = z.infer<typeof NodeTimingSchema>;

/** Per-node timings from a runtime's profiler, in the runtime's own names. */
export interface RuntimeNodeTiming {
  name: string;
  op: string;
  provider: string;
  /** Mean kernel time per run, microseconds (the first profiled run is discarded as warm-up). */
  meanUs: number;
  runs: number;
  /**
   * Graph nodes this runtime node also computes, before its own, by the runtime's own account
   * (the native backend runs a depthwise Conv inside the pointwise Conv that reads it).
   */
  fused?: string[];
}

/** A node of the runtime's optimized graph: lets fused node names be traced back. */
export interface OptimizedNode {
  name: string;
  op: string;
  inputs: string[];
  outputs: string[];
}

/** Operators a runtime folds into the compute node before them (run-diff.ts traces them the same way). */
export const FUSIBLE: ReadonlySet<string> = new Set([
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
    const fused = (rt.fused ?? []).map((f) => byName.get(f)).filter((n): n is GraphNode => !!n && !covered.includes(n));
    if (fused.length) covered = [...fused, ...covered];
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

/** Runtime-only operators that move tensors between providers: never a fallback operator. */
const COPY_OPS = new Set(['MemcpyToHost', 'MemcpyFromHost']);

export interface Placement {
  nodesByProvider: Record<string, number>;
  fallbackNodes: string[];
  /** Distinct operators of the fallback nodes (memory copies excluded), in first-seen order. */
  fallbackOps: string[];
  /** With the join: the cost model's MACs covered by the runtime nodes of each provider. */
  macsByProvider?: Record<string, number>;
  /** With the join: those MACs as a share (0..1) of the cost model's total MACs. */
  macsShareByProvider?: Record<string, number>;
  /** With the join: runtime nodes that match no studio graph node (copies, layout transposes). */
  unmappedNodes?: string[];
  /** With the join: the cost model's MACs that no runtime node covered (folded or not joined). */
  unplacedMacs?: number;
}

/**
 * Nodes per provider, the nodes (and operators) that did not run where the job asked and, given
 * the runtime nodes joined to the studio graph (joinNodeTimings) and the cost report, the share of the MACs each provider ran. A studio node covered by several runtime nodes counts
 * once, for the first.
 */
export function placementOf(
  runtime: readonly RuntimeNodeTiming[],
  requested: string,
  join?: { nodes: readonly NodeTiming[]; cost: CostReport },
): Placement {
  const nodesByProvider: Record<string, number> = {};
  for (const n of runtime) nodesByProvider[n.provider] = (nodesByProvider[n.provider] ?? 0) + 1;
  const fallback = runtime.filter((n) => n.provider !== requested);
  const fallbackNodes = fallback.map((n) => n.name);
  const fallbackOps = [...new Set(fallback.filter((n) => !COPY_OPS.has(n.op)).map((n) => n.op))];
  if (!join) return { nodesByProvider, fallbackNodes, fallbackOps };
  const macsOf = new Map(join.cost.layers.map((l) => [l.name, l.macs]));
  const macsByProvider: Record<string, number> = {};
  for (const p of Object.keys(nodesByProvider)) macsByProvider[p] = 0;
  const seen = new Set<string>();
  const unmappedNodes: string[] = [];
  let placed = 0;
  for (const j of join.nodes) {
    if (j.graphNodes.length === 0) unmappedNodes.push(j.name);
    let macs = 0;
    for (const g of j.graphNodes)
      if (!seen.has(g)) {
        seen.add(g);
        macs += macsOf.get(g) ?? 0;
      }
    macsByProvider[j.provider] = (macsByProvider[j.provider] ?? 0) + macs;
    placed += macs;
  }
  const total = join.cost.totals.macs;
  const macsShareByProvider = Object.fromEntries(
    Object.entries(macsByProvider).map(([p, m]) => [p, total > 0 ? m / total : 0]),
  );
  return {
    nodesByProvider,
    fallbackNodes,
    fallbackOps,
    macsByProvider,
    macsShareByProvider,
    unmappedNodes,
    unplacedMacs: Math.max(0, total - placed),
  };
}

/**
 * strictPlacement: a job on a GPU provider is a GPU result only when every node ran there; one
 * with fallbacks, or whose placement is unknown, is refused with the operators that fell back.
 * Returns the reason of the refusal (the worker turns it into a refused job), or undefined.
 */
export function strictPlacementRefusal(
  provider: string,
  placement: (Pick<Placement, 'nodesByProvider' | 'fallbackNodes'> & { fallbackOps?: string[] }) | undefined,
): string | undefined {
  if (!placement)
    return `strict placement: the placement of the nodes on ${provider} is unknown (the profiling pass failed), so this is not reported as a ${provider} result`;
  if (placement.fallbackNodes.length === 0) return undefined;
  const ops = placement.fallbackOps ?? [];
  const where = Object.entries(placement.nodesByProvider)
    .filter(([p]) => p !== provider)
    .map(([p, n]) => `${n} on ${p}`)
    .join(', ');
  return `strict placement: ${placement.fallbackNodes.length} nodes fell back from ${provider} (${where}), operators ${ops.join(', ') || '(memory copies only)'}: ${placement.fallbackNodes.slice(0, 10).join(', ')}${placement.fallbackNodes.length > 10 ? ', ...' : ''}; this is not reported as a ${provider} result`;
}

/** One line for reports: nodes and MACs share per provider, and the operators that fell back. */
export function describePlacement(p: {
  nodesByProvider: Record<string, number>;
  macsShareByProvider?: Record<string, number>;
  fallbackOps?: string[];
}): string {
  const parts = Object.entries(p.nodesByProvider).map(([prov, n]) => {
    const share = p.macsShareByProvider?.[prov];
    const name = prov.replace('ExecutionProvider', '');
    return `${name}: ${n} nodes${share === undefined ? '' : `, ${(100 * share).toFixed(1)}% of the MACs`}`;
  });
  return `Placement: ${parts.join('; ')}${p.fallbackOps?.length ? `; fell back: ${p.fallbackOps.join(', ')}` : ''}`;
}

/**
 * Below this share of the run's median latency, a GPU profile's kernels are taken to be timed at
 * their launch on the host (measured: ORT's WebGPU provider, 7 kernels summing to 0.25 ms of a
 * 48.8 ms run on lavapipe), not at their execution on the device.
 */
export const DISPATCH_ONLY_SHARE = 0.5;

/**
 * Why a GPU run's per-node times are not the GPU's (its kernels are asynchronous: the profiler times
 * each one's launch on the host), or undefined when the profile covers the run (a CPU backend, or a
 * GPU profile whose kernels add up to at least half of the median latency).
 */
export function dispatchOnlyProfile(result: {
  job: { backend: { backend: string } };
  nodes?: readonly { meanUs: number }[];
  stats?: { p50: number };
}): string | undefined {
  const backend = result.job.backend.backend;
  const gpu = Object.hasOwn(BACKEND_TRAITS, backend) && BACKEND_TRAITS[backend as BackendName].device === 'gpu';
  if (!gpu || !result.nodes?.length || !result.stats) return undefined;
  const kernelMs = result.nodes.reduce((s, n) => s + n.meanUs, 0) / 1000;
  const medianMs = result.stats.p50;
  if (!(medianMs > 0) || kernelMs >= DISPATCH_ONLY_SHARE * medianMs) return undefined;
  return `${backend}'s profiler timed each kernel's launch on the host, not its run on the GPU (GPU work is asynchronous): its ${result.nodes.length} kernels add up to ${kernelMs.toPrecision(3)} ms of a ${medianMs.toPrecision(3)} ms run, so per-node times here say where the host spends its dispatch time, not where the GPU spends its time`;
}
