// The graphics adapters the GPU providers can use: `vulkaninfo --summary` (Vulkan is what ONNX
// Runtime's WebGPU provider runs on under Linux), the full `vulkaninfo` for memory heaps and 16-bit
// features, and `nvidia-smi` for NVIDIA's name, driver and memory. Never throws: a missing or failing tool gives no adapters from it and a note saying why.
import { execFile } from 'node:child_process';
import type { GpuAdapter } from '../../shared/contract/machine.js';
import { isSoftwareAdapter, vendorName } from '../../shared/hardware/adapters.js';
import { offersShaderF16, parseVulkanF16, type VulkanF16 } from './vulkan-details.js';

export interface AdapterReport {
  adapters: GpuAdapter[];
  /** Why a source gave nothing, for the profile and the `backends` output. */
  notes: string[];
}

const VK_TYPES: Record<string, GpuAdapter['type']> = {
  PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: 'discrete',
  PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: 'integrated',
  PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: 'virtual',
  PHYSICAL_DEVICE_TYPE_CPU: 'cpu',
  PHYSICAL_DEVICE_TYPE_OTHER: 'other',
};

/** apiVersion is "1.3.230" in recent vulkaninfo, "4206830 (1.3.230)" in older ones. */
function version(v: string | undefined): string | undefined {
  if (!v) return undefined;
  return /\((\d+\.\d+\.\d+)\)/.exec(v)?.[1] ?? v.trim();
}

/** Parses the "Devices:" section of `vulkaninfo --summary`: one adapter per "GPUn:" block. */
export function parseVulkanSummary(text: string): GpuAdapter[] {
  const start = text.search(/^Devices:\s*$/m);
  const section = start >= 0 ? text.slice(start) : text;
  const blocks = section.split(/^GPU\d+:\s*$/m).slice(1);
  const adapters: GpuAdapter[] = [];
  for (const block of blocks) {
    const f: Record<string, string> = {};
    for (const m of block.matchAll(/^\s+(\w+)\s*=\s*(.*?)\s*$/gm)) f[m[1]] ??= m[2];
    if (!f.deviceName) continue;
    const type = VK_TYPES[f.deviceType ?? ''] ?? (f.deviceType ? 'other' : 'unknown');
    const a: GpuAdapter = {
      source: 'vulkan',
      name: f.deviceName,
      type,
      software: false,
      vendor: vendorName(f.vendorID),
      vendorId: f.vendorID?.toLowerCase(),
      driver: f.driverName,
      driverInfo: f.driverInfo,
      apiVersion: version(f.apiVersion),
    };
    a.software = isSoftwareAdapter(a);
    adapters.push(dropUndefined(a));
  }
  return adapters;
}

/** Parses `nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader` ("24576 MiB"). */
export function parseNvidiaSmi(text: string): GpuAdapter[] {
  const out: GpuAdapter[] = [];
  for (const line of text.split('\n')) {
    const [name, driver, memory] = line.split(',').map((s) => s.trim());
    if (!name || driver === undefined) continue;
    const m = /^([\d.]+)\s*(MiB|GiB|KiB)?$/i.exec(memory ?? '');
    const unit = { kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 }[(m?.[2] ?? 'MiB').toLowerCase()] ?? 2 ** 20;
    out.push(
      dropUndefined({
        source: 'nvidia-smi',
        name,
        type: 'discrete',
        software: false,
        vendor: 'NVIDIA',
        vendorId: '0x10de',
        driver: 'NVIDIA',
        driverInfo: driver || undefined,
        memoryBytes: m ? Math.round(Number(m[1]) * unit) : undefined,
      }),
    );
  }
  return out;
}

/**
 * Joins the two sources: an NVIDIA GPU that Vulkan lists too gets nvidia-smi's memory (and its
 * driver version when Vulkan gave none); one that Vulkan does not list (no Vulkan driver or loader)
 * stays as its own nvidia-smi entry, so that the profile still names it.
 */
export function mergeAdapters(vulkan: GpuAdapter[], nvidia: GpuAdapter[]): GpuAdapter[] {
  const merged = vulkan.map((a) => ({ ...a }));
  for (const n of nvidia) {
    const same = merged.find((a) => a.vendor === 'NVIDIA' && a.source === 'vulkan' && a.name === n.name);
    if (same) {
      same.memoryBytes ??= n.memoryBytes;
      same.driverInfo ??= n.driverInfo;
    } else merged.push(n);
  }
  return merged;
}

/**
 * Adds what only the full `vulkaninfo` prints (memory heaps and budget, the 16-bit features behind
 * shader-f16) to the adapters of the summary, matched by device name.
 */
export function withVulkanDetails(adapters: GpuAdapter[], details: VulkanF16[]): GpuAdapter[] {
  return adapters.map((a) => {
    const d = a.source === 'vulkan' ? details.find((x) => x.device === a.name) : undefined;
    if (!d) return a;
    const out: GpuAdapter = { ...a, shaderF16: offersShaderF16(d) };
    if (d.memoryHeaps) {
      out.memoryHeaps = d.memoryHeaps;
      // A software adapter's device-local heap is host RAM: not GPU memory.
      const local = d.memoryHeaps.filter((h) => h.deviceLocal).reduce((sum, h) => sum + h.sizeBytes, 0);
      if (!a.software && local > 0) out.memoryBytes ??= local;
    }
    return out;
  });
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** stdout of a tool, or the reason it gave none (missing, failed, timed out). */
function runTool(cmd: string, args: string[]): Promise<{ stdout?: string; why?: string }> {
  return new Promise((resolve) => {
    try {
      execFile(cmd, args, { encoding: 'utf8', timeout: 15_000, maxBuffer: 32 * 2 ** 20 }, (err, stdout) => {
        if (!err) return resolve({ stdout });
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === 'ENOENT') return resolve({ why: `${cmd} is not installed` });
        if (e.killed) return resolve({ why: `${cmd} did not answer within 15 s` });
        // vulkaninfo exits non-zero with output when it finds no device; keep what it printed.
        resolve({ stdout: stdout || undefined, why: `${cmd} failed: ${e.message.split('\n')[0]}` });
      });
    } catch (e) {
      resolve({ why: `${cmd} could not be started: ${(e as Error).message}` });
    }
  });
}

/** Lists the adapters of this machine (about 0.1-0.5 s: vulkaninfo initializes every driver). */
export async function detectGpuAdapters(): Promise<AdapterReport> {
  const notes: string[] = [];
  const [vk, vkFull, smi] = await Promise.all([
    runTool('vulkaninfo', ['--summary']),
    runTool('vulkaninfo', []),
    runTool('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader']),
  ]);
  const vulkan = withVulkanDetails(
    vk.stdout ? parseVulkanSummary(vk.stdout) : [],
    vkFull.stdout ? parseVulkanF16(vkFull.stdout) : [],
  );
  if (vulkan.length === 0)
    notes.push(
      `no Vulkan adapter (${vk.why ?? 'vulkaninfo --summary lists no device'}): the WebGPU provider has nothing to run on; see the README, "GPUs (ONNX Runtime)"`,
    );
  const nvidia = smi.stdout ? parseNvidiaSmi(smi.stdout) : [];
  if (nvidia.length === 0 && smi.why) notes.push(`no NVIDIA details: ${smi.why}`);
  return { adapters: mergeAdapters(vulkan, nvidia), notes };
}

let cached: Promise<AdapterReport> | undefined;
/** detectGpuAdapters() once per process. */
export function gpuAdapters(): Promise<AdapterReport> {
  cached ??= detectGpuAdapters();
  return cached;
}
