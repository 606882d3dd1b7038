import { opSpec } from '../ops/registry.js';
import type { OpContext } from '../ops/op-spec.js';
import {
  StudioError,
  type AttrValue,
  type DType,
  type Graph,
  type GraphMeta,
  type GraphNode,
  type Initializer,
  type Shape,
  type TensorData,
  type TensorInfo,
  type WeightInit,
} from '../ir/types.js';
import { smallConstantValue } from './weights.js';

/** Typed ONNX attribute constructors: ONNX distinguishes int from float attributes. */
export const attr = {
  int: (value: number): AttrValue => ({ type: 'int', value }),
  float: (value: number): AttrValue => ({ type: 'float', value }),
  ints: (value: number[]): AttrValue => ({ type: 'ints', value }),
  floats: (value: number[]): AttrValue => ({ type: 'floats', value }),
  string: (value: string): AttrValue => ({ type: 'string', value }),
};

/**
 * Builds a graph node by node, inferring each node's output shape as it is added, so that a
 * block can read the shape of what it has built so far (`shapeOf`) and an impossible parameter
 * fails at the node it breaks, with that node named.
 */
export class GraphBuilder {
  private readonly nodes: GraphNode[] = [];
  private readonly inputs: TensorInfo[] = [];
  private readonly initializers = new Map<string, Initializer>();
  private readonly values = new Map<string, TensorInfo>();
  private readonly constants = new Map<string, TensorData>();
  private readonly used = new Set<string>();
  private prefix: string[] = [];

  constructor(readonly name: string) {}

  /** Runs `fn` with every name it creates prefixed by `scope/`. */
  scope<T>(scope: string, fn: () => T): T {
    this.prefix.push(scope);
    try {
      return fn();
    } finally {
      this.prefix.pop();
    }
  }

  /** A unique, scoped name for a new tensor or node. */
  unique(base: string): string {
    const full = [...this.prefix, base].join('/');
    let name = full;
    for (let i = 1; this.used.has(name); i++) name = `${full}_${i}`;
    this.used.add(name);
    return name;
  }

  input(name: string, shape: Shape, dtype: DType = 'float32', dimParams?: (string | undefined)[]): string {
    for (const [i, d] of shape.entries())
      if (!Number.isInteger(d) || d < 1)
        throw new StudioError(`input '${name}': dimension ${i} must be a positive integer, got ${d}`);
    const n = this.unique(name);
    const info: TensorInfo = { name: n, dtype, shape: [...shape], ...(dimParams ? { dimParams } : {}) };
    this.inputs.push(info);
    this.values.set(n, info);
    return n;
  }

  /** A learned weight, generated lazily from `init`. */
  param(base: string, shape: Shape, init: WeightInit, opts: { trainable?: boolean; dtype?: DType } = {}): string {
    return this.addInitializer(base, shape, init, 'param', opts.trainable ?? true, opts.dtype ?? 'float32');
  }

  /** A fixed value that is not a learned weight (a bound, a target shape, a fixed scale). */
  constant(base: string, values: number[], shape: Shape = [values.length], dtype: DType = 'float32'): string {
    return this.addInitializer(base, shape, { kind: 'values', values }, 'constant', false, dtype);
  }

  /** A constant tensor filled with one value (for example a Keras `scale=False` BatchNorm's ones). */
  filled(base: string, shape: Shape, value: number): string {
    return this.addInitializer(base, shape, { kind: 'constant', value }, 'constant', false, 'float32');
  }

  private addInitializer(
    base: string,
    shape: Shape,
    init: WeightInit,
    role: Initializer['role'],
    trainable: boolean,
    dtype: DType,
  ): string {
    const name = this.unique(base);
    const t: Initializer = { name, dtype, shape: [...shape], role, trainable, init };
    this.initializers.set(name, t);
    this.values.set(name, { name, dtype, shape: t.shape });
    const c = smallConstantValue(t);
    if (c) this.constants.set(name, c);
    return name;
  }

  /** Adds a node, infers its outputs and returns their names. */
  node(
    op: string,
    inputs: string[],
    attrs: Record<string, AttrValue> = {},
    opts: { name?: string; outputs?: number } = {},
  ): string[] {
    const spec = opSpec(op);
    if (!spec) throw new StudioError(`operator '${op}' is not in the studio's operator registry`, 'internal');
    const name = this.unique(opts.name ?? op.toLowerCase());
    const outputs = Array.from({ length: opts.outputs ?? 1 }, (_, i) => (i === 0 ? name : `${name}:${i}`));
    for (const o of outputs) this.used.add(o);
    const node: GraphNode = { name, op, domain: '', inputs, outputs, attrs };
    const ctx: OpContext = {
      node,
      inputs: inputs.map((i) => {
        if (i === '') return undefined;
        const v = this.values.get(i);
        if (!v) throw new StudioError(`${op} node '${name}': input '${i}' does not exist`, 'internal');
        return v;
      }),
      constants: inputs.map((i) => this.constants.get(i)),
    };
    const outs = spec.infer(ctx);
    outputs.forEach((o, i) => this.values.set(o, { name: o, dtype: outs[i].dtype, shape: outs[i].shape }));
    this.nodes.push(node);
    return outputs;
  }

  /** Adds a single-output node and returns its output. */
  op(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, name?: string): string {
    return this.node(op, inputs, attrs, { name })[0];
  }

  shapeOf(tensor: string): Shape {
    const v = this.values.get(tensor);
    if (!v) throw new StudioError(`tensor '${tensor}' does not exist`, 'internal');
    return v.shape;
  }

  /** Channels of an N x C x H x W tensor. */
  channels(tensor: string): number {
    return this.shapeOf(tensor)[1];
  }

  build(outputs: string[], meta: GraphMeta = {}): Graph {
    return {
      name: this.name,
      inputs: this.inputs,
      outputs: outputs.map((o) => this.values.get(o)!),
      nodes: this.nodes,
      initializers: this.initializers,
      values: this.values,
      meta,
    };
  }
}
