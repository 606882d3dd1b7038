// Conv and what follows it, lowered as one native Conv: Y = act(conv(X, W', B') + R).
// The native Conv kernel has a fused epilogue (bias, residual, Relu/Clip), and folding a
// BatchNormalization or a constant scale into W and B costs nothing at run time, so the chain a
// Conv's output feeds is absorbed here, node by node, while the walk over the graph
// (passes/lower-nodes.ts) reaches the Conv. Each step runs only where the Conv's result is read
// by that one node and nothing else, so no other reader sees a changed tensor.
import { numel, type GraphNode } from '../../../shared/ir/types.js';
import { batchNormAffine, scaleOutputChannels } from '../../../shared/graph/fold-batchnorm.js';
import { attrFloat, attrInt } from '../../../shared/ops/op-spec.js';
import type { NativeNodeDesc } from './addon.js';
import { clipBounds, FLT_MAX, toFloat32, windowOf, type LoweringContext, type NativeAttr } from './lowering-context.js';

/**
 * The per-output-channel affine map folded into the Conv so far: W' = W * scale, B' = B * scale +
 * shift. Kept in float64 and applied once, so that several folds round only once.
 */
interface ChannelAffine {
  scale: Float64Array;
  shift: Float64Array;
}

/** y = x * scale + shift per channel, from BatchNormalization's constants (computed in float64). */
export function batchNormAffineOf(n: GraphNode, ctx: LoweringContext): ChannelAffine {
  const v = (s: number) => ctx.consts.get(n.inputs[s])!.values() as ArrayLike<number>;
  const [gamma, beta, mean, variance] = [v(1), v(2), v(3), v(4)];
  // As ONNX Runtime computes it: the float32 epsilon added to the float32 variance.
  const epsilon = Math.fround(attrFloat(n, 'epsilon', 1e-5));
  return batchNormAffine({ gamma, beta, mean, variance, epsilon });
}

/**
 * Activation fusion, for Conv and Gemm: a Relu or Clip that alone reads `t` becomes the
 * producer's epilogue. Returns the tensor the fused node writes and its activation attributes.
 */
export function fuseActivation(
  into: GraphNode,
  t: string,
  ctx: LoweringContext,
): { output: string; attrs: Record<string, NativeAttr> } {
  const next = ctx.soleConsumer(t);
  if (next && !ctx.absorbed.has(next) && (next.op === 'Relu' || next.op === 'Clip') && next.inputs[0] === t) {
    ctx.absorbed.add(next);
    ctx.report.fusedActivations.push({ activation: next.name, op: into.op, into: into.name });
    if (next.op === 'Relu') return { output: next.outputs[0], attrs: { activation: 'relu', clip_min: 0, clip_max: 0 } };
    const [lo, hi] = clipBounds(next, ctx);
    if (lo === 0 && hi >= FLT_MAX)
      return { output: next.outputs[0], attrs: { activation: 'relu', clip_min: 0, clip_max: 0 } };
    return { output: next.outputs[0], attrs: { activation: 'clip', clip_min: lo, clip_max: hi } };
  }
  return { output: t, attrs: { activation: 'none', clip_min: 0, clip_max: 0 } };
}

/** What the walk from a Conv's output has absorbed so far. */
interface ConvChain {
  /** The per-output-channel map folded into W and B; undefined while nothing was folded. */
  affine?: ChannelAffine;
  /** The residual input R ('' while none was fused). */
  residual: string;
  /** The last tensor absorbed: the fused Conv writes it (or its activation's output). */
  current: string;
}

/** One kind of node a Conv can absorb: true (and `chain` updated, the report told) when `next` was. */
type ChainStep = (conv: GraphNode, next: GraphNode, chain: ConvChain, m: number, ctx: LoweringContext) => boolean;

/** BatchNormalization folding: the statistics become part of W' and B'. */
const foldBatchNorm: ChainStep = (conv, next, chain, m, ctx) => {
  if (next.op !== 'BatchNormalization' || next.inputs[0] !== chain.current) return false;
  const bn = batchNormAffineOf(next, ctx);
  const affine = (chain.affine ??= identityAffine(m));
  for (let i = 0; i < m; i++) {
    affine.scale[i] *= bn.scale[i];
    affine.shift[i] = affine.shift[i] * bn.scale[i] + bn.shift[i];
  }
  ctx.report.foldedBatchNorms.push({ batchNorm: next.name, into: conv.name });
  return true;
};

/** A Mul by a constant scalar (Inception-ResNet's residual scaling): folded like a BatchNorm. */
const foldScalarMul: ChainStep = (conv, next, chain, m, ctx) => {
  if (next.op !== 'Mul') return false;
  const other = next.inputs[0] === chain.current ? next.inputs[1] : next.inputs[0];
  const ys = ctx.shapeOf(next.outputs[0]);
  if (!other || !ctx.isConst(other) || numel(ctx.consts.get(other)!.shape) !== 1) return false;
  if (!sameShape(ys, ctx.shapeOf(chain.current))) return false;
  const s = Number(toFloat32(ctx.consts.get(other)!.values())[0]);
  const affine = (chain.affine ??= identityAffine(m));
  for (let i = 0; i < m; i++) {
    affine.scale[i] *= s;
    affine.shift[i] *= s;
  }
  ctx.report.foldedScales.push({ mul: next.name, into: conv.name });
  return true;
};

/** Residual-add fusion: a two-input Add (or Sum) of same-shaped tensors becomes the Conv's R. */
const fuseResidualAdd: ChainStep = (conv, next, chain, _m, ctx) => {
  if (next.op !== 'Add' && next.op !== 'Sum') return false;
  const ins = next.inputs.filter((i) => i);
  const other = ins.length === 2 ? (ins[0] === chain.current ? ins[1] : ins[0]) : undefined;
  const ys = ctx.shapeOf(next.outputs[0]);
  if (!other || other === chain.current) return false;
  if (!sameShape(ctx.shapeOf(other), ys) || !sameShape(ctx.shapeOf(chain.current), ys)) return false;
  chain.residual = ctx.ref(other);
  ctx.report.fusedResiduals.push({ add: next.name, into: conv.name });
  return true;
};

const CHAIN_STEPS: readonly ChainStep[] = [foldBatchNorm, foldScalarMul, fuseResidualAdd];

/** A Conv with every node it can absorb: folds, then a residual, then an activation. */
export function lowerConv(n: GraphNode, ctx: LoweringContext): NativeNodeDesc {
  const w = windowOf(n, ctx);
  const wName = n.inputs[1];
  const bName = n.inputs[2] ?? '';
  const m = ctx.shapeOf(wName)![0];
  const chain: ConvChain = { residual: '', current: n.outputs[0] };
  // Nothing folds after the residual: the kernel adds R after B, and W', B' would scale R too.
  while (chain.residual === '') {
    const next = ctx.soleConsumer(chain.current);
    // A node already fused elsewhere (the other Conv of a residual Add took it) ends the chain.
    if (!next || ctx.absorbed.has(next)) break;
    if (!CHAIN_STEPS.some((step) => step(n, next, chain, m, ctx))) break;
    ctx.absorbed.add(next);
    chain.current = next.outputs[0];
  }
  const act = fuseActivation(n, chain.current, ctx);
  let wIn: string;
  let bIn: string;
  if (chain.affine) {
    // Folded weights and bias are computed only when something was folded, rounded to float32 once.
    const { scale, shift } = chain.affine;
    const wf = scaleOutputChannels(toFloat32(ctx.consts.get(wName)!.values()), scale);
    const b0 = bName ? toFloat32(ctx.consts.get(bName)!.values()) : undefined;
    // B' = B * scale + shift (not shared/graph/fold-batchnorm.ts's (B - mean) * scale + beta: the
    // shift composes several folds, and this operation order is what the native backend has
    // always computed).
    const bf = new Float32Array(m);
    for (let o = 0; o < m; o++) bf[o] = (b0 ? b0[o] : 0) * scale[o] + shift[o];
    wIn = ctx.addConstant(ctx.freshName(`${n.name}.weight_folded`), [...ctx.shapeOf(wName)!], wf);
    bIn = ctx.addConstant(ctx.freshName(`${n.name}.bias_folded`), [m], bf);
  } else {
    wIn = ctx.ref(wName);
    bIn = bName ? ctx.ref(bName) : '';
  }
  return {
    name: n.name,
    op: 'Conv',
    inputs: [ctx.ref(n.inputs[0]), wIn, bIn, chain.residual],
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

function identityAffine(m: number): ChannelAffine {
  return { scale: new Float64Array(m).fill(1), shift: new Float64Array(m) };
}

export function sameShape(a: number[] | undefined, b: number[] | undefined): boolean {
  return !!a && !!b && a.length === b.length && a.every((d, i) => d === b[i]);
}
