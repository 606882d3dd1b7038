// The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): a 4-byte magic
// number (0, 0, element type, number of dimensions), one big-endian uint32 per dimension, then the
// elements. Images are unsigned bytes with 3 dimensions (count, rows, columns), labels unsigned
// bytes with 1 (count). Parsing only: reading and gunzipping the files is main/data/'s job.
import { StudioError } from '../ir/types.js';

/** Element type 0x08: unsigned byte, the only one MNIST-style data sets use. */
const UBYTE = 0x08;

export interface IdxArray {
  dims: number[];
  /** The elements, a view into the file's bytes. */
  data: Uint8Array;
}

/**
 * Parses IDX bytes of unsigned bytes with `rank` dimensions; `file` names the file in errors. The
 * length must be exactly header + elements: a shorter file is truncated, a longer one is not IDX.
 */
export function parseIdx(bytes: Uint8Array, rank: 1 | 3, file: string): IdxArray {
  const what = rank === 3 ? 'an IDX image file (magic 0x00000803)' : 'an IDX label file (magic 0x00000801)';
  const short = () =>
    new StudioError(
      `${file} is ${bytes.length} bytes, too short for ${what}: the file is truncated or not IDX data; download it again`,
      'bad-file',
    );
  if (bytes.length < 4) throw short();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== UBYTE || bytes[3] !== rank)
    throw new StudioError(
      `${file} starts with 0x${magic.toString(16).padStart(8, '0')}, not ${what}${bytes[3] === (rank === 3 ? 1 : 3) && bytes[2] === UBYTE ? ` (it looks like ${rank === 3 ? 'a label' : 'an image'} file: are the images and labels swapped?)` : ''}`,
      'bad-file',
    );
  if (bytes.length < 4 + 4 * rank) throw short();
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  if (dims.some((d, i) => d === 0 && i > 0))
    throw new StudioError(
      `${file} declares an image size of ${dims.slice(1).join('x')}; not a usable image file`,
      'bad-file',
    );
  const header = 4 + 4 * rank;
  const expected = header + dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== expected)
    throw new StudioError(
      `${file} declares ${dims.join(' x ')} bytes of data (${expected} bytes with the header) but has ${bytes.length}: ${bytes.length < expected ? 'the file is truncated; download it again' : 'extra bytes after the data; not an IDX file'}`,
      'bad-file',
    );
  return { dims, data: bytes.subarray(header) };
}

/** Encodes unsigned bytes as IDX (tests write small and broken files with it). */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = UBYTE;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** Fashion-MNIST's classes, in label order (zalandoresearch/fashion-mnist README). */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** MNIST's classes: the digits. */
export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
