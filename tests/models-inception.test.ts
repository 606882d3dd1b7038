import { describe, expect, it } from 'vitest';
import { resolveParams } from '../shared/blocks/block-spec.js';
import { countParams } from '../shared/cost/params.js';
import { getModel } from '../shared/models/registry.js';
import { StudioError } from '../shared/ir/types.js';

function build(name: string, variant: string, given: Record<string, string | number | boolean> = {}) {
  const model = getModel(name);
  return model.build(variant, resolveParams(name, model.params, given));
}

// Published counts: Keras' "Total params" = our params; torchvision's sum(p.numel() for p in
// model.parameters()) = our trainableParams (BatchNorm running statistics are buffers there).
// `derived` rows are not published figures: they follow from a published one by removing a
// head whose size is computed by hand, or are the paper variant's own count.
const table: {
  model: string;
  variant: string;
  given?: Record<string, boolean>;
  params?: number;
  trainable: number;
  outputs: number;
  derived?: string;
}[] = [
  { model: 'inception_resnet_v2', variant: 'keras', params: 55_873_736, trainable: 55_813_192, outputs: 1 },
  { model: 'inception_v3', variant: 'keras', params: 23_851_784, trainable: 23_817_352, outputs: 1 },
  { model: 'inception_v3', variant: 'torchvision', given: { aux: true }, trainable: 27_161_264, outputs: 2 },
  {
    model: 'inception_v3',
    variant: 'torchvision',
    // Minus InceptionAux: conv0 768*128 + 2*128, conv1 25*128*768 + 2*768, fc 768*1000 + 1000 = 3,326,696.
    trainable: 27_161_264 - 3_326_696,
    outputs: 1,
    derived: 'no aux head',
  },
  { model: 'googlenet', variant: 'torchvision', trainable: 6_624_904, outputs: 1 },
  { model: 'googlenet', variant: 'torchvision', given: { aux: true }, trainable: 13_004_888, outputs: 3 },
  // Caffe's bvlc_googlenet (the paper's layers, biases, no BatchNorm, no aux) has the same total.
  {
    model: 'googlenet',
    variant: 'paper',
    params: 6_998_552,
    trainable: 6_998_552,
    outputs: 1,
    derived: 'paper, own count',
  },
];

describe('inception family: parameter counts', () => {
  for (const c of table)
    it(`${c.model} ${c.variant} ${JSON.stringify(c.given ?? {})}${c.derived ? ` (${c.derived})` : ''}`, () => {
      const graph = build(c.model, c.variant, c.given);
      const counts = countParams(graph);
      if (c.params !== undefined) expect(counts.params).toBe(c.params);
      expect(counts.trainableParams).toBe(c.trainable);
      expect(graph.outputs).toHaveLength(c.outputs);
      for (const o of graph.outputs) expect(o.shape).toEqual([1, 1000]);
      expect(graph.meta.variant).toBe(c.variant);
      expect(graph.meta.description).toBeTruthy();
      expect(graph.meta.notes?.length).toBeGreaterThan(0);
    });

  it('every published figure the specs carry agrees with the build it was measured on', () => {
    for (const name of ['googlenet', 'inception_v3', 'inception_resnet_v2'])
      for (const [variant, pub] of Object.entries(getModel(name).published)) {
        const counts = countParams(build(name, variant, pub.builtWith ?? {}));
        if (pub.params !== undefined) expect(counts.params, `${name} ${variant}`).toBe(pub.params);
        if (pub.trainableParams !== undefined)
          expect(counts.trainableParams, `${name} ${variant}`).toBe(pub.trainableParams);
      }
  });

  it('keeps the spatial pipeline of the papers at other sizes and class counts', () => {
    const g = build('inception_v3', 'keras', { size: 75, classes: 10 });
    expect(g.outputs[0].shape).toEqual([1, 10]);
    expect(build('googlenet', 'torchvision', { batch: 2, size: 320 }).outputs[0].shape).toEqual([2, 1000]);
  });

  const bad: [string, string, Record<string, string | number | boolean>, RegExp][] = [
    ['inception_v3', 'keras', { aux: true }, /'aux'.*torchvision/],
    ['inception_v3', 'torchvision', { size: 74 }, /'size'.*75/],
    ['inception_v3', 'torchvision', { size: 200, aux: true }, /'size'/],
    ['inception_resnet_v2', 'keras', { size: 64 }, /'size'/],
    ['googlenet', 'torchvision', { size: 32, aux: true }, /'size'/],
  ];
  for (const [name, variant, given, message] of bad)
    it(`rejects ${name} ${variant} ${JSON.stringify(given)}`, () => {
      expect(() => build(name, variant, given)).toThrow(StudioError);
      expect(() => build(name, variant, given)).toThrow(message);
    });
});
