// The preprocessing PreprocessSchema describes (dataset.ts), as pure functions over decoded pixels:
// the one implementation every data source (IDX files, image folders) and the lab share, so that
// a recorded Preprocess means exactly one thing. No Node, no DOM.
import { StudioError } from '../ir/types.js';
import type { Preprocess } from './dataset.js';

/** A decoded image: 8-bit pixels, height x width x channels interleaved (1: gray, 3: RGB). */
export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

/** Per-channel mean and std, expanded to `channels` values and checked. */
export function channelStats(p: Preprocess): { mean: number[]; std: number[] } {
  const expand = (v: number[], what: 'mean' | 'std'): number[] => {
    if (v.length === 1) return Array.from({ length: p.channels }, () => v[0]);
    if (v.length !== p.channels)
      throw new StudioError(
        `--${what} has ${v.length} values but the model reads ${p.channels} channel${p.channels === 1 ? '' : 's'}: give one value, or one per channel`,
        'bad-parameter',
      );
    return v;
  };
  const std = expand(p.std, 'std');
  if (std.some((s) => !(s > 0))) throw new StudioError('--std values must be positive', 'bad-parameter');
  return { mean: expand(p.mean, 'mean'), std };
}

/** Height and width after the resize: the shorter side becomes `resize`, the other keeps the aspect ratio. */
export function resizedSize(height: number, width: number, resize: number | undefined): [number, number] {
  if (resize === undefined) return [height, width];
  if (height <= width) return [resize, Math.max(1, Math.round((width * resize) / height))];
  return [Math.max(1, Math.round((height * resize) / width)), resize];
}

/**
 * [C, H, W] of an image of height x width after `p`, or an error when the crop does not fit. The
 * crop is taken from the resized image, so it must not be larger than it.
 */
export function preprocessedShape(height: number, width: number, p: Preprocess): [number, number, number] {
  const [h, w] = resizedSize(height, width, p.resize);
  if (!p.crop) return [p.channels, h, w];
  const [ch, cw] = p.crop;
  if (ch > h || cw > w)
    throw new StudioError(
      `the crop ${ch}x${cw} is larger than the ${p.resize ? 'resized ' : ''}image (${h}x${w}${p.resize ? `, from ${height}x${width} with --resize ${p.resize}` : ''}): use a smaller --crop or a larger --resize`,
      'bad-parameter',
    );
  return [p.channels, ch, cw];
}

/**
 * Gray <-> RGB: gray is replicated to 3 channels; RGB becomes gray with the ITU-R BT.601 luma
 * weights (0.299 R + 0.587 G + 0.114 B, as PIL's convert('L') without its rounding). Float HWC.
 */
export function convertChannels(img: RawImage, channels: 1 | 3): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n * channels);
  const src = img.data;
  if (img.channels === channels) {
    for (let i = 0; i < out.length; i++) out[i] = src[i];
  } else if (channels === 3) {
    for (let i = 0; i < n; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = src[i];
  } else {
    for (let i = 0; i < n; i++) out[i] = 0.299 * src[3 * i] + 0.587 * src[3 * i + 1] + 0.114 * src[3 * i + 2];
  }
  return out;
}

/**
 * Bilinear resize of a float HWC image with half-pixel centers (align_corners = false, edges
 * clamped), the sampling of OpenCV's INTER_LINEAR and of torchvision's resize without antialias:
 * output pixel x samples the source at (x + 0.5) * srcW / dstW - 0.5.
 */
export function resizeBilinear(
  src: Float32Array,
  height: number,
  width: number,
  channels: number,
  outH: number,
  outW: number,
): Float32Array {
  if (outH === height && outW === width) return src;
  const out = new Float32Array(outH * outW * channels);
  const axis = (outN: number, inN: number) => {
    const lo = new Int32Array(outN);
    const hi = new Int32Array(outN);
    const frac = new Float32Array(outN);
    for (let o = 0; o < outN; o++) {
      const s = Math.min(Math.max((o + 0.5) * (inN / outN) - 0.5, 0), inN - 1);
      lo[o] = Math.floor(s);
      hi[o] = Math.min(lo[o] + 1, inN - 1);
      frac[o] = s - lo[o];
    }
    return { lo, hi, frac };
  };
  const ys = axis(outH, height);
  const xs = axis(outW, width);
  for (let y = 0; y < outH; y++) {
    const r0 = ys.lo[y] * width;
    const r1 = ys.hi[y] * width;
    const fy = ys.frac[y];
    for (let x = 0; x < outW; x++) {
      const c0 = xs.lo[x];
      const c1 = xs.hi[x];
      const fx = xs.frac[x];
      for (let c = 0; c < channels; c++) {
        const a = src[(r0 + c0) * channels + c];
        const b = src[(r0 + c1) * channels + c];
        const d = src[(r1 + c0) * channels + c];
        const e = src[(r1 + c1) * channels + c];
        const top = a + (b - a) * fx;
        const bottom = d + (e - d) * fx;
        out[(y * outW + x) * channels + c] = top + (bottom - top) * fy;
      }
    }
  }
  return out;
}

/** Offset of a centered window of `size` in `total` (the extra pixel, when odd, stays at the end). */
export function centerOffset(total: number, size: number): number {
  return Math.floor((total - size) / 2);
}

/**
 * One image through `p` into `out` (NCHW float32 at `offset`, C x H x W values): convert channels,
 * resize the shorter side, center crop, order the channels, scale, subtract the mean, divide by
 * the std. The caller checks the shape first (preprocessedShape).
 */
export function preprocessInto(img: RawImage, p: Preprocess, out: Float32Array, offset = 0): void {
  const [C, H, W] = preprocessedShape(img.height, img.width, p);
  const [rh, rw] = resizedSize(img.height, img.width, p.resize);
  const hwc = resizeBilinear(convertChannels(img, p.channels), img.height, img.width, C, rh, rw);
  const top = centerOffset(rh, H);
  const left = centerOffset(rw, W);
  const { mean, std } = channelStats(p);
  const k = p.scale / 255;
  for (let c = 0; c < C; c++) {
    // Channel c of the output is source channel c in RGB order, or 2 - c in BGR order.
    const s = C === 3 && p.channelOrder === 'bgr' ? 2 - c : c;
    const m = mean[c];
    const sd = std[c];
    const plane = offset + c * H * W;
    for (let y = 0; y < H; y++) {
      const row = ((y + top) * rw + left) * C + s;
      for (let x = 0; x < W; x++) out[plane + y * W + x] = (hwc[row + x * C] * k - m) / sd;
    }
  }
}

/** One image through `p`: a new C x H x W float32 array. */
export function preprocessImage(img: RawImage, p: Preprocess): Float32Array {
  const [C, H, W] = preprocessedShape(img.height, img.width, p);
  const out = new Float32Array(C * H * W);
  preprocessInto(img, p, out);
  return out;
}
