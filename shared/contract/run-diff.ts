// The node-matched diff of two profiled runs of one model (issue 21): where the time of run B went
// compared with run A, unit by unit, whatever each runtime fused. Computed by shared/stats/run-diff.ts
// (diffRuns), carried by `results.diff`, printed by `results diff A B` and reported as "Node diff".
// The contract is a leaf (zod and itself only), so the shapes live here and the stats module returns
// them.
import { z } from 'zod';

/** `results.diff`: two saved results by id (A is the reference: delta = B - A, ratio = B / A). */
export const RunDiffRequestSchema = z.object({
  a: z.string().min(1).max(128),
  b: z.string().min(1).max(128),
});

/** A runtime node as the profile recorded it (its own name, after the runtime's fusions). */
export interface RunDiffRuntimeNode {
  name: string;
  op: string;
  provider: string;
  /** Mean kernel time per run, microseconds. */
  meanUs: number;
}

/** One run's side of a matched unit. */
export interface RunDiffUnitSide {
  /** This run's runtime nodes covering the unit's graph nodes, in the run's order (never split: a runtime node belongs to one unit). */
  nodes: RunDiffRuntimeNode[];
  /** The exact sum of their mean kernel times, microseconds. */
  us: number;
  /**
   * Graph nodes of the unit that no runtime node of this run names, traced to the unit through the
   * studio graph: element-wise nodes whose only producer this run covers (fused without the profile
   * saying so, as the native backend fuses a residual Add, or folded away, as int8 folds BatchNorm).
   */
  inferred: string[];
}

/**
 * A matched unit: a connected cluster of studio graph nodes over the runtime nodes of both runs
 * (two graph nodes are in one unit when a runtime node of either run covers both).
 */
export interface RunDiffUnit {
  /** Its compute node (the first Conv, Gemm, MatMul, pool... in graph order), else its first graph node. */
  name: string;
  /** The unit's core operator (the compute node's; FusedConv and QLinearConv count as Conv). */
  op: string;
  /** The studio graph nodes of the unit, in graph order where the graph is known. */
  graphNodes: string[];
  a: RunDiffUnitSide;
  b: RunDiffUnitSide;
  /** b.us - a.us, microseconds. */
  deltaUs: number;
  /** b.us / a.us; null when A spent no time on it. */
  ratio: number | null;
  /** Which runs have runtime nodes for it ('a-only': B's profile names none of its graph nodes). */
  presence: 'both' | 'a-only' | 'b-only';
  /** Both runs ran it, with different numbers of runtime nodes (one fused Conv+BN+Relu against three nodes). */
  fusedDifferently: boolean;
}

/** The time of runtime nodes that cover no graph node (layout reorders, memory copies, QDQ nodes the join did not map). */
export interface RunDiffRuntimeOnly {
  us: number;
  nodes: RunDiffRuntimeNode[];
}

/** One run of the two. */
export interface RunDiffRun {
  id: string;
  label: string;
  createdAt: string;
  backend: string;
  precision: string;
  /** Every runtime node's mean kernel time, summed (= the units' time + the runtime-only time), microseconds. */
  kernelUs: number;
  /** The warm median latency of the run (stats.p50), milliseconds; null when it has no statistics. */
  medianMs: number | null;
  /** Runtime nodes in its profile. */
  runtimeNodes: number;
  runtimeOnly: RunDiffRuntimeOnly;
}

/** Units of one core operator, summed. */
export interface RunDiffOpTotal {
  op: string;
  units: number;
  aUs: number;
  bUs: number;
  deltaUs: number;
  ratio: number | null;
}

/** An environment field that differs between the two runs (as text, for people). */
export interface RunDiffEnvField {
  field: string;
  a: string;
  b: string;
}

export interface RunDiff {
  /** What both runs ran: "bottleneck:height=8,width=8, batch 1". */
  model: string;
  a: RunDiffRun;
  b: RunDiffRun;
  totals: {
    /** b.kernelUs - a.kernelUs and b / a (null when A's is 0). */
    kernelDeltaUs: number;
    kernelRatio: number | null;
    /** b.medianMs / a.medianMs (null when either is missing). */
    medianRatio: number | null;
  };
  /** Sorted by |deltaUs|, largest first. */
  units: RunDiffUnit[];
  /** Sorted by |deltaUs|, largest first. */
  byOp: RunDiffOpTotal[];
  environment: {
    /** backend, runtime, providers, precision, batch, threads, graph optimization, ISA, host, CPU, cores, OS, GPU adapter and driver, studio version. */
    differs: RunDiffEnvField[];
    same: { field: string; value: string }[];
  };
  /** Whether the studio graph was at hand: operators named from it, fusions the profiles do not name traced through it. */
  graph: boolean;
  /** What the numbers must be read with (no graph, units one run's profile does not name...). */
  notes: string[];
}
