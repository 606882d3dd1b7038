// Backend name -> implementation. A new backend (the native kernels) is one line here.
import { BACKEND_NAMES, type BackendName } from '../../shared/contract/job.js';
import type { Availability, Backend } from './backend.js';
import { NativeBackend } from './native.js';
import { OrtBackend } from './ort/ort-backend.js';

const BACKENDS: Record<BackendName, () => Backend> = {
  'ort-cpu': () => new OrtBackend('ort-cpu'),
  'ort-cuda': () => new OrtBackend('ort-cuda'),
  'ort-tensorrt': () => new OrtBackend('ort-tensorrt'),
  'ort-dml': () => new OrtBackend('ort-dml'),
  'ort-coreml': () => new OrtBackend('ort-coreml'),
  'ort-webgpu': () => new OrtBackend('ort-webgpu'),
  native: () => new NativeBackend(),
};

const instances = new Map<BackendName, Backend>();

export function getBackend(name: BackendName): Backend {
  let b = instances.get(name);
  if (!b) {
    b = BACKENDS[name]();
    instances.set(name, b);
  }
  return b;
}

/**
 * Every known backend, available or not, each with its reason. Tries each provider in turn (in this
 * process): a few milliseconds per provider once the runtime is loaded; results are cached.
 */
export async function detectBackends(names: readonly BackendName[] = BACKEND_NAMES): Promise<Availability[]> {
  const out: Availability[] = [];
  // One at a time: providers share the runtime's global state, and GPU drivers dislike concurrent init.
  for (const n of names) out.push(await getBackend(n).detect());
  return out;
}
