// How repeatable is one measurement? The same job run N times, each in a fresh worker process,
// and the spread of the medians: (max - min) / median of the medians.
import os from 'node:os';
import { median } from 'simple-statistics';
import { JOB_SCHEMA_VERSION, type JobSpecInput } from '../shared/contract/job.js';
import { runJobs } from '../main/engine/queue.js';

const TIMES = Number(process.env.BENCH_REPEATS ?? 5);
const THREADS = Number(process.env.BENCH_THREADS ?? 1);

const jobs: JobSpecInput[] = Array.from({ length: TIMES }, (_, i) => ({
  version: JOB_SCHEMA_VERSION,
  id: `repeatability-${i}`,
  target: { kind: 'block', name: 'bottleneck', params: {} },
  backend: { backend: 'ort-cpu', intraOpThreads: THREADS, interOpThreads: 1 },
  measure: { minRuns: 30, minTimeS: 2, maxTimeS: 10 },
  repetition: i,
}));

console.log(`machine: ${os.cpus()[0]?.model} x${os.cpus().length}, node ${process.version}`);
console.log(
  `job: bottleneck (56x56x256, mid 64) on ort-cpu, ${THREADS} intra-op thread(s), batch 1; ${TIMES} fresh processes\n`,
);
const results = await runJobs(jobs);
const medians: number[] = [];
for (const r of results) {
  if (r.status !== 'ok' || !r.stats) {
    console.log(`${r.label}: ${r.status} ${r.failure?.reason ?? ''}`);
    continue;
  }
  const s = r.stats;
  medians.push(s.p50);
  console.log(
    `run ${r.job.repetition + 1}: p50 ${s.p50.toFixed(3)} ms (95% CI ${s.medianCi.low.toFixed(3)}-${s.medianCi.high.toFixed(3)}), n ${s.n}, cv ${(s.cv * 100).toFixed(1)}%, stop: ${r.stopReason}`,
  );
}
if (medians.length > 1) {
  const m = median(medians);
  const spread = (Math.max(...medians) - Math.min(...medians)) / m;
  console.log(`\nmedian of medians ${m.toFixed(3)} ms; spread (max - min) / median = ${(spread * 100).toFixed(2)}%`);
}
