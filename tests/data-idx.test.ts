// IDX data (MNIST / Fashion-MNIST) on the real Fashion-MNIST files from Debian's
// dataset-fashion-mnist (installed by scripts/ensure-test-data.mjs), and broken copies of them.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { PreprocessSchema } from '../shared/data/dataset.js';
import { encodeIdx, FASHION_MNIST_CLASSES, MNIST_CLASSES, parseIdx } from '../shared/data/idx.js';
import { openDataset, peekImageSize } from '../main/data/open.js';
import { tempDir } from './helpers/image-fixtures.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const gray = PreprocessSchema.parse({ channels: 1 });
const raw = PreprocessSchema.parse({ channels: 1, scale: 255 });

// Known from the data set's own files (and every tutorial that prints them).
const FIRST_TRAIN_LABELS = [9, 0, 0, 3, 0, 2, 7, 2, 5, 5];
const FIRST_TEST_LABELS = [9, 2, 1, 1, 6, 1, 4, 6, 5, 7];

let plain: string; // t10k files gunzipped, in a folder whose name does not say "fashion"
beforeAll(() => {
  plain = join(tempDir('idx'), 'digits-like');
  mkdirSync(plain);
  for (const f of ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'])
    writeFileSync(join(plain, f), gunzipSync(readFileSync(join(FASHION, `${f}.gz`))));
});

describe('Fashion-MNIST from IDX files', () => {
  it('reads the train and test splits with their counts, labels and class names', async () => {
    const train = await openDataset(FASHION, { split: 'train', preprocess: gray });
    expect(train.info).toMatchObject({
      format: 'idx',
      split: 'train',
      count: 60000,
      available: 60000,
      imageShape: [1, 28, 28],
    });
    expect(train.info.classes).toEqual(FASHION_MNIST_CLASSES);
    expect([...(await train.read(0, 10)).labels]).toEqual(FIRST_TRAIN_LABELS);
    const test = await openDataset(FASHION, { preprocess: gray }); // the default split of an IDX folder: test
    expect(test.info).toMatchObject({ split: 'test', count: 10000 });
    expect([...(await test.read(0, 10)).labels]).toEqual(FIRST_TEST_LABELS);
    const all = await openDataset(FASHION, { split: 'all', preprocess: gray, limit: 60005 });
    expect(all.info).toMatchObject({ split: 'all', count: 60005, available: 70000 });
    // 'all' is train then test.
    expect([...(await all.read(60000, 5)).labels]).toEqual(FIRST_TEST_LABELS.slice(0, 5));
  });

  it('scales the pixels: [0, 1] by default, raw bytes with scale 255', async () => {
    const b = await (await openDataset(FASHION, { preprocess: gray, limit: 100 })).read(0, 100);
    expect(b.images.length).toBe(100 * 784);
    let min = Infinity;
    let max = -Infinity;
    for (const v of b.images) [min, max] = [Math.min(min, v), Math.max(max, v)];
    expect(min).toBe(0);
    expect(max).toBe(1);
    const r = await (await openDataset(FASHION, { preprocess: raw, limit: 1 })).read(0, 1);
    expect(r.images.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)).toBe(true);
    // The first test image (an ankle boot) has a black border and bright pixels inside.
    expect(r.images[0]).toBe(0);
    expect(Math.max(...r.images)).toBeGreaterThan(200);
    const bytes = parseIdx(gunzipSync(readFileSync(join(FASHION, 't10k-images-idx3-ubyte.gz'))), 3, 'x').data;
    expect([...r.images]).toEqual([...bytes.subarray(0, 784)]);
  });

  it('reads gzipped and plain files alike, a folder or one images file', async () => {
    const gz = await (await openDataset(FASHION, { preprocess: raw, limit: 50 })).read(0, 50);
    const folder = await openDataset(plain, { preprocess: raw, limit: 50 });
    expect(folder.info.classes).toEqual(MNIST_CLASSES); // no "fashion" in the path
    const b = await folder.read(0, 50);
    expect(b.images).toEqual(gz.images);
    expect(b.labels).toEqual(gz.labels);
    const file = await openDataset(join(plain, 't10k-images-idx3-ubyte'), {
      preprocess: raw,
      limit: 50,
      classNames: FASHION_MNIST_CLASSES,
    });
    expect(file.info).toMatchObject({ split: 'test', available: 10000, classes: FASHION_MNIST_CLASSES });
    expect((await file.read(0, 50)).labels).toEqual(gz.labels);
    expect(await peekImageSize(FASHION)).toEqual([28, 28]);
    expect(await peekImageSize(join(plain, 't10k-images-idx3-ubyte'))).toEqual([28, 28]);
  });

  it('takes the first N images with --limit, and preprocesses to 3 channels and other sizes', async () => {
    const full = await openDataset(FASHION, { preprocess: gray, limit: 200 });
    const some = await openDataset(FASHION, { preprocess: gray, limit: 20 });
    expect(some.info).toMatchObject({ count: 20, available: 10000 });
    expect((await some.read(0, 20)).images).toEqual((await full.read(0, 20)).images);
    expect((await full.read(5, 3)).labels).toEqual(Int32Array.from(FIRST_TEST_LABELS.slice(5, 8)));
    await expect(some.read(15, 10)).rejects.toThrow(/outside/);
    const rgb = await openDataset(FASHION, {
      preprocess: PreprocessSchema.parse({ channels: 3, resize: 32, crop: [30, 30] }),
      limit: 2,
    });
    expect(rgb.info.imageShape).toEqual([3, 30, 30]);
    const b = await rgb.read(0, 2);
    expect(b.images.length).toBe(2 * 3 * 900);
    expect(b.images.subarray(0, 900)).toEqual(b.images.subarray(900, 1800)); // gray replicated
  });

  it('fingerprints the files, split, limit and preprocessing', async () => {
    const fp = async (o: Parameters<typeof openDataset>[1]) => (await openDataset(FASHION, o)).info.fingerprint;
    const a = await fp({ preprocess: gray, limit: 10 });
    expect(await fp({ preprocess: gray, limit: 10 })).toBe(a);
    expect(await fp({ preprocess: gray, limit: 11 })).not.toBe(a);
    expect(await fp({ preprocess: raw, limit: 10 })).not.toBe(a);
    expect(await fp({ preprocess: gray, limit: 10, split: 'train' })).not.toBe(a);
  });
});

describe('broken IDX data', () => {
  const broken = (files: Record<string, Uint8Array>) => {
    const dir = tempDir('idx-bad');
    for (const [f, b] of Object.entries(files)) writeFileSync(join(dir, f), b);
    return dir;
  };
  const images = encodeIdx(
    [3, 2, 2],
    Uint8Array.from({ length: 12 }, (_, i) => i),
  );
  const labels = encodeIdx([3], Uint8Array.from([0, 1, 2]));

  it('reads a well-formed small file', async () => {
    const d = await openDataset(broken({ 't10k-images-idx3-ubyte': images, 't10k-labels-idx1-ubyte': labels }), {
      preprocess: raw,
    });
    expect(d.info).toMatchObject({ count: 3, imageShape: [1, 2, 2] });
    expect([...(await d.read(1, 1)).images]).toEqual([4, 5, 6, 7]);
  });
  it('refuses a missing path', async () => {
    await expect(openDataset('/nonexistent/data', { preprocess: gray })).rejects.toThrow(
      /\/nonexistent\/data: no such file or folder; --data takes/,
    );
  });
  it('refuses a truncated images file, naming it', async () => {
    const dir = broken({ 't10k-images-idx3-ubyte': images.subarray(0, 20), 't10k-labels-idx1-ubyte': labels });
    await expect(openDataset(dir, { preprocess: gray })).rejects.toThrow(
      /t10k-images-idx3-ubyte declares 3 x 2 x 2 bytes .* but has 20: the file is truncated/,
    );
  });
  it('refuses a truncated gzip file', async () => {
    const gz = gzipSync(images);
    const dir = broken({
      't10k-images-idx3-ubyte.gz': gz.subarray(0, gz.length - 8),
      't10k-labels-idx1-ubyte': labels,
    });
    await expect(openDataset(dir, { preprocess: gray })).rejects.toThrow(
      /t10k-images-idx3-ubyte.gz: the gzip data is damaged/,
    );
  });
  it('refuses a wrong magic number, and says when images and labels are swapped', async () => {
    const dir = broken({ 't10k-images-idx3-ubyte': labels, 't10k-labels-idx1-ubyte': images });
    await expect(openDataset(dir, { preprocess: gray })).rejects.toThrow(
      /starts with 0x00000801, not an IDX image file .*swapped/,
    );
    const junk = broken({
      't10k-images-idx3-ubyte': new TextEncoder().encode('hello, this is not IDX data'),
      't10k-labels-idx1-ubyte': labels,
    });
    await expect(openDataset(junk, { preprocess: gray })).rejects.toThrow(/not an IDX image file \(magic 0x00000803\)/);
  });
  it('refuses images and labels of different counts', async () => {
    const dir = broken({
      't10k-images-idx3-ubyte': images,
      't10k-labels-idx1-ubyte': encodeIdx([2], Uint8Array.from([0, 1])),
    });
    await expect(openDataset(dir, { preprocess: gray })).rejects.toThrow(
      /holds 3 images but .*t10k-labels-idx1-ubyte holds 2 labels/,
    );
  });
  it('refuses a missing split, a file without its labels, and labels past the class names', async () => {
    const dir = broken({ 't10k-images-idx3-ubyte': images, 't10k-labels-idx1-ubyte': labels });
    await expect(openDataset(dir, { split: 'train', preprocess: gray })).rejects.toThrow(
      /no train-images-idx3-ubyte\[.gz\] for the train split .*choose another --split/,
    );
    const lonely = broken({ 'train-images-idx3-ubyte': images });
    await expect(openDataset(join(lonely, 'train-images-idx3-ubyte'), { preprocess: gray })).rejects.toThrow(
      /no labels file beside it/,
    );
    await expect(openDataset(dir, { preprocess: gray, classNames: ['a', 'b'] })).rejects.toThrow(
      /has label 2 but there are 2 class names/,
    );
  });
  it('refuses a crop larger than the images', async () => {
    await expect(
      openDataset(FASHION, { preprocess: PreprocessSchema.parse({ channels: 1, crop: [32, 32] }) }),
    ).rejects.toThrow(/crop 32x32 is larger than the image \(28x28\)/);
  });
});
