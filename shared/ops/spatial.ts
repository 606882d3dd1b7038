import type { GraphNode } from '../ir/types.js';
import { attrInts, attrString, attrInt, nodeError, type OpContext } from './op-spec.js';

/** The sliding-window geometry shared by Conv and the pooling operators. */
export interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** ONNX order: all begins, then all ends. */
  pads: number[];
  outSpatial: number[];
}

/**
 * Output size per spatial axis, following the ONNX operator specification:
 * explicit pads: floor((in + pb + pe - ((k - 1) * d + 1)) / s) + 1 (ceil with ceil_mode);
 * SAME_UPPER/SAME_LOWER: ceil(in / s), padding split with the extra pixel at the end/begin;
 * VALID: ceil((in - ((k - 1) * d + 1) + 1) / s).
 */
export function slidingWindow(ctx: OpContext, inSpatial: number[], kernel: number[], node: GraphNode): Window {
  const n = inSpatial.length;
  if (kernel.length !== n) throw nodeError(ctx, `kernel has ${kernel.length} spatial dims but the input has ${n}`);
  const strides = attrInts(node, 'strides') ?? Array(n).fill(1);
  const dilations = attrInts(node, 'dilations') ?? Array(n).fill(1);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  const ceilMode = attrInt(node, 'ceil_mode', 0) === 1;
  let pads = attrInts(node, 'pads') ?? Array(2 * n).fill(0);
  if (strides.length !== n || dilations.length !== n || pads.length !== 2 * n)
    throw nodeError(ctx, `strides/dilations/pads do not match the ${n} spatial dims of the input`);
  for (let i = 0; i < n; i++) {
    if (!(kernel[i] >= 1)) throw nodeError(ctx, `kernel size ${kernel[i]} must be at least 1`);
    if (!(strides[i] >= 1)) throw nodeError(ctx, `stride ${strides[i]} must be at least 1`);
    if (!(dilations[i] >= 1)) throw nodeError(ctx, `dilation ${dilations[i]} must be at least 1`);
  }
  const effective = kernel.map((k, i) => (k - 1) * dilations[i] + 1);
  const outSpatial: number[] = [];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = Array(2 * n).fill(0);
    for (let i = 0; i < n; i++) {
      const out = Math.ceil(inSpatial[i] / strides[i]);
      const total = Math.max(0, (out - 1) * strides[i] + effective[i] - inSpatial[i]);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + n] = total - pads[i];
      outSpatial.push(out);
    }
  } else if (autoPad === 'VALID') {
    pads = Array(2 * n).fill(0);
    for (let i = 0; i < n; i++) {
      if (effective[i] > inSpatial[i])
        throw nodeError(ctx, `kernel ${effective[i]} (with dilation) is larger than the input size ${inSpatial[i]}`);
      outSpatial.push(Math.ceil((inSpatial[i] - effective[i] + 1) / strides[i]));
    }
  } else if (autoPad === 'NOTSET') {
    for (let i = 0; i < n; i++) {
      if (pads[i] < 0 || pads[i + n] < 0) throw nodeError(ctx, `pads must not be negative`);
      const padded = inSpatial[i] + pads[i] + pads[i + n];
      if (effective[i] > padded)
        throw nodeError(
          ctx,
          `kernel ${effective[i]} (with dilation) is larger than the padded input ${padded} on spatial axis ${i}`,
        );
      const q = (padded - effective[i]) / strides[i];
      let out = (ceilMode ? Math.ceil(q) : Math.floor(q)) + 1;
      // With ceil_mode the last window must start inside the input or the left padding (ONNX, PyTorch).
      if (ceilMode && (out - 1) * strides[i] >= inSpatial[i] + pads[i]) out -= 1;
      outSpatial.push(out);
    }
  } else {
    throw nodeError(ctx, `unknown auto_pad '${autoPad}'`);
  }
  return { kernel, strides, dilations, pads, outSpatial };
}
