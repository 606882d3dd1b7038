// The figures of layer error (issue 21): how far each intermediate tensor of an fp16 or int8
// variant is from the same tensor of the fp32 model on the same inputs, accumulated sample by
// sample (a ResNet-50's intermediates are hundreds of MB per sample, so nothing is kept but sums),
// and the report in the studio graph's order with the node where the error jumps. Pure: the runs
// are main/precision/layer-error.ts's.
import { SNR_DB_LIMIT, type LayerErrorNode, type LayerErrorReport } from '../contract/layer-error.js';

export type { LayerErrorNode, LayerErrorReport } from '../contract/layer-error.js';

/** The per-tensor figures (a LayerErrorNode without its node, op and tensor names). */
export type TensorErrorFigures = Omit<LayerErrorNode, 'node' | 'op' | 'tensor'>;

/**
 * Sums over the element pairs of one tensor, added to as samples arrive. Sums are float64: a
 * float32 tensor of millions of elements summed in float32 would lose the small errors fp16 makes.
 */
export class TensorErrorSums {
  private diff2 = 0;
  private ref2 = 0;
  private var2 = 0;
  private dot = 0;
  private maxAbs = 0;
  private finite = 0;
  private nonFinite = 0;

  /** Adds one sample's tensor pair; the two must have the same number of elements. */
  add(variant: ArrayLike<number>, reference: ArrayLike<number>, what = 'the tensor'): void {
    if (variant.length !== reference.length)
      throw new Error(`${what} has ${variant.length} values in the variant but ${reference.length} in fp32`);
    let { diff2, ref2, var2, dot, maxAbs } = this;
    let bad = 0;
    for (let i = 0; i < reference.length; i++) {
      const v = variant[i];
      const r = reference[i];
      // A NaN or an infinity makes every sum meaningless: it is counted instead (never hidden).
      if (!Number.isFinite(v) || !Number.isFinite(r)) {
        bad++;
        continue;
      }
      const d = v - r;
      diff2 += d * d;
      ref2 += r * r;
      var2 += v * v;
      dot += v * r;
      const a = d < 0 ? -d : d;
      if (a > maxAbs) maxAbs = a;
    }
    Object.assign(this, { diff2, ref2, var2, dot, maxAbs });
    this.nonFinite += bad;
    this.finite += reference.length - bad;
  }

  figures(): TensorErrorFigures {
    const refNorm = Math.sqrt(this.ref2);
    const varNorm = Math.sqrt(this.var2);
    const errNorm = Math.sqrt(this.diff2);
    const zeroReference = refNorm === 0 && this.finite > 0;
    const relRms = refNorm > 0 ? errNorm / refNorm : errNorm > 0 ? 1 : 0;
    const cosine = refNorm > 0 && varNorm > 0 ? this.dot / (refNorm * varNorm) : refNorm === varNorm ? 1 : 0;
    const snr = this.diff2 === 0 ? SNR_DB_LIMIT : 10 * Math.log10(this.ref2 / this.diff2);
    const out: TensorErrorFigures = {
      relRms,
      maxAbs: this.maxAbs,
      // Rounding can put |cosine| a hair above 1.
      cosine: Math.max(-1, Math.min(1, cosine)),
      snrDb: Math.max(-SNR_DB_LIMIT, Math.min(SNR_DB_LIMIT, snr)),
      elements: this.finite,
    };
    if (this.finite === 0 && this.nonFinite > 0) {
      // Nothing finite to compare: the worst figures, so that the tensor is never read as exact.
      Object.assign(out, { relRms: 1, cosine: 0, snrDb: -SNR_DB_LIMIT });
    }
    if (this.nonFinite) out.nonFinite = this.nonFinite;
    if (zeroReference) out.zeroReference = true;
    return out;
  }
}

/** The figures of one tensor pair (one sample). */
export function tensorError(variant: ArrayLike<number>, reference: ArrayLike<number>): TensorErrorFigures {
  const s = new TensorErrorSums();
  s.add(variant, reference);
  return s.figures();
}

/** The value of one float16 bit pattern. */
function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

let halfTable: Float32Array | undefined;

/**
 * float16 bit patterns (how ONNX Runtime for Node returns float16 tensors) as float32 values,
 * through a table of all 65,536 patterns: an fp16 ResNet-50 returns some 36 million values per sample.
 */
export function halfBitsToFloat32(bits: Uint16Array): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(0x10000);
    for (let h = 0; h < 0x10000; h++) halfTable[h] = halfValue(h);
  }
  const table = halfTable;
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}

/** The studio graph as layer error needs it: nodes in order with their tensors. */
export interface LayerGraph {
  nodes: readonly { name: string; op: string; inputs: readonly string[]; outputs: readonly string[] }[];
}

/**
 * Why a node output of the fp32 graph has no counterpart in the variant, and where its value went:
 * the int8 rewrite folds a BatchNormalization into the Conv before it (the Conv then writes the
 * BatchNorm's output, so the pre-BatchNorm tensor no longer exists) and absorbs a Relu or Clip
 * into the quantized output of its producer (which then writes the activation's output). The
 * chain is followed through single consumers to the first tensor the variant has.
 */
export function missingTensorReason(graph: LayerGraph, tensor: string, inVariant: ReadonlySet<string>): string {
  const consumers = new Map<string, LayerGraph['nodes'][number][]>();
  for (const n of graph.nodes) for (const i of n.inputs) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const steps: string[] = [];
  let t = tensor;
  for (let hops = 0; hops < 4 && !inVariant.has(t); hops++) {
    const cs = consumers.get(t) ?? [];
    if (cs.length !== 1) break;
    const c = cs[0];
    if (c.op === 'BatchNormalization') steps.push(`BatchNormalization '${c.name}' was folded into it`);
    else if (c.op === 'Relu' || c.op === 'Clip')
      steps.push(
        `${c.op} '${c.name}' was absorbed into its quantized output (the activation's range clamps as it did)`,
      );
    else break;
    t = c.outputs[0] ?? '';
  }
  if (steps.length && inVariant.has(t))
    return `not computed by the variant: ${steps.join(', then ')}; the value that replaces it is compared at '${t}'`;
  return 'the variant has no tensor of this name (the rewrite removed or renamed it)';
}

export interface LayerErrorInput {
  precision: LayerErrorReport['precision'];
  model: string;
  inputs: string;
  graph: LayerGraph;
  /** Figures per compared tensor (any order). */
  compared: ReadonlyMap<string, TensorErrorFigures>;
  skipped: LayerErrorReport['skipped'];
  runtime: LayerErrorReport['runtime'];
  fidelity: LayerErrorReport['fidelity'];
  notes: string[];
  /**
   * Tensors the variant stores at reduced precision (int8: the quantized ones; absent: all). Only
   * these can be the jump: a node left in float (a Softmax after int8 logits) only passes on,
   * and may amplify, the error it is given.
   */
  reducedPrecision?: ReadonlySet<string>;
}

/** The report: compared tensors in graph order with their producing nodes, and the jump node. */
export function buildLayerErrorReport(x: LayerErrorInput): LayerErrorReport {
  const nodes: LayerErrorNode[] = [];
  for (const n of x.graph.nodes)
    for (const t of n.outputs) {
      const f = x.compared.get(t);
      if (f) nodes.push({ node: n.name, op: n.op, tensor: t, ...f });
    }
  const report: LayerErrorReport = {
    precision: x.precision,
    model: x.model,
    metric: 'relRms',
    inputs: x.inputs,
    nodes,
    skipped: x.skipped,
    runtime: x.runtime,
    fidelity: x.fidelity,
    notes: x.notes,
  };
  const jump = findJump(x.graph, nodes, x.reducedPrecision);
  if (jump) report.jump = jump;
  return report;
}

/**
 * The node whose error exceeds its inputs' error by the most (among `candidates`, when given): relRms of its output minus the
 * largest relRms among its inputs that were compared (graph inputs and weights count as 0; a
 * skipped input's error is that of the tensor its value moved to, when the graph says which).
 * The difference, not the ratio: a ratio singles out a first layer whose input error is 0.
 */
export function findJump(
  graph: LayerGraph,
  nodes: readonly LayerErrorNode[],
  candidates?: ReadonlySet<string>,
): LayerErrorReport['jump'] {
  const err = new Map(nodes.map((n) => [n.tensor, n.relRms]));
  const byOutput = new Map<string, LayerGraph['nodes'][number]>();
  for (const n of graph.nodes) for (const o of n.outputs) byOutput.set(o, n);
  // An input that was not compared: the error of the nearest compared tensor upstream of it
  // through single-input nodes (a folded BatchNorm's Conv, an absorbed Relu), else 0.
  const inputError = (t: string): number => {
    for (let hops = 0; hops < 8; hops++) {
      const e = err.get(t);
      if (e !== undefined) return e;
      const p = byOutput.get(t);
      if (!p) return 0;
      t = p.inputs[0] ?? '';
    }
    return 0;
  };
  let best: LayerErrorReport['jump'];
  let bestRise = -Infinity;
  for (const e of nodes) {
    if (candidates && !candidates.has(e.tensor)) continue;
    const n = byOutput.get(e.tensor);
    const inputRelRms = Math.max(0, ...(n?.inputs ?? []).filter(Boolean).map(inputError));
    const rise = e.relRms - inputRelRms;
    if (rise > bestRise) {
      bestRise = rise;
      best = { node: e.node, tensor: e.tensor, inputRelRms, relRms: e.relRms };
    }
  }
  return best;
}
