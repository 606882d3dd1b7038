// A benchmark result: saved at once, atomically, as one versioned JSON document per job.
import { z } from 'zod';
import { CALIBRATION_METHODS, JobSpecSchema, PRECISIONS } from './job.js';
import { GpuAdapterSchema, MachineProfileSchema } from './machine.js';

export const RESULT_SCHEMA = 'bottleneck-studio/result';
export const RESULT_SCHEMA_VERSION = 1;

/** Latency statistics in milliseconds over the measured samples. */
export const LatencyStatsSchema = z.object({
  n: z.number().int(),
  min: z.number(),
  p50: z.number(),
  p90: z.number(),
  p99: z.number(),
  max: z.number(),
  mean: z.number(),
  stddev: z.number(),
  /** stddev / mean. */
  cv: z.number(),
  /** Distribution-free 95% confidence interval of the median (order statistics). */
  medianCi: z.object({ low: z.number(), high: z.number(), level: z.number() }),
  /** Samples outside Tukey's fences (Q1 - 1.5 IQR, Q3 + 1.5 IQR). */
  outliers: z.number().int(),
  /** Items per second at the job's batch size, from the median. */
  throughput: z.number(),
  /** Cost-model FLOPs / median latency, in GFLOP/s. */
  gflops: z.number(),
});
export type LatencyStats = z.infer<typeof LatencyStatsSchema>;

export const FailureSchema = z.object({
  /**
   * 'oom': out of memory, as the studio knows it (its memory watchdog killed the worker past the job
   * memory limit, or the worker said it ran out); 'killed': the worker was killed from outside the
   * studio (SIGKILL from a user, another program, or the operating system's out-of-memory killer,
   * which the studio cannot tell apart; the system's log says which).
   */
  kind: z.enum(['refused', 'error', 'crash', 'timeout', 'oom', 'killed', 'cancelled']),
  reason: z.string(),
  detail: z.string().optional(),
});

export const NodeTimingSchema = z.object({
  /** The runtime's node name (after its graph optimizations). */
  name: z.string(),
  op: z.string(),
  provider: z.string(),
  /** Mean kernel time per run, microseconds. */
  meanUs: z.number(),
  /** The studio graph's nodes this runtime node covers (several when the runtime fused them). */
  graphNodes: z.array(z.string()),
  macs: z.number(),
  gflops: z.number(),
});

/** Non-finite figures (an infinite relative error, a NaN output) are stored as null: JSON has no Infinity. */
const figure = z.number().nullable();

export const FidelityFiguresSchema = z.object({
  maxAbsError: figure,
  meanAbsError: figure,
  /** ||variant - reference||_2 / ||reference||_2. */
  relError: figure,
  cosine: figure,
  /** Share of rows whose arg-max agrees, for classifier-like outputs ([N, classes > 1]). */
  top1Agreement: figure.optional(),
  elements: z.number().int(),
});

/** A precision variant against the fp32 reference, and how it was built (shared/precision/). */
export const PrecisionDetailsSchema = z.object({
  precision: z.enum(PRECISIONS),
  /** What the variant is, in words (boundary casts, QDQ format, folded BatchNorms...). */
  notes: z.array(z.string()).default([]),
  fidelity: z
    .object({
      /** What produced the reference outputs, e.g. "onnxruntime-node 1.30.0 CPU, fp32". */
      reference: z.string(),
      /** Which inputs both ran on, e.g. "the job's seeded inputs (seed 0)". */
      inputs: z.string(),
      outputs: z.array(FidelityFiguresSchema.extend({ name: z.string(), shape: z.array(z.number().int()) })),
      overall: FidelityFiguresSchema,
    })
    .optional(),
  calibration: z
    .object({
      method: z.enum(CALIBRATION_METHODS),
      samples: z.number().int(),
      /** seeded-random: `samples` inputs, sample k seeded with seed + k; supplied: the caller's feeds. */
      source: z.enum(['seeded-random', 'supplied']),
      seed: z.number().int().optional(),
      percentile: z.number().optional(),
      tensors: z.number().int(),
      ms: z.number(),
    })
    .optional(),
  quantization: z
    .object({
      format: z.literal('QDQ'),
      weights: z.string(),
      activations: z.string(),
      /** Quantized nodes by operator type. */
      ops: z.record(z.string(), z.number()),
      qdqTensors: z.number().int(),
      foldedBatchNorms: z.number().int(),
      removedActivations: z.number().int(),
      /** Operators left in float. */
      floatOps: z.array(z.string()),
      /** Kernels of the runtime's optimized graph, by operator type (integer kernels prove the fusion). */
      runtimeKernels: z.record(z.string(), z.number()).optional(),
    })
    .optional(),
});
export type PrecisionDetails = z.infer<typeof PrecisionDetailsSchema>;

/** Parts of a session's creation that a backend can time apart (LoadPhases.sessionParts). */
export const SESSION_CREATE_PARTS = [
  /** The model bytes parsed into the runtime's graph. */
  'load',
  /** Graph rewrites before compiling (the native lowering passes: folds and fusions). */
  'graphOptimization',
  /** Kernels or shaders compiled, weights packed, memory planned. */
  'compile',
  /** A runtime step that covers several of the above and cannot be split (ONNX Runtime's session_initialization). */
  'initialization',
] as const;

const TimedStepSchema = z.object({
  ms: z.number(),
  /** How it was measured, in words (shown beside the figure). */
  method: z.string(),
});

/**
 * Where a job's time goes before and apart from the warm latency (DESIGN.md "Seeing where the time
 * goes"): building the model, creating the session (its parts where the backend can time them apart),
 * the first run against the warm median, and on GPU backends the upload / compute / read-back split.
 * Every figure is measured and says how; a part that cannot be told apart is absent and the reason is
 * given instead. Added beside `coldStart` (kept for older readers): results saved before it lack it.
 */
export const LoadPhasesSchema = z.object({
  /** The worker resolved the target into the studio graph (or read the file), costed it and made the ONNX bytes. */
  build: TimedStepSchema.optional(),
  /** fp16/int8: the variant built from the fp32 bytes and checked on the runtime (calibration included). */
  variant: TimedStepSchema.optional(),
  /** Wall time of the backend's session creation, ms (= coldStart.sessionMs). */
  sessionCreateMs: z.number(),
  /** Its parts the backend timed apart, in order; they sum to at most sessionCreateMs (the rest is not attributed). */
  sessionParts: z.array(TimedStepSchema.extend({ part: z.enum(SESSION_CREATE_PARTS), label: z.string() })).default([]),
  /** What in the session's creation cannot be told apart here, and why. */
  sessionUnseparated: z.array(z.string()).default([]),
  /** The first run on the new session, ms (= coldStart.firstRunMs). */
  firstRunMs: z.number(),
  /** The median of the measured runs, ms (= stats.p50). */
  warmMedianMs: z.number(),
  /** firstRunMs - warmMedianMs: what the first run costs beyond a warm one (noise can make it slightly negative). */
  firstRunOverheadMs: z.number(),
  /** What the first run is known to pay for on this backend (shaders compiled on first use...). */
  firstRunNotes: z.array(z.string()).default([]),
  /** GPU backends that can keep tensors on the device: one warm inference split into its copies and its work. */
  gpu: z
    .object({
      /** Host inputs copied into device buffers, ms. */
      uploadMs: z.number(),
      /** The run with inputs and outputs on the device, ms (= deviceResident.medianMs). */
      computeMs: z.number(),
      /** Outputs copied back to the host, ms. */
      readbackMs: z.number(),
      /** How the three were measured, in words. */
      method: z.string(),
      /** Synchronized runs behind the upload and read-back medians (each). */
      runs: z.number().int(),
    })
    .optional(),
  /** GPU backends without `gpu`: why upload, compute and read-back cannot be timed apart here. */
  gpuUnmeasured: z.string().optional(),
});
export type LoadPhases = z.infer<typeof LoadPhasesSchema>;
export type SessionCreatePart = LoadPhases['sessionParts'][number];
export type GpuPhaseSplit = NonNullable<LoadPhases['gpu']>;

export const FleetRecordSchema = z.object({
  jobId: z.string().max(100),
  agent: z.string().max(100),
  host: z.string().max(300),
  queue: z.string().max(100),
  attempt: z.number().int().min(1),
  runId: z.string().max(200),
  requestedBy: z.string().max(300),
});
export type FleetRecord = z.infer<typeof FleetRecordSchema>;

export const ResultSchema = z.object({
  schema: z.literal(RESULT_SCHEMA),
  version: z.literal(RESULT_SCHEMA_VERSION),
  id: z.string(),
  createdAt: z.string(),
  studioVersion: z.string(),
  job: JobSpecSchema,
  label: z.string(),
  status: z.enum(['ok', 'failed', 'cancelled']),
  failure: FailureSchema.optional(),
  machine: MachineProfileSchema,
  /** The runtime and provider that actually ran, as the runtime reported them. */
  runtime: z
    .object({
      name: z.string(),
      version: z.string(),
      providers: z.array(z.string()),
      /** The graphics adapter a GPU provider ran on, where the studio can tell (WebGPU on Vulkan). */
      adapter: GpuAdapterSchema.optional(),
    })
    .optional(),
  cost: z
    .object({
      params: z.number(),
      macs: z.number(),
      flops: z.number(),
      weightBytes: z.number(),
      peakActivationBytes: z.number(),
    })
    .optional(),
  coldStart: z.object({ loadMs: z.number(), sessionMs: z.number(), firstRunMs: z.number() }).optional(),
  warmup: z.object({ runs: z.number().int(), ms: z.number() }).optional(),
  /** Raw measured latencies in milliseconds, in run order (kept for significance tests). */
  samplesMs: z.array(z.number()).default([]),
  /**
   * Which rule ended the measured runs (shared/stats/latency.ts, stopReason):
   * - 'ci-reached': the median's confidence interval reached targetRelCi, after the default minimum
   *   runs (the early stop, used only when the user set no minimum);
   * - 'min-time-and-runs': the default minimum time and minimum runs were both reached first;
   * - 'user-min-time-and-runs': the minimum time and minimum runs the user set were both reached
   *   (measure.userMinimums: no early stop);
   * - 'max-time', 'max-runs': the maximum time or run count cut the measurement short;
   * - 'min-reached': results saved before the rules above were told apart (both minimums reached).
   */
  stopReason: z
    .enum(['ci-reached', 'min-time-and-runs', 'user-min-time-and-runs', 'max-time', 'max-runs', 'min-reached'])
    .optional(),
  /** Wall time of the measured runs, ms: from the first run's start to the last run's end (what minTimeS and maxTimeS bound). */
  measuredMs: z.number().optional(),
  stats: LatencyStatsSchema.optional(),
  memory: z
    .object({
      baselineRssBytes: z.number(),
      peakRssBytes: z.number(),
      deltaBytes: z.number(),
      /** Cost-model estimate: weights + peak activations (x batch already in the graph). */
      estimatedBytes: z.number(),
      /** Device memory the process held on its GPU (NVIDIA providers: nvidia-smi), bytes. */
      gpuBytes: z.number().optional(),
      /** GPU backends without gpuBytes: why device memory is not measurable here (never a made-up number). */
      gpuUnmeasured: z.string().optional(),
    })
    .optional(),
  placement: z
    .object({
      /** Node count per execution provider, from the runtime's profile. */
      nodesByProvider: z.record(z.string(), z.number()),
      /** Nodes that did not run on the requested provider. */
      fallbackNodes: z.array(z.string()),
      /** Distinct operators of those nodes (memory copies excluded). */
      fallbackOps: z.array(z.string()).optional(),
      /** The cost model's MACs run by each provider (runtime nodes joined to the studio graph). */
      macsByProvider: z.record(z.string(), z.number()).optional(),
      /** Those MACs as a share (0..1) of the cost model's total MACs. */
      macsShareByProvider: z.record(z.string(), z.number()).optional(),
      /** Runtime nodes that match no studio graph node (memory copies, layout transposes). */
      unmappedNodes: z.array(z.string()).optional(),
      /** The cost model's MACs no runtime node covered (constant-folded, or not joined). */
      unplacedMacs: z.number().optional(),
    })
    .optional(),
  nodes: z.array(NodeTimingSchema).optional(),
  /**
   * GPU providers that can keep tensors on the device (WebGPU): the latency of a run whose input was
   * uploaded once beforehand and whose outputs stay on the device, so without the host<->device copies
   * that the headline latency (a complete run() returning host outputs) includes. GPU work is
   * asynchronous, so runs are timed in synchronized batches: (batch time - synchronization time) / runs.
   */
  deviceResident: z
    .object({
      /** Median of samplesMs. */
      medianMs: z.number(),
      /** One per-run figure per synchronized batch, milliseconds. */
      samplesMs: z.array(z.number()),
      runsPerBatch: z.number().int(),
      /** How it was measured, in words (shown beside the figure). */
      method: z.string(),
    })
    .optional(),
  /** Build, session creation (and its parts), first run, warm median, GPU split: absent in results saved before it. */
  phases: LoadPhasesSchema.optional(),
  /**
   * Warnings the numbers must be read with (instability, fallback placement, a failed profile...):
   * what "N flags" counts. Results saved before `notes` also hold notes here (shared/stats/flags.ts
   * splitFlags tells them apart).
   */
  flags: z.array(z.string()).default([]),
  /** Information on what ran and how (the native plan, fusions, a software adapter): never counted as flags. */
  notes: z.array(z.string()).default([]),
  /** fp16/int8 jobs: fidelity against fp32 and how the variant was built (absent for fp32). */
  precision: PrecisionDetailsSchema.optional(),
  /**
   * Measured by a fleet agent (docs/FLEET.md): the queue job it answers (a database keeps at most one
   * result per fleet job), the agent and host that ran it, and who asked. Absent for a local run.
   */
  fleet: FleetRecordSchema.optional(),
});
export type BenchResult = z.infer<typeof ResultSchema>;
export type DeviceResidentLatency = NonNullable<BenchResult['deviceResident']>;
