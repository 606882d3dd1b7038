import type { GraphBuilder } from '../graph/builder.js';
import { activation, add, batchNorm, type BatchNormOptions } from '../graph/layers.js';
import { buildBlockGraph, inputParams, type BlockSpec } from './block-spec.js';
import { separable } from './separable.js';

/** Keras' BatchNormalization default epsilon, which Xception keeps. */
export const KERAS_BN: BatchNormOptions = { scale: true, epsilon: 1e-3 };

/**
 * ReLU -> SeparableConv (no bias) -> BN: the unit Xception repeats everywhere; the ReLU comes
 * first because Xception's residual adds happen on pre-activation tensors.
 */
export function reluSepConvBn(
  b: GraphBuilder,
  x: string,
  out: number,
  name: string,
  relu = true,
  bn = KERAS_BN,
): string {
  const y = relu ? activation(b, x, 'relu', `${name}.relu`) : x;
  const s = separable(b, y, { out, style: 'keras-sepconv', bias: false, name });
  return batchNorm(b, s, bn, `${name}.bn`);
}

/** Xception middle-flow unit: 3 x (ReLU -> SeparableConv C -> BN) + identity; C in = C out. */
export function xceptionMiddle(b: GraphBuilder, x: string, o: { bn?: BatchNormOptions } = {}): string {
  const c = b.channels(x);
  let y = x;
  for (let i = 1; i <= 3; i++) y = reluSepConvBn(b, y, c, `sepconv${i}`, true, o.bn);
  return add(b, y, x);
}

export const xceptionMiddleBlock: BlockSpec = {
  name: 'xception-middle',
  title: 'Xception middle-flow unit',
  description: '3 x (ReLU -> SeparableConv -> BN) + identity on 19x19x728 (repeated 8 times in Xception).',
  seeds: ['002'],
  params: [...inputParams(19, 19, 728)],
  build: (p) =>
    buildBlockGraph('xception-middle', p, (b, x) => xceptionMiddle(b, x), 'Xception middle-flow residual unit'),
};
