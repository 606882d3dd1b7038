// Opens a labeled data set from a path: an MNIST-style IDX folder or images file, or an image
// folder (one sub-folder per class). The one entry point the accuracy command and the lab use.
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { PreprocessSchema, type LabeledDataset } from '../../shared/data/dataset.js';
import { channelStats } from '../../shared/data/preprocess.js';
import { StudioError } from '../../shared/ir/types.js';
import { probeImage } from './decode.js';
import type { OpenOptions } from './open-options.js';

export type { OpenOptions } from './open-options.js';
import { openImageFolder } from './image-folder.js';
import { idxFilesIn, openIdx } from './idx-source.js';

export async function openDataset(path: string, opts: OpenOptions): Promise<LabeledDataset> {
  const parsed = PreprocessSchema.safeParse(opts.preprocess);
  if (!parsed.success)
    throw new StudioError(
      `invalid preprocessing: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      'bad-parameter',
    );
  const o = { ...opts, preprocess: parsed.data };
  channelStats(o.preprocess); // mean / std lengths against the channels, before any file is read
  if (o.limit !== undefined && !(Number.isInteger(o.limit) && o.limit >= 1))
    throw new StudioError(`--limit must be a positive integer, got ${o.limit}`, 'bad-parameter');
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new StudioError(
      `${path}: no such file or folder; --data takes an image folder (one sub-folder per class) or an MNIST-style IDX folder or images file`,
      'bad-parameter',
    );
  }
  if (st.isFile()) return openIdx(path, true, o);
  if (idxFilesIn(path).size > 0) return openIdx(path, false, o);
  return openImageFolder(path, o);
}

/**
 * The height x width of the data's images, from the first IDX header or the first image's header,
 * without opening the data set (the default preprocessing resizes only when it differs from the
 * model's input). Undefined when it cannot tell; openDataset then says what is wrong.
 */
export async function peekImageSize(path: string): Promise<[number, number] | undefined> {
  try {
    const st = statSync(path);
    const imagesFile = st.isFile() ? path : [...idxFilesIn(path).values()][0];
    if (imagesFile) return idxImageSize(imagesFile);
    const first = firstImage(path, 0);
    if (!first) return undefined;
    const { height, width } = await probeImage(first);
    return [height, width];
  } catch {
    return undefined;
  }
}

/** Rows and columns from an IDX images file's header, reading (and gunzipping) only its start. */
function idxImageSize(file: string): [number, number] | undefined {
  const fd = openSync(file, 'r');
  let head: Uint8Array = new Uint8Array(4096);
  try {
    head = head.subarray(0, readSync(fd, head, 0, head.length, 0));
  } finally {
    closeSync(fd);
  }
  if (head[0] === 0x1f && head[1] === 0x8b) head = gunzipSync(head, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  if (head.length < 16 || head[2] !== 0x08 || head[3] !== 3) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  return [view.getUint32(8), view.getUint32(12)];
}

/** The first image file found under an image folder (class folders sorted, then their files). */
function firstImage(dir: string, depth: number): string | undefined {
  const entries = readdirSync(dir)
    .filter((e) => !e.startsWith('.'))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const image = entries.find((e) => /\.(png|jpe?g)$/i.test(e));
  if (image && depth > 0) return join(dir, image);
  if (depth >= 2) return undefined;
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) {
      const f = firstImage(p, depth + 1);
      if (f) return f;
    }
  }
  return undefined;
}
