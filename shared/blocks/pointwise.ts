import type { GraphBuilder } from '../graph/builder.js';
import { conv, type ConvStyle, convUnit } from '../graph/layers.js';
import { buildBlockGraph, inputParams, num, type BlockSpec } from './block-spec.js';

/** A 1x1 convolution C_in -> C_out: mixes channels at each pixel, never across pixels. */
export function pointwise(b: GraphBuilder, x: string, out: number, style?: ConvStyle, name = 'pointwise'): string {
  if (!style) return conv(b, x, { out, kernel: 1, padding: 'valid', bias: true, name });
  return convUnit(b, x, { out, kernel: 1, padding: 'valid', name }, style, 'none');
}

export const pointwiseBlock: BlockSpec = {
  name: 'pointwise',
  title: '1x1 convolution',
  description:
    'A 1x1 convolution reducing (or expanding) channels: 14x14x152 -> 14x14x64 costs 152*64 weights (+64 biases).',
  seeds: ['000', '003'],
  params: [
    ...inputParams(14, 14, 152),
    { name: 'out', kind: 'int', default: 64, min: 1, max: 65536, description: 'output channels C_out' },
  ],
  build: (p) =>
    buildBlockGraph('pointwise', p, (b, x) => pointwise(b, x, num(p, 'out')), 'Pointwise (1x1) convolution'),
};
