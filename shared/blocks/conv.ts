import type { GraphBuilder } from '../graph/builder.js';
import { conv, explicitPads, type ConvOptions, type Padding } from '../graph/layers.js';
import { StudioError } from '../ir/types.js';
import {
  buildBlockGraph,
  inputParams,
  num,
  type BlockSpec,
  type ParamCondition,
  type ParamValues,
} from './block-spec.js';

/** A user error that names the parameter at fault, in resolveParams' wording. */
export function paramError(owner: string, param: string, why: string): StudioError {
  return new StudioError(`${owner}: parameter '${param}' ${why}`, 'bad-parameter');
}

/** Cross-parameter check the ranges of resolveParams cannot express: channels split into groups. */
export function checkGroups(owner: string, channels: number, out: number, groups: number): void {
  if (channels % groups !== 0)
    throw paramError(owner, 'groups', `(${groups}) must divide the input channels ${channels}`);
  if (out % groups !== 0) throw paramError(owner, 'groups', `(${groups}) must divide the output channels 'out' ${out}`);
}

/**
 * Checks that a k x k window (with dilation) fits the padded input, so the user is told which
 * parameter to change instead of getting the Conv node's shape error.
 */
export function checkKernelFits(
  owner: string,
  p: ParamValues,
  kernel: number,
  stride: number,
  dilation: number,
  padding: Padding,
): void {
  const size = [num(p, 'height'), num(p, 'width')];
  const pads = explicitPads(padding, size, kernel, stride, dilation);
  const effective = (kernel - 1) * dilation + 1;
  size.forEach((s, i) => {
    const padded = s + pads[i] + pads[i + 2];
    if (effective > padded)
      throw paramError(
        owner,
        'kernel',
        `(${kernel}${dilation > 1 ? `, dilation ${dilation}` : ''}: a ${effective}-pixel window) is larger than the padded input ${padded} (${i === 0 ? 'height' : 'width'} ${s})`,
      );
  });
}

/** `pad` has an effect only with padding=explicit. */
export const EXPLICIT_PADDING: ParamCondition = {
  param: 'padding',
  oneOf: ['explicit'],
  why: { same: 'padding=same computes the padding', valid: 'padding=valid adds no padding' },
};

/** The padding a user chose: 'same', 'valid', or 'explicit' with `pad` pixels on every side (PyTorch). */
export function paddingFrom(p: ParamValues): Padding {
  return p.padding === 'explicit' ? num(p, 'pad') : (p.padding as 'same' | 'valid');
}

/** A standard k x k convolution (the catalog's reference point for every other block). */
export function standardConv(b: GraphBuilder, x: string, o: ConvOptions): string {
  return conv(b, x, o);
}

export const convBlock: BlockSpec = {
  name: 'conv',
  title: 'Standard convolution',
  description: 'A k x k convolution with stride, padding, dilation, groups and bias; 56x56x64 -> 64, 3x3 by default.',
  seeds: ['000', '001', '002', '003'],
  params: [
    ...inputParams(56, 56, 64),
    { name: 'out', kind: 'int', default: 64, min: 1, max: 65536, description: 'output channels' },
    { name: 'kernel', kind: 'int', default: 3, min: 1, max: 64, description: 'kernel size k (k x k)' },
    { name: 'stride', kind: 'int', default: 1, min: 1, max: 64, description: 'stride' },
    {
      name: 'padding',
      kind: 'enum',
      default: 'same',
      choices: ['same', 'valid', 'explicit'],
      description: "'same' (TensorFlow), 'valid' (none) or 'explicit' (pad pixels on every side)",
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
    { name: 'dilation', kind: 'int', default: 1, min: 1, max: 64, description: 'dilation' },
    {
      name: 'groups',
      kind: 'int',
      default: 1,
      min: 1,
      max: 65536,
      description: 'groups (channels = groups is a depthwise convolution)',
    },
    { name: 'bias', kind: 'bool', default: true, description: 'the convolution has a bias' },
  ],
  build(p) {
    const [kernel, stride, dilation, groups, out] = ['kernel', 'stride', 'dilation', 'groups', 'out'].map((k) =>
      num(p, k),
    );
    const padding = paddingFrom(p);
    checkGroups('conv', num(p, 'channels'), out, groups);
    checkKernelFits('conv', p, kernel, stride, dilation, padding);
    return buildBlockGraph(
      'conv',
      p,
      (b, x) => standardConv(b, x, { out, kernel, stride, padding, dilation, groups, bias: p.bias as boolean }),
      `${kernel}x${kernel} convolution`,
    );
  },
};
