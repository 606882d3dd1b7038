// ONNX Runtime (onnxruntime-node) as a studio backend, one instance per execution provider.
// Providers are detected, never assumed (DESIGN.md): a provider is available only when the
// installed build lists it AND a session on a tiny model can be created and run with it. A session
// is always created with exactly the requested provider; if that fails the job is refused with the
// provider's reason, never retried on CPU.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import type { BackendConfig } from '../../../shared/contract/job.js';
import type { TensorData } from '../../../shared/ir/types.js';
import {
  RefusedError,
  type Availability,
  type Backend,
  type BackendSession,
  type BuiltVariant,
  type HostTensor,
  type NamedTensor,
  type ProfileReport,
  type SessionOptions,
} from '../backend.js';
import { readOptimizedGraph, readOrtProfile } from './profile.js';
import { detectProvider, ensureXdgRuntimeDir, ORT_PROVIDERS, ORT_RUNTIME, type ProviderInfo } from './runtime.js';
import { checkVariantOnOrt } from './variant-check.js';
import { executionProviderFor, onDevice } from './providers.js';
import type { GpuAdapter } from '../../../shared/contract/machine.js';
import { softwareAdapterFlag, webgpuAdapterOf } from '../../../shared/hardware/adapters.js';
import { gpuAdapters } from '../../machine/gpu-adapters.js';
import { measureDeviceResident } from './device-resident.js';

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

  /** WebGPU: the latency with inputs and outputs on the device (device-resident.ts). */
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
  async runNamed(inputs: HostTensor[]): Promise<Record<string, NamedTensor>> {
    const out = await this.session.run(this.prepare(inputs));
    const named: Record<string, NamedTensor> = {};
    for (const [name, t] of Object.entries(out))
      named[name] = { shape: t.dims.map(Number), data: t.data as TensorData };
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

  /** ONNX Runtime's kernels for the variant, checked on this provider (variant-check.ts). */
  checkVariant(config: BackendConfig, variant: BuiltVariant): Promise<string[]> {
    return checkVariantOnOrt(this.name, config, variant);
  }

  /**
   * WebGPU: the adapter Dawn picks among the Vulkan adapters, and the note that keeps a software
   * adapter's figures from passing as GPU speed (a flag when the adapter is unknown). The other
   * providers name no adapter here.
   */
  async adapterInUse(): Promise<{ adapter?: GpuAdapter; flags: string[]; notes?: string[] }> {
    if (this.info.ep !== 'webgpu') return { flags: [] };
    const report = await gpuAdapters();
    const adapter = webgpuAdapterOf(report.adapters);
    if (!adapter)
      return {
        flags:
          process.platform === 'linux'
            ? [
                `the WebGPU adapter is unknown (${report.notes.join('; ') || 'no Vulkan adapter listed'}): it may be a software device`,
              ]
            : [],
      };
    // A software adapter is information (badged wherever devices are shown), not a warning.
    return { adapter, flags: [], notes: adapter.software ? [softwareAdapterFlag(adapter)] : [] };
  }

  detect(): Promise<Availability> {
    return detectProvider(this.name);
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
