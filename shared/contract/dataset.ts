// What a result records about the labeled data it was measured on, and the preprocessing that
// turned images into tensors (shared/data/ reads and applies them).
import { z } from 'zod';

/**
 * Preprocessing, explicit and recorded with every result (DESIGN.md "Accuracy workflows"): the
 * order is decode -> grayscale-to-RGB (or RGB-to-gray) -> resize -> center crop -> channel order ->
 * scale to [0, scale] -> (x - mean[c]) / std[c] -> NCHW float32.
 */
export const PreprocessSchema = z.object({
  /** Channels the model reads: 1 (gray) or 3 (color). Gray images are replicated to 3 when 3. */
  channels: z.union([z.literal(1), z.literal(3)]),
  /** Resize the image so that its shorter side is this many pixels (bilinear); absent: no resize. */
  resize: z.number().int().positive().max(8192).optional(),
  /** Center crop to height x width after the resize; absent: the image's own size (must be uniform). */
  crop: z.tuple([z.number().int().positive().max(8192), z.number().int().positive().max(8192)]).optional(),
  /** Channel order of the 3 channels: RGB (torchvision) or BGR (Caffe, Keras 'caffe' mode). */
  channelOrder: z.enum(['rgb', 'bgr']).default('rgb'),
  /** Pixel values 0..255 are multiplied by scale / 255 first (1: [0, 1]; 255: raw bytes). */
  scale: z.number().positive().default(1),
  /** Subtracted per channel after scaling (one value, or one per channel in channelOrder). */
  mean: z.array(z.number()).min(1).max(3).default([0]),
  /** Divided per channel after the mean (one value, or one per channel). */
  std: z.array(z.number().positive()).min(1).max(3).default([1]),
});
export type Preprocess = z.infer<typeof PreprocessSchema>;

/** What a result records about the data it was measured on. */
export const DatasetInfoSchema = z.object({
  /** The path given by the user (a folder of class folders, or a folder / file of IDX data). */
  source: z.string(),
  format: z.enum(['idx', 'image-folder']),
  split: z.enum(['train', 'test', 'all']),
  /** Class names in label order (IDX: the known names of MNIST/Fashion-MNIST, else "0".."9"). */
  classes: z.array(z.string()),
  /** Images used (after --limit). */
  count: z.number().int().min(0),
  /** Images in the split before the limit. */
  available: z.number().int().min(0),
  preprocess: PreprocessSchema,
  /** [C, H, W] of each preprocessed image. */
  imageShape: z.tuple([z.number().int(), z.number().int(), z.number().int()]),
  /** Hash of the data's identity (files, sizes, modification times, split, limit) and the preprocessing. */
  fingerprint: z.string(),
  /**
   * Image folders without train/ and test/ sub-folders: the seeded per-class split that made
   * 'train' and 'test' (shared/data/split.ts). Absent where the files define the splits.
   */
  holdout: z.object({ seed: z.number().int(), testFraction: z.number().min(0).max(1) }).optional(),
  /** Unreadable images left out (--skip-unreadable): how many, and the first few paths. */
  skipped: z.object({ count: z.number().int().min(0), examples: z.array(z.string()) }).optional(),
});
export type DatasetInfo = z.infer<typeof DatasetInfoSchema>;
