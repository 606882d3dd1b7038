// One accuracy run from a validated spec: resolve the classifier, choose the preprocessing, open the
// labeled data, evaluate, and return the versioned AccuracyResult. Shared by the `accuracy` CLI
// (in its own process) and the task worker (main/tasks/handlers.ts) the app starts.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  ACCURACY_SCHEMA,
  ACCURACY_SCHEMA_VERSION,
  AccuracyResultSchema,
  PreprocessFlagsSchema,
  type AccuracyResult,
} from '../../shared/contract/accuracy.js';
import {
  BackendConfigSchema,
  BACKEND_NAMES,
  CalibrationSchema,
  NATIVE_ISAS,
  PRECISIONS,
  TargetSchema,
  type Target,
} from '../../shared/contract/job.js';
import type { PrecisionDetails } from '../../shared/contract/result.js';
import { StudioError, type Graph } from '../../shared/ir/types.js';
import { findModel } from '../../shared/models/registry.js';
import { graphToOnnx } from '../../shared/onnx/writer.js';
import { targetName } from '../../shared/stats/compare.js';
import { parseAssignments, parseShape, splitTarget } from '../../shared/targets.js';
import { openDataset, peekImageSize } from '../data/open.js';
import { STUDIO_VERSION } from '../machine/profile.js';
import { readOnnxFile } from '../onnx/onnx-file.js';
import { loadTarget, looksLikeFile } from '../targets.js';
import { RefusedError } from '../backends/backend.js';
import { getBackend } from '../backends/registry.js';
import { datasetFeeds } from '../precision/dataset-feeds.js';
import { buildVariant } from '../precision/variant.js';
import type { LabeledDataset, Preprocess } from '../../shared/data/dataset.js';
import { evaluateAccuracy } from './evaluate.js';
import { choosePreprocess, imageInput, type PreprocessFlags } from './preprocess-defaults.js';

export const AccuracySpecSchema = z.object({
  /**
   * The classifier: the CLI's text ("head-fc:classes=10", "resnet50", "model.onnx"), or a job Target
   * resolved by main (the app: a file handle becomes its path there, never in the renderer).
   */
  target: z.union([z.string().min(1).max(4096), TargetSchema]),
  /** Text targets only: the CLI's --variant, --set and --input. */
  variant: z.string().max(200).optional(),
  set: z.string().max(4000).optional(),
  input: z.string().max(200).optional(),
  /** How the target is named in the result and messages (default: the text, or the Target's name). */
  label: z.string().min(1).max(4096).optional(),
  /** Labeled data: an IDX folder or images file, or an image folder. */
  data: z.string().min(1).max(4096),
  split: z.enum(['train', 'test', 'all']).optional(),
  limit: z.number().int().min(1).optional(),
  batch: z.number().int().min(1).max(65_536).default(32),
  backend: z.enum(BACKEND_NAMES).default('ort-cpu'),
  /** Seed of the generated weights (blocks and zoo models). */
  seed: z.number().int().default(0),
  threads: z.number().int().min(0).max(1024).optional(),
  isa: z.enum(NATIVE_ISAS).optional(),
  preprocess: PreprocessFlagsSchema.default({}),
  skipUnreadable: z.boolean().default(false),
  /** Run a variant of the fp32 model (main/precision/): its accuracy next to fp32's answers what it costs. */
  precision: z.enum(PRECISIONS).default('fp32'),
  /** int8: how activation ranges are calibrated; `samples` batches of `batch` images. */
  calibration: CalibrationSchema.partial().optional(),
  /** int8: labeled data whose images calibrate the ranges (default: the training split of `data`). */
  calibrationData: z.string().min(1).max(4096).optional(),
});
export type AccuracySpec = z.infer<typeof AccuracySpecSchema>;
export type AccuracySpecInput = z.input<typeof AccuracySpecSchema>;

export interface AccuracyProgress {
  done: number;
  total: number;
}

export function parseAccuracySpec(input: unknown): AccuracySpec {
  const r = AccuracySpecSchema.safeParse(input);
  if (r.success) return r.data;
  throw new StudioError(
    `invalid accuracy settings: ${r.error.issues.map((i) => `${i.path.join('.') || 'spec'}: ${i.message}`).join('; ')}`,
    'bad-parameter',
  );
}

interface ResolvedModel {
  graph: Graph;
  bytes: Uint8Array;
  spec: Target;
  file: boolean;
}

/** A file at the evaluation's batch: its first input's symbolic batch takes `batch` unless `dims` names it. */
function resolveFile(path: string, dims: Record<string, number>, batch: number, seed: number, input?: number[]) {
  const set: Record<string, string> = Object.fromEntries(Object.entries(dims).map(([k, v]) => [k, String(v)]));
  const param = readOnnxFile(path, {}).inputs[0]?.dimParams?.[0];
  if (param && set[param] === undefined) set[param] = String(batch);
  const graph = loadTarget({ target: path, set, input });
  const external = [...graph.initializers.values()].some((i) => i.external);
  return {
    graph,
    // A file runs with its own weights; one with external data is re-encoded with them inline.
    bytes: external ? graphToOnnx(graph, { seed }) : new Uint8Array(readFileSync(path)),
    spec: {
      kind: 'file' as const,
      path,
      dims: Object.fromEntries(Object.entries(set).map(([k, v]) => [k, Number(v)])),
    },
    file: true,
  };
}

/** The target resolved at the evaluation's batch size, with the bytes ONNX Runtime loads. */
function resolveModel(spec: AccuracySpec): ResolvedModel {
  const { batch, seed } = spec;
  const input = spec.input ? parseShape(spec.input) : undefined;
  const t = spec.target;
  if (typeof t !== 'string') {
    if (t.kind === 'file') return resolveFile(t.path, t.dims, batch, seed);
    const set: Record<string, string> = {};
    for (const [k, v] of Object.entries(t.params)) set[k] = String(v);
    set.batch = String(batch);
    const graph = loadTarget({ target: t.name, set, variant: t.kind === 'model' ? t.variant : undefined });
    const { batch: _b, ...params } = t.params;
    const resolved: Target =
      t.kind === 'model' ? { ...t, variant: t.variant ?? graph.meta.variant, params } : { ...t, params };
    return { graph, bytes: graphToOnnx(graph, { seed }), spec: resolved, file: false };
  }
  const assigned = parseAssignments(spec.set);
  if (looksLikeFile(t)) {
    const dims: Record<string, number> = {};
    for (const [k, v] of Object.entries(assigned)) {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1)
        throw new StudioError(`dimension '${k}' must be a positive integer, got '${v}'`, 'bad-parameter');
      dims[k] = n;
    }
    if (spec.variant) throw new StudioError(`--variant applies to zoo models, not to the file ${t}`, 'bad-parameter');
    return resolveFile(t, dims, batch, seed, input);
  }
  const set = { batch: String(batch), ...assigned };
  const graph = loadTarget({ target: t, set, variant: spec.variant, input });
  const { name, inline } = splitTarget(t);
  const params = { ...set, ...inline };
  const target: Target =
    findModel(name) !== undefined
      ? { kind: 'model', name, variant: spec.variant ?? graph.meta.variant, params }
      : { kind: 'block', name, params };
  return { graph, bytes: graphToOnnx(graph, { seed }), spec: target, file: false };
}

/** The name a result gives a Target: its name with its parameters ("head-fc:classes=10"), or the file's path. */
export function targetLabel(t: Target): string {
  if (t.kind === 'file') return t.path;
  const params = Object.entries(t.params)
    .filter(([k]) => k !== 'batch')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',');
  return params ? `${targetName(t)}:${params}` : targetName(t);
}

/** Runs a classifier over labeled data; `onProgress` hears the images done. Throws StudioErrors for bad input. */
export async function runAccuracySpec(
  input: AccuracySpecInput | AccuracySpec,
  onProgress?: (p: AccuracyProgress) => void,
): Promise<AccuracyResult> {
  const spec = parseAccuracySpec(input);
  const model = resolveModel(spec);
  const target = spec.label ?? (typeof spec.target === 'string' ? spec.target : targetLabel(spec.target));
  const label = model.file ? target : `'${target}'`;
  const { preprocess, source } = choosePreprocess(
    spec.preprocess as PreprocessFlags,
    { bytes: model.bytes, graph: model.graph, label },
    await peekImageSize(spec.data),
  );
  const dataset = await openDataset(spec.data, {
    split: spec.split,
    preprocess,
    limit: spec.limit,
    skipUnreadable: spec.skipUnreadable,
  });
  const variant = await variantOf(spec, model, label, preprocess, dataset);
  const report = await evaluateAccuracy({
    modelBytes: variant.bytes,
    graph: model.graph,
    label,
    backend: spec.backend,
    batch: spec.batch,
    dataset,
    threads: spec.threads,
    isa: spec.isa,
    seed: spec.seed,
    onProgress,
  });
  const warnings = [...variant.warnings, ...report.warnings];
  if (dataset.info.skipped)
    warnings.push(
      `${dataset.info.skipped.count} unreadable image${dataset.info.skipped.count === 1 ? '' : 's'} skipped (${dataset.info.skipped.examples.join(', ')}${dataset.info.skipped.count > dataset.info.skipped.examples.length ? ', ...' : ''})`,
    );
  return AccuracyResultSchema.parse({
    schema: ACCURACY_SCHEMA,
    version: ACCURACY_SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    studioVersion: STUDIO_VERSION,
    target,
    targetSpec: model.spec,
    model: report.model,
    ...(model.file ? {} : { seed: spec.seed }),
    backend: report.backend,
    precision: spec.precision,
    ...(variant.details ? { precisionDetails: variant.details } : {}),
    preprocessSource: source,
    dataset: dataset.info,
    accuracy: report.accuracy,
    timing: report.timing,
    warnings,
  });
}

/**
 * The model the evaluation runs: the fp32 bytes, or their fp16/int8 variant. int8 ranges are
 * calibrated on real images of the training split (never the images being scored, unless the data
 * has no split: then a warning says so), preprocessed as the evaluation preprocesses them.
 */
async function variantOf(
  spec: AccuracySpec,
  model: ResolvedModel,
  label: string,
  preprocess: Preprocess,
  evaluated: LabeledDataset,
): Promise<{ bytes: Uint8Array; details?: PrecisionDetails; warnings: string[] }> {
  if (spec.precision === 'fp32') return { bytes: model.bytes, warnings: [] };
  const backend = getBackend(spec.backend);
  const refusal = backend.precisionRefusal?.(spec.precision);
  if (refusal) throw new StudioError(refusal, 'refused');
  const warnings: string[] = [];
  let feeds;
  let describe: (() => string) | undefined;
  if (spec.precision === 'int8') {
    const cal = CalibrationSchema.parse(spec.calibration ?? {});
    const images = cal.samples * spec.batch;
    const source = spec.calibrationData ?? spec.data;
    const calData = await openDataset(source, { split: 'train', preprocess, limit: images });
    if (source === spec.data && evaluated.info.split !== 'test')
      warnings.push(
        `the int8 ranges were calibrated on images of the ${calData.info.split} split, which the evaluated ${evaluated.info.split} split includes: evaluate on a test split (or give --calibration-data) for an unbiased figure`,
      );
    const f = datasetFeeds(calData, { inputName: imageInput(model.graph, label).name, batch: spec.batch, images });
    feeds = f.feeds;
    describe = f.describe;
  }
  try {
    const built = await buildVariant(model.bytes, model.graph, spec.precision, {
      calibration: spec.calibration,
      feeds,
    });
    if (describe) built.details.notes.push(`calibration images: ${describe()}`);
    const config = BackendConfigSchema.parse({ backend: spec.backend, graphOptimization: 'all' });
    warnings.push(...((await backend.checkVariant?.(config, built)) ?? []));
    return { bytes: built.bytes, details: built.details, warnings };
  } catch (e) {
    // A backend that cannot run the variant is the user's answer, not an internal error.
    if (e instanceof RefusedError) throw new StudioError(e.message, 'refused');
    throw e;
  }
}
