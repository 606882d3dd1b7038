// The precision variants of one accuracy run side by side: top-1 per precision, its difference to
// fp32 (this run's fp32, else the latest saved fp32 result of the same target on the same images),
// and for a variant that did not run, why (a backend's refusal ends its task with the reason).
import { accuracyTargetKey, type AccuracyResult } from '../../../../shared/contract/accuracy.js';
import type { PrecisionDetails } from '../../../../shared/contract/result.js';
import type { VariantRun } from '../../stores/accuracy.js';

export interface VariantRow {
  precision: VariantRun['precision'];
  status: VariantRun['status'];
  top1?: number;
  top5?: number;
  /** top-1 minus the fp32 baseline's top-1 (a fraction; absent without a baseline or for fp32 itself). */
  deltaTop1?: number;
  imagesPerSecond?: number;
  /** How the variant was built: the notes (calibration images...), the calibration method, the kernels. */
  details: string[];
  error?: string;
  result?: AccuracyResult;
}

export interface VariantTable {
  rows: VariantRow[];
  /** Where the fp32 top-1 the differences are taken against comes from. */
  baseline?: { from: 'this run' | 'saved'; top1: number; createdAt: string };
}

/** Same classifier and same images: the target, the data source, the split and the image count. */
function sameEvaluation(a: AccuracyResult, b: AccuracyResult): boolean {
  if (!a.targetSpec || !b.targetSpec) return a.target === b.target && sameData(a, b);
  return accuracyTargetKey(a.targetSpec) === accuracyTargetKey(b.targetSpec) && sameData(a, b);
}
const sameData = (a: AccuracyResult, b: AccuracyResult) =>
  a.dataset.source === b.dataset.source && a.dataset.split === b.dataset.split && a.accuracy.count === b.accuracy.count;

/** Kernels of the runtime's optimized graph, integer ones first, as "QLinearConv ×3". */
export function kernelText(d: PrecisionDetails | undefined): string | undefined {
  const k = d?.quantization?.runtimeKernels;
  if (!k || !Object.keys(k).length) return undefined;
  const integer = (op: string) => /^QLinear|^QGemm|Integer/.test(op);
  return Object.entries(k)
    .sort(([a, x], [b, y]) => Number(integer(b)) - Number(integer(a)) || y - x || a.localeCompare(b))
    .map(([op, n]) => `${op} ×${n}`)
    .join(', ');
}

export function precisionDetailLines(d: PrecisionDetails | undefined): string[] {
  if (!d) return [];
  const out = [...d.notes];
  const c = d.calibration;
  // main's notes may already say how it was calibrated; the structured figures only when they do not.
  if (c && !out.some((n) => /^calibration:/i.test(n)))
    out.push(
      `calibration: ${c.method}${c.percentile !== undefined && c.method === 'percentile' ? ` (${c.percentile}%)` : ''}, ${c.samples} batch${c.samples === 1 ? '' : 'es'} (${c.source === 'supplied' ? 'real images' : 'seeded random inputs'}), ${c.tensors} tensors`,
    );
  const kernels = kernelText(d);
  if (kernels) out.push(`kernels: ${kernels}`);
  return out;
}

export function variantTable(variants: readonly VariantRun[], saved: readonly AccuracyResult[] = []): VariantTable {
  const fp32Here = variants.find((v) => v.precision === 'fp32' && v.result)?.result;
  const reference = variants.find((v) => v.result)?.result;
  let baseline: VariantTable['baseline'];
  if (fp32Here) baseline = { from: 'this run', top1: fp32Here.accuracy.top1, createdAt: fp32Here.createdAt };
  else if (reference) {
    const prior = saved
      .filter((a) => a.precision === 'fp32' && sameEvaluation(a, reference))
      .sort((x, y) => x.createdAt.localeCompare(y.createdAt))
      .at(-1);
    if (prior) baseline = { from: 'saved', top1: prior.accuracy.top1, createdAt: prior.createdAt };
  }
  const rows = variants.map((v): VariantRow => {
    const r = v.result;
    return {
      precision: v.precision,
      status: v.status,
      ...(r
        ? {
            top1: r.accuracy.top1,
            ...(r.accuracy.top5 !== undefined ? { top5: r.accuracy.top5 } : {}),
            ...(baseline && v.precision !== 'fp32' ? { deltaTop1: r.accuracy.top1 - baseline.top1 } : {}),
            imagesPerSecond: r.timing.inferenceImagesPerSecond,
            result: r,
          }
        : {}),
      details: precisionDetailLines(r?.precisionDetails),
      ...(v.error ? { error: v.error } : {}),
    };
  });
  return { rows, ...(baseline ? { baseline } : {}) };
}

/** "+1.2 points" / "−0.4 points" / "±0.0 points". */
export function pointsText(delta: number | undefined): string {
  if (delta === undefined) return '–';
  const p = delta * 100;
  if (Math.abs(p) < 0.05) return '±0.0 points';
  return `${p > 0 ? '+' : '−'}${Math.abs(p).toFixed(1)} points`;
}
