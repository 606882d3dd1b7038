import type { DType, GraphNode, Shape, TensorData, TensorInfo } from '../ir/types.js';
import { StudioError } from '../ir/types.js';

/** What shape inference and the cost model know about one node. */
export interface OpContext {
  node: GraphNode;
  /** Input tensors by position; `undefined` for an omitted optional input (ONNX's ''). */
  inputs: (TensorInfo | undefined)[];
  /** Values of inputs that are constants known before running (initializers or folded). */
  constants: (TensorData | undefined)[];
}

export interface OutputInfo {
  dtype: DType;
  shape: Shape;
}

/**
 * Analytic work of one node. Conventions (see docs/COST-CONVENTIONS.md):
 * - `macs`: multiply-accumulates of Conv, ConvTranspose, Gemm and MatMul only. FLOPs of these
 *   are 2 x MACs, because a multiply-add is two floating-point operations.
 * - `elementwise`: every other arithmetic operation (activations, additions, BatchNorm,
 *   pooling comparisons/additions, bias additions, softmax), one per scalar operation,
 *   kept apart so that it is never silently mixed into the MACs.
 */
export interface OpCost {
  macs: number;
  elementwise: number;
}

export interface OpSpec {
  op: string;
  /** Input positions that hold learned weights when an initializer feeds them. */
  weightInputs?: readonly number[];
  /** Of those, the positions that are not trained by gradient (BatchNorm running statistics). */
  nonTrainableInputs?: readonly number[];
  /** Output dtypes and shapes from input shapes and attributes; throws StudioError on bad input. */
  infer(ctx: OpContext): OutputInfo[];
  cost?(ctx: OpContext, outputs: OutputInfo[]): OpCost;
  /** Computes outputs from constant inputs, for shape-carrying subgraphs (Shape -> Gather -> Reshape). */
  fold?(ctx: OpContext, outputs: OutputInfo[]): TensorData[] | undefined;
}

export function nodeError(ctx: OpContext, message: string): StudioError {
  return new StudioError(`${ctx.node.op} node '${ctx.node.name}': ${message}`, 'bad-graph');
}

/** Returns input `i`, failing with a message that names the node when it is missing. */
export function requireInput(ctx: OpContext, i: number, what: string): TensorInfo {
  const t = ctx.inputs[i];
  if (!t) throw nodeError(ctx, `missing input ${i} (${what})`);
  return t;
}

export function attrInt(node: GraphNode, name: string, fallback: number): number {
  const a = node.attrs[name];
  if (!a) return fallback;
  if (a.type === 'int' || a.type === 'float') return a.value;
  throw new StudioError(`${node.op} node '${node.name}': attribute '${name}' must be a number`, 'bad-graph');
}

export const attrFloat = attrInt;

export function attrInts(node: GraphNode, name: string): number[] | undefined {
  const a = node.attrs[name];
  if (!a) return undefined;
  if (a.type === 'ints' || a.type === 'floats') return a.value;
  if (a.type === 'int') return [a.value];
  throw new StudioError(`${node.op} node '${node.name}': attribute '${name}' must be a list of integers`, 'bad-graph');
}

export function attrString(node: GraphNode, name: string, fallback: string): string {
  const a = node.attrs[name];
  if (!a) return fallback;
  if (a.type === 'string') return a.value;
  throw new StudioError(`${node.op} node '${node.name}': attribute '${name}' must be a string`, 'bad-graph');
}

export function elements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Reads a constant integer tensor (int64 or int32 or float) as plain numbers. */
export function constInts(data: TensorData | undefined): number[] | undefined {
  if (!data) return undefined;
  return Array.from(data as ArrayLike<number | bigint>, (v) => Number(v));
}

/** Normalizes a possibly negative axis against a rank. */
export function normAxis(ctx: OpContext, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw nodeError(ctx, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Numpy-style broadcast of several shapes (ONNX multidirectional broadcasting). */
export function broadcastShapes(ctx: OpContext, shapes: Shape[]): Shape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const v = s[s.length - rank + i] ?? 1;
      if (v === 1) continue;
      if (d !== 1 && d !== v)
        throw nodeError(
          ctx,
          `shapes ${shapes.map((s) => `[${s.join(',')}]`).join(' and ')} cannot be broadcast together`,
        );
      d = v;
    }
    out.push(d);
  }
  return out;
}
