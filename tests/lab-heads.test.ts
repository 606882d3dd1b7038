// The lab's head training: plain Float32Array math, seeded, with standardization folded on export.
import { describe, expect, it } from 'vitest';
import { StudioError } from '../shared/ir/types.js';
import { gapRows, standardize, type FeatureSet } from '../shared/lab/features.js';
import {
  DEFAULT_TRAIN,
  foldedLayers,
  headInput,
  parseHeads,
  predictClasses,
  predictLogits,
  trainHead,
  validationSplit,
  type HeadKind,
} from '../shared/lab/heads.js';
import { seededRandom } from '../shared/random.js';

/** Three classes of 4x3x3 feature maps: each class lights up its own channel (plus noise and an offset). */
function blobs(count: number, seed: number): FeatureSet {
  const rand = seededRandom(seed);
  const shape = [4, 3, 3];
  const data = new Float32Array(count * 36);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 3;
    for (let j = 0; j < 36; j++) data[i * 36 + j] = 10 + 0.5 * rand() + (Math.floor(j / 9) === labels[i] ? 2 : 0);
  }
  return { shape, count, data, labels };
}

const now = () => performance.now();

describe('lab: heads', () => {
  it('parses head names and refuses unknown ones with the list', () => {
    expect(parseHeads('gap, FC,mlp,gap')).toEqual(['gap', 'fc', 'mlp']);
    expect(() => parseHeads('gap,svm')).toThrow(StudioError);
    expect(() => parseHeads('gap,svm')).toThrow(/unknown head 'svm'.*gap.*fc.*mlp/);
    expect(() => parseHeads(' , ')).toThrow(/at least one head/);
  });

  it('splits validation rows seeded, disjoint, about 10%', () => {
    const a = validationSplit(1000, 0.1, 7);
    const b = validationSplit(1000, 0.1, 7);
    expect(Array.from(a.val)).toEqual(Array.from(b.val));
    expect(a.val.length).toBe(100);
    expect(a.train.length).toBe(900);
    const all = new Set([...a.train, ...a.val]);
    expect(all.size).toBe(1000);
    expect(Array.from(validationSplit(1000, 0.1, 8).val)).not.toEqual(Array.from(a.val));
  });

  it('pools like GlobalAveragePool', () => {
    const f = blobs(2, 1);
    const g = gapRows(f);
    expect(g.width).toBe(4);
    const mean = f.data.slice(9, 18).reduce((s, v) => s + v, 0) / 9;
    expect(g.data[1]).toBeCloseTo(mean, 5);
  });

  for (const kind of ['gap', 'fc', 'mlp'] as HeadKind[])
    it(`trains a ${kind} head to 100% on separable features, reproducibly, with per-epoch progress`, () => {
      const train = blobs(300, 1);
      const test = blobs(90, 2);
      const { train: tr, val } = validationSplit(train.count, 0.1, 0);
      const input = { kind, rows: headInput(kind, train), labels: train.labels, classes: 3, trainIdx: tr, valIdx: val };
      const opts = { ...DEFAULT_TRAIN, epochs: 40, patience: 5, hidden: 16, learningRate: 2e-2 };
      const epochs: number[] = [];
      const head = trainHead(input, opts, now, (e) => epochs.push(e.epoch));
      expect(epochs.length).toBe(head.epochsRun);
      expect(head.bestEpoch).toBeGreaterThanOrEqual(1);
      expect(head.valAccuracy).toBe(1);
      const pred = predictClasses(head, headInput(kind, test));
      expect(pred.every((p, i) => p === test.labels[i])).toBe(true);
      expect(head.params).toBe(kind === 'mlp' ? 36 * 16 + 16 + 16 * 3 + 3 : kind === 'gap' ? 4 * 3 + 3 : 36 * 3 + 3);
      // Same seed, same weights.
      const again = trainHead(input, opts, now);
      expect(Array.from(again.layers[0].weight)).toEqual(Array.from(head.layers[0].weight));
    });

  it('stops early on the validation loss and keeps the best epoch', () => {
    // Labels that are noise: the validation loss stops improving quickly.
    const f = blobs(200, 3);
    const rand = seededRandom(5);
    f.labels = f.labels.map(() => Math.floor(rand() * 3));
    const { train, val } = validationSplit(f.count, 0.2, 0);
    const head = trainHead(
      { kind: 'fc', rows: headInput('fc', f), labels: f.labels, classes: 3, trainIdx: train, valIdx: val },
      { ...DEFAULT_TRAIN, epochs: 200, patience: 2, learningRate: 5e-2 },
      now,
    );
    expect(head.epochsRun).toBeLessThan(200);
    expect(head.epochsRun - head.bestEpoch).toBe(2);
    expect(head.valLoss).toBe(Math.min(...head.history.map((e) => e.valLoss)));
  });

  it('folds the standardization into the first layer', () => {
    const f = blobs(120, 4);
    const { train, val } = validationSplit(f.count, 0.1, 0);
    const rows = headInput('mlp', f);
    const head = trainHead(
      { kind: 'mlp', rows, labels: f.labels, classes: 3, trainIdx: train, valIdx: val },
      { ...DEFAULT_TRAIN, epochs: 3, hidden: 8 },
      now,
    );
    const viaStandardized = predictLogits(head.layers, standardize(rows, head.standardizer));
    const viaFolded = predictLogits(foldedLayers(head), rows);
    for (let i = 0; i < viaStandardized.length; i++) expect(viaFolded[i]).toBeCloseTo(viaStandardized[i], 3);
  });
});
