import type { GraphBuilder } from '../graph/builder.js';
import { conv, convUnit, separableConv, type BatchNormOptions, type Padding } from '../graph/layers.js';
import { buildBlockGraph, inputParams, num, type BlockSpec } from './block-spec.js';

/**
 * 'keras-sepconv': Keras SeparableConv2D, depthwise straight into pointwise with nothing in
 * between (Xception wraps it in ReLU/BN itself). 'mobilenet': MobileNet v1's
 * depthwise -> BN -> ReLU6 -> pointwise -> BN -> ReLU6.
 */
export type SeparableStyle = 'keras-sepconv' | 'mobilenet';

export interface SeparableBlockOptions {
  out: number;
  kernel?: number;
  stride?: number;
  style: SeparableStyle;
  /** 'same' (Keras, the default) or symmetric k // 2 pixels (torchvision). */
  padding?: Padding;
  depthMultiplier?: number;
  /** keras-sepconv only: the single bias after the pointwise part (mobilenet's convs feed BN, no bias). */
  bias?: boolean;
  /** mobilenet only: BatchNorm settings (Keras' default epsilon is 1e-3). */
  bn?: BatchNormOptions;
  name?: string;
}

const noBias = (bn: BatchNormOptions) => ({ bias: false, bn });

/** Depthwise k x k + pointwise 1x1: C*k*k + C*out weights instead of C*k*k*out. */
export function separable(b: GraphBuilder, x: string, o: SeparableBlockOptions): string {
  const name = o.name ?? 'sepconv';
  const kernel = o.kernel ?? 3;
  if (o.style === 'keras-sepconv')
    return separableConv(b, x, {
      out: o.out,
      kernel,
      stride: o.stride,
      padding: o.padding,
      depthMultiplier: o.depthMultiplier,
      bias: o.bias ?? false,
      name,
    });
  const c = b.channels(x);
  const style = noBias(o.bn ?? { epsilon: 1e-3 });
  const dwOpts = {
    out: c * (o.depthMultiplier ?? 1),
    kernel,
    stride: o.stride,
    padding: o.padding ?? 'same',
    groups: c,
  };
  const dw = convUnit(b, x, { ...dwOpts, name: `${name}.depthwise` }, style, 'relu6');
  return convUnit(b, dw, { out: o.out, kernel: 1, padding: 'valid', name: `${name}.pointwise` }, style, 'relu6');
}

/** The standard k x k convolution the separable one replaces, with the same surroundings. */
export function separableBaseline(b: GraphBuilder, x: string, o: SeparableBlockOptions): string {
  const base = {
    out: o.out,
    kernel: o.kernel ?? 3,
    stride: o.stride,
    padding: o.padding ?? 'same',
    name: o.name ?? 'conv',
  };
  if (o.style === 'keras-sepconv') return conv(b, x, { ...base, bias: o.bias ?? false });
  return convUnit(b, x, base, noBias(o.bn ?? { epsilon: 1e-3 }), 'relu6');
}

export const separableBlock: BlockSpec = {
  name: 'separable',
  title: 'Depthwise separable convolution',
  description:
    'Depthwise k x k + pointwise 1x1 (Xception SeparableConv, MobileNet v1) or the standard convolution it replaces; 19x19x728 -> 728, 3x3 by default (Xception middle flow).',
  seeds: ['002'],
  params: [
    ...inputParams(19, 19, 728),
    { name: 'out', kind: 'int', default: 728, min: 1, max: 65536, description: 'output channels' },
    { name: 'kernel', kind: 'int', default: 3, min: 1, max: 31, description: 'depthwise kernel size k' },
    { name: 'stride', kind: 'int', default: 1, min: 1, max: 8, description: 'stride of the depthwise convolution' },
    {
      name: 'depth_multiplier',
      kind: 'int',
      default: 1,
      min: 1,
      max: 64,
      description: 'depthwise outputs per input channel',
    },
    {
      name: 'mode',
      kind: 'enum',
      default: 'separable',
      choices: ['separable', 'standard'],
      description: 'separable, or the standard k x k convolution for comparison',
    },
    {
      name: 'style',
      kind: 'enum',
      default: 'keras-sepconv',
      choices: ['keras-sepconv', 'mobilenet'],
      description:
        'keras-sepconv: nothing between depthwise and pointwise (Xception); mobilenet: BN + ReLU6 after each',
    },
    {
      name: 'bias',
      kind: 'bool',
      default: false,
      description: 'keras-sepconv: a bias after the pointwise convolution (Xception has none)',
      appliesWhen: {
        param: 'style',
        oneOf: ['keras-sepconv'],
        why: { mobilenet: 'style=mobilenet: the convolutions feed BatchNorm and have no bias' },
      },
    },
  ],
  build(p) {
    const o: SeparableBlockOptions = {
      out: num(p, 'out'),
      kernel: num(p, 'kernel'),
      stride: num(p, 'stride'),
      depthMultiplier: num(p, 'depth_multiplier'),
      style: p.style as SeparableStyle,
      bias: p.bias as boolean,
    };
    const standard = p.mode === 'standard';
    return buildBlockGraph(
      'separable',
      p,
      (b, x) => (standard ? separableBaseline(b, x, o) : separable(b, x, o)),
      standard
        ? `Standard ${o.kernel}x${o.kernel} convolution (${o.style} surroundings)`
        : `Depthwise separable convolution (${o.style})`,
    );
  },
};
