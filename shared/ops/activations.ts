import { attrInt, elements, nodeError, normAxis, requireInput, type OpContext, type OpSpec } from './op-spec.js';

/** A same-shape operator costing `perElement` operations on each element of its output. */
function unary(op: string, perElement: number): OpSpec {
  return {
    op,
    infer(ctx) {
      const x = requireInput(ctx, 0, 'X');
      return [{ dtype: x.dtype, shape: x.shape }];
    },
    cost: (_ctx, [y]) => ({ macs: 0, elementwise: perElement * elements(y.shape) }),
  };
}

export const Relu = unary('Relu', 1);
export const LeakyRelu = unary('LeakyRelu', 1);
export const Sigmoid = unary('Sigmoid', 1);
export const Tanh = unary('Tanh', 1);
export const HardSigmoid = unary('HardSigmoid', 1);
export const HardSwish = unary('HardSwish', 1);
export const Elu = unary('Elu', 1);
export const Exp = unary('Exp', 1);
export const Sqrt = unary('Sqrt', 1);
export const Neg = unary('Neg', 1);
export const Abs = unary('Abs', 1);
export const Erf = unary('Erf', 1);
export const Softplus = unary('Softplus', 1);
export const Softsign = unary('Softsign', 1);
export const Selu = unary('Selu', 1);
export const Celu = unary('Celu', 1);
export const ThresholdedRelu = unary('ThresholdedRelu', 1);

/** Parametric ReLU: the slope is a learned tensor that broadcasts to the input (per channel in CNNs). */
export const PRelu: OpSpec = {
  op: 'PRelu',
  weightInputs: [1],
  infer(ctx) {
    const x = requireInput(ctx, 0, 'X');
    const slope = requireInput(ctx, 1, 'slope');
    // Since opset 7 the slope broadcasts unidirectionally to the input (numpy rules, never back);
    // before, a 1-D slope of C values applied per channel (axis 1), which numpy rules do not express.
    const offset = x.shape.length - slope.shape.length;
    const numpy = offset >= 0 && slope.shape.every((d, i) => d === 1 || d === x.shape[offset + i]);
    const perChannel = slope.shape.length === 1 && x.shape.length > 2 && slope.shape[0] === x.shape[1];
    if (!numpy && !perChannel)
      throw nodeError(ctx, `slope [${slope.shape.join(',')}] does not broadcast to the input [${x.shape.join(',')}]`);
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  cost: (_ctx, [y]) => ({ macs: 0, elementwise: elements(y.shape) }),
};

/** Clip(min, max) is ReLU6 when min = 0, max = 6 (MobileNet). */
export const Clip = unary('Clip', 1);
/** Identity and Dropout move no data at inference (Dropout is the identity there). */
export const Identity = unary('Identity', 0);

export const Dropout: OpSpec = {
  op: 'Dropout',
  infer(ctx: OpContext) {
    const x = requireInput(ctx, 0, 'X');
    const outs = [{ dtype: x.dtype, shape: x.shape }];
    if (ctx.node.outputs.length > 1 && ctx.node.outputs[1]) outs.push({ dtype: 'bool' as const, shape: x.shape });
    return outs;
  },
  cost: () => ({ macs: 0, elementwise: 0 }),
};

function softmaxLike(op: string): OpSpec {
  return {
    op,
    infer(ctx) {
      const x = requireInput(ctx, 0, 'X');
      normAxis(ctx, attrInt(ctx.node, 'axis', -1), x.shape.length);
      return [{ dtype: x.dtype, shape: x.shape }];
    },
    // Per element: subtract the max, exponentiate, add to the sum, divide: 4 operations
    // (plus the max search, 1): 5 per element.
    cost: (_ctx, [y]) => ({ macs: 0, elementwise: 5 * elements(y.shape) }),
  };
}

export const Softmax = softmaxLike('Softmax');
export const LogSoftmax = softmaxLike('LogSoftmax');
