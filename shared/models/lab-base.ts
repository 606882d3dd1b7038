// A small residual CNN for small images (Fashion-MNIST's 28x28x1 by default): the bottleneck-feature
// lab's default base. Built from the catalog's blocks (a conv stem, a ResNet basic block, a ResNet
// bottleneck) with the studio's seeded weights: a frozen random-feature extractor whose 7x7 map the
// lab trains heads on (GAP vs flatten, the seeds' question), cheap enough to run on a laptop CPU.
import { basicResidual } from '../blocks/basic-residual.js';
import { num, type ParamValues } from '../blocks/block-spec.js';
import { bottleneck } from '../blocks/bottleneck.js';
import { classifierHead } from '../blocks/head.js';
import { GraphBuilder } from '../graph/builder.js';
import { convUnit, maxPool, type ConvStyle } from '../graph/layers.js';
import type { Graph } from '../ir/types.js';
import { checkVariant, type ModelSpec } from './model-spec.js';

const NOTE =
  'The studio\'s own small base: 3x3 conv stem (width) -> 2x2 max pool -> ResNet basic block (width) -> ResNet bottleneck (stride 2 on the 3x3, width -> 2 x width) -> GAP + FC classifier. No BatchNorm statistics to learn; no published weights: "trained" only by the lab\'s heads on its frozen features.';

const STYLE: ConvStyle = { bias: false, bn: { scale: true, epsilon: 1e-5 } };

function buildLabBase(p: ParamValues): Graph {
  const width = num(p, 'width');
  const b = new GraphBuilder('lab_mini_resnet');
  let x = b.input('input', [num(p, 'batch'), num(p, 'channels'), num(p, 'size'), num(p, 'size')]);
  x = convUnit(b, x, { out: width, kernel: 3, padding: 1, name: 'stem' }, STYLE, 'relu');
  x = maxPool(b, x, { kernel: 2, stride: 2, name: 'stem.pool' });
  x = b.scope('layer1', () => basicResidual(b, x, { out: width, stride: 1, projection: 'auto', style: STYLE }));
  x = b.scope('layer2', () =>
    bottleneck(b, x, {
      width,
      out: num(p, 'expansion') * width,
      stride: 2,
      strideOn: '3x3',
      projection: 'auto',
      style: STYLE,
    }),
  );
  const y = b.scope('head', () => classifierHead(b, x, { pool: 'gap', classes: num(p, 'classes') }));
  return b.build([y], {
    description: 'Lab mini ResNet (small-image base of the bottleneck-feature lab)',
    variant: 'studio',
    notes: [NOTE],
    source: { kind: 'model', name: 'lab_mini_resnet', params: { ...p } },
  });
}

export const labMiniResnet: ModelSpec = {
  name: 'lab_mini_resnet',
  title: 'Lab mini ResNet (28x28)',
  family: 'lab',
  variants: ['studio'],
  defaultVariant: 'studio',
  variantNotes: { studio: NOTE },
  // The studio's own design: there is no published figure to match.
  published: {},
  params: [
    { name: 'batch', kind: 'int', default: 1, min: 1, max: 4096, description: 'batch size N' },
    { name: 'size', kind: 'int', default: 28, min: 8, max: 512, description: 'input height = width' },
    { name: 'channels', kind: 'int', default: 1, min: 1, max: 3, description: 'input channels (1 gray, 3 color)' },
    { name: 'width', kind: 'int', default: 32, min: 4, max: 512, description: 'stem and basic-block width' },
    {
      name: 'expansion',
      kind: 'int',
      default: 2,
      min: 1,
      max: 16,
      description: 'bottleneck output channels = expansion x width (ResNet: 4)',
    },
    { name: 'classes', kind: 'int', default: 10, min: 1, max: 100000, description: 'classifier outputs' },
  ],
  build(variant, p) {
    checkVariant('lab_mini_resnet', ['studio'], variant);
    return buildLabBase(p);
  },
};
