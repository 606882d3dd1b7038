// PNG and JPEG decoding with sharp (libvips: libpng and mozjpeg), loaded on first use so that IDX
// data and every other command never load the native library. Pixels come back as 8-bit gray or
// RGB, as stored: alpha dropped (as PIL's convert('RGB') does), 16-bit samples reduced to 8, CMYK
// converted to sRGB, no EXIF rotation (torchvision and Keras loaders do not apply it either).
import type { Sharp, SharpOptions } from 'sharp';
import { StudioError } from '../../shared/ir/types.js';
import type { RawImage } from '../../shared/data/preprocess.js';

type SharpFactory = (input: string, options?: SharpOptions) => Sharp;

let loaded: Promise<SharpFactory> | undefined;

/**
 * sharp, imported lazily (IDX data and every other command never load it). The main-process
 * bundler keeps it external (scripts/build-main.mjs): sharp finds its per-platform binary
 * (@img/sharp-<platform>) next to itself in node_modules, unpacked from the asar archive
 * (electron-builder.yml).
 */
function loadSharp(): Promise<SharpFactory> {
  loaded ??= import('sharp').then(
    (m: { default: SharpFactory }) => m.default,
    (e: Error) => {
      loaded = undefined;
      throw new StudioError(
        `the image library (sharp) could not be loaded: ${e.message.split('\n')[0]}; reinstall the dependencies with \`npm ci\` (sharp ships prebuilt binaries for Linux, macOS and Windows on x64 and arm64)`,
        'unavailable',
      );
    },
  );
  return loaded;
}

/** Why sharp could not read `file`, as a sentence for the user. */
function reason(e: unknown): string {
  const msg = ((e as Error).message ?? String(e)).split('\n')[0];
  if (/unsupported image format/i.test(msg)) return 'not a PNG or JPEG image (unsupported image format)';
  if (/missing/i.test(msg)) return 'no such file';
  return msg;
}

/** Width, height and channels from the file's header only (cheap: no pixel data is decoded). */
export async function probeImage(file: string): Promise<{ width: number; height: number }> {
  const sharp = await loadSharp();
  let meta;
  try {
    meta = await sharp(file).metadata();
  } catch (e) {
    throw new UnreadableImageError(file, reason(e));
  }
  if (!meta.width || !meta.height) throw new UnreadableImageError(file, 'the header gives no image size');
  return { width: meta.width, height: meta.height };
}

/** Decodes the whole image to 8-bit gray or RGB pixels. */
export async function decodeImage(file: string): Promise<RawImage> {
  const sharp = await loadSharp();
  try {
    let out = await sharp(file).removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (out.info.channels !== 1 && out.info.channels !== 3)
      // CMYK (4 channels without alpha), or anything else: to sRGB.
      out = await sharp(file)
        .removeAlpha()
        .toColourspace('srgb')
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true });
    const { width, height, channels } = out.info;
    if (channels !== 1 && channels !== 3) throw new Error(`decoded to ${channels} channels, expected gray or RGB`);
    return { width, height, channels, data: new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length) };
  } catch (e) {
    throw new UnreadableImageError(file, reason(e));
  }
}

/** An image file that cannot be decoded: a StudioError naming it; --skip-unreadable skips these. */
export class UnreadableImageError extends StudioError {
  constructor(
    readonly file: string,
    readonly why: string,
  ) {
    super(
      `${file}: cannot read the image: ${why}. Fix or remove the file, or pass --skip-unreadable to skip such files`,
      'bad-file',
    );
  }
}
