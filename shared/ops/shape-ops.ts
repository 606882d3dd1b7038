import type { DType, TensorData } from '../ir/types.js';
import {
  attrInt,
  attrInts,
  broadcastShapes,
  constInts,
  elements,
  nodeError,
  normAxis,
  requireInput,
  type OpContext,
  type OpSpec,
} from './op-spec.js';

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
  fold(ctx, [y]) {
    // Folds shape vectors only: 1-D int64 pieces joined end to end (a float constant is no shape).
    if (y.dtype !== 'int64' || y.shape.length !== 1) return undefined;
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
    // Opsets 1-4 gave the target shape as an attribute; since 5 it is the second input.
    const attr = attrInts(ctx.node, 'shape');
    if (!attr) requireInput(ctx, 1, 'shape');
    const target = attr ?? constInts(ctx.constants[1]);
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
    // An index out of range is an invalid model, not a value: left unfolded (the runtime refuses it).
    if (idx.some((i) => i < -data.length || i >= data.length)) return undefined;
    return [int64(idx.map((i) => data[i < 0 ? i + data.length : i]))];
  },
};

export const Cast: OpSpec = {
  op: 'Cast',
  infer(ctx) {
    const x = requireInput(ctx, 0, 'input');
    // Cast-1 names the target type ('FLOAT'); since opset 6 it is a TensorProto.DataType code.
    const a = ctx.node.attrs.to;
    const code = a?.type === 'string' ? DATA_TYPE_CODE_BY_NAME[a.value.toUpperCase()] : attrInt(ctx.node, 'to', 1);
    const to = code === undefined ? undefined : ONNX_DTYPE_BY_CODE[code];
    if (!to) throw nodeError(ctx, `unsupported target type ${a?.type === 'string' ? `'${a.value}'` : code}`);
    return [{ dtype: to, shape: x.shape }];
  },
  cost: (_ctx, [y]) => ({ macs: 0, elementwise: elements(y.shape) }),
  fold(ctx, [y]) {
    // Float to integer casts truncate toward zero; NaN and infinities have no int64 value to fold.
    const values = constInts(ctx.constants[0]);
    if (!values || y.dtype !== 'int64' || values.some((v) => !Number.isFinite(v))) return undefined;
    return [int64(values.map(Math.trunc))];
  },
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

/** Reads a constant integer input, or fails naming it: these operators' output shapes depend on it. */
function constInput(ctx: OpContext, i: number, what: string): number[] {
  requireInput(ctx, i, what);
  const v = constInts(ctx.constants[i]);
  if (!v) throw nodeError(ctx, `its ${what} input is computed at run time and could not be folded to a constant`);
  return v;
}

/**
 * Padding (explicit padding layers, reflection padding of style-transfer and GAN generators).
 * Pads come from the `paddings` attribute (opset 1), the `pads` attribute (2-10) or the second
 * input (11+); ONNX order, all begins then all ends; negative pads crop.
 */
export const Pad: OpSpec = {
  op: 'Pad',
  infer(ctx) {
    const x = requireInput(ctx, 0, 'data');
    const rank = x.shape.length;
    const pads = attrInts(ctx.node, 'pads') ?? attrInts(ctx.node, 'paddings') ?? constInput(ctx, 1, 'pads');
    let full = pads;
    if (ctx.inputs[3]) {
      // opset 18: pads apply to the listed axes only.
      const axes = constInput(ctx, 3, 'axes').map((a) => normAxis(ctx, a, rank));
      if (pads.length !== 2 * axes.length)
        throw nodeError(ctx, `pads has ${pads.length} values for ${axes.length} axes, needs ${2 * axes.length}`);
      full = Array(2 * rank).fill(0);
      axes.forEach((a, k) => {
        full[a] = pads[k];
        full[a + rank] = pads[k + axes.length];
      });
    }
    if (full.length !== 2 * rank)
      throw nodeError(ctx, `pads has ${full.length} values, needs ${2 * rank} for an input of rank ${rank}`);
    const shape = x.shape.map((d, i) => d + full[i] + full[i + rank]);
    if (shape.some((d) => d < 0)) throw nodeError(ctx, `pads [${full.join(',')}] crop [${x.shape.join(',')}] below 0`);
    return [{ dtype: x.dtype, shape }];
  },
  cost: () => ({ macs: 0, elementwise: 0 }),
};

/**
 * Numpy-style slicing (center crops, the channel halves of ShuffleNet, Shape -> Slice chains).
 * starts/ends/axes are attributes before opset 10 and inputs (with steps) since.
 */
export const Slice: OpSpec = {
  op: 'Slice',
  infer(ctx) {
    const x = requireInput(ctx, 0, 'data');
    return [{ dtype: x.dtype, shape: sliceRanges(ctx).map((r) => r.length) }];
  },
  cost: () => ({ macs: 0, elementwise: 0 }),
  fold(ctx, [y]) {
    const data = constInts(ctx.constants[0]);
    if (!data || ctx.inputs[0]!.shape.length !== 1 || y.dtype !== 'int64') return undefined;
    const [{ start, step, length }] = sliceRanges(ctx);
    return [int64(Array.from({ length }, (_, k) => data[start + k * step]))];
  },
};

/** Per axis of Slice's input: first index, step and number of elements taken. */
function sliceRanges(ctx: OpContext): { start: number; step: number; length: number }[] {
  const x = ctx.inputs[0]!;
  const rank = x.shape.length;
  const old = attrInts(ctx.node, 'starts') !== undefined;
  const starts = old ? attrInts(ctx.node, 'starts')! : constInput(ctx, 1, 'starts');
  const ends = old ? attrInts(ctx.node, 'ends') : constInput(ctx, 2, 'ends');
  const axes = old ? attrInts(ctx.node, 'axes') : ctx.inputs[3] ? constInput(ctx, 3, 'axes') : undefined;
  const steps = !old && ctx.inputs[4] ? constInput(ctx, 4, 'steps') : undefined;
  if (!ends || ends.length !== starts.length || (axes && axes.length !== starts.length))
    throw nodeError(ctx, 'starts, ends and axes must have the same length');
  const out = x.shape.map((d) => ({ start: 0, step: 1, length: d }));
  starts.forEach((s0, k) => {
    const axis = normAxis(ctx, axes ? axes[k] : k, rank);
    const dim = x.shape[axis];
    const step = steps ? steps[k] : 1;
    if (step === 0) throw nodeError(ctx, 'a step must not be 0');
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    let s = s0 < 0 ? s0 + dim : s0;
    let e = ends[k] < 0 ? ends[k] + dim : ends[k];
    if (step > 0) {
      s = clamp(s, 0, dim);
      e = clamp(e, 0, dim);
    } else {
      s = clamp(s, 0, dim - 1);
      e = clamp(e, -1, dim - 1);
    }
    out[axis] = { start: s, step, length: Math.max(0, Math.ceil((e - s) / step)) };
  });
  return out;
}

/**
 * Splits along an axis into the node's outputs (grouped convolutions written out, ShuffleNet).
 * Sizes come from the `split` attribute (before 13) or input; without them the parts are equal
 * (opset 18 lets the last one be smaller).
 */
export const Split: OpSpec = {
  op: 'Split',
  infer(ctx) {
    const x = requireInput(ctx, 0, 'input');
    const axis = normAxis(ctx, attrInt(ctx.node, 'axis', 0), x.shape.length);
    const dim = x.shape[axis];
    const n = ctx.node.outputs.length;
    let sizes = attrInts(ctx.node, 'split') ?? (ctx.inputs[1] ? constInput(ctx, 1, 'split') : undefined);
    if (!sizes) {
      const part = Math.ceil(dim / n);
      sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(part, dim - i * part)));
    }
    if (sizes.length !== n) throw nodeError(ctx, `split has ${sizes.length} sizes for ${n} outputs`);
    if (sizes.reduce((a, b) => a + b, 0) !== dim)
      throw nodeError(ctx, `split sizes [${sizes.join(',')}] do not add up to axis ${axis}'s size ${dim}`);
    return sizes.map((d) => ({ dtype: x.dtype, shape: x.shape.map((v, i) => (i === axis ? d : v)) }));
  },
  cost: () => ({ macs: 0, elementwise: 0 }),
};

/** Broadcasts the input to a shape given as a constant input (numpy rules, both ways). */
export const Expand: OpSpec = {
  op: 'Expand',
  infer(ctx) {
    const x = requireInput(ctx, 0, 'input');
    return [{ dtype: x.dtype, shape: broadcastShapes(ctx, [x.shape, constInput(ctx, 1, 'shape')]) }];
  },
  cost: () => ({ macs: 0, elementwise: 0 }),
};

/** Repeats the input `repeats[i]` times along each axis. */
export const Tile: OpSpec = {
  op: 'Tile',
  infer(ctx) {
    const x = requireInput(ctx, 0, 'input');
    const repeats = constInput(ctx, 1, 'repeats');
    if (repeats.length !== x.shape.length)
      throw nodeError(ctx, `repeats has ${repeats.length} values for an input of rank ${x.shape.length}`);
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => d * repeats[i]) }];
  },
  cost: () => ({ macs: 0, elementwise: 0 }),
};

/** Pixel shuffle (sub-pixel convolution upsampling) and its inverse, on N x C x H x W. */
function blockRearrange(op: 'DepthToSpace' | 'SpaceToDepth'): OpSpec {
  return {
    op,
    infer(ctx) {
      const x = requireInput(ctx, 0, 'input');
      const b = attrInt(ctx.node, 'blocksize', 0);
      if (x.shape.length !== 4) throw nodeError(ctx, `input must be N x C x H x W, got [${x.shape.join(',')}]`);
      if (!(b >= 1)) throw nodeError(ctx, 'attribute blocksize must be at least 1');
      const [n, c, h, w] = x.shape;
      if (op === 'DepthToSpace') {
        if (c % (b * b) !== 0) throw nodeError(ctx, `channels ${c} are not divisible by blocksize² ${b * b}`);
        return [{ dtype: x.dtype, shape: [n, c / (b * b), h * b, w * b] }];
      }
      if (h % b !== 0 || w % b !== 0) throw nodeError(ctx, `spatial size ${h}x${w} is not divisible by blocksize ${b}`);
      return [{ dtype: x.dtype, shape: [n, c * b * b, h / b, w / b] }];
    },
    cost: () => ({ macs: 0, elementwise: 0 }),
  };
}

export const DepthToSpace = blockRearrange('DepthToSpace');
export const SpaceToDepth = blockRearrange('SpaceToDepth');

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

/** TensorProto.DataType names, as Cast-1 spelled its `to` attribute. */
const DATA_TYPE_CODE_BY_NAME: Record<string, number | undefined> = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
};

export const ONNX_CODE_BY_DTYPE = Object.fromEntries(
  Object.entries(ONNX_DTYPE_BY_CODE).map(([code, dtype]) => [dtype, Number(code)]),
) as Record<DType, number>;
