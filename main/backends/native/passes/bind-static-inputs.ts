// Pass 1: graph inputs whose values are known before running (a conformance case feeds its
// weights as inputs) become initializers where the kernels need them at preparation: Conv weights
// are packed, BatchNormalization's statistics folded, Clip bounds and Dropout's mode read. Every
// other input stays an input, so the case still exercises the kernels on run-time data.
import type { Graph, TensorData } from '../../../../shared/ir/types.js';

/** Input slots whose tensor must be known at preparation. */
const STATIC_SLOTS: Record<string, number[]> = {
  Conv: [1, 2],
  BatchNormalization: [1, 2, 3, 4],
  Clip: [1, 2],
  Dropout: [2],
};

/** The graph with the known inputs that feed static slots turned into initializers. */
export function bindStaticInputs(graph: Graph, values: ReadonlyMap<string, TensorData>): Graph {
  const bind = new Set<string>();
  for (const n of graph.nodes)
    for (const s of STATIC_SLOTS[n.op] ?? []) if (n.inputs[s] && values.has(n.inputs[s])) bind.add(n.inputs[s]);
  const inputs = graph.inputs.filter((i) => !bind.has(i.name));
  if (inputs.length === graph.inputs.length) return graph;
  const initializers = new Map(graph.initializers);
  for (const i of graph.inputs)
    if (bind.has(i.name))
      initializers.set(i.name, {
        name: i.name,
        dtype: i.dtype,
        shape: [...i.shape],
        role: 'constant',
        trainable: false,
        data: values.get(i.name)!,
      });
  return { ...graph, inputs, initializers };
}
