// Cutting a base model at a tensor: the graph reduced to the nodes that tensor depends on, with the
// tensor as the only output. The bottleneck-feature lab runs the cut base once and caches its output.
import { topologicalOrder } from '../graph/infer.js';
import { numel, StudioError, type Graph, type GraphNode, type TensorInfo } from '../ir/types.js';

export interface CutResult {
  graph: Graph;
  /** The cut tensor (the cut graph's only output). */
  tensor: string;
  /** True when the tensor was chosen by the default rule, not named by the user. */
  isDefault: boolean;
  /** Shape of one sample's features: the tensor's shape without the batch dimension. */
  featureShape: number[];
  /** Why the tensor was chosen (for the report): "input of GlobalAveragePool 'head/gap'". */
  reason: string;
}

/** Nodes that feed `tensor`, directly or not, and the graph inputs and initializers they read. */
function ancestry(graph: Graph, tensors: string[]): { nodes: Set<GraphNode>; names: Set<string> } {
  const producer = new Map<string, GraphNode>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  const nodes = new Set<GraphNode>();
  const names = new Set<string>();
  const stack = [...tensors];
  while (stack.length) {
    const t = stack.pop()!;
    if (!t || names.has(t)) continue;
    names.add(t);
    const p = producer.get(t);
    if (p && !nodes.has(p)) {
      nodes.add(p);
      stack.push(...p.inputs);
    }
  }
  return { nodes, names };
}

const FLATTENING = new Set(['Flatten', 'Gemm', 'MatMul']);

/**
 * Whether a node pools away the whole spatial extent: GlobalAveragePool/GlobalMaxPool, a ReduceMean
 * or ReduceMax over H and W, or an AveragePool/MaxPool whose window covers the whole map. Judged from
 * the shapes (N x C x H x W in, N x C values out), so that every way of writing it is recognized.
 */
function isGlobalPool(graph: Graph, n: GraphNode): boolean {
  if (n.op === 'GlobalAveragePool' || n.op === 'GlobalMaxPool') return true;
  if (!['ReduceMean', 'ReduceMax', 'AveragePool', 'MaxPool'].includes(n.op)) return false;
  const x = graph.values.get(n.inputs[0]);
  const y = graph.values.get(n.outputs[0]);
  if (!x || !y || x.shape.length !== 4) return false;
  const [batch, c, h, w] = x.shape;
  return h * w > 1 && numel(y.shape) === batch * c;
}

/** A Reshape that turns a feature map into rows (N x C x H x W -> N x F): a flatten in other words. */
function isFlatteningReshape(graph: Graph, n: GraphNode): boolean {
  if (n.op !== 'Reshape') return false;
  const x = graph.values.get(n.inputs[0]);
  const y = graph.values.get(n.outputs[0]);
  return !!x && !!y && x.shape.length > 2 && y.shape.length === 2;
}

/**
 * The default cut: the input of the first global pooling, Flatten, Gemm or MatMul on the way to the
 * graph's first output (auxiliary branches feed other outputs and are ignored). A graph with none of
 * them (a block) is cut at its output.
 */
export function defaultCut(graph: Graph): { tensor: string; reason: string } {
  const out = graph.outputs[0];
  if (!out) throw new StudioError(`graph '${graph.name}' has no output to cut`, 'bad-graph');
  const { nodes } = ancestry(graph, [out.name]);
  for (const n of topologicalOrder(graph)) {
    if (!nodes.has(n)) continue;
    if (isGlobalPool(graph, n) || FLATTENING.has(n.op) || isFlatteningReshape(graph, n))
      return { tensor: n.inputs[0], reason: `input of ${n.op} '${n.name}'` };
  }
  return { tensor: out.name, reason: `the output of '${graph.name}' (no global pooling or fully connected layer)` };
}

/** A few tensor names worth suggesting when a cut tensor does not exist. */
export function cutCandidates(graph: Graph, near?: string, max = 8): string[] {
  const produced = topologicalOrder(graph).flatMap((n) => n.outputs.filter((o) => o && graph.values.has(o)));
  const fourD = produced.filter((o) => graph.values.get(o)!.shape.length === 4);
  const needle = near?.toLowerCase();
  const similar = needle
    ? produced.filter((o) => o.toLowerCase().includes(needle) || needle.includes(o.toLowerCase()))
    : [];
  let fallback: string[] = [];
  try {
    fallback = [defaultCut(graph).tensor];
  } catch {
    // a graph without outputs has no default; the other candidates still help
  }
  const picked = [...similar.slice(0, max), ...fallback, ...fourD.slice(-max)];
  return [...new Set(picked)].slice(0, max);
}

/**
 * Cuts `graph` at `tensor` (default: defaultCut). The returned graph shares node objects and
 * initializers with the source, so exporting it with the same seed gives the same weights.
 */
export function cutGraph(graph: Graph, tensor?: string): CutResult {
  const chosen = tensor ? { tensor, reason: 'named by --cut' } : defaultCut(graph);
  const t = chosen.tensor;
  const info = graph.values.get(t);
  const isInput = graph.inputs.some((i) => i.name === t);
  if (!info || graph.initializers.has(t)) {
    const candidates = cutCandidates(graph, t);
    throw new StudioError(
      `${graph.initializers.has(t) ? `'${t}' is a weight of ${graph.name}, not a feature tensor` : `${graph.name} has no tensor '${t}'`}; name an intermediate tensor with --cut, for example: ${candidates.map((c) => `'${c}'`).join(', ')} (the default cut is taken when --cut is left out)`,
      'bad-cut',
    );
  }
  if (isInput)
    throw new StudioError(
      `'${t}' is the input of ${graph.name}: cutting there leaves no base to run; name a tensor after at least one layer, for example: ${cutCandidates(
        graph,
      )
        .map((c) => `'${c}'`)
        .join(', ')}`,
      'bad-cut',
    );
  if (info.shape.length < 2)
    throw new StudioError(
      `tensor '${t}' of ${graph.name} has shape [${info.shape.join(', ')}]: features need a batch dimension and at least one feature axis`,
      'bad-cut',
    );
  const { nodes, names } = ancestry(graph, [t]);
  const inputs = graph.inputs.filter((i) => names.has(i.name));
  const initializers = new Map([...graph.initializers].filter(([k]) => names.has(k)));
  const values = new Map<string, TensorInfo>([...graph.values].filter(([k]) => names.has(k)));
  const cut: Graph = {
    name: `${graph.name}_cut`,
    inputs,
    outputs: [{ ...info }],
    nodes: graph.nodes.filter((n) => nodes.has(n)),
    initializers,
    values,
    meta: {
      ...graph.meta,
      description: `${graph.meta.description ?? graph.name}, cut at '${t}'`,
      notes: [...(graph.meta.notes ?? []), `Cut at '${t}' (${chosen.reason}) by the bottleneck-feature lab.`],
    },
  };
  return { graph: cut, tensor: t, isDefault: !tensor, featureShape: info.shape.slice(1), reason: chosen.reason };
}

/**
 * A copy of `graph` for running at any batch size: the first dimension of its inputs and outputs is
 * symbolic ('N' unless the source named it), and intermediate shapes (inferred at the built batch)
 * are left out of the file so the runtime does not hold the graph to them.
 */
export function withDynamicBatch(graph: Graph): Graph {
  const dyn = (t: TensorInfo): TensorInfo => {
    const dimParams = t.shape.map((_, i) => t.dimParams?.[i]);
    if (dimParams.length > 0 && !dimParams[0]) dimParams[0] = 'N';
    return { ...t, dimParams };
  };
  const inputs = graph.inputs.map(dyn);
  const outputs = graph.outputs.map(dyn);
  const values = new Map<string, TensorInfo>([...inputs, ...outputs].map((t) => [t.name, t]));
  for (const [k, init] of graph.initializers) values.set(k, { name: k, dtype: init.dtype, shape: init.shape });
  return { ...graph, inputs, outputs, values };
}
