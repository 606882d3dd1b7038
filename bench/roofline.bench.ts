// The machine's roofline, measured by the native addon: peak FP32 GFLOP/s (an FMA kernel per ISA
// path) and STREAM-triad GB/s, for one thread and one thread per physical core.
// Knobs: BENCH_SECONDS (per probe, default 1), BENCH_BYTES (triad arrays in all, default the addon's).
import os from 'node:os';
import { loadNativeAddon } from '../main/backends/native/addon.js';
import { physicalCores } from '../main/backends/native/threads.js';
import { measureRoofline } from '../main/backends/native/roofline.js';
import { table } from '../main/cli/format.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 1);
const bytes = process.env.BENCH_BYTES ? Number(process.env.BENCH_BYTES) : undefined;
const addon = loadNativeAddon();
const cpu = addon.cpu();
const cores = physicalCores();

console.log(
  `machine: ${os.cpus()[0]?.model} (${cores} physical cores, ${os.cpus().length} logical), node ${process.version}`,
);
console.log(
  `native addon ${addon.version}; CPU features: ${cpu.features.join(' ')}; ISA paths: ${cpu.isaPaths.join(', ')}\n`,
);

const rows: string[][] = [];
for (const isa of cpu.isaPaths) {
  const r = await measureRoofline({ isa, seconds, bytes, threads: cores });
  rows.push([
    isa,
    r.peakGflops.oneThread.toFixed(1),
    r.peakGflops.allThreads.toFixed(1),
    r.triadGBps.oneThread.toFixed(1),
    r.triadGBps.allThreads.toFixed(1),
    r.ridgeFlopsPerByte.toFixed(1),
  ]);
}
console.log(
  table(
    [
      'ISA path',
      'peak GFLOP/s, 1 thread',
      `peak GFLOP/s, ${cores} threads`,
      'triad GB/s, 1 thread',
      `triad GB/s, ${cores} threads`,
      'ridge FLOP/byte',
    ],
    rows,
  ),
);
console.log(
  '\npeak: independent FMA chains, 2 FLOP per lane per FMA; triad: a[i] = b[i] + s * c[i] over arrays far larger than the caches (bytes as the addon counts them: native/src/kernels).',
);
