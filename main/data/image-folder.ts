// Image folders: one sub-folder per class (sorted class names = label order), PNG and JPEG files
// in them; or train/ and test/ sub-folders each laid out that way. Without train/ and test/ the
// folder is split 'all', and 'train' / 'test' come from a seeded per-class 80/20 split
// (shared/data/split.ts), recorded in the result. Items are ordered round-robin over the classes
// (each class's files sorted by name), so that --limit N keeps every class represented.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetInfo, LabeledDataset } from '../../shared/data/dataset.js';
import { preprocessedShape, preprocessInto, resizedSize } from '../../shared/data/preprocess.js';
import { HOLDOUT_SEED, HOLDOUT_TEST_FRACTION, holdoutMask } from '../../shared/data/split.js';
import { StudioError } from '../../shared/ir/types.js';
import { decodeImage, probeImage, UnreadableImageError } from './decode.js';
import { fingerprint } from './fingerprint.js';
import type { OpenOptions } from './open-options.js';

const IMAGE = /\.(png|jpe?g)$/i;
/** Code-point order: the same on every machine and locale. */
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const visible = (name: string) => !name.startsWith('.');

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

interface Item {
  file: string;
  label: number;
}

/** The class folders of `root` and their image files (sorted), refusing empty ones. */
function classFolders(root: string): { name: string; files: string[] }[] {
  const entries = readdirSync(root).filter(visible).sort(byName);
  const dirs = entries.filter((e) => isDir(join(root, e)));
  if (dirs.length === 0) {
    const images = entries.filter((e) => IMAGE.test(e));
    throw new StudioError(
      entries.length === 0
        ? `${root} is empty: an image data set is a folder with one sub-folder of PNG or JPEG images per class (or an MNIST-style IDX folder)`
        : `${root} has no class sub-folders${images.length > 0 ? ` (it holds ${images.length} images directly)` : ''}: put the images in one sub-folder per class, named after the class`,
      'bad-file',
    );
  }
  return dirs.map((name) => {
    const folder = join(root, name);
    const files = readdirSync(folder)
      .filter((f) => visible(f) && IMAGE.test(f))
      .sort(byName)
      .map((f) => join(folder, f))
      .filter((f) => !isDir(f));
    if (files.length === 0)
      throw new StudioError(
        `class folder ${folder} has no PNG or JPEG images (.png, .jpg, .jpeg): add images or remove the folder`,
        'bad-file',
      );
    return { name, files };
  });
}

/** Round-robin over the classes: the first file of every class, then the second, ... */
function interleave(perClass: Item[][]): Item[] {
  const out: Item[] = [];
  const longest = Math.max(0, ...perClass.map((l) => l.length));
  for (let k = 0; k < longest; k++) for (const list of perClass) if (k < list.length) out.push(list[k]);
  return out;
}

export async function openImageFolder(root: string, opts: OpenOptions): Promise<LabeledDataset> {
  const hasSplits = isDir(join(root, 'train')) && isDir(join(root, 'test'));
  let classes: string[];
  let perClass: Item[][];
  let split: 'train' | 'test' | 'all';
  let holdout: DatasetInfo['holdout'];
  if (hasSplits) {
    split = opts.split ?? 'test';
    const train = classFolders(join(root, 'train'));
    const test = classFolders(join(root, 'test'));
    classes = [...new Set([...train, ...test].map((c) => c.name))].sort(byName);
    const parts = split === 'all' ? [train, test] : [split === 'train' ? train : test];
    perClass = classes.map((name, label) =>
      parts.flatMap((p) => p.find((c) => c.name === name)?.files ?? []).map((file) => ({ file, label })),
    );
  } else {
    split = opts.split ?? 'all';
    const folders = classFolders(root);
    classes = folders.map((c) => c.name);
    perClass = folders.map((c, label) => c.files.map((file) => ({ file, label })));
    if (split !== 'all') {
      const seed = opts.seed ?? HOLDOUT_SEED;
      holdout = { seed, testFraction: HOLDOUT_TEST_FRACTION };
      perClass = perClass.map((items) => {
        // The mask is drawn per class; one class's items all share a label.
        const mask = holdoutMask(
          items.map((i) => i.label),
          seed,
        );
        return items.filter((_, k) => mask[k] === (split === 'test'));
      });
    }
  }
  if (opts.classNames) {
    if (opts.classNames.length !== classes.length)
      throw new StudioError(
        `${root} has ${classes.length} class folders but ${opts.classNames.length} class names were given`,
        'bad-parameter',
      );
    classes = [...opts.classNames];
  }
  const candidates = interleave(perClass);
  const available = candidates.length;
  if (available === 0) throw new StudioError(`${root}: the ${split} split has no images`, 'bad-file');
  const want = opts.limit !== undefined ? Math.min(opts.limit, available) : available;

  // Check the files before anything runs: every header (cheap), or every image fully when
  // unreadable ones are to be skipped (a damaged body only shows when decoded).
  const items: (Item & { height: number; width: number })[] = [];
  const skipped: string[] = [];
  for (const item of candidates) {
    if (items.length >= want) break;
    try {
      const size = opts.skipUnreadable ? await decodeImage(item.file) : await probeImage(item.file);
      items.push({ ...item, height: size.height, width: size.width });
    } catch (e) {
      if (!(e instanceof UnreadableImageError) || !opts.skipUnreadable) throw e;
      skipped.push(item.file);
    }
  }
  if (items.length === 0)
    throw new StudioError(
      `${root}: none of the ${skipped.length} images of the ${split} split could be read`,
      'bad-file',
    );

  const p = opts.preprocess;
  let imageShape: [number, number, number];
  if (p.crop) imageShape = [p.channels, p.crop[0], p.crop[1]];
  else {
    const sizes = new Map<string, string>();
    for (const it of items) {
      const [h, w] = resizedSize(it.height, it.width, p.resize);
      if (!sizes.has(`${h}x${w}`)) sizes.set(`${h}x${w}`, it.file);
    }
    if (sizes.size > 1)
      throw new StudioError(
        `${root}: the images have different sizes${p.resize ? ` after --resize ${p.resize}` : ''} (${[
          ...sizes.entries(),
        ]
          .slice(0, 3)
          .map(([s, f]) => `${f} is ${s}`)
          .join(
            ', ',
          )}): give --crop HxW (with --resize S to scale the shorter side first) so that every image has one size`,
        'bad-parameter',
      );
    imageShape = [p.channels, ...resizedSize(items[0].height, items[0].width, p.resize)];
  }
  // A crop larger than some image is reported now, naming the image.
  for (const it of items) {
    try {
      preprocessedShape(it.height, it.width, p);
    } catch (e) {
      throw new StudioError(`${it.file} (${it.height}x${it.width}): ${(e as Error).message}`, 'bad-parameter');
    }
  }

  const count = items.length;
  const info: DatasetInfo = {
    source: root,
    format: 'image-folder',
    split,
    classes,
    count,
    available,
    preprocess: p,
    imageShape,
    fingerprint: fingerprint({
      format: 'image-folder',
      files: items.map((i) => i.file),
      split,
      limit: opts.limit,
      preprocess: p,
      extra: { classes, holdout, skipped },
    }),
    ...(holdout ? { holdout } : {}),
    ...(skipped.length > 0 ? { skipped: { count: skipped.length, examples: skipped.slice(0, 5) } } : {}),
  };
  const size = imageShape[0] * imageShape[1] * imageShape[2];
  return {
    info,
    async read(start, n) {
      if (!(start >= 0 && n >= 0 && start + n <= count))
        throw new RangeError(`read(${start}, ${n}) is outside the data set's ${count} images`);
      const images = new Float32Array(n * size);
      const labels = new Int32Array(n);
      // sharp decodes on libuv's thread pool: the batch's images decode in parallel.
      const decoded = await Promise.all(items.slice(start, start + n).map((it) => decodeImage(it.file)));
      decoded.forEach((img, k) => {
        const it = items[start + k];
        const shape = preprocessedShape(img.height, img.width, p);
        if (shape[1] !== imageShape[1] || shape[2] !== imageShape[2])
          throw new StudioError(
            `${it.file} changed since the data set was opened (now ${img.height}x${img.width}); open it again`,
            'bad-file',
          );
        labels[k] = it.label;
        preprocessInto(img, p, images, k * size);
      });
      return { images, labels, count: n };
    },
  };
}
