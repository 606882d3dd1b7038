// Physical cores: what "all threads" means for the native backend (one worker per core; SMT
// siblings share the FMA units, so a second thread on a core adds little to convolution speed).
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

let cached: number | undefined;

/** Physical cores this process may use (Linux: distinct core/package pairs among the online CPUs). */
export function physicalCores(): number {
  cached ??= probe();
  return cached;
}

function probe(): number {
  const logical = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  if (process.platform !== 'linux') return Math.max(1, logical);
  try {
    const base = '/sys/devices/system/cpu';
    const cores = new Set<string>();
    for (const d of readdirSync(base)) {
      if (!/^cpu\d+$/.test(d)) continue;
      try {
        const core = readFileSync(`${base}/${d}/topology/core_id`, 'utf8').trim();
        const pkg = readFileSync(`${base}/${d}/topology/physical_package_id`, 'utf8').trim();
        cores.add(`${pkg}:${core}`);
      } catch {
        // An offline CPU has no topology folder.
      }
    }
    // A container limited to fewer CPUs than the machine has: never more threads than allowed.
    return Math.max(1, Math.min(cores.size || logical, logical));
  } catch {
    return Math.max(1, logical);
  }
}

/**
 * The thread count a native session gets: the configured count, or for 0 STUDIO_NATIVE_THREADS
 * when set, else one per physical core.
 */
export function resolveThreads(configured: number): number {
  if (configured > 0) return configured;
  const env = Number(process.env.STUDIO_NATIVE_THREADS);
  if (Number.isInteger(env) && env > 0) return env;
  return physicalCores();
}
