// The ONNX reader against the ONNX project's own test data (shared/conformance/README.md):
// parameter counts and output shapes of real CNNs, and ONNX Runtime on the original files.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { countParams } from '../shared/cost/params.js';
import { StudioError } from '../shared/ir/types.js';
import { onnxToGraph } from '../shared/onnx/reader.js';
import { graphToOnnx } from '../shared/onnx/writer.js';
import { onnx, tensorFromBytes, toNumber, type IntLike, type OnnxTypes } from '../shared/onnx/tensor.js';
import { allClose, createSession, runFloat } from './helpers/ort.js';

const CONFORMANCE = fileURLToPath(new URL('../../shared/conformance/', import.meta.url));
const LIGHT = `${CONFORMANCE}onnx-light/`;
const TORCH = `${CONFORMANCE}pytorch-converted/`;
const haveData = existsSync(LIGHT) && existsSync(TORCH);

/**
 * Parameter counts computed from the raw protobuf, independently of the reader: the element
 * counts of the constant tensors (ConstantOfShape outputs, or float initializers that the light
 * converter kept as real values) feeding Conv/Gemm weight and bias and BatchNormalization's four
 * vectors, directly or through a Reshape (GoogLeNet's classifier weight is reshaped before Gemm).
 */
function independentParamCount(bytes: Uint8Array): number {
  // Decoded messages are class instances: repeated fields are arrays, never null.
  const g = onnx.ModelProto.decode(bytes).graph as OnnxTypes.GraphProto;
  const nodes = g.node as OnnxTypes.NodeProto[];
  const tensors = g.initializer as OnnxTypes.TensorProto[];
  const inits = new Map(tensors.map((t) => [t.name, t]));
  const elems = new Map<string, number>();
  for (const t of tensors)
    if (t.dataType === 1)
      elems.set(
        t.name,
        t.dims.reduce<number>((a, d) => a * toNumber(d as IntLike), 1),
      );
  for (const n of nodes)
    if (n.opType === 'ConstantOfShape') {
      const shape = tensorFromBytes(onnx.TensorProto.encode(inits.get(n.input[0])!).finish(), 'shape').data;
      elems.set(
        n.output[0],
        Array.from(shape as BigInt64Array, Number).reduce((a, b) => a * b, 1),
      );
    }
  for (const n of nodes)
    if (n.opType === 'Reshape' && elems.has(n.input[0])) elems.set(n.output[0], elems.get(n.input[0])!);
  const slots: Record<string, number[]> = { Conv: [1, 2], Gemm: [1, 2], BatchNormalization: [1, 2, 3, 4] };
  const counted = new Set<string>();
  let total = 0;
  for (const n of nodes)
    for (const s of slots[n.opType] ?? []) {
      const t = n.input[s];
      if (t && elems.has(t) && !counted.has(t)) {
        counted.add(t);
        total += elems.get(t)!;
      }
    }
  return total;
}

/** Published totals, checked against the architectures (see the report in the task log). */
const KNOWN: Record<string, number> = {
  bvlc_alexnet: 60_965_224, // Caffe AlexNet (grouped convs): 60,965,224
  inception_v1: 6_998_552, // BVLC GoogLeNet without the auxiliary classifiers
  resnet50: 25_610_152, // Caffe2 ResNet-50: torchvision's 25,557,032 + 53,120 BN running mean/var
  squeezenet: 1_235_496, // SqueezeNet 1.1 (Caffe2 model zoo)
  vgg19: 143_667_240,
};

const lightModels = haveData
  ? readdirSync(LIGHT)
      .filter((f) => f.endsWith('.onnx'))
      .map((f) => f.slice(0, -5))
  : [];

describe.skipIf(!haveData)('onnx-light conformance models', () => {
  it('finds all five models', () => expect(lightModels.sort()).toEqual(Object.keys(KNOWN).sort()));

  for (const model of lightModels) {
    const bytes = () => readFileSync(`${LIGHT}${model}.onnx`);
    const expected = () => tensorFromBytes(readFileSync(`${LIGHT}${model}_output_0.pb`), `${model}_output_0.pb`);

    it(`${model}: imports with the published parameter count and the expected output shape`, () => {
      const graph = onnxToGraph(bytes(), { name: `${model}.onnx` });
      const counts = countParams(graph);
      const independent = independentParamCount(bytes());
      console.log(
        `${model}: ${counts.params.toLocaleString('en-US')} parameters (${counts.nonTrainableParams} non-trainable), independent count ${independent.toLocaleString('en-US')}`,
      );
      expect(counts.params).toBe(independent);
      expect(counts.params).toBe(KNOWN[model]);
      if (model === 'resnet50') expect(counts.nonTrainableParams).toBe(53_120);
      expect(graph.outputs).toHaveLength(1);
      expect(graph.outputs[0].shape).toEqual(expected().shape);
      expect(graph.outputs[0].shape.slice(0, 2)).toEqual([1, 1000]);
      expect(graph.meta.opset).toBe(9);
      expect(graph.meta.source).toEqual({ kind: 'file', name: `${model}.onnx` });
      expect(graph.nodes.some((n) => n.op === 'ConstantOfShape')).toBe(false);
      // The folded weights are recipes, not allocations.
      expect(
        [...graph.initializers.values()].filter((i) => i.init?.kind === 'constant' && !i.data).length,
      ).toBeGreaterThan(0);
      expect(graph.meta.warnings).toEqual([]);
      expect(graph.inputs.map((i) => i.shape)).toEqual([[1, 3, 224, 224]]);
    });

    it(`${model}: ONNX Runtime reproduces ${model}_output_0.pb from the ramp input`, async () => {
      const graph = onnxToGraph(bytes(), { name: `${model}.onnx` });
      const input = graph.inputs[0];
      const n = input.shape.reduce((a, b) => a * b, 1);
      const x = Float32Array.from({ length: n }, (_, i) => i / n);
      const session = await createSession(bytes(), `${model}.onnx`);
      const out = await runFloat(session, { [input.name]: { shape: input.shape, data: x } });
      const got = out[graph.outputs[0].name];
      const want = expected();
      expect(got.shape).toEqual(want.shape);
      const cmp = allClose(got.data, want.data as Float32Array, 1e-3, 1e-7);
      expect(cmp.worst, `${model}: worst element`).toMatchObject({ index: -1 });
      await session.release();
    });
  }
});

describe.skipIf(!haveData)('re-exporting the opset-9 onnx-light models at opset 17', () => {
  // vgg19 works too (574 MB written, about 3 GB of memory in all); left out to keep the suite light.
  for (const model of ['squeezenet', 'inception_v1', 'resnet50', 'bvlc_alexnet']) {
    it(`${model}: the upgraded export runs on ONNX Runtime with the same output`, async () => {
      const graph = onnxToGraph(readFileSync(`${LIGHT}${model}.onnx`), { name: `${model}.onnx` });
      const bytes = graphToOnnx(graph);
      const back = onnxToGraph(bytes, { name: `${model}-17.onnx` });
      expect(back.meta.opset).toBe(17);
      expect(countParams(back)).toEqual(countParams(graph));
      expect(back.nodes.length).toBe(graph.nodes.length);
      const input = graph.inputs[0];
      const n = input.shape.reduce((a, b) => a * b, 1);
      const session = await createSession(bytes, `${model} re-export`);
      const out = await runFloat(session, {
        [input.name]: { shape: input.shape, data: Float32Array.from({ length: n }, (_, i) => i / n) },
      });
      await session.release();
      const want = tensorFromBytes(readFileSync(`${LIGHT}${model}_output_0.pb`), 'expected');
      expect(allClose(out[graph.outputs[0].name].data, want.data as Float32Array, 1e-3, 1e-7).worst).toMatchObject({
        index: -1,
      });
    });
  }

  it('refuses to export an old operator form it cannot upgrade, naming it', () => {
    const graph = onnxToGraph(readFileSync(`${LIGHT}squeezenet.onnx`), { name: 'squeezenet.onnx' });
    graph.nodes.push({
      name: 'pad0',
      op: 'Pad',
      domain: '',
      inputs: [graph.outputs[0].name],
      outputs: ['padded'],
      attrs: {},
    });
    expect(() => graphToOnnx(graph)).toThrow(/cannot export Pad node 'pad0' from opset 9 to opset 17/);
  });
});

const torchCases = haveData ? readdirSync(TORCH).sort() : [];
/** Cases whose operator versions onnxruntime-node 1.30 has no kernel for (conformance README). */
const ORT_REFUSES: Record<string, string> = {
  AvgPool2d: 'operator AveragePool version 1',
  BatchNorm2d_eval: 'operator BatchNormalization version 6',
  Linear: 'operator Gemm version 6',
};

describe.skipIf(!haveData)('pytorch-converted conformance cases', () => {
  it('has the twelve cases', () => expect(torchCases).toHaveLength(12));

  for (const c of torchCases) {
    const dir = `${TORCH}${c}/`;
    it(`${c}: imports with the expected output shape and runs on ONNX Runtime (or is refused clearly)`, async () => {
      const bytes = readFileSync(`${dir}model.onnx`);
      const input = tensorFromBytes(readFileSync(`${dir}test_data_set_0/input_0.pb`), 'input_0.pb');
      const want = tensorFromBytes(readFileSync(`${dir}test_data_set_0/output_0.pb`), 'output_0.pb');
      const graph = onnxToGraph(bytes, { name: `${c}/model.onnx` });
      expect(graph.inputs[0].shape).toEqual(input.shape);
      expect(graph.outputs[0].shape).toEqual(want.shape);
      const run = async () => {
        const session = await createSession(bytes, `${c}/model.onnx`);
        const out = await runFloat(session, {
          [graph.inputs[0].name]: { shape: input.shape, data: input.data as Float32Array },
        });
        await session.release();
        return out[graph.outputs[0].name];
      };
      if (ORT_REFUSES[c]) {
        const err = await run().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(StudioError);
        expect((err as Error).message).toContain(ORT_REFUSES[c]);
        expect((err as Error).message).toContain(`${c}/model.onnx`);
        return;
      }
      const got = await run();
      expect(got.shape).toEqual(want.shape);
      expect(allClose(got.data, want.data as Float32Array, 1e-3, 1e-5).worst).toMatchObject({ index: -1 });
    });
  }
});
