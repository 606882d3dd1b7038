// Forms of accepted operators that the native kernels do not implement (3-D convolution, weights
// computed at run time, training-mode outputs...), one check per operator that has such forms.
// They are found before anything runs (passes/refuse-unsupported.ts), so that a graph is refused
// with every reason at once instead of failing halfway through preparation.
import type { Graph, GraphNode } from '../../../shared/ir/types.js';
import { generateValues } from '../../../shared/graph/weights.js';
import { attrInt, attrInts } from '../../../shared/ops/op-spec.js';
import { ALIAS_OPS } from './lowerings.js';

/** What the checks read about the graph, beyond the node itself. */
export interface FormFacts {
  graph: Graph;
  /** Tensors the graph outputs need as data (passes/select-live-nodes.ts). */
  needed: ReadonlySet<string>;
  producer: ReadonlyMap<string, GraphNode>;
  shapeOf(t: string): number[] | undefined;
  dtypeOf(t: string): string | undefined;
}

/** The problems of node `n`, each a phrase that starts with `where` ("Conv node 'c1'"). */
type FormCheck = (n: GraphNode, facts: FormFacts, where: string) => string[];

/** Whether output `k` of `n` is read by anything that runs. */
const used = (n: GraphNode, facts: FormFacts, k: number) => !!n.outputs[k] && facts.needed.has(n.outputs[k]);

const rank = (facts: FormFacts, t: string) => facts.shapeOf(t)?.length;

/**
 * Known before running: an initializer, a Constant/ConstantOfShape output, or one of those seen
 * through reshape-like nodes (GoogLeNet's classifier weight is reshaped before its Gemm).
 */
export function isStatic(t: string | undefined, facts: FormFacts): boolean {
  if (!t) return false;
  if (facts.graph.initializers.has(t)) return true;
  const p = facts.producer.get(t);
  if (!p) return false;
  if (p.op === 'Constant' || p.op === 'ConstantOfShape') return true;
  return ALIAS_OPS.has(p.op) && isStatic(p.inputs[0], facts);
}

const pool2d: FormCheck = (n, facts, where) => (rank(facts, n.inputs[0]) !== 4 ? [`${where} is not 2-D pooling`] : []);

const needsChannels: FormCheck = (n, facts, where) =>
  (rank(facts, n.inputs[0]) ?? 0) < 3 ? [`${where} needs an N x C x spatial input`] : [];

const FORM_CHECKS: Readonly<Record<string, FormCheck>> = {
  Conv: (n, facts, where) => {
    const p: string[] = [];
    const xs = facts.shapeOf(n.inputs[0]);
    if (xs?.length !== 4) p.push(`${where} is ${(xs?.length ?? 2) - 2}-D (only 2-D convolution)`);
    if (!isStatic(n.inputs[1], facts))
      p.push(`${where} has weights computed at run time (weights are packed at preparation)`);
    return p;
  },
  MaxPool: (n, facts, where) => {
    const p = pool2d(n, facts, where);
    if (used(n, facts, 1)) p.push(`${where} has its Indices output in use (not supported)`);
    if (attrInt(n, 'storage_order', 0) !== 0 && used(n, facts, 1)) p.push(`${where} asks for column-major indices`);
    return p;
  },
  AveragePool: (n, facts, where) => {
    const p = pool2d(n, facts, where);
    if ((attrInts(n, 'dilations') ?? []).some((d) => d !== 1))
      p.push(`${where} has dilations (average pooling without dilation only)`);
    return p;
  },
  GlobalAveragePool: needsChannels,
  GlobalMaxPool: needsChannels,
  Dropout: (n, facts, where) => {
    const p: string[] = [];
    if (used(n, facts, 1)) p.push(`${where} has its mask output in use`);
    // Opset 12+: a true training_mode input drops values at random; only inference is the identity.
    const mode = n.inputs[2];
    if (mode && !isStatic(mode, facts)) p.push(`${where} has a training_mode computed at run time`);
    else if (mode && facts.graph.initializers.has(mode)) {
      const v = generateValues(facts.graph.initializers.get(mode)!) as ArrayLike<number | bigint>;
      if (v.length > 0 && Number(v[0]) !== 0) p.push(`${where} runs in training mode (random masks)`);
    }
    return p;
  },
  BatchNormalization: (n, facts, where) => {
    const p: string[] = [];
    if (n.outputs.slice(1).some((_, k) => used(n, facts, k + 1))) p.push(`${where} uses training-mode outputs`);
    for (const s of [1, 2, 3, 4])
      if (!isStatic(n.inputs[s], facts)) p.push(`${where} has input ${s} computed at run time`);
    return p;
  },
  Clip: (n, facts, where) =>
    [1, 2]
      .filter((s) => n.inputs[s] && !isStatic(n.inputs[s], facts))
      .map(() => `${where} has a bound computed at run time (constant bounds only)`),
  LRN: needsChannels,
  Constant: (n, _facts, where) =>
    n.attrs.value?.type !== 'tensor' && !n.attrs.value_float && !n.attrs.value_floats
      ? [`${where} holds a value that is not a float tensor`]
      : [],
};

/** Every form problem of one node that runs: a non-float32 output in use, then its operator's own. */
export function formProblems(n: GraphNode, facts: FormFacts): string[] {
  const where = `${n.op} node '${n.name}'`;
  const p: string[] = [];
  for (const o of n.outputs)
    if (o && facts.needed.has(o) && facts.dtypeOf(o) && facts.dtypeOf(o) !== 'float32')
      p.push(`${where} produces ${facts.dtypeOf(o)} '${o}' (float32 only)`);
  const check = Object.hasOwn(FORM_CHECKS, n.op) ? FORM_CHECKS[n.op] : undefined;
  return check ? [...p, ...check(n, facts, where)] : p;
}
