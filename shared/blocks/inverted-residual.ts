import type { GraphBuilder } from '../graph/builder.js';
import { add, convUnit, type BatchNormOptions, type ConvStyle, type Padding } from '../graph/layers.js';
import { buildBlockGraph, inputParams, num, type BlockSpec } from './block-spec.js';

export interface InvertedResidualOptions {
  out: number;
  /** Expansion factor t: the depthwise runs on t x C_in channels; t = 1 has no expand conv. */
  expansion: number;
  stride: number;
  kernel?: number;
  /** Depthwise padding: 'same' (Keras) or k // 2 pixels per side (torchvision). */
  padding?: 'same' | 'symmetric';
  /** Keras uses epsilon 1e-3, torchvision 1e-5; neither has a conv bias (BN follows every conv). */
  bn?: BatchNormOptions;
}

/** MobileNetV2 block: 1x1 expand -> BN ReLU6 -> depthwise -> BN ReLU6 -> linear 1x1 project -> BN (+ x). */
export function invertedResidual(b: GraphBuilder, x: string, o: InvertedResidualOptions): string {
  const c = b.channels(x);
  const kernel = o.kernel ?? 3;
  const style: ConvStyle = { bias: false, bn: o.bn ?? { epsilon: 1e-3 } };
  const padding: Padding = o.padding === 'symmetric' ? Math.floor(kernel / 2) : 'same';
  const hidden = c * o.expansion;
  let y = x;
  if (o.expansion !== 1)
    y = convUnit(b, y, { out: hidden, kernel: 1, padding: 'valid', name: 'expand' }, style, 'relu6');
  y = convUnit(
    b,
    y,
    { out: hidden, kernel, stride: o.stride, padding, groups: hidden, name: 'depthwise' },
    style,
    'relu6',
  );
  // Linear bottleneck: no activation after the projection (a ReLU would destroy information
  // in the low-dimensional space, the paper's argument).
  y = convUnit(b, y, { out: o.out, kernel: 1, padding: 'valid', name: 'project' }, style, 'none');
  return o.stride === 1 && c === o.out ? add(b, y, x) : y;
}

export const invertedResidualBlock: BlockSpec = {
  name: 'inverted-residual',
  title: 'MobileNetV2 inverted residual',
  description:
    '1x1 expand (t) -> depthwise 3x3 -> linear 1x1 project, + identity when stride 1 and C_in = C_out; 56x56x24 -> 24, t = 6 by default.',
  seeds: ['002'],
  params: [
    ...inputParams(56, 56, 24),
    { name: 'out', kind: 'int', default: 24, min: 1, max: 65536, description: 'output channels' },
    {
      name: 'expansion',
      kind: 'int',
      default: 6,
      min: 1,
      max: 64,
      description: 'expansion factor t (1 skips the expand conv)',
    },
    { name: 'stride', kind: 'int', default: 1, min: 1, max: 2, description: 'stride of the depthwise convolution' },
    { name: 'kernel', kind: 'int', default: 3, min: 1, max: 15, description: 'depthwise kernel size' },
  ],
  build: (p) =>
    buildBlockGraph(
      'inverted-residual',
      p,
      (b, x) =>
        invertedResidual(b, x, {
          out: num(p, 'out'),
          expansion: num(p, 'expansion'),
          stride: num(p, 'stride'),
          kernel: num(p, 'kernel'),
        }),
      'MobileNetV2 inverted residual block',
    ),
};
