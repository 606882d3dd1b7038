import type { TensorData } from '../ir/types.js';
import { broadcastShapes, elements, nodeError, type OpSpec } from './op-spec.js';

/** Element-wise operators with numpy broadcasting; Sum, Max, Min, Mean take any number of inputs. */
function broadcasting(op: string, fold?: (a: number, b: number) => number): OpSpec {
  return {
    op,
    // A constant operand with more than one element is a learned tensor (bias or scale);
    // a scalar operand (a residual scale, an epsilon) is a constant. See graph/params.ts.
    weightInputs: [1],
    infer(ctx) {
      const present = ctx.inputs.filter((t) => t !== undefined);
      if (present.length === 0) throw nodeError(ctx, 'needs at least one input');
      if (!fold && present.length < 1) throw nodeError(ctx, 'needs inputs');
      return [
        {
          dtype: present[0].dtype,
          shape: broadcastShapes(
            ctx,
            present.map((t) => t.shape),
          ),
        },
      ];
    },
    cost(ctx, [y]) {
      const n = ctx.inputs.filter((t) => t !== undefined).length;
      return { macs: 0, elementwise: Math.max(1, n - 1) * elements(y.shape) };
    },
    fold: fold
      ? (ctx, [y]) => {
          // Folds only small shape arithmetic on 1-D or scalar int64 constants.
          const [a, b] = ctx.constants;
          const [ta, tb] = ctx.inputs;
          if (!a || !b || !ta || !tb || y.dtype !== 'int64' || elements(y.shape) > 64) return undefined;
          const n = elements(y.shape);
          const out = new BigInt64Array(n);
          for (let i = 0; i < n; i++) {
            const va = Number(a[elements(ta.shape) === 1 ? 0 : i] as number | bigint);
            const vb = Number(b[elements(tb.shape) === 1 ? 0 : i] as number | bigint);
            const v = fold(va, vb);
            // Integer division by zero (or any non-finite result) has no int64 value: left unfolded,
            // the value is computed at run time and the shapes that need it say so.
            if (!Number.isFinite(v)) return undefined;
            out[i] = BigInt(Math.trunc(v));
          }
          return [out as TensorData];
        }
      : undefined,
  };
}

export const Add = broadcasting('Add', (a, b) => a + b);
export const Sub = broadcasting('Sub', (a, b) => a - b);
export const Mul = broadcasting('Mul', (a, b) => a * b);
export const Div = broadcasting('Div', (a, b) => a / b);
export const Pow = broadcasting('Pow');
export const Sum = { ...broadcasting('Sum'), weightInputs: undefined };
export const Max = { ...broadcasting('Max'), weightInputs: undefined };
export const Min = { ...broadcasting('Min'), weightInputs: undefined };
export const Mean = { ...broadcasting('Mean'), weightInputs: undefined };
