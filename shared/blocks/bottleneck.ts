import type { GraphBuilder } from '../graph/builder.js';
import { convUnit, type ConvStyle } from '../graph/layers.js';
import { residualJoin, shortcutProjects } from './shortcut.js';
import { buildBlockGraph, inputParams, num, styleFrom, styleParams, type BlockSpec } from './block-spec.js';

export interface BottleneckOptions {
  /** Width of the 1x1-reduced middle (64 in ResNet's conv2_x). */
  width: number;
  /** Output channels after the 1x1 expansion (4 x width in ResNet). */
  out: number;
  stride: number;
  /**
   * Where a stride-2 block downsamples: on the first 1x1 (original paper, Caffe, Keras) or on
   * the 3x3 (torchvision's "ResNet v1.5", which costs more MACs and scores higher).
   */
  strideOn: '1x1' | '3x3';
  /** A 1x1 projection shortcut when shapes change ('auto'), always, or never (identity only). */
  projection: 'auto' | 'always' | 'never';
  style: ConvStyle;
}

/** ResNet bottleneck: 1x1 reduce -> 3x3 -> 1x1 expand, plus the (projected) input, then ReLU. */
export function bottleneck(b: GraphBuilder, x: string, o: BottleneckOptions): string {
  const project = shortcutProjects('bottleneck', b.channels(x), o);
  const s1 = o.strideOn === '1x1' ? o.stride : 1;
  const s3 = o.strideOn === '3x3' ? o.stride : 1;
  let y = convUnit(b, x, { out: o.width, kernel: 1, stride: s1, padding: 'valid', name: 'conv1' }, o.style, 'relu');
  y = convUnit(b, y, { out: o.width, kernel: 3, stride: s3, padding: 1, name: 'conv2' }, o.style, 'relu');
  y = convUnit(b, y, { out: o.out, kernel: 1, padding: 'valid', name: 'conv3' }, o.style, 'none');
  return residualJoin(b, x, y, project, o);
}

export const bottleneckBlock: BlockSpec = {
  name: 'bottleneck',
  title: 'ResNet bottleneck',
  description: '1x1 reduce -> 3x3 -> 1x1 expand + identity (ResNet-50/101/152), 56x56x256 with width 64 by default.',
  seeds: ['001'],
  params: [
    ...inputParams(56, 56, 256),
    {
      name: 'mid',
      kind: 'int',
      default: 64,
      min: 1,
      max: 65536,
      description: 'channels of the reduced middle (the bottleneck width)',
    },
    { name: 'out', kind: 'int', default: 256, min: 1, max: 65536, description: 'output channels' },
    { name: 'stride', kind: 'int', default: 1, min: 1, max: 8, description: 'stride of the block' },
    {
      name: 'stride_on',
      kind: 'enum',
      default: '1x1',
      choices: ['1x1', '3x3'],
      description: 'which conv carries the stride (Keras/paper: 1x1, torchvision: 3x3)',
      appliesWhen: { param: 'stride', above: 1, why: { '1': 'stride=1: no convolution is strided' } },
    },
    {
      name: 'projection',
      kind: 'enum',
      default: 'auto',
      choices: ['auto', 'always', 'never'],
      description: 'projection shortcut',
    },
    ...styleParams({ bias: false, batchnorm: true }),
  ],
  build: (p) =>
    buildBlockGraph(
      'bottleneck',
      p,
      (b, x) =>
        bottleneck(b, x, {
          width: num(p, 'mid'),
          out: num(p, 'out'),
          stride: num(p, 'stride'),
          strideOn: p.stride_on as '1x1' | '3x3',
          projection: p.projection as BottleneckOptions['projection'],
          style: styleFrom(p),
        }),
      'ResNet bottleneck block',
    ),
};
