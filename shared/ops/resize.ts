// Resize and Upsample: interpolation to a size given by constant scales or sizes (the upsampling of
// FPNs, U-Nets, segmentation decoders and super-resolution networks).
import type { Shape, TensorData } from '../ir/types.js';
import {
  attrString,
  constInts,
  elements,
  nodeError,
  requireInput,
  type OpContext,
  type OpSpec,
  type OutputInfo,
} from './op-spec.js';

/**
 * Output size of Resize/Upsample. Sizes win when given; otherwise floor(in x scale), with the
 * product taken in float32 as the ONNX reference does (a scale of 1/3 stored as 0.33333334 gives 1, not 0).
 */
function resizedShape(ctx: OpContext, x: Shape, scales: number[] | undefined, sizes: number[] | undefined): Shape {
  if (sizes && sizes.length > 0) {
    if (sizes.length !== x.length) throw nodeError(ctx, `sizes has ${sizes.length} values for rank ${x.length}`);
    return sizes;
  }
  if (!scales || scales.length === 0) throw nodeError(ctx, 'needs constant scales or sizes');
  if (scales.length !== x.length) throw nodeError(ctx, `scales has ${scales.length} values for rank ${x.length}`);
  if (scales.some((s) => !(s > 0))) throw nodeError(ctx, `scales [${scales.join(',')}] must be positive`);
  return x.map((d, i) => Math.floor(Math.fround(d * Math.fround(scales[i]))));
}

/**
 * Interpolation cost per output element, separable per resized axis: nearest copies (0),
 * linear is a + t x (b - a) (3), cubic is a 4-tap filter (4 multiplies + 3 additions: 7).
 */
function resizeCost(ctx: OpContext, [y]: OutputInfo[]) {
  const mode = attrString(ctx.node, 'mode', 'nearest');
  const x = ctx.inputs[0]!;
  const axes = y.shape.filter((d, i) => d !== x.shape[i]).length;
  const per = mode === 'nearest' ? 0 : mode === 'cubic' ? 7 : 3;
  return { macs: 0, elementwise: per * axes * elements(y.shape) };
}

const floats = (data: TensorData | undefined) =>
  data ? Array.from(data as ArrayLike<number | bigint>, Number) : undefined;

/** Resize (opset 10: X, scales; 11+: X, roi, scales, sizes). Upsampling in FPNs, U-Nets and decoders. */
export const Resize: OpSpec = {
  op: 'Resize',
  infer(ctx) {
    const x = requireInput(ctx, 0, 'X');
    const old = ctx.node.inputs.length === 2; // opset 10: the second input is scales (roi came at 11)
    const scalesAt = old ? 1 : 2;
    const want = (i: number) =>
      ctx.inputs[i] !== undefined && !(ctx.inputs[i]!.shape.length === 1 && ctx.inputs[i]!.shape[0] === 0);
    for (const i of [scalesAt, 3])
      if (want(i) && !ctx.constants[i])
        throw nodeError(
          ctx,
          `its ${i === 3 ? 'sizes' : 'scales'} input is computed at run time and could not be folded to a constant`,
        );
    const scales = want(scalesAt) ? floats(ctx.constants[scalesAt]) : undefined;
    const sizes = !old && want(3) ? constInts(ctx.constants[3]) : undefined;
    return [{ dtype: x.dtype, shape: resizedShape(ctx, x.shape, scales, sizes) }];
  },
  cost: resizeCost,
};

/** Upsample, Resize's predecessor (deprecated at opset 10): scales as an attribute (7-8) or input (9). */
export const Upsample: OpSpec = {
  op: 'Upsample',
  infer(ctx) {
    const x = requireInput(ctx, 0, 'X');
    const attr = ctx.node.attrs.scales;
    const scales = attr?.type === 'floats' ? attr.value : floats(ctx.constants[1]);
    if (!scales) throw nodeError(ctx, 'its scales are computed at run time and could not be folded to a constant');
    return [{ dtype: x.dtype, shape: resizedShape(ctx, x.shape, scales, undefined) }];
  },
  cost: resizeCost,
};
