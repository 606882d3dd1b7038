import { num, type ParamValues } from '../blocks/block-spec.js';
import { moduleA } from '../blocks/inception-factorized.js';
import { GraphBuilder } from '../graph/builder.js';
import {
  activation,
  add,
  concat,
  conv,
  dense,
  flatten,
  globalAvgPool,
  maxPool,
  scale,
  softmax,
} from '../graph/layers.js';
import { StudioError, type Graph } from '../ir/types.js';
import { inceptionStem, KERAS_CONV_BN, MIN_SIZE, unitFn, type UnitFn } from './inception-v3.js';
import { modelInputParams, type ModelSpec } from './model-spec.js';

// keras.applications.InceptionResNetV2 (Szegedy et al. 2016, "Inception-v4, Inception-ResNet
// and the Impact of Residual Connections"), with the widths of the released TF-slim model.

/**
 * An Inception-ResNet unit: an Inception-style branch set, concatenated, a linear 1x1 "up"
 * convolution back to the input width (with a bias, no BatchNorm: Keras' conv2d_bn with
 * use_bias=True skips the BatchNorm), scaled by a fixed factor (0.17, 0.1, 0.2) to keep the
 * residual sum stable, added to the input, then ReLU (except after the very last unit).
 */
function residualUnit(b: GraphBuilder, x: string, branches: string[], factor: number, relu: boolean): string {
  const up = conv(b, concat(b, branches, 'mixed'), {
    out: b.channels(x),
    kernel: 1,
    padding: 'valid',
    bias: true,
    name: 'conv_up',
  });
  const y = add(b, x, scale(b, up, factor), 'residual');
  return relu ? activation(b, y, 'relu', 'out') : y;
}

/** Inception-ResNet-A on 35x35x320 (block35). */
function block35(b: GraphBuilder, x: string, unit: UnitFn): string {
  const br0 = unit(x, 32, 1, 'branch_0');
  const br1 = unit(unit(x, 32, 1, 'branch_1_reduce'), 32, 3, 'branch_1_3x3');
  const br2 = unit(unit(unit(x, 32, 1, 'branch_2_reduce'), 48, 3, 'branch_2_3x3a'), 64, 3, 'branch_2_3x3b');
  return residualUnit(b, x, [br0, br1, br2], 0.17, true);
}

/** Inception-ResNet-B on 17x17x1088 (block17): the 7x7 factorized as 1x7 then 7x1. */
function block17(b: GraphBuilder, x: string, unit: UnitFn): string {
  const br0 = unit(x, 192, 1, 'branch_0');
  const br1 = unit(unit(unit(x, 128, 1, 'branch_1_reduce'), 160, [1, 7], 'branch_1_1x7'), 192, [7, 1], 'branch_1_7x1');
  return residualUnit(b, x, [br0, br1], 0.1, true);
}

/** Inception-ResNet-C on 8x8x2080 (block8); the last one has scale 1 and no ReLU. */
function block8(b: GraphBuilder, x: string, unit: UnitFn, last = false): string {
  const br0 = unit(x, 192, 1, 'branch_0');
  const br1 = unit(unit(unit(x, 192, 1, 'branch_1_reduce'), 224, [1, 3], 'branch_1_1x3'), 256, [3, 1], 'branch_1_3x1');
  return residualUnit(b, x, [br0, br1], last ? 1 : 0.2, !last);
}

/** Reduction-A, 35 -> 17 (mixed_6a). */
function reductionA(b: GraphBuilder, x: string, unit: UnitFn): string {
  const br0 = unit(x, 384, 3, 'branch_0', 2, 'valid');
  const br1 = unit(
    unit(unit(x, 256, 1, 'branch_1_reduce'), 256, 3, 'branch_1_3x3a'),
    384,
    3,
    'branch_1_3x3b',
    2,
    'valid',
  );
  return concat(b, [br0, br1, maxPool(b, x, { kernel: 3, stride: 2, name: 'branch_pool' })]);
}

/** Reduction-B, 17 -> 8 (mixed_7a). */
function reductionB(b: GraphBuilder, x: string, unit: UnitFn): string {
  const br0 = unit(unit(x, 256, 1, 'branch_0_reduce'), 384, 3, 'branch_0', 2, 'valid');
  const br1 = unit(unit(x, 256, 1, 'branch_1_reduce'), 288, 3, 'branch_1', 2, 'valid');
  const br2 = unit(unit(unit(x, 256, 1, 'branch_2_reduce'), 288, 3, 'branch_2_3x3a'), 320, 3, 'branch_2', 2, 'valid');
  return concat(b, [br0, br1, br2, maxPool(b, x, { kernel: 3, stride: 2, name: 'branch_pool' })]);
}

function build(_variant: string, p: ParamValues): Graph {
  const [size, classes] = [num(p, 'size'), num(p, 'classes')];
  if (size < MIN_SIZE)
    throw new StudioError(
      `inception_resnet_v2: parameter 'size' must be at least ${MIN_SIZE}, got ${size}`,
      'bad-parameter',
    );
  const b = new GraphBuilder('inception_resnet_v2');
  const unit = unitFn(b, KERAS_CONV_BN);
  let x = inceptionStem(b, b.input('input', [num(p, 'batch'), 3, size, size]), unit);
  const stage = (name: string, fn: (input: string) => string) => (x = b.scope(name, () => fn(x)));
  // mixed_5b is Inception-v3's 35x35 module with a wider 1x1 branch (96) and pool projection 64.
  stage('mixed_5b', (i) =>
    moduleA(b, i, { factorize: true, style: KERAS_CONV_BN, countIncludePad: false, poolFeatures: 64, b1: 96 }),
  );
  for (let i = 1; i <= 10; i++) stage(`block35_${i}`, (input) => block35(b, input, unit));
  stage('mixed_6a', (i) => reductionA(b, i, unit));
  for (let i = 1; i <= 20; i++) stage(`block17_${i}`, (input) => block17(b, input, unit));
  stage('mixed_7a', (i) => reductionB(b, i, unit));
  for (let i = 1; i <= 10; i++) stage(`block8_${i}`, (input) => block8(b, input, unit, i === 10));
  x = unit(x, 1536, 1, 'conv_7b', 1, 'valid');
  x = softmax(b, dense(b, flatten(b, globalAvgPool(b, x, 'avg_pool')), classes, { name: 'predictions' }));
  return b.build([x], {
    description: 'Inception-ResNet-v2 (keras variant)',
    variant: 'keras',
    notes: [
      'keras.applications.InceptionResNetV2: conv2d_bn = Conv2D(use_bias=False) + BatchNormalization(scale=False, eps 0.001) + ReLU.',
      'Each residual unit\'s 1x1 "up" convolution has a bias and no BatchNorm; the residual scale (0.17 / 0.1 / 0.2, 1.0 for the last unit) is a constant multiply, not a parameter.',
      'Top: GAP + Dense(softmax); no auxiliary head.',
    ],
    source: { kind: 'model', name: 'inception_resnet_v2', params: { ...p } },
  });
}

export const inceptionResnetV2: ModelSpec = {
  name: 'inception_resnet_v2',
  title: 'Inception-ResNet-v2',
  family: 'inception',
  variants: ['keras'],
  defaultVariant: 'keras',
  variantNotes: {
    keras:
      'keras.applications.InceptionResNetV2 (the TF-slim release): BatchNorm without gamma, biased linear up-projections, fixed residual scales.',
  },
  published: {
    keras: {
      params: 55_873_736,
      trainableParams: 55_813_192,
      source: 'Keras applications table / InceptionResNetV2 model.summary()',
    },
  },
  params: modelInputParams(299),
  build,
};
