import type { GraphBuilder } from '../graph/builder.js';
import { dense, flatten } from '../graph/layers.js';
import { buildBlockGraph, inputParams, num, type BlockSpec } from './block-spec.js';
import { pointwise } from './pointwise.js';

/**
 * Flatten + fully connected: every output unit sees every pixel of every channel, so the
 * weights grow with H x W x C_in x units (14*14*152*512 here), unlike a 1x1 convolution whose
 * C_in x C_out weights are shared across pixels.
 */
export function flattenDense(b: GraphBuilder, x: string, units: number, name = 'fc'): string {
  return dense(b, flatten(b, x, `${name}.flatten`), units, { name });
}

export const fcVsPointwiseBlock: BlockSpec = {
  name: 'fc-vs-pointwise',
  title: 'Fully connected vs 1x1 convolution',
  description:
    'The same 14x14x152 input through flatten + FC (14*14*152*512 weights) or a 1x1 convolution to 64 channels (152*64 weights).',
  seeds: ['000'],
  params: [
    ...inputParams(14, 14, 152),
    {
      name: 'mode',
      kind: 'enum',
      default: 'fc',
      choices: ['fc', 'pointwise'],
      description: 'flatten + fully connected, or 1x1 convolution',
    },
    {
      name: 'units',
      kind: 'int',
      default: 512,
      min: 1,
      max: 65536,
      description: 'units of the fully connected layer (mode=fc)',
      appliesWhen: { param: 'mode', oneOf: ['fc'], why: { pointwise: 'mode=pointwise has no fully connected layer' } },
    },
    {
      name: 'out',
      kind: 'int',
      default: 64,
      min: 1,
      max: 65536,
      description: 'output channels of the 1x1 convolution (mode=pointwise)',
      appliesWhen: { param: 'mode', oneOf: ['pointwise'], why: { fc: 'mode=fc has no 1x1 convolution' } },
    },
  ],
  build: (p) =>
    buildBlockGraph(
      'fc-vs-pointwise',
      p,
      (b, x) => (p.mode === 'fc' ? flattenDense(b, x, num(p, 'units')) : pointwise(b, x, num(p, 'out'))),
      p.mode === 'fc' ? 'Flatten + fully connected layer' : 'Pointwise (1x1) convolution',
    ),
};
