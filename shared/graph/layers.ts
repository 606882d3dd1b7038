// The layer vocabulary blocks are written in: each function adds the ONNX nodes of one layer
// (with its weights, as lazily generated initializers) and returns the output tensor's name.
import { attr, type GraphBuilder } from './builder.js';
import { StudioError, numel } from '../ir/types.js';

/**
 * 'same': output = ceil(input / stride), padding split as TensorFlow/Keras do (the extra pixel
 * at the end); 'valid': no padding; a number: symmetric padding as in PyTorch; four numbers:
 * [top, left, bottom, right].
 */
export type Padding = 'same' | 'valid' | number | [number, number, number, number];

export type Pair = number | [number, number];

const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

/** ONNX `pads` ([top, left, bottom, right]) for a padding choice on an H x W input. */
export function explicitPads(
  padding: Padding,
  input: number[],
  kernel: Pair,
  stride: Pair,
  dilation: Pair = 1,
): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (typeof padding === 'number') return [padding, padding, padding, padding];
  if (Array.isArray(padding)) return padding;
  const [kh, kw] = pair(kernel);
  const [sh, sw] = pair(stride);
  const [dh, dw] = pair(dilation);
  const split = (size: number, k: number, s: number, d: number): [number, number] => {
    const out = Math.ceil(size / s);
    const total = Math.max(0, (out - 1) * s + (k - 1) * d + 1 - size);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  const [t, bm] = split(input[0], kh, sh, dh);
  const [l, r] = split(input[1], kw, sw, dw);
  return [t, l, bm, r];
}

export interface ConvOptions {
  out: number;
  kernel: Pair;
  stride?: Pair;
  padding?: Padding;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
  name?: string;
}

function positive(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new StudioError(`${what} must be a positive integer, got ${v}`);
}

export function conv(b: GraphBuilder, x: string, o: ConvOptions): string {
  const [kh, kw] = pair(o.kernel);
  const stride = pair(o.stride ?? 1);
  const dilation = pair(o.dilation ?? 1);
  const groups = o.groups ?? 1;
  positive('output channels', o.out);
  positive('kernel size', kh);
  positive('kernel size', kw);
  positive('groups', groups);
  const c = b.channels(x);
  if (c % groups !== 0) throw new StudioError(`input channels ${c} are not divisible by groups ${groups}`);
  if (o.out % groups !== 0) throw new StudioError(`output channels ${o.out} are not divisible by groups ${groups}`);
  const name = o.name ?? 'conv';
  const fanIn = (c / groups) * kh * kw;
  const w = b.param(`${name}.weight`, [o.out, c / groups, kh, kw], { kind: 'he-normal', fanIn });
  const inputs = [x, w];
  if (o.bias ?? true) inputs.push(b.param(`${name}.bias`, [o.out], { kind: 'constant', value: 0 }));
  const pads = explicitPads(o.padding ?? 'same', b.shapeOf(x).slice(2), [kh, kw], stride, dilation);
  return b.op(
    'Conv',
    inputs,
    {
      kernel_shape: attr.ints([kh, kw]),
      strides: attr.ints(stride),
      pads: attr.ints(pads),
      dilations: attr.ints(dilation),
      group: attr.int(groups),
    },
    name,
  );
}

export interface BatchNormOptions {
  /** Keras `scale=False` (Inception-v3, InceptionResNetV2) has no learned gamma: it is a constant 1. */
  scale?: boolean;
  epsilon?: number;
}

export function batchNorm(b: GraphBuilder, x: string, o: BatchNormOptions = {}, name = 'bn'): string {
  const c = b.channels(x);
  const gamma =
    (o.scale ?? true)
      ? b.param(`${name}.gamma`, [c], { kind: 'constant', value: 1 })
      : b.filled(`${name}.gamma`, [c], 1);
  const beta = b.param(`${name}.beta`, [c], { kind: 'constant', value: 0 });
  const mean = b.param(`${name}.running_mean`, [c], { kind: 'constant', value: 0 }, { trainable: false });
  const variance = b.param(`${name}.running_var`, [c], { kind: 'constant', value: 1 }, { trainable: false });
  return b.op('BatchNormalization', [x, gamma, beta, mean, variance], { epsilon: attr.float(o.epsilon ?? 1e-5) }, name);
}

export type Activation = 'relu' | 'relu6' | 'none';

export function activation(b: GraphBuilder, x: string, act: Activation, name?: string): string {
  if (act === 'none') return x;
  if (act === 'relu') return b.op('Relu', [x], {}, name ?? 'relu');
  // ReLU6 is Clip(0, 6); since opset 11 the bounds are inputs, not attributes.
  const lo = b.constant('relu6.min', [0], []);
  const hi = b.constant('relu6.max', [6], []);
  return b.op('Clip', [x, lo, hi], {}, name ?? 'relu6');
}

/** How a model family builds its conv layers: a bias or not, BatchNorm or not (and its scale/epsilon). */
export interface ConvStyle {
  bias: boolean;
  bn: false | BatchNormOptions;
}

/** conv -> (BatchNorm) -> activation, the unit every CNN family repeats. */
export function convUnit(b: GraphBuilder, x: string, o: ConvOptions, style: ConvStyle, act: Activation): string {
  const name = o.name ?? 'conv';
  let y = conv(b, x, { ...o, bias: o.bias ?? style.bias, name });
  if (style.bn) y = batchNorm(b, y, style.bn, `${name}.bn`);
  return activation(b, y, act, `${name}.${act}`);
}

export interface SeparableOptions {
  out: number;
  kernel?: Pair;
  stride?: Pair;
  padding?: Padding;
  depthMultiplier?: number;
  bias?: boolean;
  name?: string;
}

/**
 * Keras SeparableConv2D: a depthwise k x k convolution (one filter per input channel, times the
 * depth multiplier) straight into a pointwise 1x1 convolution, with at most one bias, after the
 * pointwise part.
 */
export function separableConv(b: GraphBuilder, x: string, o: SeparableOptions): string {
  const c = b.channels(x);
  const name = o.name ?? 'sepconv';
  const dm = o.depthMultiplier ?? 1;
  const dw = conv(b, x, {
    out: c * dm,
    kernel: o.kernel ?? 3,
    stride: o.stride,
    padding: o.padding ?? 'same',
    groups: c,
    bias: false,
    name: `${name}.depthwise`,
  });
  return conv(b, dw, { out: o.out, kernel: 1, padding: 'valid', bias: o.bias ?? false, name: `${name}.pointwise` });
}

export interface PoolOptions {
  kernel: Pair;
  stride?: Pair;
  padding?: Padding;
  /** PyTorch's ceil_mode (GoogLeNet in torchvision). */
  ceil?: boolean;
  /** AveragePool only: include the zero padding in the divisor (ONNX count_include_pad). */
  countIncludePad?: boolean;
  name?: string;
}

function pool(b: GraphBuilder, op: 'MaxPool' | 'AveragePool', x: string, o: PoolOptions): string {
  const kernel = pair(o.kernel);
  const stride = pair(o.stride ?? o.kernel);
  const attrs = {
    kernel_shape: attr.ints(kernel),
    strides: attr.ints(stride),
    pads: attr.ints(explicitPads(o.padding ?? 'valid', b.shapeOf(x).slice(2), kernel, stride)),
    ...(o.ceil ? { ceil_mode: attr.int(1) } : {}),
    ...(op === 'AveragePool' ? { count_include_pad: attr.int(o.countIncludePad ? 1 : 0) } : {}),
  };
  return b.op(op, [x], attrs, o.name ?? (op === 'MaxPool' ? 'maxpool' : 'avgpool'));
}

export const maxPool = (b: GraphBuilder, x: string, o: PoolOptions) => pool(b, 'MaxPool', x, o);
export const avgPool = (b: GraphBuilder, x: string, o: PoolOptions) => pool(b, 'AveragePool', x, o);

export function globalAvgPool(b: GraphBuilder, x: string, name = 'gap'): string {
  return b.op('GlobalAveragePool', [x], {}, name);
}

export function flatten(b: GraphBuilder, x: string, name = 'flatten'): string {
  return b.op('Flatten', [x], { axis: attr.int(1) }, name);
}

/** A fully connected layer as Gemm with W stored [out, in] (transB = 1), as PyTorch and ONNX exporters do. */
export function dense(b: GraphBuilder, x: string, units: number, o: { bias?: boolean; name?: string } = {}): string {
  positive('units', units);
  const shape = b.shapeOf(x);
  if (shape.length !== 2) throw new StudioError(`dense layer needs a 2-D input, got [${shape.join(',')}]`, 'internal');
  const name = o.name ?? 'fc';
  const w = b.param(`${name}.weight`, [units, shape[1]], { kind: 'he-normal', fanIn: shape[1] });
  const inputs = [x, w];
  if (o.bias ?? true) inputs.push(b.param(`${name}.bias`, [units], { kind: 'constant', value: 0 }));
  return b.op('Gemm', inputs, { transB: attr.int(1) }, name);
}

export function add(b: GraphBuilder, x: string, y: string, name = 'add'): string {
  return b.op('Add', [x, y], {}, name);
}

/** Multiplies by a fixed scalar (InceptionResNet's residual scale): a constant, not a parameter. */
export function scale(b: GraphBuilder, x: string, factor: number, name = 'scale'): string {
  return b.op('Mul', [x, b.constant(`${name}.factor`, [factor], [])], {}, name);
}

export function concat(b: GraphBuilder, xs: string[], name = 'concat'): string {
  return b.op('Concat', xs, { axis: attr.int(1) }, name);
}

export function softmax(b: GraphBuilder, x: string, name = 'softmax'): string {
  return b.op('Softmax', [x], { axis: attr.int(-1) }, name);
}

export function dropout(b: GraphBuilder, x: string, name = 'dropout'): string {
  return b.op('Dropout', [x], {}, name);
}

export function reshape(b: GraphBuilder, x: string, shape: number[], name = 'reshape'): string {
  return b.op('Reshape', [x, b.constant(`${name}.shape`, shape, [shape.length], 'int64')], {}, name);
}

export { numel };
