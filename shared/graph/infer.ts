import { opSpec } from '../ops/registry.js';
import type { OpContext } from '../ops/op-spec.js';
import { StudioError, type Graph, type GraphNode, type TensorData, type TensorInfo } from './types.js';
import { smallConstantValue } from './weights.js';

/**
 * Nodes in an order where every node comes after the producers of its inputs (Kahn's algorithm,
 * stable with respect to the stored order). Fails with a clear error on a cycle or on an input
 * that nothing produces.
 */
export function topologicalOrder(graph: Pick<Graph, 'nodes' | 'inputs' | 'initializers' | 'name'>): GraphNode[] {
  const available = new Set<string>(['']);
  for (const i of graph.inputs) available.add(i.name);
  for (const k of graph.initializers.keys()) available.add(k);
  const producer = new Map<string, GraphNode>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  for (const n of graph.nodes)
    for (const i of n.inputs)
      if (!available.has(i) && !producer.has(i))
        throw new StudioError(
          `graph '${graph.name}': input '${i}' of ${n.op} node '${n.name}' is produced by no node, initializer or graph input`,
          'bad-graph',
        );
  const pending = new Map<GraphNode, number>();
  const consumers = new Map<string, GraphNode[]>();
  for (const n of graph.nodes) {
    const missing = new Set(n.inputs.filter((i) => !available.has(i)));
    pending.set(n, missing.size);
    for (const i of missing) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  }
  const ready = graph.nodes.filter((n) => pending.get(n) === 0);
  const order: GraphNode[] = [];
  while (ready.length) {
    const n = ready.shift()!;
    order.push(n);
    for (const o of n.outputs) {
      if (!o || available.has(o)) continue;
      available.add(o);
      for (const c of consumers.get(o) ?? []) {
        const left = pending.get(c)! - 1;
        pending.set(c, left);
        if (left === 0) ready.push(c);
      }
    }
  }
  if (order.length !== graph.nodes.length) {
    const stuck = graph.nodes.filter((n) => !order.includes(n)).slice(0, 3);
    throw new StudioError(
      `graph '${graph.name}' has a cycle: ${stuck.map((n) => `${n.op} '${n.name}'`).join(', ')} ${stuck.length > 1 ? 'depend' : 'depends'} on ${stuck.length > 1 ? 'their' : 'its'} own outputs`,
      'bad-graph',
    );
  }
  return order;
}

export interface InferResult {
  /** Nodes whose operator the studio does not know, or whose inputs were unknown. */
  unknownNodes: GraphNode[];
  warnings: string[];
}

/**
 * Fills `graph.values` with every tensor's dtype and shape, running each operator's shape
 * inference in topological order and folding small constant subgraphs (Shape -> Gather -> Reshape).
 * `inputValues` are values of graph inputs known in advance (ReadOptions.inputValues).
 * An operator the studio does not know is kept: its outputs take the shapes declared in the file
 * (value_info) when present, and the node is reported as unknown instead of failing.
 */
export function inferGraph(
  graph: Graph,
  declared: Map<string, TensorInfo> = new Map(),
  inputValues: ReadonlyMap<string, TensorData> = new Map(),
): InferResult {
  const values = new Map<string, TensorInfo>();
  const constants = new Map<string, TensorData>();
  for (const i of graph.inputs) {
    values.set(i.name, i);
    // A known input value folds under the same size rule as an initializer's.
    const data = inputValues.get(i.name);
    const c =
      data &&
      smallConstantValue({
        name: i.name,
        dtype: i.dtype,
        shape: i.shape,
        role: 'constant',
        trainable: false,
        data,
      });
    if (c) constants.set(i.name, c);
  }
  for (const init of graph.initializers.values()) {
    values.set(init.name, { name: init.name, dtype: init.dtype, shape: init.shape });
    const c = smallConstantValue(init);
    if (c) constants.set(init.name, c);
  }
  const unknownNodes: GraphNode[] = [];
  const warnings: string[] = [];
  for (const node of topologicalOrder(graph)) {
    const spec = opSpec(node.op, node.domain);
    const inputs = node.inputs.map((n) => (n === '' ? undefined : values.get(n)));
    const missingInput = node.inputs.some((n, i) => n !== '' && !inputs[i]);
    if (!spec || missingInput) {
      unknownNodes.push(node);
      const outputs = node.outputs.filter((o) => o);
      const fromFile = outputs.filter((o) => declared.has(o));
      for (const o of fromFile) values.set(o, declared.get(o)!);
      // Say where the shapes after this node come from: the file's declarations, or nowhere.
      const shapes =
        fromFile.length === outputs.length
          ? 'its output shapes are taken from the shapes declared in the file'
          : 'its outputs have no known shape, so the nodes after it cannot be costed either';
      if (!spec)
        warnings.push(
          `${node.domain ? node.domain + '.' : ''}${node.op} node '${node.name}' is not an operator the studio knows: kept, costed as unknown; ${shapes}`,
        );
      else if (fromFile.length !== outputs.length)
        warnings.push(`${node.op} node '${node.name}' follows a node of unknown shape and cannot be costed`);
      continue;
    }
    const ctx: OpContext = { node, inputs, constants: node.inputs.map((n) => constants.get(n)) };
    const outs = spec.infer(ctx);
    node.outputs.forEach((o, i) => {
      if (o && outs[i]) values.set(o, { name: o, dtype: outs[i].dtype, shape: outs[i].shape });
    });
    const folded = spec.fold?.(ctx, outs);
    folded?.forEach((data, i) => {
      if (node.outputs[i] && data) constants.set(node.outputs[i], data);
    });
  }
  graph.values = values;
  graph.outputs = graph.outputs.map((o) => {
    const v = values.get(o.name);
    return v ? { ...v, dimParams: o.dimParams } : o;
  });
  return { unknownNodes, warnings };
}
