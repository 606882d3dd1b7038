// A benchmark result: saved at once, atomically, as one versioned JSON document per job.
import { z } from 'zod';
import { JobSpecSchema } from './job.js';
import { MachineProfileSchema } from './machine.js';

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
  kind: z.enum(['refused', 'error', 'crash', 'timeout', 'oom', 'cancelled']),
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
  runtime: z.object({ name: z.string(), version: z.string(), providers: z.array(z.string()) }).optional(),
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
  stopReason: z.enum(['min-reached', 'ci-reached', 'max-time', 'max-runs']).optional(),
  stats: LatencyStatsSchema.optional(),
  memory: z
    .object({
      baselineRssBytes: z.number(),
      peakRssBytes: z.number(),
      deltaBytes: z.number(),
      /** Cost-model estimate: weights + peak activations (x batch already in the graph). */
      estimatedBytes: z.number(),
      gpuBytes: z.number().optional(),
    })
    .optional(),
  placement: z
    .object({
      /** Node count per execution provider, from the runtime's profile. */
      nodesByProvider: z.record(z.string(), z.number()),
      /** Nodes that did not run on the requested provider. */
      fallbackNodes: z.array(z.string()),
    })
    .optional(),
  nodes: z.array(NodeTimingSchema).optional(),
  /** Instability and other warnings the numbers must be read with. */
  flags: z.array(z.string()).default([]),
});
export type BenchResult = z.infer<typeof ResultSchema>;
