// ONNX Runtime (onnxruntime-node) as a studio backend, one instance per execution provider.
// Providers are detected, never assumed (DESIGN.md): a provider is available only when the
// installed build lists it AND a session on a tiny model can be created and run with it. A session
// is always created with exactly the requested provider; if that fails the job is refused with the
// provider's reason, never retried on CPU.
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import type { BackendConfig, BackendName, OrtBackendName } from '../../shared/contract/job.js';
import { graphToOnnx } from '../../shared/onnx/writer.js';
import { buildTarget } from '../../shared/targets.js';
import {
  RefusedError,
  type Availability,
  type Backend,
  type BackendSession,
  type HostTensor,
  type ProfileReport,
  type SessionOptions,
  type UnavailableKind,
} from './backend.js';
import { readOptimizedGraph, readOrtProfile } from './ort-profile.js';
import { executionProviderFor, onDevice } from './ort-providers.js';
import type { GpuAdapter } from '../../shared/contract/machine.js';
import { webgpuAdapterOf } from '../../shared/hardware/adapters.js';
import { gpuAdapters } from '../machine/gpu-adapters.js';
import { measureDeviceResident } from './ort-device-resident.js';

// ORT's default logger prints provider-library probing failures and opset notes on stderr at
// 'error' level before it throws; the studio reports every failure itself from the thrown error
// (detect() and createSession()), so the log would only repeat it, in red, on the CLI's stderr.
ort.env.logLevel = 'fatal';

interface ProviderInfo {
  /** Name in SessionOptions.executionProviders and in listSupportedBackends(). */
  ep: string;
  /** Name in the runtime's profile (args.provider). */
  provider: string;
  label: string;
  platforms?: NodeJS.Platform[];
  hint?: string;
}

// What onnxruntime-node's install script (script/install.js) reads: ONNXRUNTIME_NODE_INSTALL (or npm's
// --onnxruntime-node-install flag); `cuda12` is its only GPU manifest, for linux/x64 only. It
// downloads the Microsoft.ML.OnnxRuntime.Gpu.Linux NuGet package of the same version.
const CUDA_HINT =
  'install its libraries (downloaded from nuget.org) with: ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js (Linux x64 only; NVIDIA driver, CUDA 12.x and cuDNN 9.x libraries)';

export const ORT_PROVIDERS = {
  'ort-cpu': { ep: 'cpu', provider: 'CPUExecutionProvider', label: 'CPU' },
  'ort-cuda': {
    ep: 'cuda',
    provider: 'CUDAExecutionProvider',
    label: 'CUDA',
    platforms: ['linux', 'win32'],
    hint: CUDA_HINT,
  },
  'ort-tensorrt': {
    ep: 'tensorrt',
    provider: 'TensorrtExecutionProvider',
    label: 'TensorRT',
    platforms: ['linux', 'win32'],
    hint: `TensorRT needs the CUDA provider's libraries and TensorRT itself; ${CUDA_HINT}`,
  },
  'ort-dml': { ep: 'dml', provider: 'DmlExecutionProvider', label: 'DirectML', platforms: ['win32'] },
  'ort-coreml': { ep: 'coreml', provider: 'CoreMLExecutionProvider', label: 'CoreML', platforms: ['darwin'] },
  'ort-webgpu': { ep: 'webgpu', provider: 'WebGpuExecutionProvider', label: 'WebGPU' },
} satisfies Record<OrtBackendName, ProviderInfo>;

export const ORT_RUNTIME = { name: 'onnxruntime-node', version: ort.env.versions.node ?? ort.env.versions.common };

/**
 * WebGPU runs on Vulkan on Linux, and Vulkan's window-system code wants XDG_RUNTIME_DIR (a private
 * folder); a container, a CI job or a service usually has none. When it is unset, this process gets
 * its own (mode 0700, removed at exit) before the first WebGPU session loads the driver. The
 * variable is set through process.env, which Node passes on to the C library (setenv), so the
 * driver sees it. Returns the folder in use, or undefined off Linux.
 */
export function ensureXdgRuntimeDir(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  const current = process.env.XDG_RUNTIME_DIR;
  if (current && existsSync(current)) return current;
  const dir = mkdtempSync(join(tmpdir(), 'studio-xdg-runtime-'));
  chmodSync(dir, 0o700);
  process.env.XDG_RUNTIME_DIR = dir;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const PLATFORM_NAMES: Partial<Record<NodeJS.Platform, string>> = { win32: 'Windows', darwin: 'macOS', linux: 'Linux' };

/** Sorts an ORT failure into a reason a user can act on. */
export function classifyProviderError(info: ProviderInfo, message: string, bundled: boolean): UnavailableKind {
  if (/failed to load (shared )?library|cannot open shared object|LoadLibrary|\.so[.:\s]|\.dll/i.test(message))
    return 'library-missing';
  if (/adapter|no (cuda-capable )?device|cudaErrorNoDevice|driver|no gpu/i.test(message)) return 'no-device';
  if (/backend not found|not (built|compiled)|no available backend/i.test(message) && !bundled) return 'not-bundled';
  return info.ep === 'cpu' ? 'error' : 'no-device';
}

function reasonText(info: ProviderInfo, kind: UnavailableKind, message: string, bundled: boolean): string {
  const short = message.split('\n')[0].slice(0, 300);
  switch (kind) {
    case 'library-missing':
      return `the ${info.label} provider's libraries are missing${bundled ? '' : ' (not bundled in the npm package)'}; ${info.hint ?? 'install them'} (${short})`;
    case 'no-device':
      return `no usable ${info.label} device: ${short}`;
    case 'not-bundled':
      return `this build of onnxruntime-node has no ${info.label} provider (${short})`;
    default:
      return short;
  }
}

let tinyModel: Uint8Array | undefined;
/** A 4x4 convolution: the operator that matters, small enough to try on every provider in milliseconds. */
function tiny(): Uint8Array {
  tinyModel ??= graphToOnnx(buildTarget({ target: 'conv', set: { height: '4', width: '4', channels: '4', out: '4' } }));
  return tinyModel;
}

const detected = new Map<BackendName, Promise<Availability>>();

async function probe(name: BackendName, info: ProviderInfo): Promise<Availability> {
  const base = { backend: name, provider: info.provider };
  const unavailable = (kind: UnavailableKind, reason: string): Availability => ({
    ...base,
    available: false,
    kind,
    reason,
  });
  if (info.platforms && !info.platforms.includes(process.platform))
    return unavailable(
      'platform',
      `${info.label} runs only on ${info.platforms.map((p) => PLATFORM_NAMES[p] ?? p).join(' and ')}; this is ${PLATFORM_NAMES[process.platform] ?? process.platform}`,
    );
  const listed = ort.listSupportedBackends();
  const entry = listed.find((b) => b.name === info.ep);
  if (!entry)
    return unavailable(
      'not-bundled',
      `onnxruntime-node ${ORT_RUNTIME.version} for ${process.platform}-${process.arch} was built without the ${info.label} provider (it offers: ${listed.map((b) => b.name).join(', ')})`,
    );
  if (info.ep === 'webgpu') ensureXdgRuntimeDir();
  try {
    const session = await ort.InferenceSession.create(tiny(), { executionProviders: [info.ep], logSeverityLevel: 4 });
    try {
      const input = new ort.Tensor('float32', new Float32Array(4 * 4 * 4), [1, 4, 4, 4]);
      await session.run({ [session.inputNames[0]]: input });
    } finally {
      await session.release();
    }
    return { ...base, available: true, ...(info.ep === 'webgpu' ? await webgpuAdapter() : {}) };
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    const kind = classifyProviderError(info, msg, entry.bundled);
    return unavailable(kind, reasonText(info, kind, msg, entry.bundled));
  }
}

/** The Vulkan adapter WebGPU runs on here, when one is listed (never throws). */
async function webgpuAdapter(): Promise<{ adapter?: GpuAdapter }> {
  const adapter = webgpuAdapterOf((await gpuAdapters()).adapters);
  return adapter ? { adapter } : {};
}

const ORT_DTYPES: Record<string, ort.Tensor.Type> = {
  float32: 'float32',
  float16: 'float16',
  float64: 'float64',
  int8: 'int8',
  uint8: 'uint8',
  int16: 'int16',
  uint16: 'uint16',
  int32: 'int32',
  uint32: 'uint32',
  int64: 'int64',
  uint64: 'uint64',
  bool: 'bool',
};

class OrtSession implements BackendSession {
  constructor(
    private readonly session: ort.InferenceSession,
    private readonly profileDir: string | undefined,
    private readonly optimizedPath: string | undefined,
    /** What a sibling session for the device-resident measurement needs (WebGPU only). */
    private readonly residentSource?: { model: Uint8Array; options: ort.InferenceSession.SessionOptions },
  ) {
    if (residentSource)
      this.deviceResident = (inputs, plan) =>
        measureDeviceResident(residentSource.model, residentSource.options, inputs, this.prepare(inputs), plan);
  }

  /** WebGPU: the latency with inputs and outputs on the device (ort-device-resident.ts). */
  readonly deviceResident?: BackendSession['deviceResident'];

  prepare(inputs: HostTensor[]): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const t of inputs) {
      const type = ORT_DTYPES[t.dtype];
      if (!type) throw new Error(`input '${t.name}' has type ${t.dtype}, which the benchmark cannot feed`);
      feeds[t.name] = new ort.Tensor(type, t.data as Float32Array, t.shape);
    }
    return feeds;
  }

  // No async wrapper: the worker's timer sees ORT's own promise and nothing else.
  run(inputs: unknown): Promise<unknown> {
    return this.session.run(inputs as Record<string, ort.Tensor>);
  }

  /** Outputs by name, untimed (precision fidelity, as the native session's runNamed). */
  async runNamed(inputs: HostTensor[]): Promise<Record<string, { shape: number[]; data: Float32Array }>> {
    const out = await this.session.run(this.prepare(inputs));
    const named: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [name, t] of Object.entries(out))
      named[name] = { shape: t.dims.map(Number), data: t.data as Float32Array };
    return named;
  }

  async profile(): Promise<ProfileReport> {
    if (!this.profileDir) throw new Error('this session was created without profiling');
    // onnxruntime-node's endProfiling() returns nothing: the trace is the file with our prefix.
    this.session.endProfiling();
    const files = readdirSync(this.profileDir).filter((f) => f.startsWith('ort-profile') && f.endsWith('.json'));
    if (files.length === 0) throw new Error(`ONNX Runtime wrote no profile into ${this.profileDir}`);
    const nodes = readOrtProfile(join(this.profileDir, files.sort().at(-1)!));
    const optimizedGraph =
      this.optimizedPath && existsSync(this.optimizedPath) ? readOptimizedGraph(this.optimizedPath) : undefined;
    return { nodes, optimizedGraph };
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

export class OrtBackend implements Backend {
  readonly provider: string;
  readonly runtime = ORT_RUNTIME;
  private readonly info: ProviderInfo;

  constructor(readonly name: keyof typeof ORT_PROVIDERS) {
    this.info = ORT_PROVIDERS[name];
    this.provider = this.info.provider;
  }

  detect(): Promise<Availability> {
    let p = detected.get(this.name);
    if (!p) {
      p = probe(this.name, this.info);
      detected.set(this.name, p);
    }
    return p;
  }

  async createSession(model: Uint8Array, config: BackendConfig, opts: SessionOptions = {}): Promise<BackendSession> {
    if (this.info.ep === 'webgpu') ensureXdgRuntimeDir();
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: [executionProviderFor(config)],
      intraOpNumThreads: config.intraOpThreads,
      interOpNumThreads: config.interOpThreads,
      graphOptimizationLevel: config.graphOptimization,
      executionMode: config.executionMode,
      enableCpuMemArena: config.memoryArena,
      logSeverityLevel: 3,
    };
    const profileDir = opts.profileDir;
    const optimizedPath = profileDir ? join(profileDir, 'optimized.onnx') : undefined;
    if (profileDir)
      Object.assign(options, {
        enableProfiling: true,
        profileFilePrefix: join(profileDir, 'ort-profile'),
        optimizedModelFilePath: optimizedPath,
      });
    // Only the measured session (not a profiled one) offers the device-resident pass.
    const resident = this.info.ep === 'webgpu' && !profileDir ? { model, options } : undefined;
    try {
      return new OrtSession(await ort.InferenceSession.create(model, options), profileDir, optimizedPath, resident);
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      // Providers that compile subgraphs (TensorRT) cannot save an optimized model: profile without it.
      if (optimizedPath) {
        delete options.optimizedModelFilePath;
        try {
          return new OrtSession(await ort.InferenceSession.create(model, options), profileDir, undefined);
        } catch {
          // fall through: report the original failure
        }
      }
      const av = await this.detect();
      if (!av.available)
        throw new RefusedError(`${this.name}${onDevice(config)} is unavailable on this machine: ${av.reason}`);
      throw new Error(
        `ONNX Runtime could not create a ${this.info.label} session${onDevice(config)}: ${msg.split('\n')[0]}`,
      );
    }
  }
}
