// One lowering per ONNX operator (default domain) the native backend accepts: how a node of that
// operator becomes native nodes (native/DESIGN.md, "NativeGraphDesc"), or a constant. The table's
// keys are the accepted operators, so adding an operator is one entry here (plus, when some of its
// forms have no kernel, one entry in form-checks.ts).
//
// A lowering runs when the walk (passes/lower-nodes.ts) reaches a node no earlier lowering has
// absorbed; it may absorb nodes after it (Conv and Gemm do: conv-fusion.ts).
import { numel, type GraphNode } from '../../../shared/ir/types.js';
import { attrFloat, attrInt, attrInts } from '../../../shared/ops/op-spec.js';
import type { NativeOp } from './addon.js';
import { batchNormAffineOf, fuseActivation, lowerConv } from './conv-fusion.js';
import { clipBounds, constantNodeSource, windowOf, type LoweringContext, type NativeAttr } from './lowering-context.js';

export type OperatorLowering = (node: GraphNode, ctx: LoweringContext) => void;

/** One output, the same operator natively, no attributes. */
function sameOp(n: GraphNode, ctx: LoweringContext, inputs: string[], op = n.op as NativeOp): void {
  ctx.emit({ name: n.name, op, inputs, outputs: [n.outputs[0]], attrs: {} });
}

/** Relu, Sigmoid, global pools: the first input only. */
const unary: OperatorLowering = (n, ctx) => sameOp(n, ctx, [ctx.ref(n.inputs[0] ?? '')]);

/** Add, Sub, Mul, Div, Sum, Max, Min: the same native operator over every present input. */
const elementwise: OperatorLowering = (n, ctx) => sameOp(n, ctx, n.inputs.filter((i) => i).map(ctx.ref));

/** Reshape-like: the same bytes under another shape. */
const shapeOnly: OperatorLowering = (n, ctx) => {
  const x = n.inputs[0] ?? '';
  const y = n.outputs[0];
  if (ctx.isConst(x)) {
    // A reshape of a constant is a constant: the kernels see it as such (weights get packed).
    const src = ctx.consts.get(x)!;
    ctx.consts.set(y, { shape: ctx.shapeOf(y)!, dtype: src.dtype, values: src.values });
    ctx.report.foldedConstants.push(n.name);
  } else {
    ctx.emit({ name: n.name, op: 'Alias', inputs: [x], outputs: [y], attrs: {} });
    ctx.report.aliases.push(n.name);
  }
};

/** Constant and ConstantOfShape: known now, emitted only where a lowered node reads them. */
const constant: OperatorLowering = (n, ctx) => {
  const y = n.outputs[0];
  ctx.consts.set(y, constantNodeSource(n, ctx.shapeOf(y) ?? [], ctx.dtypeOf(y) ?? 'float32'));
  ctx.report.foldedConstants.push(n.name);
};

const pool: OperatorLowering = (n, ctx) => {
  const w = windowOf(n, ctx);
  const attrs: Record<string, NativeAttr> = {
    kernel: w.kernel,
    strides: w.strides,
    pads: w.pads,
    dilations: w.dilations,
  };
  if (n.op === 'AveragePool') attrs.count_include_pad = attrInt(n, 'count_include_pad', 0);
  ctx.emit({
    name: n.name,
    op: n.op as NativeOp,
    inputs: [ctx.ref(n.inputs[0] ?? '')],
    outputs: [n.outputs[0]],
    attrs,
  });
};

const gemm: OperatorLowering = (n, ctx) => {
  const act = fuseActivation(n, n.outputs[0], ctx);
  ctx.emit({
    name: n.name,
    op: 'Gemm',
    inputs: [ctx.ref(n.inputs[0] ?? ''), ctx.ref(n.inputs[1]), ctx.ref(n.inputs[2] ?? '')],
    outputs: [act.output],
    attrs: {
      transA: attrInt(n, 'transA', 0),
      transB: attrInt(n, 'transB', 0),
      alpha: attrFloat(n, 'alpha', 1),
      beta: attrFloat(n, 'beta', 1),
      ...act.attrs,
    },
  });
};

/** A BatchNormalization no Conv absorbed (conv-fusion.ts): y = x * scale[c] + shift[c]. */
const channelAffine: OperatorLowering = (n, ctx) => {
  const { scale, shift } = batchNormAffineOf(n, ctx);
  const s = ctx.addConstant(ctx.freshName(`${n.name}.scale`), [scale.length], Float32Array.from(scale));
  const b = ctx.addConstant(ctx.freshName(`${n.name}.shift`), [shift.length], Float32Array.from(shift));
  ctx.emit({
    name: n.name,
    op: 'ChannelAffine',
    inputs: [ctx.ref(n.inputs[0] ?? ''), s, b],
    outputs: [n.outputs[0]],
    attrs: {},
  });
  ctx.report.channelAffines.push(n.name);
};

const clip: OperatorLowering = (n, ctx) => {
  const [lo, hi] = clipBounds(n, ctx);
  const x = ctx.ref(n.inputs[0] ?? '');
  ctx.emit({ name: n.name, op: 'Clip', inputs: [x], outputs: [n.outputs[0]], attrs: { min: lo, max: hi } });
};

/** Concat: the axis made non-negative. */
const concat: OperatorLowering = (n, ctx) => {
  const y = n.outputs[0];
  const rank = ctx.shapeOf(y)!.length;
  const axis = attrInt(n, 'axis', 1);
  const inputs = n.inputs.filter((i) => i).map(ctx.ref);
  ctx.emit({ name: n.name, op: 'Concat', inputs, outputs: [y], attrs: { axis: axis < 0 ? axis + rank : axis } });
};

/** Softmax with its opset's semantics made explicit: the kernel normalizes over one axis. */
const softmax: OperatorLowering = (n, ctx) => {
  const x = n.inputs[0];
  const y = n.outputs[0];
  const shape = ctx.shapeOf(x)!;
  const rank = shape.length;
  if (ctx.opset >= 13) {
    const axis = attrInt(n, 'axis', -1);
    ctx.emit({
      name: n.name,
      op: 'Softmax',
      inputs: [ctx.ref(x)],
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
    ctx.emit({ name: n.name, op: 'Softmax', inputs: [ctx.ref(x)], outputs: [y], attrs: { axis } });
    return;
  }
  // Run it as Alias to [outer, inner] -> Softmax(axis 1) -> Alias back: no copies, no special case in C++.
  const flat = [numel(shape.slice(0, axis)), numel(shape.slice(axis))];
  const a = ctx.freshName(`${n.name}/coerced`);
  const s = ctx.freshName(`${n.name}/softmax2d`);
  ctx.extraShapes.set(a, flat);
  ctx.extraShapes.set(s, flat);
  ctx.emit({ name: `${n.name}/coerce`, op: 'Alias', inputs: [ctx.ref(x)], outputs: [a], attrs: {} });
  ctx.emit({ name: n.name, op: 'Softmax', inputs: [a], outputs: [s], attrs: { axis: 1 } });
  ctx.emit({ name: `${n.name}/restore`, op: 'Alias', inputs: [s], outputs: [y], attrs: {} });
};

const lrn: OperatorLowering = (n, ctx) => {
  const attrs = {
    size: attrInt(n, 'size', 1),
    alpha: attrFloat(n, 'alpha', 1e-4),
    beta: attrFloat(n, 'beta', 0.75),
    bias: attrFloat(n, 'bias', 1),
  };
  ctx.emit({ name: n.name, op: 'LRN', inputs: [ctx.ref(n.inputs[0] ?? '')], outputs: [n.outputs[0]], attrs });
};

/** Transpose: ONNX's default permutation (reversed axes) made explicit. */
const transpose: OperatorLowering = (n, ctx) => {
  const x = n.inputs[0] ?? '';
  const rank = ctx.shapeOf(x)!.length;
  const perm = attrInts(n, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  ctx.emit({ name: n.name, op: 'Transpose', inputs: [ctx.ref(x)], outputs: [n.outputs[0]], attrs: { perm } });
};

/**
 * The accepted operators, in the order the refusal message lists them (NATIVE_ONNX_OPS).
 * Conv's entry absorbs a following BatchNormalization, constant Mul, residual Add and Relu/Clip.
 */
export const LOWERINGS: Readonly<Record<string, OperatorLowering>> = {
  Conv: (n, ctx) => ctx.emit(lowerConv(n, ctx)),
  Gemm: gemm,
  MatMul: (n, ctx) => sameOp(n, ctx, [ctx.ref(n.inputs[0] ?? ''), ctx.ref(n.inputs[1])]),
  BatchNormalization: channelAffine,
  Relu: unary,
  Clip: clip,
  Sigmoid: unary,
  Add: elementwise,
  Sub: elementwise,
  Mul: elementwise,
  Div: elementwise,
  Sum: elementwise,
  Max: elementwise,
  Min: elementwise,
  MaxPool: pool,
  AveragePool: pool,
  GlobalAveragePool: unary,
  GlobalMaxPool: unary,
  Concat: concat,
  Flatten: shapeOnly,
  Reshape: shapeOnly,
  Squeeze: shapeOnly,
  Unsqueeze: shapeOnly,
  Dropout: shapeOnly,
  Identity: shapeOnly,
  Softmax: softmax,
  LRN: lrn,
  Transpose: transpose,
  Constant: constant,
  ConstantOfShape: constant,
};

/** The accepted operators (default domain), before lowering. */
export const NATIVE_ONNX_OPS: readonly string[] = Object.keys(LOWERINGS);

/** Operators that only give their first input another shape: Alias (no copy) after lowering. */
export const ALIAS_OPS: ReadonlySet<string> = new Set(NATIVE_ONNX_OPS.filter((op) => LOWERINGS[op] === shapeOnly));
