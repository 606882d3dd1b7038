// The analytic cost report of a graph (computed by shared/cost/cost-model.ts): what the CLI prints,
// the API returns and the reports show. Types only, so that the contract stays a leaf.

export type Precision = 'fp32' | 'fp16' | 'int8';
export interface LayerCost {
  name: string;
  op: string;
  outputShape: number[];
  params: number;
  macs: number;
  flops: number;
  elementwiseOps: number;
  /** Weight bytes of this node's parameters at fp32 / fp16 / int8. */
  weightBytes: Record<Precision, number>;
  /** Bytes of this node's outputs. */
  activationBytes: number;
  arithmeticIntensity: number;
  /** False when the operator (or one of its inputs) is unknown to the studio: costs are 0, not measured. */
  known: boolean;
}

export interface CostTotals {
  params: number;
  trainableParams: number;
  nonTrainableParams: number;
  macs: number;
  flops: number;
  elementwiseOps: number;
  /** Bytes of all parameters as stored (fp32 for the zoo). */
  weightBytes: number;
  weightBytesByPrecision: Record<Precision, number>;
  /** Sum of every activation tensor's bytes (graph inputs and node outputs). */
  activationBytes: number;
  peakActivationBytes: number;
  arithmeticIntensity: number;
  nodes: number;
  unknownNodes: number;
}

export interface CostReport {
  graph: string;
  variant?: string;
  description?: string;
  inputs: { name: string; shape: number[]; dtype: string }[];
  outputs: { name: string; shape: number[]; dtype: string }[];
  totals: CostTotals;
  layers: LayerCost[];
  warnings: string[];
}
