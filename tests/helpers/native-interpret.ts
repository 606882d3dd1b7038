// A straight-loop, float64 interpreter of a NativeGraphDesc: the executable specification of the
// lowered operator set (native/DESIGN.md's table), written from that table and not from the C++.
// The tests run lowered graphs through it to check lowering (folding, fusion, Alias, Softmax
// coercion) without the addon; it is far too slow for anything else.
import type { NativeGraphDesc, NativeNodeDesc } from '../../main/backends/native/addon.js';

export interface InterpTensor {
  shape: number[];
  data: Float64Array;
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const stridesOf = (s: number[]) => s.map((_, i) => size(s.slice(i + 1)));

function num(n: NativeNodeDesc, k: string, d: number): number {
  const v = n.attrs[k];
  return typeof v === 'number' ? v : d;
}
function nums(n: NativeNodeDesc, k: string, d: number[]): number[] {
  const v = n.attrs[k];
  return Array.isArray(v) ? v : d;
}

function activate(n: NativeNodeDesc, v: number): number {
  const act = n.attrs.activation;
  if (act === 'relu') return v > 0 ? v : 0;
  if (act === 'clip') return Math.min(num(n, 'clip_max', Infinity), Math.max(num(n, 'clip_min', -Infinity), v));
  return v;
}

function broadcast(ts: InterpTensor[], shape: number[], f: (a: number, b: number) => number): InterpTensor {
  const rank = shape.length;
  const out = new Float64Array(size(shape));
  const to = stridesOf(shape);
  const views = ts.map((t) => {
    const s = [...Array(rank - t.shape.length).fill(1), ...t.shape];
    return { s, st: stridesOf(s), data: t.data };
  });
  for (let i = 0; i < out.length; i++) {
    let acc = 0;
    views.forEach((v, j) => {
      let idx = 0;
      for (let k = 0; k < rank; k++) if (v.s[k] !== 1) idx += (Math.floor(i / to[k]) % shape[k]) * v.st[k];
      acc = j === 0 ? v.data[idx] : f(acc, v.data[idx]);
    });
    out[i] = acc;
  }
  return { shape, data: out };
}

function conv(
  n: NativeNodeDesc,
  x: InterpTensor,
  w: InterpTensor,
  b: InterpTensor | undefined,
  r: InterpTensor | undefined,
  shape: number[],
): InterpTensor {
  const [N, C, H, W] = x.shape;
  const [M, Cg, KH, KW] = w.shape;
  const [, , OH, OW] = shape;
  const g = num(n, 'group', 1);
  const [sh, sw] = nums(n, 'strides', [1, 1]);
  const [dh, dw] = nums(n, 'dilations', [1, 1]);
  const [pt, pl] = nums(n, 'pads', [0, 0, 0, 0]);
  const out = new Float64Array(size(shape));
  const mPerG = M / g;
  for (let nn = 0; nn < N; nn++)
    for (let m = 0; m < M; m++) {
      const grp = Math.floor(m / mPerG);
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          let acc = b ? b.data[m] : 0;
          for (let c = 0; c < Cg; c++)
            for (let ky = 0; ky < KH; ky++) {
              const iy = oy * sh - pt + ky * dh;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < KW; kx++) {
                const ix = ox * sw - pl + kx * dw;
                if (ix < 0 || ix >= W) continue;
                acc += x.data[((nn * C + grp * Cg + c) * H + iy) * W + ix] * w.data[((m * Cg + c) * KH + ky) * KW + kx];
              }
            }
          const o = ((nn * M + m) * OH + oy) * OW + ox;
          out[o] = activate(n, acc + (r ? r.data[o] : 0));
        }
    }
  return { shape, data: out };
}

function pool(n: NativeNodeDesc, x: InterpTensor, shape: number[], max: boolean): InterpTensor {
  const [N, C, H, W] = x.shape;
  const [, , OH, OW] = shape;
  const [KH, KW] = nums(n, 'kernel', []);
  const [sh, sw] = nums(n, 'strides', [1, 1]);
  const [dh, dw] = nums(n, 'dilations', [1, 1]);
  const [pt, pl, pb, pr] = nums(n, 'pads', [0, 0, 0, 0]);
  const includePad = num(n, 'count_include_pad', 0) === 1;
  const out = new Float64Array(size(shape));
  for (let nc = 0; nc < N * C; nc++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        let acc = max ? -Infinity : 0;
        let count = 0;
        for (let ky = 0; ky < KH; ky++)
          for (let kx = 0; kx < KW; kx++) {
            const iy = oy * sh - pt + ky * dh;
            const ix = ox * sw - pl + kx * dw;
            if (includePad && iy >= -pt && iy < H + pb && ix >= -pl && ix < W + pr) count++;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            if (!includePad) count++;
            const v = x.data[(nc * H + iy) * W + ix];
            acc = max ? Math.max(acc, v) : acc + v;
          }
        out[(nc * OH + oy) * OW + ox] = max ? acc : acc / count;
      }
  return { shape, data: out };
}

function gemm(n: NativeNodeDesc, a: InterpTensor, b: InterpTensor, c: InterpTensor | undefined, shape: number[]) {
  const ta = num(n, 'transA', 0) === 1;
  const tb = num(n, 'transB', 0) === 1;
  const [M, N] = shape;
  const K = ta ? a.shape[0] : a.shape[1];
  const alpha = num(n, 'alpha', 1);
  const beta = num(n, 'beta', 1);
  const cb = c ? broadcast([c], shape, (p) => p) : undefined;
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += a.data[ta ? k * M + i : i * K + k] * b.data[tb ? j * K + k : k * N + j];
      out[i * N + j] = activate(n, alpha * acc + (cb ? beta * cb.data[i * N + j] : 0));
    }
  return { shape, data: out };
}

function matmul(a: InterpTensor, b: InterpTensor, shape: number[]): InterpTensor {
  const as = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
  const bs = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
  const [M, K] = as.slice(-2);
  const N = bs[bs.length - 1];
  const batch = size(shape) / (M * N);
  const batchShape = [...shape];
  // Batch indices broadcast like numpy: compute each operand's matrix offset per output matrix.
  const outBatch = a.shape.length > 1 && b.shape.length > 1 ? shape.slice(0, -2) : shape.slice(0, -1);
  const rank = outBatch.length;
  const offset = (s: number[], i: number) => {
    const bsh = [...Array(rank - (s.length - 2)).fill(1), ...s.slice(0, -2)];
    const st = stridesOf(bsh);
    const ost = stridesOf(outBatch);
    let idx = 0;
    for (let k = 0; k < rank; k++) if (bsh[k] !== 1) idx += (Math.floor(i / ost[k]) % outBatch[k]) * st[k];
    return idx * s[s.length - 2] * s[s.length - 1];
  };
  const out = new Float64Array(size(batchShape));
  for (let bi = 0; bi < batch; bi++) {
    const oa = offset(as, bi);
    const ob = offset(bs, bi);
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += a.data[oa + i * K + k] * b.data[ob + k * N + j];
        out[bi * M * N + i * N + j] = acc;
      }
  }
  return { shape, data: out };
}

function softmax(x: InterpTensor, axis: number): InterpTensor {
  const inner = size(x.shape.slice(axis + 1));
  const len = x.shape[axis];
  const out = new Float64Array(x.data.length);
  for (let o = 0; o < size(x.shape.slice(0, axis)); o++)
    for (let i = 0; i < inner; i++) {
      const at = (k: number) => (o * len + k) * inner + i;
      let mx = -Infinity;
      for (let k = 0; k < len; k++) mx = Math.max(mx, x.data[at(k)]);
      let sum = 0;
      for (let k = 0; k < len; k++) sum += Math.exp(x.data[at(k)] - mx);
      for (let k = 0; k < len; k++) out[at(k)] = Math.exp(x.data[at(k)] - mx) / sum;
    }
  return { shape: x.shape, data: out };
}

function lrn(n: NativeNodeDesc, x: InterpTensor): InterpTensor {
  const [N, C] = x.shape;
  const inner = size(x.shape.slice(2));
  const sz = num(n, 'size', 1);
  const alpha = num(n, 'alpha', 1e-4);
  const beta = num(n, 'beta', 0.75);
  const bias = num(n, 'bias', 1);
  const out = new Float64Array(x.data.length);
  const lo = Math.floor((sz - 1) / 2);
  const hi = Math.ceil((sz - 1) / 2);
  for (let b = 0; b < N; b++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < inner; i++) {
        let sq = 0;
        for (let k = Math.max(0, c - lo); k <= Math.min(C - 1, c + hi); k++) sq += x.data[(b * C + k) * inner + i] ** 2;
        const idx = (b * C + c) * inner + i;
        out[idx] = x.data[idx] / (bias + (alpha / sz) * sq) ** beta;
      }
  return { shape: x.shape, data: out };
}

function transpose(x: InterpTensor, perm: number[], shape: number[]): InterpTensor {
  const st = stridesOf(x.shape);
  const ost = stridesOf(shape);
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    let src = 0;
    for (let k = 0; k < shape.length; k++) src += (Math.floor(i / ost[k]) % shape[k]) * st[perm[k]];
    out[i] = x.data[src];
  }
  return { shape, data: out };
}

function concat(xs: InterpTensor[], axis: number, shape: number[]): InterpTensor {
  const outer = size(shape.slice(0, axis));
  const out = new Float64Array(size(shape));
  let pos = 0;
  for (let o = 0; o < outer; o++)
    for (const x of xs) {
      const chunk = size(x.shape.slice(axis));
      out.set(x.data.subarray(o * chunk, (o + 1) * chunk), pos);
      pos += chunk;
    }
  return { shape, data: out };
}

function runNode(n: NativeNodeDesc, ins: (InterpTensor | undefined)[], shape: number[]): InterpTensor {
  const [x, y, z, r] = ins;
  const map = (f: (v: number) => number) => ({ shape, data: x!.data.map(f) });
  switch (n.op) {
    case 'Conv':
      return conv(n, x!, y!, z, r, shape);
    case 'DepthwisePointwise': {
      // The depthwise Conv (dw_ epilogue), then the 1x1 Conv (ins: X, Wd, Bd, Wp, Bp, R).
      const a = n.attrs;
      const zShape = [shape[0], x!.shape[1], shape[2], shape[3]];
      const dwNode = {
        ...n,
        attrs: { ...a, activation: a.dw_activation, clip_min: a.dw_clip_min, clip_max: a.dw_clip_max },
      };
      const zt = conv(dwNode, x!, y!, z, undefined, zShape);
      const one = { kernel: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1 };
      return conv({ ...n, attrs: { ...a, ...one } }, zt, ins[3]!, ins[4], ins[5], shape);
    }
    case 'Gemm':
      return gemm(n, x!, y!, z, shape);
    case 'MatMul':
      return matmul(x!, y!, shape);
    case 'MaxPool':
    case 'AveragePool':
      return pool(n, x!, shape, n.op === 'MaxPool');
    case 'GlobalAveragePool':
    case 'GlobalMaxPool': {
      const inner = size(x!.shape.slice(2));
      const out = new Float64Array(size(shape));
      for (let i = 0; i < out.length; i++) {
        const part = x!.data.subarray(i * inner, (i + 1) * inner);
        out[i] =
          n.op === 'GlobalMaxPool'
            ? part.reduce((a, b) => Math.max(a, b), -Infinity)
            : part.reduce((a, b) => a + b, 0) / inner;
      }
      return { shape, data: out };
    }
    case 'Relu':
      return map((v) => Math.max(0, v));
    case 'Clip':
      return map((v) => Math.min(num(n, 'max', Infinity), Math.max(num(n, 'min', -Infinity), v)));
    case 'Sigmoid':
      return map((v) => 1 / (1 + Math.exp(-v)));
    case 'ChannelAffine': {
      const c = x!.shape[1];
      const inner = size(x!.shape.slice(2));
      return {
        shape,
        data: x!.data.map((v, i) => v * y!.data[Math.floor(i / inner) % c] + z!.data[Math.floor(i / inner) % c]),
      };
    }
    case 'Add':
    case 'Sum':
      return broadcast(ins as InterpTensor[], shape, (a, b) => a + b);
    case 'Sub':
      return broadcast(ins as InterpTensor[], shape, (a, b) => a - b);
    case 'Mul':
      return broadcast(ins as InterpTensor[], shape, (a, b) => a * b);
    case 'Div':
      return broadcast(ins as InterpTensor[], shape, (a, b) => a / b);
    case 'Max':
      return broadcast(ins as InterpTensor[], shape, Math.max);
    case 'Min':
      return broadcast(ins as InterpTensor[], shape, Math.min);
    case 'Concat':
      return concat(ins as InterpTensor[], num(n, 'axis', 1), shape);
    case 'Alias':
      return { shape, data: x!.data };
    case 'Softmax':
      return softmax({ shape, data: x!.data }, num(n, 'axis', shape.length - 1));
    case 'LRN':
      return lrn(n, x!);
    case 'Transpose':
      return transpose(x!, nums(n, 'perm', []), shape);
  }
}

/** Runs a lowered graph; inputs by name. Returns every tensor computed (outputs included). */
export function interpretDesc(
  desc: NativeGraphDesc,
  feeds: Record<string, ArrayLike<number>>,
): Map<string, InterpTensor> {
  const env = new Map<string, InterpTensor>();
  for (const i of desc.inputs) env.set(i.name, { shape: i.shape, data: Float64Array.from(feeds[i.name]) });
  for (const c of desc.constants) env.set(c.name, { shape: c.shape, data: Float64Array.from(c.data) });
  for (const n of desc.nodes) {
    const ins = n.inputs.map((i) => (i ? env.get(i) : undefined));
    ins.forEach((t, k) => {
      if (n.inputs[k] && !t) throw new Error(`interpretDesc: node '${n.name}' reads '${n.inputs[k]}' before it exists`);
    });
    env.set(n.outputs[0], runNode(n, ins, desc.shapes[n.outputs[0]]));
  }
  return env;
}
