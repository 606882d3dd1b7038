import { opSpec } from '../ops/registry.js';
import type { OpContext } from '../ops/op-spec.js';
import {
  DTYPE_BYTES,
  StudioError,
  numel,
  type Graph,
  type GraphNode,
  type TensorData,
  type TensorInfo,
} from '../ir/types.js';
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
  // Node indices and typed arrays instead of maps keyed by node objects: this runs on every import
  // and every costing, and a 100,000-node model must stay linear and quick.
  const nodes = graph.nodes;
  const pending = new Int32Array(nodes.length);
  const consumers = new Map<string, number[]>();
  nodes.forEach((n, k) => {
    const missing = new Set(n.inputs.filter((i) => !available.has(i)));
    pending[k] = missing.size;
    // Push in place: copying the list on every consumer made a tensor read by k nodes cost k^2.
    for (const i of missing) {
      const list = consumers.get(i);
      if (list) list.push(k);
      else consumers.set(i, [k]);
    }
  });
  const ready: number[] = [];
  for (let k = 0; k < nodes.length; k++) if (pending[k] === 0) ready.push(k);
  const order: GraphNode[] = [];
  // A read index instead of ready.shift(), which moves the whole array and made a long chain quadratic.
  for (let head = 0; head < ready.length; head++) {
    const n = nodes[ready[head]];
    order.push(n);
    for (const o of n.outputs) {
      if (!o || available.has(o)) continue;
      available.add(o);
      for (const c of consumers.get(o) ?? []) if (--pending[c] === 0) ready.push(c);
    }
  }
  if (order.length !== graph.nodes.length) {
    const placed = new Set(order);
    const stuck = graph.nodes.filter((n) => !placed.has(n)).slice(0, 3);
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
    checkSize(i, `graph '${graph.name}': input '${i.name}'`);
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
    checkSize(init, `graph '${graph.name}': initializer '${init.name}'`);
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
      for (const o of fromFile) {
        checkSize(declared.get(o)!, `${node.op} node '${node.name}': declared output '${o}'`);
        values.set(o, declared.get(o)!);
      }
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
      if (!o || !outs[i]) return;
      checkSize(outs[i], `${node.op} node '${node.name}': output '${o}'`);
      values.set(o, { name: o, dtype: outs[i].dtype, shape: outs[i].shape });
    });
    // A value folding cannot compute (an int64 division by zero, an index out of range) is left
    // unfolded by the operator itself (ops/), to run time; an operator that needs it then says so.
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

/**
 * Every dimension a whole, non-negative number and every tensor's byte size an exact JS integer
 * (at most 2^53): past that, sizes and costs would be silently rounded, so the model is refused
 * as too large instead. A negative or fractional dimension (an operator given contradictory
 * attributes, a hostile file) is refused naming the tensor.
 */
function checkSize(t: Pick<TensorInfo, 'shape' | 'dtype'>, what: string): void {
  const bad = t.shape.find((d) => !Number.isInteger(d) || d < 0);
  if (bad !== undefined)
    throw new StudioError(
      `${what} has shape [${t.shape.join(',')}]: ${bad < 0 ? 'a dimension cannot be negative' : `${bad} is not a whole number`}`,
      'bad-graph',
    );
  if (!Number.isSafeInteger(numel(t.shape) * Math.max(1, DTYPE_BYTES[t.dtype])))
    throw new StudioError(
      `${what} has shape [${t.shape.join(',')}]: too large (its size passes 2^53 bytes, so no figure about it would be exact)`,
      'too-large',
    );
}
