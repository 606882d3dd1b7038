import type { DType, TensorData } from '../graph/types.js';
import { attrInt, attrInts, constInts, elements, nodeError, normAxis, requireInput, type OpSpec } from './op-spec.js';

const int64 = (values: number[]): TensorData => BigInt64Array.from(values.map((v) => BigInt(v)));

export const Concat: OpSpec = {
  op: 'Concat',
  infer(ctx) {
    const xs = ctx.inputs.filter((t) => t !== undefined);
    if (xs.length === 0) throw nodeError(ctx, 'needs at least one input');
    const rank = xs[0].shape.length;
    const axis = normAxis(ctx, attrInt(ctx.node, 'axis', 1), rank);
    const shape = [...xs[0].shape];
    shape[axis] = 0;
    for (const x of xs) {
      if (x.shape.length !== rank) throw nodeError(ctx, `inputs have different ranks`);
      for (let i = 0; i < rank; i++)
        if (i !== axis && x.shape[i] !== xs[0].shape[i])
          throw nodeError(
            ctx,
            `input '${x.name}' [${x.shape.join(',')}] differs from [${xs[0].shape.join(',')}] off the concat axis ${axis}`,
          );
      shape[axis] += x.shape[axis];
    }
    return [{ dtype: xs[0].dtype, shape }];
  },
  cost: () => ({ macs: 0, elementwise: 0 }),
  fold(ctx) {
    if (ctx.constants.some((c, i) => ctx.inputs[i] && !c)) return undefined;
    const parts = ctx.constants.filter((c) => c).map((c) => constInts(c)!);
    return [int64(parts.flat())];
  },
};

export const Flatten: OpSpec = {
  op: 'Flatten',
  infer(ctx) {
    const x = requireInput(ctx, 0, 'input');
    const axis = attrInt(ctx.node, 'axis', 1);
    const a = axis < 0 ? axis + x.shape.length : axis;
    if (a < 0 || a > x.shape.length) throw nodeError(ctx, `axis ${axis} is out of range for rank ${x.shape.length}`);
    return [{ dtype: x.dtype, shape: [elements(x.shape.slice(0, a)), elements(x.shape.slice(a))] }];
  },
  cost: () => ({ macs: 0, elementwise: 0 }),
};

export const Reshape: OpSpec = {
  op: 'Reshape',
  infer(ctx) {
    const x = requireInput(ctx, 0, 'data');
    requireInput(ctx, 1, 'shape');
    const target = constInts(ctx.constants[1]);
    if (!target) throw nodeError(ctx, 'the target shape is computed at run time and could not be folded to a constant');
    const allowZero = attrInt(ctx.node, 'allowzero', 0) === 1;
    const shape = target.map((d, i) => (d === 0 && !allowZero ? x.shape[i] : d));
    const known = elements(shape.filter((d) => d !== -1));
    const total = elements(x.shape);
    const minus = shape.filter((d) => d === -1).length;
    if (minus > 1) throw nodeError(ctx, 'target shape has more than one -1');
    if (minus === 1) {
      if (known === 0 || total % known !== 0)
        throw nodeError(ctx, `cannot reshape [${x.shape.join(',')}] to [${target.join(',')}]`);
      shape[shape.indexOf(-1)] = total / known;
    } else if (known !== total) {
      throw nodeError(ctx, `cannot reshape [${x.shape.join(',')}] (${total} elements) to [${shape.join(',')}]`);
    }
    return [{ dtype: x.dtype, shape }];
  },
  cost: () => ({ macs: 0, elementwise: 0 }),
  fold: (ctx) => (ctx.constants[0] ? [ctx.constants[0]] : undefined),
};

export const Transpose: OpSpec = {
  op: 'Transpose',
  infer(ctx) {
    const x = requireInput(ctx, 0, 'data');
    const perm = attrInts(ctx.node, 'perm') ?? x.shape.map((_, i) => x.shape.length - 1 - i);
    if (perm.length !== x.shape.length || [...perm].sort().some((p, i) => p !== i))
      throw nodeError(ctx, `perm [${perm.join(',')}] is not a permutation of rank ${x.shape.length}`);
    return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]) }];
  },
  cost: () => ({ macs: 0, elementwise: 0 }),
};

/** Axes come from an attribute before opset 13 and from a second input after. */
function axesOf(ctx: Parameters<OpSpec['infer']>[0]): number[] | undefined {
  return attrInts(ctx.node, 'axes') ?? constInts(ctx.constants[1]);
}

export const Unsqueeze: OpSpec = {
  op: 'Unsqueeze',
  infer(ctx) {
    const x = requireInput(ctx, 0, 'data');
    const axes = axesOf(ctx);
    if (!axes) throw nodeError(ctx, 'axes are not a constant');
    const rank = x.shape.length + axes.length;
    const norm = axes.map((a) => normAxis(ctx, a, rank));
    const shape: number[] = [];
    let j = 0;
    for (let i = 0; i < rank; i++) shape.push(norm.includes(i) ? 1 : x.shape[j++]);
    return [{ dtype: x.dtype, shape }];
  },
  cost: () => ({ macs: 0, elementwise: 0 }),
  fold: (ctx) => (ctx.constants[0] ? [ctx.constants[0]] : undefined),
};

export const Squeeze: OpSpec = {
  op: 'Squeeze',
  infer(ctx) {
    const x = requireInput(ctx, 0, 'data');
    const axes = axesOf(ctx)?.map((a) => normAxis(ctx, a, x.shape.length));
    for (const a of axes ?? []) if (x.shape[a] !== 1) throw nodeError(ctx, `axis ${a} has size ${x.shape[a]}, not 1`);
    const shape = x.shape.filter((d, i) => (axes ? !axes.includes(i) : d !== 1));
    return [{ dtype: x.dtype, shape }];
  },
  cost: () => ({ macs: 0, elementwise: 0 }),
  fold: (ctx) => (ctx.constants[0] ? [ctx.constants[0]] : undefined),
};

export const Shape: OpSpec = {
  op: 'Shape',
  infer(ctx) {
    const x = requireInput(ctx, 0, 'data');
    const start = attrInt(ctx.node, 'start', 0);
    const end = attrInt(ctx.node, 'end', x.shape.length);
    return [{ dtype: 'int64', shape: [x.shape.slice(start, end).length] }];
  },
  cost: () => ({ macs: 0, elementwise: 0 }),
  fold(ctx) {
    const x = ctx.inputs[0]!;
    return [int64(x.shape.slice(attrInt(ctx.node, 'start', 0), attrInt(ctx.node, 'end', x.shape.length)))];
  },
};

export const Gather: OpSpec = {
  op: 'Gather',
  infer(ctx) {
    const x = requireInput(ctx, 0, 'data');
    const idx = requireInput(ctx, 1, 'indices');
    const axis = normAxis(ctx, attrInt(ctx.node, 'axis', 0), x.shape.length);
    return [{ dtype: x.dtype, shape: [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)] }];
  },
  cost: () => ({ macs: 0, elementwise: 0 }),
  fold(ctx, [y]) {
    const data = constInts(ctx.constants[0]);
    const idx = constInts(ctx.constants[1]);
    if (!data || !idx || ctx.inputs[0]!.shape.length !== 1 || y.dtype !== 'int64') return undefined;
    return [int64(idx.map((i) => data[i < 0 ? i + data.length : i]))];
  },
};

export const Cast: OpSpec = {
  op: 'Cast',
  infer(ctx) {
    const x = requireInput(ctx, 0, 'input');
    const to = ONNX_DTYPE_BY_CODE[attrInt(ctx.node, 'to', 1)];
    if (!to) throw nodeError(ctx, `unsupported target type ${attrInt(ctx.node, 'to', 1)}`);
    return [{ dtype: to, shape: x.shape }];
  },
  cost: (_ctx, [y]) => ({ macs: 0, elementwise: elements(y.shape) }),
  fold: (ctx, [y]) => (ctx.constants[0] && y.dtype === 'int64' ? [int64(constInts(ctx.constants[0])!)] : undefined),
};

export const Constant: OpSpec = {
  op: 'Constant',
  infer(ctx) {
    const a = ctx.node.attrs;
    if (a.value?.type === 'tensor') return [{ dtype: a.value.value.dtype, shape: a.value.value.shape }];
    if (a.value_float) return [{ dtype: 'float32', shape: [] }];
    if (a.value_floats?.type === 'floats') return [{ dtype: 'float32', shape: [a.value_floats.value.length] }];
    if (a.value_int) return [{ dtype: 'int64', shape: [] }];
    if (a.value_ints?.type === 'ints') return [{ dtype: 'int64', shape: [a.value_ints.value.length] }];
    throw nodeError(ctx, 'has no value attribute the studio can read');
  },
  cost: () => ({ macs: 0, elementwise: 0 }),
  fold(ctx) {
    const a = ctx.node.attrs;
    if (a.value?.type === 'tensor') return a.value.value.data ? [a.value.value.data] : undefined;
    if (a.value_float?.type === 'float') return [Float32Array.of(a.value_float.value)];
    if (a.value_floats?.type === 'floats') return [Float32Array.from(a.value_floats.value)];
    if (a.value_int?.type === 'int') return [int64([a.value_int.value])];
    if (a.value_ints?.type === 'ints') return [int64(a.value_ints.value)];
    return undefined;
  },
};

export const ConstantOfShape: OpSpec = {
  op: 'ConstantOfShape',
  infer(ctx) {
    requireInput(ctx, 0, 'shape');
    const shape = constInts(ctx.constants[0]);
    if (!shape) throw nodeError(ctx, 'its shape input is not a constant');
    if (shape.some((d) => d < 0 || !Number.isInteger(d))) throw nodeError(ctx, `invalid shape [${shape.join(',')}]`);
    const v = ctx.node.attrs.value;
    return [{ dtype: v?.type === 'tensor' ? v.value.dtype : 'float32', shape }];
  },
  cost: () => ({ macs: 0, elementwise: 0 }),
  // Not folded: the output may be a 100M-element weight; its value is read from the attribute when run.
};

/** ONNX TensorProto.DataType codes. */
export const ONNX_DTYPE_BY_CODE: Record<number, DType | undefined> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
};

export const ONNX_CODE_BY_DTYPE = Object.fromEntries(
  Object.entries(ONNX_DTYPE_BY_CODE).map(([code, dtype]) => [dtype, Number(code)]),
) as Record<DType, number>;
