// Device-resident latency on ONNX Runtime's WebGPU provider: a run whose inputs are already on the
// device and whose outputs stay there, i.e. the GPU's own time without the host<->device copies
// that a complete run() (the headline latency) includes.
//
// Two facts about onnxruntime-node 1.30 shape the method (both measured on lavapipe, the software
// Vulkan device, and written down in docs/ARCHITECTURE.md):
// - With preferredOutputLocation 'gpu-buffer', run() resolves once the work is *submitted*, not
//   done (a 64->64 3x3 conv at 56x56: 1.1 ms "per run" against 37 ms of real work), so timing
//   single runs would report submission speed as GPU speed. All sessions of the process share one
//   WebGPU device and queue, so a run of a tiny session whose output comes back to the host waits
//   for everything queued before it: that is the synchronization point. Each sample times
//   `runsPerBatch` device-resident runs plus one synchronization, minus the synchronization's own
//   median time, divided by the runs.
// - Reading a 'gpu-buffer' output back (tensor.getData()) aborts the process in this binding, so
//   the outputs are only ever disposed, never read; inputs are put on the device once by an
//   Identity session whose outputs stay there (checked to be bit-exact in the tests).
//
// The same sessions give the load phases' GPU split (LoadPhases.gpu) at the cost of a few runs:
// upload = the Identity session on host inputs, synchronized; compute = the device-resident median;
// read-back = a run of the headline session (host outputs, so it returns once they are on the host)
// on the uploaded inputs, less the compute. Outputs cannot be read back on their own (see above).
import ort from 'onnxruntime-node';
import type { GpuPhaseSplit } from '../../../shared/contract/result.js';
import type { DeviceResidentMeasurement, DeviceResidentPlan } from '../backend.js';
import { GraphBuilder } from '../../../shared/graph/builder.js';
import type { TensorInfo } from '../../../shared/ir/types.js';
import { graphToOnnx } from '../../../shared/onnx/writer.js';
import { quantileSorted } from 'simple-statistics';

export const DEVICE_RESIDENT_METHOD =
  'inputs uploaded once and outputs kept on the device; runs timed in synchronized batches: (batch time - synchronization time) / runs';

/** A model that returns its inputs unchanged: with outputs kept on the device it uploads them. */
function uploadModel(inputs: readonly TensorInfo[]): Uint8Array {
  const b = new GraphBuilder('upload');
  const outs = inputs.map((i) => b.op('Identity', [b.input(i.name, i.shape, i.dtype)]));
  return graphToOnnx(b.build(outs));
}

let syncModel: Uint8Array | undefined;
function sync(): Uint8Array {
  if (!syncModel) {
    const b = new GraphBuilder('sync');
    syncModel = graphToOnnx(b.build([b.op('Identity', [b.input('x', [1])])]));
  }
  return syncModel;
}

const dispose = (outs: ort.InferenceSession.ReturnType) => {
  for (const t of Object.values(outs)) t.dispose();
};

export const GPU_SPLIT_METHOD =
  'upload: an Identity session run on the host inputs with its outputs kept on the device, then synchronized (less the synchronization time); compute: the device-resident median; read-back: a complete-run session fed the uploaded inputs (its outputs come back to the host), less the compute (floored at 0); medians of synchronized runs';

/** Runs behind each median of the split: 5, or 3 for a model whose run takes a fifth of the budget. */
export function splitRuns(plan: DeviceResidentPlan): number {
  return plan.headlineMs * 5 > plan.budgetS * 1000 ? 3 : 5;
}

const medianOf = (xs: readonly number[]) =>
  quantileSorted(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

/** Batches of at least 2 runs; about 8 batches within the budget; at most 64 runs per batch. */
export function batchPlan(plan: DeviceResidentPlan): { runsPerBatch: number; batches: number } {
  const budgetMs = plan.budgetS * 1000;
  const perRun = Math.max(plan.headlineMs, 0.01);
  const runsPerBatch = Math.min(64, Math.max(2, Math.round(budgetMs / 8 / perRun)));
  const batches = Math.max(3, Math.min(8, Math.floor(budgetMs / (runsPerBatch * perRun))));
  return { runsPerBatch, batches };
}

/**
 * Measures the device-resident latency of `model` with the session options of the headline
 * measurement (the same provider, so the same device). `feeds` are the host inputs by name. Given
 * the headline session (`hostOutputs`: outputs returned to the host), it also splits a run into
 * upload, compute and read-back (`split`).
 */
export async function measureDeviceResident(
  model: Uint8Array,
  options: ort.InferenceSession.SessionOptions,
  inputs: readonly TensorInfo[],
  feeds: Record<string, ort.Tensor>,
  plan: DeviceResidentPlan,
  hostOutputs?: ort.InferenceSession,
): Promise<DeviceResidentMeasurement> {
  const onDevice = { ...options, preferredOutputLocation: 'gpu-buffer' as const };
  const sessions: ort.InferenceSession[] = [];
  const open = async (bytes: Uint8Array, o: ort.InferenceSession.SessionOptions) => {
    const s = await ort.InferenceSession.create(bytes, o);
    sessions.push(s);
    return s;
  };
  let uploaded: ort.InferenceSession.ReturnType | undefined;
  try {
    const upload = await open(uploadModel(inputs), onDevice);
    const syncer = await open(sync(), options);
    const resident = await open(model, onDevice);
    // The upload graph's inputs carry the model's input names; its output k is the upload of input k.
    uploaded = await upload.run(Object.fromEntries(inputs.map((i) => [i.name, feeds[i.name]])));
    const deviceFeeds = Object.fromEntries(inputs.map((i, k) => [i.name, uploaded![upload.outputNames[k]]]));
    const syncFeed = { [syncer.inputNames[0]]: new ort.Tensor('float32', new Float32Array(1), [1]) };
    const synchronize = () => syncer.run(syncFeed);

    // Warm-up: compiles the shaders of the on-device session and settles the queue.
    for (let i = 0; i < 2; i++) dispose(await resident.run(deviceFeeds));
    await synchronize();
    const syncMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = process.hrtime.bigint();
      await synchronize();
      syncMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const syncMedian = medianOf(syncMs);

    const { runsPerBatch, batches } = batchPlan(plan);
    const samplesMs: number[] = [];
    for (let b = 0; b < batches; b++) {
      const outs: ort.InferenceSession.ReturnType[] = [];
      const t0 = process.hrtime.bigint();
      for (let r = 0; r < runsPerBatch; r++) outs.push(await resident.run(deviceFeeds));
      await synchronize();
      const batchMs = Number(process.hrtime.bigint() - t0) / 1e6;
      // Disposed after the synchronization: the buffers were in use until then.
      outs.forEach(dispose);
      samplesMs.push(Math.max(0, batchMs - syncMedian) / runsPerBatch);
    }
    const medianMs = medianOf(samplesMs);
    const hostFeeds = Object.fromEntries(inputs.map((i) => [i.name, feeds[i.name]]));
    const split = hostOutputs
      ? await measureSplit(upload, hostFeeds, hostOutputs, deviceFeeds, synchronize, syncMedian, medianMs, plan)
      : undefined;
    return { medianMs, samplesMs, runsPerBatch, method: DEVICE_RESIDENT_METHOD, ...(split ? { split } : {}) };
  } finally {
    if (uploaded) dispose(uploaded);
    for (const s of sessions) await s.release().catch(() => {});
  }
}

/**
 * Upload, compute and read-back of one run (GPU_SPLIT_METHOD), from a few synchronized runs: the
 * upload session on the host inputs, then the headline session on the uploaded inputs.
 */
async function measureSplit(
  upload: ort.InferenceSession,
  hostFeeds: Record<string, ort.Tensor>,
  hostOutputs: ort.InferenceSession,
  deviceFeeds: Record<string, ort.Tensor>,
  synchronize: () => Promise<unknown>,
  syncMedian: number,
  computeMs: number,
  plan: DeviceResidentPlan,
): Promise<GpuPhaseSplit> {
  const runs = splitRuns(plan);
  const uploadMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    await synchronize();
    const t0 = process.hrtime.bigint();
    const outs = await upload.run(hostFeeds);
    await synchronize();
    uploadMs.push(Math.max(0, Number(process.hrtime.bigint() - t0) / 1e6 - syncMedian));
    dispose(outs);
  }
  // One untimed run first: the headline session has not yet been fed device inputs.
  await hostOutputs.run(deviceFeeds);
  const backMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    await synchronize();
    const t0 = process.hrtime.bigint();
    await hostOutputs.run(deviceFeeds);
    backMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return {
    uploadMs: medianOf(uploadMs),
    computeMs,
    // A read-back below the noise of the two medians is 0, never negative.
    readbackMs: Math.max(0, medianOf(backMs) - computeMs),
    method: GPU_SPLIT_METHOD,
    runs,
  };
}
