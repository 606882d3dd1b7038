// Saved accuracy results in reports: those whose target (and precision) matches a result in the
// report, the latest of each, with the fastest matching median latency beside the top-1.
import { accuracyTargetKey, type AccuracyResult } from '../../shared/contract/accuracy.js';
import type { BenchResult } from '../../shared/contract/result.js';

const keyOf = (t: Parameters<typeof accuracyTargetKey>[0], precision: string | undefined) =>
  `${accuracyTargetKey(t)}|${precision ?? 'fp32'}`;

/** The latest accuracy result per target and precision that a benchmark result in `results` matches. */
export function matchingAccuracy(
  results: readonly BenchResult[],
  accuracy: readonly AccuracyResult[],
): AccuracyResult[] {
  const wanted = new Set(results.map((r) => keyOf(r.job.target, r.job.precision)));
  const latest = new Map<string, AccuracyResult>();
  for (const a of [...accuracy].sort((x, y) => x.createdAt.localeCompare(y.createdAt)))
    if (a.targetSpec && wanted.has(keyOf(a.targetSpec, a.precision))) latest.set(keyOf(a.targetSpec, a.precision), a);
  return [...latest.values()];
}

export interface AccuracyRow {
  target: string;
  data: string;
  images: number;
  top1: number;
  top5?: number;
  backend: string;
  precision: string;
  /** The fastest median latency (ms) of the report's ok results of this target and precision. */
  fastestP50?: number;
  fastestLabel?: string;
}

export function accuracyRows(results: readonly BenchResult[], accuracy: readonly AccuracyResult[]): AccuracyRow[] {
  return accuracy.map((a) => {
    const key = a.targetSpec ? keyOf(a.targetSpec, a.precision) : undefined;
    const matched = results
      .filter((r) => r.status === 'ok' && r.stats && key === keyOf(r.job.target, r.job.precision))
      .sort((x, y) => x.stats!.p50 - y.stats!.p50);
    const source = a.dataset.source.split(/[\\/]/).filter(Boolean).pop() ?? a.dataset.source;
    return {
      target: a.target,
      data: `${source} (${a.dataset.split})`,
      images: a.accuracy.count,
      top1: a.accuracy.top1,
      ...(a.accuracy.top5 !== undefined ? { top5: a.accuracy.top5 } : {}),
      backend: a.backend.backend,
      precision: a.precision,
      ...(matched[0] ? { fastestP50: matched[0].stats!.p50, fastestLabel: matched[0].label } : {}),
    };
  });
}
