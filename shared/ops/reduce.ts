// Reductions over axes (the mean of squeeze-and-excitation and of global pooling written as
// ReduceMean, the sums and maxima of normalization and attention blocks) and ArgMax/ArgMin.
import type { Shape } from '../ir/types.js';
import {
  attrInt,
  attrInts,
  constInts,
  elements,
  nodeError,
  normAxis,
  requireInput,
  type OpContext,
  type OpSpec,
} from './op-spec.js';

/** Output shape of reducing `shape` over `axes` (all axes when undefined). */
function reducedShape(ctx: OpContext, shape: Shape, axes: number[] | undefined, keepdims: boolean): Shape {
  const norm = new Set((axes ?? shape.map((_, i) => i)).map((a) => normAxis(ctx, a, shape.length)));
  return keepdims ? shape.map((d, i) => (norm.has(i) ? 1 : d)) : shape.filter((_, i) => !norm.has(i));
}

/**
 * A Reduce* operator. Axes are an attribute before opset 18 (ReduceSum: before 13) and an optional
 * input since; no axes reduces everything, unless noop_with_empty_axes asks for the identity.
 * Cost: `perInput` operations per input element (ReduceL2: square and add) plus `perOutput` per
 * output element (ReduceMean's division, ReduceL2's square root, ReduceLogSum's logarithm).
 */
function reduce(op: string, perInput: number, perOutput: number): OpSpec {
  return {
    op,
    infer(ctx) {
      const x = requireInput(ctx, 0, 'data');
      const keepdims = attrInt(ctx.node, 'keepdims', 1) === 1;
      let axes = attrInts(ctx.node, 'axes');
      if (!axes && ctx.inputs[1]) {
        axes = constInts(ctx.constants[1]);
        if (!axes) throw nodeError(ctx, 'its axes input is computed at run time and could not be folded to a constant');
      }
      if ((!axes || axes.length === 0) && attrInt(ctx.node, 'noop_with_empty_axes', 0) === 1)
        return [{ dtype: x.dtype, shape: x.shape }];
      return [{ dtype: x.dtype, shape: reducedShape(ctx, x.shape, axes?.length ? axes : undefined, keepdims) }];
    },
    cost: (ctx, [y]) => ({
      macs: 0,
      elementwise: perInput * elements(ctx.inputs[0]!.shape) + perOutput * elements(y.shape),
    }),
  };
}

export const ReduceMean = reduce('ReduceMean', 1, 1);
export const ReduceSum = reduce('ReduceSum', 1, 0);
export const ReduceMax = reduce('ReduceMax', 1, 0);
export const ReduceMin = reduce('ReduceMin', 1, 0);
export const ReduceProd = reduce('ReduceProd', 1, 0);
export const ReduceL1 = reduce('ReduceL1', 2, 0);
export const ReduceL2 = reduce('ReduceL2', 2, 1);
export const ReduceSumSquare = reduce('ReduceSumSquare', 2, 0);
export const ReduceLogSum = reduce('ReduceLogSum', 1, 1);
export const ReduceLogSumExp = reduce('ReduceLogSumExp', 2, 1);

/** ArgMax/ArgMin (a classifier's top-1): int64 indices along one axis, one comparison per input element. */
function argReduce(op: 'ArgMax' | 'ArgMin'): OpSpec {
  return {
    op,
    infer(ctx) {
      const x = requireInput(ctx, 0, 'data');
      const keepdims = attrInt(ctx.node, 'keepdims', 1) === 1;
      return [{ dtype: 'int64', shape: reducedShape(ctx, x.shape, [attrInt(ctx.node, 'axis', 0)], keepdims) }];
    },
    cost: (ctx) => ({ macs: 0, elementwise: elements(ctx.inputs[0]!.shape) }),
  };
}

export const ArgMax = argReduce('ArgMax');
export const ArgMin = argReduce('ArgMin');
