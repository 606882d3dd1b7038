// Small valid accuracy and lab results for store, API, report and renderer tests (no data needed).
import type { AccuracyResult } from '../../shared/contract/accuracy.js';
import type { LabResult } from '../../shared/contract/lab.js';
import type { DatasetInfo } from '../../shared/data/dataset.js';

const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover'];

export function fakeDatasetInfo(o: Partial<DatasetInfo> = {}): DatasetInfo {
  return {
    source: '/usr/share/datasets/fashion-mnist',
    format: 'idx',
    split: 'test',
    classes: CLASSES,
    count: 30,
    available: 10000,
    preprocess: { channels: 1, crop: [28, 28], channelOrder: 'rgb', scale: 1, mean: [0], std: [1] },
    imageShape: [1, 28, 28],
    fingerprint: 'f'.repeat(16),
    ...o,
  };
}

export function fakeAccuracy(o: Partial<AccuracyResult> = {}): AccuracyResult {
  return {
    schema: 'bottleneck-studio/accuracy',
    version: 1,
    createdAt: '2025-06-02T08:30:00.000Z',
    studioVersion: '0.0.0-test',
    target: 'head-fc:classes=3',
    targetSpec: { kind: 'block', name: 'head-fc', params: { classes: 3 } },
    model: 'head-fc',
    seed: 0,
    backend: {
      backend: 'ort-cpu',
      intraOpThreads: 0,
      interOpThreads: 0,
      graphOptimization: 'all',
      executionMode: 'sequential',
      memoryArena: true,
      profiling: false,
    },
    precision: 'fp32',
    preprocessSource: 'model-input',
    dataset: fakeDatasetInfo(),
    accuracy: {
      count: 30,
      top1: 0.6,
      perClass: [
        { name: CLASSES[0], count: 10, correct: 8, accuracy: 0.8 },
        { name: CLASSES[1], count: 10, correct: 6, accuracy: 0.6 },
        { name: CLASSES[2], count: 10, correct: 4, accuracy: 0.4 },
      ],
      confusion: [
        [8, 1, 1],
        [2, 6, 2],
        [3, 3, 4],
      ],
      outputs: 3,
    },
    timing: {
      batch: 10,
      batches: 3,
      inferenceImagesPerSecond: 3000,
      endToEndImagesPerSecond: 1000,
      inferenceMs: 10,
      dataMs: 20,
      sessionMs: 5,
      elapsedMs: 35,
    },
    warnings: [],
    ...o,
  };
}

export function fakeLab(o: Partial<LabResult> = {}): LabResult {
  const head = (kind: 'gap' | 'fc', params: number, acc: number) => ({
    head: kind,
    title: kind === 'gap' ? 'global average pooling + linear' : 'flatten + linear',
    params,
    epochsRun: 2,
    bestEpoch: 2,
    valAccuracy: acc,
    valLoss: 0.5,
    testAccuracy: acc,
    testAccuracyJs: acc,
    testDisagreements: 0,
    testCount: 100,
    trainMs: 50,
    evaluateMs: 10,
    savedMs: 100,
    history: [
      { epoch: 1, trainLoss: 1, valLoss: 0.8, valAccuracy: acc - 0.1 },
      { epoch: 2, trainLoss: 0.6, valLoss: 0.5, valAccuracy: acc },
    ],
  });
  return {
    schema: 'bottleneck-studio/lab',
    version: 1,
    createdAt: '2025-06-02T09:00:00.000Z',
    base: {
      target: 'lab_mini_resnet',
      isDefault: true,
      inputShape: [1, 1, 28, 28],
      cut: { tensor: 'features', isDefault: true, reason: 'before global pooling' },
      featureShape: [32, 7, 7],
      modelHash: 'a'.repeat(64),
    },
    data: {
      train: fakeDatasetInfo({ split: 'train', count: 200, available: 60000 }),
      test: fakeDatasetInfo({ count: 100 }),
      preprocess: fakeDatasetInfo().preprocess,
      classes: CLASSES,
      trainImages: 180,
      valImages: 20,
    },
    cache: { hit: false, key: 'k'.repeat(16), dir: '/tmp/cache' },
    timings: { featuresMs: 100, extractMs: 100, baseMsPerImage: 0.5, basePassMs: 100, totalMs: 500 },
    timeSaved: { ms: 300, epochsTrained: 4, withoutCacheMs: 400, withCacheMs: 100 },
    heads: [head('gap', 99, 0.7), head('fc', 4707, 0.8)],
    settings: {
      data: '/usr/share/datasets/fashion-mnist',
      heads: ['gap', 'fc'],
      epochs: 2,
      batch: 64,
      trainBatch: 64,
      seed: 0,
      baseSeed: 0,
      valFraction: 0.1,
      patience: 3,
      weightDecay: 1e-4,
      hidden: 128,
      threads: 0,
    },
    ...o,
  };
}
