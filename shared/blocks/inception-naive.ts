import type { GraphBuilder } from '../graph/builder.js';
import { concat, convUnit, maxPool, type ConvStyle } from '../graph/layers.js';
import { buildBlockGraph, inputParams, num, styleFrom, styleParams, type BlockSpec } from './block-spec.js';

export interface NaiveInceptionOptions {
  b1: number;
  b3: number;
  b5: number;
  style: ConvStyle;
}

/**
 * The "naive" Inception module (Szegedy et al. 2014, figure 2a): 1x1, 3x3 and 5x5 convolutions
 * and a 3x3 max pool, all on the full input, concatenated. The pool branch passes every input
 * channel through, so the output only grows from module to module; the 3x3 and 5x5 convolutions
 * pay for every input channel. This is what the 1x1 reductions of the real module fix.
 */
export function inceptionNaive(b: GraphBuilder, x: string, o: NaiveInceptionOptions): string {
  const br1 = convUnit(b, x, { out: o.b1, kernel: 1, padding: 'valid', name: 'branch1x1' }, o.style, 'relu');
  const br3 = convUnit(b, x, { out: o.b3, kernel: 3, padding: 'same', name: 'branch3x3' }, o.style, 'relu');
  const br5 = convUnit(b, x, { out: o.b5, kernel: 5, padding: 'same', name: 'branch5x5' }, o.style, 'relu');
  const pool = maxPool(b, x, { kernel: 3, stride: 1, padding: 'same', name: 'branch_pool' });
  return concat(b, [br1, br3, br5, pool], 'concat');
}

export const inceptionNaiveBlock: BlockSpec = {
  name: 'inception-naive',
  title: 'Naive Inception module',
  description:
    'Parallel 1x1, 3x3, 5x5 convolutions and a 3x3 max pool, concatenated, without 1x1 reductions. Defaults: inception(3a) widths on 28x28x192.',
  seeds: ['000', '003'],
  params: [
    ...inputParams(28, 28, 192),
    { name: 'b1', kind: 'int', default: 64, min: 1, max: 65536, description: '1x1 branch output channels' },
    { name: 'b3', kind: 'int', default: 128, min: 1, max: 65536, description: '3x3 branch output channels' },
    { name: 'b5', kind: 'int', default: 32, min: 1, max: 65536, description: '5x5 branch output channels' },
    // The paper's GoogLeNet: convolutions with a bias, no BatchNorm.
    ...styleParams({ bias: true, batchnorm: false }),
  ],
  build: (p) =>
    buildBlockGraph(
      'inception-naive',
      p,
      (b, x) => inceptionNaive(b, x, { b1: num(p, 'b1'), b3: num(p, 'b3'), b5: num(p, 'b5'), style: styleFrom(p) }),
      'Naive Inception module (no 1x1 reductions)',
    ),
};
