// The bottleneck-feature lab, end to end: resolve and cut the base, get its features over the train
// and test splits (from the cache, or by running the base once and caching them), train the heads on
// the cached features, export each head with the base as one ONNX classifier and measure that file
// on the test split with ONNX Runtime. The CLI calls runLab; the app will call it from a worker.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import {
  LAB_SCHEMA,
  LAB_SCHEMA_VERSION,
  LabResultSchema,
  LabSpecSchema,
  type LabHeadResult,
  type LabProgress,
  type LabResult,
  type LabSpec,
  type LabSpecInput,
} from '../../shared/contract/lab.js';
import { PreprocessSchema, type LabeledDataset, type Preprocess } from '../../shared/data/dataset.js';
import { StudioError, type Graph } from '../../shared/ir/types.js';
import { cutGraph, withDynamicBatch } from '../../shared/lab/cut.js';
import {
  classifierGraph,
  classifierOnnx,
  CLASSES_METADATA_KEY,
  LAB_METADATA_KEY,
  onnxMetadata,
  PREPROCESS_METADATA_KEY,
} from '../../shared/lab/export.js';
import { rowWidth, type FeatureSet } from '../../shared/lab/features.js';
import {
  argmaxRows,
  DEFAULT_LEARNING_RATE,
  HEAD_TITLES,
  headInput,
  predictClasses,
  trainHead,
  validationSplit,
  type HeadKind,
} from '../../shared/lab/heads.js';
import { graphToOnnx } from '../../shared/onnx/writer.js';
import { openDataset, type OpenOptions } from '../data/open.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import { looksLikeFile, loadTarget } from '../targets.js';
import { defaultCacheDir } from './cache-dir.js';
import { cacheKey, readFeatureCache, sha256, writeFeatureCache, entryDir } from './feature-cache.js';
import { cpuSession, runOverDataset } from './ort-runner.js';

export type DatasetOpener = (path: string, opts: OpenOptions) => Promise<LabeledDataset>;

export interface RunLabOptions {
  /** How data sets are opened (tests pass a synthetic one); default: main/data's openDataset. */
  openDataset?: DatasetOpener;
}

/** The default base's model and the largest image side it is run at (bigger images are resized). */
export const DEFAULT_BASE_MODEL = 'lab_mini_resnet';
const DEFAULT_BASE_MAX_SIZE = 64;

/**
 * Pixels scaled to [0, 1], not centred: with random (He) filters and zero biases, a dark background
 * at 0 stays silent and the ReLU features respond to the object (centring it at -1 made the
 * pooled features of Fashion-MNIST markedly less separable: GAP head 65% vs 72%).
 */
const DEFAULT_NORMALIZATION = { scale: 1, mean: [0], std: [1] };

function parseSpec(input: LabSpecInput): LabSpec {
  const r = LabSpecSchema.safeParse(input);
  if (r.success) return r.data;
  throw new StudioError(
    `invalid lab settings: ${r.error.issues.map((i) => `${i.path.join('.') || 'spec'}: ${i.message}`).join('; ')}`,
    'bad-parameter',
  );
}

interface ResolvedBase {
  target: string;
  isDefault: boolean;
  graph: Graph;
  /** sha256 of the base's ONNX bytes. */
  modelHash: string;
  /** The preprocessing a base file records in its metadata, if any. */
  filePreprocess?: Preprocess;
}

/** The natural image shape of the data (no resize or crop) and its format, from one image. */
async function probeData(
  open: DatasetOpener,
  data: string,
): Promise<{ shape: [number, number, number]; classes: string[] }> {
  const ds = await open(data, { split: 'train', preprocess: PreprocessSchema.parse({ channels: 1 }), limit: 1 });
  const [, h, w] = ds.info.imageShape;
  // IDX images are gray; image folders are decoded as color.
  return { shape: [ds.info.format === 'idx' ? 1 : 3, h, w], classes: ds.info.classes };
}

function resolveBase(spec: LabSpec, probe: { shape: [number, number, number] }, classes: number): ResolvedBase {
  if (!spec.base) {
    const [c, h, w] = probe.shape;
    const size = Math.min(DEFAULT_BASE_MAX_SIZE, h, w);
    const target = `${DEFAULT_BASE_MODEL}:size=${size},channels=${c},classes=${classes}`;
    const graph = loadTarget({ target });
    return { target, isDefault: true, graph, modelHash: sha256(graphToOnnx(graph, { seed: spec.baseSeed })) };
  }
  const graph = loadTarget({ target: spec.base });
  if (looksLikeFile(spec.base)) {
    const bytes = readFileSync(spec.base);
    const meta = onnxMetadata(bytes)[PREPROCESS_METADATA_KEY];
    let filePreprocess: Preprocess | undefined;
    if (meta) {
      try {
        filePreprocess = PreprocessSchema.parse(JSON.parse(meta));
      } catch {
        throw new StudioError(
          `${spec.base}: its metadata '${PREPROCESS_METADATA_KEY}' is not a valid preprocessing description; fix or remove it`,
          'bad-file',
        );
      }
    }
    return { target: spec.base, isDefault: false, graph, modelHash: sha256(bytes), filePreprocess };
  }
  return { target: spec.base, isDefault: false, graph, modelHash: sha256(graphToOnnx(graph, { seed: spec.baseSeed })) };
}

/** The preprocessing that turns the data's images into the base's input. */
function preprocessFor(base: ResolvedBase, spec: LabSpec, natural: [number, number, number]): Preprocess {
  if (spec.preprocess) return spec.preprocess;
  if (base.filePreprocess) return base.filePreprocess;
  const input = base.graph.inputs[0];
  if (!input || input.shape.length !== 4)
    throw new StudioError(
      `the base ${base.target} must take one N x C x H x W image input; its input is [${input?.shape.join(', ') ?? 'none'}]`,
      'bad-base',
    );
  const [, c, h, w] = input.shape;
  if (c !== 1 && c !== 3)
    throw new StudioError(
      `the base ${base.target} reads ${c} channels; images give 1 (gray) or 3 (color): build it for 1 or 3, e.g. --base ${base.target.split(':')[0]}:channels=${natural[0]}`,
      'bad-base',
    );
  const [, nh, nw] = natural;
  const resize = nh === h && nw === w ? {} : { resize: Math.min(h, w), crop: [h, w] as [number, number] };
  return PreprocessSchema.parse({ channels: c, ...resize, ...DEFAULT_NORMALIZATION });
}

async function openSplit(
  open: DatasetOpener,
  spec: LabSpec,
  split: 'train' | 'test',
  preprocess: Preprocess,
): Promise<LabeledDataset> {
  const limit = split === 'train' ? spec.limit : spec.testLimit;
  const ds = await open(spec.data, { split, preprocess, ...(limit ? { limit } : {}) });
  if (ds.info.count === 0)
    throw new StudioError(
      `${spec.data}: the ${split} split has no images; the lab needs labeled train and test images`,
      'bad-data',
    );
  return ds;
}

function toFeatureSet(
  shape: number[],
  run: { output: Float32Array; width: number; labels: Int32Array; count: number },
): FeatureSet {
  if (run.width !== rowWidth(shape))
    throw new StudioError(
      `the cut base gave ${run.width} values per image; the cut tensor's shape [${shape.join(', ')}] has ${rowWidth(shape)}`,
      'internal',
    );
  return { shape, count: run.count, data: run.output, labels: run.labels };
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[._]+/, '') || 'base';

/** Runs the lab. `onProgress` hears the phases (features, each epoch, evaluation, export). */
export async function runLab(
  input: LabSpecInput,
  onProgress: (p: LabProgress) => void = () => {},
  options: RunLabOptions = {},
): Promise<LabResult> {
  const tStart = performance.now();
  const spec = parseSpec(input);
  const open = options.openDataset ?? openDataset;
  const cacheDir = spec.cacheDir ?? defaultCacheDir();

  onProgress({ phase: 'open', message: `opening ${spec.data}` });
  const probe = await probeData(open, spec.data);
  // The default base's own classifier (cut away) is built for the data's classes, so its file reads right.
  const base = resolveBase(spec, probe, probe.classes.length);
  const preprocess = preprocessFor(base, spec, probe.shape);
  const cut = cutGraph(base.graph, spec.cut);
  if (spec.heads.includes('gap') && cut.featureShape.length < 2)
    throw new StudioError(
      `the gap head needs a feature map (C x H x W) but the cut tensor '${cut.tensor}' has shape [${cut.featureShape.join(', ')}] per image; cut earlier (--cut) or leave gap out of --heads`,
      'bad-cut',
    );
  onProgress({ phase: 'open', message: `base ${base.target} cut at '${cut.tensor}' [${cut.featureShape.join('x')}]` });

  const trainDs = await openSplit(open, spec, 'train', preprocess);
  const testDs = await openSplit(open, spec, 'test', preprocess);
  const classes = trainDs.info.classes;
  if (JSON.stringify(classes) !== JSON.stringify(testDs.info.classes))
    throw new StudioError(`${spec.data}: the train and test splits have different classes`, 'bad-data');
  if (classes.length < 2) throw new StudioError(`${spec.data}: a classifier needs at least 2 classes`, 'bad-data');
  const [, h, w] = cut.graph.inputs[0].shape.slice(1);
  const [ic, ih, iw] = trainDs.info.imageShape;
  if (ic !== cut.graph.inputs[0].shape[1] || ih !== h || iw !== w)
    throw new StudioError(
      `the preprocessed images are ${ic}x${ih}x${iw} but the base ${base.target} reads ${cut.graph.inputs[0].shape.slice(1).join('x')}; pass a matching preprocessing or a base built for this size`,
      'bad-base',
    );

  // Features: the cache, or one run of the base over both splits.
  const key = cacheKey({
    modelHash: base.modelHash,
    tensor: cut.tensor,
    preprocess,
    train: { fingerprint: trainDs.info.fingerprint, split: 'train', limit: spec.limit, count: trainDs.info.count },
    test: { fingerprint: testDs.info.fingerprint, split: 'test', limit: spec.testLimit, count: testDs.info.count },
  });
  const f0 = performance.now();
  const lookup = readFeatureCache(cacheDir, key);
  let train: FeatureSet;
  let test: FeatureSet;
  let baseMsPerImage: number;
  let extractMs: number;
  let cacheReadMs: number | undefined;
  let cacheWriteMs: number | undefined;
  if (lookup.hit) {
    ({ train, test } = lookup.entry);
    baseMsPerImage = lookup.entry.header.baseMsPerImage;
    extractMs = lookup.entry.header.extractMs;
    cacheReadMs = performance.now() - f0;
    onProgress({ phase: 'features', split: 'train', done: train.count, total: train.count, cached: true });
    onProgress({ phase: 'features', split: 'test', done: test.count, total: test.count, cached: true });
  } else {
    const session = await cpuSession(graphToOnnx(withDynamicBatch(cut.graph), { seed: spec.baseSeed }), spec.threads);
    try {
      const runs = [];
      for (const [split, ds] of [
        ['train', trainDs],
        ['test', testDs],
      ] as const)
        runs.push(
          await runOverDataset(session, ds, spec.batch, (done, total) =>
            onProgress({ phase: 'features', split, done, total, cached: false }),
          ),
        );
      train = toFeatureSet(cut.featureShape, runs[0]);
      test = toFeatureSet(cut.featureShape, runs[1]);
      baseMsPerImage = (runs[0].runMs + runs[1].runMs) / (train.count + test.count);
      extractMs = performance.now() - f0;
    } finally {
      await session.release();
    }
    const w0 = performance.now();
    writeFeatureCache(
      cacheDir,
      {
        key,
        modelHash: base.modelHash,
        tensor: cut.tensor,
        featureShape: cut.featureShape,
        preprocess,
        classes,
        baseMsPerImage,
        extractMs,
        createdAt: new Date().toISOString(),
        splits: { train: { fingerprint: trainDs.info.fingerprint }, test: { fingerprint: testDs.info.fingerprint } },
      },
      { train, test },
    );
    cacheWriteMs = performance.now() - w0;
  }
  const featuresMs = performance.now() - f0;
  for (const [split, set] of [
    ['train', train],
    ['test', test],
  ] as const)
    for (const l of set.labels)
      if (l < 0 || l >= classes.length)
        throw new StudioError(
          `${spec.data}: a ${split} label ${l} is outside the ${classes.length} classes`,
          'bad-data',
        );

  const { train: trainIdx, val: valIdx } = validationSplit(train.count, spec.valFraction, spec.seed);
  const basePassMs = baseMsPerImage * train.count;
  const heads: LabHeadResult[] = [];
  for (const kind of spec.heads) heads.push(await labHead(kind));

  async function labHead(kind: HeadKind): Promise<LabHeadResult> {
    const trained = trainHead(
      { kind, rows: headInput(kind, train), labels: train.labels, classes: classes.length, trainIdx, valIdx },
      {
        epochs: spec.epochs,
        batchSize: spec.trainBatch,
        learningRate: spec.learningRate ?? DEFAULT_LEARNING_RATE[kind],
        patience: spec.patience,
        hidden: spec.hidden,
        seed: spec.seed,
        weightDecay: spec.weightDecay,
      },
      () => performance.now(),
      (e) => onProgress({ phase: 'train', ...e }),
    );
    const jsPred = predictClasses(trained, headInput(kind, test));
    const graph = classifierGraph(cut.graph, trained);
    const bytes = classifierOnnx(graph, spec.baseSeed, {
      [PREPROCESS_METADATA_KEY]: JSON.stringify(preprocess),
      [CLASSES_METADATA_KEY]: JSON.stringify(classes),
      [LAB_METADATA_KEY]: JSON.stringify({
        head: kind,
        base: base.target,
        cut: cut.tensor,
        seed: spec.seed,
        epochs: trained.epochsRun,
        bestEpoch: trained.bestEpoch,
      }),
    });
    let exported: LabHeadResult['exported'];
    if (spec.exportDir) {
      mkdirSync(spec.exportDir, { recursive: true });
      const path = join(spec.exportDir, `${safeName(base.graph.name)}-${safeName(cut.tensor)}-${kind}.onnx`);
      exported = writeFileAtomic(path, bytes);
      onProgress({ phase: 'export', head: kind, path: exported.path });
    }
    // The reported test accuracy is the exported file's, run by ONNX Runtime as `accuracy` runs it.
    const session = await cpuSession(bytes, spec.threads);
    let run;
    try {
      run = await runOverDataset(session, testDs, spec.batch, (done, total) =>
        onProgress({ phase: 'evaluate', head: kind, done, total }),
      );
    } finally {
      await session.release();
    }
    const ortPred = argmaxRows(run.output, classes.length);
    let ortCorrect = 0;
    let jsCorrect = 0;
    let disagree = 0;
    for (let i = 0; i < test.count; i++) {
      if (ortPred[i] === run.labels[i]) ortCorrect++;
      if (jsPred[i] === test.labels[i]) jsCorrect++;
      if (ortPred[i] !== jsPred[i]) disagree++;
    }
    return {
      head: kind,
      title: HEAD_TITLES[kind],
      params: trained.params,
      ...(kind === 'mlp' ? { hidden: spec.hidden } : {}),
      epochsRun: trained.epochsRun,
      bestEpoch: trained.bestEpoch,
      valAccuracy: trained.valAccuracy,
      valLoss: trained.valLoss,
      testAccuracy: ortCorrect / test.count,
      testAccuracyJs: jsCorrect / test.count,
      testDisagreements: disagree,
      testCount: test.count,
      trainMs: trained.trainMs,
      evaluateMs: run.wallMs,
      savedMs: trained.epochsRun * basePassMs,
      history: trained.history.map(({ epoch, trainLoss, valLoss, valAccuracy }) => ({
        epoch,
        trainLoss,
        valLoss,
        valAccuracy,
      })),
      ...(exported ? { exported } : {}),
    };
  }

  const epochsTrained = heads.reduce((s, hd) => s + hd.epochsRun, 0);
  const withoutCacheMs = epochsTrained * basePassMs;
  const withCacheMs = lookup.hit ? cacheReadMs! : basePassMs + (cacheWriteMs ?? 0);
  const result: LabResult = {
    schema: LAB_SCHEMA,
    version: LAB_SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    base: {
      target: base.target,
      isDefault: base.isDefault,
      ...(base.graph.meta.description ? { description: base.graph.meta.description } : {}),
      inputShape: base.graph.inputs[0].shape,
      cut: { tensor: cut.tensor, isDefault: cut.isDefault, reason: cut.reason },
      featureShape: cut.featureShape,
      modelHash: base.modelHash,
    },
    data: {
      train: trainDs.info,
      test: testDs.info,
      preprocess,
      classes,
      trainImages: trainIdx.length,
      valImages: valIdx.length,
    },
    cache: {
      hit: lookup.hit,
      key,
      dir: entryDir(cacheDir, key),
      ...(lookup.hit ? {} : { missReason: lookup.reason }),
    },
    timings: {
      featuresMs,
      extractMs,
      ...(cacheReadMs !== undefined ? { cacheReadMs } : {}),
      ...(cacheWriteMs !== undefined ? { cacheWriteMs } : {}),
      baseMsPerImage,
      basePassMs,
      totalMs: performance.now() - tStart,
    },
    timeSaved: { ms: withoutCacheMs - withCacheMs, epochsTrained, withoutCacheMs, withCacheMs },
    heads,
    settings: spec,
  };
  const checked = LabResultSchema.safeParse(result);
  if (!checked.success)
    throw new StudioError(`the lab produced an invalid result: ${z.prettifyError(checked.error)}`, 'internal');
  return checked.data;
}
