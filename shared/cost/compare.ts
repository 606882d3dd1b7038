import type { CostReport } from './cost-model.js';

export interface ComparedTarget {
  target: string;
  description?: string;
  params: number;
  macs: number;
  flops: number;
  elementwiseOps: number;
  weightBytes: number;
  peakActivationBytes: number;
  outputShape: number[];
  /** The reference (first target) divided by this target: "the reference costs N x this one". */
  ratioToFirst: { params: number; macs: number; weightBytes: number; peakActivationBytes: number };
}

const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? 1 : Infinity) : a / b);

/** Side-by-side totals, each divided into the first target's (the reference). */
export function compareReports(named: { target: string; report: CostReport }[]): ComparedTarget[] {
  const ref = named[0].report.totals;
  return named.map(({ target, report }) => {
    const t = report.totals;
    return {
      target,
      description: report.description,
      params: t.params,
      macs: t.macs,
      flops: t.flops,
      elementwiseOps: t.elementwiseOps,
      weightBytes: t.weightBytes,
      peakActivationBytes: t.peakActivationBytes,
      outputShape: report.outputs[0]?.shape ?? [],
      ratioToFirst: {
        params: ratio(ref.params, t.params),
        macs: ratio(ref.macs, t.macs),
        weightBytes: ratio(ref.weightBytes, t.weightBytes),
        peakActivationBytes: ratio(ref.peakActivationBytes, t.peakActivationBytes),
      },
    };
  });
}
