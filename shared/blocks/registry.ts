// The block catalog (DESIGN.md): adding a block is one file in this folder and one line here.
import { StudioError } from '../graph/types.js';
import type { BlockSpec } from './block-spec.js';
import { bottleneckBlock } from './bottleneck.js';
import { pointwiseBlock } from './pointwise.js';

export const BLOCKS: readonly BlockSpec[] = [pointwiseBlock, bottleneckBlock];

export function findBlock(name: string): BlockSpec | undefined {
  return BLOCKS.find((b) => b.name === name);
}

export function getBlock(name: string): BlockSpec {
  const b = findBlock(name);
  if (!b) throw new StudioError(`unknown block '${name}'. Blocks: ${BLOCKS.map((x) => x.name).join(', ')}`, 'unknown-target');
  return b;
}
