// Pure rules about graphics adapters, shared by the CLI, the worker, reports and the app: which
// adapter is software (runs on the CPU), how one is labeled, and which one WebGPU runs on.
import type { GpuAdapter } from '../contract/machine.js';

/** The label every view puts next to a software adapter (and the ort-webgpu backend running on one). */
export const SOFTWARE_ADAPTER_LABEL = 'software (runs on the CPU)';

/** Names of software Vulkan/WebGPU devices: Mesa's lavapipe (reports as llvmpipe), Google's SwiftShader. */
const SOFTWARE_NAMES = /llvmpipe|lavapipe|swiftshader|softpipe|microsoft basic render/i;

/** True for a device that executes on the CPU: Vulkan type CPU, or a known software renderer's name. */
export function isSoftwareAdapter(a: Pick<GpuAdapter, 'name' | 'type'> & { driver?: string }): boolean {
  return a.type === 'cpu' || SOFTWARE_NAMES.test(a.name) || SOFTWARE_NAMES.test(a.driver ?? '');
}

/** PCI vendor ids (as Vulkan reports them) of the vendors whose adapters the studio is likely to meet. */
const VENDORS: Record<number, string> = {
  0x10de: 'NVIDIA',
  0x1002: 'AMD',
  0x1022: 'AMD',
  0x8086: 'Intel',
  0x13b5: 'ARM',
  0x5143: 'Qualcomm',
  0x106b: 'Apple',
  0x1010: 'Imagination',
  0x1ae0: 'Google',
  0x1414: 'Microsoft',
  0x10005: 'Mesa',
};

/** '0x10de' or '4318' -> 'NVIDIA'; undefined for an unknown or unreadable id. */
export function vendorName(id: string | undefined): string | undefined {
  if (!id) return undefined;
  const n = Number(id.trim());
  return Number.isFinite(n) ? VENDORS[n] : undefined;
}

/** The device-local heaps' Vulkan budget (VK_EXT_memory_budget), when the driver exposes it. */
export function memoryBudgetOf(a: GpuAdapter): number | undefined {
  const heaps = (a.memoryHeaps ?? []).filter((h) => h.deviceLocal && h.budgetBytes !== undefined);
  return heaps.length ? heaps.reduce((sum, h) => sum + h.budgetBytes!, 0) : undefined;
}

/** One line: "llvmpipe (LLVM 15.0.6, 256 bits) [cpu, software (runs on the CPU)], Mesa 25.0.7, Vulkan 1.4.305". */
export function describeAdapter(a: GpuAdapter): string {
  const kind = a.software ? `${a.type}, ${SOFTWARE_ADAPTER_LABEL}` : a.type;
  const parts = [`${a.name} [${kind}]`];
  const driver = [a.driver, a.driverInfo].filter(Boolean).join(' ');
  if (driver) parts.push(`driver ${driver}`);
  if (a.apiVersion) parts.push(`Vulkan ${a.apiVersion}`);
  if (a.memoryBytes) parts.push(`${(a.memoryBytes / 2 ** 30).toFixed(1)} GiB`);
  const budget = memoryBudgetOf(a);
  if (budget !== undefined)
    parts.push(`memory budget ${(budget / 2 ** 30).toFixed(1)} GiB${a.software ? ' (host RAM)' : ''}`);
  if (a.shaderF16 !== undefined) parts.push(a.shaderF16 ? 'shader-f16' : 'no shader-f16');
  return parts.join(', ');
}

const PREFERENCE: GpuAdapter['type'][] = ['discrete', 'integrated', 'virtual', 'other', 'unknown', 'cpu'];

/**
 * The Vulkan adapter ONNX Runtime's WebGPU provider runs on: Dawn, asked for a high-performance
 * adapter, takes a discrete GPU before an integrated one and a software device only when there is
 * nothing else. Undefined when no Vulkan adapter was found (other platforms: D3D12, Metal).
 */
export function webgpuAdapterOf(adapters: readonly GpuAdapter[] | undefined): GpuAdapter | undefined {
  const vulkan = (adapters ?? []).filter((a) => a.source === 'vulkan');
  const rank = (a: GpuAdapter) => (a.software ? PREFERENCE.length : PREFERENCE.indexOf(a.type));
  return [...vulkan].sort((x, y) => rank(x) - rank(y))[0];
}

/** The flag a result measured on a software adapter carries. */
export function softwareAdapterFlag(a: GpuAdapter): string {
  return `ran on ${a.name}, an adapter that is ${SOFTWARE_ADAPTER_LABEL}: these figures are CPU speed through the GPU code path, not GPU speed`;
}
