// Builds the fp16 and int8 variants of a model's fp32 bytes (shared/precision/ does the rewriting;
// this file adds what needs ONNX Runtime: calibration runs, the kernels the runtime really chose)
// and measures their fidelity against the fp32 reference.
import type { BackendConfig, BackendName, Calibration, PrecisionName } from '../../shared/contract/job.js';
import { CalibrationSchema } from '../../shared/contract/job.js';
import type { PrecisionDetails } from '../../shared/contract/result.js';
import type { Graph } from '../../shared/graph/types.js';
import { convertToFp16 } from '../../shared/precision/fp16.js';
import { fidelity, type Fidelity, type FidelityFigures, type OutputTensor } from '../../shared/precision/fidelity.js';
import { planQuantization, prepareForQuantization, quantizeQdq } from '../../shared/precision/int8.js';
import { decodeModel } from '../../shared/precision/model-proto.js';
import { RefusedError, type HostTensor } from '../backends/backend.js';
import { ORT_PROVIDERS, ORT_RUNTIME } from '../backends/ort.js';
import { getBackend } from '../backends/registry.js';
import { calibrate, seededFeeds, type CalibrationFeeds } from './calibrate.js';
import { optimizedNodes, REFERENCE_NAME, referenceOutputs } from './ort-run.js';

export interface BuiltVariant {
  bytes: Uint8Array;
  details: PrecisionDetails;
}

export interface VariantOptions {
  calibration?: Partial<Calibration>;
  /** Calibration inputs other than the seeded random ones (real images, for example). */
  feeds?: CalibrationFeeds;
}

/** The fp16 or int8 variant of `fp32` (model bytes); `graph` gives the inputs' shapes for calibration. */
export async function buildVariant(
  fp32: Uint8Array,
  graph: Graph,
  precision: Exclude<PrecisionName, 'fp32'>,
  opts: VariantOptions = {},
): Promise<BuiltVariant> {
  if (precision === 'fp16') {
    const v = convertToFp16(fp32);
    const notes = [
      `fp16: ${v.convertedInitializers} float initializers stored as float16 and every operator computing in float16; graph inputs and outputs stay float32 through ${v.boundaryCasts} Cast nodes at the boundary, so the same float32 inputs feed both and fidelity compares float32 outputs`,
    ];
    if (v.overflowValues)
      notes.push(`${v.overflowValues} weight values were beyond float16's range (65504) and were clamped to it`);
    return { bytes: v.bytes, details: { precision, notes } };
  }
  const cal = CalibrationSchema.parse(opts.calibration ?? {});
  const prepared = prepareForQuantization(fp32);
  const plan = planQuantization(decodeModel(prepared.bytes));
  const feeds = opts.feeds ?? seededFeeds(graph, cal);
  const run = await calibrate(prepared.bytes, plan.calibrate, feeds, cal);
  const q = quantizeQdq(prepared.bytes, run.ranges);
  const quantized = Object.entries(q.report.ops)
    .map(([op, n]) => `${n} ${op}`)
    .join(', ');
  const notes = [
    `int8: static quantization in QDQ form (per-channel symmetric int8 weights, per-tensor asymmetric uint8 activations, int32 biases); quantized: ${quantized || 'nothing'}${prepared.report.foldedBatchNorms ? `; ${prepared.report.foldedBatchNorms} BatchNormalization folded into their Conv first` : ''}`,
    `calibration: ${cal.method}${cal.method === 'percentile' ? ` ${cal.percentile}%` : ''} over ${run.samples} ${opts.feeds ? 'supplied' : `seeded random (seeds ${cal.seed}..${cal.seed + run.samples - 1})`} input samples`,
  ];
  if (q.report.floatOps.length) notes.push(`left in float: ${q.report.floatOps.join(', ')}`);
  return {
    bytes: q.bytes,
    details: {
      precision,
      notes,
      calibration: {
        method: cal.method,
        samples: run.samples,
        source: opts.feeds ? 'supplied' : 'seeded-random',
        ...(opts.feeds ? {} : { seed: cal.seed }),
        ...(cal.method === 'percentile' ? { percentile: cal.percentile } : {}),
        tensors: plan.calibrate.length,
        ms: run.ms,
      },
      quantization: {
        format: 'QDQ',
        weights: 'int8, symmetric, per output channel',
        activations: 'uint8, asymmetric, per tensor',
        ops: q.report.ops,
        qdqTensors: q.report.qdqTensors,
        foldedBatchNorms: prepared.report.foldedBatchNorms,
        removedActivations: q.report.removedActivations,
        floatOps: q.report.floatOps,
      },
    },
  };
}

/** ONNX Runtime's integer kernels: the sign that QDQ nodes were fused. */
export const INTEGER_KERNELS = new Set([
  'QLinearConv',
  'ConvInteger',
  'MatMulInteger',
  'MatMulIntegerToFloat',
  'QGemm',
  'QLinearMatMul',
  'QLinearAdd',
  'QLinearMul',
  'QLinearAveragePool',
  'QLinearGlobalAveragePool',
  'QLinearConcat',
  'DynamicQuantizeMatMul',
  'NhwcQLinearConv',
]);

const FLOAT_TYPE = 1;

/**
 * What ONNX Runtime really does with a variant on an ORT backend, before anything is timed:
 * - fp16: when the provider has no float16 kernel for an operator, ORT inserts Cast nodes and runs
 *   it in float32. That is not an fp16 measurement, so it is refused, naming the operators.
 * - int8: the kernels of the optimized graph are recorded; without integer kernels a flag says the
 *   variant runs as float quantize-dequantize.
 * Returns flags for the result.
 */
export async function checkVariantOnOrt(
  backend: BackendName,
  config: Pick<BackendConfig, 'graphOptimization'>,
  built: BuiltVariant,
): Promise<string[]> {
  const info = ORT_PROVIDERS[backend as keyof typeof ORT_PROVIDERS];
  if (!info) return [];
  const precision = built.details.precision;
  let nodes;
  try {
    // fp16: at level 'disabled' the Casts ORT inserts stay visible (later levels fold them into the weights).
    nodes = await optimizedNodes(built.bytes, info.ep, precision === 'fp16' ? 'disabled' : config.graphOptimization);
  } catch (e) {
    const msg = ((e as Error).message ?? String(e)).split('\n')[0];
    const av = await getBackend(backend).detect();
    if (!av.available) throw new RefusedError(`${backend} is unavailable on this machine: ${av.reason}`);
    if (/NOT_IMPLEMENTED|Could not find an implementation/i.test(msg))
      throw new RefusedError(
        `${backend} cannot run the ${precision} variant: ONNX Runtime has no kernel for it (${msg})`,
      );
    // Providers that compile the graph themselves (TensorRT) cannot save an optimized model.
    return [`could not read ONNX Runtime's optimized graph to verify which ${precision} kernels run: ${msg}`];
  }
  if (precision === 'fp16') {
    const fallback = nodes.filter((n) => n.op !== 'Cast' && n.inputType === FLOAT_TYPE);
    if (fallback.length) {
      const ops = [...new Set(fallback.map((n) => n.op))];
      // Operators ORT put a Cast to float32 in front of: those it has no float16 kernel for here.
      const missing = [...new Set(fallback.filter((n) => n.fedByFloatCast).map((n) => n.op))];
      throw new RefusedError(
        `${backend} cannot run the fp16 variant: ${ORT_RUNTIME.name} ${ORT_RUNTIME.version}'s ${info.label} provider has no float16 kernel for ${(missing.length ? missing : ops).join(', ')} on this machine (${process.platform}-${process.arch}), so ONNX Runtime inserts Cast nodes and computes ${fallback.length} of ${nodes.filter((n) => n.op !== 'Cast').length} nodes (${ops.join(', ')}) in float32: that would be an fp32 measurement labeled fp16. Run fp16 on a GPU provider (ort-cuda) instead.`,
      );
    }
    return [];
  }
  const kernels: Record<string, number> = {};
  for (const n of nodes) kernels[n.op] = (kernels[n.op] ?? 0) + 1;
  if (built.details.quantization) built.details.quantization.runtimeKernels = kernels;
  const integer = nodes.filter((n) => INTEGER_KERNELS.has(n.op)).length;
  if (integer === 0)
    return [
      `ONNX Runtime fused no QDQ group into an integer kernel (graph optimization '${config.graphOptimization}'): the int8 variant runs as float quantize-dequantize, so its latency is not int8 latency`,
    ];
  return [];
}

/** Non-finite figures become null (JSON has no Infinity or NaN). */
function finite<T extends FidelityFigures>(f: T) {
  const fix = (v: number | undefined) => (v === undefined ? undefined : Number.isFinite(v) ? v : null);
  return {
    ...f,
    maxAbsError: fix(f.maxAbsError)!,
    meanAbsError: fix(f.meanAbsError)!,
    relError: fix(f.relError)!,
    cosine: fix(f.cosine)!,
    ...(f.top1Agreement !== undefined ? { top1Agreement: fix(f.top1Agreement) } : {}),
  };
}

/** Fidelity of the variant's outputs against the fp32 model run once on ORT's CPU provider. */
export async function measureFidelity(
  fp32: Uint8Array,
  inputs: HostTensor[],
  variantOutputs: OutputTensor[],
  seed: number,
): Promise<NonNullable<PrecisionDetails['fidelity']>> {
  const reference = await referenceOutputs(fp32, inputs);
  const f: Fidelity = fidelity(variantOutputs, reference);
  return {
    reference: REFERENCE_NAME,
    inputs: `the job's seeded inputs (seed ${seed})`,
    outputs: f.outputs.map(finite),
    overall: finite(f.overall),
  };
}
