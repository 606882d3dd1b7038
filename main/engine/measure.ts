// The timed part of a job (DESIGN.md "Benchmark method"), independent of the backend: warm-up
// bounded by runs and time, then measured runs until statistics.ts's stopReason says stop.
// Only the backend's run call sits between the two hrtime readings; inputs are prepared before.
import { median } from 'simple-statistics';
import type { Measure } from '../../shared/contract/job.js';
import type { BenchResult } from '../../shared/contract/result.js';
import type { BackendSession, PreparedInputs } from '../backends/backend.js';
import type { Phase, ProgressMessage } from '../process/job-protocol.js';
import { stopReason } from '../../shared/stats/latency.js';

export const nowNs = (): bigint => process.hrtime.bigint();
export const msSince = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

/** Sends progress at most every `intervalMs` (about 10 a second), plus each phase's first and last. */
export class ProgressThrottle {
  private last = 0n;
  constructor(
    private readonly send: (p: ProgressMessage) => void,
    private readonly intervalMs = 100,
    /** Called at each emitted message: a cheap moment to sample memory. */
    private readonly onTick: () => void = () => {},
  ) {}

  /** `medianOf` is only evaluated when a message is due, so the running median costs nothing between. */
  report(
    phase: Phase,
    done: number,
    elapsedMs: number,
    opts: { total?: number; medianOf?: number[]; force?: boolean },
  ) {
    const now = nowNs();
    if (!opts.force && Number(now - this.last) / 1e6 < this.intervalMs) return;
    this.last = now;
    this.onTick();
    const msg: ProgressMessage = { type: 'progress', phase, done, elapsedMs };
    if (opts.total !== undefined) msg.total = opts.total;
    if (opts.medianOf?.length) msg.medianMs = median(opts.medianOf);
    this.send(msg);
  }
}

/** Warm-up: stops at `warmupRuns` runs or after `warmupTimeS`, whichever comes first. */
export async function warmup(session: BackendSession, inputs: PreparedInputs, m: Measure, p: ProgressThrottle) {
  const t0 = nowNs();
  let runs = 0;
  p.report('warmup', 0, 0, { total: m.warmupRuns, force: true });
  while (runs < m.warmupRuns && msSince(t0) < m.warmupTimeS * 1000) {
    await session.run(inputs);
    runs++;
    p.report('warmup', runs, msSince(t0), { total: m.warmupRuns });
  }
  const ms = msSince(t0);
  p.report('warmup', runs, ms, { total: m.warmupRuns, force: true });
  return { runs, ms };
}

export async function measureRuns(
  session: BackendSession,
  inputs: PreparedInputs,
  m: Measure,
  p: ProgressThrottle,
): Promise<{ samplesMs: number[]; stopReason: NonNullable<BenchResult['stopReason']>; measuredMs: number }> {
  const samplesMs: number[] = [];
  const start = nowNs();
  p.report('measure', 0, 0, { total: m.minRuns, force: true });
  for (;;) {
    const t0 = process.hrtime.bigint();
    await session.run(inputs);
    const t1 = process.hrtime.bigint();
    samplesMs.push(Number(t1 - t0) / 1e6);
    const elapsedMs = Number(t1 - start) / 1e6;
    const reason = stopReason(samplesMs, elapsedMs, m);
    if (reason) {
      p.report('measure', samplesMs.length, elapsedMs, { total: m.minRuns, medianOf: samplesMs, force: true });
      return { samplesMs, stopReason: reason, measuredMs: elapsedMs };
    }
    p.report('measure', samplesMs.length, elapsedMs, { total: m.minRuns, medianOf: samplesMs });
  }
}

/** Resident memory of this process: the baseline before the model loads and the peak since. */
export class MemoryTracker {
  private peakSampled: number;
  constructor(readonly baselineRssBytes = process.memoryUsage.rss()) {
    this.peakSampled = baselineRssBytes;
  }
  sample(): void {
    this.peakSampled = Math.max(this.peakSampled, process.memoryUsage.rss());
  }
  /** The OS's high-water mark (maxRSS, KiB) catches peaks between samples; the samples cover platforms where it lags. */
  result(estimatedBytes: number): NonNullable<BenchResult['memory']> {
    this.sample();
    const peakRssBytes = Math.max(this.peakSampled, process.resourceUsage().maxRSS * 1024);
    return {
      baselineRssBytes: this.baselineRssBytes,
      peakRssBytes,
      deltaBytes: peakRssBytes - this.baselineRssBytes,
      estimatedBytes,
    };
  }
}
