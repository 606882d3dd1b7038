// How often does regression detection (shared/stats/regression.ts) flag a series that did not
// change, and how often does it find a 15% step? Seeded synthetic histories (tests/helpers/
// regression-series.ts): SERIES series of POINTS results each, 200 samples per result with 3%
// log-normal noise within a run, and run-to-run noise of the result medians at several levels.
// Quoted in docs/REGRESSIONS.md. Environment: BENCH_SERIES (1000), BENCH_POINTS (20),
// BENCH_RUN_NOISE (comma-separated, 0,0.01,0.02,0.03), BENCH_OUTLIERS (the share of runs 10% slower,
// a busy machine that day: 0), BENCH_FALSE_ALARM, BENCH_FLOOR, BENCH_K.
import { historyOf, REGRESSION_DEFAULTS, type RegressionOptions } from '../shared/stats/regression.js';
import { fakeHistory } from '../tests/helpers/regression-series.js';

const SERIES = Number(process.env.BENCH_SERIES ?? 1000);
const POINTS = Number(process.env.BENCH_POINTS ?? 20);
const RUN_NOISE = (process.env.BENCH_RUN_NOISE ?? '0,0.01,0.02,0.03').split(',').map(Number);
const STEP_AT = Math.floor(POINTS / 2);
const outlierRate = Number(process.env.BENCH_OUTLIERS ?? 0);
const opts: RegressionOptions = {
  ...(process.env.BENCH_FALSE_ALARM ? { falseAlarm: Number(process.env.BENCH_FALSE_ALARM) } : {}),
  ...(process.env.BENCH_FLOOR ? { thresholdFloor: Number(process.env.BENCH_FLOOR) } : {}),
  ...(process.env.BENCH_K ? { baselineSize: Number(process.env.BENCH_K) } : {}),
};
const o = { ...REGRESSION_DEFAULTS, ...opts };

console.log(
  `${SERIES} series x ${POINTS} results, 200 samples each (3% within a run); baseline ${o.baselineSize}, floor ${o.thresholdFloor * 100}%, false alarm ${o.falseAlarm}, alpha ${o.alpha}, confirm after ${o.confirmAfter}${outlierRate ? `; ${outlierRate * 100}% of runs 10% slower` : ''}`,
);
console.log(
  'run-to-run noise | noise only: series flagged, points flagged / judged (transient) | 15% step at point ' +
    STEP_AT +
    ': found there, found late, missed, other flags',
);
for (const runNoise of RUN_NOISE) {
  const started = performance.now();
  let [flaggedSeries, flaggedPoints, judged, transient] = [0, 0, 0, 0];
  let [exact, late, missed, other] = [0, 0, 0, 0];
  for (let s = 0; s < SERIES; s++) {
    const [noise] = historyOf(
      fakeHistory({ prefix: `n${s}`, points: POINTS, runNoise, outlierRate, seed: 1 + s }),
      opts,
    );
    const flags = noise.points.filter((p) => p.flagged).length;
    flaggedPoints += flags;
    transient += noise.points.filter((p) => p.flagged?.state === 'transient').length;
    judged += noise.points.filter((p) => p.check).length;
    if (flags) flaggedSeries++;
    const [step] = historyOf(
      fakeHistory({
        prefix: `s${s}`,
        points: POINTS,
        runNoise,
        outlierRate,
        seed: 100_000 + s,
        stepAt: STEP_AT,
        stepFactor: 1.15,
      }),
      opts,
    );
    const slower = step.points.flatMap((p, i) => (p.flagged?.direction === 'slower' ? [i] : []));
    if (slower.includes(STEP_AT)) exact++;
    else if (slower.some((i) => i > STEP_AT)) late++;
    else missed++;
    other += step.points.filter((p, i) => p.flagged && i !== STEP_AT).length;
  }
  const pct = (x: number, of: number) => `${x} (${((100 * x) / of).toFixed(2)}%)`;
  console.log(
    `${(runNoise * 100).toFixed(0)}% | ${pct(flaggedSeries, SERIES)}, ${flaggedPoints} / ${judged} (${transient} transient) | ${pct(exact, SERIES)}, ${late}, ${missed}, ${other}  [${((performance.now() - started) / 1000).toFixed(1)} s]`,
  );
}
