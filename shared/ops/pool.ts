import { attrInt, attrInts, elements, nodeError, requireInput, type OpSpec } from './op-spec.js';
import { slidingWindow } from './spatial.js';

function windowPool(op: 'MaxPool' | 'AveragePool'): OpSpec {
  return {
    op,
    infer(ctx) {
      const x = requireInput(ctx, 0, 'X');
      if (x.shape.length < 3) throw nodeError(ctx, `input must be N x C x spatial..., got [${x.shape.join(',')}]`);
      const kernel = attrInts(ctx.node, 'kernel_shape');
      if (!kernel) throw nodeError(ctx, 'attribute kernel_shape is required');
      const win = slidingWindow(ctx, x.shape.slice(2), kernel, ctx.node);
      const shape = [x.shape[0], x.shape[1], ...win.outSpatial];
      const outs = [{ dtype: x.dtype, shape }];
      // MaxPool's optional second output holds the argmax indices.
      if (op === 'MaxPool' && ctx.node.outputs.length > 1 && ctx.node.outputs[1]) outs.push({ dtype: 'int64', shape });
      return outs;
    },
    cost(ctx, [y]) {
      // One comparison (max) or addition (average) per window element per output element;
      // the average's final division is one more operation per output.
      const k = elements(attrInts(ctx.node, 'kernel_shape')!);
      const out = elements(y.shape);
      return { macs: 0, elementwise: out * k + (op === 'AveragePool' ? out : 0) };
    },
  };
}

export const MaxPool = windowPool('MaxPool');
export const AveragePool = windowPool('AveragePool');

function globalPool(op: 'GlobalAveragePool' | 'GlobalMaxPool'): OpSpec {
  return {
    op,
    infer(ctx) {
      const x = requireInput(ctx, 0, 'X');
      if (x.shape.length < 3) throw nodeError(ctx, `input must be N x C x spatial..., got [${x.shape.join(',')}]`);
      return [{ dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)] }];
    },
    cost(ctx, [y]) {
      const inElems = elements(ctx.inputs[0]!.shape);
      return { macs: 0, elementwise: inElems + (op === 'GlobalAveragePool' ? elements(y.shape) : 0) };
    },
  };
}

export const GlobalAveragePool = globalPool('GlobalAveragePool');
export const GlobalMaxPool = globalPool('GlobalMaxPool');

/** Local response normalization (AlexNet, GoogLeNet v1 in Caffe). */
export const LRN: OpSpec = {
  op: 'LRN',
  infer(ctx) {
    const x = requireInput(ctx, 0, 'X');
    if (!ctx.node.attrs.size) throw nodeError(ctx, 'attribute size is required');
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  cost(ctx, [y]) {
    // A sum of `size` squares, then scale, power and divide: size + 3 operations per element.
    return { macs: 0, elementwise: elements(y.shape) * (attrInt(ctx.node, 'size', 1) + 3) };
  },
};
