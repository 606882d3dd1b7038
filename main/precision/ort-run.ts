// One-off ONNX Runtime CPU runs outside any timed region: the fp32 reference of fidelity, and the
// calibration runs of the int8 variant.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import type { OutputTensor } from '../../shared/precision/fidelity.js';
import { onnx } from '../../shared/onnx/tensor.js';
import type { HostTensor } from '../backends/backend.js';
import { ORT_RUNTIME } from '../backends/ort.js';

export const REFERENCE_NAME = `${ORT_RUNTIME.name} ${ORT_RUNTIME.version} CPU, fp32`;

export function feedsOf(inputs: HostTensor[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const t of inputs) feeds[t.name] = new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, t.shape);
  return feeds;
}

/** Float outputs of an ORT result, by name, as plain arrays (float16 outputs are not expected: casts keep fp32). */
export function outputsOf(result: Record<string, ort.Tensor>): OutputTensor[] {
  return Object.entries(result).map(([name, t]) => ({
    name,
    shape: t.dims.map(Number),
    data: t.data as Float32Array,
  }));
}

/** A CPU session for one-off runs: all optimizations, threads left to the runtime. */
export function cpuSession(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], logSeverityLevel: 3 });
}

/** The fp32 reference: one run of the model on ONNX Runtime's CPU provider. */
export async function referenceOutputs(bytes: Uint8Array, inputs: HostTensor[]): Promise<OutputTensor[]> {
  const session = await cpuSession(bytes);
  try {
    return outputsOf(await session.run(feedsOf(inputs)));
  } finally {
    await session.release();
  }
}

/**
 * The operators of the graph ONNX Runtime would run for `bytes` on `ep` at `level`, read back from
 * the optimized model it saves (session option optimizedModelFilePath). `types` carries each
 * node's first-input element type where it can be followed from the inputs (ONNX type codes), and
 * whether a Cast to float32 feeds it.
 */
export async function optimizedNodes(
  bytes: Uint8Array,
  ep: string,
  level: 'disabled' | 'basic' | 'extended' | 'all',
): Promise<{ op: string; inputType?: number; name: string; fedByFloatCast: boolean }[]> {
  const dir = mkdtempSync(join(tmpdir(), 'studio-precision-'));
  const path = join(dir, 'optimized.onnx');
  try {
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: [ep],
      graphOptimizationLevel: level,
      optimizedModelFilePath: path,
      logSeverityLevel: 3,
    });
    await session.release();
    const model = onnx.ModelProto.decode(readFileSync(path));
    const g = model.graph!;
    const types = new Map<string, number>();
    const floatCasts = new Set<string>();
    for (const v of g.input ?? []) types.set(v.name ?? '', v.type?.tensorType?.elemType ?? 0);
    for (const t of g.initializer ?? []) types.set(t.name ?? '', t.dataType ?? 0);
    return (g.node ?? []).map((n) => {
      const inputType = types.get(n.input?.[0] ?? '');
      const to = (n.attribute ?? []).find((a) => a.name === 'to');
      const outType = n.opType === 'Cast' && to ? Number(to.i) : inputType;
      for (const o of n.output ?? []) if (outType !== undefined) types.set(o, outType);
      const fedByFloatCast = (n.input ?? []).some((i) => floatCasts.has(i));
      if (n.opType === 'Cast' && outType === 1) for (const o of n.output ?? []) floatCasts.add(o);
      return { op: n.opType ?? '', inputType, name: n.name ?? '', fedByFloatCast };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
