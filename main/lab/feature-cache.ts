// The lab's feature cache: one folder per key (base model bytes, cut tensor, preprocessing, data set
// fingerprints) holding a small JSON header and raw little-endian float32 / int32 files. Every file
// is written atomically and the header last, so a header names only complete files; on reading,
// each file's size and sha256 are checked against the header, and an entry that fails is deleted
// and rebuilt, never trusted.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { PreprocessSchema, type Preprocess } from '../../shared/data/dataset.js';
import type { FeatureSet } from '../../shared/lab/features.js';
import { rowWidth } from '../../shared/lab/features.js';
import { writeFileAtomic } from '../store/atomic-write.js';

export const FEATURE_CACHE_SCHEMA = 'bottleneck-studio/lab-features';
export const FEATURE_CACHE_VERSION = 1;
/** The lab's sub-folder of the cache folder. */
export const FEATURES_FOLDER = 'lab-features';

const FileSchema = z.object({
  file: z.string().regex(/^[a-z0-9.]+$/),
  bytes: z.number().int().min(0),
  sha256: z.string(),
});

const SplitSchema = z.object({
  count: z.number().int().min(0),
  fingerprint: z.string(),
  features: FileSchema,
  labels: FileSchema,
});

export const FeatureCacheHeaderSchema = z.object({
  schema: z.literal(FEATURE_CACHE_SCHEMA),
  version: z.literal(FEATURE_CACHE_VERSION),
  key: z.string(),
  modelHash: z.string(),
  tensor: z.string(),
  featureShape: z.array(z.number().int().positive()),
  preprocess: PreprocessSchema,
  classes: z.array(z.string()),
  /** The base's time per image when the features were extracted (ONNX Runtime run calls only). */
  baseMsPerImage: z.number().min(0),
  /** Wall time of the extraction (reading the data and running the base over both splits). */
  extractMs: z.number().min(0),
  createdAt: z.string(),
  splits: z.object({ train: SplitSchema, test: SplitSchema }),
});
export type FeatureCacheHeader = z.infer<typeof FeatureCacheHeaderSchema>;

export interface CacheKeyParts {
  modelHash: string;
  tensor: string;
  preprocess: Preprocess;
  train: { fingerprint: string; split: string; limit?: number; count: number };
  test: { fingerprint: string; split: string; limit?: number; count: number };
}

export const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

/** The cache key: a hash of everything the features depend on. */
export function cacheKey(parts: CacheKeyParts): string {
  const canonical = JSON.stringify({
    v: FEATURE_CACHE_VERSION,
    model: parts.modelHash,
    tensor: parts.tensor,
    preprocess: parts.preprocess,
    train: parts.train,
    test: parts.test,
  });
  return sha256(canonical).slice(0, 32);
}

export const entryDir = (cacheDir: string, key: string): string => join(cacheDir, FEATURES_FOLDER, key);

export interface CachedFeatures {
  header: FeatureCacheHeader;
  train: FeatureSet;
  test: FeatureSet;
}

export type CacheLookup = { hit: true; entry: CachedFeatures } | { hit: false; reason: string };

/** A view of the bytes as 4-byte elements; a copy when they do not start at a multiple of 4. */
function words<T>(buf: Buffer, Type: new (b: ArrayBuffer, offset: number, length: number) => T): T {
  if (buf.byteOffset % 4 === 0) return new Type(buf.buffer as ArrayBuffer, buf.byteOffset, buf.byteLength / 4);
  return new Type(
    buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer,
    0,
    buf.byteLength / 4,
  );
}

function readChecked(dir: string, f: z.infer<typeof FileSchema>): Buffer {
  const path = join(dir, f.file);
  const buf = readFileSync(path);
  if (buf.byteLength !== f.bytes) throw new Error(`${f.file} has ${buf.byteLength} bytes, the header says ${f.bytes}`);
  if (sha256(buf) !== f.sha256) throw new Error(`${f.file} does not match its sha256 in the header`);
  return buf;
}

function readSplit(dir: string, header: FeatureCacheHeader, which: 'train' | 'test'): FeatureSet {
  const s = header.splits[which];
  const width = rowWidth(header.featureShape);
  if (s.features.bytes !== s.count * width * 4 || s.labels.bytes !== s.count * 4)
    throw new Error(`the ${which} sizes in the header do not match ${s.count} images of ${width} features`);
  const data = words(readChecked(dir, s.features), Float32Array);
  const labels = words(readChecked(dir, s.labels), Int32Array);
  for (let i = 0; i < labels.length; i++)
    if (labels[i] < 0 || labels[i] >= header.classes.length)
      throw new Error(`${which} label ${labels[i]} out of range`);
  return { shape: header.featureShape, count: s.count, data, labels };
}

/**
 * Looks an entry up. A missing entry is a miss; an entry that cannot be read or fails its checks
 * (a bad header, a truncated or altered file) is deleted and reported as a miss with the reason.
 */
export function readFeatureCache(cacheDir: string, key: string): CacheLookup {
  const dir = entryDir(cacheDir, key);
  const headerPath = join(dir, 'header.json');
  if (!existsSync(headerPath)) return { hit: false, reason: 'no cache entry for this key' };
  try {
    const header = FeatureCacheHeaderSchema.parse(JSON.parse(readFileSync(headerPath, 'utf8')));
    if (header.key !== key) throw new Error(`the header is for key ${header.key}`);
    return {
      hit: true,
      entry: { header, train: readSplit(dir, header, 'train'), test: readSplit(dir, header, 'test') },
    };
  } catch (e) {
    const why = e instanceof z.ZodError ? 'the header is not a valid feature-cache header' : (e as Error).message;
    rmSync(dir, { recursive: true, force: true });
    return { hit: false, reason: `the cache entry was corrupt (${why}); it was deleted and rebuilt` };
  }
}

/** Writes an entry: the data files first, each atomically, then the header that names them. */
export function writeFeatureCache(
  cacheDir: string,
  header: Omit<FeatureCacheHeader, 'schema' | 'version' | 'splits'> & {
    splits: Record<'train' | 'test', { fingerprint: string }>;
  },
  sets: { train: FeatureSet; test: FeatureSet },
): { dir: string; bytes: number } {
  const dir = entryDir(cacheDir, header.key);
  mkdirSync(dir, { recursive: true });
  let total = 0;
  const write = (file: string, data: Float32Array | Int32Array) => {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    writeFileAtomic(join(dir, file), bytes);
    total += bytes.byteLength;
    return { file, bytes: bytes.byteLength, sha256: sha256(bytes) };
  };
  const split = (which: 'train' | 'test') => ({
    count: sets[which].count,
    fingerprint: header.splits[which].fingerprint,
    features: write(`${which}.features.f32`, sets[which].data),
    labels: write(`${which}.labels.i32`, sets[which].labels),
  });
  const full: FeatureCacheHeader = {
    ...header,
    schema: FEATURE_CACHE_SCHEMA,
    version: FEATURE_CACHE_VERSION,
    splits: { train: split('train'), test: split('test') },
  };
  writeFileAtomic(join(dir, 'header.json'), JSON.stringify(FeatureCacheHeaderSchema.parse(full), null, 2) + '\n');
  return { dir, bytes: total };
}
