import { attrInt, attrInts, elements, nodeError, requireInput, type OpSpec } from './op-spec.js';
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
