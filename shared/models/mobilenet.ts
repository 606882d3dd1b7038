// MobileNet v1 (Howard et al. 2017) from the catalog's separable block in its 'mobilenet' style,
// and MobileNetV2 (Sandler et al. 2018) from the inverted-residual block; both end in the head block.
import { num, type ParamSpec, type ParamValues } from '../blocks/block-spec.js';
import { classifierHead } from '../blocks/head.js';
import { invertedResidual } from '../blocks/inverted-residual.js';
import { separable } from '../blocks/separable.js';
import { GraphBuilder } from '../graph/builder.js';
import { convUnit, type BatchNormOptions, type ConvStyle, type Padding } from '../graph/layers.js';
import { StudioError, type Graph } from '../ir/types.js';
import { modelInputParams, type ModelSpec, checkVariant } from './model-spec.js';

const alphaParam: ParamSpec = {
  name: 'alpha',
  kind: 'float',
  default: 1.0,
  min: 0.1,
  max: 4,
  description: 'width multiplier: every layer\'s channels scaled by alpha (Keras "alpha", torchvision "width_mult")',
};

const KERAS_BN: BatchNormOptions = { scale: true, epsilon: 1e-3 };
const TORCH_BN: BatchNormOptions = { scale: true, epsilon: 1e-5 };
/** Keras MobileNet v1 pads stride-2 layers with ZeroPadding2D(((0, 1), (0, 1))) then a 'valid' conv. */
const KERAS_V1_DOWN: Padding = [0, 0, 1, 1];

function input(name: string, p: ParamValues): [GraphBuilder, string] {
  const b = new GraphBuilder(name);
  return [b, b.input('input', [num(p, 'batch'), 3, num(p, 'size'), num(p, 'size')])];
}

/** (pointwise filters, stride) of the 13 depthwise separable layers of Table 1. */
const V1_LAYERS: [number, number][] = [
  [64, 1],
  [128, 2],
  [128, 1],
  [256, 2],
  [256, 1],
  [512, 2],
  [512, 1],
  [512, 1],
  [512, 1],
  [512, 1],
  [512, 1],
  [1024, 2],
  [1024, 1],
];

const V1_NOTE =
  "keras.applications.MobileNet: conv/depthwise/pointwise without bias, each followed by BN (epsilon 1e-3) and ReLU6; stride-2 layers zero-pad bottom/right; head GAP -> dropout -> 1x1 conv with bias -> reshape -> softmax. torchvision has no MobileNet v1; the paper's avg pool + FC head has the same weights.";

function buildV1(p: ParamValues): Graph {
  const alpha = num(p, 'alpha');
  const width = (c: number) => Math.trunc(c * alpha); // Keras: int(filters * alpha)
  if (width(32) < 1)
    throw new StudioError(`mobilenet_v1: parameter 'alpha' ${alpha} leaves a layer with no channels`, 'bad-parameter');
  const [b, x0] = input('mobilenet_v1', p);
  const style: ConvStyle = { bias: false, bn: KERAS_BN };
  let x = convUnit(
    b,
    x0,
    { out: width(32), kernel: 3, stride: 2, padding: KERAS_V1_DOWN, name: 'conv1' },
    style,
    'relu6',
  );
  V1_LAYERS.forEach(([out, stride], i) => {
    const padding = stride === 1 ? 'same' : KERAS_V1_DOWN;
    x = separable(b, x, {
      out: width(out),
      stride,
      padding,
      style: 'mobilenet',
      bn: KERAS_BN,
      name: `conv_dw_${i + 1}`,
    });
  });
  const y = b.scope('head', () =>
    classifierHead(b, x, {
      pool: 'gap',
      classes: num(p, 'classes'),
      classifier: 'conv1x1',
      dropout: { afterPool: true },
      softmax: true,
    }),
  );
  return b.build([y], {
    description: `MobileNet v1 (keras variant, alpha ${alpha})`,
    variant: 'keras',
    notes: [V1_NOTE],
    source: { kind: 'model', name: 'mobilenet_v1', params: { ...p } },
  });
}

export const mobilenetV1: ModelSpec = {
  name: 'mobilenet_v1',
  title: 'MobileNet v1',
  family: 'mobilenet',
  variants: ['keras'],
  defaultVariant: 'keras',
  variantNotes: { keras: V1_NOTE },
  published: {
    keras: {
      params: 4_253_864,
      trainableParams: 4_231_976,
      source: 'keras.applications.MobileNet() model.summary() (alpha 1.0, 224)',
    },
  },
  params: [...modelInputParams(224), alphaParam],
  build(variant, p) {
    checkVariant('mobilenet_v1', ['keras'], variant);
    return buildV1(p);
  },
};

/** MobileNetV2's channel rounding (both frameworks' _make_divisible): to a multiple of 8, never more than 10% down. */
export function makeDivisible(v: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * v ? rounded + divisor : rounded;
}

/** Table 2 of the paper: expansion t, channels c, repeats n, first stride s. */
const V2_STAGES: [number, number, number, number][] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

type V2Variant = 'keras' | 'torchvision';
const V2_NOTES: Record<V2Variant, string> = {
  keras:
    "keras.applications.MobileNetV2: no conv bias, BN epsilon 1e-3, 'same' padding (TensorFlow's bottom/right split), GAP -> dense softmax.",
  torchvision:
    'torchvision.models.mobilenet_v2: no conv bias, BN epsilon 1e-5, symmetric padding k // 2, GAP -> dropout(0.2) -> linear, logits output.',
};

function buildV2(variant: V2Variant, p: ParamValues): Graph {
  const alpha = num(p, 'alpha');
  const keras = variant === 'keras';
  const bn = keras ? KERAS_BN : TORCH_BN;
  const [b, x0] = input('mobilenet_v2', p);
  let x = convUnit(
    b,
    x0,
    { out: makeDivisible(32 * alpha), kernel: 3, stride: 2, padding: keras ? 'same' : 1, name: 'conv1' },
    { bias: false, bn },
    'relu6',
  );
  let block = 0;
  for (const [t, c, n, s] of V2_STAGES) {
    // Keras truncates before rounding (int(filters * alpha)); torchvision rounds the product.
    const out = makeDivisible(keras ? Math.trunc(c * alpha) : c * alpha);
    for (let i = 0; i < n; i++)
      x = b.scope(`block_${block++}`, () =>
        invertedResidual(b, x, {
          out,
          expansion: t,
          stride: i === 0 ? s : 1,
          padding: keras ? 'same' : 'symmetric',
          bn,
        }),
      );
  }
  const last = alpha > 1 ? makeDivisible(1280 * alpha) : 1280;
  x = convUnit(b, x, { out: last, kernel: 1, padding: 'valid', name: 'conv_last' }, { bias: false, bn }, 'relu6');
  const y = b.scope('head', () =>
    classifierHead(b, x, { pool: 'gap', classes: num(p, 'classes'), dropout: { afterPool: !keras }, softmax: keras }),
  );
  return b.build([y], {
    description: `MobileNetV2 (${variant} variant, alpha ${alpha})`,
    variant,
    notes: [
      V2_NOTES[variant],
      "The paper's architecture (Table 2); the two variants have the same weights and differ in BN epsilon, padding and the head's dropout/softmax.",
    ],
    source: { kind: 'model', name: 'mobilenet_v2', params: { ...p } },
  });
}

export const mobilenetV2: ModelSpec = {
  name: 'mobilenet_v2',
  title: 'MobileNetV2',
  family: 'mobilenet',
  variants: ['keras', 'torchvision'],
  defaultVariant: 'keras',
  variantNotes: V2_NOTES,
  published: {
    keras: {
      params: 3_538_984,
      trainableParams: 3_504_872,
      source: 'keras.applications.MobileNetV2() model.summary() (alpha 1.0, 224)',
    },
    torchvision: {
      trainableParams: 3_504_872,
      source: 'sum(p.numel() for p in torchvision.models.mobilenet_v2().parameters())',
    },
  },
  params: [...modelInputParams(224), alphaParam],
  build(variant, p) {
    checkVariant('mobilenet_v2', mobilenetV2.variants, variant);
    return buildV2(variant as V2Variant, p);
  },
};
