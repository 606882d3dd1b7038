// `accuracy` through the real CLI on Fashion-MNIST (Debian's dataset-fashion-mnist, installed by
// scripts/ensure-test-data.mjs): a nearest-class-mean classifier built here from the training
// split, whose accuracy is far above chance, and a catalog head with seeded weights.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AccuracyResultSchema } from '../shared/contract/accuracy.js';
import { PreprocessSchema } from '../shared/data/dataset.js';
import { withPreprocessMetadata } from '../shared/data/model-metadata.js';
import { openDataset } from '../main/data/open.js';
import { accuracyStore } from '../main/store/document-store.js';
import { cli, cliJson } from './helpers/cli.js';
import { nearestClassMean, tempDir } from './helpers/image-fixtures.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const HEAD = 'head-fc:height=28,width=28,channels=1,classes=10';
let dir: string;
let ncmPath: string;

beforeAll(async () => {
  dir = tempDir('accuracy-cli');
  // The CLI saves results by default: into this run's folder, never the user's (the children inherit it).
  process.env.BOTTLENECK_STUDIO_RESULTS = join(dir, 'results');
  // Means of raw pixels (scale 255): the model file records that preprocessing in its metadata.
  const raw = PreprocessSchema.parse({ channels: 1, crop: [28, 28], scale: 255 });
  const train = await openDataset(FASHION, { split: 'train', preprocess: raw, limit: 6000 });
  const b = await train.read(0, 6000);
  ncmPath = join(dir, 'ncm.onnx');
  writeFileSync(ncmPath, withPreprocessMetadata(nearestClassMean(b.images, b.labels, 10, [1, 28, 28]), raw));
});

describe('accuracy (CLI)', () => {
  it('measures a nearest-class-mean classifier on 500 test images: far above chance, one JSON document', () => {
    const r = AccuracyResultSchema.parse(
      cliJson(['accuracy', ncmPath, '--data', FASHION, '--limit', '500', '--batch', '64'], { allowStderr: true }),
    );
    expect(r).toMatchObject({
      schema: 'bottleneck-studio/accuracy',
      version: 1,
      target: ncmPath,
      targetSpec: { kind: 'file', path: ncmPath },
      precision: 'fp32',
      preprocessSource: 'model-metadata',
      backend: { backend: 'ort-cpu' },
      dataset: {
        format: 'idx',
        split: 'test',
        count: 500,
        available: 10000,
        imageShape: [1, 28, 28],
        preprocess: { scale: 255 },
      },
      accuracy: { count: 500, outputs: 10 },
      timing: { batch: 64, batches: 8 },
    });
    expect(r.accuracy.top1).toBeGreaterThan(0.5);
    expect(r.accuracy.top5!).toBeGreaterThan(0.9);
    expect(r.accuracy.confusion.flat().reduce((a, v) => a + v, 0)).toBe(500);
    expect(r.accuracy.confusion.map((row, i) => row[i])).toEqual(r.accuracy.perClass.map((c) => c.correct));
    expect(r.timing.inferenceImagesPerSecond).toBeGreaterThan(0);
    expect(r.dataset.classes[9]).toBe('Ankle boot');
    expect(r.seed).toBeUndefined();
  });

  it('prints a table for a catalog head with seeded weights, progress on stderr', () => {
    const r = cli(['accuracy', HEAD, '--data', FASHION, '--limit', '200', '--batch', '50', '--backend', 'native']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/head-fc.* on .*fashion-mnist: test split, 200 of 10000 images, 10 classes, 1x28x28/);
    expect(r.stdout).toMatch(/preprocessing \(from the model's input\): 1 channel, no resize, center crop 28x28/);
    expect(r.stdout).toMatch(/backend native, fp32, batch 50, seeded weights \(seed 0\)/);
    expect(r.stdout).toMatch(/top-1 accuracy +\d+\.\d\d% \(\d+ of 200\)/);
    expect(r.stdout).toMatch(/top-5 accuracy/);
    expect(r.stdout).toMatch(/images\/s +\d+ inference only/);
    expect(r.stdout).toMatch(/9 +Ankle boot +\d+/);
    expect(r.stdout).toMatch(/confusion matrix \(rows: true class #, columns: predicted output #\)/);
    // Not a terminal: one progress line per step of ~10%, the last at 100%.
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/200\/200 images \(100%\)/);
  });

  it('takes preprocessing flags over the model metadata', () => {
    const r = cliJson(['accuracy', ncmPath, '--data', FASHION, '--limit', '100', '--scale', '1', '--mean', '0.5'], {
      allowStderr: true,
    });
    expect(r.preprocessSource).toBe('flags');
    expect(r.dataset.preprocess).toMatchObject({ scale: 1, mean: [0.5], crop: [28, 28] });
  });

  it('refuses labels that do not match the model classes, and a model input the data does not fit', () => {
    const few = cli([
      'accuracy',
      'head-fc:height=28,width=28,channels=1,classes=8',
      '--data',
      FASHION,
      '--limit',
      '10',
    ]);
    expect(few.code).toBe(2);
    expect(few.stderr).toMatch(
      /^error: the data set has 10 classes but .* outputs 8 scores: labels that do not match the model's classes/,
    );
    const wrong = cli(['accuracy', HEAD, '--data', FASHION, '--limit', '10', '--crop', '24x24', '--json']);
    expect(wrong.code).toBe(2);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr).toMatch(/reads images of 1x28x28 .* but the preprocessed data are 1x24x24: pass --crop 28x28/);
    const missing = cli(['accuracy', HEAD, '--data', join(dir, 'nothing-here')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nothing-here: no such file or folder/);
  });

  it('saves the result in <results>/accuracy/ (atomically, with an id) unless --no-save', () => {
    const results = join(dir, 'saved-results');
    const r = AccuracyResultSchema.parse(
      cliJson(['accuracy', HEAD, '--data', FASHION, '--limit', '20', '--results', results], { allowStderr: true }),
    );
    expect(r.id).toMatch(/^acc-\d{14}-[0-9a-f]{8}$/);
    const { items, problems } = accuracyStore(results).list();
    expect(problems).toEqual([]);
    expect(items.map((i) => i.id)).toEqual([r.id]);
    expect(readdirSync(results)).toEqual(['accuracy']);
    const text = cli(['accuracy', HEAD, '--data', FASHION, '--limit', '20', '--results', results, '--no-save']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).not.toMatch(/saved /);
    expect(accuracyStore(results).list().items).toHaveLength(1);
  });
});
