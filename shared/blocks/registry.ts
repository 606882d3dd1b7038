// The block catalog (DESIGN.md): adding a block is one file in this folder and one line here.
import { StudioError } from '../ir/types.js';
import type { BlockSpec } from './block-spec.js';
import { basicResidualBlock } from './basic-residual.js';
import { convBlock } from './conv.js';
import { fcVsPointwiseBlock } from './fc-vs-pointwise.js';
import { headFcBlock, headGapBlock } from './head.js';
import { invertedResidualBlock } from './inverted-residual.js';
import { reduceThenConvBlock } from './reduce-then-conv.js';
import { separableBlock } from './separable.js';
import { xceptionMiddleBlock } from './xception-middle.js';
import { bottleneckBlock } from './bottleneck.js';
import { pointwiseBlock } from './pointwise.js';
import { inceptionBlock } from './inception.js';
import { inceptionFactorizedBlock } from './inception-factorized.js';
import { inceptionNaiveBlock } from './inception-naive.js';

export const BLOCKS: readonly BlockSpec[] = [
  convBlock,
  pointwiseBlock,
  fcVsPointwiseBlock,
  basicResidualBlock,
  bottleneckBlock,
  inceptionNaiveBlock,
  inceptionBlock,
  inceptionFactorizedBlock,
  separableBlock,
  xceptionMiddleBlock,
  invertedResidualBlock,
  headGapBlock,
  headFcBlock,
  reduceThenConvBlock,
];

export function findBlock(name: string): BlockSpec | undefined {
  return BLOCKS.find((b) => b.name === name);
}

export function getBlock(name: string): BlockSpec {
  const b = findBlock(name);
  if (!b)
    throw new StudioError(`unknown block '${name}'. Blocks: ${BLOCKS.map((x) => x.name).join(', ')}`, 'unknown-target');
  return b;
}
