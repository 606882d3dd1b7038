import { attrInt, broadcastShapes, elements, nodeError, normAxis, requireInput, type OpSpec } from './op-spec.js';
import { ONNX_DTYPE_BY_CODE } from './shape-ops.js';

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
    // Training-mode outputs, when the node lists them, are per-channel vectors: running mean and
    // variance (opset 14+, training_mode=1), plus saved mean and variance before opset 9.
    const stats = { dtype: ctx.inputs[3]!.dtype, shape: [c] };
    return [{ dtype: x.dtype, shape: x.shape }, ...ctx.node.outputs.slice(1).map(() => stats)];
  },
  cost(_ctx, [y]) {
    // At inference BatchNorm folds to y = a * x + b per channel: 2 operations per element.
    return { macs: 0, elementwise: 2 * elements(y.shape) };
  },
};

/**
 * Statistics computed at inference (unlike BatchNorm's): a mean (1 operation per element), a
 * variance (subtract, square, add: 3), then normalize and scale folded to a * x + b (2): 6.
 */
const NORMALIZE_OPS_PER_ELEMENT = 6;

/** Instance normalization (style transfer, GAN generators): per-sample, per-channel statistics. */
export const InstanceNormalization: OpSpec = {
  op: 'InstanceNormalization',
  weightInputs: [1, 2],
  infer(ctx) {
    const x = requireInput(ctx, 0, 'input');
    if (x.shape.length < 3) throw nodeError(ctx, `input must be N x C x spatial..., got [${x.shape.join(',')}]`);
    const c = x.shape[1];
    for (let i = 1; i <= 2; i++) {
      const t = requireInput(ctx, i, i === 1 ? 'scale' : 'B');
      if (t.shape.length !== 1 || t.shape[0] !== c)
        throw nodeError(ctx, `input ${i} has shape [${t.shape.join(',')}] but the input has ${c} channels`);
    }
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  cost: (_ctx, [y]) => ({ macs: 0, elementwise: NORMALIZE_OPS_PER_ELEMENT * elements(y.shape) }),
};

/**
 * Layer normalization over the axes from `axis` on (ConvNeXt, vision transformers). The optional
 * Mean and InvStdDev outputs keep the leading axes and have 1 for the normalized ones, in the
 * stash_type precision (1 = float32).
 */
export const LayerNormalization: OpSpec = {
  op: 'LayerNormalization',
  weightInputs: [1, 2],
  infer(ctx) {
    const x = requireInput(ctx, 0, 'X');
    requireInput(ctx, 1, 'Scale');
    const rank = x.shape.length;
    const axis = normAxis(ctx, attrInt(ctx.node, 'axis', -1), rank);
    const normalized = x.shape.slice(axis);
    for (const i of [1, 2]) {
      const t = ctx.inputs[i];
      if (t && broadcastShapes(ctx, [normalized, t.shape]).length !== normalized.length)
        throw nodeError(ctx, `input ${i} [${t.shape.join(',')}] does not broadcast to [${normalized.join(',')}]`);
    }
    const stashCode = attrInt(ctx.node, 'stash_type', 1);
    const stash = ONNX_DTYPE_BY_CODE[stashCode];
    if (!stash) throw nodeError(ctx, `unsupported stash_type ${stashCode}`);
    const stats = { dtype: stash, shape: x.shape.map((d, i) => (i < axis ? d : 1)) };
    return [{ dtype: x.dtype, shape: x.shape }, ...ctx.node.outputs.slice(1).map(() => stats)];
  },
  cost: (_ctx, [y]) => ({ macs: 0, elementwise: NORMALIZE_OPS_PER_ELEMENT * elements(y.shape) }),
};
