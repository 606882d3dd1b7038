// Folding an inference-mode BatchNormalization into the convolution before it: the arithmetic
// both the native lowering (main/backends/native) and the int8 pre-processing
// (shared/precision/int8.ts) need, written once. Pure numbers: no graph, no ONNX, no I/O.
//
// Precision is part of the contract: every intermediate is a float64 (JS number), the folded
// tensors are rounded to float32 once, at the end. Callers rely on bit-identical results, so the
// operation order below must not change.

/** The four per-channel vectors of a BatchNormalization and its epsilon. */
export interface BatchNormStatistics {
  gamma: ArrayLike<number>;
  beta: ArrayLike<number>;
  mean: ArrayLike<number>;
  variance: ArrayLike<number>;
  /**
   * Added to the variance as given: the caller decides its precision (the native lowering passes
   * Math.fround(epsilon), as ONNX Runtime adds the float32 epsilon; int8 passes the attribute).
   */
  epsilon: number;
}

/** scale[c] = gamma[c] / sqrt(variance[c] + epsilon), in float64, for `channels` channels. */
export function batchNormScale(
  gamma: ArrayLike<number>,
  variance: ArrayLike<number>,
  epsilon: number,
  channels = gamma.length,
): Float64Array {
  const scale = new Float64Array(channels);
  for (let c = 0; c < channels; c++) scale[c] = gamma[c] / Math.sqrt(variance[c] + epsilon);
  return scale;
}

/**
 * The BatchNormalization as y = x * scale[c] + shift[c], shift[c] = beta[c] - mean[c] * scale[c]
 * (float64): the form the native lowering composes with other per-channel scalings and runs as
 * ChannelAffine when there is no Conv to fold into.
 */
export function batchNormAffine(bn: BatchNormStatistics): { scale: Float64Array; shift: Float64Array } {
  const scale = batchNormScale(bn.gamma, bn.variance, bn.epsilon);
  const shift = new Float64Array(scale.length);
  for (let c = 0; c < scale.length; c++) shift[c] = bn.beta[c] - bn.mean[c] * scale[c];
  return { scale, shift };
}

/**
 * W'[o, ...] = W[o, ...] * scale[o]: every weight of output channel o (the first axis, ONNX Conv's
 * M x C/group x kH x kW layout) times that channel's scale, rounded to float32.
 */
export function scaleOutputChannels(weights: ArrayLike<number>, scale: ArrayLike<number>): Float32Array {
  const channels = scale.length;
  const per = weights.length / channels;
  const out = new Float32Array(weights.length);
  for (let o = 0; o < channels; o++) for (let k = 0; k < per; k++) out[o * per + k] = weights[o * per + k] * scale[o];
  return out;
}

/**
 * Conv(W, b) followed by BatchNormalization as one Conv(W', b'):
 * scale = gamma / sqrt(variance + epsilon), W' = W * scale per output channel,
 * b' = (b - mean) * scale + beta, for the `channels` output channels (W's first dimension).
 */
export function foldBatchNorm(
  weights: ArrayLike<number>,
  bias: ArrayLike<number>,
  bn: BatchNormStatistics,
  channels: number,
): { weights: Float32Array; bias: Float32Array } {
  const scale = batchNormScale(bn.gamma, bn.variance, bn.epsilon, channels);
  const folded = new Float32Array(channels);
  for (let c = 0; c < channels; c++) folded[c] = (bias[c] - bn.mean[c]) * scale[c] + bn.beta[c];
  return { weights: scaleOutputChannels(weights, scale), bias: folded };
}
