import { num, type ParamValues } from '../blocks/block-spec.js';
import { inception, type InceptionWidths } from '../blocks/inception.js';
import { attr, GraphBuilder } from '../graph/builder.js';
import {
  activation,
  avgPool,
  convUnit,
  dense,
  dropout,
  flatten,
  globalAvgPool,
  maxPool,
  softmax,
  type ConvStyle,
} from '../graph/layers.js';
import { StudioError, type Graph } from '../ir/types.js';
import { modelInputParams, type ModelSpec } from './model-spec.js';

type Variant = 'torchvision' | 'paper';

// Table 1 of Szegedy et al. 2014 (torchvision uses the same widths).
const W = (
  b1: number,
  b3Reduce: number,
  b3: number,
  b5Reduce: number,
  b5: number,
  poolProj: number,
): InceptionWidths => ({
  b1,
  b3Reduce,
  b3,
  b5Reduce,
  b5,
  poolProj,
});
const STAGE3: [string, InceptionWidths][] = [
  ['inception3a', W(64, 96, 128, 16, 32, 32)],
  ['inception3b', W(128, 128, 192, 32, 96, 64)],
];
const STAGE4: [string, InceptionWidths][] = [
  ['inception4a', W(192, 96, 208, 16, 48, 64)],
  ['inception4b', W(160, 112, 224, 24, 64, 64)],
  ['inception4c', W(128, 128, 256, 24, 64, 64)],
  ['inception4d', W(112, 144, 288, 32, 64, 64)],
  ['inception4e', W(256, 160, 320, 32, 128, 128)],
];
const STAGE5: [string, InceptionWidths][] = [
  ['inception5a', W(256, 160, 320, 32, 128, 128)],
  ['inception5b', W(384, 192, 384, 48, 128, 128)],
];

interface Recipe {
  style: ConvStyle;
  /** Kernel of the "5x5" branch: torchvision has 3 there (its known quirk, kept for weight compatibility). */
  b5Kernel: number;
  /** Softmax on the outputs: the paper's classifiers end in one, torchvision returns logits. */
  softmax: boolean;
  notes: string[];
}

const RECIPES: Record<Variant, Recipe> = {
  torchvision: {
    // BasicConv2d: Conv2d(bias=False) + BatchNorm2d(eps=0.001) + ReLU.
    style: { bias: false, bn: { scale: true, epsilon: 1e-3 } },
    b5Kernel: 3,
    softmax: false,
    notes: [
      'torchvision.models.googlenet: BatchNorm (eps 0.001) after every convolution, convolutions without bias, no LRN.',
      'The "5x5" branch uses a 3x3 kernel (torchvision issue #906, kept so that the pretrained weights load).',
      "Max pools use ceil_mode; the aux heads use adaptive 4x4 average pooling, built here as the paper's 5x5/3 pool (the same 4x4 output at 224).",
      "transform_input (the pretrained weights' input re-normalization) is not part of the graph; the parameter lrn is ignored.",
    ],
  },
  paper: {
    style: { bias: true, bn: false },
    b5Kernel: 5,
    softmax: true,
    notes: [
      "Szegedy et al. 2014 (and Caffe's bvlc_googlenet): convolutions with bias, no BatchNorm, 5x5 kernels in the 5x5 branch, LRN after the first pool and after conv3 when lrn=true.",
    ],
  },
};

/** The paper's auxiliary classifier: 5x5/3 average pool to 4x4, 1x1 conv 128, FC 1024, dropout 0.7, FC. */
function auxHead(b: GraphBuilder, x: string, r: Recipe, classes: number, size: number): string {
  const h = b.shapeOf(x)[2];
  if (h < 4)
    throw new StudioError(
      `googlenet: parameter 'size' ${size} leaves a ${h}x${h} map for the aux heads, which need at least 4x4; use a larger size or aux=false`,
      'bad-parameter',
    );
  // Pool to 4x4: at 224 (a 14x14 map) this is the paper's 5x5 window with stride 3.
  const stride = Math.floor(h / 4);
  let y = avgPool(b, x, { kernel: h - 3 * stride, stride, name: 'pool' });
  y = convUnit(b, y, { out: 128, kernel: 1, padding: 'valid', name: 'conv' }, r.style, 'relu');
  y = activation(b, dense(b, flatten(b, y), 1024, { name: 'fc1' }), 'relu', 'fc1.relu');
  y = dense(b, dropout(b, y), classes, { name: 'fc2' });
  return r.softmax ? softmax(b, y) : y;
}

function lrn(b: GraphBuilder, x: string, name: string): string {
  // Caffe's bvlc_googlenet: local_size 5, alpha 1e-4, beta 0.75.
  return b.op(
    'LRN',
    [x],
    { size: attr.int(5), alpha: attr.float(1e-4), beta: attr.float(0.75), bias: attr.float(1) },
    name,
  );
}

function build(variant: string, p: ParamValues): Graph {
  const r = RECIPES[variant as Variant];
  const [size, classes, aux] = [num(p, 'size'), num(p, 'classes'), p.aux as boolean];
  const useLrn = variant === 'paper' && (p.lrn as boolean);
  const b = new GraphBuilder('googlenet');
  let x = b.input('input', [num(p, 'batch'), 3, size, size]);
  const pool = (input: string, kernel: number, name: string) =>
    maxPool(b, input, { kernel, stride: 2, ceil: true, name });
  x = convUnit(b, x, { out: 64, kernel: 7, stride: 2, padding: 3, name: 'conv1' }, r.style, 'relu');
  x = pool(x, 3, 'maxpool1');
  if (useLrn) x = lrn(b, x, 'lrn1');
  x = convUnit(b, x, { out: 64, kernel: 1, padding: 'valid', name: 'conv2' }, r.style, 'relu');
  x = convUnit(b, x, { out: 192, kernel: 3, padding: 1, name: 'conv3' }, r.style, 'relu');
  if (useLrn) x = lrn(b, x, 'lrn2');
  x = pool(x, 3, 'maxpool2');
  const module = (input: string, [name, w]: [string, InceptionWidths]) =>
    b.scope(name, () => inception(b, input, { ...w, b5Kernel: r.b5Kernel, style: r.style, poolCeil: true }));
  for (const s of STAGE3) x = module(x, s);
  x = pool(x, 3, 'maxpool3');
  const auxOutputs: string[] = [];
  for (const s of STAGE4) {
    x = module(x, s);
    // Aux heads read inception4a and inception4d (torchvision's aux1 and aux2).
    if (aux && (s[0] === 'inception4a' || s[0] === 'inception4d'))
      auxOutputs.push(b.scope(`aux${auxOutputs.length + 1}`, () => auxHead(b, x, r, classes, size)));
  }
  x = pool(x, 2, 'maxpool4');
  for (const s of STAGE5) x = module(x, s);
  x = dropout(b, flatten(b, globalAvgPool(b, x, 'avgpool')));
  x = dense(b, x, classes, { name: 'fc' });
  if (r.softmax) x = softmax(b, x);
  return b.build([x, ...auxOutputs], {
    description: `GoogLeNet (${variant} variant)${aux ? ' with auxiliary classifiers' : ''}`,
    variant,
    notes: [
      ...r.notes,
      ...(aux ? ['Outputs: main classifier, then aux1 (after inception4a) and aux2 (after inception4d).'] : []),
    ],
    source: { kind: 'model', name: 'googlenet', params: { ...p } },
  });
}

export const googlenet: ModelSpec = {
  name: 'googlenet',
  title: 'GoogLeNet (Inception v1)',
  family: 'inception',
  variants: ['torchvision', 'paper'],
  defaultVariant: 'torchvision',
  variantNotes: {
    torchvision:
      'torchvision.models.googlenet: BatchNorm after every conv, no conv bias, 3x3 kernels in the "5x5" branch (a kept quirk), ceil-mode pools.',
    paper:
      'Szegedy et al. 2014 / Caffe bvlc_googlenet: conv bias, no BatchNorm, true 5x5 branch, optional LRN. Keras has no GoogLeNet application, so there is no keras variant.',
  },
  published: {
    torchvision: {
      trainableParams: 6_624_904,
      source: 'sum(p.numel() for p in torchvision.models.googlenet(aux_logits=False).parameters())',
    },
    paper: {
      params: 6_998_552,
      source:
        'BVLC GoogLeNet (Caffe deploy net, no aux heads) as converted by the ONNX model zoo (inception_v1.onnx in ../shared/conformance)',
    },
  },
  params: [
    ...modelInputParams(224),
    {
      name: 'aux',
      kind: 'bool',
      default: false,
      description: 'include the two auxiliary classifiers (training-time heads), as extra outputs',
    },
    {
      name: 'lrn',
      kind: 'bool',
      default: true,
      description: 'paper variant: local response normalization after pool1 and conv3 (ignored by torchvision)',
    },
  ],
  build,
};
