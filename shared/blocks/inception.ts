import type { GraphBuilder } from '../graph/builder.js';
import { concat, convUnit, maxPool, type ConvStyle } from '../graph/layers.js';
import { StudioError } from '../ir/types.js';
import {
  buildBlockGraph,
  inputParams,
  num,
  styleFrom,
  styleParams,
  type BlockSpec,
  type ParamSpec,
} from './block-spec.js';

/** Branch widths of a GoogLeNet Inception module, in the paper's table 1 order. */
export interface InceptionWidths {
  b1: number;
  b3Reduce: number;
  b3: number;
  b5Reduce: number;
  b5: number;
  poolProj: number;
}

export interface InceptionOptions extends InceptionWidths {
  /**
   * Kernel of the "5x5" branch: 5 in the paper; torchvision's GoogLeNet uses 3 (a bug kept so
   * that its pretrained weights still load), which makes that branch 25/9 cheaper.
   */
  b5Kernel: number;
  style: ConvStyle;
  /** PyTorch's ceil_mode on the pool branch (torchvision); the same output at stride 1. */
  poolCeil?: boolean;
}

/** GoogLeNet's table 1 widths of inception(3a), on 28x28x192. */
export const INCEPTION_3A: InceptionWidths = { b1: 64, b3Reduce: 96, b3: 128, b5Reduce: 16, b5: 32, poolProj: 32 };

/**
 * The Inception module with dimension reductions (Szegedy et al. 2014, figure 2b): 1x1 convs
 * shrink the channels before the 3x3 and 5x5 convs, and a 1x1 projection after the max pool
 * keeps the pool branch from passing every input channel through.
 */
export function inception(b: GraphBuilder, x: string, o: InceptionOptions): string {
  if (o.b5Kernel % 2 === 0)
    throw new StudioError(
      `inception: parameter 'b5_kernel' must be odd (centered same padding), got ${o.b5Kernel}`,
      'bad-parameter',
    );
  const unit = (input: string, out: number, kernel: number, name: string) =>
    convUnit(b, input, { out, kernel, padding: Math.floor(kernel / 2), name }, o.style, 'relu');
  const br1 = unit(x, o.b1, 1, 'branch1x1');
  const br3 = unit(unit(x, o.b3Reduce, 1, 'branch3x3_reduce'), o.b3, 3, 'branch3x3');
  const br5 = unit(unit(x, o.b5Reduce, 1, 'branch5x5_reduce'), o.b5, o.b5Kernel, 'branch5x5');
  const pooled = maxPool(b, x, { kernel: 3, stride: 1, padding: 1, ceil: o.poolCeil, name: 'branch_pool' });
  const brPool = unit(pooled, o.poolProj, 1, 'branch_pool_proj');
  return concat(b, [br1, br3, br5, brPool], 'concat');
}

const width = (name: string, def: number, what: string): ParamSpec => ({
  name,
  kind: 'int',
  default: def,
  min: 1,
  max: 65536,
  description: what,
});

export const inceptionBlock: BlockSpec = {
  name: 'inception',
  title: 'Inception module (GoogLeNet)',
  description:
    'Inception module with 1x1 reductions before the 3x3 and 5x5 branches and a 1x1 projection after the pool. Defaults: inception(3a) on 28x28x192.',
  seeds: ['000', '003'],
  params: [
    ...inputParams(28, 28, 192),
    width('b1', INCEPTION_3A.b1, '1x1 branch output channels'),
    width('b3_reduce', INCEPTION_3A.b3Reduce, '1x1 reduction before the 3x3'),
    width('b3', INCEPTION_3A.b3, '3x3 branch output channels'),
    width('b5_reduce', INCEPTION_3A.b5Reduce, '1x1 reduction before the 5x5'),
    width('b5', INCEPTION_3A.b5, '5x5 branch output channels'),
    width('pool_proj', INCEPTION_3A.poolProj, '1x1 projection after the 3x3 max pool'),
    {
      name: 'b5_kernel',
      kind: 'int',
      default: 5,
      min: 1,
      max: 15,
      description: 'kernel of the "5x5" branch (paper: 5; torchvision GoogLeNet: 3, a quirk kept for its weights)',
    },
    ...styleParams({ bias: true, batchnorm: false }),
  ],
  build: (p) =>
    buildBlockGraph(
      'inception',
      p,
      (b, x) =>
        inception(b, x, {
          b1: num(p, 'b1'),
          b3Reduce: num(p, 'b3_reduce'),
          b3: num(p, 'b3'),
          b5Reduce: num(p, 'b5_reduce'),
          b5: num(p, 'b5'),
          poolProj: num(p, 'pool_proj'),
          b5Kernel: num(p, 'b5_kernel'),
          style: styleFrom(p),
        }),
      'Inception module with 1x1 reductions (GoogLeNet)',
    ),
};
