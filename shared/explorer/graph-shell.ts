// The IR graph of an opened file without its weights: main reads and costs an ONNX file, then sends
// the renderer a GraphView (shared/contract/api.ts), never the weight values (a 100 MB model would
// cross the API for nothing). The overlays (overlays.ts), top-layers' bytes and the cost model read
// only the graph's structure, its tensors' dtypes and shapes, the initializers' roles and a few node
// attributes (pool kernel_shape, Gemm transA, LRN size, Resize mode): viewTensors and viewNode put
// those into the GraphView, graphOfView rebuilds the Graph from them, so every figure computed on
// the shell is the one computed on the file's graph (tests/explorer-graph-shell.test.ts).
import type { GraphView, GraphViewAttr, GraphViewNode, GraphViewTensor } from '../contract/api.js';
import {
  DTYPE_BYTES,
  StudioError,
  type AttrValue,
  type DType,
  type Graph,
  type GraphNode,
  type Initializer,
  type TensorInfo,
} from '../ir/types.js';

/**
 * Longest list or string attribute sent (elements or characters). Attributes the cost model reads are
 * a few numbers; a custom operator's lookup table or embedded text would only make the view large.
 */
export const MAX_VIEW_ATTR_LENGTH = 256;

/** A node as the GraphView carries it; `withAttrs`: its attributes too (for graphOfView's cost model). */
export function viewNode(n: GraphNode, withAttrs: boolean): GraphViewNode {
  const out: GraphViewNode = {
    name: n.name,
    op: n.domain ? `${n.domain}.${n.op}` : n.op,
    inputs: [...n.inputs],
    outputs: [...n.outputs],
  };
  // 'com.example.FancyOp' splits at its last dot; an operator type that itself holds a dot would not.
  if (n.op.includes('.')) out.domain = n.domain;
  if (withAttrs) {
    const attrs = viewAttrs(n.attrs);
    if (attrs) out.attrs = attrs;
  }
  return out;
}

/**
 * The attributes a view carries: tensor-valued ones left out (they hold data), and so are lists and
 * strings past MAX_VIEW_ATTR_LENGTH and non-finite numbers (JSON has no Infinity or NaN: they would
 * arrive as null). Undefined when none is left.
 */
function viewAttrs(attrs: GraphNode['attrs']): Record<string, GraphViewAttr> | undefined {
  let out: Record<string, GraphViewAttr> | undefined;
  for (const [k, a] of Object.entries(attrs)) {
    let v: GraphViewAttr | undefined;
    switch (a.type) {
      case 'int':
      case 'float':
        if (Number.isFinite(a.value)) v = { type: a.type, value: a.value };
        break;
      case 'string':
        if (a.value.length <= MAX_VIEW_ATTR_LENGTH) v = { type: a.type, value: a.value };
        break;
      case 'ints':
      case 'floats':
        if (a.value.length <= MAX_VIEW_ATTR_LENGTH && a.value.every(Number.isFinite))
          v = { type: a.type, value: [...a.value] };
        break;
      case 'strings':
        if (a.value.length <= MAX_VIEW_ATTR_LENGTH && a.value.every((s) => s.length <= MAX_VIEW_ATTR_LENGTH))
          v = { type: a.type, value: [...a.value] };
        break;
      case 'tensor':
        break;
    }
    if (v) (out ??= {})[k] = v;
  }
  return out;
}

/**
 * Every tensor's type, for GraphView.tensors: the graph's values (inputs, intermediates, outputs,
 * initializers; in the values' order), an initializer's role and trainable flag on its entry, and a
 * graph input or output that is no value (shape inference did not reach it) marked `declared`. No
 * weight values, no initial values.
 */
export function viewTensors(graph: Graph): GraphViewTensor[] {
  const out: GraphViewTensor[] = [];
  const listed = new Set<string>();
  const add = (t: TensorInfo, declared: boolean) => {
    const init = graph.initializers.get(t.name);
    out.push({
      name: t.name,
      dtype: t.dtype,
      shape: [...t.shape],
      ...(init ? { role: init.role, trainable: init.trainable } : {}),
      ...(declared ? { declared: true as const } : {}),
    });
    listed.add(t.name);
  };
  for (const v of graph.values.values()) add(v, false);
  // The IR keeps every initializer among the values (builder and shape inference both do); one that
  // is not would still be an initializer, and is sent as one.
  for (const init of graph.initializers.values()) if (!listed.has(init.name)) add(init, false);
  for (const t of [...graph.inputs, ...graph.outputs]) if (!listed.has(t.name)) add(t, true);
  return out;
}

const DTYPES = new Set(Object.keys(DTYPE_BYTES));

function checkTensor(t: GraphViewTensor, graphName: string): DType {
  const where = `the graph view of '${graphName}': tensor '${t.name}'`;
  if (!DTYPES.has(t.dtype))
    throw new StudioError(
      `${where} has dtype '${t.dtype}', which is none of ${[...DTYPES].join(', ')}: the view was not made by this studio version; open the model again`,
      'bad-input',
    );
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw new StudioError(
      `${where} has shape ${JSON.stringify(t.shape)}: dimensions must be whole numbers of at least 0; open the model again`,
      'bad-input',
    );
  if (t.role !== undefined && t.role !== 'param' && t.role !== 'constant')
    throw new StudioError(`${where} has role '${String(t.role)}': expected 'param' or 'constant'`, 'bad-input');
  return t.dtype as DType;
}

function irNode(n: GraphViewNode): GraphNode {
  const dot = n.op.lastIndexOf('.');
  const domain = n.domain ?? (dot > 0 ? n.op.slice(0, dot) : '');
  const op = domain && n.op.startsWith(`${domain}.`) ? n.op.slice(domain.length + 1) : n.op;
  const attrs: GraphNode['attrs'] = {};
  for (const [k, a] of Object.entries(n.attrs ?? {})) attrs[k] = a as AttrValue;
  return { name: n.name, op, domain, inputs: [...n.inputs], outputs: [...n.outputs], attrs };
}

/**
 * The IR graph behind a GraphView that carries `tensors` (main's view of an opened file), without
 * weight data: its nodes in the view's order (topological), values and initializers (role and
 * trainable flags, no data) with their dtypes and shapes, inputs and outputs as typed tensors;
 * `meta.source` names the file `name`. Undefined when the view has no tensors (a diagram-only view).
 * Throws a StudioError naming the tensor when an entry is malformed or repeated.
 */
export function graphOfView(view: GraphView, name: string): Graph | undefined {
  if (!view.tensors) return undefined;
  const values = new Map<string, TensorInfo>();
  const initializers = new Map<string, Initializer>();
  const declared = new Map<string, TensorInfo>();
  for (const t of view.tensors) {
    const dtype = checkTensor(t, name);
    if (values.has(t.name) || declared.has(t.name))
      throw new StudioError(
        `the graph view of '${name}' lists tensor '${t.name}' twice: open the model again`,
        'bad-input',
      );
    const info: TensorInfo = { name: t.name, dtype, shape: [...t.shape] };
    if (t.declared) {
      declared.set(t.name, info);
      continue;
    }
    values.set(t.name, info);
    if (t.role)
      initializers.set(t.name, {
        name: t.name,
        dtype,
        shape: info.shape,
        role: t.role,
        trainable: t.trainable ?? t.role === 'param',
      });
  }
  const typed = (what: 'input' | 'output', tensor: string): TensorInfo => {
    const t = values.get(tensor) ?? declared.get(tensor);
    if (!t)
      throw new StudioError(
        `the graph view of '${name}' gives no type for its ${what} '${tensor}': open the model again`,
        'bad-input',
      );
    return t;
  };
  return {
    // The graph's own name (Model Explorer's graph id for this file); the file's name where unknown.
    name: view.graphName ?? name,
    inputs: view.inputs.map((i) => typed('input', i)),
    outputs: view.outputs.map((o) => typed('output', o)),
    nodes: view.nodes.map(irNode),
    initializers,
    values,
    meta: { source: { kind: 'file', name } },
  };
}
