// An accuracy result: a classifier evaluated on a labeled data set (DESIGN.md "Accuracy
// workflows"), one versioned JSON document, for reports and the app to show next to latency.
import { z } from 'zod';
import { DatasetInfoSchema } from './dataset.js';
import { BackendConfigSchema, TargetSchema, type Target } from './job.js';
import { MachineProfileSchema } from './machine.js';
import { PrecisionDetailsSchema } from './result.js';

/**
 * Preprocessing given explicitly, field by field over what the model's metadata or input implies
 * (main/accuracy/preprocess-defaults.ts). No defaults here: an absent field is not given.
 */
export const PreprocessFlagsSchema = z
  .object({
    channels: z.union([z.literal(1), z.literal(3)]),
    resize: z.number().int().positive().max(8192),
    crop: z.tuple([z.number().int().positive().max(8192), z.number().int().positive().max(8192)]),
    channelOrder: z.enum(['rgb', 'bgr']),
    scale: z.number().positive(),
    mean: z.array(z.number()).min(1).max(3),
    std: z.array(z.number().positive()).min(1).max(3),
  })
  .partial();

export const ACCURACY_SCHEMA = 'bottleneck-studio/accuracy';
export const ACCURACY_SCHEMA_VERSION = 1;

/** One class's figures: images of that class in the data, how many the model got right. */
export const ClassAccuracySchema = z.object({
  name: z.string(),
  count: z.number().int().min(0),
  correct: z.number().int().min(0),
  /** correct / count; null when the class has no image in the evaluated data. */
  accuracy: z.number().min(0).max(1).nullable(),
});
export type ClassAccuracy = z.infer<typeof ClassAccuracySchema>;

/** What the data and the model give wherever they run: the same on every machine and backend (up to fp rounding). */
export const AccuracyFiguresSchema = z.object({
  count: z.number().int().min(0),
  top1: z.number().min(0).max(1),
  /** Absent when the model has fewer than 5 outputs. */
  top5: z.number().min(0).max(1).optional(),
  perClass: z.array(ClassAccuracySchema),
  /** confusion[true class][predicted output]: rows are the data's classes, columns the model's outputs. */
  confusion: z.array(z.array(z.number().int().min(0))),
  /** The model's output width (columns of the confusion matrix). */
  outputs: z.number().int().positive(),
});
export type AccuracyFigures = z.infer<typeof AccuracyFiguresSchema>;

/** How fast it ran here: machine- and backend-dependent. */
export const AccuracyTimingSchema = z.object({
  /** The batch size each inference ran at (the last partial batch is padded, the padding discarded). */
  batch: z.number().int().positive(),
  batches: z.number().int().min(0),
  /** Images per second counting only the inference calls. */
  inferenceImagesPerSecond: z.number().min(0),
  /** Images per second from the first read to the last prediction: decoding and preprocessing included. */
  endToEndImagesPerSecond: z.number().min(0),
  inferenceMs: z.number().min(0),
  /** Reading, decoding and preprocessing the images. */
  dataMs: z.number().min(0),
  sessionMs: z.number().min(0),
  /** Everything, session creation included. */
  elapsedMs: z.number().min(0),
});
export type AccuracyTiming = z.infer<typeof AccuracyTimingSchema>;

export const AccuracyResultSchema = z.object({
  schema: z.literal(ACCURACY_SCHEMA),
  version: z.literal(ACCURACY_SCHEMA_VERSION),
  /** Set when the result is saved (main/store/document-store.ts): its file name's id. */
  id: z.string().min(1).max(128).optional(),
  createdAt: z.string(),
  studioVersion: z.string(),
  /** The target as the user named it (a block, a zoo model with overrides, an .onnx path). */
  target: z.string(),
  /** The target resolved, as a benchmark job records it. */
  targetSpec: TargetSchema.optional(),
  /** The graph's name. */
  model: z.string(),
  /** Seed of the generated weights (blocks and zoo models); absent for files (their own weights). */
  seed: z.number().int().optional(),
  backend: BackendConfigSchema,
  /** The precision the model ran in (a variant of the fp32 model: main/precision/). */
  precision: z.enum(['fp32', 'fp16', 'int8']).default('fp32'),
  /** fp16/int8: how the variant was built (int8: the calibration method and images, the integer kernels ORT chose). */
  precisionDetails: PrecisionDetailsSchema.optional(),
  /** Where the preprocessing came from: command-line flags, the model's metadata, or its input shape. */
  preprocessSource: z.enum(['flags', 'model-metadata', 'model-input']),
  dataset: DatasetInfoSchema,
  accuracy: AccuracyFiguresSchema,
  timing: AccuracyTimingSchema,
  /** The machine it ran on, when the caller records it (the app, saved results). */
  machine: MachineProfileSchema.optional(),
  /** Things to read the figures with (a model with more outputs than the data has classes, skipped files). */
  warnings: z.array(z.string()).default([]),
});
export type AccuracyResult = z.infer<typeof AccuracyResultSchema>;

/**
 * What makes an accuracy result and a benchmark result "the same model": the target (kind, name,
 * variant, parameters but the batch, numbers and text alike; a file by its base name, since main may
 * hold it at another path). Used with the precision to match them (Pareto chart, reports).
 */
export function accuracyTargetKey(t: Target): string {
  if (t.kind === 'file') return JSON.stringify(['file', t.path.split(/[\\/]/).pop() ?? t.path]);
  const params = Object.entries(t.params)
    .filter(([k]) => k !== 'batch')
    .map(([k, v]) => [k, String(v)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([t.kind, t.name, t.kind === 'model' ? (t.variant ?? '') : '', params]);
}
