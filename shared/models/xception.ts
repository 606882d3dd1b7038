// Xception (Chollet 2017), as keras.applications.Xception builds it: entry flow, 8 middle-flow
// units from the catalog's xception-middle block, exit flow, GAP head.
import { num, type ParamValues } from '../blocks/block-spec.js';
import { classifierHead } from '../blocks/head.js';
import { KERAS_BN, reluSepConvBn, xceptionMiddle } from '../blocks/xception-middle.js';
import { GraphBuilder } from '../graph/builder.js';
import { activation, add, convUnit, maxPool } from '../graph/layers.js';
import type { Graph } from '../ir/types.js';
import { modelInputParams, type ModelSpec, checkVariant } from './model-spec.js';

const NOTE =
  "keras.applications.Xception (the author's own implementation, the paper's Figure 5): convolutions and SeparableConv2D without bias, BatchNorm (epsilon 1e-3) after each, 'valid' stem convolutions, 'same' elsewhere; 8 middle-flow units; GAP -> dense softmax. torchvision has no Xception.";

/**
 * Entry/exit-flow unit: [ReLU] SepConv a -> BN -> ReLU -> SepConv b -> BN -> 3x3/2 max pool,
 * added to a strided 1x1 conv + BN projection of the input.
 */
function downUnit(b: GraphBuilder, x: string, first: number, second: number, reluFirst: boolean): string {
  const shortcut = convUnit(
    b,
    x,
    { out: second, kernel: 1, stride: 2, padding: 'same', name: 'shortcut' },
    { bias: false, bn: KERAS_BN },
    'none',
  );
  let y = reluSepConvBn(b, x, first, 'sepconv1', reluFirst);
  y = reluSepConvBn(b, y, second, 'sepconv2');
  y = maxPool(b, y, { kernel: 3, stride: 2, padding: 'same', name: 'pool' });
  return add(b, y, shortcut);
}

function buildXception(p: ParamValues): Graph {
  const b = new GraphBuilder('xception');
  let x = b.input('input', [num(p, 'batch'), 3, num(p, 'size'), num(p, 'size')]);
  const style = { bias: false, bn: KERAS_BN };
  x = convUnit(b, x, { out: 32, kernel: 3, stride: 2, padding: 'valid', name: 'block1_conv1' }, style, 'relu');
  x = convUnit(b, x, { out: 64, kernel: 3, padding: 'valid', name: 'block1_conv2' }, style, 'relu');
  // Entry flow: the first unit's input is already ReLU'd by the stem, so it has no leading ReLU.
  x = b.scope('block2', () => downUnit(b, x, 128, 128, false));
  x = b.scope('block3', () => downUnit(b, x, 256, 256, true));
  x = b.scope('block4', () => downUnit(b, x, 728, 728, true));
  for (let i = 5; i <= 12; i++) x = b.scope(`block${i}`, () => xceptionMiddle(b, x));
  x = b.scope('block13', () => downUnit(b, x, 728, 1024, true));
  // Exit flow tail: SepConv 1536 -> BN -> ReLU -> SepConv 2048 -> BN -> ReLU (no residual).
  x = b.scope('block14', () => {
    const y = reluSepConvBn(b, reluSepConvBn(b, x, 1536, 'sepconv1', false), 2048, 'sepconv2');
    return activation(b, y, 'relu', 'sepconv2.out_relu');
  });
  const y = b.scope('head', () => classifierHead(b, x, { pool: 'gap', classes: num(p, 'classes'), softmax: true }));
  return b.build([y], {
    description: 'Xception (keras variant)',
    variant: 'keras',
    notes: [NOTE],
    source: { kind: 'model', name: 'xception', params: { ...p } },
  });
}

export const xception: ModelSpec = {
  name: 'xception',
  title: 'Xception',
  family: 'xception',
  variants: ['keras'],
  defaultVariant: 'keras',
  variantNotes: { keras: NOTE },
  published: {
    keras: {
      params: 22_910_480,
      trainableParams: 22_855_952,
      source: 'keras.applications.Xception() model.summary(); the paper quotes 22,855,952 (trainable)',
    },
  },
  params: modelInputParams(299),
  build(variant, p) {
    checkVariant('xception', ['keras'], variant);
    return buildXception(p);
  },
};
