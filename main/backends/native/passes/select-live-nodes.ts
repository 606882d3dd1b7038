// Pass 2: which nodes must run. Walking back from the graph outputs along data inputs only (and
// the few inputs lowering reads as values), shape subgraphs (Shape -> Gather -> Concat ->
// Reshape's shape) and dead branches are never reached: they are dropped instead of refused for
// operators the native backend has no kernels for.
import type { Graph, GraphNode } from '../../../../shared/ir/types.js';
import { topologicalOrder } from '../../../../shared/graph/infer.js';
import { ALIAS_OPS } from '../lowerings.js';

export interface LiveNodes {
  /** Every node, in topological order. */
  order: GraphNode[];
  /** The producer of every tensor, among all nodes. */
  producer: Map<string, GraphNode>;
  /** The nodes that run, in topological order. */
  nodes: GraphNode[];
  /** Tensors the outputs need (graph inputs among them are the desc's inputs). */
  needed: Set<string>;
  /** Names of the nodes that do not run. */
  dropped: string[];
}

/**
 * Data input slots of an operator: the others (Reshape's shape, Squeeze's axes, Clip's bounds,
 * Dropout's ratio) are read at lowering time, if at all.
 */
function dataSlots(node: GraphNode): number[] {
  if (ALIAS_OPS.has(node.op)) return [0];
  if (node.op === 'Clip') return [0];
  return node.inputs.map((_, i) => i);
}

/** Value slots: inputs that must be constants because lowering reads them (Clip bounds, Dropout's training_mode). */
function valueSlots(node: GraphNode): number[] {
  if (node.op === 'Clip') return [1, 2];
  if (node.op === 'Dropout') return [2];
  return [];
}

export function selectLiveNodes(graph: Graph): LiveNodes {
  const order = topologicalOrder(graph);
  const producer = new Map<string, GraphNode>();
  for (const n of order) for (const o of n.outputs) if (o) producer.set(o, n);
  const needed = new Set<string>(graph.outputs.map((o) => o.name));
  const kept = new Set<GraphNode>();
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i];
    if (!n.outputs.some((o) => o && needed.has(o))) continue;
    kept.add(n);
    for (const s of [...dataSlots(n), ...valueSlots(n)]) if (n.inputs[s]) needed.add(n.inputs[s]);
  }
  return {
    order,
    producer,
    nodes: order.filter((n) => kept.has(n)),
    needed,
    dropped: order.filter((n) => !kept.has(n)).map((n) => n.name),
  };
}
