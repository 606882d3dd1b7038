// The machine a result was measured on. A result that does not say exactly what ran where is
// not a result (DESIGN.md), so every result embeds one of these.
import { z } from 'zod';

/** Vulkan's device types, plus 'unknown' for a source that does not say (nvidia-smi lists discrete GPUs only). */
export const ADAPTER_TYPES = ['discrete', 'integrated', 'virtual', 'cpu', 'other', 'unknown'] as const;

/**
 * A graphics adapter the GPU providers can use (WebGPU runs on Vulkan on Linux), from `vulkaninfo
 * --summary` and, for NVIDIA details, `nvidia-smi`. A software adapter (lavapipe, SwiftShader)
 * executes on the CPU: its figures are never GPU speed.
 */
export const GpuAdapterSchema = z.object({
  /** Where the adapter was found. */
  source: z.enum(['vulkan', 'nvidia-smi']),
  name: z.string(),
  type: z.enum(ADAPTER_TYPES),
  /** True for a device that runs on the CPU (type cpu, or a known software rasterizer's name). */
  software: z.boolean(),
  /** Vendor name from the PCI vendor id where known (NVIDIA, AMD, Intel, Mesa...). */
  vendor: z.string().optional(),
  /** The vendor id as the tool prints it, e.g. 0x10de. */
  vendorId: z.string().optional(),
  /** Driver name (Vulkan driverName, e.g. llvmpipe, NVIDIA, radv). */
  driver: z.string().optional(),
  /** Driver details (Vulkan driverInfo, e.g. "Mesa 25.0.7"; nvidia-smi's driver_version). */
  driverInfo: z.string().optional(),
  /** Vulkan API version the device supports. */
  apiVersion: z.string().optional(),
  memoryBytes: z.number().optional(),
  /**
   * Vulkan's memory heaps (full `vulkaninfo`): size, and the budget where the driver exposes
   * VK_EXT_memory_budget. A software adapter's "device-local" heap is host RAM.
   */
  memoryHeaps: z
    .array(z.object({ sizeBytes: z.number(), budgetBytes: z.number().optional(), deviceLocal: z.boolean() }))
    .optional(),
  /** Whether WebGPU's shader-f16 is expected on this adapter (Vulkan's 16-bit features, Dawn's rule). */
  shaderF16: z.boolean().optional(),
});
export type GpuAdapter = z.infer<typeof GpuAdapterSchema>;

export const MachineProfileSchema = z.object({
  cpu: z.object({
    manufacturer: z.string(),
    brand: z.string(),
    /** Logical processors (hardware threads). */
    threads: z.number().int(),
    physicalCores: z.number().int(),
    speedGHz: z.number().optional(),
    /** ISA features relevant to kernels: avx, avx2, fma, avx512f, avx512bw, avx512vnni, amx, neon, sve... */
    isa: z.array(z.string()),
    /** Bytes per cache level as the OS reports them (per core for L1/L2 on most systems). */
    cache: z.object({
      l1d: z.number().optional(),
      l1i: z.number().optional(),
      l2: z.number().optional(),
      l3: z.number().optional(),
    }),
  }),
  memory: z.object({ totalBytes: z.number(), availableBytes: z.number().optional() }),
  gpus: z.array(
    z.object({
      vendor: z.string(),
      model: z.string(),
      memoryBytes: z.number().optional(),
      driver: z.string().optional(),
    }),
  ),
  /**
   * Graphics adapters as the GPU providers see them (optional: profiles written before it exist stay
   * valid). adapterNotes says why a source gave nothing (no vulkaninfo, no nvidia-smi).
   */
  adapters: z.array(GpuAdapterSchema).optional(),
  adapterNotes: z.array(z.string()).optional(),
  os: z.object({
    platform: z.string(),
    distro: z.string().optional(),
    release: z.string().optional(),
    kernel: z.string().optional(),
    arch: z.string(),
  }),
  versions: z.object({
    node: z.string(),
    electron: z.string().optional(),
    onnxruntime: z.string().optional(),
    studio: z.string(),
  }),
  /**
   * The machine's roofline, measured by the native addon's probes (an FMA throughput kernel and a
   * STREAM triad), for one thread and all threads. Optional: probing takes a few seconds, so only
   * `hw --roofline` and the benchmarks ask for it, and profiles written before it exist stay valid.
   */
  roofline: z
    .object({
      /** The ISA path whose FMA kernel was measured (avx512, avx2, scalar). */
      isa: z.string(),
      /** Threads used for the "all threads" figures (one per physical core). */
      threads: z.number().int(),
      peakGflops: z.object({ oneThread: z.number(), allThreads: z.number() }),
      triadGBps: z.object({ oneThread: z.number(), allThreads: z.number() }),
      /** Arithmetic intensity (FLOP per byte) where the all-threads roofline turns from memory- to compute-bound. */
      ridgeFlopsPerByte: z.number(),
      measuredAt: z.string(),
    })
    .optional(),
  /** Probing time; the profile describes the machine at this moment. */
  probedAt: z.string(),
});
export type MachineProfile = z.infer<typeof MachineProfileSchema>;
