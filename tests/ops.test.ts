// Shape inference per operator, one table of cases (good and bad), following the ONNX spec.
import { describe, expect, it } from 'vitest';
import { attr } from '../shared/graph/builder.js';
import type { AttrValue, TensorData, TensorInfo } from '../shared/ir/types.js';
import { opSpec, supportedOps } from '../shared/ops/registry.js';

interface Case {
  name: string;
  op: string;
  inputs: number[][];
  attrs?: Record<string, AttrValue>;
  constants?: (TensorData | undefined)[];
  outputs?: number;
  expect?: number[];
  error?: RegExp;
  macs?: number;
}

const i64 = (...v: number[]) => BigInt64Array.from(v.map(BigInt));

const cases: Case[] = [
  {
    name: 'conv 3x3 pad 1',
    op: 'Conv',
    inputs: [
      [1, 3, 224, 224],
      [64, 3, 3, 3],
    ],
    attrs: { pads: attr.ints([1, 1, 1, 1]) },
    expect: [1, 64, 224, 224],
    macs: 224 * 224 * 64 * 27,
  },
  {
    name: 'conv 7x7 stride 2 pad 3',
    op: 'Conv',
    inputs: [
      [1, 3, 224, 224],
      [64, 3, 7, 7],
    ],
    attrs: { strides: attr.ints([2, 2]), pads: attr.ints([3, 3, 3, 3]) },
    expect: [1, 64, 112, 112],
  },
  {
    name: 'conv SAME_UPPER stride 2',
    op: 'Conv',
    inputs: [
      [1, 8, 15, 15],
      [8, 8, 3, 3],
    ],
    attrs: { auto_pad: attr.string('SAME_UPPER'), strides: attr.ints([2, 2]) },
    expect: [1, 8, 8, 8],
  },
  {
    name: 'conv SAME_LOWER',
    op: 'Conv',
    inputs: [
      [1, 8, 10, 10],
      [8, 8, 4, 4],
    ],
    attrs: { auto_pad: attr.string('SAME_LOWER') },
    expect: [1, 8, 10, 10],
  },
  {
    name: 'conv VALID',
    op: 'Conv',
    inputs: [
      [1, 8, 10, 10],
      [8, 8, 3, 3],
    ],
    attrs: { auto_pad: attr.string('VALID'), strides: attr.ints([2, 2]) },
    expect: [1, 8, 4, 4],
  },
  {
    name: 'conv dilation 2',
    op: 'Conv',
    inputs: [
      [1, 4, 10, 10],
      [4, 4, 3, 3],
    ],
    attrs: { dilations: attr.ints([2, 2]) },
    expect: [1, 4, 6, 6],
  },
  {
    name: 'conv depthwise',
    op: 'Conv',
    inputs: [
      [1, 32, 8, 8],
      [32, 1, 3, 3],
    ],
    attrs: { group: attr.int(32), pads: attr.ints([1, 1, 1, 1]) },
    expect: [1, 32, 8, 8],
    macs: 32 * 64 * 9,
  },
  {
    name: 'conv asymmetric 1x7',
    op: 'Conv',
    inputs: [
      [1, 4, 17, 17],
      [4, 4, 1, 7],
    ],
    attrs: { pads: attr.ints([0, 3, 0, 3]) },
    expect: [1, 4, 17, 17],
  },
  {
    name: 'conv channels not divisible by group',
    op: 'Conv',
    inputs: [
      [1, 6, 8, 8],
      [4, 3, 3, 3],
    ],
    attrs: { group: attr.int(4) },
    error: /not divisible by group 4/,
  },
  {
    name: 'conv weight/input channel mismatch',
    op: 'Conv',
    inputs: [
      [1, 6, 8, 8],
      [4, 3, 3, 3],
    ],
    error: /expects 3 input channels/,
  },
  {
    name: 'conv kernel larger than padded input',
    op: 'Conv',
    inputs: [
      [1, 3, 4, 4],
      [8, 3, 7, 7],
    ],
    attrs: { pads: attr.ints([1, 1, 1, 1]) },
    error: /larger than the padded input 6/,
  },
  {
    name: 'conv bad auto_pad',
    op: 'Conv',
    inputs: [
      [1, 3, 4, 4],
      [8, 3, 3, 3],
    ],
    attrs: { auto_pad: attr.string('SIDEWAYS') },
    error: /unknown auto_pad/,
  },
  {
    name: 'gemm transB',
    op: 'Gemm',
    inputs: [[2, 2048], [1000, 2048], [1000]],
    attrs: { transB: attr.int(1) },
    expect: [2, 1000],
    macs: 2 * 1000 * 2048,
  },
  {
    name: 'gemm mismatch',
    op: 'Gemm',
    inputs: [
      [2, 100],
      [1000, 2048],
    ],
    attrs: { transB: attr.int(1) },
    error: /inner dimensions differ/,
  },
  {
    name: 'matmul batched',
    op: 'MatMul',
    inputs: [
      [4, 3, 5],
      [5, 7],
    ],
    expect: [4, 3, 7],
    macs: 4 * 3 * 7 * 5,
  },
  {
    name: 'maxpool 3x3/2 floor',
    op: 'MaxPool',
    inputs: [[1, 64, 112, 112]],
    attrs: { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]) },
    expect: [1, 64, 56, 56],
  },
  {
    name: 'maxpool ceil_mode (GoogLeNet)',
    op: 'MaxPool',
    inputs: [[1, 64, 112, 112]],
    attrs: { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), ceil_mode: attr.int(1) },
    expect: [1, 64, 56, 56],
  },
  {
    name: 'maxpool ceil_mode 28 -> 14',
    op: 'MaxPool',
    inputs: [[1, 8, 28, 28]],
    attrs: { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), ceil_mode: attr.int(1) },
    expect: [1, 8, 14, 14],
  },
  {
    name: 'maxpool indices output',
    op: 'MaxPool',
    inputs: [[1, 8, 8, 8]],
    attrs: { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) },
    outputs: 2,
    expect: [1, 8, 4, 4],
  },
  { name: 'maxpool without kernel', op: 'MaxPool', inputs: [[1, 8, 8, 8]], error: /kernel_shape is required/ },
  {
    name: 'avgpool count_include_pad',
    op: 'AveragePool',
    inputs: [[1, 8, 35, 35]],
    attrs: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]), count_include_pad: attr.int(1) },
    expect: [1, 8, 35, 35],
  },
  { name: 'global average pool', op: 'GlobalAveragePool', inputs: [[2, 2048, 7, 7]], expect: [2, 2048, 1, 1] },
  {
    name: 'batchnorm',
    op: 'BatchNormalization',
    inputs: [[1, 16, 4, 4], [16], [16], [16], [16]],
    expect: [1, 16, 4, 4],
  },
  {
    name: 'batchnorm wrong channels',
    op: 'BatchNormalization',
    inputs: [[1, 16, 4, 4], [8], [8], [8], [8]],
    error: /has 16 channels/,
  },
  { name: 'relu', op: 'Relu', inputs: [[1, 3, 2, 2]], expect: [1, 3, 2, 2] },
  { name: 'clip (ReLU6)', op: 'Clip', inputs: [[1, 3, 2, 2], [], []], expect: [1, 3, 2, 2] },
  {
    name: 'add broadcast',
    op: 'Add',
    inputs: [
      [1, 64, 8, 8],
      [64, 1, 1],
    ],
    expect: [1, 64, 8, 8],
  },
  {
    name: 'add incompatible',
    op: 'Add',
    inputs: [
      [1, 64, 8, 8],
      [1, 32, 8, 8],
    ],
    error: /cannot be broadcast/,
  },
  { name: 'mul scalar', op: 'Mul', inputs: [[1, 4, 2, 2], []], expect: [1, 4, 2, 2] },
  {
    name: 'concat channels',
    op: 'Concat',
    inputs: [
      [1, 64, 28, 28],
      [1, 128, 28, 28],
      [1, 32, 28, 28],
    ],
    attrs: { axis: attr.int(1) },
    expect: [1, 224, 28, 28],
  },
  {
    name: 'concat spatial mismatch',
    op: 'Concat',
    inputs: [
      [1, 64, 28, 28],
      [1, 64, 14, 14],
    ],
    attrs: { axis: attr.int(1) },
    error: /differs/,
  },
  { name: 'flatten', op: 'Flatten', inputs: [[2, 512, 7, 7]], expect: [2, 25088] },
  {
    name: 'reshape with -1 and 0',
    op: 'Reshape',
    inputs: [[2, 512, 7, 7], [2]],
    constants: [undefined, i64(0, -1)],
    expect: [2, 25088],
  },
  {
    name: 'reshape wrong size',
    op: 'Reshape',
    inputs: [[2, 3], [1]],
    constants: [undefined, i64(5)],
    error: /cannot reshape/,
  },
  { name: 'reshape non-constant shape', op: 'Reshape', inputs: [[2, 3], [1]], error: /could not be folded/ },
  { name: 'softmax', op: 'Softmax', inputs: [[1, 1000]], expect: [1, 1000] },
  {
    name: 'softmax bad axis',
    op: 'Softmax',
    inputs: [[1, 1000]],
    attrs: { axis: attr.int(3) },
    error: /axis 3 is out of range/,
  },
  { name: 'dropout', op: 'Dropout', inputs: [[1, 10]], expect: [1, 10] },
  { name: 'LRN', op: 'LRN', inputs: [[1, 96, 55, 55]], attrs: { size: attr.int(5) }, expect: [1, 96, 55, 55] },
  {
    name: 'transpose',
    op: 'Transpose',
    inputs: [[1, 2, 3, 4]],
    attrs: { perm: attr.ints([0, 2, 3, 1]) },
    expect: [1, 3, 4, 2],
  },
  {
    name: 'unsqueeze (attr)',
    op: 'Unsqueeze',
    inputs: [[3, 4]],
    attrs: { axes: attr.ints([0, 3]) },
    expect: [1, 3, 4, 1],
  },
  {
    name: 'constant of shape',
    op: 'ConstantOfShape',
    inputs: [[4]],
    constants: [i64(64, 3, 7, 7)],
    expect: [64, 3, 7, 7],
  },
];

describe('operator shape inference', () => {
  for (const c of cases)
    it(c.name, () => {
      const spec = opSpec(c.op)!;
      expect(spec).toBeDefined();
      const node = {
        name: 'n',
        op: c.op,
        domain: '',
        inputs: c.inputs.map((_, i) => `i${i}`),
        outputs: Array.from({ length: c.outputs ?? 1 }, (_, i) => `o${i}`),
        attrs: c.attrs ?? {},
      };
      const inputs: TensorInfo[] = c.inputs.map((shape, i) => ({ name: `i${i}`, dtype: 'float32', shape }));
      const ctx = { node, inputs, constants: c.constants ?? [] };
      if (c.error) {
        expect(() => spec.infer(ctx)).toThrow(c.error);
        expect(() => spec.infer(ctx)).toThrow(/node 'n'/);
        return;
      }
      const outs = spec.infer(ctx);
      expect(outs[0].shape).toEqual(c.expect);
      expect(outs).toHaveLength(c.outputs ?? 1);
      if (c.macs !== undefined) expect(spec.cost!(ctx, outs).macs).toBe(c.macs);
    });

  it('covers every operator the catalog needs', () => {
    const needed = [
      'Conv',
      'Gemm',
      'MatMul',
      'Relu',
      'Clip',
      'Add',
      'Mul',
      'BatchNormalization',
      'MaxPool',
      'AveragePool',
      'GlobalAveragePool',
      'Concat',
      'Flatten',
      'Reshape',
      'Softmax',
      'Dropout',
    ];
    expect(supportedOps()).toEqual(expect.arrayContaining(needed));
  });
});
