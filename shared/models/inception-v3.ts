import { num, type ParamValues } from '../blocks/block-spec.js';
import { moduleA, moduleB, moduleC, type FactorizedOptions } from '../blocks/inception-factorized.js';
import { GraphBuilder } from '../graph/builder.js';
import {
  avgPool,
  concat,
  convUnit,
  dense,
  dropout,
  flatten,
  globalAvgPool,
  maxPool,
  softmax,
  type ConvStyle,
  type Padding,
  type Pair,
} from '../graph/layers.js';
import { StudioError, type Graph } from '../ir/types.js';
import { modelInputParams, type ModelSpec } from './model-spec.js';

/**
 * Keras' conv2d_bn: Conv2D(use_bias=False) + BatchNormalization(scale=False, epsilon=0.001) +
 * ReLU. Without a learned gamma the BatchNorm has beta (trainable) and the two running
 * statistics (non-trainable). Shared with InceptionResNetV2, which uses the same helper.
 */
export const KERAS_CONV_BN: ConvStyle = { bias: false, bn: { scale: false, epsilon: 1e-3 } };
/** torchvision's BasicConv2d: Conv2d(bias=False) + BatchNorm2d(eps=0.001) (learned gamma) + ReLU. */
const TORCHVISION_CONV_BN: ConvStyle = { bias: false, bn: { scale: true, epsilon: 1e-3 } };

/** The smallest input Keras accepts for InceptionV3 and InceptionResNetV2 (two valid 3x3/2 reductions still fit). */
export const MIN_SIZE = 75;

export type UnitFn = (x: string, out: number, kernel: Pair, name: string, stride?: number, padding?: Padding) => string;

export function unitFn(b: GraphBuilder, style: ConvStyle): UnitFn {
  return (x, out, kernel, name, stride = 1, padding = 'same') =>
    convUnit(b, x, { out, kernel, stride, padding, name }, style, 'relu');
}

/** The stem shared by Inception-v3 and InceptionResNetV2: 299 -> 35x35x192. */
export function inceptionStem(b: GraphBuilder, x: string, unit: UnitFn): string {
  x = unit(x, 32, 3, 'Conv2d_1a_3x3', 2, 'valid');
  x = unit(x, 32, 3, 'Conv2d_2a_3x3', 1, 'valid');
  x = unit(x, 64, 3, 'Conv2d_2b_3x3');
  x = maxPool(b, x, { kernel: 3, stride: 2, name: 'maxpool1' });
  x = unit(x, 80, 1, 'Conv2d_3b_1x1', 1, 'valid');
  x = unit(x, 192, 3, 'Conv2d_4a_3x3', 1, 'valid');
  return maxPool(b, x, { kernel: 3, stride: 2, name: 'maxpool2' });
}

/** Grid reduction 35 -> 17 (Keras mixed3, torchvision Mixed_6a): strided convs beside a max pool. */
function reduction35(b: GraphBuilder, x: string, unit: UnitFn): string {
  const br3 = unit(x, 384, 3, 'branch3x3', 2, 'valid');
  const dbl = unit(
    unit(unit(x, 64, 1, 'branch3x3dbl_reduce'), 96, 3, 'branch3x3dbl_1'),
    96,
    3,
    'branch3x3dbl_2',
    2,
    'valid',
  );
  return concat(b, [br3, dbl, maxPool(b, x, { kernel: 3, stride: 2, name: 'branch_pool' })]);
}

/** Grid reduction 17 -> 8 (Keras mixed8, torchvision Mixed_7a). */
function reduction17(b: GraphBuilder, x: string, unit: UnitFn): string {
  const br3 = unit(unit(x, 192, 1, 'branch3x3_reduce'), 320, 3, 'branch3x3', 2, 'valid');
  let t = unit(x, 192, 1, 'branch7x7x3_reduce');
  t = unit(unit(t, 192, [1, 7], 'branch7x7x3_1x7'), 192, [7, 1], 'branch7x7x3_7x1');
  t = unit(t, 192, 3, 'branch7x7x3_3x3', 2, 'valid');
  return concat(b, [br3, t, maxPool(b, x, { kernel: 3, stride: 2, name: 'branch_pool' })]);
}

/** torchvision's InceptionAux on the 17x17x768 map: 5x5/3 average pool, 1x1 conv 128, 5x5 conv 768, FC. */
function auxHead(b: GraphBuilder, x: string, unit: UnitFn, classes: number, size: number): string {
  const h = b.shapeOf(x)[2];
  if (h < 17)
    throw new StudioError(
      `inception_v3: parameter 'size' ${size} leaves a ${h}x${h} map for the aux head, which needs 17x17 (size >= 299); use aux=false`,
      'bad-parameter',
    );
  let y = avgPool(b, x, { kernel: 5, stride: 3, countIncludePad: true, name: 'pool' });
  y = unit(unit(y, 128, 1, 'conv0'), 768, 5, 'conv1', 1, 'valid');
  return dense(b, flatten(b, globalAvgPool(b, y)), classes, { name: 'fc' });
}

const NOTES: Record<string, string[]> = {
  keras: [
    'keras.applications.InceptionV3: conv2d_bn = Conv2D(use_bias=False) + BatchNormalization(scale=False, eps 0.001), so BatchNorm has no learned gamma.',
    'Pool branches average without counting the zero padding; the top is GAP + Dense(softmax); no auxiliary head.',
  ],
  torchvision: [
    'torchvision.models.inception_v3: BasicConv2d = Conv2d(bias=False) + BatchNorm2d(eps 0.001) with a learned gamma.',
    'Pool branches use avg_pool2d(3, 1, padding=1), which counts the zero padding; dropout 0.5 before the FC; logits out.',
    "transform_input (the pretrained weights' input re-normalization) is not part of the graph.",
  ],
};

function build(variant: string, p: ParamValues): Graph {
  const torchvision = variant === 'torchvision';
  const [size, classes, aux] = [num(p, 'size'), num(p, 'classes'), p.aux as boolean];
  if (size < MIN_SIZE)
    throw new StudioError(`inception_v3: parameter 'size' must be at least ${MIN_SIZE}, got ${size}`, 'bad-parameter');
  if (aux && !torchvision)
    throw new StudioError(
      `inception_v3: parameter 'aux' needs the torchvision variant (Keras' InceptionV3 has no auxiliary head)`,
      'bad-parameter',
    );
  const style = torchvision ? TORCHVISION_CONV_BN : KERAS_CONV_BN;
  const mod: FactorizedOptions = { factorize: true, style, countIncludePad: torchvision };
  const b = new GraphBuilder('inception_v3');
  const unit = unitFn(b, style);
  let x = inceptionStem(b, b.input('input', [num(p, 'batch'), 3, size, size]), unit);
  const stage = (name: string, fn: (input: string) => string) => (x = b.scope(name, () => fn(x)));
  // Names follow torchvision (Mixed_5b = Keras mixed0, ..., Mixed_7c = mixed10).
  stage('Mixed_5b', (i) => moduleA(b, i, { ...mod, poolFeatures: 32 }));
  stage('Mixed_5c', (i) => moduleA(b, i, { ...mod, poolFeatures: 64 }));
  stage('Mixed_5d', (i) => moduleA(b, i, { ...mod, poolFeatures: 64 }));
  stage('Mixed_6a', (i) => reduction35(b, i, unit));
  stage('Mixed_6b', (i) => moduleB(b, i, { ...mod, c7: 128 }));
  stage('Mixed_6c', (i) => moduleB(b, i, { ...mod, c7: 160 }));
  stage('Mixed_6d', (i) => moduleB(b, i, { ...mod, c7: 160 }));
  stage('Mixed_6e', (i) => moduleB(b, i, { ...mod, c7: 192 }));
  const auxOut = aux ? [b.scope('AuxLogits', () => auxHead(b, x, unit, classes, size))] : [];
  stage('Mixed_7a', (i) => reduction17(b, i, unit));
  stage('Mixed_7b', (i) => moduleC(b, i, mod));
  stage('Mixed_7c', (i) => moduleC(b, i, mod));
  x = flatten(b, globalAvgPool(b, x, 'avgpool'));
  if (torchvision) x = dropout(b, x);
  x = dense(b, x, classes, { name: 'fc' });
  if (!torchvision) x = softmax(b, x);
  return b.build([x, ...auxOut], {
    description: `Inception-v3 (${variant} variant)${aux ? ' with the auxiliary classifier' : ''}`,
    variant,
    notes: [...NOTES[variant], ...(aux ? ['Outputs: main logits, then the aux logits (after Mixed_6e).'] : [])],
    source: { kind: 'model', name: 'inception_v3', params: { ...p } },
  });
}

export const inceptionV3: ModelSpec = {
  name: 'inception_v3',
  title: 'Inception-v3',
  family: 'inception',
  variants: ['keras', 'torchvision'],
  defaultVariant: 'keras',
  variantNotes: {
    keras: 'keras.applications.InceptionV3: BatchNorm without gamma (scale=False), no aux head, softmax top.',
    torchvision:
      'torchvision.models.inception_v3: BatchNorm with gamma, pools counting padding, optional aux head (aux=true, as torchvision builds it by default).',
  },
  published: {
    keras: {
      params: 23_851_784,
      trainableParams: 23_817_352,
      source: 'Keras applications: InceptionV3 model.summary()',
    },
    // torchvision builds the aux head by default and its figure counts it (23,834,568 without).
    torchvision: {
      trainableParams: 27_161_264,
      builtWith: { aux: true },
      source: 'torchvision Inception_V3_Weights.IMAGENET1K_V1 num_params (with the aux head)',
    },
  },
  params: [
    ...modelInputParams(299),
    {
      name: 'aux',
      kind: 'bool',
      default: false,
      description: 'torchvision variant: include the auxiliary classifier as a second output',
    },
  ],
  build,
};
