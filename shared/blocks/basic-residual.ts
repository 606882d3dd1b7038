import type { GraphBuilder } from '../graph/builder.js';
import { convUnit, type ConvStyle } from '../graph/layers.js';
import { residualJoin, shortcutProjects } from './shortcut.js';
import { buildBlockGraph, inputParams, num, styleFrom, styleParams, type BlockSpec } from './block-spec.js';

export interface BasicResidualOptions {
  out: number;
  /** Carried by the first 3x3 (torchvision BasicBlock, the paper's ResNet-18/34). */
  stride: number;
  /** A 1x1 projection shortcut when shapes change ('auto'), always, or never (identity only). */
  projection: 'auto' | 'always' | 'never';
  style: ConvStyle;
}

/** ResNet-18/34 basic block: 3x3 -> 3x3 plus the (projected) input, then ReLU. */
export function basicResidual(b: GraphBuilder, x: string, o: BasicResidualOptions): string {
  // Checked before building anything, so a bad combination names its parameter, not a node.
  const project = shortcutProjects('basic-residual', b.channels(x), o);
  let y = convUnit(b, x, { out: o.out, kernel: 3, stride: o.stride, padding: 1, name: 'conv1' }, o.style, 'relu');
  y = convUnit(b, y, { out: o.out, kernel: 3, padding: 1, name: 'conv2' }, o.style, 'none');
  return residualJoin(b, x, y, project, o);
}

export const basicResidualBlock: BlockSpec = {
  name: 'basic-residual',
  title: 'ResNet basic block',
  description: 'Two 3x3 convolutions + identity (ResNet-18/34), 56x56x64 -> 64 by default.',
  seeds: ['001'],
  params: [
    ...inputParams(56, 56, 64),
    { name: 'out', kind: 'int', default: 64, min: 1, max: 65536, description: 'output channels' },
    { name: 'stride', kind: 'int', default: 1, min: 1, max: 8, description: 'stride of the first 3x3' },
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
      'basic-residual',
      p,
      (b, x) =>
        basicResidual(b, x, {
          out: num(p, 'out'),
          stride: num(p, 'stride'),
          projection: p.projection as BasicResidualOptions['projection'],
          style: styleFrom(p),
        }),
      'ResNet basic residual block',
    ),
};
