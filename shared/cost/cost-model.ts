// The analytic cost model: reads only the graph and the operator registry.
// Conventions (also in docs/COST-CONVENTIONS.md):
// - params: every element of every learned weight (role 'param'), BatchNorm's four vectors
//   included; trainable excludes BatchNorm's running statistics (Keras' split).
// - MACs: multiply-accumulates of Conv/Gemm/MatMul; FLOPs = 2 x MACs (a multiply-add is two
//   floating-point operations; ResNet's paper calls MACs "FLOPs", so both are shown).
// - elementwise: all other arithmetic (activations, BatchNorm, pooling, bias, residual adds),
//   one per scalar operation, never mixed into MACs or FLOPs.
// - activation bytes: a tensor's elements x its dtype size; the peak is the largest sum of
//   tensors alive at once when nodes run in topological order (a tensor lives from the node
//   that produces it to its last consumer; graph inputs from the start, outputs to the end).
// - arithmetic intensity: (FLOPs + element-wise ops) / bytes moved, where a node moves its
//   input activations, its weights and its output activations once (no cache reuse assumed).
import { topologicalOrder } from '../graph/infer.js';
import { DTYPE_BYTES, StudioError, numel, type Graph, type GraphNode } from '../ir/types.js';
import { opSpec } from '../ops/registry.js';
import { countParams } from './params.js';
import type { CostReport, LayerCost, Precision } from '../contract/cost.js';

export type { CostReport, CostTotals, LayerCost, Precision } from '../contract/cost.js';

export const PRECISION_BYTES: Record<Precision, number> = { fp32: 4, fp16: 2, int8: 1 };

const byPrecision = (elements: number): Record<Precision, number> => ({
  fp32: elements * 4,
  fp16: elements * 2,
  int8: elements,
});

export function costGraph(graph: Graph): CostReport {
  const order = topologicalOrder(graph);
  const warnings = [...(graph.meta.warnings ?? [])];
  const bytesOf = (name: string): number => {
    const v = graph.values.get(name);
    return v ? numel(v.shape) * DTYPE_BYTES[v.dtype] : 0;
  };
  const isActivation = (name: string) => name !== '' && !graph.initializers.has(name) && graph.values.has(name);

  // Each parameter tensor is charged to the first node that reads it (shared weights count once).
  const charged = new Set<string>();
  const layers: LayerCost[] = [];
  const totalsAcc = { macs: 0, elementwise: 0, bytesMoved: 0, unknown: 0 };
  for (const node of order) {
    const layer = costNode(graph, node, charged, bytesOf, isActivation);
    if (!layer.known) totalsAcc.unknown++;
    totalsAcc.macs += layer.macs;
    totalsAcc.elementwise += layer.elementwiseOps;
    totalsAcc.bytesMoved +=
      node.inputs.filter(isActivation).reduce((s, i) => s + bytesOf(i), 0) +
      layer.weightBytes.fp32 +
      layer.activationBytes;
    layers.push(layer);
  }
  if (totalsAcc.unknown > 0 && !warnings.some((w) => w.includes('unknown')))
    warnings.push(`${totalsAcc.unknown} node(s) could not be costed: their costs are counted as 0`);

  const counts = countParams(graph);
  const activationNames = [...graph.inputs.map((i) => i.name), ...order.flatMap((n) => n.outputs.filter(isActivation))];
  const flops = 2 * totalsAcc.macs;
  const report: CostReport = {
    graph: graph.name,
    variant: graph.meta.variant,
    description: graph.meta.description,
    inputs: graph.inputs.map((i) => ({ name: i.name, shape: i.shape, dtype: i.dtype })),
    outputs: graph.outputs.map((o) => ({ name: o.name, shape: o.shape, dtype: o.dtype })),
    totals: {
      ...counts,
      macs: totalsAcc.macs,
      flops,
      elementwiseOps: totalsAcc.elementwise,
      weightBytes: [...graph.initializers.values()]
        .filter((t) => t.role === 'param')
        .reduce((s, t) => s + numel(t.shape) * DTYPE_BYTES[t.dtype], 0),
      weightBytesByPrecision: byPrecision(counts.params),
      activationBytes: activationNames.reduce((s, n) => s + bytesOf(n), 0),
      peakActivationBytes: peakLiveBytes(graph, order, bytesOf, isActivation),
      arithmeticIntensity: totalsAcc.bytesMoved > 0 ? (flops + totalsAcc.elementwise) / totalsAcc.bytesMoved : 0,
      nodes: order.length,
      unknownNodes: totalsAcc.unknown,
    },
    layers,
    warnings,
  };
  checkExact(report, graph.meta.source?.kind === 'file' ? `${graph.meta.source.name}: ` : '');
  return report;
}

/**
 * Costs are JS numbers, exact only up to 2^53. A model whose figures pass that (absurd dimensions)
 * is refused as too large rather than reported with silently rounded numbers; the bench's memory
 * guard turns this into a refusal to run it.
 */
function checkExact(r: CostReport, prefix: string): void {
  const t = r.totals;
  const figures: [string, number][] = [
    ['parameters', t.params],
    ['MACs', t.macs],
    ['FLOPs', t.flops],
    ['element-wise ops', t.elementwiseOps],
    ['weight bytes', t.weightBytesByPrecision.fp32],
    ['activation bytes', t.activationBytes],
    ['peak activation bytes', t.peakActivationBytes],
  ];
  for (const l of r.layers) figures.push([`FLOPs of ${l.op} node '${l.name}'`, l.flops + l.elementwiseOps]);
  const over = figures.find(([, v]) => !(Math.abs(v) <= Number.MAX_SAFE_INTEGER));
  if (over)
    throw new StudioError(
      `${prefix}graph '${r.graph}' is too large to cost exactly: its ${over[0]} (about ${over[1].toExponential(2)}) pass 2^53, past which numbers are rounded`,
      'too-large',
    );
}

function costNode(
  graph: Graph,
  node: GraphNode,
  charged: Set<string>,
  bytesOf: (n: string) => number,
  isActivation: (n: string) => boolean,
): LayerCost {
  let params = 0;
  for (const i of node.inputs) {
    const t = graph.initializers.get(i);
    if (t?.role === 'param' && !charged.has(i)) {
      charged.add(i);
      params += numel(t.shape);
    }
  }
  const spec = opSpec(node.op, node.domain);
  const inputs = node.inputs.map((n) => (n === '' ? undefined : graph.values.get(n)));
  const outputs = node.outputs.map((o) => graph.values.get(o));
  const known =
    !!spec && node.inputs.every((n, i) => n === '' || inputs[i]) && outputs.every((o, i) => !node.outputs[i] || o);
  let macs = 0;
  let elementwise = 0;
  if (known && spec?.cost) {
    const c = spec.cost(
      { node, inputs, constants: [] },
      outputs.filter((o) => o !== undefined),
    );
    macs = c.macs;
    elementwise = c.elementwise;
  }
  const activationBytes = node.outputs.filter(isActivation).reduce((s, o) => s + bytesOf(o), 0);
  const weightBytes = byPrecision(params);
  const moved =
    node.inputs.filter(isActivation).reduce((s, i) => s + bytesOf(i), 0) + weightBytes.fp32 + activationBytes;
  return {
    name: node.name,
    op: node.domain ? `${node.domain}.${node.op}` : node.op,
    outputShape: outputs[0]?.shape ?? [],
    params,
    macs,
    flops: 2 * macs,
    elementwiseOps: elementwise,
    weightBytes,
    activationBytes,
    arithmeticIntensity: moved > 0 ? (2 * macs + elementwise) / moved : 0,
    known,
  };
}

/** Peak of simultaneously live activation bytes when nodes run in `order`. */
function peakLiveBytes(
  graph: Graph,
  order: GraphNode[],
  bytesOf: (n: string) => number,
  isActivation: (n: string) => boolean,
): number {
  const lastUse = new Map<string, number>();
  order.forEach((n, i) => n.inputs.forEach((t) => isActivation(t) && lastUse.set(t, i)));
  const outputs = new Set(graph.outputs.map((o) => o.name));
  let live = graph.inputs.reduce((s, i) => s + bytesOf(i.name), 0);
  let peak = live;
  const freeAt = new Map<number, string[]>();
  for (const [t, i] of lastUse) {
    if (outputs.has(t)) continue;
    // Push in place: copying the list per tensor made a node that frees k tensors cost k^2.
    const list = freeAt.get(i);
    if (list) list.push(t);
    else freeAt.set(i, [t]);
  }
  order.forEach((node, i) => {
    for (const o of node.outputs) if (isActivation(o)) live += bytesOf(o);
    peak = Math.max(peak, live);
    for (const t of freeAt.get(i) ?? []) live -= bytesOf(t);
    // An output nobody reads (and that is not a graph output) dies at once.
    for (const o of node.outputs) if (isActivation(o) && !lastUse.has(o) && !outputs.has(o)) live -= bytesOf(o);
  });
  return peak;
}
