// One-off ONNX Runtime runs outside any timed region: the fp32 reference of fidelity, the
// calibration runs of the int8 variant (CPU), and the checks of what a variant really runs on a
// provider (the optimized graph it saves, one profiled run).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import type { OutputTensor } from '../../../shared/precision/fidelity.js';
import { onnx, type OnnxTypes } from '../../../shared/onnx/tensor.js';
import type { HostTensor } from '../backend.js';
import { ORT_RUNTIME } from './runtime.js';

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
  ep: ort.InferenceSession.ExecutionProviderConfig,
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

/** One kernel of a profiled run: the node, the provider that ran it, its inputs' element types. */
export interface ProfiledKernel {
  name: string;
  op: string;
  provider: string;
  /** ONNX Runtime's type names, in input order: 'float' is float32, 'float16', 'int64'... */
  inputTypes: string[];
}

/** Zero-filled feeds for a model's graph inputs (symbolic dimensions as 1); the values do not matter here. */
function zeroFeeds(model: OnnxTypes.IModelProto): Record<string, ort.Tensor> {
  const g = model.graph!;
  const init = new Set((g.initializer ?? []).map((t) => t.name));
  const feeds: Record<string, ort.Tensor> = {};
  for (const v of g.input ?? []) {
    if (!v.name || init.has(v.name)) continue;
    const t = v.type?.tensorType;
    const shape = (t?.shape?.dim ?? []).map((d) => (d.dimValue ? Number(d.dimValue) : 1));
    const n = shape.reduce((a, b) => a * b, 1);
    switch (t?.elemType) {
      case 1:
        feeds[v.name] = new ort.Tensor('float32', new Float32Array(n), shape);
        break;
      case 10:
        feeds[v.name] = new ort.Tensor('float16', new Uint16Array(n), shape);
        break;
      case 7:
        feeds[v.name] = new ort.Tensor('int64', new BigInt64Array(n), shape);
        break;
      case 6:
        feeds[v.name] = new ort.Tensor('int32', new Int32Array(n), shape);
        break;
      default:
        throw new Error(`graph input '${v.name}' has element type ${t?.elemType}, which the kernel check cannot feed`);
    }
  }
  return feeds;
}

/** Node events of an ONNX Runtime profile (chrome trace), one entry per node. */
export function parseProfiledKernels(json: string): ProfiledKernel[] {
  const events = JSON.parse(json) as {
    cat?: string;
    name?: string;
    args?: { op_name?: string; provider?: string; input_type_shape?: Record<string, unknown>[] };
  }[];
  const byName = new Map<string, ProfiledKernel>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || byName.has(e.name)) continue;
    byName.set(e.name, {
      name: e.name.slice(0, -'_kernel_time'.length),
      op: e.args?.op_name ?? '?',
      provider: e.args?.provider ?? '?',
      inputTypes: (e.args?.input_type_shape ?? []).map((t) => Object.keys(t)[0] ?? '?'),
    });
  }
  return [...byName.values()];
}

/**
 * The kernels ONNX Runtime really runs for `bytes` on `ep` at `level`: one profiled run on zero
 * inputs (session option enableProfiling), read back from the trace it writes, with the provider
 * of each node (args.provider) and the element types its inputs had (args.input_type_shape). A
 * kernel that cannot compile or run on the device throws here, before anything is timed.
 */
export async function profiledKernels(
  bytes: Uint8Array,
  ep: ort.InferenceSession.ExecutionProviderConfig,
  level: 'disabled' | 'basic' | 'extended' | 'all',
): Promise<ProfiledKernel[]> {
  const dir = mkdtempSync(join(tmpdir(), 'studio-precision-profile-'));
  try {
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: [ep],
      graphOptimizationLevel: level,
      enableProfiling: true,
      profileFilePrefix: join(dir, 'ort-profile'),
      logSeverityLevel: 3,
    });
    try {
      await session.run(zeroFeeds(onnx.ModelProto.decode(bytes)));
      // onnxruntime-node's endProfiling() returns nothing: the trace is the one file in `dir`.
      session.endProfiling();
    } finally {
      await session.release();
    }
    const file = readdirSync(dir).find((f) => f.startsWith('ort-profile') && f.endsWith('.json'));
    if (!file) throw new Error(`ONNX Runtime wrote no profile into ${dir}`);
    return parseProfiledKernels(readFileSync(join(dir, file), 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
