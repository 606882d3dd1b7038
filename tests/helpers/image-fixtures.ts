// Generates small PNG and JPEG image folders for the data tests into a temporary folder (no image
// binaries are committed), with sharp, the library the studio decodes with. PNG is lossless, so
// the tests know every decoded pixel; JPEG fixtures are flat colours, which decode within a few levels.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { onnx } from '../../shared/onnx/tensor.js';

export interface FixtureImage {
  /** Path relative to the fixture's root, e.g. cat/0.png. */
  path: string;
  width: number;
  height: number;
  channels: 1 | 3;
  /** The pixels written (HWC, 8-bit). */
  pixels: Uint8Array;
}

/** A deterministic test pattern: pixel (y, x, c) = (seed * 37 + y * 11 + x * 5 + c * 67) mod 256. */
export function pattern(width: number, height: number, channels: 1 | 3, seed: number): Uint8Array {
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++)
        out[(y * width + x) * channels + c] = (seed * 37 + y * 11 + x * 5 + c * 67) % 256;
  return out;
}

/** A flat colour image. */
export function flat(width: number, height: number, rgb: [number, number, number]): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) out.set(rgb, i * 3);
  return out;
}

/** Encodes pixels as PNG (gray PNGs stay 1-channel) or JPEG (quality 95). */
export async function encodeImage(img: Omit<FixtureImage, 'path'>, format: 'png' | 'jpeg'): Promise<Buffer> {
  let s = sharp(Buffer.from(img.pixels), { raw: { width: img.width, height: img.height, channels: img.channels } });
  if (img.channels === 1) s = s.toColourspace('b-w');
  return format === 'png' ? s.png().toBuffer() : s.jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer();
}

export async function writeImage(root: string, img: FixtureImage): Promise<void> {
  const file = join(root, img.path);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, await encodeImage(img, /\.png$/i.test(img.path) ? 'png' : 'jpeg'));
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `studio-${prefix}-`));
}

/** The class colours of the flat JPEG fixtures. */
export const CLASS_COLOURS: Record<string, [number, number, number]> = {
  bird: [200, 40, 40],
  cat: [40, 200, 40],
  dog: [40, 40, 200],
};

/**
 * An image folder: classes bird, cat and dog (written out of order, so sorting matters), per
 * class `perClass` images of 8x8, alternating PNG patterns (RGB and gray) and flat-colour JPEGs,
 * plus a text file that must be ignored. Returns the root and what was written.
 */
export async function makeImageFolder(
  perClass = 5,
  root = tempDir('images'),
): Promise<{ root: string; images: FixtureImage[] }> {
  const images: FixtureImage[] = [];
  for (const [ci, cls] of ['dog', 'bird', 'cat'].entries())
    for (let k = 0; k < perClass; k++) {
      const png = k % 2 === 0;
      const channels: 1 | 3 = png && k % 4 === 2 ? 1 : 3;
      images.push({
        path: `${cls}/${String(k).padStart(2, '0')}.${png ? 'png' : k % 3 === 0 ? 'JPG' : 'jpeg'}`,
        width: 8,
        height: 8,
        channels,
        pixels: png ? pattern(8, 8, channels, ci * 10 + k) : flat(8, 8, CLASS_COLOURS[cls]),
      });
    }
  for (const img of images) await writeImage(root, img);
  writeFileSync(join(root, 'cat', 'notes.txt'), 'not an image, ignored');
  return { root, images };
}

/**
 * A tiny ONNX classifier whose answer is known: scores = x . W^T + b over the flattened image
 * (Flatten + Gemm), input [N, C, H, W] with a symbolic N unless `batch` fixes it. With
 * W = 2 * the class means and b = -|mean|^2 it is the nearest-class-mean classifier: the largest
 * score is the class whose mean image is nearest (|x - m|^2 = |x|^2 - 2 x.m + |m|^2).
 */
export function gemmClassifier(
  weights: Float32Array,
  bias: Float32Array,
  imageShape: [number, number, number],
  batch?: number,
): Uint8Array {
  const classes = bias.length;
  const features = imageShape[0] * imageShape[1] * imageShape[2];
  if (weights.length !== classes * features) throw new Error('weights must be classes x features');
  const dim = (d: number | string) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d });
  const n = batch ?? 'N';
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'bottleneck-studio-tests',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'nearest_class_mean',
      node: [
        {
          opType: 'Flatten',
          input: ['images'],
          output: ['flat'],
          name: 'flatten',
          attribute: [{ name: 'axis', type: 2, i: 1 }],
        },
        {
          opType: 'Gemm',
          input: ['flat', 'W', 'b'],
          output: ['scores'],
          name: 'gemm',
          attribute: [{ name: 'transB', type: 2, i: 1 }],
        },
      ],
      initializer: [
        {
          name: 'W',
          dataType: 1,
          dims: [classes, features],
          rawData: new Uint8Array(weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength)),
        },
        {
          name: 'b',
          dataType: 1,
          dims: [classes],
          rawData: new Uint8Array(bias.buffer.slice(bias.byteOffset, bias.byteOffset + bias.byteLength)),
        },
      ],
      input: [
        { name: 'images', type: { tensorType: { elemType: 1, shape: { dim: [dim(n), ...imageShape.map(dim)] } } } },
      ],
      output: [{ name: 'scores', type: { tensorType: { elemType: 1, shape: { dim: [dim(n), dim(classes)] } } } }],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** The nearest-class-mean classifier of images (NCHW, `count` of them) with labels in 0..classes-1. */
export function nearestClassMean(
  images: Float32Array,
  labels: Int32Array,
  classes: number,
  imageShape: [number, number, number],
  batch?: number,
): Uint8Array {
  const f = imageShape[0] * imageShape[1] * imageShape[2];
  const sums = new Float64Array(classes * f);
  const counts = new Float64Array(classes);
  for (let i = 0; i < labels.length; i++) {
    counts[labels[i]]++;
    for (let j = 0; j < f; j++) sums[labels[i] * f + j] += images[i * f + j];
  }
  const w = new Float32Array(classes * f);
  const b = new Float32Array(classes);
  for (let c = 0; c < classes; c++) {
    let sq = 0;
    for (let j = 0; j < f; j++) {
      const m = counts[c] > 0 ? sums[c * f + j] / counts[c] : 0;
      w[c * f + j] = 2 * m;
      sq += m * m;
    }
    b[c] = -sq;
  }
  return gemmClassifier(w, b, imageShape, batch);
}
