// VGG-16/19 (Simonyan & Zisserman 2014, configurations D and E): 3x3 convolutions from the
// catalog's conv block, max pools, and the flatten + 2 x FC 4096 head from the head block.
import { num, type ParamValues } from '../blocks/block-spec.js';
import { standardConv } from '../blocks/conv.js';
import { classifierHead } from '../blocks/head.js';
import { GraphBuilder } from '../graph/builder.js';
import { activation, avgPool, maxPool } from '../graph/layers.js';
import { StudioError, type Graph } from '../ir/types.js';
import { modelInputParams, type ModelSpec, checkVariant } from './model-spec.js';

type Variant = 'keras' | 'torchvision';

/** Convolutions per stage; widths 64, 128, 256, 512, 512, a 2x2 max pool after each stage. */
const STAGES: Record<16 | 19, number[]> = { 16: [2, 2, 3, 3, 3], 19: [2, 2, 4, 4, 4] };
const WIDTHS = [64, 128, 256, 512, 512];

const NOTES: Record<Variant, string> = {
  keras:
    "keras.applications.VGG16/19: 'same'-padded 3x3 convolutions with bias and ReLU, flatten, fc1/fc2 4096 with ReLU, softmax predictions (no dropout).",
  torchvision:
    'torchvision.models.vgg16/19: padding=1 convolutions with bias, AdaptiveAvgPool2d(7) before the classifier (the identity at 224), Linear-ReLU-Dropout twice, logits output.',
};

/** torchvision's AdaptiveAvgPool2d((7, 7)): the identity on 7x7, a uniform average pool when the map is a multiple of 7. */
function adaptiveTo7(b: GraphBuilder, x: string, size: number): string {
  const h = b.shapeOf(x)[2];
  if (h === 7) return x;
  if (h % 7 !== 0)
    throw new StudioError(
      `vgg (torchvision): parameter 'size' ${size} leaves a ${h}x${h} map, which adaptive pooling to 7x7 splits into unequal windows that the graph cannot express; use a size whose map is a multiple of 7 (224, 448, ...)`,
      'bad-parameter',
    );
  return avgPool(b, x, { kernel: h / 7, stride: h / 7, name: 'avgpool' });
}

function buildVgg(depth: 16 | 19, variant: Variant, p: ParamValues): Graph {
  const name = `vgg${depth}`;
  const b = new GraphBuilder(name);
  let x = b.input('input', [num(p, 'batch'), 3, num(p, 'size'), num(p, 'size')]);
  STAGES[depth].forEach((convs, s) => {
    for (let i = 0; i < convs; i++) {
      const id = `block${s + 1}_conv${i + 1}`;
      // 'same' and padding=1 are the same pads for a stride-1 3x3; kept per framework for fidelity.
      const padding = variant === 'keras' ? 'same' : 1;
      x = activation(
        b,
        standardConv(b, x, { out: WIDTHS[s], kernel: 3, padding, bias: true, name: id }),
        'relu',
        `${id}.relu`,
      );
    }
    x = maxPool(b, x, { kernel: 2, stride: 2, name: `block${s + 1}_pool` });
  });
  if (variant === 'torchvision') x = adaptiveTo7(b, x, num(p, 'size'));
  const y = b.scope('head', () =>
    classifierHead(b, x, {
      pool: 'flatten',
      classes: num(p, 'classes'),
      hidden: [4096, 4096],
      dropout: { afterHidden: variant === 'torchvision' },
      softmax: variant === 'keras',
    }),
  );
  return b.build([y], {
    description: `VGG-${depth} (${variant} variant)`,
    variant,
    notes: [
      NOTES[variant],
      'Keras and torchvision have the same weights (both match the paper); they differ only in padding notation, dropout and the output softmax.',
    ],
    source: { kind: 'model', name, params: { ...p } },
  });
}

function vgg(depth: 16 | 19, params: number): ModelSpec {
  const variants: Variant[] = ['keras', 'torchvision'];
  const spec: ModelSpec = {
    name: `vgg${depth}`,
    title: `VGG-${depth}`,
    family: 'vgg',
    variants,
    defaultVariant: 'keras',
    variantNotes: NOTES,
    published: {
      keras: { params, source: 'keras.applications model.summary() Total params' },
      torchvision: {
        trainableParams: params,
        source: `sum(p.numel() for p in torchvision.models.vgg${depth}().parameters())`,
      },
    },
    params: modelInputParams(224),
    build(variant, p) {
      checkVariant(spec.name, variants, variant);
      return buildVgg(depth, variant as Variant, p);
    },
  };
  return spec;
}

export const vgg16 = vgg(16, 138_357_544);
export const vgg19 = vgg(19, 143_667_240);
