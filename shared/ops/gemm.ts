import { attrInt, broadcastShapes, elements, nodeError, requireInput, type OpSpec } from './op-spec.js';

export const Gemm: OpSpec = {
  op: 'Gemm',
  weightInputs: [1, 2],
  infer(ctx) {
    const a = requireInput(ctx, 0, 'A');
    const b = requireInput(ctx, 1, 'B');
    if (a.shape.length !== 2 || b.shape.length !== 2)
      throw nodeError(ctx, `A and B must be 2-D, got [${a.shape.join(',')}] and [${b.shape.join(',')}]`);
    const transA = attrInt(ctx.node, 'transA', 0) === 1;
    const transB = attrInt(ctx.node, 'transB', 0) === 1;
    const [m, k] = transA ? [a.shape[1], a.shape[0]] : a.shape;
    const [k2, n] = transB ? [b.shape[1], b.shape[0]] : b.shape;
    if (k !== k2) throw nodeError(ctx, `inner dimensions differ: A gives ${k}, B gives ${k2}`);
    const c = ctx.inputs[2];
    if (c) broadcastShapes(ctx, [[m, n], c.shape]);
    return [{ dtype: a.dtype, shape: [m, n] }];
  },
  cost(ctx, [y]) {
    const a = ctx.inputs[0]!;
    const k = attrInt(ctx.node, 'transA', 0) === 1 ? a.shape[0] : a.shape[1];
    const outElems = elements(y.shape);
    return { macs: outElems * k, elementwise: ctx.inputs[2] ? outElems : 0 };
  },
};

export const MatMul: OpSpec = {
  op: 'MatMul',
  weightInputs: [1],
  infer(ctx) {
    const a = requireInput(ctx, 0, 'A');
    const b = requireInput(ctx, 1, 'B');
    if (a.shape.length === 0 || b.shape.length === 0) throw nodeError(ctx, 'inputs must have rank at least 1');
    const as = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
    const bs = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
    const k = as[as.length - 1];
    if (k !== bs[bs.length - 2])
      throw nodeError(ctx, `inner dimensions differ: [${a.shape.join(',')}] x [${b.shape.join(',')}]`);
    const batch = broadcastShapes(ctx, [as.slice(0, -2), bs.slice(0, -2)]);
    const shape = [...batch];
    if (a.shape.length > 1) shape.push(as[as.length - 2]);
    if (b.shape.length > 1) shape.push(bs[bs.length - 1]);
    return [{ dtype: a.dtype, shape }];
  },
  cost(ctx, [y]) {
    const a = ctx.inputs[0]!;
    return { macs: elements(y.shape) * a.shape[a.shape.length - 1], elementwise: 0 };
  },
};
