// The execution-provider entry of an ONNX Runtime session, built from a job's backend configuration.
// Pure (type-only import of onnxruntime-node), so every provider's configuration is unit-tested on
// any machine, including the providers that cannot run on it.
//
// What onnxruntime-node 1.30's binding really reads (js/node/src/session_options_helper.cc):
// `deviceId` for cuda, tensorrt and dml; for webgpu only its listed options (any other property,
// deviceId included, makes session creation throw "WebGPU EP has an unrecognized option");
// `coreMlFlags` for coreml; nothing for cpu.
import type { InferenceSession } from 'onnxruntime-node';
import type { BackendConfig, BackendName } from '../../../shared/contract/job.js';
import { StudioError } from '../../../shared/ir/types.js';

/** Backends whose provider is told which GPU to use: the binding passes deviceId to these only. */
export const DEVICE_ID_BACKENDS = ['ort-cuda', 'ort-tensorrt', 'ort-dml'] as const;
export type DeviceIdBackend = (typeof DEVICE_ID_BACKENDS)[number];

/** Why each other backend takes no device id: the refusal tells the user. */
const NO_DEVICE_ID: Record<Exclude<BackendName, DeviceIdBackend>, string> = {
  'ort-cpu': 'runs on the CPU and has no device to choose',
  native: 'runs on the CPU (the studio kernels) and has no device to choose',
  'ort-webgpu': "picks its graphics adapter itself (onnxruntime-node's WebGPU provider takes no device id)",
  'ort-coreml': 'picks its device itself (CoreML takes flags, not a device id)',
};

export function takesDeviceId(backend: BackendName): backend is DeviceIdBackend {
  return (DEVICE_ID_BACKENDS as readonly string[]).includes(backend);
}

/** Throws a StudioError when a device id is given to a backend that cannot select a device. */
export function checkDeviceId(backend: BackendName, deviceId: number | undefined): void {
  if (deviceId === undefined || takesDeviceId(backend)) return;
  throw new StudioError(
    `${backend} ${NO_DEVICE_ID[backend]}; drop --device (device ids select a GPU of ${DEVICE_ID_BACKENDS.join(', ')}), or bench ${backend} in a separate command`,
    'bad-parameter',
  );
}

/** " on device N" when the configuration names a device, for messages about a session. */
export function onDevice(config: Pick<BackendConfig, 'deviceId'>): string {
  return config.deviceId === undefined ? '' : ` on device ${config.deviceId}`;
}

/**
 * Provider options the job configuration does not carry (BackendConfig has no field for them yet):
 * the typings' own option types, less what onnxruntime-node cannot take (WebGPU's `device` is a
 * browser GPUDevice, which the Node binding refuses as an unrecognized option).
 */
export interface ProviderTuning {
  webgpu?: Omit<InferenceSession.WebGpuExecutionProviderOption, 'name' | 'device'>;
  coreml?: Pick<InferenceSession.CoreMLExecutionProviderOption, 'coreMlFlags'>;
}

/**
 * The one entry of SessionOptions.executionProviders for a job: exactly the requested provider
 * (no CPU entry after it: a job never falls back silently, DESIGN.md). GPU providers that take a
 * device id always get one (0 when the configuration names none), so the entry says which GPU.
 *
 * TensorRT gets its device id only: its precision switches (trt_fp16_enable, trt_int8_enable) are
 * not reachable through onnxruntime-node 1.30 (neither its typings nor its binding pass them), so a
 * TensorRT job runs the precision of its model; an fp16 job asks for fp16 with the fp16 variant.
 */
export function executionProviderFor(
  config: Pick<BackendConfig, 'backend' | 'deviceId'>,
  tuning: ProviderTuning = {},
): InferenceSession.ExecutionProviderConfig {
  const { backend } = config;
  checkDeviceId(backend, config.deviceId);
  const deviceId = config.deviceId ?? 0;
  switch (backend) {
    case 'ort-cpu':
      return 'cpu';
    case 'ort-cuda':
      return { name: 'cuda', deviceId } satisfies InferenceSession.CudaExecutionProviderOption;
    case 'ort-tensorrt':
      return { name: 'tensorrt', deviceId } satisfies InferenceSession.TensorRtExecutionProviderOption;
    case 'ort-dml':
      return { name: 'dml', deviceId } satisfies InferenceSession.DmlExecutionProviderOption;
    case 'ort-webgpu':
      return { ...tuning.webgpu, name: 'webgpu' } satisfies InferenceSession.WebGpuExecutionProviderOption;
    case 'ort-coreml':
      return { ...tuning.coreml, name: 'coreml' } satisfies InferenceSession.CoreMLExecutionProviderOption;
    case 'native':
      throw new StudioError('native is the studio kernels, not an ONNX Runtime backend: it has no execution provider');
  }
}
