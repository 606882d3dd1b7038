// A synthetic, separable labeled data set in memory (a LabeledDataset, as main/data/ gives): small
// gray images of four textures (horizontal stripes, vertical stripes, a checkerboard, a flat patch)
// with seeded noise. Any reasonable feature extractor separates them, pooled or not.
import { createHash } from 'node:crypto';
import type { DatasetInfo, LabeledDataset, Preprocess } from '../../shared/data/dataset.js';
import { PreprocessSchema } from '../../shared/data/dataset.js';
import { seededRandom } from '../../shared/random.js';
import { StudioError } from '../../shared/ir/types.js';
import type { OpenOptions } from '../../main/data/open.js';

export const SYNTHETIC_CLASSES = ['h-stripes', 'v-stripes', 'checker', 'flat'];

export interface SyntheticOptions {
  size?: number;
  /** Images per split before the limit. */
  train?: number;
  test?: number;
  noise?: number;
  seed?: number;
}

function pixel(label: number, y: number, x: number): number {
  switch (label) {
    case 0:
      return y % 2 ? 0.9 : 0.1;
    case 1:
      return x % 2 ? 0.9 : 0.1;
    case 2:
      return (x + y) % 2 ? 0.9 : 0.1;
    default:
      return 0.5;
  }
}

export function syntheticDataset(
  split: 'train' | 'test' | 'all',
  preprocess: Preprocess,
  limit: number | undefined,
  o: SyntheticOptions = {},
): LabeledDataset {
  const size = o.size ?? 8;
  const available = split === 'test' ? (o.test ?? 80) : (o.train ?? 320);
  const count = Math.min(available, limit ?? available);
  const noise = o.noise ?? 0.15;
  const seed = (o.seed ?? 1) + (split === 'test' ? 1000 : 0);
  const c = preprocess.channels;
  const mean = preprocess.mean;
  const std = preprocess.std;
  const info: DatasetInfo = {
    source: 'synthetic://textures',
    format: 'idx',
    split,
    classes: SYNTHETIC_CLASSES,
    count,
    available,
    preprocess,
    imageShape: [c, size, size],
    fingerprint: createHash('sha256')
      .update(JSON.stringify({ size, available, noise, seed, split, limit, preprocess }))
      .digest('hex')
      .slice(0, 32),
  };
  return {
    info,
    async read(start, n) {
      if (start < 0 || start + n > count) throw new Error(`read(${start}, ${n}) outside [0, ${count})`);
      const images = new Float32Array(n * c * size * size);
      const labels = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        // Each image depends only on its index: the same image whatever the batch boundaries.
        const rand = seededRandom(seed * 100003 + start + i);
        const label = (start + i) % SYNTHETIC_CLASSES.length;
        labels[i] = label;
        for (let y = 0; y < size; y++)
          for (let x = 0; x < size; x++) {
            const v = Math.min(1, Math.max(0, pixel(label, y, x) + noise * (2 * rand() - 1))) * preprocess.scale;
            for (let ch = 0; ch < c; ch++)
              images[((i * c + ch) * size + y) * size + x] =
                (v - mean[Math.min(ch, mean.length - 1)]) / std[Math.min(ch, std.length - 1)];
          }
      }
      return { images, labels, count: n };
    },
  };
}

/** An opener with main/data/open.ts's signature that serves the synthetic set for any path. */
export function syntheticOpener(o: SyntheticOptions = {}) {
  return async (_path: string, opts: OpenOptions): Promise<LabeledDataset> => {
    const preprocess = PreprocessSchema.parse(opts.preprocess);
    const size = o.size ?? 8;
    if (preprocess.resize || preprocess.crop)
      throw new StudioError(`the synthetic data set is ${size}x${size} only; no resize or crop`, 'bad-parameter');
    return syntheticDataset(opts.split ?? 'test', preprocess, opts.limit, o);
  };
}
