// Every published figure the zoo states (and the CLI's `zoo` prints) is checked against the
// model the studio builds: one table, one loop. Counts must be exact; MACs are published
// rounded (e.g. torchvision's 4.09 G), so they are checked to the published precision.
import { describe, expect, it } from 'vitest';
import { resolveParams } from '../shared/blocks/block-spec.js';
import { costGraph } from '../shared/cost/cost-model.js';
import { MODELS } from '../shared/models/registry.js';

const REQUIRED = [
  'resnet18',
  'resnet34',
  'resnet50',
  'resnet101',
  'resnet152',
  'googlenet',
  'inception_v3',
  'xception',
  'inception_resnet_v2',
  'mobilenet_v1',
  'mobilenet_v2',
  'vgg16',
  'vgg19',
  // issue 6: the bottleneck-feature lab's default base for small images (no published figures).
  'lab_mini_resnet',
];

describe('model zoo', () => {
  it('has every model the issue names, each with a stated default variant', () => {
    expect(MODELS.map((m) => m.name).sort()).toEqual([...REQUIRED].sort());
    for (const m of MODELS) {
      expect(m.variants).toContain(m.defaultVariant);
      for (const v of m.variants) expect(m.variantNotes[v], `${m.name}/${v} notes`).toBeTruthy();
    }
  });

  const rows = MODELS.flatMap((m) => Object.entries(m.published).map(([variant, pub]) => ({ m, variant, pub })));
  for (const { m, variant, pub } of rows)
    it(`${m.name} (${variant}${pub.builtWith ? ', ' + JSON.stringify(pub.builtWith) : ''}) matches its published figures`, () => {
      const graph = m.build(variant, resolveParams(m.name, m.params, pub.builtWith ?? {}));
      expect(graph.meta.variant).toBe(variant);
      const r = costGraph(graph);
      if (pub.params !== undefined) expect(r.totals.params).toBe(pub.params);
      if (pub.trainableParams !== undefined) expect(r.totals.trainableParams).toBe(pub.trainableParams);
      if (pub.macs !== undefined)
        expect(Number((r.totals.macs / 1e9).toPrecision(3))).toBe(Number((pub.macs / 1e9).toPrecision(3)));
      expect(r.totals.unknownNodes).toBe(0);
      expect(r.outputs[0].shape).toEqual([1, 1000]);
    });

  it('states the headline figures of the issue', () => {
    const get = (name: string, variant: string) => {
      const m = MODELS.find((x) => x.name === name)!;
      return costGraph(m.build(variant, resolveParams(name, m.params, {}))).totals;
    };
    expect(get('xception', 'keras').params).toBe(22_910_480);
    expect(get('inception_resnet_v2', 'keras').params).toBe(55_873_736);
    expect(get('resnet50', 'keras').params).toBe(25_636_712);
    expect(get('vgg16', 'keras').params).toBe(138_357_544);
    expect(get('mobilenet_v2', 'keras').params).toBe(3_538_984);
    // torchvision ResNet-50: 4.09 GMACs at 224x224 (stride on the 3x3, "v1.5").
    expect(get('resnet50', 'torchvision').macs).toBe(4_089_184_256);
  });
});
