import { attrInt, attrInts, attrString, elements, nodeError, requireInput, type OpSpec } from './op-spec.js';
import { slidingWindow } from './spatial.js';

export const Conv: OpSpec = {
  op: 'Conv',
  weightInputs: [1, 2],
  infer(ctx) {
    const x = requireInput(ctx, 0, 'X');
    const w = requireInput(ctx, 1, 'W');
    const b = ctx.inputs[2];
    const group = attrInt(ctx.node, 'group', 1);
    if (x.shape.length < 3) throw nodeError(ctx, `input must be N x C x spatial..., got [${x.shape.join(',')}]`);
    if (w.shape.length !== x.shape.length)
      throw nodeError(ctx, `weight rank ${w.shape.length} does not match input rank ${x.shape.length}`);
    const [n, c] = x.shape;
    const [m, cPerGroup] = w.shape;
    if (!(group >= 1)) throw nodeError(ctx, `group must be at least 1, got ${group}`);
    if (c % group !== 0) throw nodeError(ctx, `input channels ${c} are not divisible by group ${group}`);
    if (m % group !== 0) throw nodeError(ctx, `output channels ${m} are not divisible by group ${group}`);
    if (cPerGroup * group !== c)
      throw nodeError(
        ctx,
        `weight expects ${cPerGroup * group} input channels (${cPerGroup} x group ${group}) but the input has ${c}`,
      );
    if (b && (b.shape.length !== 1 || b.shape[0] !== m))
      throw nodeError(ctx, `bias shape [${b.shape.join(',')}] must be [${m}]`);
    const kernel = attrInts(ctx.node, 'kernel_shape') ?? w.shape.slice(2);
    if (kernel.some((k, i) => k !== w.shape[2 + i]))
      throw nodeError(ctx, `kernel_shape [${kernel.join(',')}] disagrees with the weight [${w.shape.join(',')}]`);
    const win = slidingWindow(ctx, x.shape.slice(2), kernel, ctx.node);
    return [{ dtype: x.dtype, shape: [n, m, ...win.outSpatial] }];
  },
  cost(ctx, [y]) {
    const w = ctx.inputs[1]!;
    // Each output element is a dot product over (C / group) x kernel elements.
    const perOutput = elements(w.shape.slice(1));
    const outElems = elements(y.shape);
    return { macs: outElems * perOutput, elementwise: ctx.inputs[2] ? outElems : 0 };
  },
};

/**
 * The transpose (fractionally strided) convolution of decoders and segmentation heads. Weight is
 * C x (M / group) x kernel; output size per spatial axis follows the ONNX specification:
 * output_shape when given, in x stride with SAME_* padding, else
 * stride x (in - 1) + output_padding + (k - 1) x dilation + 1 - pad_begin - pad_end.
 */
export const ConvTranspose: OpSpec = {
  op: 'ConvTranspose',
  weightInputs: [1, 2],
  infer(ctx) {
    const x = requireInput(ctx, 0, 'X');
    const w = requireInput(ctx, 1, 'W');
    const b = ctx.inputs[2];
    const node = ctx.node;
    const group = attrInt(node, 'group', 1);
    if (x.shape.length < 3) throw nodeError(ctx, `input must be N x C x spatial..., got [${x.shape.join(',')}]`);
    if (w.shape.length !== x.shape.length)
      throw nodeError(ctx, `weight rank ${w.shape.length} does not match input rank ${x.shape.length}`);
    if (!(group >= 1)) throw nodeError(ctx, `group must be at least 1, got ${group}`);
    const [n, c] = x.shape;
    if (w.shape[0] !== c)
      throw nodeError(ctx, `weight [${w.shape.join(',')}] expects ${w.shape[0]} input channels but the input has ${c}`);
    const m = w.shape[1] * group;
    if (b && (b.shape.length !== 1 || b.shape[0] !== m))
      throw nodeError(ctx, `bias shape [${b.shape.join(',')}] must be [${m}]`);
    const inSpatial = x.shape.slice(2);
    const rank = inSpatial.length;
    const kernel = attrInts(node, 'kernel_shape') ?? w.shape.slice(2);
    if (kernel.length !== rank || kernel.some((k, i) => k !== w.shape[2 + i]))
      throw nodeError(ctx, `kernel_shape [${kernel.join(',')}] disagrees with the weight [${w.shape.join(',')}]`);
    const strides = attrInts(node, 'strides') ?? Array(rank).fill(1);
    const dilations = attrInts(node, 'dilations') ?? Array(rank).fill(1);
    const outputPadding = attrInts(node, 'output_padding') ?? Array(rank).fill(0);
    const pads = attrInts(node, 'pads') ?? Array(2 * rank).fill(0);
    if (
      strides.length !== rank ||
      dilations.length !== rank ||
      outputPadding.length !== rank ||
      pads.length !== 2 * rank
    )
      throw nodeError(ctx, `strides/dilations/output_padding/pads do not match the ${rank} spatial dims of the input`);
    const explicit = attrInts(node, 'output_shape');
    let outSpatial: number[];
    if (explicit) {
      // Spatial sizes; some exporters write the full N x C x spatial shape.
      outSpatial = explicit.length === rank + 2 ? explicit.slice(2) : explicit;
      if (outSpatial.length !== rank)
        throw nodeError(ctx, `output_shape [${explicit.join(',')}] does not match the ${rank} spatial dims`);
    } else {
      const autoPad = attrString(node, 'auto_pad', 'NOTSET');
      if (!['NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER'].includes(autoPad))
        throw nodeError(ctx, `unknown auto_pad '${autoPad}'`);
      outSpatial = inSpatial.map((d, i) => {
        if (autoPad.startsWith('SAME')) return d * strides[i];
        const padTotal = autoPad === 'VALID' ? 0 : pads[i] + pads[i + rank];
        return strides[i] * (d - 1) + outputPadding[i] + (kernel[i] - 1) * dilations[i] + 1 - padTotal;
      });
    }
    if (outSpatial.some((d) => !(d >= 1)))
      throw nodeError(ctx, `output spatial size [${outSpatial.join(',')}] is not positive`);
    return [{ dtype: x.dtype, shape: [n, m, ...outSpatial] }];
  },
  cost(ctx, [y]) {
    // Every input element is multiplied into (M / group) x kernel output positions.
    const x = ctx.inputs[0]!;
    const w = ctx.inputs[1]!;
    return { macs: elements(x.shape) * elements(w.shape.slice(1)), elementwise: ctx.inputs[2] ? elements(y.shape) : 0 };
  },
};
