// Cross-check: the studio's own builds of three classic CNNs against the ONNX project's files of
// the same networks (../shared/conformance/onnx-light), read by the studio's ONNX reader. The two
// paths share only the operator registry, so equal parameters and equal MACs mean both the
// builder and the reader are right (or wrong in exactly the same way, which the published
// counts in zoo.test.ts rule out).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolveParams } from '../shared/blocks/block-spec.js';
import { costGraph } from '../shared/cost/cost-model.js';
import { getModel } from '../shared/models/registry.js';
import { readOnnxFile } from '../main/onnx/onnx-file.js';

const LIGHT = fileURLToPath(new URL('../../shared/conformance/onnx-light/', import.meta.url));

const pairs = [
  { file: 'vgg19.onnx', model: 'vgg19', variant: 'keras' },
  // The ONNX zoo's ResNet-50 (converted from Caffe2) has no conv bias, BatchNorm as four vectors
  // and the stride on the 3x3 of each downsampling bottleneck: torchvision's structure, 4.09 GMACs,
  // not the original paper's (stride on the 1x1, 3.86 GMACs).
  { file: 'resnet50.onnx', model: 'resnet50', variant: 'torchvision' },
];

describe('zoo builds agree with the ONNX project files of the same networks', () => {
  it('finds the conformance data beside the project', () => {
    expect(existsSync(LIGHT), `missing ${LIGHT}: the tests need ../shared/conformance beside the clone`).toBe(true);
  });
  for (const p of pairs)
    it(`${p.model} (${p.variant}) = ${p.file}: same parameters and MACs`, () => {
      const file = costGraph(readOnnxFile(`${LIGHT}${p.file}`)).totals;
      const m = getModel(p.model);
      const built = costGraph(m.build(p.variant, resolveParams(p.model, m.params, {}))).totals;
      expect(built.params).toBe(file.params);
      expect(built.trainableParams).toBe(file.trainableParams);
      expect(built.macs).toBe(file.macs);
    });

  it('googlenet (paper) has the parameters of inception_v1.onnx; the file floors its pools', () => {
    const fileGraph = readOnnxFile(`${LIGHT}inception_v1.onnx`);
    const file = costGraph(fileGraph);
    const m = getModel('googlenet');
    const built = costGraph(m.build('paper', resolveParams('googlenet', m.params, {})));
    // BVLC GoogLeNet (Caffe: conv biases, LRN, no BatchNorm, no aux heads) = our paper variant.
    expect(built.totals.params).toBe(file.totals.params);
    expect(built.totals.params).toBe(6_998_552);
    // Caffe rounds pooling output sizes up (112 -> 56 after the first 3x3/2 max pool); the opset-9
    // ONNX file has no ceil_mode and floors (112 -> 55), so every later layer is smaller and the
    // file has fewer MACs than the network Caffe (and the paper) ran.
    const firstPool = (r: typeof file) => r.layers.find((l) => l.op === 'MaxPool')!.outputShape;
    expect(firstPool(built)).toEqual([1, 64, 56, 56]);
    expect(firstPool(file)).toEqual([1, 64, 55, 55]);
    expect(built.totals.macs).toBe(1_582_671_872);
    expect(file.totals.macs).toBe(1_431_556_352);
  });
});
