// The machine's roofline (Williams, Waterman and Patterson 2009): peak FP32 throughput from an FMA
// kernel with enough independent chains to hide latency, and memory bandwidth from a STREAM triad
// (a[i] = b[i] + s * c[i]) over arrays far larger than the caches, each for one thread and for one
// thread per physical core. Measured by the native addon's probes, once per process.
import type { MachineProfile } from '../../../shared/contract/machine.js';
import { checkIsa } from '../native.js';
import { loadNativeAddon } from './addon.js';
import { resolveThreads } from './threads.js';

export type Roofline = NonNullable<MachineProfile['roofline']>;

export interface RooflineOptions {
  /** Seconds per FMA probe (default 0.5, or STUDIO_ROOFLINE_SECONDS). */
  seconds?: number;
  /** Bytes per triad array (default 256 MiB in all three arrays, or STUDIO_ROOFLINE_BYTES). */
  bytes?: number;
  /** The ISA path whose FMA kernel is measured (default: the best this CPU runs). */
  isa?: string;
  /** "All threads" (default: one per physical core). */
  threads?: number;
}

const cache = new Map<string, Promise<Roofline>>();

function envNumber(name: string): number | undefined {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

/**
 * Measures the roofline (a few seconds), cached per process and options. Throws when the native
 * addon cannot be loaded (the error lists the paths tried).
 */
export function measureRoofline(opts: RooflineOptions = {}): Promise<Roofline> {
  const key = JSON.stringify(opts);
  let p = cache.get(key);
  if (!p) {
    p = Promise.resolve().then(() => probe(opts));
    // A failed probe is not cached: the addon may be built in between.
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}

function probe(opts: RooflineOptions): Roofline {
  const addon = loadNativeAddon();
  const chosen = checkIsa(addon, opts.isa);
  if ('reason' in chosen) throw new Error(`cannot measure the roofline: ${chosen.reason}`);
  const isa = chosen.isa;
  const seconds = opts.seconds ?? envNumber('STUDIO_ROOFLINE_SECONDS') ?? 0.5;
  const bytes = opts.bytes ?? envNumber('STUDIO_ROOFLINE_BYTES');
  const threads = opts.threads ?? resolveThreads(0);
  const peak = (t: number) => addon.peakGflops({ threads: t, isa, seconds });
  const triad = (t: number) => addon.triadGBps({ threads: t, seconds, ...(bytes ? { bytes } : {}) });
  const one = { peak: peak(1), triad: triad(1) };
  const all = threads > 1 ? { peak: peak(threads), triad: triad(threads) } : one;
  const peakGflops = { oneThread: one.peak, allThreads: all.peak };
  const triadGBps = { oneThread: one.triad, allThreads: all.triad };
  return {
    isa,
    threads,
    peakGflops,
    triadGBps,
    ridgeFlopsPerByte: peakGflops.allThreads / triadGBps.allThreads,
    measuredAt: new Date().toISOString(),
  };
}

/**
 * Where a measurement sits on the roofline: the attainable GFLOP/s at its arithmetic intensity
 * (min(peak, intensity x bandwidth)) and the share of it reached.
 */
export function placeOnRoofline(
  roofline: Roofline,
  point: { gflops: number; flopsPerByte: number; threads: 'one' | 'all' },
): { attainableGflops: number; bound: 'compute' | 'memory'; fractionOfAttainable: number; fractionOfPeak: number } {
  const peak = point.threads === 'one' ? roofline.peakGflops.oneThread : roofline.peakGflops.allThreads;
  const bw = point.threads === 'one' ? roofline.triadGBps.oneThread : roofline.triadGBps.allThreads;
  const memoryRoof = point.flopsPerByte * bw;
  const attainable = Math.min(peak, memoryRoof);
  return {
    attainableGflops: attainable,
    bound: memoryRoof < peak ? 'memory' : 'compute',
    fractionOfAttainable: point.gflops / attainable,
    fractionOfPeak: point.gflops / peak,
  };
}
