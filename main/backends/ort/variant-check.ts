// What ONNX Runtime really runs of a precision variant, checked before anything is timed (the ORT
// backends' checkVariant): the kernels of the optimized graph, a profiled run that proves fp16
// kernels, and the refusals that name what is missing (a provider without float16 kernels, an
// adapter without shader-f16).
import type { InferenceSession } from 'onnxruntime-node';
import type { BackendConfig, BackendName } from '../../../shared/contract/job.js';
import { decodeModel } from '../../../shared/precision/model-proto.js';
import { RefusedError, type BuiltVariant } from '../backend.js';
import { describeVulkanF16, offersShaderF16, vulkanF16Devices } from '../../machine/vulkan-details.js';
import { detectProvider, ensureXdgRuntimeDir, ORT_PROVIDERS, ORT_RUNTIME } from './runtime.js';
import { executionProviderFor } from './providers.js';
import { optimizedNodes, profiledKernels, type ProfiledKernel } from './runs.js';

/** ONNX Runtime's integer kernels: the sign that QDQ nodes were fused. */
export const INTEGER_KERNELS = new Set([
  'QLinearConv',
  'ConvInteger',
  'MatMulInteger',
  'MatMulIntegerToFloat',
  'QGemm',
  'QLinearMatMul',
  'QLinearAdd',
  'QLinearMul',
  'QLinearAveragePool',
  'QLinearGlobalAveragePool',
  'QLinearConcat',
  'DynamicQuantizeMatMul',
  'NhwcQLinearConv',
]);

const FLOAT_TYPE = 1;

/**
 * What ONNX Runtime really does with a variant on an ORT backend, before anything is timed:
 * - fp16: when the provider has no float16 kernel for an operator, ORT inserts Cast nodes and runs
 *   it in float32. That is not an fp16 measurement, so it is refused, naming the operators. Where
 *   no Cast was inserted, one profiled run proves it: every kernel of the model must run with
 *   float16 inputs (the profile names the provider of each), and the run must succeed: the WebGPU
 *   provider registers float16 kernels whatever the adapter, and only when it compiles their
 *   shaders does it find out whether the device has shader-f16. The proof becomes a note.
 * - int8: the kernels of the optimized graph are recorded; without integer kernels a flag says the
 *   variant runs as float quantize-dequantize.
 * Which provider can run fp16 is never listed here: each job finds out on its own machine.
 * Returns flags for the result.
 */
export async function checkVariantOnOrt(
  backend: BackendName,
  config: Pick<BackendConfig, 'graphOptimization' | 'deviceId'>,
  built: BuiltVariant,
): Promise<string[]> {
  const info = ORT_PROVIDERS[backend as keyof typeof ORT_PROVIDERS];
  if (!info) return [];
  // The job's own device (a CUDA job on device 1 is checked on device 1).
  const ep = executionProviderFor({ backend, deviceId: config.deviceId });
  const precision = built.details.precision;
  if (info.ep === 'webgpu') ensureXdgRuntimeDir();
  let nodes;
  try {
    // fp16: at level 'disabled' the Casts ORT inserts stay visible (later levels fold them into the weights).
    nodes = await optimizedNodes(built.bytes, ep, precision === 'fp16' ? 'disabled' : config.graphOptimization);
  } catch (e) {
    const msg = ((e as Error).message ?? String(e)).split('\n')[0];
    const av = await detectProvider(backend as keyof typeof ORT_PROVIDERS);
    if (!av.available) throw new RefusedError(`${backend} is unavailable on this machine: ${av.reason}`);
    if (precision === 'fp16' && lacksShaderF16(msg)) throw await shaderF16Refusal(backend, msg);
    if (/NOT_IMPLEMENTED|Could not find an implementation/i.test(msg))
      throw new RefusedError(
        `${backend} cannot run the ${precision} variant: ONNX Runtime has no kernel for it (${msg})`,
      );
    // Providers that compile the graph themselves (TensorRT) cannot save an optimized model.
    return [`could not read ONNX Runtime's optimized graph to verify which ${precision} kernels run: ${msg}`];
  }
  if (precision === 'fp16') {
    const modelNodes = nodeNames(built.bytes);
    const fallback = nodes.filter(
      (n) => n.op !== 'Cast' && n.inputType === FLOAT_TYPE && !isLayoutTranspose(n, modelNodes),
    );
    if (fallback.length) {
      const ops = [...new Set(fallback.map((n) => n.op))];
      // Operators ORT put a Cast to float32 in front of: those it has no float16 kernel for here.
      const missing = [...new Set(fallback.filter((n) => n.fedByFloatCast).map((n) => n.op))];
      throw new RefusedError(
        `${backend} cannot run the fp16 variant: ${ORT_RUNTIME.name} ${ORT_RUNTIME.version}'s ${info.label} provider has no float16 kernel for ${(missing.length ? missing : ops).join(', ')} on this machine (${process.platform}-${process.arch}), so ONNX Runtime inserts Cast nodes and computes ${fallback.length} of ${nodes.filter((n) => n.op !== 'Cast').length} nodes (${ops.join(', ')}) in float32: that would be an fp32 measurement labeled fp16. Run fp16 on a GPU provider instead (ort-cuda, or ort-webgpu on an adapter with shader-f16).`,
      );
    }
    return proveFp16Kernels(backend, info, ep, config, built);
  }
  const kernels: Record<string, number> = {};
  for (const n of nodes) kernels[n.op] = (kernels[n.op] ?? 0) + 1;
  if (built.details.quantization) built.details.quantization.runtimeKernels = kernels;
  const integer = nodes.filter((n) => INTEGER_KERNELS.has(n.op)).length;
  if (integer === 0)
    return [
      `ONNX Runtime fused no QDQ group into an integer kernel (graph optimization '${config.graphOptimization}'): the int8 variant runs as float quantize-dequantize, so its latency is not int8 latency`,
    ];
  return [];
}

/** ORT's WebGPU provider on a device without shader-f16: a shader it builds needs `enable f16;` (shader_helper.cc). */
export function lacksShaderF16(message: string): boolean {
  return /requires f16 but the device does not support it|shader-?f16/i.test(message);
}

/** The refusal for an adapter without shader-f16, with what Vulkan says about the device when it can tell. */
export async function shaderF16Refusal(backend: BackendName, message: string): Promise<RefusedError> {
  const av = await detectProvider(backend as keyof typeof ORT_PROVIDERS);
  const name = av.adapter?.name;
  const devices = await vulkanF16Devices();
  const vk = devices.find((d) => d.device === name) ?? (devices.length === 1 ? devices[0] : undefined);
  return new RefusedError(
    `${backend} cannot run the fp16 variant: the WebGPU adapter${name ? ` (${name})` : ''} does not offer WebGPU's shader-f16 feature, so ${ORT_RUNTIME.name} ${ORT_RUNTIME.version}'s WebGPU provider cannot compile its float16 shaders (${message.split('\n')[0].slice(0, 300)})${vk ? `; Vulkan reports for ${vk.device}: ${describeVulkanF16(vk) || 'no 16-bit features'}${offersShaderF16(vk) ? '' : ' (shader-f16 needs shaderFloat16 and storageBuffer16BitAccess)'}` : ''}. What would help: a GPU whose Vulkan driver exposes shaderFloat16 and 16-bit storage buffers (a newer driver may add them), or fp16 on ort-cuda; fp32 runs on this adapter.`,
  );
}

const nodeNames = (bytes: Uint8Array) => new Set((decodeModel(bytes).graph?.node ?? []).map((n) => n.name ?? ''));

/**
 * A Transpose ONNX Runtime added to change layouts (NCHW <-> NHWC around the WebGPU provider's
 * NHWC kernels; the last one runs after the boundary Cast, in float32): its name is not one of
 * the model's. ORT renames the nodes it rewrites `<name>_token_<n>`.
 */
function isLayoutTranspose(n: { op: string; name: string }, modelNodes: Set<string>): boolean {
  return n.op === 'Transpose' && !modelNodes.has(n.name.replace(/_token_\d+$/, ''));
}

/** Kernels of a profiled fp16 run, sorted by what they prove. */
export interface Fp16KernelReport {
  /** Kernels of the model that computed with float16 inputs on the requested provider. */
  onProvider: ProfiledKernel[];
  /** Kernels of the model that computed with float16 inputs, but on another provider. */
  elsewhere: ProfiledKernel[];
  /** Kernels of the model whose first input was float32: computed in float32. */
  float32: ProfiledKernel[];
  /** Casts (the boundary ones and any ORT adds), copies between devices and the layout Transposes ORT adds. */
  conversions: ProfiledKernel[];
}

/**
 * Sorts the kernels of a profiled fp16 run. Casts, Memcpy and the layout Transposes ONNX Runtime
 * adds convert data and count as conversions; every other kernel is the model's computation,
 * judged by its first (data) input's type, since some operators take float32 side inputs by
 * specification (Resize's scales).
 */
export function sortFp16Kernels(
  kernels: ProfiledKernel[],
  provider: string,
  modelNodes: Set<string>,
): Fp16KernelReport {
  const report: Fp16KernelReport = { onProvider: [], elsewhere: [], float32: [], conversions: [] };
  for (const k of kernels) {
    if (k.op === 'Cast' || k.op.startsWith('Memcpy') || isLayoutTranspose(k, modelNodes)) report.conversions.push(k);
    else if (k.inputTypes[0] === 'float') report.float32.push(k);
    else if (k.provider === provider) report.onProvider.push(k);
    else report.elsewhere.push(k);
  }
  return report;
}

const countOps = (ks: ProfiledKernel[]) => {
  const c: Record<string, number> = {};
  for (const k of ks) c[k.op] = (c[k.op] ?? 0) + 1;
  return Object.entries(c)
    .map(([op, n]) => `${n} ${op}`)
    .join(', ');
};

/** The profiled run of an fp16 variant: refuses float32 computation and a device without shader-f16; the proof becomes a note. */
async function proveFp16Kernels(
  backend: BackendName,
  info: { ep: string; provider: string; label: string },
  ep: InferenceSession.ExecutionProviderConfig,
  config: Pick<BackendConfig, 'graphOptimization'>,
  built: BuiltVariant,
): Promise<string[]> {
  let kernels: ProfiledKernel[];
  try {
    kernels = await profiledKernels(built.bytes, ep, config.graphOptimization);
  } catch (e) {
    const msg = ((e as Error).message ?? String(e)).split('\n')[0];
    if (lacksShaderF16(msg)) throw await shaderF16Refusal(backend, msg);
    return [
      `could not profile the fp16 variant on ${info.provider} to verify that its kernels compute in float16: ${msg}`,
    ];
  }
  const r = sortFp16Kernels(kernels, info.provider, nodeNames(built.bytes));
  if (r.float32.length) {
    const where = r.float32
      .slice(0, 5)
      .map((k) => `${k.name} on ${k.provider}`)
      .join(', ');
    throw new RefusedError(
      `${backend} cannot run the fp16 variant: in a profiled run ${r.float32.length} of ${kernels.length - r.conversions.length} kernels computed in float32 (${countOps(r.float32)}: ${where}), so ONNX Runtime converts to float32 around them: that would be an fp32 measurement labeled fp16.`,
    );
  }
  if (r.onProvider.length + r.elsewhere.length === 0)
    return [
      `the profiled run of the fp16 variant on ${info.provider} showed no kernel of the model, so what computes in float16 is unknown`,
    ];
  built.details.notes.push(
    `fp16 kernels checked on ${ORT_RUNTIME.name} ${ORT_RUNTIME.version} by a profiled run before timing: ${r.onProvider.length} of ${r.onProvider.length + r.elsewhere.length} computed with float16 inputs on ${info.provider}${r.onProvider.length ? ` (${countOps(r.onProvider)})` : ''}; ${r.conversions.length} conversion kernels (boundary Casts, layout Transposes) around them`,
  );
  return r.elsewhere.length
    ? [
        `${r.elsewhere.length} fp16 kernels ran outside ${info.provider} (${r.elsewhere.map((k) => `${k.name} on ${k.provider}`).join(', ')}): their time is not ${info.label} time`,
      ]
    : [];
}

/** Non-finite figures become null (JSON has no Infinity or NaN). */
