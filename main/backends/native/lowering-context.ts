// What every lowering pass and every per-operator lowering (lowerings.ts) shares while one graph
// is lowered: the graph's facts (shapes, producers, consumers), the constants known so far, the
// constants emitted into the desc, the lowered nodes, and the report. One context per lowerGraph
// call; nothing here outlives it.
import type { Graph, GraphNode, Initializer, TensorData } from '../../../shared/ir/types.js';
import { numel, StudioError } from '../../../shared/ir/types.js';
import { generateValues } from '../../../shared/graph/weights.js';
import { attrFloat, attrInts, type OpContext } from '../../../shared/ops/op-spec.js';
import { slidingWindow } from '../../../shared/ops/spatial.js';
import type { NativeGraphDesc, NativeNodeDesc } from './addon.js';

export type NativeAttr = NativeNodeDesc['attrs'][string];
export type NativeConstant = NativeGraphDesc['constants'][number];

/** What lowering did, for the result's notes and for tests. */
export interface LoweringReport {
  /** BatchNormalization nodes folded into the preceding Conv's weights and bias. */
  foldedBatchNorms: { batchNorm: string; into: string }[];
  /** Constant scalar Mul nodes folded into the preceding Conv's weights and bias. */
  foldedScales: { mul: string; into: string }[];
  /** Residual Add (or two-input Sum) nodes fused into a Conv (Y = act(conv(X) + B + R)). */
  fusedResiduals: { add: string; into: string }[];
  /** Relu/Clip nodes fused into the producing Conv or Gemm. */
  fusedActivations: { activation: string; op: string; into: string }[];
  /** Depthwise Conv nodes run inside the pointwise Conv that alone reads them (DepthwisePointwise). */
  fusedDepthwise: { depthwise: string; into: string }[];
  /** BatchNormalization nodes that could not be folded: ChannelAffine. */
  channelAffines: string[];
  /** Shape-only nodes run as Alias (no copy). */
  aliases: string[];
  /** Shape-only nodes applied to constants at lowering time (GoogLeNet's reshaped classifier weight). */
  foldedConstants: string[];
  /** Nodes whose outputs no graph output needs as data (shape subgraphs, dead branches): not run. */
  droppedNodes: string[];
}

/** A tensor known before running: an initializer, a Constant/ConstantOfShape node, or an Alias of one. */
export interface ConstSource {
  shape: number[];
  /** The values, produced on demand (weights are materialized only when lowered). */
  values: () => TensorData;
  dtype: string;
}

/** Largest finite float32: the bound an absent Clip limit stands for. */
export const FLT_MAX = 3.4028234663852886e38;

export interface LoweringContext {
  graph: Graph;
  /** The default-domain opset (99 when the graph does not say: the newest semantics). */
  opset: number;
  shapeOf(t: string): number[] | undefined;
  dtypeOf(t: string): string | undefined;
  /** Tensors known before running, so far: initializers, then constants met on the way. */
  consts: Map<string, ConstSource>;
  isConst(t: string): boolean;
  /** The input name of a lowered node: a constant is emitted into the desc on first use; '' stays ''. */
  ref(t: string): string;
  /** Emits a constant computed at lowering time (folded weights, ChannelAffine's vectors). */
  addConstant(name: string, shape: number[], data: Float32Array): string;
  /** A tensor name no other tensor of the graph or the desc has (`base`, else `base_1`, ...). */
  freshName(base: string): string;
  /** The one node reading `t` (once), when `t` is not a graph output either: a fusion candidate. */
  soleConsumer(t: string): GraphNode | undefined;
  /** Nodes already lowered as part of another node (folded or fused): skipped by the walk. */
  absorbed: Set<GraphNode>;
  /** Appends a lowered node (the desc's order is fixed later, by a stable topological sort). */
  emit(node: NativeNodeDesc): void;
  /** Shapes of tensors lowering invented (Softmax's 2-D views), which the graph does not know. */
  extraShapes: Map<string, number[]>;
  report: LoweringReport;
}

/** The context's state that the last pass (assemble-desc.ts) reads. */
export interface LoweringState {
  ctx: LoweringContext;
  /** Lowered nodes in the order they were emitted. */
  lowered: NativeNodeDesc[];
  /** Constants emitted into the desc, in the order of first use. */
  emitted: Map<string, NativeConstant>;
}

const isFloat = (dtype: string) => dtype === 'float32' || dtype === 'float64';

export function toFloat32(data: TensorData): Float32Array {
  if (data instanceof Float32Array) return data;
  return Float32Array.from(data as ArrayLike<number | bigint>, Number);
}

/** A fresh context over the nodes that run (`nodes`, in topological order). */
export function createLoweringContext(
  graph: Graph,
  nodes: GraphNode[],
  seed: number,
  report: LoweringReport,
): LoweringState {
  const shapeOf = (t: string) => graph.values.get(t)?.shape ?? graph.initializers.get(t)?.shape;
  const dtypeOf = (t: string) => graph.values.get(t)?.dtype ?? graph.initializers.get(t)?.dtype;
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));

  const consts = new Map<string, ConstSource>();
  for (const init of graph.initializers.values()) consts.set(init.name, initializerSource(init, seed));
  const isConst = (t: string) => t !== '' && consts.has(t);
  const emitted = new Map<string, NativeConstant>();
  const constant = (name: string): string => {
    if (!emitted.has(name)) {
      const c = consts.get(name)!;
      if (!isFloat(c.dtype))
        throw new StudioError(
          `the native backend cannot run '${graph.name}': constant '${name}' is ${c.dtype}, used as data (float32 only)`,
          'unsupported',
        );
      emitted.set(name, { name, shape: [...c.shape], data: toFloat32(c.values()) });
    }
    return name;
  };

  const used = new Set<string>([
    ...graph.initializers.keys(),
    ...graph.values.keys(),
    ...graph.inputs.map((i) => i.name),
    ...nodes.flatMap((n) => n.outputs),
  ]);
  const freshName = (base: string) => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };

  const consumers = new Map<string, GraphNode[]>();
  for (const n of nodes) for (const i of n.inputs) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const soleConsumer = (t: string): GraphNode | undefined => {
    const c = consumers.get(t);
    if (!c || c.length !== 1 || graphOutputs.has(t)) return undefined;
    return c[0].inputs.filter((i) => i === t).length === 1 ? c[0] : undefined;
  };

  const lowered: NativeNodeDesc[] = [];
  const ctx: LoweringContext = {
    graph,
    opset: graph.meta.opset ?? 99,
    shapeOf,
    dtypeOf,
    consts,
    isConst,
    ref: (t) => (t && isConst(t) ? constant(t) : t),
    addConstant: (name, shape, data) => {
      emitted.set(name, { name, shape, data });
      return name;
    },
    freshName,
    soleConsumer,
    absorbed: new Set(),
    emit: (node) => lowered.push(node),
    extraShapes: new Map(),
    report,
  };
  return { ctx, lowered, emitted };
}

// Readers of a node's operands shared by several lowerings.

/** Clip's bounds: opset < 11: attributes; since: optional inputs (constant here, checked before lowering). */
export function clipBounds(n: GraphNode, ctx: LoweringContext): [number, number] {
  const bound = (slot: number, attr: string, fallback: number) => {
    const t = n.inputs[slot];
    if (t) return Number(toFloat32(ctx.consts.get(t)!.values())[0]);
    return n.attrs[attr] ? attrFloat(n, attr, fallback) : fallback;
  };
  return [bound(1, 'min', -FLT_MAX), bound(2, 'max', FLT_MAX)];
}

/** Pools and Conv: explicit pads (auto_pad resolved) from the studio's own window geometry. */
export function windowOf(n: GraphNode, ctx: LoweringContext) {
  const xs = ctx.shapeOf(n.inputs[0])!;
  const kernel = attrInts(n, 'kernel_shape') ?? ctx.shapeOf(n.inputs[1])!.slice(2);
  const opContext: OpContext = { node: n, inputs: [], constants: [] };
  return slidingWindow(opContext, xs.slice(2), kernel, n);
}

function initializerSource(init: Initializer, seed: number): ConstSource {
  let cached: TensorData | undefined;
  return {
    shape: init.shape,
    dtype: init.dtype,
    // Generated once per lowering; never stored on the graph (a cost-only graph allocates no weights).
    values: () => (cached ??= generateValues(init, seed)),
  };
}

/** The values of a Constant or ConstantOfShape node, produced on demand like an initializer's. */
export function constantNodeSource(n: GraphNode, shape: number[], dtype: string): ConstSource {
  const a = n.attrs;
  return {
    shape,
    dtype,
    values: () => {
      const count = numel(shape);
      if (n.op === 'ConstantOfShape') {
        const v = a.value?.type === 'tensor' ? a.value.value : undefined;
        const data = v?.data as ArrayLike<number | bigint> | undefined;
        return new Float32Array(count).fill(data && data.length ? Number(data[0]) : 0);
      }
      if (a.value?.type === 'tensor') return generateValues(a.value.value);
      if (a.value_float?.type === 'float') return Float32Array.of(a.value_float.value);
      if (a.value_floats?.type === 'floats') return Float32Array.from(a.value_floats.value);
      return new Float32Array(count);
    },
  };
}
