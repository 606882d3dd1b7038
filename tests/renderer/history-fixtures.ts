// Results over time for the History and Fleet view tests: seeded synthetic series (one with an
// injected 15% slowdown, the same configuration on a laptop, a noise-only one), judged by main's own
// handlers (main/api/history.ts over shared/stats/regression.ts), so the views get what main answers.
import { historyResponse, regressionsResponse } from '../../main/api/history.js';
import type { HistoryResponse, RegressionsResponse } from '../../shared/contract/history.js';
import type { MachineProfile } from '../../shared/contract/machine.js';
import type { BenchResult } from '../../shared/contract/result.js';
import { fakeMachine } from '../helpers/fake-results.js';
import { fakeHistory } from '../helpers/regression-series.js';

const roofline = (peak: number, bw: number): NonNullable<MachineProfile['roofline']> => ({
  isa: 'avx2',
  threads: 8,
  peakGflops: { oneThread: peak / 8, allThreads: peak },
  triadGBps: { oneThread: bw / 2, allThreads: bw },
  ridgeFlopsPerByte: peak / bw,
  measuredAt: '2025-05-30T09:00:00.000Z',
});

export const workstation = fakeMachine({ roofline: roofline(1200, 60) });
export const laptop = fakeMachine({
  cpu: {
    manufacturer: 'Intel',
    brand: 'Core i7-1185G7',
    threads: 8,
    physicalCores: 4,
    speedGHz: 3,
    isa: ['avx2', 'fma'],
    cache: {},
  },
  memory: { totalBytes: 16 * 2 ** 30 },
  gpus: [],
});

export function historyResults(): BenchResult[] {
  return [
    ...fakeHistory({ prefix: 'step', points: 14, stepAt: 10, stepFactor: 1.15, seed: 3, machine: workstation }),
    ...fakeHistory({ prefix: 'laptop', points: 2, medianMs: 2.9, seed: 7, machine: laptop }),
    ...fakeHistory({ prefix: 'noise', points: 6, threads: 4, medianMs: 0.62, seed: 5, machine: workstation }),
  ];
}

export function historyAnswers(results: BenchResult[] = historyResults()): {
  history: HistoryResponse;
  regressions: RegressionsResponse;
} {
  const loaded = { results, problems: [] };
  return {
    history: historyResponse(loaded, { filter: {}, includeQuick: false }),
    regressions: regressionsResponse(loaded, { filter: {}, includeQuick: false }),
  };
}
