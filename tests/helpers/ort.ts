// ONNX Runtime (onnxruntime-node, CPU) for the ONNX tests: one place that turns a load refusal
// into a StudioError naming the operator and its version, the way the studio must report it.
import type { BackendConfig } from '../../shared/contract/job.js';
import ort from 'onnxruntime-node';
import { StudioError } from '../../shared/ir/types.js';

// ORT prints opset-support warnings for old files on stderr; the tests assert on errors, not on those.
ort.env.logLevel = 'error';

export async function createSession(model: Uint8Array, label: string): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(model, { logSeverityLevel: 3, graphOptimizationLevel: 'all' });
  } catch (e) {
    const msg = (e as Error).message;
    const m = /Could not find an implementation for (\w+)\((\d+)\)/.exec(msg);
    if (m)
      throw new StudioError(
        `ONNX Runtime ${ort.env.versions.common} cannot run ${label}: it has no implementation of operator ${m[1]} version ${m[2]}`,
        'unsupported',
      );
    throw new StudioError(`ONNX Runtime could not load ${label}: ${msg}`, 'runtime-error');
  }
}

export async function runFloat(
  session: ort.InferenceSession,
  feeds: Record<string, { shape: number[]; data: Float32Array }>,
): Promise<Record<string, { shape: number[]; data: Float32Array }>> {
  const inputs: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) inputs[k] = new ort.Tensor('float32', v.data, v.shape);
  const out = await session.run(inputs);
  const res: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [k, t] of Object.entries(out)) res[k] = { shape: [...t.dims], data: t.data as Float32Array };
  return res;
}

/** numpy.allclose-style check: |a - b| <= atol + rtol * |b|; returns the worst offender for the message. */
export function allClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number) {
  let worst = { index: -1, actual: 0, expected: 0, excess: 0 };
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - (atol + rtol * Math.abs(expected[i]));
    if (!(excess <= worst.excess) || Number.isNaN(actual[i]))
      worst = { index: i, actual: actual[i], expected: expected[i], excess };
  }
  return { ok: worst.index < 0 && actual.length === expected.length, worst };
}

/** A backend configuration for tests: one intra-op and one inter-op thread, defaults otherwise. */
export function testBackendConfig(backend: BackendConfig['backend']): BackendConfig {
  return {
    backend,
    intraOpThreads: 1,
    interOpThreads: 1,
    graphOptimization: 'all',
    executionMode: 'sequential',
    memoryArena: true,
    profiling: false,
  };
}
