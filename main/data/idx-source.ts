// IDX data sets (MNIST, Fashion-MNIST): a folder with train-images-idx3-ubyte[.gz],
// train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz], or one
// images file with its labels file beside it. Gzip is recognized by its magic bytes, whatever the
// name. The whole split is held in memory as bytes (Fashion-MNIST's training set: 47 MB).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { LabeledDataset } from '../../shared/data/dataset.js';
import { FASHION_MNIST_CLASSES, MNIST_CLASSES, parseIdx } from '../../shared/data/idx.js';
import { preprocessedShape, preprocessInto } from '../../shared/data/preprocess.js';
import { StudioError } from '../../shared/ir/types.js';
import { fingerprint } from './fingerprint.js';
import type { OpenOptions } from './open-options.js';

type IdxSplit = 'train' | 't10k';
const NAME = /^(train|t10k)-(images|labels)[-.](idx[13])-ubyte(\.gz)?$/i;

/** The IDX images files in a folder, by split prefix. */
export function idxFilesIn(folder: string): Map<IdxSplit, string> {
  const found = new Map<IdxSplit, string>();
  for (const f of readdirSync(folder).sort()) {
    const m = NAME.exec(f);
    if (m && m[2].toLowerCase() === 'images' && !found.has(m[1].toLowerCase() as IdxSplit))
      found.set(m[1].toLowerCase() as IdxSplit, join(folder, f));
  }
  return found;
}

/** The labels file beside an images file: the same name with labels-idx1 for images-idx3. */
function labelsFileFor(images: string): string {
  const dir = dirname(images);
  const name = basename(images);
  const candidates = [
    name.replace(/images([-.])idx3/i, 'labels$1idx1'),
    name.replace(/images([-.])idx3/i, 'labels$1idx1').replace(/\.gz$/i, ''),
    name.replace(/images([-.])idx3/i, 'labels$1idx1').replace(/(ubyte)$/i, '$1.gz'),
  ];
  if (candidates[0] === name)
    throw new StudioError(
      `${images}: an IDX images file must be named like train-images-idx3-ubyte[.gz] so that its labels file (train-labels-idx1-ubyte[.gz]) can be found beside it`,
      'bad-parameter',
    );
  for (const c of candidates) if (existsSync(join(dir, c))) return join(dir, c);
  throw new StudioError(
    `${images}: no labels file beside it (looked for ${candidates[0]} in ${dir}); put the matching labels-idx1 file there`,
    'bad-file',
  );
}

/** The file's bytes, gunzipped when they start with gzip's magic. */
function readMaybeGz(file: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new StudioError(`${file}: cannot read the file (${(e as Error).message})`, 'bad-file');
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return gunzipSync(bytes);
    } catch (e) {
      throw new StudioError(
        `${file}: the gzip data is damaged (${(e as Error).message}); the file is truncated or corrupt, download it again`,
        'bad-file',
      );
    }
  }
  return bytes;
}

interface IdxPart {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
  files: string[];
}

function readPart(imagesFile: string): IdxPart {
  const labelsFile = labelsFileFor(imagesFile);
  const images = parseIdx(readMaybeGz(imagesFile), 3, imagesFile);
  const labels = parseIdx(readMaybeGz(labelsFile), 1, labelsFile);
  const [count, rows, cols] = images.dims;
  if (labels.dims[0] !== count)
    throw new StudioError(
      `${imagesFile} holds ${count} images but ${labelsFile} holds ${labels.dims[0]} labels: the files do not belong together`,
      'bad-file',
    );
  return { images: images.data, labels: labels.data, count, rows, cols, files: [imagesFile, labelsFile] };
}

export function openIdx(path: string, isFile: boolean, opts: OpenOptions): LabeledDataset {
  let files: string[];
  let split: 'train' | 'test' | 'all';
  if (isFile) {
    const m = NAME.exec(basename(path));
    const own = m ? (m[1].toLowerCase() === 'train' ? 'train' : 'test') : 'all';
    if (opts.split && opts.split !== 'all' && own !== 'all' && opts.split !== own)
      throw new StudioError(
        `${path} is the ${own} split; --split ${opts.split} does not apply to one file (give the folder to choose a split)`,
        'bad-parameter',
      );
    files = [path];
    split = own;
  } else {
    const found = idxFilesIn(path);
    split = opts.split ?? 'test';
    const want: IdxSplit[] = split === 'all' ? ['train', 't10k'] : [split === 'train' ? 'train' : 't10k'];
    const missing = want.filter((s) => !found.has(s));
    if (missing.length > 0)
      throw new StudioError(
        `${path}: no ${missing.map((s) => `${s}-images-idx3-ubyte[.gz]`).join(' or ')} for the ${split} split${found.size > 0 ? ` (found: ${[...found.values()].map((f) => basename(f)).join(', ')}; choose another --split)` : ''}`,
        'bad-file',
      );
    files = want.map((s) => found.get(s)!);
  }
  const parts = files.map(readPart);
  const { rows, cols } = parts[0];
  for (const p of parts)
    if (p.rows !== rows || p.cols !== cols)
      throw new StudioError(
        `${p.files[0]} holds ${p.rows}x${p.cols} images but ${parts[0].files[0]} holds ${rows}x${cols}: the splits do not belong together`,
        'bad-file',
      );
  const available = parts.reduce((a, p) => a + p.count, 0);
  const count = opts.limit !== undefined ? Math.min(opts.limit, available) : available;

  let maxLabel = 0;
  for (const p of parts) for (const l of p.labels) maxLabel = Math.max(maxLabel, l);
  const classes =
    opts.classNames ??
    (/fashion/i.test(path)
      ? FASHION_MNIST_CLASSES
      : maxLabel <= 9
        ? MNIST_CLASSES
        : Array.from({ length: maxLabel + 1 }, (_, i) => String(i)));
  if (maxLabel >= classes.length)
    throw new StudioError(
      `${parts.find((p) => p.labels.some((l) => l >= classes.length))!.files[1]} has label ${maxLabel} but there are ${classes.length} class names: give one name per class`,
      'bad-file',
    );

  const preprocess = opts.preprocess;
  const imageShape = preprocessedShape(rows, cols, preprocess);
  const pixels = rows * cols;
  const info = {
    source: path,
    format: 'idx' as const,
    split,
    classes: [...classes],
    count,
    available,
    preprocess,
    imageShape,
    fingerprint: fingerprint({
      format: 'idx',
      files: parts.flatMap((p) => p.files),
      split,
      limit: opts.limit,
      preprocess,
      extra: { classes },
    }),
  };
  /** Item i of the split: the part holding it and the index inside that part. */
  const locate = (i: number): [IdxPart, number] => {
    for (const p of parts) {
      if (i < p.count) return [p, i];
      i -= p.count;
    }
    throw new RangeError(`image ${i} is past the end`);
  };
  const size = imageShape[0] * imageShape[1] * imageShape[2];
  return {
    info,
    read(start, n) {
      if (!(start >= 0 && n >= 0 && start + n <= count))
        return Promise.reject(new RangeError(`read(${start}, ${n}) is outside the data set's ${count} images`));
      const images = new Float32Array(n * size);
      const labels = new Int32Array(n);
      for (let k = 0; k < n; k++) {
        const [p, j] = locate(start + k);
        labels[k] = p.labels[j];
        preprocessInto(
          { width: cols, height: rows, channels: 1, data: p.images.subarray(j * pixels, (j + 1) * pixels) },
          preprocess,
          images,
          k * size,
        );
      }
      return Promise.resolve({ images, labels, count: n });
    },
  };
}
