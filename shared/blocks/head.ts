// The classifier heads: one apply function, two catalog entries (head-gap and head-fc), so the
// comparison of the two differs only in the pooling.
import type { GraphBuilder } from '../graph/builder.js';
import { activation, conv, dense, dropout, flatten, globalAvgPool, reshape, softmax } from '../graph/layers.js';
import { StudioError } from '../ir/types.js';
import { buildBlockGraph, inputParams, num, type BlockSpec, type ParamSpec, type ParamValues } from './block-spec.js';

export interface HeadOptions {
  /** 'gap': global average pooling (C weights per unit); 'flatten': every pixel (H*W*C per unit). */
  pool: 'gap' | 'flatten';
  classes: number;
  /** Hidden fully connected layers with ReLU before the classifier (VGG: [4096, 4096]). */
  hidden?: number[];
  /** Dropout (the identity at inference, kept so the graph matches the framework's). */
  dropout?: { afterPool?: boolean; afterHidden?: boolean };
  /** 'conv1x1': Keras MobileNet's classifier, a 1x1 convolution on the pooled 1x1 map (same weights as dense). */
  classifier?: 'dense' | 'conv1x1';
  softmax?: boolean;
}

export function classifierHead(b: GraphBuilder, x: string, o: HeadOptions): string {
  const drop = o.dropout ?? {};
  if (o.classifier === 'conv1x1') {
    if (o.pool !== 'gap' || o.hidden?.length)
      throw new StudioError('a conv1x1 classifier follows global pooling directly', 'internal');
    let y = globalAvgPool(b, x);
    if (drop.afterPool) y = dropout(b, y);
    y = conv(b, y, { out: o.classes, kernel: 1, padding: 'valid', bias: true, name: 'predictions' });
    y = reshape(b, y, [0, -1], 'predictions.reshape');
    return o.softmax ? softmax(b, y) : y;
  }
  let y = flatten(b, o.pool === 'gap' ? globalAvgPool(b, x) : x);
  if (drop.afterPool) y = dropout(b, y);
  (o.hidden ?? []).forEach((units, i) => {
    y = activation(b, dense(b, y, units, { name: `fc${i + 1}` }), 'relu', `fc${i + 1}.relu`);
    if (drop.afterHidden) y = dropout(b, y);
  });
  y = dense(b, y, o.classes, { name: 'predictions' });
  return o.softmax ? softmax(b, y) : y;
}

const headParams: ParamSpec[] = [
  ...inputParams(7, 7, 2048),
  { name: 'classes', kind: 'int', default: 1000, min: 1, max: 100000, description: 'classifier outputs' },
  {
    name: 'hidden',
    kind: 'int',
    default: 0,
    min: 0,
    max: 65536,
    description: 'units of hidden FC layers before the classifier (0 = none; VGG uses 4096)',
  },
  {
    name: 'hidden_layers',
    kind: 'int',
    default: 1,
    min: 1,
    max: 8,
    description: 'how many hidden FC layers when hidden > 0 (VGG: 2)',
    appliesWhen: { param: 'hidden', above: 0, why: { '0': 'hidden=0: there are no hidden layers' } },
  },
  { name: 'softmax', kind: 'bool', default: false, description: 'end with a softmax (Keras applications do)' },
];

function headGraph(name: string, pool: HeadOptions['pool'], p: ParamValues) {
  const hidden = num(p, 'hidden') > 0 ? Array<number>(num(p, 'hidden_layers')).fill(num(p, 'hidden')) : [];
  const what = pool === 'gap' ? 'Global average pooling' : 'Flatten';
  return buildBlockGraph(
    name,
    p,
    (b, x) => classifierHead(b, x, { pool, classes: num(p, 'classes'), hidden, softmax: p.softmax as boolean }),
    `${what} + ${hidden.length ? `${hidden.length} x FC ${hidden[0]} + ` : ''}FC ${num(p, 'classes')}`,
  );
}

export const headGapBlock: BlockSpec = {
  name: 'head-gap',
  title: 'Global average pooling head',
  description: 'Global average pooling + FC (ResNet, Xception, MobileNet) on 7x7x2048: 2048*1000 weights.',
  seeds: ['000', '002'],
  params: headParams,
  build: (p) => headGraph('head-gap', 'gap', p),
};

export const headFcBlock: BlockSpec = {
  name: 'head-fc',
  title: 'Flatten + fully connected head',
  description: 'Flatten + FC (+ hidden FC layers, as VGG) on 7x7x2048: 7*7*2048*1000 weights without a hidden layer.',
  seeds: ['000', '002'],
  params: headParams,
  build: (p) => headGraph('head-fc', 'flatten', p),
};
