// The inputs of the overlays other parts of the studio produce (issue 21): the numerical error of
// an fp16 or int8 variant per node, against fp32, and the node-matched time difference of two runs.
// Their producers validate against these schemas before handing them over; the overlays validate
// again, so a malformed input is refused with what was wrong rather than drawn as wrong colours.
import { z } from 'zod';

/** One tensor of a lower-precision variant compared with the same tensor of the fp32 reference. */
export const LayerErrorEntrySchema = z.object({
  /** The studio graph node that produces the tensor. */
  node: z.string().min(1),
  tensor: z.string().min(1),
  /** ||variant - reference||_2 / ||reference||_2. */
  relRms: z.number().nonnegative(),
  /** max |variant - reference|. */
  maxAbs: z.number().nonnegative(),
  /** Cosine similarity of the two tensors (1: same direction). */
  cosine: z.number().min(-1.000001).max(1.000001),
  /** Signal-to-noise ratio, dB: 10 log10(||reference||^2 / ||variant - reference||^2). */
  snrDb: z.number(),
});

/**
 * Per-node error of an fp16 / int8 variant against fp32: the shape the overlay needs. The precision
 * comparison's report (shared/contract/layer-error.ts, `precision error`) is a superset of it and is
 * passed as it is; its optional fields here are used when present.
 */
export const LayerErrorReportSchema = z.object({
  precision: z.enum(['fp16', 'int8']),
  /** The model (or block) compared, as the studio names it: "resnet50", "resnet50 (keras)", "bottleneck:mid=32". */
  model: z.string().min(1),
  /** The figure the values are ('relRms'), or how they were made, in words. */
  metric: z.string(),
  nodes: z.array(LayerErrorEntrySchema),
  /** How the compared inputs were made: "4 seeded random samples (seeds 0..3)". */
  inputs: z.string().optional(),
  /** Where the error grows most, as the producer judged it (it knows which tensors were stored at reduced precision). */
  jump: z
    .object({ node: z.string(), tensor: z.string(), inputRelRms: z.number().min(0), relRms: z.number().min(0) })
    .optional(),
  /** Node outputs that were not compared, and why. */
  skipped: z.array(z.object({ tensor: z.string(), reason: z.string() })).optional(),
});
export type LayerErrorEntry = z.infer<typeof LayerErrorEntrySchema>;
export type LayerErrorReport = z.infer<typeof LayerErrorReportSchema>;

/**
 * One studio graph node's measured time in two runs (A: the baseline, B: the one compared). Where
 * several graph nodes share one time (a matched unit of shared/stats/run-diff.ts: graphNodeTimes
 * gives each node of a unit the unit's time), `unit` names it: the unit's time is then counted once.
 */
export const NodeTimeDiffSchema = z.object({
  node: z.string().min(1),
  /** Mean time of the node (or of its unit) in run A / run B, µs. */
  aUs: z.number().nonnegative(),
  bUs: z.number().nonnegative(),
  /** The unit whose time aUs and bUs are, shared by its nodes' rows (its name is its compute node's). */
  unit: z.string().min(1).optional(),
});
export type NodeTimeDiff = z.infer<typeof NodeTimeDiffSchema>;

/** How the two runs of a delta are named in its legend, and the model, for the empty text. */
export interface DeltaLabels {
  a: string;
  b: string;
  model?: string;
}

/** A zod issue list as one line: "nodes.3.relRms: Too small: expected number to be >=0". */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`)
    .join('; ');
}
