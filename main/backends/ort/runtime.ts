// ONNX Runtime as this machine has it: the installed build's version, the execution providers the
// studio knows (with how to install the missing ones), and which of them work here, found by
// creating and running a session on a tiny model with exactly that provider (cached per process).
// A leaf of the ORT backend's folder: the backend, its variant checks and its runs build on it.
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import type { BackendName, OrtBackendName } from '../../../shared/contract/job.js';
import type { GpuAdapter } from '../../../shared/contract/machine.js';
import { webgpuAdapterOf } from '../../../shared/hardware/adapters.js';
import { graphToOnnx } from '../../../shared/onnx/writer.js';
import { buildTarget } from '../../../shared/targets.js';
import type { Availability, UnavailableKind } from '../backend.js';
import { gpuAdapters } from '../../machine/gpu-adapters.js';

// ORT's default logger prints provider-library probing failures and opset notes on stderr at
// 'error' level before it throws; the studio reports every failure itself from the thrown error
// (detect() and createSession()), so the log would only repeat it, in red, on the CLI's stderr.
ort.env.logLevel = 'fatal';

export interface ProviderInfo {
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

/** Whether a provider works here, and why not (tried once per process, then cached). */
export function detectProvider(name: keyof typeof ORT_PROVIDERS): Promise<Availability> {
  let p = detected.get(name);
  if (!p) {
    p = probe(name, ORT_PROVIDERS[name]);
    detected.set(name, p);
  }
  return p;
}
