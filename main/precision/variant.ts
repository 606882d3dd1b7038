// Builds the fp16 and int8 variants of a model's fp32 bytes (shared/precision/ does the rewriting;
// this file adds the calibration runs) and measures their fidelity against the fp32 reference.
// What a runtime really runs of a variant is the backend's to check (Backend.checkVariant).
import type { Calibration, PrecisionName } from '../../shared/contract/job.js';
import { CalibrationSchema } from '../../shared/contract/job.js';
import type { PrecisionDetails } from '../../shared/contract/result.js';
import type { Graph } from '../../shared/ir/types.js';
import { convertToFp16 } from '../../shared/precision/fp16.js';
import { fidelity, type Fidelity, type FidelityFigures, type OutputTensor } from '../../shared/precision/fidelity.js';
import { planQuantization, prepareForQuantization, quantizeQdq } from '../../shared/precision/int8.js';
import { decodeModel } from '../../shared/precision/model-proto.js';
import type { HostTensor } from '../backends/backend.js';
import { calibrate, seededFeeds, type CalibrationFeeds } from './calibrate.js';
import { REFERENCE_NAME, referenceOutputs } from '../backends/ort/runs.js';

export type { BuiltVariant } from '../backends/backend.js';
import type { BuiltVariant } from '../backends/backend.js';

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
