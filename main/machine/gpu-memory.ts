// Device memory a process holds on NVIDIA GPUs, from nvidia-smi (it ships with the driver, so
// it is there whenever the CUDA provider can run). Undefined when there is no nvidia-smi, no
// NVIDIA GPU, or the process holds no device memory.
import { execFileSync } from 'node:child_process';

/** Parses `nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits` (MiB). */
export function parseComputeApps(text: string, pid: number): number | undefined {
  let mib = 0;
  let found = false;
  for (const line of text.split('\n')) {
    const [p, used] = line.split(',').map((s) => s.trim());
    if (Number(p) === pid && Number.isFinite(Number(used))) {
      mib += Number(used); // one line per GPU the process uses
      found = true;
    }
  }
  return found ? mib * 2 ** 20 : undefined;
}

export function gpuMemoryOfProcess(pid = process.pid): number | undefined {
  try {
    const out = execFileSync('nvidia-smi', ['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits'], {
      encoding: 'utf8',
      timeout: 3000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return parseComputeApps(out, pid);
  } catch {
    return undefined;
  }
}
