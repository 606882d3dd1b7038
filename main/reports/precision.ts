// fp16 / int8 results in reports: each variant's fidelity against fp32 on the job's own inputs
// (overall figures), how it was calibrated and the kernels ONNX Runtime ran, or why it was refused.
import type { BenchResult } from '../../shared/contract/result.js';

export interface PrecisionRow {
  label: string;
  precision: string;
  status: BenchResult['status'];
  maxAbsError?: number | null;
  meanAbsError?: number | null;
  relError?: number | null;
  cosine?: number | null;
  top1Agreement?: number | null;
  calibration: string;
  kernels: string;
  /** A refused or failed variant: why. */
  reason?: string;
}

/** "1.23e-2"; a non-finite figure (stored as null) is "n/a"; no figure is "". */
export const sci = (x: number | null | undefined): string =>
  x === undefined ? '' : x === null ? 'n/a' : x === 0 ? '0' : x.toExponential(2);

export function precisionRows(results: readonly BenchResult[]): PrecisionRow[] {
  return results
    .filter((r) => (r.job.precision ?? 'fp32') !== 'fp32')
    .map((r) => {
      const d = r.precision;
      const o = d?.fidelity?.overall;
      const c = d?.calibration;
      const kernels = Object.entries(d?.quantization?.runtimeKernels ?? {})
        .filter(([op]) => /^QLinear|^QGemm|Integer/.test(op))
        .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
        .map(([op, n]) => `${op} x${n}`)
        .join(', ');
      return {
        label: r.label,
        precision: r.job.precision,
        status: r.status,
        ...(o
          ? {
              maxAbsError: o.maxAbsError,
              meanAbsError: o.meanAbsError,
              relError: o.relError,
              cosine: o.cosine,
              top1Agreement: o.top1Agreement,
            }
          : {}),
        calibration: c
          ? `${c.method}${c.method === 'percentile' && c.percentile !== undefined ? ` ${c.percentile}%` : ''}, ${c.samples} ${c.source === 'supplied' ? 'supplied' : 'seeded'} input${c.samples === 1 ? '' : 's'}`
          : '',
        kernels,
        ...(r.status !== 'ok' ? { reason: r.failure?.reason ?? r.status } : {}),
      };
    });
}
