// Lowering: the studio graph (after shape inference) -> the native addon's NativeGraphDesc
// (native/DESIGN.md, "NativeGraphDesc"). Everything the C++ side should not have to know about
// ONNX happens here: BatchNormalization folded into the preceding Conv's weights, Relu/Clip and a
// residual Add fused into the producing Conv, a constant scalar Mul folded into the Conv's
// weights, shape-only operators turned into Alias (no copy), a standalone BatchNormalization into
// ChannelAffine, opset-dependent Softmax semantics made explicit, auto_pad resolved to explicit
// pads, every constant materialized with the job's seed, and every tensor's shape passed along.
//
// A graph with an operator outside DESIGN.md's list is refused here, before anything runs, with
// every such operator named; so is any form of a listed operator the kernels do not implement.
import type { Graph, GraphNode, Initializer, TensorData } from '../../../shared/graph/types.js';
import { numel, StudioError } from '../../../shared/graph/types.js';
import { topologicalOrder } from '../../../shared/graph/infer.js';
import { generateValues } from '../../../shared/graph/weights.js';
import { attrFloat, attrInt, attrInts, type OpContext } from '../../../shared/ops/op-spec.js';
import { slidingWindow } from '../../../shared/ops/spatial.js';
import type { NativeGraphDesc, NativeNodeDesc, NativeOp } from './addon.js';

// The desc types are the addon's own (native/DESIGN.md "NativeGraphDesc"), declared in addon.ts.
export type { NativeGraphDesc, NativeNodeDesc, NativeOp };
type NativeAttr = NativeNodeDesc['attrs'][string];
type NativeConstant = NativeGraphDesc['constants'][number];

/** ONNX operators (default domain) the native backend accepts, before lowering. */
export const NATIVE_ONNX_OPS: readonly string[] = [
  'Conv',
  'Gemm',
  'MatMul',
  'BatchNormalization',
  'Relu',
  'Clip',
  'Sigmoid',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Sum',
  'Max',
  'Min',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'Concat',
  'Flatten',
  'Reshape',
  'Squeeze',
  'Unsqueeze',
  'Dropout',
  'Identity',
  'Softmax',
  'LRN',
  'Transpose',
  'Constant',
  'ConstantOfShape',
];
const ACCEPTED = new Set(NATIVE_ONNX_OPS);

/** Operators that only give their first input another shape: Alias (no copy) after lowering. */
const ALIAS_OPS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Dropout', 'Identity']);
const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Sum', 'Max', 'Min']);

/** Largest finite float32: the bound an absent Clip limit stands for. */
export const FLT_MAX = 3.4028234663852886e38;

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
  /** BatchNormalization nodes that could not be folded: ChannelAffine. */
  channelAffines: string[];
  /** Shape-only nodes run as Alias (no copy). */
  aliases: string[];
  /** Shape-only nodes applied to constants at lowering time (GoogLeNet's reshaped classifier weight). */
  foldedConstants: string[];
  /** Nodes whose outputs no graph output needs as data (shape subgraphs, dead branches): not run. */
  droppedNodes: string[];
}

export interface Lowered {
  desc: NativeGraphDesc;
  report: LoweringReport;
}

export interface LowerOptions {
  /** Seed of lazily generated weights (shared/graph/weights.ts), the job's seed. */
  seed?: number;
  /**
   * Values of graph inputs known before running (a conformance case feeds its weights as inputs).
   * Those the kernels need at preparation (Conv weights and bias, BatchNormalization's vectors, Clip
   * bounds) become constants; every other input stays an input.
   */
  inputValues?: ReadonlyMap<string, TensorData>;
}

/** Input slots whose tensor must be known at preparation: weights are packed, statistics folded. */
const STATIC_SLOTS: Record<string, number[]> = {
  Conv: [1, 2],
  BatchNormalization: [1, 2, 3, 4],
  Clip: [1, 2],
  Dropout: [2],
};

/** The graph with the known inputs that feed static slots turned into initializers. */
function bindStaticInputs(graph: Graph, values: ReadonlyMap<string, TensorData>): Graph {
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

/** One line per kind of rewrite, for a result's flags ("native lowering: 53 BatchNormalization folded ..."). */
export function loweringSummary(r: LoweringReport): string {
  const parts: string[] = [];
  const n = (k: number, what: string) => k > 0 && parts.push(`${k} ${what}`);
  n(r.foldedBatchNorms.length, 'BatchNormalization folded into Conv');
  n(r.foldedScales.length, 'constant Mul folded into Conv');
  n(r.fusedResiduals.length, 'residual Add fused into Conv');
  const convActs = r.fusedActivations.filter((a) => a.op === 'Conv').length;
  n(convActs, 'Relu/Clip fused into Conv');
  n(r.fusedActivations.length - convActs, 'Relu/Clip fused into Gemm');
  n(r.channelAffines.length, 'BatchNormalization run as ChannelAffine (not foldable)');
  n(r.aliases.length, 'reshape-like nodes run as Alias (no copy)');
  n(r.foldedConstants.length, 'reshape-like nodes applied to constants');
  n(r.droppedNodes.length, 'shape-only or unused nodes dropped');
  return `native lowering: ${parts.length ? parts.join(', ') : 'no rewrites'}`;
}

/** A tensor known before running: an initializer, a Constant/ConstantOfShape node, or an Alias of one. */
interface ConstSource {
  shape: number[];
  /** The values, produced on demand (weights are materialized only when lowered). */
  values: () => TensorData;
  dtype: string;
}

const isFloat = (dtype: string) => dtype === 'float32' || dtype === 'float64';

function toFloat32(data: TensorData): Float32Array {
  if (data instanceof Float32Array) return data;
  return Float32Array.from(data as ArrayLike<number | bigint>, Number);
}

/** Data input slots of an operator: the others (Reshape's shape, Squeeze's axes, Clip's bounds, Dropout's ratio) are read at lowering time, if at all. */
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

/**
 * Lowers a shape-inferred graph. Throws a StudioError (code 'unsupported') naming every operator
 * outside the native backend's list, and every node in a form its kernels do not implement.
 */
export function lowerGraph(source: Graph, opts: LowerOptions = {}): Lowered {
  const seed = opts.seed ?? 0;
  const graph = opts.inputValues ? bindStaticInputs(source, opts.inputValues) : source;
  const order = topologicalOrder(graph);
  const producer = new Map<string, GraphNode>();
  for (const n of order) for (const o of n.outputs) if (o) producer.set(o, n);
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  const shapeOf = (t: string): number[] | undefined => graph.values.get(t)?.shape ?? graph.initializers.get(t)?.shape;
  const dtypeOf = (t: string): string | undefined => graph.values.get(t)?.dtype ?? graph.initializers.get(t)?.dtype;

  // 1. Which nodes must run: walk back from the outputs along data inputs only, so that shape
  // subgraphs (Shape -> Gather -> Concat -> Reshape's shape) and dead branches are never refused.
  const needed = new Set<string>(graphOutputs);
  const kept = new Set<GraphNode>();
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i];
    if (!n.outputs.some((o) => o && needed.has(o))) continue;
    kept.add(n);
    for (const s of [...dataSlots(n), ...valueSlots(n)]) if (n.inputs[s]) needed.add(n.inputs[s]);
  }
  const report: LoweringReport = {
    foldedBatchNorms: [],
    foldedScales: [],
    fusedResiduals: [],
    fusedActivations: [],
    channelAffines: [],
    aliases: [],
    foldedConstants: [],
    droppedNodes: order.filter((n) => !kept.has(n)).map((n) => n.name),
  };
  const nodes = order.filter((n) => kept.has(n));

  // 2. Refuse, before anything runs: operators outside the list, then forms the kernels lack.
  const unsupported = new Map<string, string[]>();
  for (const n of nodes) {
    const key = n.domain ? `${n.domain}.${n.op}` : n.op;
    if (n.domain || !ACCEPTED.has(n.op)) unsupported.set(key, [...(unsupported.get(key) ?? []), n.name]);
  }
  const problems: string[] = [];
  for (const i of graph.inputs)
    if (needed.has(i.name) && i.dtype !== 'float32')
      problems.push(`input '${i.name}' is ${i.dtype} (the native backend runs float32 only)`);
  if (unsupported.size === 0) for (const n of nodes) problems.push(...formProblems(n));
  if (unsupported.size > 0 || problems.length > 0) {
    const ops = [...unsupported.entries()].map(
      ([op, names]) =>
        `${op} (${names.length} node${names.length > 1 ? 's' : ''}: ${names
          .slice(0, 3)
          .map((x) => `'${x}'`)
          .join(', ')}${names.length > 3 ? ', ...' : ''})`,
    );
    const head = `the native backend cannot run '${graph.name}'`;
    const msg =
      unsupported.size > 0
        ? `${head}: it has no kernels for ${unsupported.size === 1 ? 'operator' : 'operators'} ${ops.join(', ')}. It runs ${NATIVE_ONNX_OPS.join(', ')}.`
        : `${head}: ${problems.slice(0, 8).join('; ')}${problems.length > 8 ? `; and ${problems.length - 8} more` : ''}.`;
    throw new StudioError(msg, 'unsupported');
  }

  // 3. Constants: initializers, plus Constant/ConstantOfShape nodes and Aliases of constants (below).
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
  const addConstant = (name: string, shape: number[], data: Float32Array): string => {
    emitted.set(name, { name, shape, data });
    return name;
  };
  const freshName = (() => {
    const used = new Set<string>([
      ...graph.initializers.keys(),
      ...graph.values.keys(),
      ...graph.inputs.map((i) => i.name),
      ...nodes.flatMap((n) => n.outputs),
    ]);
    return (base: string) => {
      let name = base;
      for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
      used.add(name);
      return name;
    };
  })();

  // Consumers among the nodes that run (for fusion decisions).
  const consumers = new Map<string, GraphNode[]>();
  for (const n of nodes) for (const i of n.inputs) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  /** The one node reading `t` (once), when `t` is not a graph output either. */
  const soleConsumer = (t: string): GraphNode | undefined => {
    const c = consumers.get(t);
    if (!c || c.length !== 1 || graphOutputs.has(t)) return undefined;
    return c[0].inputs.filter((i) => i === t).length === 1 ? c[0] : undefined;
  };
  const absorbed = new Set<GraphNode>();
  const out: NativeNodeDesc[] = [];
  const extraShapes = new Map<string, number[]>();
  const opset = graph.meta.opset ?? 99;

  /** The input names of a lowered node: constants are emitted, '' stays ''. */
  const ref = (t: string) => (t && isConst(t) ? constant(t) : t);

  for (const n of nodes) {
    if (absorbed.has(n)) continue;
    const x = n.inputs[0] ?? '';
    const y = n.outputs[0];
    switch (n.op) {
      case 'Constant':
      case 'ConstantOfShape': {
        consts.set(y, constantNodeSource(n, shapeOf(y) ?? [], dtypeOf(y) ?? 'float32'));
        report.foldedConstants.push(n.name);
        break;
      }
      case 'Conv':
        out.push(lowerConv(n));
        break;
      case 'Gemm': {
        const act = fuseActivation(n, y);
        out.push({
          name: n.name,
          op: 'Gemm',
          inputs: [ref(x), ref(n.inputs[1]), ref(n.inputs[2] ?? '')],
          outputs: [act.output],
          attrs: {
            transA: attrInt(n, 'transA', 0),
            transB: attrInt(n, 'transB', 0),
            alpha: attrFloat(n, 'alpha', 1),
            beta: attrFloat(n, 'beta', 1),
            ...act.attrs,
          },
        });
        break;
      }
      case 'MatMul':
        out.push(simple(n, 'MatMul', [ref(x), ref(n.inputs[1])]));
        break;
      case 'BatchNormalization': {
        // Not folded into a Conv (see lowerConv): y = x * scale[c] + shift[c].
        const { scale, shift } = batchNormAffine(n);
        const s = addConstant(freshName(`${n.name}.scale`), [scale.length], Float32Array.from(scale));
        const b = addConstant(freshName(`${n.name}.shift`), [shift.length], Float32Array.from(shift));
        out.push({ name: n.name, op: 'ChannelAffine', inputs: [ref(x), s, b], outputs: [y], attrs: {} });
        report.channelAffines.push(n.name);
        break;
      }
      case 'Relu':
      case 'Sigmoid':
      case 'GlobalAveragePool':
      case 'GlobalMaxPool':
        out.push(simple(n, n.op, [ref(x)]));
        break;
      case 'Clip': {
        const [lo, hi] = clipBounds(n);
        out.push({ name: n.name, op: 'Clip', inputs: [ref(x)], outputs: [y], attrs: { min: lo, max: hi } });
        break;
      }
      case 'MaxPool':
      case 'AveragePool': {
        const w = window(n);
        const attrs: Record<string, NativeAttr> = {
          kernel: w.kernel,
          strides: w.strides,
          pads: w.pads,
          dilations: w.dilations,
        };
        if (n.op === 'AveragePool') attrs.count_include_pad = attrInt(n, 'count_include_pad', 0);
        out.push({ name: n.name, op: n.op, inputs: [ref(x)], outputs: [y], attrs });
        break;
      }
      case 'Concat': {
        const rank = shapeOf(y)!.length;
        const axis = attrInt(n, 'axis', 1);
        out.push({
          name: n.name,
          op: 'Concat',
          inputs: n.inputs.filter((i) => i).map(ref),
          outputs: [y],
          attrs: { axis: axis < 0 ? axis + rank : axis },
        });
        break;
      }
      case 'Softmax':
        lowerSoftmax(n);
        break;
      case 'LRN':
        out.push({
          name: n.name,
          op: 'LRN',
          inputs: [ref(x)],
          outputs: [y],
          attrs: {
            size: attrInt(n, 'size', 1),
            alpha: attrFloat(n, 'alpha', 1e-4),
            beta: attrFloat(n, 'beta', 0.75),
            bias: attrFloat(n, 'bias', 1),
          },
        });
        break;
      case 'Transpose': {
        const rank = shapeOf(x)!.length;
        const perm = attrInts(n, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
        out.push({ name: n.name, op: 'Transpose', inputs: [ref(x)], outputs: [y], attrs: { perm } });
        break;
      }
      default:
        if (ALIAS_OPS.has(n.op)) {
          if (isConst(x)) {
            // A reshape of a constant is a constant: the kernels see it as such (weights get packed).
            const src = consts.get(x)!;
            consts.set(y, { shape: shapeOf(y)!, dtype: src.dtype, values: src.values });
            report.foldedConstants.push(n.name);
          } else {
            out.push({ name: n.name, op: 'Alias', inputs: [x], outputs: [y], attrs: {} });
            report.aliases.push(n.name);
          }
        } else if (ELEMENTWISE.has(n.op)) {
          out.push(simple(n, n.op as NativeOp, n.inputs.filter((i) => i).map(ref)));
        } else {
          throw new StudioError(`internal: lowering has no rule for ${n.op} node '${n.name}'`, 'internal');
        }
    }
  }

  for (const o of graphOutputs)
    if (isConst(o) || graph.inputs.some((i) => i.name === o))
      throw new StudioError(
        `the native backend cannot run '${graph.name}': output '${o}' is a ${isConst(o) ? 'constant' : 'graph input'}, not computed by any node`,
        'unsupported',
      );

  const sorted = sortNodes(out, new Set([...graph.inputs.map((i) => i.name), ...emitted.keys()]));
  const shapes: Record<string, number[]> = {};
  const setShape = (t: string) => {
    if (!t || shapes[t]) return;
    const s = extraShapes.get(t) ?? emitted.get(t)?.shape ?? shapeOf(t);
    if (!s) throw new StudioError(`internal: lowering knows no shape for tensor '${t}'`, 'internal');
    shapes[t] = [...s];
  };
  for (const i of graph.inputs) if (needed.has(i.name)) setShape(i.name);
  for (const c of emitted.values()) setShape(c.name);
  for (const nd of sorted) for (const t of [...nd.inputs, ...nd.outputs]) setShape(t);
  return {
    desc: {
      inputs: graph.inputs.filter((i) => needed.has(i.name)).map((i) => ({ name: i.name, shape: [...i.shape] })),
      outputs: graph.outputs.map((o) => o.name),
      shapes,
      constants: [...emitted.values()],
      nodes: sorted,
    },
    report,
  };

  // ---- helpers (closures over the graph being lowered) ----

  function simple(n: GraphNode, op: NativeOp, inputs: string[]): NativeNodeDesc {
    return { name: n.name, op, inputs, outputs: [n.outputs[0]], attrs: {} };
  }

  /** Per-node forms the kernels do not implement (only checked once every operator is known). */
  function formProblems(n: GraphNode): string[] {
    const p: string[] = [];
    const where = `${n.op} node '${n.name}'`;
    const used = (k: number) => !!n.outputs[k] && needed.has(n.outputs[k]);
    for (const o of n.outputs)
      if (o && needed.has(o) && dtypeOf(o) && dtypeOf(o) !== 'float32')
        p.push(`${where} produces ${dtypeOf(o)} '${o}' (float32 only)`);
    switch (n.op) {
      case 'Conv': {
        const xs = shapeOf(n.inputs[0]);
        if (xs?.length !== 4) p.push(`${where} is ${(xs?.length ?? 2) - 2}-D (only 2-D convolution)`);
        if (!isStatic(n.inputs[1]))
          p.push(`${where} has weights computed at run time (weights are packed at preparation)`);
        break;
      }
      case 'MaxPool':
      case 'AveragePool': {
        if (shapeOf(n.inputs[0])?.length !== 4) p.push(`${where} is not 2-D pooling`);
        if (n.op === 'MaxPool' && used(1)) p.push(`${where} has its Indices output in use (not supported)`);
        if (n.op === 'MaxPool' && attrInt(n, 'storage_order', 0) !== 0 && used(1))
          p.push(`${where} asks for column-major indices`);
        if (n.op === 'AveragePool' && (attrInts(n, 'dilations') ?? []).some((d) => d !== 1))
          p.push(`${where} has dilations (average pooling without dilation only)`);
        break;
      }
      case 'GlobalAveragePool':
      case 'GlobalMaxPool':
        if ((shapeOf(n.inputs[0])?.length ?? 0) < 3) p.push(`${where} needs an N x C x spatial input`);
        break;
      case 'Dropout': {
        if (used(1)) p.push(`${where} has its mask output in use`);
        // Opset 12+: a true training_mode input drops values at random; only inference is the identity.
        const mode = n.inputs[2];
        if (mode && !isStatic(mode)) p.push(`${where} has a training_mode computed at run time`);
        else if (mode && graph.initializers.has(mode)) {
          const v = generateValues(graph.initializers.get(mode)!) as ArrayLike<number | bigint>;
          if (v.length > 0 && Number(v[0]) !== 0) p.push(`${where} runs in training mode (random masks)`);
        }
        break;
      }
      case 'BatchNormalization': {
        if (n.outputs.slice(1).some((_, k) => used(k + 1))) p.push(`${where} uses training-mode outputs`);
        for (const s of [1, 2, 3, 4])
          if (!isStatic(n.inputs[s])) p.push(`${where} has input ${s} computed at run time`);
        break;
      }
      case 'Clip':
        for (const s of [1, 2])
          if (n.inputs[s] && !isStatic(n.inputs[s]))
            p.push(`${where} has a bound computed at run time (constant bounds only)`);
        break;
      case 'LRN':
        if ((shapeOf(n.inputs[0])?.length ?? 0) < 3) p.push(`${where} needs an N x C x spatial input`);
        break;
      case 'Constant':
        if (n.attrs.value?.type !== 'tensor' && !n.attrs.value_float && !n.attrs.value_floats)
          p.push(`${where} holds a value that is not a float tensor`);
        break;
    }
    return p;
  }

  /**
   * Known before running: an initializer, a Constant/ConstantOfShape output, or one of those seen
   * through reshape-like nodes (GoogLeNet's classifier weight is reshaped before its Gemm).
   */
  function isStatic(t: string | undefined): boolean {
    if (!t) return false;
    if (graph.initializers.has(t)) return true;
    const p = producer.get(t);
    if (!p) return false;
    if (p.op === 'Constant' || p.op === 'ConstantOfShape') return true;
    return ALIAS_OPS.has(p.op) && isStatic(p.inputs[0]);
  }

  function clipBounds(n: GraphNode): [number, number] {
    // Opset < 11: attributes; since: optional inputs (constant here, checked in formProblems).
    const bound = (slot: number, attr: string, fallback: number) => {
      const t = n.inputs[slot];
      if (t) return Number(toFloat32(consts.get(t)!.values())[0]);
      return n.attrs[attr] ? attrFloat(n, attr, fallback) : fallback;
    };
    return [bound(1, 'min', -FLT_MAX), bound(2, 'max', FLT_MAX)];
  }

  /** Pools and Conv: explicit pads (auto_pad resolved) from the studio's own window geometry. */
  function window(n: GraphNode) {
    const xs = shapeOf(n.inputs[0])!;
    const kernel = attrInts(n, 'kernel_shape') ?? shapeOf(n.inputs[1])!.slice(2);
    const ctx: OpContext = { node: n, inputs: [], constants: [] };
    return slidingWindow(ctx, xs.slice(2), kernel, n);
  }

  /** y = x * scale + shift per channel, from BatchNormalization's constants (computed in float64). */
  function batchNormAffine(n: GraphNode): { scale: Float64Array; shift: Float64Array } {
    const v = (s: number) => consts.get(n.inputs[s])!.values() as ArrayLike<number>;
    const [gamma, beta, mean, variance] = [v(1), v(2), v(3), v(4)];
    const eps = attrFloat(n, 'epsilon', 1e-5);
    const c = gamma.length;
    const scale = new Float64Array(c);
    const shift = new Float64Array(c);
    for (let i = 0; i < c; i++) {
      // As ONNX Runtime computes it: the float32 epsilon added to the float32 variance.
      scale[i] = gamma[i] / Math.sqrt(variance[i] + Math.fround(eps));
      shift[i] = beta[i] - mean[i] * scale[i];
    }
    return { scale, shift };
  }

  /** A fusable Relu or Clip reading `t` (and nothing else reading it): the fused output and attrs. */
  function fuseActivation(into: GraphNode, t: string): { output: string; attrs: Record<string, NativeAttr> } {
    const next = soleConsumer(t);
    if (next && !absorbed.has(next) && (next.op === 'Relu' || next.op === 'Clip') && next.inputs[0] === t) {
      absorbed.add(next);
      report.fusedActivations.push({ activation: next.name, op: into.op, into: into.name });
      if (next.op === 'Relu')
        return { output: next.outputs[0], attrs: { activation: 'relu', clip_min: 0, clip_max: 0 } };
      const [lo, hi] = clipBounds(next);
      if (lo === 0 && hi >= FLT_MAX)
        return { output: next.outputs[0], attrs: { activation: 'relu', clip_min: 0, clip_max: 0 } };
      return { output: next.outputs[0], attrs: { activation: 'clip', clip_min: lo, clip_max: hi } };
    }
    return { output: t, attrs: { activation: 'none', clip_min: 0, clip_max: 0 } };
  }

  function lowerConv(n: GraphNode): NativeNodeDesc {
    const w = window(n);
    const wName = n.inputs[1];
    const bName = n.inputs[2] ?? '';
    const m = shapeOf(wName)![0];
    // Folded weights and bias are computed lazily, in float64, and only when something was folded.
    let scale: Float64Array | undefined; // per output channel, applied to W and B
    let shift: Float64Array | undefined; // added to B after scaling
    let current = n.outputs[0];
    let residual = '';
    for (;;) {
      const next = soleConsumer(current);
      // A node already fused elsewhere (the other Conv of a residual Add took it) ends the chain.
      if (!next || absorbed.has(next)) break;
      if (next.op === 'BatchNormalization' && next.inputs[0] === current && residual === '') {
        const bn = batchNormAffine(next);
        scale ??= new Float64Array(m).fill(1);
        shift ??= new Float64Array(m);
        for (let i = 0; i < m; i++) {
          scale[i] *= bn.scale[i];
          shift[i] = shift[i] * bn.scale[i] + bn.shift[i];
        }
        absorbed.add(next);
        report.foldedBatchNorms.push({ batchNorm: next.name, into: n.name });
        current = next.outputs[0];
        continue;
      }
      if (next.op === 'Mul' && residual === '') {
        const other = next.inputs[0] === current ? next.inputs[1] : next.inputs[0];
        const ys = shapeOf(next.outputs[0]);
        if (other && isConst(other) && numel(consts.get(other)!.shape) === 1 && sameShape(ys, shapeOf(current))) {
          const s = Number(toFloat32(consts.get(other)!.values())[0]);
          scale ??= new Float64Array(m).fill(1);
          shift ??= new Float64Array(m);
          for (let i = 0; i < m; i++) {
            scale[i] *= s;
            shift[i] *= s;
          }
          absorbed.add(next);
          report.foldedScales.push({ mul: next.name, into: n.name });
          current = next.outputs[0];
          continue;
        }
      }
      if ((next.op === 'Add' || next.op === 'Sum') && residual === '') {
        const ins = next.inputs.filter((i) => i);
        const other = ins.length === 2 ? (ins[0] === current ? ins[1] : ins[0]) : undefined;
        const ys = shapeOf(next.outputs[0]);
        if (other && other !== current && sameShape(shapeOf(other), ys) && sameShape(shapeOf(current), ys)) {
          residual = ref(other);
          absorbed.add(next);
          report.fusedResiduals.push({ add: next.name, into: n.name });
          current = next.outputs[0];
          continue;
        }
      }
      break;
    }
    const act = fuseActivation(n, current);
    let wIn: string;
    let bIn: string;
    if (scale && shift) {
      const wSrc = toFloat32(consts.get(wName)!.values());
      const per = wSrc.length / m;
      const wf = new Float32Array(wSrc.length);
      for (let o = 0; o < m; o++) for (let k = 0; k < per; k++) wf[o * per + k] = wSrc[o * per + k] * scale[o];
      const b0 = bName ? toFloat32(consts.get(bName)!.values()) : undefined;
      const bf = new Float32Array(m);
      for (let o = 0; o < m; o++) bf[o] = (b0 ? b0[o] : 0) * scale[o] + shift[o];
      wIn = addConstant(freshName(`${n.name}.weight_folded`), [...shapeOf(wName)!], wf);
      bIn = addConstant(freshName(`${n.name}.bias_folded`), [m], bf);
    } else {
      wIn = ref(wName);
      bIn = bName ? ref(bName) : '';
    }
    return {
      name: n.name,
      op: 'Conv',
      inputs: [ref(n.inputs[0]), wIn, bIn, residual],
      outputs: [act.output],
      attrs: {
        kernel: w.kernel,
        strides: w.strides,
        pads: w.pads,
        dilations: w.dilations,
        group: attrInt(n, 'group', 1),
        ...act.attrs,
      },
    };
  }

  function lowerSoftmax(n: GraphNode): void {
    const x = n.inputs[0];
    const y = n.outputs[0];
    const shape = shapeOf(x)!;
    const rank = shape.length;
    if (opset >= 13) {
      const axis = attrInt(n, 'axis', -1);
      out.push({
        name: n.name,
        op: 'Softmax',
        inputs: [ref(x)],
        outputs: [y],
        attrs: { axis: axis < 0 ? axis + rank : axis },
      });
      return;
    }
    // Before opset 13: the input is coerced to 2-D at `axis` (default 1) and each row normalized.
    let axis = attrInt(n, 'axis', 1);
    if (axis < 0) axis += rank;
    if (shape.slice(axis + 1).every((d) => d === 1)) {
      // The same as softmax over `axis` alone.
      out.push({ name: n.name, op: 'Softmax', inputs: [ref(x)], outputs: [y], attrs: { axis } });
      return;
    }
    // Run it as Alias to [outer, inner] -> Softmax(axis 1) -> Alias back: no copies, no special case in C++.
    const flat = [numel(shape.slice(0, axis)), numel(shape.slice(axis))];
    const a = freshName(`${n.name}/coerced`);
    const s = freshName(`${n.name}/softmax2d`);
    extraShapes.set(a, flat);
    extraShapes.set(s, flat);
    out.push({ name: `${n.name}/coerce`, op: 'Alias', inputs: [ref(x)], outputs: [a], attrs: {} });
    out.push({ name: n.name, op: 'Softmax', inputs: [a], outputs: [s], attrs: { axis: 1 } });
    out.push({ name: `${n.name}/restore`, op: 'Alias', inputs: [s], outputs: [y], attrs: {} });
  }
}

function sameShape(a: number[] | undefined, b: number[] | undefined): boolean {
  return !!a && !!b && a.length === b.length && a.every((d, i) => d === b[i]);
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

function constantNodeSource(n: GraphNode, shape: number[], dtype: string): ConstSource {
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

/** Kahn's algorithm over lowered nodes, stable (fusion can move a node after the producer of its residual). */
function sortNodes(nodes: NativeNodeDesc[], available: Set<string>): NativeNodeDesc[] {
  const ready = new Set(available);
  const producedBy = new Map<string, NativeNodeDesc>();
  for (const n of nodes) for (const o of n.outputs) producedBy.set(o, n);
  const done = new Set<NativeNodeDesc>();
  const sorted: NativeNodeDesc[] = [];
  const visit = (n: NativeNodeDesc, stack: Set<NativeNodeDesc>) => {
    if (done.has(n)) return;
    if (stack.has(n)) throw new StudioError(`internal: lowering produced a cycle at node '${n.name}'`, 'internal');
    stack.add(n);
    for (const i of n.inputs) {
      if (!i || ready.has(i)) continue;
      const p = producedBy.get(i);
      if (!p)
        throw new StudioError(`internal: lowered node '${n.name}' reads '${i}', which nothing produces`, 'internal');
      visit(p, stack);
    }
    stack.delete(n);
    done.add(n);
    for (const o of n.outputs) ready.add(o);
    sorted.push(n);
  };
  for (const n of nodes) visit(n, new Set());
  return sorted;
}

/** Does not run anything: the names of the operators a graph uses that the native backend lacks. */
export function unsupportedOperators(graph: Graph): string[] {
  const ops = new Set<string>();
  for (const n of graph.nodes) if (n.domain || !ACCEPTED.has(n.op)) ops.add(n.domain ? `${n.domain}.${n.op}` : n.op);
  return [...ops].sort();
}
