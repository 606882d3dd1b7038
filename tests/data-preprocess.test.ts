// The preprocessing math of shared/data/preprocess.ts against values computed by hand.
import { describe, expect, it } from 'vitest';
import { PreprocessSchema, type Preprocess } from '../shared/data/dataset.js';
import {
  centerOffset,
  channelStats,
  convertChannels,
  preprocessedShape,
  preprocessImage,
  resizeBilinear,
  resizedSize,
  type RawImage,
} from '../shared/data/preprocess.js';
import { holdoutMask } from '../shared/data/split.js';

const P = (p: Partial<Preprocess> & { channels: 1 | 3 }): Preprocess => PreprocessSchema.parse(p);
const close = (got: ArrayLike<number>, want: number[]) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 5));
};

describe('resize and crop geometry', () => {
  it('resizes the shorter side and keeps the aspect ratio (rounded)', () => {
    expect(resizedSize(28, 28, undefined)).toEqual([28, 28]);
    expect(resizedSize(375, 500, 256)).toEqual([256, 341]); // 500 * 256 / 375 = 341.33
    expect(resizedSize(500, 375, 256)).toEqual([341, 256]);
    expect(resizedSize(10, 30, 5)).toEqual([5, 15]);
  });
  it('centers the crop, the odd pixel left at the end', () => {
    expect(centerOffset(5, 3)).toBe(1);
    expect(centerOffset(4, 3)).toBe(0);
    expect(centerOffset(256, 224)).toBe(16);
  });
  it('gives the preprocessed shape, and refuses a crop larger than the image', () => {
    expect(preprocessedShape(375, 500, P({ channels: 3, resize: 256, crop: [224, 224] }))).toEqual([3, 224, 224]);
    expect(preprocessedShape(28, 28, P({ channels: 1 }))).toEqual([1, 28, 28]);
    expect(() => preprocessedShape(28, 28, P({ channels: 1, crop: [32, 32] }))).toThrow(
      /crop 32x32 is larger than the image \(28x28\).*--crop.*--resize/,
    );
  });
});

describe('bilinear resize (half-pixel centers, clamped edges)', () => {
  const src = Float32Array.from([0, 10, 20, 30]); // 2x2, one channel: [[0, 10], [20, 30]]
  it('upsamples 2x2 to 4x4', () => {
    // Source coordinates of the 4 outputs per axis: -0.25, 0.25, 0.75, 1.25 -> clamped 0, 0.25, 0.75, 1.
    // Value = 10 * x + 20 * y.
    const want: number[] = [];
    for (const y of [0, 0.25, 0.75, 1]) for (const x of [0, 0.25, 0.75, 1]) want.push(10 * x + 20 * y);
    close(resizeBilinear(src, 2, 2, 1, 4, 4), want);
  });
  it('downsamples 4x4 to 2x2 by averaging the middle of each 2x2 cell', () => {
    const s = Float32Array.from({ length: 16 }, (_, i) => i); // value = 4 y + x
    // Output (0,0) samples (0.5, 0.5): (0 + 1 + 4 + 5) / 4 = 2.5; (0,1) samples x = 2.5: 4.5; ...
    close(resizeBilinear(s, 4, 4, 1, 2, 2), [2.5, 4.5, 10.5, 12.5]);
  });
  it('interpolates each channel of an interleaved image separately', () => {
    const rgb = Float32Array.from([0, 100, 200, 10, 110, 210]); // 1x2, 3 channels
    // 1x2 -> 1x4: x samples 0, 0.25, 0.75, 1.
    close(resizeBilinear(rgb, 1, 2, 3, 1, 4), [0, 100, 200, 2.5, 102.5, 202.5, 7.5, 107.5, 207.5, 10, 110, 210]);
  });
  it('leaves an image of the target size as it is', () => {
    expect(resizeBilinear(src, 2, 2, 1, 2, 2)).toBe(src);
  });
});

describe('channels, order, scale, mean and std', () => {
  const rgb: RawImage = { width: 2, height: 1, channels: 3, data: Uint8Array.from([255, 0, 0, 10, 20, 30]) };
  it('turns RGB into gray with the BT.601 luma weights', () => {
    close(convertChannels(rgb, 1), [0.299 * 255, 0.299 * 10 + 0.587 * 20 + 0.114 * 30]);
  });
  it('replicates gray into 3 channels', () => {
    close(convertChannels({ width: 2, height: 1, channels: 1, data: Uint8Array.from([7, 9]) }, 3), [7, 7, 7, 9, 9, 9]);
  });
  it('writes NCHW planes in RGB or BGR order', () => {
    close(preprocessImage(rgb, P({ channels: 3, scale: 255 })), [255, 10, 0, 20, 0, 30]);
    close(preprocessImage(rgb, P({ channels: 3, scale: 255, channelOrder: 'bgr' })), [0, 30, 0, 20, 255, 10]);
  });
  it('scales to [0, scale], subtracts the mean and divides by the std per channel', () => {
    // R plane: (255/255 - 0.5) / 0.25 = 2 and (10/255 - 0.5) / 0.25; G: (0 - 0.25) / 0.5, (20/255 - 0.25) / 0.5; B: (x/255 - 0) / 2
    close(preprocessImage(rgb, P({ channels: 3, mean: [0.5, 0.25, 0], std: [0.25, 0.5, 2] })), [
      2,
      (10 / 255 - 0.5) / 0.25,
      -0.5,
      (20 / 255 - 0.25) / 0.5,
      0,
      30 / 255 / 2,
    ]);
  });
  it('takes the mean and std in the model channel order (after BGR)', () => {
    // BGR: plane 0 is B (0, 30), subtracts mean[0] = 1.
    close(
      preprocessImage(rgb, P({ channels: 3, scale: 255, channelOrder: 'bgr', mean: [1, 2, 3] })).subarray(0, 2),
      [-1, 29],
    );
  });
  it('expands one mean / std value to every channel and refuses a wrong count', () => {
    expect(channelStats(P({ channels: 3, mean: [0.5], std: [2] }))).toEqual({ mean: [0.5, 0.5, 0.5], std: [2, 2, 2] });
    expect(() => channelStats(P({ channels: 1, mean: [0.1, 0.2, 0.3] }))).toThrow(
      /--mean has 3 values but the model reads 1 channel/,
    );
    expect(() => channelStats(P({ channels: 3, std: [1, 2] }))).toThrow(/--std has 2 values/);
  });
});

describe('the whole pipeline', () => {
  it('resizes the shorter side, center crops, then normalizes', () => {
    // 2x4 gray image, value = 10 * x; resize 4 -> 4x8 (x samples (o + 0.5) / 2 - 0.5 clamped: 0, 0.25, 0.75, ..., 3);
    // crop 2x2 from the middle: rows 1..2, columns 3..4: x = 1.25 and 1.75 -> 12.5 and 17.5.
    const img: RawImage = { width: 4, height: 2, channels: 1, data: Uint8Array.from([0, 10, 20, 30, 0, 10, 20, 30]) };
    const out = preprocessImage(img, P({ channels: 1, resize: 4, crop: [2, 2], scale: 255, mean: [2.5], std: [5] }));
    close(out, [2, 3, 2, 3]);
  });
});

describe('the seeded holdout split', () => {
  it('puts 20% of every class in test, the same way every time', () => {
    const labels = [...Array.from({ length: 10 }, () => 0), ...Array.from({ length: 5 }, () => 1), 2];
    const a = holdoutMask(labels, 0);
    expect(holdoutMask(labels, 0)).toEqual(a);
    expect(a.filter((t, i) => t && labels[i] === 0)).toHaveLength(2);
    expect(a.filter((t, i) => t && labels[i] === 1)).toHaveLength(1);
    expect(a[15]).toBe(false); // a class of one image stays in train
    expect(holdoutMask(labels, 1)).not.toEqual(a);
  });
});
