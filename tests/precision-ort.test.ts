// The variants on ONNX Runtime's CPU provider: int8 runs with integer kernels (proved by the
// optimized model ORT saves) and stays close to fp32; fp16 is whatever ORT really does here.
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import type { Graph } from '../shared/ir/types.js';
import { graphToOnnx } from '../shared/onnx/writer.js';
import { fidelity } from '../shared/precision/fidelity.js';
import { buildTarget } from '../shared/targets.js';
import type { HostTensor } from '../main/backends/backend.js';
import { makeInputs } from '../main/backends/inputs.js';
import { cpuSession, feedsOf, optimizedNodes, outputsOf, referenceOutputs } from '../main/backends/ort/runs.js';
import { buildVariant } from '../main/precision/variant.js';
import { checkVariantOnOrt, INTEGER_KERNELS } from '../main/backends/ort/variant-check.js';

/**
 * Image-like inputs: smooth colour gradients and a few bright blobs in [0, 1], a little noise,
 * normalized with ImageNet's mean and standard deviation (what a real preprocessed photo looks like
 * to the first layer, unlike uniform noise).
 */
function imageLike(graph: Graph, seed: number): HostTensor[] {
  let s = seed * 7919 + 17;
  const rand = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const [n, c, h, w] = graph.inputs[0].shape;
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const data = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++) {
    const blobs = Array.from({ length: 3 }, () => [rand() * w, rand() * h, 2 + rand() * (w / 4), rand()]);
    const tint = [rand(), rand(), rand()];
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          let v = 0.3 * tint[ch % 3] + (0.4 * (x + y)) / (w + h);
          for (const [bx, by, r, k] of blobs) v += 0.5 * k * Math.exp(-((x - bx) ** 2 + (y - by) ** 2) / (r * r));
          v = Math.min(1, Math.max(0, v + (rand() - 0.5) * 0.05));
          data[((b * c + ch) * h + y) * w + x] = (v - mean[ch % 3]) / std[ch % 3];
        }
  }
  return [{ name: graph.inputs[0].name, dtype: 'float32', shape: [n, c, h, w], data }];
}

async function runVariant(bytes: Uint8Array, inputs: HostTensor[]) {
  const s = await cpuSession(bytes);
  try {
    return outputsOf(await s.run(feedsOf(inputs)));
  } finally {
    await s.release();
  }
}

async function kernels(bytes: Uint8Array) {
  const nodes = await optimizedNodes(bytes, 'cpu', 'all');
  const count: Record<string, number> = {};
  for (const n of nodes) count[n.op] = (count[n.op] ?? 0) + 1;
  return count;
}

describe('int8 on ONNX Runtime CPU', () => {
  it('a bottleneck block: integer kernels, cosine > 0.99 against fp32', async () => {
    const graph = buildTarget({ target: 'bottleneck', set: { height: '14', width: '14' } });
    const fp32 = graphToOnnx(graph, { seed: 0 });
    const v = await buildVariant(fp32, graph, 'int8', { calibration: { samples: 8 } });
    expect(v.details.calibration).toMatchObject({ method: 'minmax', samples: 8, seed: 1000, source: 'seeded-random' });
    const inputs = makeInputs(graph, 0);
    const f = fidelity(await runVariant(v.bytes, inputs), await referenceOutputs(fp32, inputs));
    // Measured: cosine 0.99986, relative error 0.017.
    expect(f.overall.cosine).toBeGreaterThan(0.999);
    expect(f.overall.relError).toBeLessThan(0.05);
    // The optimized model ORT saves (optimizedModelFilePath) runs QLinearConv/QLinearAdd, no float Conv.
    const k = await kernels(v.bytes);
    expect(k.QLinearConv).toBe(3);
    expect(k.QLinearAdd).toBe(1);
    expect(k.Conv ?? 0).toBe(0);
    expect(k.Add ?? 0).toBe(0);
    expect(await checkVariantOnOrt('ort-cpu', { graphOptimization: 'all' }, v)).toEqual([]);
    expect(v.details.quantization!.runtimeKernels!.QLinearConv).toBe(3);
  });

  it('resnet18 at 64x64 with 10 classes, calibrated on image-like inputs: integer kernels, cosine > 0.99, top-1 recorded', async () => {
    const graph = buildTarget({ target: 'resnet18', set: { size: '64', classes: '10' } });
    const fp32 = graphToOnnx(graph, { seed: 0 });
    const calib = [1, 2, 3, 4, 5, 6].map((k) => imageLike(graph, k));
    // Entropy is left out here: on these seeded (untrained) weights it clips too much (cosine
    // 0.966-0.994 measured); the calibration tests check its ranges.
    for (const method of ['minmax', 'percentile'] as const) {
      const v = await buildVariant(fp32, graph, 'int8', { calibration: { method }, feeds: calib });
      expect(v.details.calibration).toMatchObject({ method, samples: 6, source: 'supplied' });
      expect(v.details.calibration!.seed).toBeUndefined();
      let agree = 0;
      const tests = [100, 101, 102, 103];
      for (const seed of tests) {
        const inputs = imageLike(graph, seed);
        const f = fidelity(await runVariant(v.bytes, inputs), await referenceOutputs(fp32, inputs));
        // Measured: minmax cosine 0.9993-0.9996 per image, percentile 0.9989-0.9997.
        expect(f.overall.cosine).toBeGreaterThan(0.99);
        agree += f.overall.top1Agreement!;
      }
      // Untrained logits of 10 classes lie close together, so top-1 can flip (measured 2-4 of 4).
      expect(agree / tests.length).toBeGreaterThanOrEqual(0.5);
      const k = await kernels(v.bytes);
      expect(k.QLinearConv).toBe(20);
      expect(k.QLinearAdd).toBe(8);
      expect(k.QGemm).toBe(1);
      expect(k.QLinearGlobalAveragePool).toBe(1);
      expect(k.Conv ?? 0).toBe(0);
      expect(k.Gemm ?? 0).toBe(0);
      expect(Object.keys(k).filter((op) => INTEGER_KERNELS.has(op)).length).toBeGreaterThanOrEqual(4);
    }
  }, 120_000);
});

describe('fp16 on ONNX Runtime CPU', () => {
  it('is refused, naming the operators ORT has no float16 kernel for, because ORT would compute them in float32', async () => {
    const graph = buildTarget({ target: 'bottleneck', set: { height: '8', width: '8' } });
    const fp32 = graphToOnnx(graph, { seed: 0 });
    const v = await buildVariant(fp32, graph, 'fp16');
    // What ORT really does on this x86-64 CPU: the fp16 model loads and runs...
    const out = await runVariant(v.bytes, makeInputs(graph, 0));
    expect(out[0].data).toBeInstanceOf(Float32Array);
    // ...but the graph it runs has Casts to float32 in front of Conv: its CPU provider has no float16 Conv.
    const nodes = await optimizedNodes(v.bytes, 'cpu', 'disabled');
    const convs = nodes.filter((n) => n.op === 'Conv');
    expect(convs.length).toBe(3);
    expect(convs.every((n) => n.inputType === 1 && n.fedByFloatCast)).toBe(true);
    // So the studio refuses to call that fp16.
    await expect(checkVariantOnOrt('ort-cpu', { graphOptimization: 'all' }, v)).rejects.toThrow(
      /ort-cpu cannot run the fp16 variant: .*CPU provider has no float16 kernel for Conv.*float32/,
    );
    expect(v.details.notes[0]).toMatch(/inputs and outputs stay float32 through 2 Cast nodes/);
    expect(ort.env.versions.common).toBeTruthy();
  });
});
