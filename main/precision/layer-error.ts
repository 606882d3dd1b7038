// Layer error (issue 21): where an fp16 or int8 variant loses accuracy. The fp32 model and the
// variant run on ONNX Runtime's CPU provider with every float node output of the studio graph added
// as an extra graph output, on the same seeded inputs every backend is fed, and each tensor is
// compared with its fp32 counterpart as each sample's outputs arrive (only sums are kept: a
// ResNet-50's intermediates are hundreds of MB per sample). The variant is built exactly as the
// benchmark and the `precision` command build it (the same calibration), and also run as it is, with
// no extra outputs, for the whole-model figure the studio's fidelity computes.
import type ort from 'onnxruntime-node';
import { LayerErrorSpecSchema, type LayerErrorReport, type LayerErrorSpec } from '../../shared/contract/layer-error.js';
import { StudioError, type Graph } from '../../shared/ir/types.js';
import {
  buildLayerErrorReport,
  halfBitsToFloat32,
  missingTensorReason,
  TensorErrorSums,
  type TensorErrorFigures,
} from '../../shared/precision/layer-error.js';
import { decodeModel, encodeModel } from '../../shared/precision/model-proto.js';
import { makeInputs } from '../backends/inputs.js';
import { cpuSession, feedsOf, optimizedNodes } from '../backends/ort/runs.js';
import { ORT_RUNTIME } from '../backends/ort/runtime.js';
import { INTEGER_KERNELS } from '../backends/ort/variant-check.js';
import { buildVariant } from './variant.js';

export interface LayerErrorProgress {
  phase: string;
  message: string;
  fraction?: number;
  done?: number;
  total?: number;
}

/** The spec checked, with the reason named field by field (it may have crossed a process boundary). */
export function parseLayerErrorSpec(raw: unknown): LayerErrorSpec {
  const parsed = LayerErrorSpecSchema.safeParse(raw);
  if (!parsed.success)
    throw new StudioError(
      `invalid layer-error settings: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'spec'}: ${i.message}`).join('; ')}`,
      'bad-parameter',
    );
  return parsed.data;
}

/**
 * `bytes` with `tensors` added as graph outputs. No type is declared: ONNX Runtime infers it, so
 * the same helper serves fp32, the int8 variant (whose original tensor names are the
 * DequantizeLinear outputs, float32) and the fp16 variant (whose intermediates are float16).
 */
export function withExtraOutputs(bytes: Uint8Array, tensors: readonly string[]): Uint8Array {
  const model = decodeModel(bytes);
  const g = model.graph!;
  const present = new Set([...(g.output ?? []), ...(g.input ?? [])].map((o) => o.name ?? ''));
  g.output = [...(g.output ?? []), ...tensors.filter((t) => !present.has(t)).map((name) => ({ name }))];
  return encodeModel(model);
}

/** Names of every tensor a model's nodes produce. */
function producedTensors(bytes: Uint8Array): Set<string> {
  return new Set((decodeModel(bytes).graph?.node ?? []).flatMap((n) => (n.output ?? []).filter(Boolean)));
}

/** An ORT output as float values: float16 comes back as bit patterns (no Float16Array in Node 20). */
function floatData(t: ort.Tensor, name: string): ArrayLike<number> {
  if (t.type === 'float32' || t.type === 'float64') return t.data as Float32Array | Float64Array;
  if (t.type === 'float16')
    return t.data instanceof Uint16Array ? halfBitsToFloat32(t.data) : (t.data as unknown as ArrayLike<number>);
  throw new Error(`tensor '${name}' came back as ${t.type}, not a float type`);
}

function describeTarget(spec: LayerErrorSpec, graph: Graph): string {
  if (spec.label) return spec.label;
  const t = spec.target;
  if (t.kind === 'file') return t.path;
  const params = Object.entries(t.params)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',');
  const variant = t.kind === 'model' && graph.meta.variant ? ` (${graph.meta.variant})` : '';
  return `${t.name}${params ? `:${params}` : ''}${variant}`;
}

const count = (ops: { op: string }[], pred: (op: string) => boolean) => ops.filter((n) => pred(n.op)).length;

/**
 * Compares fp32 with the spec's variant, node output by node output (see the file comment).
 * `graph` is the studio graph of `fp32` (the model bytes ONNX Runtime runs); resolving a target into
 * them is the caller's (main/tasks/layer-error.ts), as the engine resolves a job's.
 */
export async function compareLayers(
  spec: LayerErrorSpec,
  graph: Graph,
  fp32: Uint8Array,
  onProgress: (p: LayerErrorProgress) => void = () => {},
): Promise<LayerErrorReport> {
  onProgress({ phase: 'build', message: `building the ${spec.precision} variant` });
  const built = await buildVariant(fp32, graph, spec.precision, { calibration: spec.calibration });

  // What is compared: every node output of the studio graph that is a float32 tensor in fp32 and
  // has a tensor of the same name in the variant.
  const inFp32 = producedTensors(fp32);
  const inVariant = producedTensors(built.bytes);
  const skipped: LayerErrorReport['skipped'] = [];
  const tensors: string[] = [];
  for (const n of graph.nodes)
    for (const t of n.outputs) {
      if (!t) continue;
      const dtype = graph.values.get(t)?.dtype;
      if (dtype !== undefined && dtype !== 'float32')
        skipped.push({ tensor: t, reason: `a ${dtype} tensor, not a float32 activation (shape or index computation)` });
      else if (!inFp32.has(t))
        skipped.push({ tensor: t, reason: 'the fp32 model ONNX Runtime runs has no tensor of this name' });
      else if (!inVariant.has(t)) skipped.push({ tensor: t, reason: missingTensorReason(graph, t, inVariant) });
      else tensors.push(t);
    }
  if (!tensors.length)
    throw new StudioError(
      `${describeTarget(spec, graph)} has no float32 node output that both fp32 and the ${spec.precision} variant compute; nothing to compare`,
      'unsupported',
    );
  const outputs = graph.outputs.map((o) => o.name);

  onProgress({
    phase: 'sessions',
    message: `loading fp32 and ${spec.precision} on ONNX Runtime CPU (${tensors.length} tensors as outputs)`,
  });
  const fp32Instrumented = withExtraOutputs(fp32, tensors);
  const variantInstrumented = withExtraOutputs(built.bytes, tensors);
  const notes = [...built.details.notes];
  notes.push(
    `every compared tensor is an extra graph output of both models, which stops ONNX Runtime from fusing across it where the fusion would remove the tensor: fp32 then runs BatchNormalization and activations as their own kernels instead of folding them into the Conv (a float32 rounding difference, about 1e-7, far below any variant's error)`,
  );
  if (spec.precision === 'int8') {
    // QDQ groups whose DequantizeLinear output is a graph output stay unfused (float QDQ).
    const plain = await optimizedNodes(built.bytes, 'cpu', 'all');
    const instrumented = await optimizedNodes(variantInstrumented, 'cpu', 'all');
    const isInt = (op: string) => INTEGER_KERNELS.has(op);
    const [asRuns, withOutputs] = [count(plain, isInt), count(instrumented, isInt)];
    notes.push(
      asRuns === withOutputs
        ? `ONNX Runtime fuses ${asRuns} QDQ groups into integer kernels both in the variant as it runs and with the extra outputs: the figures per node are those of the integer kernels the variant runs`
        : `ONNX Runtime fuses ${asRuns} QDQ groups into integer kernels in the variant as it runs but ${withOutputs} with the extra outputs: an unfused group computes in float between QuantizeLinear and DequantizeLinear, which can round an activation one quantization step differently from the integer kernel, so the figures per node approximate what the variant runs (compare the graph output's figure with the whole-model one below)`,
    );
  } else {
    // ORT's CPU provider has no float16 Conv on most machines: it inserts Casts to float32 around it.
    const plain = await optimizedNodes(built.bytes, 'cpu', 'disabled');
    const float32 = plain.filter((n) => n.op !== 'Cast' && n.inputType === 1).length;
    const all = plain.filter((n) => n.op !== 'Cast').length;
    if (float32)
      notes.push(
        `ONNX Runtime CPU computes ${float32} of ${all} nodes of the fp16 variant in float32 between Casts it inserts (no float16 kernel here): the figures are float16 storage of weights and activations, not float16 arithmetic as a GPU would do it`,
      );
  }

  const sessions: ort.InferenceSession[] = [];
  const open = async (bytes: Uint8Array) => {
    const s = await cpuSession(bytes);
    sessions.push(s);
    return s;
  };
  const sums = new Map(tensors.map((t) => [t, new TensorErrorSums()]));
  const whole = new TensorErrorSums();
  try {
    const ref = await open(fp32Instrumented);
    const variant = await open(variantInstrumented);
    const plainVariant = await open(built.bytes);
    for (let k = 0; k < spec.samples; k++) {
      onProgress({
        phase: 'compare',
        message: `sample ${k + 1}/${spec.samples}: fp32 and ${spec.precision}, ${tensors.length} tensors`,
        fraction: k / spec.samples,
        done: k,
        total: spec.samples,
      });
      const feeds = feedsOf(makeInputs(graph, spec.seed + k));
      const r = await ref.run(feeds);
      const v = await variant.run(feeds);
      for (const t of tensors) {
        if (!r[t] || !v[t]) throw new Error(`ONNX Runtime returned no tensor '${t}' though it was asked for`);
        sums.get(t)!.add(floatData(v[t], t), floatData(r[t], t), `tensor '${t}'`);
      }
      const p = await plainVariant.run(feeds, outputs);
      for (const o of outputs) whole.add(floatData(p[o], o), floatData(r[o], o), `output '${o}'`);
      for (const x of [...Object.values(r), ...Object.values(v), ...Object.values(p)]) x.dispose?.();
    }
    onProgress({
      phase: 'compare',
      message: `${spec.samples} samples compared`,
      fraction: 1,
      done: spec.samples,
      total: spec.samples,
    });
  } finally {
    for (const s of sessions) await s.release();
  }

  const compared = new Map<string, TensorErrorFigures>([...sums].map(([t, s]) => [t, s.figures()]));
  const w = whole.figures();
  for (const o of outputs) {
    const f = compared.get(o);
    if (!f) continue;
    notes.push(
      `graph output '${o}': relRms ${f.relRms.toPrecision(3)} with the extra outputs, ${w.relRms.toPrecision(3)} for the variant as it runs (fidelity${outputs.length > 1 ? ', all outputs together' : ''})`,
    );
    // One output: the two figures describe the same tensor and should agree; when they do not, the
    // per-node figures describe a differently optimized graph than the one that runs.
    if (outputs.length === 1 && Math.abs(f.relRms - w.relRms) > 0.1 * Math.max(f.relRms, w.relRms) + 1e-6)
      notes.push(
        `the variant as it runs is ${w.relRms > f.relRms ? 'less' : 'more'} accurate at its output than the run with extra outputs (relRms ${w.relRms.toPrecision(3)} against ${f.relRms.toPrecision(3)}): ONNX Runtime's graph optimizations (level 'basic' and above), which the extra outputs prevent where they would remove a compared tensor, change the variant's numbers${spec.precision === 'fp16' ? ' (for fp16, folding BatchNormalization into a float16 Conv is one: measured on mobilenet_v2, the output error is about 5e-3 unoptimized and 4e-2 with it)' : ''}; the per-node figures show where the unfused variant loses accuracy`,
      );
  }
  const last = spec.seed + spec.samples - 1;
  return buildLayerErrorReport({
    precision: spec.precision,
    model: describeTarget(spec, graph),
    inputs: `${spec.samples} seeded random input sample${spec.samples > 1 ? 's' : ''} (seed${spec.samples > 1 ? `s ${spec.seed}..${last}` : ` ${spec.seed}`}, uniform [-1, 1) as every backend is fed${spec.target.kind === 'file' ? '' : `; weights seeded ${spec.seed}`})`,
    graph,
    compared,
    skipped,
    runtime: { name: ORT_RUNTIME.name, version: ORT_RUNTIME.version, provider: 'CPUExecutionProvider' },
    fidelity: { relRms: w.relRms, cosine: w.cosine, maxAbs: w.maxAbs },
    notes,
    ...(spec.precision === 'int8' ? { reducedPrecision: quantizedTensors(built.bytes) } : {}),
  });
}

/** Tensors of the int8 variant that a DequantizeLinear writes: the activations it quantizes. */
function quantizedTensors(bytes: Uint8Array): Set<string> {
  const nodes = decodeModel(bytes).graph?.node ?? [];
  return new Set(nodes.filter((n) => n.opType === 'DequantizeLinear').flatMap((n) => n.output ?? []));
}
