// Running a model over a labeled data set with ONNX Runtime on the CPU, a batch at a time (the last
// batch holds what is left): the lab's feature extraction and its evaluation of exported classifiers.
import { performance } from 'node:perf_hooks';
import ort from 'onnxruntime-node';
import type { LabeledDataset } from '../../shared/data/dataset.js';
import { StudioError } from '../../shared/ir/types.js';

export interface DatasetRun {
  /** count x width outputs, row-major, in the data set's order. */
  output: Float32Array;
  width: number;
  labels: Int32Array;
  count: number;
  /** Time inside ONNX Runtime's run calls only. */
  runMs: number;
  /** Wall time, reading and preprocessing the images included. */
  wallMs: number;
}

export async function cpuSession(model: Uint8Array, threads: number): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(model, {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      logSeverityLevel: 3,
    });
  } catch (e) {
    throw new StudioError(
      `ONNX Runtime cannot load the model: ${((e as Error).message ?? String(e)).split('\n')[0]}`,
      'bad-model',
    );
  }
}

/**
 * Runs `session` over images [0, ds.info.count) of the data set and returns its (single float)
 * output per image. `onBatch` hears the images done so far.
 */
export async function runOverDataset(
  session: ort.InferenceSession,
  ds: LabeledDataset,
  batch: number,
  onBatch?: (done: number, total: number) => void,
): Promise<DatasetRun> {
  const t0 = performance.now();
  const total = ds.info.count;
  const [c, h, w] = ds.info.imageShape;
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  const labels = new Int32Array(total);
  let output = new Float32Array(0);
  let width = 0;
  let runMs = 0;
  for (let start = 0; start < total; start += batch) {
    const n = Math.min(batch, total - start);
    const b = await ds.read(start, n);
    if (b.count !== n)
      throw new StudioError(`the data set gave ${b.count} images for ${n} asked at ${start}`, 'bad-data');
    labels.set(b.labels, start);
    const feed = { [inputName]: new ort.Tensor('float32', b.images, [n, c, h, w]) };
    const r0 = performance.now();
    let out: ort.InferenceSession.ReturnType;
    try {
      out = await session.run(feed);
    } catch (e) {
      throw new StudioError(
        `ONNX Runtime failed on images ${start}..${start + n - 1} (input ${n}x${c}x${h}x${w}): ${((e as Error).message ?? String(e)).split('\n')[0]}`,
        'run-failed',
      );
    }
    runMs += performance.now() - r0;
    const t = out[outputName];
    if (t.type !== 'float32') throw new StudioError(`output '${outputName}' is ${t.type}, not float32`, 'bad-model');
    const data = t.data as Float32Array;
    if (width === 0) {
      width = data.length / n;
      output = new Float32Array(total * width);
    }
    if (data.length !== n * width)
      throw new StudioError(
        `output '${outputName}' changed size between batches (${data.length} for ${n} images)`,
        'bad-model',
      );
    output.set(data, start * width);
    onBatch?.(start + n, total);
  }
  return { output, width, labels, count: total, runMs, wallMs: performance.now() - t0 };
}
