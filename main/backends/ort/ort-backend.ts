// ONNX Runtime (onnxruntime-node) as a studio backend, one instance per execution provider.
// Providers are detected, never assumed (DESIGN.md): a provider is available only when the
// installed build lists it AND a session on a tiny model can be created and run with it. A session
// is always created with exactly the requested provider; if that fails the job is refused with the
// provider's reason, never retried on CPU.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
  type SessionCreation,
  type SessionOptions,
} from '../backend.js';
import { parseOrtSessionEvents, readOptimizedGraph, readOrtProfile } from './profile.js';
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

/** What the load phases say of every ONNX Runtime session's creation (LoadPhases.sessionUnseparated). */
const ORT_UNSEPARATED = [
  'ONNX Runtime times graph partitioning, graph optimizations and kernel creation (weight pre-packing included) as one event, session_initialization, so they cannot be told apart',
  "the rest of the creation is outside ONNX Runtime's profiled events: the binding's call and, for a process's first session, the runtime's one-time set-up (its environment; on WebGPU, the device)",
];

/** WebGPU: where its shaders are compiled (LoadPhases.firstRunNotes). */
const WEBGPU_FIRST_RUN =
  "ONNX Runtime's WebGPU provider compiles a kernel's shader pipeline when the kernel first runs: shader compilation is in the first run, not in the session creation";

class OrtSession implements BackendSession {
  constructor(
    private readonly session: ort.InferenceSession,
    private readonly profileDir: string | undefined,
    private readonly optimizedPath: string | undefined,
    /** What a sibling session for the device-resident measurement needs (WebGPU only). */
    private readonly residentSource?: { model: Uint8Array; options: ort.InferenceSession.SessionOptions },
    /** The folder of a profile kept on during creation only (SessionOptions.timeCreation), and the provider. */
    private creationProfile?: { dir: string; ep: string },
  ) {
    if (residentSource)
      this.deviceResident = (inputs, plan) =>
        // The headline session itself reads outputs back from device inputs (the read-back part of the split).
        measureDeviceResident(
          residentSource.model,
          residentSource.options,
          inputs,
          this.prepare(inputs),
          plan,
          session,
        );
  }

  /**
   * The creation's parts from ONNX Runtime's own session events: the profiler was on while the
   * session was created and is ended here, before any run, so no run is profiled (ending it turns the
   * runtime's profiler off; measured on CPU and WebGPU: the warm median is unchanged).
   */
  creation(): SessionCreation {
    const profile = this.creationProfile;
    if (!profile)
      return {
        parts: [],
        unseparated: [
          "this session was created without ONNX Runtime's profiler, so model parsing, graph optimization and kernel creation cannot be told apart",
        ],
      };
    this.creationProfile = undefined;
    const firstRun = profile.ep === 'webgpu' ? [WEBGPU_FIRST_RUN] : [];
    try {
      this.session.endProfiling();
      const file = readdirSync(profile.dir).find((f) => f.startsWith('ort-profile') && f.endsWith('.json'));
      if (!file)
        return {
          parts: [],
          unseparated: ['ONNX Runtime wrote no creation profile, so its parts are unknown'],
          firstRun,
        };
      const events = parseOrtSessionEvents(readFileSync(join(profile.dir, file), 'utf8'));
      const method = (name: string) =>
        `ONNX Runtime's profiler, on while the session was created and ended before its first run: event ${name}`;
      const parts: SessionCreation['parts'] = [];
      if (events.load)
        parts.push({ part: 'load', label: 'model parsed', ms: events.load.ms, method: method(events.load.name) });
      if (events.initialization)
        parts.push({
          part: 'initialization',
          label: 'session initialization (partitioning, graph optimization, kernel creation)',
          ms: events.initialization.ms,
          method: method(events.initialization.name),
        });
      const missing = [
        ...(events.load ? [] : ['model loading']),
        ...(events.initialization ? [] : ['session_initialization']),
      ];
      return {
        parts,
        unseparated: [
          ...ORT_UNSEPARATED,
          ...(missing.length
            ? [`ONNX Runtime's profile has no ${missing.join(' or ')} event, so that part is unknown`]
            : []),
        ],
        firstRun,
      };
    } catch (e) {
      return {
        parts: [],
        unseparated: [
          `ONNX Runtime's creation profile could not be read, so its parts are unknown: ${(e as Error).message}`,
        ],
        firstRun,
      };
    } finally {
      rmSync(profile.dir, { recursive: true, force: true });
    }
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
    // A creation profile nobody read (the job failed before creation()) is removed with the session.
    if (this.creationProfile) rmSync(this.creationProfile.dir, { recursive: true, force: true });
    return this.session.release();
  }
}

export class OrtBackend implements Backend {
  readonly provider: string;
  readonly runtime = ORT_RUNTIME;
  private readonly info: ProviderInfo;
  readonly gpuSplitUnmeasured?: string;

  constructor(readonly name: keyof typeof ORT_PROVIDERS) {
    this.info = ORT_PROVIDERS[name];
    this.provider = this.info.provider;
    this.gpuSplitUnmeasured = gpuSplitUnmeasured(this.info);
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
    // Its creation is profiled (session events only: creation() ends the profile before any run).
    const creationDir = opts.timeCreation && !profileDir ? mkdtempSync(join(tmpdir(), 'studio-create-')) : undefined;
    const createOptions = creationDir
      ? { ...options, enableProfiling: true, profileFilePrefix: join(creationDir, 'ort-profile') }
      : options;
    try {
      const session = await ort.InferenceSession.create(model, createOptions);
      return new OrtSession(
        session,
        profileDir,
        optimizedPath,
        resident,
        creationDir ? { dir: creationDir, ep: this.info.ep } : undefined,
      );
    } catch (e) {
      if (creationDir) rmSync(creationDir, { recursive: true, force: true });
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

/**
 * Why a GPU provider's run cannot be split into upload, compute and read-back here (undefined for
 * CPU and for WebGPU, where device-resident.ts measures the split). onnxruntime-node 1.30 keeps
 * tensors on a device only for WebGPU (Tensor.location 'gpu-buffer'); it has no I/O binding.
 */
function gpuSplitUnmeasured(info: ProviderInfo): string | undefined {
  if (info.ep === 'cpu' || info.ep === 'webgpu') return undefined;
  if (info.ep === 'coreml')
    return 'CoreML decides where the model runs (CPU, GPU or Neural Engine) and moves the tensors itself, so the copies cannot be timed apart from the work';
  // ORT's profile has per run a model_run span and a SequentialExecutor::Execute span inside it, but
  // an asynchronous device's kernels are only launched in the latter and waited for by the output
  // copy, so their difference is not the copies either.
  return `onnxruntime-node has no I/O binding and no ${info.label} tensor location (it keeps tensors on a device for WebGPU only), so every run() copies the inputs to the device, computes and copies the outputs back inside the one call; ${info.label} works asynchronously and ONNX Runtime's profiler times that call and the launching of its kernels, not the copies: upload, compute and read-back cannot be timed apart`;
}
