import { elements, nodeError, requireInput, type OpSpec } from './op-spec.js';

export const BatchNormalization: OpSpec = {
  op: 'BatchNormalization',
  weightInputs: [1, 2, 3, 4],
  // Running mean and variance are statistics, not trained by gradient (Keras: non-trainable).
  nonTrainableInputs: [3, 4],
  infer(ctx) {
    const x = requireInput(ctx, 0, 'X');
    if (x.shape.length < 2) throw nodeError(ctx, `input must be N x C x ..., got [${x.shape.join(',')}]`);
    const c = x.shape[1];
    for (let i = 1; i <= 4; i++) {
      const t = requireInput(ctx, i, ['', 'scale', 'B', 'mean', 'var'][i]);
      if (t.shape.length !== 1 || t.shape[0] !== c)
        throw nodeError(ctx, `input ${i} has shape [${t.shape.join(',')}] but the input has ${c} channels`);
    }
    // Training-mode outputs (running mean/var) are not produced at inference.
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  cost(_ctx, [y]) {
    // At inference BatchNorm folds to y = a * x + b per channel: 2 operations per element.
    return { macs: 0, elementwise: 2 * elements(y.shape) };
  },
};
