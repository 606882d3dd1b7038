// What each Vulkan device says in the full `vulkaninfo` output (not --summary): its 16-bit float
// features, which Dawn (WebGPU's implementation inside ONNX Runtime) needs before it offers WebGPU's
// `shader-f16` (an explanation for an fp16 refusal and a test's expectation; the decision itself
// comes from the runtime: a profiled run, precision/variant.ts), and its memory heaps with the
// budget where the driver exposes VK_EXT_memory_budget (the machine profile's adapters).
import { execFile } from 'node:child_process';

export interface VulkanHeap {
  sizeBytes: number;
  /** VK_EXT_memory_budget: what this process could allocate from the heap now (absent without the extension). */
  budgetBytes?: number;
  deviceLocal: boolean;
}

export interface VulkanF16 {
  device: string;
  memoryHeaps?: VulkanHeap[];
  /** VkPhysicalDeviceShaderFloat16Int8Features (or Vulkan 1.2) shaderFloat16: f16 arithmetic in shaders. */
  shaderFloat16?: boolean;
  /** VkPhysicalDevice16BitStorageFeatures (or Vulkan 1.1): 16-bit values in storage buffers. */
  storageBuffer16BitAccess?: boolean;
  uniformAndStorageBuffer16BitAccess?: boolean;
  storageInputOutput16?: boolean;
}

const FEATURES = [
  'shaderFloat16',
  'storageBuffer16BitAccess',
  'uniformAndStorageBuffer16BitAccess',
  'storageInputOutput16',
] as const;

/** One entry per "GPUn:" block of `vulkaninfo`'s device section; a feature it does not print stays undefined. */
export function parseVulkanF16(text: string): VulkanF16[] {
  const start = text.search(/^Device Properties and Extensions:\s*$/m);
  const section = start >= 0 ? text.slice(start) : text;
  return section
    .split(/^GPU\d+:\s*$/m)
    .slice(1)
    .map((block) => {
      const device = /^\s*deviceName\s*=\s*(.+?)\s*$/m.exec(block)?.[1];
      if (!device) return undefined;
      const out: VulkanF16 = { device };
      for (const f of FEATURES) {
        // A feature is printed once per feature struct (the extension's and the Vulkan 1.x one); any true counts.
        const values = [...block.matchAll(new RegExp(`^\\s*${f}\\s*=\\s*(true|false)\\s*$`, 'gm'))].map((m) => m[1]);
        if (values.length) out[f] = values.includes('true');
      }
      const heaps = parseHeaps(block);
      if (heaps.length) out.memoryHeaps = heaps;
      return out;
    })
    .filter((d): d is VulkanF16 => d !== undefined);
}

/** The "memoryHeaps[i]:" entries of a device block: size, budget (when printed) and the device-local flag. */
function parseHeaps(block: string): VulkanHeap[] {
  const heaps: VulkanHeap[] = [];
  for (const m of block.matchAll(
    /^\s*memoryHeaps\[\d+\]:\s*$([\s\S]*?)(?=^\s*(?:memoryHeaps\[\d+\]|memoryTypes)|(?![\s\S]))/gm,
  )) {
    const body = m[1];
    const num = (key: string) => {
      const v = new RegExp(`^\\s*${key}\\s*=\\s*(\\d+)`, 'm').exec(body)?.[1];
      return v === undefined ? undefined : Number(v);
    };
    const sizeBytes = num('size');
    if (sizeBytes === undefined) continue;
    const budgetBytes = num('budget');
    heaps.push({
      sizeBytes,
      ...(budgetBytes !== undefined ? { budgetBytes } : {}),
      deviceLocal: /MEMORY_HEAP_DEVICE_LOCAL_BIT/.test(body),
    });
  }
  return heaps;
}

/**
 * Whether Dawn's Vulkan backend offers shader-f16 on this device, by current Dawn's rule
 * (PhysicalDeviceVk.cpp): shaderFloat16 and storageBuffer16BitAccess. Older Dawn also wanted
 * uniformAndStorageBuffer16BitAccess, earlier still storageInputOutput16, and some versions left
 * it off on NVIDIA. The Dawn inside onnxruntime-node 1.30 does not need storageInputOutput16
 * (lavapipe lacks it and gets shader-f16), but a prediction is all this is: the runtime's own run
 * stays the authority.
 */
export function offersShaderF16(d: VulkanF16): boolean {
  return d.shaderFloat16 === true && d.storageBuffer16BitAccess === true;
}

/** "shaderFloat16 = false, storageBuffer16BitAccess = true" for a refusal or a note. */
export function describeVulkanF16(d: VulkanF16): string {
  return FEATURES.filter((f) => d[f] !== undefined)
    .map((f) => `${f} = ${d[f]}`)
    .join(', ');
}

/** The devices `vulkaninfo` lists with their 16-bit features; [] when it is missing or fails (never throws). */
export function vulkanF16Devices(): Promise<VulkanF16[]> {
  return new Promise((resolve) => {
    try {
      execFile('vulkaninfo', [], { encoding: 'utf8', timeout: 15_000, maxBuffer: 32 * 2 ** 20 }, (_err, stdout) =>
        // vulkaninfo may exit non-zero after printing what it found; keep what it printed.
        resolve(stdout ? parseVulkanF16(stdout) : []),
      );
    } catch {
      resolve([]);
    }
  });
}
