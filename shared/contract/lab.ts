// The bottleneck-feature lab: what a run is asked (LabSpec), what it reports while running
// (LabProgress) and what it returns (LabResult), validated wherever they cross a boundary (the CLI,
// a worker process, a saved file).
import { z } from 'zod';
import { DatasetInfoSchema, PreprocessSchema } from './dataset.js';

export const LAB_SCHEMA = 'bottleneck-studio/lab';
export const LAB_SCHEMA_VERSION = 1;

/** The heads the lab trains on bottleneck features (shared/lab/heads.ts). */
export const HEAD_KINDS = ['gap', 'fc', 'mlp'] as const;
export type HeadKind = (typeof HEAD_KINDS)[number];

export const HeadKindSchema = z.enum(HEAD_KINDS);

export const LabSpecSchema = z.object({
  /** Block, zoo model or .onnx path; absent: the default base for the data's image size. */
  base: z.string().min(1).optional(),
  /** Tensor to cut the base at; absent: the last tensor before global pooling / the first FC layer. */
  cut: z.string().min(1).optional(),
  /** Labeled data: an IDX folder or file, or an image folder. */
  data: z.string().min(1),
  heads: z.array(HeadKindSchema).min(1).default(['gap', 'fc', 'mlp']),
  epochs: z.number().int().min(1).max(10000).default(10),
  /** The first N training images (the validation split is taken from them). */
  limit: z.number().int().min(1).optional(),
  /** The first N test images. */
  testLimit: z.number().int().min(1).optional(),
  /** Images per run of the base while extracting features. */
  batch: z.number().int().min(1).max(4096).default(64),
  /** Mini-batch size of head training. */
  trainBatch: z.number().int().min(1).max(65536).default(64),
  /** Seed of the validation split, the shuffles and the heads' initial weights. */
  seed: z.number().int().min(0).default(0),
  /** Seed of the base's generated weights (blocks and zoo models; files have their own). */
  baseSeed: z.number().int().min(0).default(0),
  valFraction: z.number().gt(0).lt(1).default(0.1),
  patience: z.number().int().min(1).default(3),
  /** Adam's step size; absent: per head (gap 1e-2, fc and mlp 1e-3). */
  learningRate: z.number().positive().optional(),
  weightDecay: z.number().min(0).default(1e-4),
  /** Hidden units of the mlp head. */
  hidden: z.number().int().min(1).max(65536).default(128),
  /** Folder for the exported classifiers (one .onnx per head); absent: nothing is written. */
  exportDir: z.string().min(1).optional(),
  /** Feature cache folder; absent: STUDIO_CACHE_DIR, else the app's cache folder. */
  cacheDir: z.string().min(1).optional(),
  /** ONNX Runtime intra-op threads (0: its default). */
  threads: z.number().int().min(0).default(0),
  /** Preprocessing instead of the one derived from the base (a .onnx base's metadata, or its input size). */
  preprocess: PreprocessSchema.optional(),
});
export type LabSpec = z.infer<typeof LabSpecSchema>;
export type LabSpecInput = z.input<typeof LabSpecSchema>;

export const LabProgressSchema = z.discriminatedUnion('phase', [
  z.object({ phase: z.literal('open'), message: z.string() }),
  z.object({
    phase: z.literal('features'),
    split: z.enum(['train', 'test']),
    done: z.number().int(),
    total: z.number().int(),
    cached: z.boolean(),
  }),
  z.object({
    phase: z.literal('train'),
    head: HeadKindSchema,
    epoch: z.number().int(),
    epochs: z.number().int(),
    trainLoss: z.number(),
    valLoss: z.number(),
    valAccuracy: z.number(),
  }),
  z.object({ phase: z.literal('evaluate'), head: HeadKindSchema, done: z.number().int(), total: z.number().int() }),
  z.object({ phase: z.literal('export'), head: HeadKindSchema, path: z.string().optional() }),
]);
export type LabProgress = z.infer<typeof LabProgressSchema>;

const EpochSchema = z.object({
  epoch: z.number().int(),
  trainLoss: z.number(),
  valLoss: z.number(),
  valAccuracy: z.number(),
});

export const LabHeadResultSchema = z.object({
  head: HeadKindSchema,
  title: z.string(),
  /** Learned values of the head (weights and biases; the folded standardization adds none). */
  params: z.number().int(),
  hidden: z.number().int().optional(),
  epochsRun: z.number().int(),
  /** 1-based epoch whose weights were kept (lowest validation loss). */
  bestEpoch: z.number().int(),
  valAccuracy: z.number(),
  valLoss: z.number(),
  /** Top-1 on the test split of the exported classifier run by ONNX Runtime: what `accuracy` measures. */
  testAccuracy: z.number(),
  /** Top-1 on the test split of the head in the lab's own float math on the cached features. */
  testAccuracyJs: z.number(),
  /** Test images whose predicted class differs between the two (near-ties rounded differently). */
  testDisagreements: z.number().int(),
  testCount: z.number().int(),
  trainMs: z.number(),
  /** Time to run the exported classifier over the test split with ONNX Runtime. */
  evaluateMs: z.number(),
  /** Base passes over the training images this head would have needed without the cache. */
  savedMs: z.number(),
  history: z.array(EpochSchema),
  exported: z.object({ path: z.string(), bytes: z.number().int() }).optional(),
});
export type LabHeadResult = z.infer<typeof LabHeadResultSchema>;

export const LabResultSchema = z.object({
  schema: z.literal(LAB_SCHEMA),
  version: z.literal(LAB_SCHEMA_VERSION),
  id: z.string().min(1).max(128).optional(),
  createdAt: z.string(),
  base: z.object({
    /** What --base named, or the default base's target string. */
    target: z.string(),
    isDefault: z.boolean(),
    description: z.string().optional(),
    inputShape: z.array(z.number().int()),
    cut: z.object({ tensor: z.string(), isDefault: z.boolean(), reason: z.string() }),
    featureShape: z.array(z.number().int()),
    /** sha256 of the base's ONNX bytes (the cache key's model part). */
    modelHash: z.string(),
  }),
  data: z.object({
    train: DatasetInfoSchema,
    test: DatasetInfoSchema,
    preprocess: PreprocessSchema,
    classes: z.array(z.string()),
    /** Training images after the validation split, and validation images. */
    trainImages: z.number().int(),
    valImages: z.number().int(),
  }),
  cache: z.object({
    hit: z.boolean(),
    key: z.string(),
    dir: z.string(),
    /** Why the cache was not used: absent, or what was wrong with the entry (then rebuilt). */
    missReason: z.string().optional(),
  }),
  timings: z.object({
    /** Getting the features: the base's run (miss) or the cache read (hit). */
    featuresMs: z.number(),
    /** Running the base over train + test when the features were extracted (this run or the cached one). */
    extractMs: z.number(),
    cacheReadMs: z.number().optional(),
    cacheWriteMs: z.number().optional(),
    /** The base's own time per image (ONNX Runtime's run calls only). */
    baseMsPerImage: z.number(),
    /** One base pass over the training split (train + validation images). */
    basePassMs: z.number(),
    totalMs: z.number(),
  }),
  /**
   * Time the cache saved: one base pass over the training split per epoch trained (all heads),
   * minus what getting the cached features cost (the cache read on a hit; the one extraction pass
   * over the training split and the write on a miss).
   */
  timeSaved: z.object({
    ms: z.number(),
    epochsTrained: z.number().int(),
    withoutCacheMs: z.number(),
    withCacheMs: z.number(),
  }),
  heads: z.array(LabHeadResultSchema),
  settings: LabSpecSchema,
});
export type LabResult = z.infer<typeof LabResultSchema>;
