// Pass 4b: a depthwise Conv whose output only a pointwise Conv reads becomes one
// DepthwisePointwise node (native/DESIGN.md, "Fused depthwise + pointwise"): the addon then runs
// both over bands of rows, the depthwise band feeding the 1x1 GEMM from the cache instead of a
// whole tensor written and read back. Runs on the lowered nodes, after BatchNorm folding and
// activation/residual fusion, so each Conv already carries its own bias and epilogue.
//
// The fused node keeps the pointwise Conv's name (a profile reports its time there) and the
// report lists the depthwise node as fused into it, so the profile join covers both.
// Off by default: on this machine (Zen 5, 1 MB L2, large L3) the banded path breaks even with the
// separate nodes (0.98-1.03 of their time since the depthwise kernel reads its input rows in place):
// the round trip it saves stays in L2/L3 at these sizes, and a band pays its halo rows (DESIGN.md
// has the numbers). STUDIO_NATIVE_FUSE_DWPW=1 (or LowerOptions.fuseDepthwisePointwise) turns it
// on, =0 or unset off, for A/B measurements and the tests; any other value is an error, so that a
// typo cannot silently measure the unfused path.
import { StudioError } from '../../../../shared/ir/types.js';
import type { NativeNodeDesc } from '../addon.js';
import type { LoweringState } from '../lowering-context.js';

/**
 * Whether fusion is on: the option when given, else STUDIO_NATIVE_FUSE_DWPW ('1' on; '0', empty
 * or unset off). Any other value throws, naming the accepted ones.
 */
export function depthwisePointwiseEnabled(option?: boolean): boolean {
  if (option !== undefined) return option;
  const v = process.env.STUDIO_NATIVE_FUSE_DWPW?.trim() ?? '';
  if (v === '1') return true;
  if (v === '0' || v === '') return false;
  throw new StudioError(
    `STUDIO_NATIVE_FUSE_DWPW must be 1 (fuse depthwise + pointwise) or 0 (do not), got '${v}'`,
    'invalid-input',
  );
}

const nums = (v: unknown): number[] | undefined => (Array.isArray(v) ? (v as number[]) : undefined);
const allEqual = (v: unknown, x: number, n: number) => {
  const a = nums(v);
  return a === undefined || (a.length === n && a.every((d) => d === x));
};

export function fuseDepthwisePointwise(state: LoweringState, graphOutputs: ReadonlySet<string>): void {
  const { ctx, lowered, emitted } = state;
  const shape = (t: string) => ctx.extraShapes.get(t) ?? emitted.get(t)?.shape ?? ctx.shapeOf(t);
  const isConst = (t: string) => t === '' || emitted.has(t);
  const reads = new Map<string, number>();
  for (const n of lowered) for (const i of n.inputs) if (i) reads.set(i, (reads.get(i) ?? 0) + 1);
  const readerOf = new Map<string, NativeNodeDesc>();
  for (const n of lowered) for (const i of n.inputs) if (i) readerOf.set(i, n);

  const isDepthwise = (n: NativeNodeDesc) => {
    const x = shape(n.inputs[0]);
    const w = shape(n.inputs[1]);
    if (n.op !== 'Conv' || x?.length !== 4 || w?.length !== 4 || n.outputs.length !== 1) return false;
    const c = x[1];
    const residual = n.inputs[3] ?? '';
    return (
      n.attrs.group === c &&
      w[0] === c &&
      w[1] === 1 &&
      residual === '' &&
      isConst(n.inputs[1]) &&
      isConst(n.inputs[2] ?? '')
    );
  };
  const isPointwise = (n: NativeNodeDesc, t: string) => {
    const w = shape(n.inputs[1]);
    return (
      n.op === 'Conv' &&
      n.inputs[0] === t &&
      w?.length === 4 &&
      w[2] === 1 &&
      w[3] === 1 &&
      (n.attrs.group ?? 1) === 1 &&
      allEqual(n.attrs.strides, 1, 2) &&
      allEqual(n.attrs.pads, 0, 4) &&
      isConst(n.inputs[1]) &&
      isConst(n.inputs[2] ?? '')
    );
  };

  const replaced = new Map<NativeNodeDesc, NativeNodeDesc | null>(); // null: removed
  for (const dw of lowered) {
    if (replaced.has(dw) || !isDepthwise(dw)) continue;
    const t = dw.outputs[0];
    const pw = readerOf.get(t);
    if (graphOutputs.has(t) || reads.get(t) !== 1 || !pw || replaced.has(pw) || !isPointwise(pw, t)) continue;
    const a = dw.attrs;
    replaced.set(dw, null);
    replaced.set(pw, {
      name: pw.name,
      op: 'DepthwisePointwise',
      inputs: [dw.inputs[0], dw.inputs[1], dw.inputs[2] ?? '', pw.inputs[1], pw.inputs[2] ?? '', pw.inputs[3] ?? ''],
      outputs: [...pw.outputs],
      attrs: {
        kernel: a.kernel,
        strides: a.strides,
        pads: a.pads,
        dilations: a.dilations,
        group: a.group,
        dw_activation: a.activation,
        dw_clip_min: a.clip_min,
        dw_clip_max: a.clip_max,
        activation: pw.attrs.activation,
        clip_min: pw.attrs.clip_min,
        clip_max: pw.attrs.clip_max,
      },
    });
    ctx.report.fusedDepthwise.push({ depthwise: dw.name, into: pw.name });
  }
  if (replaced.size === 0) return;
  const out: NativeNodeDesc[] = [];
  for (const n of lowered) {
    const r = replaced.get(n);
    if (r !== null) out.push(r ?? n);
  }
  lowered.splice(0, lowered.length, ...out);
}
