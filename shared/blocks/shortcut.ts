// The residual join of ResNet's blocks: the block's output plus its input, through a 1x1 projection
// (conv + BN: torchvision's downsample, option B of the paper) when the shapes change or when asked.
import type { GraphBuilder } from '../graph/builder.js';
import { activation, add, convUnit, type ConvStyle } from '../graph/layers.js';
import { paramError } from './conv.js';

export interface ShortcutOptions {
  out: number;
  stride: number;
  /** A 1x1 projection shortcut when shapes change ('auto'), always, or never (identity only). */
  projection: 'auto' | 'always' | 'never';
  style: ConvStyle;
}

/**
 * Whether the shortcut must project; 'never' where an identity cannot hold is the block's
 * parameter error. Call it before building anything, so that the error names the parameter.
 */
export function shortcutProjects(block: string, channels: number, o: ShortcutOptions): boolean {
  const needed = o.stride !== 1 || channels !== o.out;
  if (needed && o.projection === 'never')
    throw paramError(
      block,
      'projection',
      `'never' needs stride 1 and channels == out for an identity shortcut (got stride ${o.stride}, ${channels} -> ${o.out}); use projection=auto`,
    );
  return needed || o.projection === 'always';
}

/** relu(y + shortcut(x)). */
export function residualJoin(b: GraphBuilder, x: string, y: string, project: boolean, o: ShortcutOptions): string {
  const shortcut = project
    ? convUnit(b, x, { out: o.out, kernel: 1, stride: o.stride, padding: 'valid', name: 'shortcut' }, o.style, 'none')
    : x;
  return activation(b, add(b, y, shortcut), 'relu', 'out');
}
