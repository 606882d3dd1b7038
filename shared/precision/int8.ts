// The int8 variant: static quantization in the QDQ (QuantizeLinear/DequantizeLinear) form that
// ONNX Runtime fuses into integer kernels, following onnxruntime.quantization.quantize_static with
// QuantFormat.QDQ, per_channel=True, activation_type=QUInt8, weight_type=QInt8:
// - pre-processing as quant_pre_process does: BatchNormalization folded into the Conv before it;
// - weights of Conv/Gemm/MatMul: int8, symmetric ([-127, 127], zero point 0), one scale per output
//   channel (DequantizeLinear with `axis`); biases int32 with scale = input scale x weight scale;
// - activations: uint8, asymmetric, one scale and zero point per tensor, a QuantizeLinear ->
//   DequantizeLinear pair on every float tensor entering or leaving a quantized operator (Conv, Gemm,
//   MatMul, Add, AveragePool, GlobalAveragePool, Concat), and on MaxPool/Flatten/Reshape where their
//   input is quantized, sharing the input's parameters (ORT runs them on uint8 directly);
// - a Relu, or a Clip with a lower bound >= 0, whose input is only consumed by it and comes from a
//   Conv/Gemm/MatMul/Add is removed: the producer's output is quantized with the activation's
//   calibrated range (zero point 0), which clamps exactly as the activation did (ORT's
//   QDQRemovableActivation).
import { StudioError } from '../ir/types.js';
import { foldBatchNorm } from '../graph/fold-batchnorm.js';
import { decodeTensor, encodeTensor, type ITensorProto } from '../onnx/tensor.js';
import {
  attrFloat,
  attrInt,
  decodeModel,
  dimsOf,
  encodeModel,
  floatTensor,
  graphOf,
  intAttr,
  NameScope,
  ONNX_TYPE,
  opsetOf,
  type GraphProto,
  type ModelProto,
  type NodeProto,
} from './model-proto.js';

export interface Range {
  min: number;
  max: number;
}

/** Operators whose float inputs and output all get QDQ pairs. */
const CORE_OPS = new Set(['Conv', 'Gemm', 'MatMul', 'Add', 'AveragePool', 'GlobalAveragePool', 'Concat']);
/** Operators that run on uint8 as they are when their input is quantized: the output shares its parameters. */
const SHARING_OPS = new Set(['MaxPool', 'Flatten', 'Reshape']);
/** Producers whose following Relu/Clip is absorbed into the quantized output. */
const ACTIVATION_HOSTS = new Set(['Conv', 'Gemm', 'MatMul', 'Add']);

interface GraphIndex {
  producer: Map<string, NodeProto>;
  consumers: Map<string, NodeProto[]>;
  init: Map<string, ITensorProto>;
  graphInputs: Set<string>;
  graphOutputs: Set<string>;
}

function indexGraph(g: GraphProto): GraphIndex {
  const producer = new Map<string, NodeProto>();
  const consumers = new Map<string, NodeProto[]>();
  for (const n of g.node ?? []) {
    for (const o of n.output ?? []) if (o) producer.set(o, n);
    for (const i of n.input ?? []) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  }
  const init = new Map((g.initializer ?? []).map((t) => [t.name ?? '', t]));
  const graphInputs = new Set((g.input ?? []).map((v) => v.name ?? '').filter((n) => n && !init.has(n)));
  const graphOutputs = new Set((g.output ?? []).map((v) => v.name ?? ''));
  return { producer, consumers, init, graphInputs, graphOutputs };
}

function floatInit(ix: GraphIndex, name: string | undefined): Float32Array | undefined {
  const t = name ? ix.init.get(name) : undefined;
  if (!t || t.dataType !== ONNX_TYPE.FLOAT) return undefined;
  return decodeTensor(t, `initializer '${name}'`).data as Float32Array;
}

export interface PrepareReport {
  foldedBatchNorms: number;
}

/**
 * Folds each BatchNormalization into the Conv that feeds it (the Conv's output consumed only by
 * it), as ONNX Runtime's basic optimizations and quant_pre_process do. Returns fp32 model bytes.
 */
export function prepareForQuantization(fp32: Uint8Array): { bytes: Uint8Array; report: PrepareReport } {
  const model = decodeModel(fp32);
  const g = graphOf(model);
  const ix = indexGraph(g);
  const names = new NameScope(g);
  const removed = new Set<NodeProto>();
  const added: ITensorProto[] = [];
  let folded = 0;
  for (const bn of g.node ?? []) {
    if (bn.opType !== 'BatchNormalization' || (bn.output ?? []).filter(Boolean).length !== 1) continue;
    const x = bn.input?.[0] ?? '';
    const conv = ix.producer.get(x);
    if (!conv || conv.opType !== 'Conv' || (ix.consumers.get(x) ?? []).length !== 1 || ix.graphOutputs.has(x)) continue;
    const w = floatInit(ix, conv.input?.[1]);
    const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((k) => floatInit(ix, bn.input?.[k]));
    if (!w || !gamma || !beta || !mean || !variance) continue;
    const wDims = dimsOf(ix.init.get(conv.input![1])!);
    const m = wDims[0];
    const b = conv.input?.[2] ? floatInit(ix, conv.input[2]) : new Float32Array(m);
    if (!b) continue;
    // The epsilon as the attribute holds it (a float32 when present, 1e-5 as a float64 when absent).
    const epsilon = attrFloat(bn, 'epsilon', 1e-5);
    const { weights: w2, bias: b2 } = foldBatchNorm(w, b, { gamma, beta, mean, variance, epsilon }, m);
    const wName = names.fresh(`${conv.input![1]}_bn_folded`);
    const bName = names.fresh(`${conv.name || conv.input![1]}_bias_bn_folded`);
    added.push(floatTensor(wName, wDims, w2), floatTensor(bName, [m], b2));
    conv.input = [conv.input![0], wName, bName];
    conv.output = [bn.output![0]];
    removed.add(bn);
    folded++;
  }
  g.node = (g.node ?? []).filter((n) => !removed.has(n));
  g.initializer = [...(g.initializer ?? []), ...added];
  // Drop initializers nothing reads any more (the unfolded weights and BatchNorm vectors).
  const read = new Set((g.node ?? []).flatMap((n) => n.input ?? []));
  for (const o of g.output ?? []) read.add(o.name ?? '');
  g.initializer = g.initializer.filter((t) => read.has(t.name ?? ''));
  g.input = (g.input ?? []).filter((v) => !ix.init.has(v.name ?? '') || read.has(v.name ?? ''));
  g.valueInfo = [];
  return { bytes: encodeModel(model), report: { foldedBatchNorms: folded } };
}

/** Lower bound of a Clip (opset >= 11: input 1; older: attribute). */
function clipMin(n: NodeProto, ix: GraphIndex, opset: number): number | undefined {
  if (opset < 11) return attrFloat(n, 'min', -Infinity);
  const name = n.input?.[1];
  if (!name) return -Infinity;
  const v = floatInit(ix, name);
  return v && v.length === 1 ? v[0] : undefined;
}

/** Which weight slot and per-channel axis a node has, or undefined when it is not quantizable. */
function weightOf(n: NodeProto, ix: GraphIndex): { axis: number; bias?: string } | undefined {
  const w = n.input?.[1];
  const t = w ? ix.init.get(w) : undefined;
  if (!t || t.dataType !== ONNX_TYPE.FLOAT) return undefined;
  const dims = dimsOf(t);
  if (n.opType === 'Conv') return dims.length >= 3 ? { axis: 0, bias: n.input?.[2] || undefined } : undefined;
  if (n.opType === 'Gemm') {
    if (attrInt(n, 'transA', 0) !== 0 || attrFloat(n, 'alpha', 1) !== 1 || attrFloat(n, 'beta', 1) !== 1) return;
    if (dims.length !== 2) return undefined;
    const axis = attrInt(n, 'transB', 0) ? 0 : 1;
    const c = n.input?.[2];
    const ct = c ? ix.init.get(c) : undefined;
    if (c && (!ct || dimsOf(ct).length !== 1 || dimsOf(ct)[0] !== dims[axis])) return undefined;
    return { axis, bias: c || undefined };
  }
  if (n.opType === 'MatMul') return dims.length === 2 ? { axis: 1 } : undefined;
  return undefined;
}

export interface QuantPlan {
  /** Activation nodes absorbed into their producer: activation output name -> the node. */
  removed: Map<string, NodeProto>;
  /** Activation tensors that get a QDQ pair, in graph order. */
  tensors: string[];
  /** Tensors whose parameters are another tensor's (outputs of MaxPool/Flatten/Reshape). */
  shares: Map<string, string>;
  /** Nodes quantized (by name or output), with their weights' axis. */
  weighted: Map<NodeProto, { axis: number; bias?: string }>;
  /** Tensors that need a calibrated range (tensors minus shared ones). */
  calibrate: string[];
}

/** Decides what gets quantized in a prepared (BatchNorm-folded) model. */
export function planQuantization(prepared: ModelProto): QuantPlan {
  const g = graphOf(prepared);
  const ix = indexGraph(g);
  const opset = opsetOf(prepared);
  const removed = new Map<string, NodeProto>();
  for (const n of g.node ?? []) {
    if (n.opType !== 'Relu' && n.opType !== 'Clip') continue;
    if (n.opType === 'Clip') {
      const lo = clipMin(n, ix, opset);
      if (lo === undefined || lo < 0) continue;
    }
    const x = n.input?.[0] ?? '';
    const p = ix.producer.get(x);
    if (!p || !ACTIVATION_HOSTS.has(p.opType ?? '') || ix.graphOutputs.has(x)) continue;
    if ((ix.consumers.get(x) ?? []).length !== 1) continue;
    if (p.opType !== 'Add' && !weightOf(p, ix)) continue;
    removed.set(n.output![0], n);
  }
  // The graph as it will be: producers of removed activations write the activation's output.
  const effProducerOut = (n: NodeProto): string => {
    const out = n.output?.[0] ?? '';
    const act = (ix.consumers.get(out) ?? []).find((c) => removed.has(c.output?.[0] ?? ''));
    return act ? act.output![0] : out;
  };
  const isActivation = (name: string) => !!name && !ix.init.has(name);
  const marked = new Set<string>();
  const weighted = new Map<NodeProto, { axis: number; bias?: string }>();
  const live = (g.node ?? []).filter((n) => !removed.has(n.output?.[0] ?? ''));
  const quantizedConsumer = (t: string) =>
    (ix.consumers.get(t) ?? []).some((c) => CORE_OPS.has(c.opType ?? '') || SHARING_OPS.has(c.opType ?? ''));
  for (const n of live) {
    const op = n.opType ?? '';
    if (!CORE_OPS.has(op) || (n.domain && n.domain !== 'ai.onnx')) continue;
    if (op === 'Conv' || op === 'Gemm' || op === 'MatMul') {
      const w = weightOf(n, ix);
      if (!w || !isActivation(n.input?.[0] ?? '')) continue;
      weighted.set(n, w);
      marked.add(n.input![0]);
      const out = effProducerOut(n);
      // QLinearConv needs its output quantized; QGemm and MatMulIntegerToFloat may output float.
      if (op === 'Conv' || quantizedConsumer(out) || removed.has(out)) marked.add(out);
      continue;
    }
    const ins = (n.input ?? []).filter(Boolean);
    if (op === 'Add' && !ins.every(isActivation)) continue;
    if (op === 'Concat' && !ins.every(isActivation)) continue;
    for (const i of op === 'Add' || op === 'Concat' ? ins : [ins[0]]) marked.add(i);
    marked.add(effProducerOut(n));
  }
  const shares = new Map<string, string>();
  for (let changed = true; changed;) {
    changed = false;
    for (const n of live) {
      if (!SHARING_OPS.has(n.opType ?? '') || (n.output ?? []).filter(Boolean).length !== 1) continue;
      const x = n.input?.[0] ?? '';
      const y = n.output![0];
      if (!marked.has(x) || shares.has(y)) continue;
      shares.set(y, x);
      marked.add(y);
      changed = true;
    }
  }
  // Graph order: inputs first, then node outputs as produced.
  const order = [...ix.graphInputs, ...(g.node ?? []).flatMap((n) => n.output ?? [])];
  const tensors = order.filter((t) => marked.has(t));
  const root = (t: string): string => (shares.has(t) ? root(shares.get(t)!) : t);
  return { removed, tensors, shares, weighted, calibrate: tensors.filter((t) => root(t) === t) };
}

/** A uint8 asymmetric scale and zero point for a range (the range always includes 0, as ORT does). */
export function uint8Params(r: Range): { scale: number; zeroPoint: number } {
  const lo = Math.min(r.min, 0);
  const hi = Math.max(r.max, 0);
  if (!(hi > lo) || !Number.isFinite(hi - lo)) return { scale: 1, zeroPoint: 0 };
  const scale = (hi - lo) / 255;
  const zeroPoint = Math.max(0, Math.min(255, Math.round(-lo / scale)));
  return { scale, zeroPoint };
}

/** Per-channel symmetric int8 weights: scale = max|w| / 127 per slice along `axis`. */
export function quantizeWeights(
  w: Float32Array,
  dims: number[],
  axis: number,
): { q: Int8Array; scales: Float32Array; channels: number } {
  const channels = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const absmax = new Float32Array(channels);
  const chan = (i: number) => Math.floor(i / inner) % channels;
  for (let i = 0; i < w.length; i++) absmax[chan(i)] = Math.max(absmax[chan(i)], Math.abs(w[i]));
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) scales[c] = absmax[c] > 0 ? absmax[c] / 127 : 1;
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(w[i] / scales[chan(i)])));
  return { q, scales, channels };
}

export interface QuantizeReport {
  /** Quantized nodes by operator type (weights: Conv/Gemm/MatMul; activations: the others). */
  ops: Record<string, number>;
  qdqTensors: number;
  removedActivations: number;
  /** Float nodes left as they were (operators the QDQ rules do not cover). */
  floatOps: string[];
}

/**
 * Builds the QDQ model from a prepared fp32 model and calibrated ranges of `plan.calibrate`.
 * A tensor missing from `ranges` is an error (calibration must cover the plan).
 */
export function quantizeQdq(
  preparedBytes: Uint8Array,
  ranges: ReadonlyMap<string, Range>,
): { bytes: Uint8Array; report: QuantizeReport } {
  const model = decodeModel(preparedBytes);
  if (opsetOf(model) < 13)
    throw new StudioError(
      `the model's opset is ${opsetOf(model)}; per-channel QDQ needs opset 13 or later (re-export the model)`,
      'unsupported',
    );
  const g = graphOf(model);
  const plan = planQuantization(model);
  const ix = indexGraph(g);
  const names = new NameScope(g);
  const root = (t: string): string => (plan.shares.has(t) ? root(plan.shares.get(t)!) : t);
  const params = new Map<string, { scale: string; zp: string; value: { scale: number; zeroPoint: number } }>();
  const inits: ITensorProto[] = [];
  const head: NodeProto[] = [];
  for (const t of plan.tensors) {
    const r = root(t);
    if (!params.has(r)) {
      const range = ranges.get(r);
      if (!range) throw new StudioError(`calibration gave no range for tensor '${r}'`, 'internal');
      const value = uint8Params(range);
      const scale = names.fresh(`${r}_scale`);
      const zp = names.fresh(`${r}_zero_point`);
      inits.push(
        encodeTensor(scale, 'float32', [], new Float32Array([value.scale])),
        encodeTensor(zp, 'uint8', [], new Uint8Array([value.zeroPoint])),
      );
      params.set(r, { scale, zp, value });
    }
    if (t !== r) params.set(t, params.get(r)!);
  }

  // Rewire removed activations: their producer writes the activation's output.
  const removedNodes = new Set(plan.removed.values());
  for (const [out, act] of plan.removed) {
    const p = ix.producer.get(act.input![0])!;
    p.output = [out, ...(p.output ?? []).slice(1)];
  }
  const nodes = (g.node ?? []).filter((n) => !removedNodes.has(n));

  const qdqPair = (from: string, to: string, t: string, n: string): NodeProto[] => {
    const p = params.get(t)!;
    const q = names.fresh(`${n}_quantized`);
    return [
      { name: names.fresh(`${n}_QuantizeLinear`), opType: 'QuantizeLinear', input: [from, p.scale, p.zp], output: [q] },
      {
        name: names.fresh(`${n}_DequantizeLinear`),
        opType: 'DequantizeLinear',
        input: [q, p.scale, p.zp],
        output: [to],
      },
    ];
  };
  const marked = new Set(plan.tensors);
  // Graph inputs: consumers read the dequantized copy.
  const inputRename = new Map<string, string>();
  for (const t of plan.tensors.filter((x) => ix.graphInputs.has(x))) {
    const dq = names.fresh(`${t}_DequantizeLinear_Output`);
    inputRename.set(t, dq);
    head.push(...qdqPair(t, dq, t, t));
  }
  // The float tensor each weighted node reads, before graph inputs are renamed (its scale scales the bias).
  const dataInput = new Map([...plan.weighted.keys()].map((n) => [n, n.input![0]]));
  for (const n of nodes) n.input = (n.input ?? []).map((i) => inputRename.get(i) ?? i);

  // Weights and biases.
  const ops: Record<string, number> = {};
  for (const [n, w] of plan.weighted) {
    const wName = n.input![1];
    const wt = ix.init.get(wName)!;
    const dims = dimsOf(wt);
    const { q, scales, channels } = quantizeWeights(floatInit(ix, wName)!, dims, w.axis);
    const base = names.fresh(`${n.name || wName}_weight`);
    const qName = names.fresh(`${base}_quantized`);
    const sName = names.fresh(`${base}_scale`);
    const zName = names.fresh(`${base}_zero_point`);
    const dqOut = names.fresh(`${base}_DequantizeLinear_Output`);
    inits.push(
      encodeTensor(qName, 'int8', dims, q),
      encodeTensor(sName, 'float32', [channels], scales),
      encodeTensor(zName, 'int8', [channels], new Int8Array(channels)),
    );
    head.push({
      name: names.fresh(`${base}_DequantizeLinear`),
      opType: 'DequantizeLinear',
      input: [qName, sName, zName],
      output: [dqOut],
      attribute: [intAttr('axis', w.axis)],
    });
    const inputs = [...n.input!];
    inputs[1] = dqOut;
    if (w.bias) {
      const b = floatInit(ix, w.bias);
      const sIn = params.get(dataInput.get(n)!)?.value.scale;
      if (b && sIn !== undefined) {
        const bScales = new Float32Array(channels);
        const bq = new Int32Array(channels);
        for (let c = 0; c < channels; c++) {
          bScales[c] = sIn * scales[c];
          bq[c] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(b[c] / bScales[c])));
        }
        const bBase = names.fresh(`${n.name || w.bias}_bias`);
        const bq8 = names.fresh(`${bBase}_quantized`);
        const bs = names.fresh(`${bBase}_scale`);
        const bz = names.fresh(`${bBase}_zero_point`);
        const bOut = names.fresh(`${bBase}_DequantizeLinear_Output`);
        inits.push(
          encodeTensor(bq8, 'int32', [channels], bq),
          encodeTensor(bs, 'float32', [channels], bScales),
          encodeTensor(bz, 'int32', [channels], new Int32Array(channels)),
        );
        head.push({
          name: names.fresh(`${bBase}_DequantizeLinear`),
          opType: 'DequantizeLinear',
          input: [bq8, bs, bz],
          output: [bOut],
          attribute: [intAttr('axis', 0)],
        });
        inputs[2] = bOut;
      }
    }
    n.input = inputs;
    ops[n.opType ?? ''] = (ops[n.opType ?? ''] ?? 0) + 1;
  }

  // Activations produced by nodes: the producer writes a fresh name, Q -> DQ restores the original.
  const body: NodeProto[] = [];
  for (const n of nodes) {
    body.push(n);
    if (!plan.weighted.has(n) && (CORE_OPS.has(n.opType ?? '') || SHARING_OPS.has(n.opType ?? '')))
      if (marked.has(n.output?.[0] ?? '')) ops[n.opType ?? ''] = (ops[n.opType ?? ''] ?? 0) + 1;
    n.output = (n.output ?? []).map((o) => {
      if (!marked.has(o)) return o;
      const pre = names.fresh(`${o}_QuantizeLinear_Input`);
      body.push(...qdqPair(pre, o, o, o));
      return pre;
    });
  }
  g.node = [...head, ...body];
  g.initializer = [...(g.initializer ?? []), ...inits];
  // The float weights the DequantizeLinear nodes replaced are no longer read.
  const read = new Set(g.node.flatMap((n) => n.input ?? []));
  g.initializer = g.initializer.filter((t) => read.has(t.name ?? ''));
  g.input = (g.input ?? []).filter((v) => !ix.init.has(v.name ?? '') || read.has(v.name ?? ''));
  g.valueInfo = [];
  const quantizedOps = new Set(['QuantizeLinear', 'DequantizeLinear', ...CORE_OPS, ...SHARING_OPS]);
  const floatOps = [...new Set(body.filter((n) => !quantizedOps.has(n.opType ?? '')).map((n) => n.opType ?? ''))];
  return {
    bytes: encodeModel(model),
    report: { ops, qdqTensors: plan.tensors.length, removedActivations: plan.removed.size, floatOps },
  };
}

/** The prepared model with `tensors` added as graph outputs, so that one run returns them all. */
export function withTensorOutputs(preparedBytes: Uint8Array, tensors: string[]): Uint8Array {
  const model = decodeModel(preparedBytes);
  const g = graphOf(model);
  const present = new Set((g.output ?? []).map((o) => o.name ?? ''));
  const inputs = new Set((g.input ?? []).map((o) => o.name ?? ''));
  for (const t of tensors)
    if (!present.has(t) && !inputs.has(t))
      g.output = [...(g.output ?? []), { name: t, type: { tensorType: { elemType: ONNX_TYPE.FLOAT } } }];
  return encodeModel(model);
}

export type { ModelProto };
