// Image folders (one sub-folder per class, PNG and JPEG) from fixtures generated into a temporary
// folder by tests/helpers/image-fixtures.ts, and every bad input the issue names.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PreprocessSchema } from '../shared/data/dataset.js';
import { openDataset, peekImageSize } from '../main/data/open.js';
import {
  CLASS_COLOURS,
  encodeImage,
  flat,
  makeImageFolder,
  pattern,
  tempDir,
  writeImage,
  type FixtureImage,
} from './helpers/image-fixtures.js';

const raw3 = PreprocessSchema.parse({ channels: 3, scale: 255 });
let root: string;
let images: FixtureImage[];
beforeAll(async () => {
  ({ root, images } = await makeImageFolder(5));
});

describe('an image folder with one sub-folder per class', () => {
  it('finds the classes (sorted) and orders the images round-robin over them', async () => {
    const d = await openDataset(root, { preprocess: raw3 });
    expect(d.info).toMatchObject({
      format: 'image-folder',
      split: 'all',
      classes: ['bird', 'cat', 'dog'],
      count: 15,
      available: 15,
      imageShape: [3, 8, 8],
    });
    expect(d.info.holdout).toBeUndefined();
    const b = await d.read(0, 15);
    expect([...b.labels]).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]);
    const limited = await openDataset(root, { preprocess: raw3, limit: 4 });
    expect(limited.info.count).toBe(4);
    expect([...(await limited.read(0, 4)).labels]).toEqual([0, 1, 2, 0]);
    expect(await peekImageSize(root)).toEqual([8, 8]);
  });

  it('decodes PNG exactly (RGB and gray) and JPEG within a few levels', async () => {
    const d = await openDataset(root, { preprocess: raw3 });
    const b = await d.read(0, 15);
    const plane = 64;
    const at = (k: number) => b.images.subarray(k * 3 * plane, (k + 1) * 3 * plane);
    // Item 0 is bird/00.png (RGB pattern), item 6 is bird/02.png (gray pattern), item 3 bird/01.jpeg (flat).
    const byPath = (p: string) => images.find((i) => i.path === p)!;
    const chw = (img: FixtureImage) => {
      const out: number[] = [];
      for (let c = 0; c < 3; c++)
        for (let i = 0; i < plane; i++) out.push(img.pixels[i * img.channels + (img.channels === 3 ? c : 0)]);
      return out;
    };
    expect([...at(0)]).toEqual(chw(byPath('bird/00.png')));
    expect([...at(6)]).toEqual(chw(byPath('bird/02.png')));
    const jpeg = at(3);
    const [r, g, bl] = CLASS_COLOURS.bird;
    for (let i = 0; i < plane; i++) {
      expect(Math.abs(jpeg[i] - r)).toBeLessThanOrEqual(3);
      expect(Math.abs(jpeg[plane + i] - g)).toBeLessThanOrEqual(3);
      expect(Math.abs(jpeg[2 * plane + i] - bl)).toBeLessThanOrEqual(3);
    }
    // A gray model reads the same files as one channel.
    const gray = await openDataset(root, { preprocess: PreprocessSchema.parse({ channels: 1, scale: 255 }), limit: 7 });
    const g7 = await gray.read(6, 1);
    expect([...g7.images]).toEqual([...byPath('bird/02.png').pixels]);
  });

  it('makes a seeded, recorded 80/20 split per class without train/ and test/', async () => {
    const { root: big } = await makeImageFolder(10);
    const train = await openDataset(big, { split: 'train', preprocess: raw3 });
    const test = await openDataset(big, { split: 'test', preprocess: raw3 });
    expect(train.info.holdout).toEqual({ seed: 0, testFraction: 0.2 });
    expect(train.info.count).toBe(24);
    expect(test.info.count).toBe(6);
    expect([...(await test.read(0, 6)).labels].sort()).toEqual([0, 0, 1, 1, 2, 2]);
    expect(test.info.fingerprint).not.toBe(train.info.fingerprint);
    // The same split again, and a different one with another seed.
    expect((await openDataset(big, { split: 'test', preprocess: raw3 })).info.fingerprint).toBe(test.info.fingerprint);
    const other = await openDataset(big, { split: 'test', preprocess: raw3, seed: 7 });
    expect(other.info.holdout?.seed).toBe(7);
    expect(other.info.fingerprint).not.toBe(test.info.fingerprint);
  });

  it('uses train/ and test/ sub-folders as the splits', async () => {
    const dir = tempDir('splits');
    for (const [split, n] of [
      ['train', 3],
      ['test', 2],
    ] as const)
      for (const cls of ['a', 'b'])
        for (let k = 0; k < n; k++)
          await writeImage(dir, {
            path: `${split}/${cls}/${k}.png`,
            width: 4,
            height: 4,
            channels: 1,
            pixels: pattern(4, 4, 1, k),
          });
    expect((await openDataset(dir, { preprocess: raw3 })).info).toMatchObject({
      split: 'test',
      count: 4,
      classes: ['a', 'b'],
    });
    expect((await openDataset(dir, { split: 'train', preprocess: raw3 })).info.count).toBe(6);
    expect((await openDataset(dir, { split: 'all', preprocess: raw3 })).info.count).toBe(10);
  });

  it('resizes and crops images of different sizes, and refuses them without a crop', async () => {
    const dir = tempDir('sizes');
    await writeImage(dir, { path: 'a/wide.png', width: 12, height: 6, channels: 3, pixels: pattern(12, 6, 3, 1) });
    await writeImage(dir, { path: 'b/tall.jpg', width: 8, height: 16, channels: 3, pixels: flat(8, 16, [10, 20, 30]) });
    await expect(openDataset(dir, { preprocess: raw3 })).rejects.toThrow(
      /the images have different sizes \(.*wide.png is 6x12, .*tall.jpg is 16x8\): give --crop HxW \(with --resize S/,
    );
    const d = await openDataset(dir, { preprocess: PreprocessSchema.parse({ channels: 3, resize: 4, crop: [4, 4] }) });
    expect(d.info.imageShape).toEqual([3, 4, 4]);
    expect((await d.read(0, 2)).images.length).toBe(2 * 48);
    await expect(
      openDataset(dir, { preprocess: PreprocessSchema.parse({ channels: 3, crop: [7, 7] }) }),
    ).rejects.toThrow(/wide.png \(6x12\): the crop 7x7 is larger than the image/);
  });
});

describe('bad image folders', () => {
  it('refuses an empty folder', async () => {
    await expect(openDataset(tempDir('empty'), { preprocess: raw3 })).rejects.toThrow(
      /is empty: an image data set is a folder with one sub-folder of PNG or JPEG images per class/,
    );
  });
  it('refuses images without class folders', async () => {
    const dir = tempDir('flat');
    await writeImage(dir, { path: 'x.png', width: 2, height: 2, channels: 1, pixels: pattern(2, 2, 1, 0) });
    await expect(openDataset(dir, { preprocess: raw3 })).rejects.toThrow(
      /has no class sub-folders \(it holds 1 images directly\): put the images in one sub-folder per class/,
    );
  });
  it('refuses a class folder without images, naming it', async () => {
    const dir = tempDir('noimg');
    await writeImage(dir, { path: 'a/0.png', width: 2, height: 2, channels: 1, pixels: pattern(2, 2, 1, 0) });
    mkdirSync(join(dir, 'b'));
    writeFileSync(join(dir, 'b', 'readme.txt'), 'nothing here');
    await expect(openDataset(dir, { preprocess: raw3 })).rejects.toThrow(
      /class folder .*\/b has no PNG or JPEG images/,
    );
  });

  it('names an unreadable image, or skips and counts it with skipUnreadable', async () => {
    const dir = tempDir('corrupt');
    for (let k = 0; k < 3; k++)
      await writeImage(dir, { path: `a/${k}.png`, width: 4, height: 4, channels: 3, pixels: pattern(4, 4, 3, k) });
    await writeImage(dir, { path: 'b/0.png', width: 4, height: 4, channels: 3, pixels: pattern(4, 4, 3, 9) });
    writeFileSync(join(dir, 'b', '1.jpg'), 'this is text, not a JPEG');
    await expect(openDataset(dir, { preprocess: raw3 })).rejects.toThrow(
      /b\/1.jpg: cannot read the image: not a PNG or JPEG image .*--skip-unreadable/,
    );
    const d = await openDataset(dir, { preprocess: raw3, skipUnreadable: true });
    expect(d.info.count).toBe(4);
    expect(d.info.skipped).toEqual({ count: 1, examples: [join(dir, 'b', '1.jpg')] });
  });

  it('finds a truncated image: when decoding without skipping, at open with skipUnreadable', async () => {
    const dir = tempDir('truncated');
    await writeImage(dir, { path: 'a/0.png', width: 16, height: 16, channels: 3, pixels: pattern(16, 16, 3, 1) });
    const png = await encodeImage({ width: 16, height: 16, channels: 3, pixels: pattern(16, 16, 3, 2) }, 'png');
    mkdirSync(join(dir, 'b'));
    writeFileSync(join(dir, 'b', 'cut.png'), png.subarray(0, png.length - 30));
    // Its header is whole, so opening checks pass; decoding names the file.
    const d = await openDataset(dir, { preprocess: raw3 });
    await expect(d.read(0, 2)).rejects.toThrow(/b\/cut.png: cannot read the image: .*--skip-unreadable/);
    const skipping = await openDataset(dir, { preprocess: raw3, skipUnreadable: true });
    expect(skipping.info.skipped?.count).toBe(1);
    expect(skipping.info.count).toBe(1);
    expect(readFileSync(join(dir, 'b', 'cut.png')).length).toBe(png.length - 30);
  });
});
