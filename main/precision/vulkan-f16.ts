// What each Vulkan device says about 16-bit floats (full `vulkaninfo`, not --summary): the
// features Dawn, WebGPU's implementation inside ONNX Runtime, needs before it offers WebGPU's
// `shader-f16` to the WebGPU provider. This is an explanation for a refusal and a test's
// expectation; the decision itself comes from the runtime (a profiled run: variant.ts).
import { execFile } from 'node:child_process';

export interface VulkanF16 {
  device: string;
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
      return out;
    })
    .filter((d): d is VulkanF16 => d !== undefined);
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
