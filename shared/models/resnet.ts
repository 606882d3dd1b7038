// ResNet-18/34/50/101/152 (He et al. 2015), built from the catalog's basic-residual and
// bottleneck blocks and the GAP head.
import { basicResidual } from '../blocks/basic-residual.js';
import { num, type ParamValues } from '../blocks/block-spec.js';
import { bottleneck } from '../blocks/bottleneck.js';
import { classifierHead } from '../blocks/head.js';
import { GraphBuilder } from '../graph/builder.js';
import { convUnit, maxPool, type ConvStyle } from '../graph/layers.js';
import type { Graph } from '../ir/types.js';
import { checkVariant, modelInputParams, type ModelSpec, type PublishedCounts } from './model-spec.js';

type Variant = 'keras' | 'torchvision' | 'paper';

interface Recipe {
  style: ConvStyle;
  /** Which conv of a bottleneck carries a stage's stride 2. */
  strideOn: '1x1' | '3x3';
  softmax: boolean;
  note: string;
}

const RECIPES: Record<Variant, Recipe> = {
  keras: {
    // keras.applications.resnet: Conv2D(use_bias=True) everywhere, BatchNormalization(epsilon=1.001e-5).
    style: { bias: true, bn: { scale: true, epsilon: 1.001e-5 } },
    strideOn: '1x1',
    softmax: true,
    note: 'keras.applications.ResNet50/101/152: every convolution has a bias (redundant before BatchNorm, but counted: Keras built it), BN epsilon 1.001e-5, the stride on the first 1x1 of a bottleneck, projection shortcut = 1x1 conv + BN on the first block of every stage, softmax output.',
  },
  torchvision: {
    style: { bias: false, bn: { scale: true, epsilon: 1e-5 } },
    strideOn: '3x3',
    softmax: false,
    note: 'torchvision.models.resnet*: no conv bias, BN epsilon 1e-5, the stride on the 3x3 of a bottleneck ("ResNet v1.5": more MACs, better accuracy), downsample = 1x1 conv + BN where the shape changes, logits output.',
  },
  paper: {
    style: { bias: false, bn: { scale: true, epsilon: 1e-5 } },
    strideOn: '1x1',
    softmax: true,
    note: 'He et al. 2015 (option B shortcuts): no conv bias (BN follows every conv), the stride on the first 1x1 of a bottleneck as in the original Caffe models; the paper quotes 3.8 G "FLOPs" (multiply-adds) for ResNet-50.',
  },
};

const DEPTHS = {
  18: { kind: 'basic', blocks: [2, 2, 2, 2] },
  34: { kind: 'basic', blocks: [3, 4, 6, 3] },
  50: { kind: 'bottleneck', blocks: [3, 4, 6, 3] },
  101: { kind: 'bottleneck', blocks: [3, 4, 23, 3] },
  152: { kind: 'bottleneck', blocks: [3, 8, 36, 3] },
} as const;

type Depth = keyof typeof DEPTHS;

function buildResNet(depth: Depth, variant: Variant, p: ParamValues): Graph {
  const name = `resnet${depth}`;
  const r = RECIPES[variant];
  const { kind, blocks } = DEPTHS[depth];
  const b = new GraphBuilder(name);
  let x = b.input('input', [num(p, 'batch'), 3, num(p, 'size'), num(p, 'size')]);
  // Keras' ZeroPadding2D(3) + valid conv and ZeroPadding2D(1) + valid pool are PyTorch's padding=3 / 1.
  x = convUnit(b, x, { out: 64, kernel: 7, stride: 2, padding: 3, name: 'conv1' }, r.style, 'relu');
  x = maxPool(b, x, { kernel: 3, stride: 2, padding: 1, name: 'maxpool' });
  blocks.forEach((count, stage) => {
    const width = 64 << stage;
    for (let i = 0; i < count; i++) {
      const stride = stage > 0 && i === 0 ? 2 : 1;
      x = b.scope(`layer${stage + 1}.${i}`, () =>
        kind === 'basic'
          ? basicResidual(b, x, { out: width, stride, projection: 'auto', style: r.style })
          : bottleneck(b, x, {
              width,
              out: 4 * width,
              stride,
              strideOn: r.strideOn,
              projection: 'auto',
              style: r.style,
            }),
      );
    }
  });
  const y = b.scope('head', () =>
    classifierHead(b, x, { pool: 'gap', classes: num(p, 'classes'), softmax: r.softmax }),
  );
  return b.build([y], {
    description: `ResNet-${depth} (${variant} variant)`,
    variant,
    notes: [r.note],
    source: { kind: 'model', name, params: { ...p } },
  });
}

function resnet(depth: Depth, published: Record<string, PublishedCounts>): ModelSpec {
  // Keras applications has no ResNet-18/34, and the paper's basic-block nets are torchvision's.
  const variants: Variant[] = DEPTHS[depth].kind === 'basic' ? ['torchvision'] : ['keras', 'torchvision', 'paper'];
  const spec: ModelSpec = {
    name: `resnet${depth}`,
    title: `ResNet-${depth}`,
    family: 'resnet',
    variants,
    defaultVariant: variants.includes('keras') ? 'keras' : 'torchvision',
    variantNotes: Object.fromEntries(variants.map((v) => [v, RECIPES[v].note])),
    published,
    params: modelInputParams(224),
    build(variant, p) {
      checkVariant(spec.name, variants, variant);
      return buildResNet(depth, variant as Variant, p);
    },
  };
  return spec;
}

const TV = 'sum(p.numel() for p in torchvision.models.';
const KERAS = 'keras.applications model.summary() Total params';

export const resnet18 = resnet(18, {
  torchvision: { trainableParams: 11_689_512, source: `${TV}resnet18().parameters())` },
});
export const resnet34 = resnet(34, {
  torchvision: { trainableParams: 21_797_672, source: `${TV}resnet34().parameters())` },
});
export const resnet50 = resnet(50, {
  keras: { params: 25_636_712, source: KERAS },
  torchvision: {
    trainableParams: 25_557_032,
    macs: 4.09e9,
    source: `${TV}resnet50().parameters()); 4.09 GMACs per torchvision docs`,
  },
});
export const resnet101 = resnet(101, {
  keras: { params: 44_707_176, source: KERAS },
  torchvision: { trainableParams: 44_549_160, source: `${TV}resnet101().parameters())` },
});
export const resnet152 = resnet(152, {
  keras: { params: 60_419_944, source: KERAS },
  torchvision: { trainableParams: 60_192_808, source: `${TV}resnet152().parameters())` },
});
