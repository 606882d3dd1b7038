// Synthetic benchmark results for the store, report and comparison tests: valid per ResultSchema,
// with a plausible machine profile and seeded, skewed latency samples (no ONNX Runtime needed).
import { latencyStats, instabilityFlags } from '../../shared/stats/latency.js';
import { JobSpecSchema, jobLabel, type JobSpecInput } from '../../shared/contract/job.js';
import type { MachineProfile } from '../../shared/contract/machine.js';
import { ResultSchema, RESULT_SCHEMA, RESULT_SCHEMA_VERSION, type BenchResult } from '../../shared/contract/result.js';
import { seededRandom } from '../../shared/random.js';

export function fakeMachine(overrides: Partial<MachineProfile> = {}): MachineProfile {
  return {
    cpu: {
      manufacturer: 'AMD',
      brand: 'Ryzen 9 7950X 16-Core Processor',
      threads: 32,
      physicalCores: 16,
      speedGHz: 4.5,
      isa: ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vnni'],
      cache: { l1d: 32768, l1i: 32768, l2: 1048576, l3: 67108864 },
    },
    memory: { totalBytes: 64 * 2 ** 30, availableBytes: 48 * 2 ** 30 },
    gpus: [{ vendor: 'NVIDIA', model: 'GeForce RTX 4090', memoryBytes: 24 * 2 ** 30, driver: '550.54.14' }],
    os: { platform: 'linux', distro: 'Ubuntu', release: '24.04', kernel: '6.8.0-45-generic', arch: 'x64' },
    versions: { node: 'v20.19.0', onnxruntime: '1.30.0', studio: '0.1.0' },
    probedAt: '2025-06-01T09:00:00.000Z',
    ...overrides,
  };
}

/** n latencies around `medianMs`: log-normal noise with roughly the given coefficient of variation. */
export function fakeSamples(n: number, medianMs: number, cv = 0.03, seed = 1): number[] {
  const rand = seededRandom(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    out.push(medianMs * Math.exp(cv * z));
  }
  return out;
}

export interface FakeResultOptions {
  id?: string;
  createdAt?: string;
  target?: JobSpecInput['target'];
  backend?: 'ort-cpu' | 'ort-cuda';
  threads?: number;
  batch?: number;
  group?: string;
  repetition?: number;
  medianMs?: number;
  cv?: number;
  n?: number;
  seed?: number;
  samplesMs?: number[];
  macs?: number;
  params?: number;
  status?: BenchResult['status'];
  failure?: BenchResult['failure'];
  label?: string;
  machine?: MachineProfile;
  flags?: string[];
}

let counter = 0;

export function fakeResult(o: FakeResultOptions = {}): BenchResult {
  counter++;
  const id = o.id ?? `r${String(counter).padStart(4, '0')}`;
  const job = JobSpecSchema.parse({
    version: 1,
    id: `job-${id}`,
    target: o.target ?? { kind: 'block', name: 'bottleneck', params: { mid: 64 } },
    batch: o.batch ?? 1,
    backend: { backend: o.backend ?? 'ort-cpu', intraOpThreads: o.threads ?? 1 },
    repetition: o.repetition ?? 0,
    group: o.group,
  });
  const macs = o.macs ?? 218_103_808;
  const status = o.status ?? 'ok';
  const samplesMs =
    status === 'ok' ? (o.samplesMs ?? fakeSamples(o.n ?? 200, o.medianMs ?? 1.5, o.cv ?? 0.03, o.seed ?? counter)) : [];
  const stats = samplesMs.length ? latencyStats(samplesMs, { batch: job.batch, flops: 2 * macs }) : undefined;
  return ResultSchema.parse({
    schema: RESULT_SCHEMA,
    version: RESULT_SCHEMA_VERSION,
    id,
    createdAt: o.createdAt ?? '2025-06-01T10:00:00.000Z',
    studioVersion: '0.1.0',
    job,
    label: o.label ?? jobLabel(job),
    status,
    failure:
      status === 'ok' ? undefined : (o.failure ?? { kind: 'crash', reason: 'the job process exited with SIGSEGV' }),
    machine: o.machine ?? fakeMachine(),
    runtime: {
      name: 'onnxruntime-node',
      version: '1.30.0',
      providers: [job.backend.backend === 'ort-cuda' ? 'CUDAExecutionProvider' : 'CPUExecutionProvider'],
    },
    cost: {
      params: o.params ?? 70_400,
      macs,
      flops: 2 * macs,
      weightBytes: 4 * (o.params ?? 70_400),
      peakActivationBytes: 3_211_264,
    },
    coldStart: { loadMs: 3.2, sessionMs: 41.7, firstRunMs: 6.3 },
    warmup: { runs: 5, ms: 9.1 },
    samplesMs,
    stopReason: status === 'ok' ? 'min-reached' : undefined,
    stats,
    memory:
      status === 'ok'
        ? { baselineRssBytes: 52_428_800, peakRssBytes: 98_566_144, deltaBytes: 46_137_344, estimatedBytes: 3_493_888 }
        : undefined,
    flags: o.flags ?? (stats ? instabilityFlags(stats) : []),
  });
}

/** A varied set for the report tests: blocks and models, CPU and CUDA, a flagged result, a failure, two machines. */
export function fakeReportSet(): BenchResult[] {
  const block = (name: string, params: Record<string, number> = {}) => ({ kind: 'block' as const, name, params });
  const laptop = fakeMachine({
    cpu: {
      manufacturer: 'Intel',
      brand: 'Core i7-1185G7',
      threads: 8,
      physicalCores: 4,
      speedGHz: 3,
      isa: ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512vnni'],
      cache: { l1d: 49152, l2: 1310720, l3: 12582912 },
    },
    memory: { totalBytes: 16 * 2 ** 30 },
    gpus: [],
    os: { platform: 'linux', distro: 'Fedora', release: '40', arch: 'x64' },
  });
  return [
    fakeResult({ id: 'bneck-1t', target: block('bottleneck', { mid: 64 }), medianMs: 1.52, macs: 218_103_808 }),
    fakeResult({ id: 'bneck-4t', target: block('bottleneck', { mid: 64 }), threads: 4, medianMs: 0.61, cv: 0.05 }),
    fakeResult({ id: 'incep', target: block('inception'), medianMs: 2.31, macs: 300_000_000, params: 163_696 }),
    fakeResult({ id: 'sep', target: block('separable'), medianMs: 0.34, macs: 30_507_008, params: 17_536 }),
    fakeResult({
      id: 'rn50-cpu',
      target: { kind: 'model', name: 'resnet50', variant: 'keras', params: {} },
      medianMs: 24.8,
      macs: 4_089_184_256,
      params: 25_636_712,
      cv: 0.14,
      n: 120,
    }),
    fakeResult({
      id: 'rn50-cuda',
      target: { kind: 'model', name: 'resnet50', variant: 'keras', params: {} },
      backend: 'ort-cuda',
      medianMs: 2.05,
      macs: 4_089_184_256,
      params: 25_636_712,
    }),
    fakeResult({
      id: 'bneck-laptop',
      target: block('bottleneck', { mid: 64 }),
      medianMs: 2.9,
      machine: laptop,
      createdAt: '2025-05-28T16:20:00.000Z',
    }),
    fakeResult({
      id: 'xcep-cuda',
      target: { kind: 'model', name: 'xception', params: {} },
      backend: 'ort-cuda',
      status: 'failed',
      failure: {
        kind: 'refused',
        reason: 'the CUDA execution provider is not installed in this onnxruntime-node build',
        detail: 'run: ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js',
      },
    }),
  ];
}

// ---- GPU fixtures: adapters, placement, device-resident latency, device memory ----

export const fakeAdapters = {
  rtx4090: {
    source: 'vulkan',
    name: 'NVIDIA GeForce RTX 4090',
    type: 'discrete',
    software: false,
    vendor: 'NVIDIA',
    vendorId: '0x10de',
    driver: 'NVIDIA',
    driverInfo: '550.54.14',
    apiVersion: '1.3.277',
    memoryBytes: 24 * 2 ** 30,
  },
  llvmpipe: {
    source: 'vulkan',
    name: 'llvmpipe (LLVM 15.0.6, 256 bits)',
    type: 'cpu',
    software: true,
    vendor: 'Mesa',
    vendorId: '0x10005',
    driver: 'llvmpipe',
    driverInfo: 'Mesa 25.0.7',
    apiVersion: '1.4.305',
  },
} as const satisfies Record<string, NonNullable<NonNullable<BenchResult['runtime']>['adapter']>>;

export interface FakeGpuResultOptions extends Omit<FakeResultOptions, 'backend'> {
  backend: 'ort-webgpu' | 'ort-cuda' | 'ort-cpu' | 'native';
  precision?: 'fp32' | 'fp16' | 'int8';
  adapter?: NonNullable<NonNullable<BenchResult['runtime']>['adapter']>;
  placement?: BenchResult['placement'];
  deviceResident?: BenchResult['deviceResident'];
  gpuBytes?: number;
  gpuUnmeasured?: string;
  firstRunMs?: number;
}

const PROVIDER_OF: Record<FakeGpuResultOptions['backend'], string> = {
  'ort-webgpu': 'WebGpuExecutionProvider',
  'ort-cuda': 'CUDAExecutionProvider',
  'ort-cpu': 'CPUExecutionProvider',
  native: 'native',
};

/** A result of any backend (GPU ones with their adapter, placement, device-resident latency, device memory). */
export function fakeGpuResult(o: FakeGpuResultOptions): BenchResult {
  const base = fakeResult({ ...o, backend: 'ort-cpu' });
  const job = JobSpecSchema.parse({
    ...base.job,
    backend: { ...base.job.backend, backend: o.backend },
    precision: o.precision ?? 'fp32',
  });
  return ResultSchema.parse({
    ...base,
    job,
    label: o.label ?? jobLabel(job),
    runtime: {
      name: o.backend === 'native' ? 'bottleneck-native' : 'onnxruntime-node',
      version: '1.30.0',
      providers: [PROVIDER_OF[o.backend]],
      ...(o.adapter ? { adapter: o.adapter } : {}),
    },
    coldStart: { ...base.coldStart!, firstRunMs: o.firstRunMs ?? base.coldStart!.firstRunMs },
    memory: base.memory && {
      ...base.memory,
      ...(o.gpuBytes !== undefined ? { gpuBytes: o.gpuBytes } : {}),
      ...(o.gpuUnmeasured !== undefined ? { gpuUnmeasured: o.gpuUnmeasured } : {}),
    },
    ...(o.placement ? { placement: o.placement } : {}),
    ...(o.deviceResident ? { deviceResident: o.deviceResident } : {}),
  });
}

/**
 * One block on four backends of one machine (ort-cpu at 1 and 4 threads, ort-webgpu on a discrete
 * GPU with a fallback, ort-webgpu on llvmpipe, ort-cuda with nvidia-smi memory), plus a lone result.
 */
export function fakeDevicesSet(): BenchResult[] {
  const target = { kind: 'block' as const, name: 'bottleneck', params: { mid: 64 } };
  return [
    fakeGpuResult({ id: 'dev-cpu-1t', backend: 'ort-cpu', target, threads: 1, medianMs: 8 }),
    fakeGpuResult({ id: 'dev-cpu-4t', backend: 'ort-cpu', target, threads: 4, medianMs: 4 }),
    fakeGpuResult({
      id: 'dev-webgpu',
      backend: 'ort-webgpu',
      target,
      threads: 0,
      medianMs: 1,
      firstRunMs: 412.5,
      adapter: fakeAdapters.rtx4090,
      placement: {
        nodesByProvider: { WebGpuExecutionProvider: 12, CPUExecutionProvider: 3 },
        fallbackNodes: ['/shape_0', '/gather_1', '/concat_2'],
        fallbackOps: ['Shape', 'Gather', 'Concat'],
        macsByProvider: { WebGpuExecutionProvider: 215_000_000, CPUExecutionProvider: 3_103_808 },
        macsShareByProvider: { WebGpuExecutionProvider: 0.9858, CPUExecutionProvider: 0.0142 },
      },
      deviceResident: {
        medianMs: 0.42,
        samplesMs: [0.41, 0.42, 0.43],
        runsPerBatch: 20,
        method: 'inputs uploaded once, outputs kept on the device; 20 runs per synchronized batch',
      },
      gpuUnmeasured: 'WebGPU exposes no per-process device memory figure',
    }),
    fakeGpuResult({
      id: 'dev-llvmpipe',
      backend: 'ort-webgpu',
      target,
      threads: 0,
      medianMs: 16,
      adapter: fakeAdapters.llvmpipe,
      placement: {
        nodesByProvider: { WebGpuExecutionProvider: 15 },
        fallbackNodes: [],
        fallbackOps: [],
        macsShareByProvider: { WebGpuExecutionProvider: 1 },
      },
      gpuUnmeasured: 'a software adapter holds its buffers in host memory',
    }),
    fakeGpuResult({
      id: 'dev-cuda',
      backend: 'ort-cuda',
      target,
      threads: 0,
      medianMs: 0.5,
      gpuBytes: 512 * 2 ** 20,
      placement: {
        nodesByProvider: { CUDAExecutionProvider: 15 },
        fallbackNodes: [],
        fallbackOps: [],
        macsShareByProvider: { CUDAExecutionProvider: 1 },
      },
    }),
    fakeGpuResult({
      id: 'dev-lone',
      backend: 'ort-cpu',
      target: { kind: 'block', name: 'separable', params: {} },
      medianMs: 0.3,
    }),
  ];
}

/** A kept roofline for tests: peak 50 GFLOP/s and triad 10 GB/s on one thread, 400 and 40 on all 8 (ridge 10 FLOP/B). */
export const FAKE_ROOFLINE = {
  isa: 'avx2',
  threads: 8,
  peakGflops: { oneThread: 50, allThreads: 400 },
  triadGBps: { oneThread: 10, allThreads: 40 },
  ridgeFlopsPerByte: 10,
  measuredAt: '2025-06-01T09:00:00.000Z',
};
