// The machine profile every result embeds (DESIGN.md: "a result that does not say exactly what
// ran where is not a result"), probed with systeminformation.
import { createRequire } from 'node:module';
import os from 'node:os';
import si from 'systeminformation';
import { MachineProfileSchema, type MachineProfile } from '../../shared/contract/machine.js';
import { gpuAdapters } from './gpu-adapters.js';

const require = createRequire(import.meta.url);

/**
 * ISA features that decide which kernels can run (x86 and Arm names as Linux reports them);
 * the rest of /proc/cpuinfo's flags say nothing about convolution speed.
 */
const KERNEL_ISA = new Set([
  'sse4_1',
  'sse4_2',
  'avx',
  'avx2',
  'fma',
  'f16c',
  'avx512f',
  'avx512bw',
  'avx512dq',
  'avx512vl',
  'avx512_vnni',
  'avx512vnni',
  'avx512_bf16',
  'avx512_fp16',
  'avx_vnni',
  'amx_tile',
  'amx_int8',
  'amx_bf16',
  'neon',
  'asimd',
  'asimddp',
  'asimdhp',
  'i8mm',
  'bf16',
  'sve',
  'sve2',
]);

function packageVersion(name: string): string | undefined {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return undefined;
  }
}

export const STUDIO_VERSION = (require('../../package.json') as { version: string }).version;

let cached: Promise<MachineProfile> | undefined;

/** Probes the machine once per process (about 0.1 s); later calls return the same profile. */
export function probeMachine(): Promise<MachineProfile> {
  cached ??= probe();
  return cached;
}

async function probe(): Promise<MachineProfile> {
  const [cpu, flags, mem, graphics, osInfo, adapters] = await Promise.all([
    si.cpu(),
    si.cpuFlags(),
    si.mem(),
    si.graphics().catch(() => ({ controllers: [] as si.Systeminformation.GraphicsControllerData[] })),
    si.osInfo(),
    gpuAdapters(),
  ]);
  const flagList = flags.split(/\s+/).filter(Boolean);
  // Arm64 Linux does not always list NEON: it is mandatory on AArch64.
  if (os.arch() === 'arm64' && !flagList.includes('neon')) flagList.push('neon');
  const brand = os.cpus()[0]?.model?.trim() || `${cpu.manufacturer} ${cpu.brand}`.trim();
  return MachineProfileSchema.parse({
    cpu: {
      manufacturer: cpu.manufacturer || 'unknown',
      brand,
      threads: cpu.cores || os.cpus().length,
      physicalCores: cpu.physicalCores || cpu.cores || os.cpus().length,
      speedGHz: cpu.speedMax || cpu.speed || undefined,
      isa: flagList.filter((f) => KERNEL_ISA.has(f)).sort(),
      cache: {
        l1d: cpu.cache?.l1d || undefined,
        l1i: cpu.cache?.l1i || undefined,
        l2: cpu.cache?.l2 || undefined,
        l3: cpu.cache?.l3 || undefined,
      },
    },
    memory: { totalBytes: mem.total, availableBytes: mem.available },
    gpus: graphics.controllers.map((g) => ({
      vendor: g.vendor || 'unknown',
      model: g.model || 'unknown',
      memoryBytes: g.vram ? g.vram * 2 ** 20 : undefined,
      driver: g.driverVersion || undefined,
    })),
    adapters: adapters.adapters,
    ...(adapters.notes.length > 0 ? { adapterNotes: adapters.notes } : {}),
    os: {
      platform: osInfo.platform,
      distro: osInfo.distro || undefined,
      release: osInfo.release || undefined,
      kernel: osInfo.kernel || undefined,
      arch: osInfo.arch || os.arch(),
    },
    versions: {
      node: process.versions.node,
      electron: process.versions.electron,
      onnxruntime: packageVersion('onnxruntime-node'),
      studio: STUDIO_VERSION,
    },
    probedAt: new Date().toISOString(),
  });
}
