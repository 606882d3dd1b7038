// evaluateAccuracy in process: a nearest-class-mean classifier (whose answer is known to be far
// above chance) on Fashion-MNIST, batches and padding, backends, the checks before running, and
// where the preprocessing comes from.
import { beforeAll, describe, expect, it } from 'vitest';
import { PreprocessSchema } from '../shared/data/dataset.js';
import {
  readPreprocessMetadata,
  setModelMetadata,
  withPreprocessMetadata,
  PREPROCESS_METADATA_KEY,
} from '../shared/data/model-metadata.js';
import { onnxToGraph } from '../shared/onnx/reader.js';
import { evaluateAccuracy } from '../main/accuracy/evaluate.js';
import { choosePreprocess, derivedPreprocess } from '../main/accuracy/preprocess-defaults.js';
import { tryLoadNativeAddon } from '../main/backends/native/addon.js';
import { openDataset } from '../main/data/open.js';
import { gemmClassifier, makeImageFolder, nearestClassMean } from './helpers/image-fixtures.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const gray = PreprocessSchema.parse({ channels: 1, crop: [28, 28] });
let ncm: Uint8Array;

beforeAll(async () => {
  // Class means from the first 6000 training images: plenty for a nearest-class-mean classifier.
  const train = await openDataset(FASHION, { split: 'train', preprocess: gray, limit: 6000 });
  const b = await train.read(0, 6000);
  ncm = nearestClassMean(b.images, b.labels, 10, [1, 28, 28]);
});

describe('evaluateAccuracy', () => {
  it('scores the nearest-class-mean classifier far above chance, the same at any batch size', async () => {
    const dataset = await openDataset(FASHION, { preprocess: gray, limit: 300 });
    const progress: number[] = [];
    const a = await evaluateAccuracy({
      modelBytes: ncm,
      backend: 'ort-cpu',
      batch: 64,
      dataset,
      onProgress: (p) => progress.push(p.done),
    });
    expect(a.accuracy.count).toBe(300);
    expect(a.accuracy.top1).toBeGreaterThan(0.5);
    expect(a.accuracy.top5).toBeGreaterThan(a.accuracy.top1);
    expect(a.accuracy.confusion.flat().reduce((s, v) => s + v, 0)).toBe(300);
    expect(a.accuracy.perClass.reduce((s, c) => s + c.count, 0)).toBe(300);
    expect(a.accuracy.perClass[1]).toMatchObject({ name: 'Trouser' });
    expect(a.timing).toMatchObject({ batch: 64, batches: 5 });
    expect(a.timing.inferenceImagesPerSecond).toBeGreaterThan(a.timing.endToEndImagesPerSecond);
    expect(progress).toEqual([64, 128, 192, 256, 300]);
    // 300 = 42 x 7 + 6: the last batch is padded, and the padding's predictions are dropped.
    const b = await evaluateAccuracy({ modelBytes: ncm, backend: 'ort-cpu', batch: 7, dataset });
    expect(b.accuracy.confusion).toEqual(a.accuracy.confusion);
    expect(b.timing.batches).toBe(43);
  });

  it('gives the same answers on the native backend', async () => {
    if ('error' in tryLoadNativeAddon()) return expect.fail('the native addon is not built: run npm run build:native');
    const dataset = await openDataset(FASHION, { preprocess: gray, limit: 100 });
    const graph = onnxToGraph(ncm, { name: 'ncm.onnx', dims: { N: 16 } });
    const ort = await evaluateAccuracy({ modelBytes: ncm, backend: 'ort-cpu', batch: 16, dataset });
    const native = await evaluateAccuracy({ modelBytes: ncm, graph, backend: 'native', batch: 16, dataset });
    expect(native.accuracy.confusion).toEqual(ort.accuracy.confusion);
  });

  it('runs a model with a fixed batch at that batch, and says so', async () => {
    const dataset = await openDataset(FASHION, { preprocess: gray, limit: 10 });
    const fixed = gemmClassifier(new Float32Array(3 * 784), Float32Array.from([0, 1, 0]), [1, 28, 28], 4);
    // 3 outputs for 10 classes is refused; 12 outputs (the first 10 the data's) runs with a warning.
    await expect(evaluateAccuracy({ modelBytes: fixed, backend: 'ort-cpu', batch: 8, dataset })).rejects.toThrow(
      /the data set has 10 classes but the model outputs 3 scores: labels that do not match the model's classes/,
    );
    const wide = gemmClassifier(
      new Float32Array(12 * 784),
      Float32Array.from({ length: 12 }, (_, i) => (i === 11 ? 1 : 0)),
      [1, 28, 28],
      4,
    );
    const r = await evaluateAccuracy({ modelBytes: wide, backend: 'ort-cpu', batch: 8, dataset });
    expect(r.timing.batch).toBe(4);
    expect(r.accuracy.top1).toBe(0); // always output 11, which is no class of the data
    expect(r.accuracy.confusion.every((row) => row.length === 12 && row[11] === row.reduce((a, v) => a + v, 0))).toBe(
      true,
    );
    expect(r.warnings.join('\n')).toMatch(
      /fixed batch size of 4.*instead of 8[\s\S]*outputs 12 scores for a data set of 10 classes/,
    );
  });

  it('refuses images of another shape than the model reads, suggesting the flags', async () => {
    const dataset = await openDataset(FASHION, { preprocess: gray, limit: 10 });
    const rgb = gemmClassifier(new Float32Array(10 * 3 * 32 * 32), new Float32Array(10), [3, 32, 32]);
    await expect(
      evaluateAccuracy({ modelBytes: rgb, backend: 'ort-cpu', batch: 8, dataset, label: 'rgb.onnx' }),
    ).rejects.toThrow(
      /rgb.onnx reads images of 3x32x32 .* but the preprocessed data are 1x28x28: pass --channels 3 and --crop 32x32 \(with --resize 32/,
    );
  });

  it('uses the class names given', async () => {
    const dataset = await openDataset(FASHION, {
      preprocess: gray,
      limit: 10,
      classNames: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'],
    });
    const r = await evaluateAccuracy({ modelBytes: ncm, backend: 'ort-cpu', batch: 8, dataset });
    expect(r.accuracy.perClass.map((c) => c.name)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
  });

  it('evaluates an image folder, without top-5 for fewer than 5 outputs', async () => {
    const { root } = await makeImageFolder(6);
    const p = PreprocessSchema.parse({ channels: 3, crop: [8, 8] });
    const all = await openDataset(root, { preprocess: p });
    const b = await all.read(0, all.info.count);
    const model = nearestClassMean(b.images, b.labels, 3, [3, 8, 8]);
    const r = await evaluateAccuracy({ modelBytes: model, backend: 'ort-cpu', batch: 4, dataset: all });
    expect(r.accuracy.count).toBe(18);
    expect(r.accuracy.top5).toBeUndefined();
    expect(r.accuracy.perClass.map((c) => c.name)).toEqual(['bird', 'cat', 'dog']);
    expect(r.accuracy.top1).toBeGreaterThan(1 / 3);
  });
});

describe('the preprocessing defaults', () => {
  it('derive from the model input, then the model metadata, then flags', () => {
    const graph = onnxToGraph(ncm, { name: 'ncm.onnx' });
    expect(derivedPreprocess(graph, 'ncm.onnx', [28, 28])).toEqual(
      PreprocessSchema.parse({ channels: 1, crop: [28, 28] }),
    );
    expect(derivedPreprocess(graph, 'ncm.onnx', [64, 48])).toEqual(
      PreprocessSchema.parse({ channels: 1, crop: [28, 28], resize: 28 }),
    );
    const model = { bytes: ncm, graph, label: 'ncm.onnx' };
    expect(choosePreprocess({}, model, [28, 28]).source).toBe('model-input');
    const p = PreprocessSchema.parse({ channels: 1, crop: [28, 28], scale: 255, mean: [10] });
    const tagged = { ...model, bytes: withPreprocessMetadata(ncm, p) };
    expect(readPreprocessMetadata(tagged.bytes)).toEqual(p);
    expect(choosePreprocess({}, tagged, [28, 28])).toEqual({ preprocess: p, source: 'model-metadata' });
    expect(choosePreprocess({ scale: 1 }, tagged, [28, 28])).toEqual({
      preprocess: { ...p, scale: 1 },
      source: 'flags',
    });
  });
  it('refuse broken metadata, naming the model', () => {
    const bad = setModelMetadata(ncm, PREPROCESS_METADATA_KEY, '{"channels": 2}');
    expect(() => readPreprocessMetadata(bad, 'ncm.onnx')).toThrow(
      /ncm.onnx: metadata 'bottleneck-studio.preprocess' is not a valid preprocessing description \(channels/,
    );
    expect(() => readPreprocessMetadata(setModelMetadata(ncm, PREPROCESS_METADATA_KEY, 'nope'), 'ncm.onnx')).toThrow(
      /is not JSON/,
    );
  });
});
