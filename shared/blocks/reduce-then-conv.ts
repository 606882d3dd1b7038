import type { GraphBuilder } from '../graph/builder.js';
import { conv, type Padding } from '../graph/layers.js';
import { buildBlockGraph, inputParams, num, type BlockSpec } from './block-spec.js';
import { checkKernelFits, EXPLICIT_PADDING, paddingFrom } from './conv.js';

export interface ReduceThenConvOptions {
  out: number;
  kernel: number;
  /** Channels of the 1x1 reduction; 0 = none (the direct k x k convolution). */
  reduce: number;
  padding: Padding;
  bias: boolean;
}

/**
 * k x k conv C -> out, optionally after a 1x1 reduction to `reduce` channels: the weights go
 * from C*out*k*k to C*reduce + reduce*out*k*k (256*256*16 vs 256*64 + 64*256*16, about 3.7x).
 * No activation in between: the comparison is about the convolutions' cost alone.
 */
export function reduceThenConv(b: GraphBuilder, x: string, o: ReduceThenConvOptions): string {
  const y = o.reduce > 0 ? conv(b, x, { out: o.reduce, kernel: 1, padding: 'valid', bias: o.bias, name: 'reduce' }) : x;
  return conv(b, y, { out: o.out, kernel: o.kernel, padding: o.padding, bias: o.bias, name: 'conv' });
}

export const reduceThenConvBlock: BlockSpec = {
  name: 'reduce-then-conv',
  title: 'k x k convolution with or without a 1x1 reduction',
  description:
    'A 4x4 convolution 256 -> 256 directly, or after a 1x1 reduction to 64 (the 3.7x example), on 28x28x256.',
  seeds: ['003'],
  params: [
    ...inputParams(28, 28, 256),
    {
      name: 'mode',
      kind: 'enum',
      default: 'direct',
      choices: ['direct', 'reduced'],
      description: 'k x k directly, or 1x1 reduction first',
    },
    { name: 'out', kind: 'int', default: 256, min: 1, max: 65536, description: 'output channels' },
    {
      name: 'reduce',
      kind: 'int',
      default: 64,
      min: 1,
      max: 65536,
      description: 'channels after the 1x1 reduction (mode=reduced)',
      appliesWhen: { param: 'mode', oneOf: ['reduced'], why: { direct: 'mode=direct has no 1x1 reduction' } },
    },
    { name: 'kernel', kind: 'int', default: 4, min: 1, max: 64, description: 'kernel size k' },
    {
      name: 'padding',
      kind: 'enum',
      default: 'same',
      choices: ['same', 'valid', 'explicit'],
      description: "'same', 'valid' or 'explicit' (pad pixels per side)",
    },
    {
      name: 'pad',
      kind: 'int',
      default: 1,
      min: 0,
      max: 64,
      description: 'pixels of zero padding per side when padding=explicit',
      appliesWhen: EXPLICIT_PADDING,
    },
    {
      name: 'bias',
      kind: 'bool',
      default: false,
      description: 'the convolutions have biases (off: the weight ratio is exact)',
    },
  ],
  build(p) {
    const padding = paddingFrom(p);
    checkKernelFits('reduce-then-conv', p, num(p, 'kernel'), 1, 1, padding);
    const o = {
      out: num(p, 'out'),
      kernel: num(p, 'kernel'),
      reduce: p.mode === 'reduced' ? num(p, 'reduce') : 0,
      padding,
      bias: p.bias as boolean,
    };
    return buildBlockGraph(
      'reduce-then-conv',
      p,
      (b, x) => reduceThenConv(b, x, o),
      o.reduce
        ? `1x1 reduction to ${o.reduce}, then ${o.kernel}x${o.kernel} convolution`
        : `${o.kernel}x${o.kernel} convolution`,
    );
  },
};
