// Numerical error per node of a precision variant (fp16 or int8) against fp32 (issue 21): both
// models run on the same inputs with every intermediate float tensor of the studio graph as an
// extra output, and each tensor is compared with its fp32 counterpart. Produced by
// main/precision/layer-error.ts (figures: shared/precision/layer-error.ts), answered by the API's
// precision.layerError and the CLI's `precision error`, read by the graph overlay.
import { z } from 'zod';
import { CalibrationSchema, TargetSchema } from './job.js';

/**
 * SNR is clamped to +-this many dB so that it stays a JSON number: +300 means the tensors are
 * identical (no error at all), -300 that the fp32 tensor is all zeros while the variant's is not.
 * float32 rounding alone never reaches it (about 150 dB plus 10 log10 of the element count).
 */
export const SNR_DB_LIMIT = 300;

export const LayerErrorNodeSchema = z.object({
  /** The studio graph node that produces the tensor (its name in the graph view). */
  node: z.string(),
  /** Its operator (Conv, Relu, Add...). */
  op: z.string(),
  /** The tensor compared (the node's output; a node with several outputs has one entry per output). */
  tensor: z.string(),
  /**
   * ||variant - fp32|| / ||fp32|| over every element of every sample. When the fp32 tensor is all
   * zeros: 0 if the variant's is too, else 1 (all of the variant's tensor is error) with
   * `zeroReference` set.
   */
  relRms: z.number().min(0),
  /** The largest |variant - fp32| over every element of every sample. */
  maxAbs: z.number().min(0),
  /** Cosine similarity of the flattened tensors (1 when both are all zeros, 0 when only one is). */
  cosine: z.number().min(-1.000001).max(1.000001),
  /** 10 log10(||fp32||^2 / ||variant - fp32||^2), clamped to +-SNR_DB_LIMIT. */
  snrDb: z.number().min(-SNR_DB_LIMIT).max(SNR_DB_LIMIT),
  /** Elements compared (over all samples), non-finite ones excluded. */
  elements: z.number().int().min(0),
  /** Elements where the variant or fp32 value was NaN or infinite: left out of the figures above, counted here. */
  nonFinite: z.number().int().positive().optional(),
  /** The fp32 tensor was all zeros (relRms is then 0 or 1, see relRms). */
  zeroReference: z.literal(true).optional(),
});
export type LayerErrorNode = z.infer<typeof LayerErrorNodeSchema>;

export const LayerErrorReportSchema = z.object({
  precision: z.enum(['fp16', 'int8']),
  /** The model: the studio graph's name (with the target as given, for blocks and zoo models). */
  model: z.string(),
  /** The figure the overlay colours by. */
  metric: z.literal('relRms'),
  /** How the compared inputs were made: "4 seeded random samples (seeds 0..3)". */
  inputs: z.string(),
  /** Every compared tensor, in the studio graph's order. */
  nodes: z.array(LayerErrorNodeSchema),
  /** Node outputs of the studio graph that were not compared, and why (for example BatchNorm folded away in int8). */
  skipped: z.array(z.object({ tensor: z.string(), reason: z.string() })),
  runtime: z.object({ name: z.string(), version: z.string(), provider: z.string() }),
  /**
   * Where the error grows most: among the nodes whose output the variant stores at reduced
   * precision (int8: the quantized tensors; fp16: every node), the one whose relRms exceeds the
   * largest relRms of its inputs by the most (graph inputs count as 0). A node left in float is
   * never the jump: it only passes on, and may amplify, the error it is given. Absent when no
   * node qualifies.
   */
  jump: z
    .object({
      node: z.string(),
      tensor: z.string(),
      /** The largest relRms of the node's compared inputs (0 for graph inputs). */
      inputRelRms: z.number().min(0),
      relRms: z.number().min(0),
    })
    .optional(),
  /**
   * The whole-model figure for the same variant and inputs as the studio's fidelity computes it:
   * the variant run as it is (no extra outputs) against fp32, over every graph output together.
   */
  fidelity: z.object({ relRms: z.number().min(0), cosine: z.number(), maxAbs: z.number().min(0) }),
  /** What the reader must know to read the figures: fusions changed by the extra outputs, fp16 on CPU, calibration. */
  notes: z.array(z.string()),
});
export type LayerErrorReport = z.infer<typeof LayerErrorReportSchema>;

/** A layer-error run: what the task worker and the CLI execute (main/precision/layer-error.ts). */
export const LayerErrorSpecSchema = z.object({
  target: TargetSchema,
  precision: z.enum(['fp16', 'int8']),
  /** Seeded random input samples compared (sample k seeded with seed + k). */
  samples: z.number().int().min(1).max(256).default(4),
  /** Seed of the weights and of the first compared input (the `precision` command's --seed). */
  seed: z.number().int().default(0),
  batch: z.number().int().min(1).max(65_536).default(1),
  /** int8: how activation ranges are calibrated (the defaults of CalibrationSchema: as the variant is built everywhere). */
  calibration: CalibrationSchema.partial().optional(),
  /** How a file target is named in the report (main knows its path; the report shows its file name). */
  label: z.string().max(500).optional(),
});
export type LayerErrorSpec = z.infer<typeof LayerErrorSpecSchema>;
export type LayerErrorSpecInput = z.input<typeof LayerErrorSpecSchema>;
