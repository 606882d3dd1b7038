// A deliberately naive reference interpreter for the operators the blocks emit: straight loops,
// float64 accumulation, written from the ONNX operator specification and sharing no code with
// the studio's shape inference, so that comparing it with ONNX Runtime checks the exported file.
import type { AttrValue, Graph, GraphNode } from '../../shared/ir/types.js';
import { generateValues } from '../../shared/graph/weights.js';
import { topologicalOrder } from '../../shared/graph/infer.js';

export interface RefTensor {
  shape: number[];
  data: Float64Array;
}

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const strides = (s: number[]) => s.map((_, i) => size(s.slice(i + 1)));
const tensor = (shape: number[], data?: Float64Array): RefTensor => ({
  shape,
  data: data ?? new Float64Array(size(shape)),
});

function int(a: AttrValue | undefined, d: number): number {
  return a && (a.type === 'int' || a.type === 'float') ? a.value : d;
}
function ints(a: AttrValue | undefined, d: number[]): number[] {
  return a && (a.type === 'ints' || a.type === 'floats') ? a.value : d;
}

/** Numpy broadcasting of a binary element-wise function. */
function broadcast(a: RefTensor, b: RefTensor, f: (x: number, y: number) => number): RefTensor {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pad = (s: number[]) => [...Array(rank - s.length).fill(1), ...s];
  const [sa, sb] = [pad(a.shape), pad(b.shape)];
  const shape = sa.map((d, i) => Math.max(d, sb[i]));
  const [ta, tb, to] = [strides(sa), strides(sb), strides(shape)];
  const out = tensor(shape);
  for (let i = 0; i < out.data.length; i++) {
    let ia = 0;
    let ib = 0;
    for (let k = 0; k < rank; k++) {
      const c = Math.floor(i / to[k]) % shape[k];
      if (sa[k] !== 1) ia += c * ta[k];
      if (sb[k] !== 1) ib += c * tb[k];
    }
    out.data[i] = f(a.data[ia], b.data[ib]);
  }
  return out;
}

/** Explicit begin/end pads for H and W, from `pads` or `auto_pad` (SAME_UPPER puts the extra pixel at the end). */
function padsOf(n: GraphNode, inHW: number[], k: number[], s: number[], d: number[]): number[] {
  const auto = n.attrs.auto_pad?.type === 'string' ? n.attrs.auto_pad.value : 'NOTSET';
  if (auto === 'NOTSET') return ints(n.attrs.pads, [0, 0, 0, 0]);
  if (auto === 'VALID') return [0, 0, 0, 0];
  const p = [0, 0, 0, 0];
  for (let i = 0; i < 2; i++) {
    const out = Math.ceil(inHW[i] / s[i]);
    const total = Math.max(0, (out - 1) * s[i] + (k[i] - 1) * d[i] + 1 - inHW[i]);
    const small = Math.floor(total / 2);
    p[i] = auto === 'SAME_UPPER' ? small : total - small;
    p[i + 2] = total - p[i];
  }
  return p;
}

function outSize(inp: number, pb: number, pe: number, k: number, s: number, d: number, ceil: boolean): number {
  const q = (inp + pb + pe - ((k - 1) * d + 1)) / s;
  let out = (ceil ? Math.ceil(q) : Math.floor(q)) + 1;
  if (ceil && (out - 1) * s >= inp + pb) out -= 1;
  return out;
}

function conv(n: GraphNode, x: RefTensor, w: RefTensor, b?: RefTensor): RefTensor {
  const [N, C, H, W] = x.shape;
  const [M, Cg, KH, KW] = w.shape;
  const g = int(n.attrs.group, 1);
  const [sh, sw] = ints(n.attrs.strides, [1, 1]);
  const [dh, dw] = ints(n.attrs.dilations, [1, 1]);
  const [pt, pl, pb, pr] = padsOf(n, [H, W], [KH, KW], [sh, sw], [dh, dw]);
  const OH = outSize(H, pt, pb, KH, sh, dh, false);
  const OW = outSize(W, pl, pr, KW, sw, dw, false);
  const out = tensor([N, M, OH, OW]);
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
          out.data[((nn * M + m) * OH + oy) * OW + ox] = acc;
        }
    }
  return out;
}

function pool(n: GraphNode, x: RefTensor, max: boolean): RefTensor {
  const [N, C, H, W] = x.shape;
  const [KH, KW] = ints(n.attrs.kernel_shape, []);
  const [sh, sw] = ints(n.attrs.strides, [1, 1]);
  const [dh, dw] = ints(n.attrs.dilations, [1, 1]);
  const ceil = int(n.attrs.ceil_mode, 0) === 1;
  const includePad = int(n.attrs.count_include_pad, 0) === 1;
  const [pt, pl, pb, pr] = padsOf(n, [H, W], [KH, KW], [sh, sw], [dh, dw]);
  const OH = outSize(H, pt, pb, KH, sh, dh, ceil);
  const OW = outSize(W, pl, pr, KW, sw, dw, ceil);
  const out = tensor([N, C, OH, OW]);
  for (let nc = 0; nc < N * C; nc++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        let acc = max ? -Infinity : 0;
        let count = 0;
        for (let ky = 0; ky < KH; ky++)
          for (let kx = 0; kx < KW; kx++) {
            const iy = oy * sh - pt + ky * dh;
            const ix = ox * sw - pl + kx * dw;
            // count_include_pad counts the explicit padding, never the ceil_mode overhang.
            if (iy >= -pt && iy < H + pb && ix >= -pl && ix < W + pr && includePad) count++;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            const v = x.data[(nc * H + iy) * W + ix];
            if (!includePad) count++;
            acc = max ? Math.max(acc, v) : acc + v;
          }
        out.data[(nc * OH + oy) * OW + ox] = max ? acc : acc / count;
      }
  return out;
}

function gemm(n: GraphNode, a: RefTensor, b: RefTensor, c?: RefTensor): RefTensor {
  const ta = int(n.attrs.transA, 0) === 1;
  const tb = int(n.attrs.transB, 0) === 1;
  const [M, K] = ta ? [a.shape[1], a.shape[0]] : a.shape;
  const N = tb ? b.shape[0] : b.shape[1];
  const alpha = int(n.attrs.alpha, 1);
  const beta = int(n.attrs.beta, 1);
  const out = tensor([M, N]);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += a.data[ta ? k * M + i : i * K + k] * b.data[tb ? j * K + k : k * N + j];
      out.data[i * N + j] = alpha * acc;
    }
  return c ? broadcast(out, { shape: c.shape, data: c.data.map((v) => beta * v) }, (p, q) => p + q) : out;
}

function softmax(n: GraphNode, x: RefTensor): RefTensor {
  const rank = x.shape.length;
  let axis = int(n.attrs.axis, -1);
  if (axis < 0) axis += rank;
  const inner = size(x.shape.slice(axis + 1));
  const len = x.shape[axis];
  const out = tensor(x.shape);
  for (let o = 0; o < size(x.shape.slice(0, axis)); o++)
    for (let i = 0; i < inner; i++) {
      const at = (k: number) => (o * len + k) * inner + i;
      let mx = -Infinity;
      for (let k = 0; k < len; k++) mx = Math.max(mx, x.data[at(k)]);
      let sum = 0;
      for (let k = 0; k < len; k++) sum += Math.exp(x.data[at(k)] - mx);
      for (let k = 0; k < len; k++) out.data[at(k)] = Math.exp(x.data[at(k)] - mx) / sum;
    }
  return out;
}

function concat(n: GraphNode, xs: RefTensor[]): RefTensor {
  let axis = int(n.attrs.axis, 1);
  if (axis < 0) axis += xs[0].shape.length;
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
  const outer = size(shape.slice(0, axis));
  const out = tensor(shape);
  let pos = 0;
  for (let o = 0; o < outer; o++)
    for (const x of xs) {
      const chunk = size(x.shape.slice(axis));
      out.data.set(x.data.subarray(o * chunk, (o + 1) * chunk), pos);
      pos += chunk;
    }
  return out;
}

function run(n: GraphNode, ins: (RefTensor | undefined)[]): RefTensor[] {
  const [x, y, z] = ins;
  const map = (f: (v: number) => number) => ({ shape: x!.shape, data: x!.data.map(f) });
  switch (n.op) {
    case 'Conv':
      return [conv(n, x!, y!, z)];
    case 'Gemm':
      return [gemm(n, x!, y!, z)];
    case 'Relu':
      return [map((v) => Math.max(0, v))];
    case 'Clip': {
      const lo = y ? y.data[0] : int(n.attrs.min, -Infinity);
      const hi = z ? z.data[0] : int(n.attrs.max, Infinity);
      return [map((v) => Math.min(hi, Math.max(lo, v)))];
    }
    case 'Add':
    case 'Sum':
      return [ins.slice(1).reduce((a, b) => broadcast(a!, b!, (p, q) => p + q), x)!];
    case 'Sub':
      return [broadcast(x!, y!, (p, q) => p - q)];
    case 'Mul':
      return [broadcast(x!, y!, (p, q) => p * q)];
    case 'Div':
      return [broadcast(x!, y!, (p, q) => p / q)];
    case 'BatchNormalization': {
      const [, scale, bias, mean, variance] = ins as RefTensor[];
      const eps = int(n.attrs.epsilon, 1e-5);
      const c = x!.shape[1];
      const inner = size(x!.shape.slice(2));
      const data = x!.data.map((v, i) => {
        const ch = Math.floor(i / inner) % c;
        return ((v - mean.data[ch]) / Math.sqrt(variance.data[ch] + eps)) * scale.data[ch] + bias.data[ch];
      });
      return [{ shape: x!.shape, data }];
    }
    case 'MaxPool':
      return [pool(n, x!, true)];
    case 'AveragePool':
      return [pool(n, x!, false)];
    case 'GlobalAveragePool':
    case 'GlobalMaxPool': {
      const [N, C] = x!.shape;
      const inner = size(x!.shape.slice(2));
      const out = tensor([N, C, ...x!.shape.slice(2).map(() => 1)]);
      for (let i = 0; i < N * C; i++) {
        const part = x!.data.subarray(i * inner, (i + 1) * inner);
        out.data[i] = n.op === 'GlobalMaxPool' ? Math.max(...part) : part.reduce((a, b) => a + b, 0) / inner;
      }
      return [out];
    }
    case 'Concat':
      return [
        concat(
          n,
          ins.filter((t): t is RefTensor => !!t),
        ),
      ];
    case 'Flatten': {
      let axis = int(n.attrs.axis, 1);
      if (axis < 0) axis += x!.shape.length;
      return [{ shape: [size(x!.shape.slice(0, axis)), size(x!.shape.slice(axis))], data: x!.data }];
    }
    case 'Reshape': {
      const target = Array.from(y!.data).map((d, i) => (d === 0 ? x!.shape[i] : d));
      const known = size(target.filter((d) => d !== -1));
      return [{ shape: target.map((d) => (d === -1 ? x!.data.length / known : d)), data: x!.data }];
    }
    case 'Softmax':
      return [softmax(n, x!)];
    case 'Dropout':
    case 'Identity':
      return [x!];
    case 'Sigmoid':
      return [map((v) => 1 / (1 + Math.exp(-v)))];
    default:
      throw new Error(`reference interpreter: operator ${n.op} is not implemented`);
  }
}

/** Runs a graph with float64 arithmetic; initializers come from `generateValues(init, seed)`. */
export function runReference(graph: Graph, feeds: Record<string, RefTensor>, seed: number): Map<string, RefTensor> {
  const env = new Map<string, RefTensor>(Object.entries(feeds));
  for (const init of graph.initializers.values())
    env.set(init.name, {
      shape: init.shape,
      data: Float64Array.from(generateValues(init, seed) as ArrayLike<number | bigint>, Number),
    });
  for (const n of topologicalOrder(graph)) {
    const outs = run(
      n,
      n.inputs.map((i) => (i ? env.get(i) : undefined)),
    );
    n.outputs.forEach((o, i) => o && outs[i] && env.set(o, outs[i]));
  }
  return env;
}

/** Seeded uniform values in [-1, 1) (mulberry32), for test inputs. */
export function seededInput(shape: number[], seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(size(shape));
  for (let i = 0; i < out.length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}
