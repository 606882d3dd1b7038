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

/**
 * The device memory a job held, or why it is not measurable here (never a made-up number). Called
 * while the measured session still exists, for backends that run off the CPU.
 */
export function deviceMemoryOf(
  provider: string,
  adapter: { software: boolean; name: string } | undefined,
  read: () => number | undefined = gpuMemoryOfProcess,
): { gpuBytes: number } | { gpuUnmeasured: string } {
  if (provider === 'CUDAExecutionProvider' || provider === 'TensorrtExecutionProvider') {
    const bytes = read();
    return bytes !== undefined
      ? { gpuBytes: bytes }
      : { gpuUnmeasured: 'nvidia-smi did not list this process (nvidia-smi missing, or no NVIDIA GPU memory held)' };
  }
  if (provider === 'WebGpuExecutionProvider') {
    if (adapter?.software)
      return {
        gpuUnmeasured: `${adapter.name} is a software device: its "device memory" is this process's RAM, counted in the peak resident memory`,
      };
    return {
      gpuUnmeasured:
        "WebGPU reports no memory use, and Vulkan's memory budget (VK_EXT_memory_budget) is readable only inside the process that owns the device (ONNX Runtime's); the adapter's heap sizes are in the machine profile",
    };
  }
  return { gpuUnmeasured: `no tool the studio can read reports the device memory of ${provider}` };
}
