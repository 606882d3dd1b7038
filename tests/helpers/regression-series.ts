// Synthetic result histories for the regression-detection tests and the false-positive benchmark
// (bench/regression-noise.bench.ts): valid BenchResults (fake-results.ts), one per day, whose
// medians vary from run to run (log-normal, `runNoise`) around a level that may step once (`stepAt`,
// `stepFactor`), and whose samples vary within a run (log-normal, `cv`). Seeded: the same options
// always give the same results.
import type { BenchResult } from '../../shared/contract/result.js';
import { seededRandom } from '../../shared/random.js';
import { fakeResult, type FakeResultOptions } from './fake-results.js';

export interface HistoryOptions extends Omit<FakeResultOptions, 'id' | 'createdAt' | 'medianMs' | 'seed'> {
  /** Ids are `${prefix}-00`, `${prefix}-01`... */
  prefix: string;
  points: number;
  medianMs?: number;
  /** Relative standard deviation of a run's level (log scale); default 0.01. */
  runNoise?: number;
  /** From this point on (0-based), the level is multiplied by stepFactor. */
  stepAt?: number;
  stepFactor?: number;
  /** The share of runs disturbed (a busy machine that day): their level times outlierFactor (default 1.1). */
  outlierRate?: number;
  outlierFactor?: number;
  /** Points that are quick runs (measured with the Quick preset). */
  quickAt?: number[];
  seed?: number;
  /** First point's time (default 2025-06-01T10:00Z); one point a day after it. */
  start?: string;
}

const standardNormal = (rand: () => number) => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

/** The Quick preset's measuring rules on a result (flags.ts isQuick reads them). */
export function asQuick(r: BenchResult): BenchResult {
  return { ...r, job: { ...r.job, measure: { ...r.job.measure, minTimeS: 0.5, maxTimeS: 3, targetRelCi: 0.05 } } };
}

export function fakeHistory(o: HistoryOptions): BenchResult[] {
  const {
    prefix,
    points,
    runNoise = 0.01,
    stepAt,
    stepFactor = 1,
    outlierRate = 0,
    outlierFactor = 1.1,
    quickAt = [],
    seed = 1,
    start,
    ...rest
  } = o;
  const rand = seededRandom(seed * 7919 + 17);
  const t0 = Date.parse(start ?? '2025-06-01T10:00:00.000Z');
  const out: BenchResult[] = [];
  for (let i = 0; i < points; i++) {
    const level =
      (o.medianMs ?? 1.5) *
      (stepAt !== undefined && i >= stepAt ? stepFactor : 1) *
      (outlierRate > 0 && rand() < outlierRate ? outlierFactor : 1);
    const r = fakeResult({
      ...rest,
      id: `${prefix}-${String(i).padStart(2, '0')}`,
      createdAt: new Date(t0 + i * 86_400_000).toISOString(),
      medianMs: level * Math.exp(runNoise * standardNormal(rand)),
      seed: Math.floor(rand() * 2 ** 31),
    });
    out.push(quickAt.includes(i) ? asQuick(r) : r);
  }
  return out;
}
