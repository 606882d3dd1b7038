// Runs a classifier over a labeled data set in batches and scores it: top-1, top-5, per-class
// accuracy, the confusion matrix, images per second. The model runs in this process on one
// backend session (ONNX Runtime from the model bytes, or the native kernels from the studio graph).
import {
  BackendConfigSchema,
  type BackendConfig,
  type BackendName,
  type NativeIsa,
} from '../../shared/contract/job.js';
import type { AccuracyFigures, AccuracyTiming } from '../../shared/contract/accuracy.js';
import type { LabeledBatch, LabeledDataset } from '../../shared/data/dataset.js';
import { numel, StudioError, type Graph } from '../../shared/ir/types.js';
import { onnxToGraph } from '../../shared/onnx/reader.js';
import { getBackend } from '../backends/registry.js';
import { imageInput } from './preprocess-defaults.js';

export interface EvaluateOptions {
  modelBytes: Uint8Array;
  /** The studio graph of the bytes (the native backend runs it); read from the bytes when absent. */
  graph?: Graph;
  /** How the model is named in messages. */
  label?: string;
  backend: BackendName;
  /** Images per inference; a model with a fixed batch dimension runs at its own batch instead. */
  batch: number;
  dataset: LabeledDataset;
  threads?: number;
  isa?: NativeIsa;
  /** Seed of generated weights (blocks and zoo models) for the native backend. */
  seed?: number;
  onProgress?: (p: { done: number; total: number }) => void;
}

export interface AccuracyReport {
  backend: BackendConfig;
  model: string;
  accuracy: AccuracyFigures;
  timing: AccuracyTiming;
  warnings: string[];
}

/** Checks the model's input against the data's images and its output against the classes. */
export function checkModelAgainstData(
  graph: Graph,
  label: string,
  imageShape: [number, number, number],
  classes: number,
): { input: string; output: string; batchFixed?: number; outputs: number } {
  const input = imageInput(graph, label);
  const [n, c, h, w] = input.shape;
  const [dc, dh, dw] = imageShape;
  const differs = [c !== dc && !input.symbolic[1], h !== dh && !input.symbolic[2], w !== dw && !input.symbolic[3]];
  if (differs.some(Boolean)) {
    const hints: string[] = [];
    if (differs[0]) hints.push(`--channels ${c}`);
    if (differs[1] || differs[2])
      hints.push(
        `--crop ${h}x${w}${Math.min(dh, dw) !== Math.min(h, w) ? ` (with --resize ${Math.min(h, w)} to scale the shorter side first)` : ''}`,
      );
    throw new StudioError(
      `${label} reads images of ${c}x${h}x${w} (input '${input.name}' [${input.shape.join(', ')}]) but the preprocessed data are ${dc}x${dh}x${dw}: pass ${hints.join(' and ')}`,
      'bad-parameter',
    );
  }
  if (graph.outputs.length < 1) throw new StudioError(`${label} has no output`, 'bad-parameter');
  const out = graph.outputs[0];
  const batch = out.shape[0] ?? 1;
  const outputs = numel(out.shape) / Math.max(1, batch);
  if (out.shape.length < 2 || batch !== n || !Number.isInteger(outputs) || out.shape.slice(2).some((d) => d !== 1))
    throw new StudioError(
      `${label}'s output '${out.name}' is [${out.shape.join(', ')}]; a classifier outputs one score per class, [N, classes]`,
      'bad-parameter',
    );
  if (classes > outputs)
    throw new StudioError(
      `the data set has ${classes} classes but ${label} outputs ${outputs} scores: labels that do not match the model's classes. Use a model with ${classes} outputs (for a catalog head: --set classes=${classes}) or a data set with at most ${outputs} classes`,
      'bad-parameter',
    );
  return {
    input: input.name,
    output: out.name,
    ...(input.symbolic[0] ? {} : { batchFixed: n }),
    outputs,
  };
}

/** Runs one batch and returns the first output's scores, [batch x outputs]. */
type RunBatch = (images: Float32Array, shape: number[]) => Promise<Float32Array>;

async function openSession(
  opts: EvaluateOptions,
  graph: Graph,
  config: BackendConfig,
  names: { input: string; output: string },
): Promise<{ run: RunBatch; release: () => Promise<void> }> {
  // The model as bytes for a runtime that loads them, and as the studio graph for one that compiles it.
  const session = await getBackend(opts.backend).createSession(opts.modelBytes, config, {
    graph,
    seed: opts.seed ?? 0,
  });
  if (!session.runNamed) {
    await session.release();
    throw new StudioError(`${opts.backend} returns no outputs by name, so it cannot score images`, 'refused');
  }
  const runNamed = session.runNamed.bind(session);
  return {
    run: async (images, shape) => {
      const out = await runNamed([{ name: names.input, dtype: 'float32', shape, data: images }]);
      const t = out[names.output];
      if (!t || !(t.data instanceof Float32Array))
        throw new StudioError(`the model's output '${names.output}' is not float32 scores`, 'bad-parameter');
      return t.data;
    },
    release: () => session.release(),
  };
}

/** The indices of the k largest scores, best first (NaN counts as lowest). */
function topK(scores: Float32Array, offset: number, width: number, k: number): number[] {
  const best: number[] = [];
  for (let j = 0; j < width; j++) {
    const v = scores[offset + j];
    if (Number.isNaN(v) && best.length >= k) continue;
    let pos = best.length;
    while (pos > 0 && !(scores[offset + best[pos - 1]] >= v)) pos--;
    if (pos < k) {
      best.splice(pos, 0, j);
      if (best.length > k) best.pop();
    }
  }
  return best;
}

export async function evaluateAccuracy(opts: EvaluateOptions): Promise<AccuracyReport> {
  const t0 = performance.now();
  const label = opts.label ?? 'the model';
  const graph = opts.graph ?? onnxToGraph(opts.modelBytes, { name: label });
  const { info } = opts.dataset;
  const classes = info.classes.length;
  const check = checkModelAgainstData(graph, label, info.imageShape, classes);
  const warnings: string[] = [];
  if (!(Number.isInteger(opts.batch) && opts.batch >= 1))
    throw new StudioError(`--batch must be a positive integer, got ${opts.batch}`, 'bad-parameter');
  const batch = check.batchFixed ?? opts.batch;
  if (check.batchFixed !== undefined && check.batchFixed !== opts.batch)
    warnings.push(
      `${label} has a fixed batch size of ${check.batchFixed}; it ran at that batch instead of ${opts.batch}`,
    );
  if (check.outputs > classes)
    warnings.push(
      `${label} outputs ${check.outputs} scores for a data set of ${classes} classes: predictions of outputs ${classes}..${check.outputs - 1} count as wrong`,
    );
  const config = BackendConfigSchema.parse({ backend: opts.backend, intraOpThreads: opts.threads ?? 0, isa: opts.isa });

  const sessionStart = performance.now();
  const session = await openSession(opts, graph, config, { input: check.input, output: check.output });
  const sessionMs = performance.now() - sessionStart;

  const K = check.outputs;
  const confusion = Array.from({ length: classes }, () => new Array<number>(K).fill(0));
  const k5 = K >= 5 ? 5 : 0;
  let top5Hits = 0;
  const total = info.count;
  const [C, H, W] = info.imageShape;
  const size = C * H * W;
  const shape = [batch, C, H, W];
  const padded = new Float32Array(batch * size);
  let inferenceMs = 0;
  let dataMs = 0;
  let batches = 0;
  const loopStart = performance.now();
  const read = (start: number): Promise<{ b: LabeledBatch; ms: number }> => {
    const r0 = performance.now();
    return opts.dataset.read(start, Math.min(batch, total - start)).then((b) => ({ b, ms: performance.now() - r0 }));
  };
  try {
    // The next batch is read and decoded while the current one runs.
    let next = total > 0 ? read(0) : undefined;
    for (let start = 0; start < total; start += batch) {
      const { b, ms } = await next!;
      dataMs += ms;
      next = start + batch < total ? read(start + batch) : undefined;
      // A partial last batch is padded with zeros to the session's batch; the padding's scores are dropped.
      let images = b.images;
      if (b.count < batch) {
        padded.fill(0);
        padded.set(b.images);
        images = padded;
      }
      const r0 = performance.now();
      const scores = await session.run(images, shape);
      inferenceMs += performance.now() - r0;
      batches++;
      for (let i = 0; i < b.count; i++) {
        const truth = b.labels[i];
        const best = topK(scores, i * K, K, Math.max(1, k5));
        confusion[truth][best[0] ?? 0]++;
        if (k5 && best.includes(truth)) top5Hits++;
      }
      opts.onProgress?.({ done: Math.min(start + batch, total), total });
    }
    // A read still in flight when a run failed must not reject unobserved.
    await next?.catch(() => undefined);
  } finally {
    await session.release();
  }
  const endToEndMs = performance.now() - loopStart;

  const perClass = info.classes.map((name, c) => {
    const count = confusion[c].reduce((a, v) => a + v, 0);
    const correct = c < K ? confusion[c][c] : 0;
    return { name, count, correct, accuracy: count > 0 ? correct / count : null };
  });
  const correct = perClass.reduce((a, p) => a + p.correct, 0);
  const rate = (n: number, ms: number) => (ms > 0 ? (n * 1000) / ms : 0);
  return {
    backend: config,
    model: graph.name,
    accuracy: {
      count: total,
      top1: total > 0 ? correct / total : 0,
      ...(k5 ? { top5: total > 0 ? top5Hits / total : 0 } : {}),
      perClass,
      confusion,
      outputs: K,
    },
    timing: {
      batch,
      batches,
      inferenceImagesPerSecond: rate(total, inferenceMs),
      endToEndImagesPerSecond: rate(total, endToEndMs),
      inferenceMs,
      dataMs,
      sessionMs,
      elapsedMs: performance.now() - t0,
    },
    warnings,
  };
}
