// Which constants of an imported graph are learned weights (counted as parameters) and which are
// plain constants (shapes, bounds, scalars). ONNX itself does not say; the operator does.
import type { Graph, GraphNode, Initializer } from '../ir/types.js';
import { numel } from '../ir/types.js';
import { opSpec } from '../ops/registry.js';

/** Element-wise operators whose single-element constant operand is a scalar constant, not a weight. */
const SCALAR_IS_CONSTANT = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow']);

/**
 * Operators that only re-lay-out their first input. Some exporters store a weight in another
 * layout and reshape it in the graph (GoogLeNet's classifier weight goes through a Reshape before
 * its Gemm in the onnx-light inception_v1): the weight is still a parameter, so classification
 * follows such a node to where its output is consumed.
 */
const LAYOUT_ONLY = new Set(['Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Identity', 'Cast']);

interface Use {
  param: boolean;
  trainable: boolean;
}

/**
 * Sets `role` and `trainable` of every initializer from how it is consumed: 'param' when it feeds
 * an input slot in the consuming operator's `weightInputs` (possibly through layout-only nodes),
 * except a single-element operand of Add/Sub/Mul/Div/Pow; non-trainable when every such slot is in
 * `nonTrainableInputs` (BatchNorm running statistics). Everything else is 'constant'.
 * `fixed` names initializers whose role was already decided (a file the studio wrote says so).
 */
export function classifyInitializers(graph: Graph, fixed: ReadonlySet<string> = new Set()): void {
  const consumers = new Map<string, { node: GraphNode; slot: number }[]>();
  for (const node of graph.nodes)
    node.inputs.forEach((name, slot) => {
      if (!name) return;
      // Push in place: copying the list per consumer made a tensor read by k nodes cost k^2.
      const list = consumers.get(name);
      if (list) list.push({ node, slot });
      else consumers.set(name, [{ node, slot }]);
    });

  // Iterative, not recursive: a long chain of layout-only nodes after a weight (a hostile file
  // can make one 100,000 nodes long) must not overflow the stack.
  const use = (init: Initializer): Use => {
    const out: Use = { param: false, trainable: false };
    const seen = new Set<string>([init.name]);
    const todo = [init.name];
    while (todo.length) {
      for (const { node, slot } of consumers.get(todo.pop()!) ?? []) {
        const spec = opSpec(node.op, node.domain);
        if (spec?.weightInputs?.includes(slot)) {
          if (SCALAR_IS_CONSTANT.has(node.op) && numel(init.shape) === 1) continue;
          out.param = true;
          if (!spec.nonTrainableInputs?.includes(slot)) out.trainable = true;
        } else if (LAYOUT_ONLY.has(node.op) && slot === 0 && node.outputs[0] && !seen.has(node.outputs[0])) {
          seen.add(node.outputs[0]);
          todo.push(node.outputs[0]);
        }
      }
    }
    return out;
  };

  for (const init of graph.initializers.values()) {
    if (fixed.has(init.name)) continue;
    const u = use(init);
    init.role = u.param ? 'param' : 'constant';
    init.trainable = u.param && u.trainable;
  }
}
