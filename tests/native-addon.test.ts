// The C++ addon on hand-written NativeGraphDescs: every operator against a float64 interpreter of
// the desc written here from the ONNX definitions (sharing no code with the addon or the
// lowering), on every ISA path this machine can run; plus the error messages, the arena, and
// run() being off the JavaScript thread.
import { describe, expect, it } from 'vitest';
import { loadNativeAddon, type NativeGraphDesc, type NativeNodeDesc } from '../main/backends/native/addon.js';
import { seededInput } from './helpers/reference.js';

const addon = loadNativeAddon();
const ISAS = addon.cpu().isaPaths;

// ------------------------------------------------------------------ float64 reference interpreter

type Attrs = NativeNodeDesc['attrs'];
interface T {
  shape: number[];
  data: Float64Array;
}
const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);
const stridesOf = (s: number[]) => s.map((_, i) => numel(s.slice(i + 1)));
const num = (a: Attrs, k: string, d: number) => (typeof a[k] === 'number' ? (a[k] as number) : d);
const nums = (a: Attrs, k: string, d: number[]) => (Array.isArray(a[k]) ? (a[k] as number[]) : d);

function act(v: number, a: Attrs): number {
  if (a.activation === 'relu') return Math.max(0, v);
  if (a.activation === 'clip')
    return Math.min(num(a, 'clip_max', Infinity), Math.max(num(a, 'clip_min', -Infinity), v));
  return v;
}

function conv(a: Attrs, x: T, w: T, b: T | undefined, r: T | undefined, out: number[]): T {
  const [N, C, H, W] = x.shape;
  const [M, Cg, KH, KW] = w.shape;
  const g = num(a, 'group', 1);
  const [sh, sw] = nums(a, 'strides', [1, 1]);
  const [dh, dw] = nums(a, 'dilations', [1, 1]);
  const [pt, pl] = nums(a, 'pads', [0, 0, 0, 0]);
  const [, , OH, OW] = out;
  const y = new Float64Array(numel(out));
  for (let n = 0; n < N; n++)
    for (let m = 0; m < M; m++) {
      const grp = Math.floor(m / (M / g));
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          let acc = b ? b.data[m] : 0;
          for (let c = 0; c < Cg; c++)
            for (let i = 0; i < KH; i++)
              for (let j = 0; j < KW; j++) {
                const iy = oy * sh - pt + i * dh;
                const ix = ox * sw - pl + j * dw;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                acc += x.data[((n * C + grp * Cg + c) * H + iy) * W + ix] * w.data[((m * Cg + c) * KH + i) * KW + j];
              }
          const o = ((n * M + m) * OH + oy) * OW + ox;
          y[o] = act(acc + (r ? r.data[o] : 0), a);
        }
    }
  return { shape: out, data: y };
}

function pool(a: Attrs, x: T, out: number[], max: boolean): T {
  const [N, C, H, W] = x.shape;
  const [KH, KW] = nums(a, 'kernel', []);
  const [sh, sw] = nums(a, 'strides', [1, 1]);
  const [dh, dw] = nums(a, 'dilations', [1, 1]);
  const [pt, pl, pb, pr] = nums(a, 'pads', [0, 0, 0, 0]);
  const inclPad = num(a, 'count_include_pad', 0) === 1;
  const [, , OH, OW] = out;
  const y = new Float64Array(numel(out));
  for (let p = 0; p < N * C; p++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        let acc = max ? -Infinity : 0;
        let count = 0;
        for (let i = 0; i < KH; i++)
          for (let j = 0; j < KW; j++) {
            const iy = oy * sh - pt + i * dh;
            const ix = ox * sw - pl + j * dw;
            if (inclPad && iy < H + pb && ix < W + pr) count++;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            const v = x.data[(p * H + iy) * W + ix];
            if (!inclPad) count++;
            acc = max ? Math.max(acc, v) : acc + v;
          }
        y[(p * OH + oy) * OW + ox] = max ? acc : acc / count;
      }
  return { shape: out, data: y };
}

function broadcastTo(t: T, out: number[]): (i: number) => number {
  const pad = [...Array(out.length - t.shape.length).fill(1), ...t.shape];
  const st = stridesOf(pad);
  const so = stridesOf(out);
  return (i) => {
    let o = 0;
    for (let k = 0; k < out.length; k++) if (pad[k] !== 1) o += (Math.floor(i / so[k]) % out[k]) * st[k];
    return t.data[o];
  };
}

const BINARY: Record<string, (p: number, q: number) => number> = {
  Add: (p, q) => p + q,
  Sum: (p, q) => p + q,
  Sub: (p, q) => p - q,
  Mul: (p, q) => p * q,
  Div: (p, q) => p / q,
  Max: Math.max,
  Min: Math.min,
};

function matmul2(A: Float64Array, B: Float64Array, M: number, K: number, N: number, ta: boolean, tb: boolean) {
  const y = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += A[ta ? k * M + i : i * K + k] * B[tb ? j * K + k : k * N + j];
      y[i * N + j] = acc;
    }
  return y;
}

function runNode(n: NativeNodeDesc, ins: (T | undefined)[], out: number[]): T {
  const a = n.attrs;
  const [x] = ins as T[];
  const map = (f: (v: number, i: number) => number): T => ({ shape: out, data: x.data.map(f) });
  switch (n.op) {
    case 'Conv':
      return conv(a, x, ins[1]!, ins[2], ins[3], out);
    case 'MaxPool':
    case 'AveragePool':
      return pool(a, x, out, n.op === 'MaxPool');
    case 'GlobalAveragePool':
    case 'GlobalMaxPool': {
      const plane = numel(x.shape.slice(2));
      const y = new Float64Array(numel(out));
      for (let p = 0; p < y.length; p++) {
        const part = x.data.subarray(p * plane, (p + 1) * plane);
        y[p] = n.op === 'GlobalMaxPool' ? Math.max(...part) : part.reduce((s, v) => s + v, 0) / plane;
      }
      return { shape: out, data: y };
    }
    case 'Gemm': {
      const [A, B, C] = ins;
      const ta = num(a, 'transA', 0) === 1;
      const tb = num(a, 'transB', 0) === 1;
      const [M, N] = out;
      const K = ta ? A!.shape[0] : A!.shape[1];
      const p = matmul2(A!.data, B!.data, M, K, N, ta, tb);
      const c = C ? broadcastTo(C, out) : () => 0;
      return { shape: out, data: p.map((v, i) => act(num(a, 'alpha', 1) * v + num(a, 'beta', 1) * c(i), a)) };
    }
    case 'MatMul': {
      const [A, B] = ins as T[];
      const M = A.shape[A.shape.length - 2];
      const K = A.shape[A.shape.length - 1];
      const N = B.shape[B.shape.length - 1];
      const batch = out.slice(0, -2);
      const aBatch = A.shape.slice(0, -2);
      const bBatch = B.shape.slice(0, -2);
      const y = new Float64Array(numel(out));
      const bs = stridesOf(batch);
      for (let bi = 0; bi < numel(batch); bi++) {
        const idx = batch.map((d, k) => Math.floor(bi / bs[k]) % d);
        const off = (sh: number[]) => {
          const p = [...Array(batch.length - sh.length).fill(1), ...sh];
          const st = stridesOf(p);
          return idx.reduce((s, v, k) => s + (p[k] === 1 ? 0 : v * st[k]), 0);
        };
        const oa = off(aBatch) * M * K;
        const ob = off(bBatch) * K * N;
        y.set(
          matmul2(A.data.subarray(oa, oa + M * K), B.data.subarray(ob, ob + K * N), M, K, N, false, false),
          bi * M * N,
        );
      }
      return { shape: out, data: y };
    }
    case 'Relu':
      return map((v) => Math.max(0, v));
    case 'Clip':
      return map((v) => Math.min(num(a, 'max', Infinity), Math.max(num(a, 'min', -Infinity), v)));
    case 'Sigmoid':
      return map((v) => 1 / (1 + Math.exp(-v)));
    case 'ChannelAffine': {
      const plane = numel(x.shape.slice(2));
      const C = x.shape[1];
      return map((v, i) => v * ins[1]!.data[Math.floor(i / plane) % C] + ins[2]!.data[Math.floor(i / plane) % C]);
    }
    case 'Alias':
      return { shape: out, data: x.data };
    case 'Concat': {
      const axis = (num(a, 'axis', 1) + out.length) % out.length;
      const outer = numel(out.slice(0, axis));
      const y = new Float64Array(numel(out));
      let at = 0;
      for (let o = 0; o < outer; o++)
        for (const t of ins as T[]) {
          const chunk = numel(t.shape.slice(axis));
          y.set(t.data.subarray(o * chunk, (o + 1) * chunk), at);
          at += chunk;
        }
      return { shape: out, data: y };
    }
    case 'Softmax': {
      const axis = (num(a, 'axis', -1) + out.length) % out.length;
      const coerce = num(a, 'coerce2d', 0) === 1;
      const outer = numel(out.slice(0, axis));
      const len = coerce ? numel(out.slice(axis)) : out[axis];
      const inner = coerce ? 1 : numel(out.slice(axis + 1));
      const y = new Float64Array(numel(out));
      for (let o = 0; o < outer; o++)
        for (let i = 0; i < inner; i++) {
          const at = (k: number) => (o * len + k) * inner + i;
          let mx = -Infinity;
          for (let k = 0; k < len; k++) mx = Math.max(mx, x.data[at(k)]);
          let s = 0;
          for (let k = 0; k < len; k++) s += Math.exp(x.data[at(k)] - mx);
          for (let k = 0; k < len; k++) y[at(k)] = Math.exp(x.data[at(k)] - mx) / s;
        }
      return { shape: out, data: y };
    }
    case 'LRN': {
      const size = num(a, 'size', 1);
      const [alpha, beta, bias] = [num(a, 'alpha', 1e-4), num(a, 'beta', 0.75), num(a, 'bias', 1)];
      const C = x.shape[1];
      const plane = numel(x.shape.slice(2));
      return map((v, i) => {
        const c = Math.floor(i / plane) % C;
        const base = i - c * plane;
        let s = 0;
        for (
          let q = Math.max(0, c - Math.floor((size - 1) / 2));
          q <= Math.min(C - 1, c + Math.ceil((size - 1) / 2));
          q++
        )
          s += x.data[base + q * plane] ** 2;
        return v / (bias + (alpha / size) * s) ** beta;
      });
    }
    case 'Transpose': {
      const perm = nums(a, 'perm', []);
      const si = stridesOf(x.shape);
      const so = stridesOf(out);
      const y = new Float64Array(numel(out));
      for (let i = 0; i < y.length; i++) {
        let src = 0;
        for (let k = 0; k < out.length; k++) src += (Math.floor(i / so[k]) % out[k]) * si[perm[k]];
        y[i] = x.data[src];
      }
      return { shape: out, data: y };
    }
    default: {
      const f = BINARY[n.op];
      if (!f) throw new Error(`reference: ${n.op}`);
      const gs = (ins as T[]).map((t) => broadcastTo(t, out));
      const y = new Float64Array(numel(out));
      for (let i = 0; i < y.length; i++) y[i] = gs.slice(1).reduce((acc, g) => f(acc, g(i)), gs[0](i));
      return { shape: out, data: y };
    }
  }
}

function reference(desc: NativeGraphDesc, inputs: Float32Array[]): Float64Array[] {
  const env = new Map<string, T>();
  desc.inputs.forEach((t, i) => env.set(t.name, { shape: t.shape, data: Float64Array.from(inputs[i]) }));
  for (const c of desc.constants) env.set(c.name, { shape: c.shape, data: Float64Array.from(c.data) });
  for (const n of desc.nodes)
    env.set(
      n.outputs[0],
      runNode(
        n,
        n.inputs.map((i) => (i ? env.get(i) : undefined)),
        desc.shapes[n.outputs[0]],
      ),
    );
  return desc.outputs.map((o) => env.get(o)!.data);
}

// ------------------------------------------------------------------ desc building helpers

let seed = 1;
const rand = (shape: number[]) => seededInput(shape, seed++);
const constant = (name: string, shape: number[], scale = 1) => ({
  name,
  shape,
  data: rand(shape).map((v) => v * scale),
});

/** A one-node graph: inputs x0.. (shapes), constants, output 'y' of shape `out`. */
function single(
  op: string,
  inShapes: number[][],
  out: number[],
  attrs: Attrs = {},
  consts: { name: string; shape: number[]; data: Float32Array }[] = [],
  extraInputs: string[] = [],
): NativeGraphDesc {
  const inputs = inShapes.map((shape, i) => ({ name: `x${i}`, shape }));
  const shapes: Record<string, number[]> = { y: out };
  for (const i of inputs) shapes[i.name] = i.shape;
  return {
    inputs,
    outputs: ['y'],
    shapes,
    constants: consts,
    nodes: [
      {
        name: `${op.toLowerCase()}0`,
        op: op as NativeNodeDesc['op'],
        inputs: [...inputs.map((i) => i.name), ...extraInputs],
        outputs: ['y'],
        attrs,
      },
    ],
  };
}

function convDesc(
  x: number[],
  m: number,
  k: [number, number],
  attrs: Attrs,
  opts: { bias?: boolean; residual?: boolean } = {},
): NativeGraphDesc {
  const [N, C, H, W] = x;
  const g = num(attrs, 'group', 1);
  const [sh, sw] = nums(attrs, 'strides', [1, 1]);
  const [dh, dw] = nums(attrs, 'dilations', [1, 1]);
  const [pt, pl, pb, pr] = nums(attrs, 'pads', [0, 0, 0, 0]);
  const OH = Math.floor((H + pt + pb - (k[0] - 1) * dh - 1) / sh) + 1;
  const OW = Math.floor((W + pl + pr - (k[1] - 1) * dw - 1) / sw) + 1;
  const out = [N, m, OH, OW];
  const consts = [constant('w', [m, C / g, ...k], 1 / Math.sqrt((C / g) * k[0] * k[1]))];
  if (opts.bias) consts.push(constant('b', [m]));
  const shapes = opts.residual ? [x, out] : [x];
  const d = single('Conv', shapes, out, { kernel: k, ...attrs }, consts);
  const node = d.nodes[0];
  node.inputs = ['x0', 'w', opts.bias ? 'b' : '', ...(opts.residual ? ['x1'] : [])];
  return d;
}

async function check(desc: NativeGraphDesc, opts: { threads?: number; isas?: string[] } = {}) {
  const inputs = desc.inputs.map((i) => rand(i.shape));
  const want = reference(desc, inputs);
  for (const isa of opts.isas ?? ISAS) {
    const session = addon.createSession(desc, { threads: opts.threads ?? 2, isa });
    expect(session.plan().isa).toBe(isa);
    const got = await session.run(inputs);
    expect(got.length).toBe(want.length);
    got.forEach((g, k) => {
      expect(g.length, `output ${k} length`).toBe(want[k].length);
      let worst = 0;
      let at = -1;
      for (let i = 0; i < g.length; i++) {
        const excess = Math.abs(g[i] - want[k][i]) - (1e-5 + 1e-4 * Math.abs(want[k][i]));
        if (excess > worst) [worst, at] = [excess, i];
      }
      expect(at, `${isa}: output ${k}[${at}] = ${g[at]}, reference ${want[k][at]}`).toBe(-1);
    });
    session.release();
  }
}

// ------------------------------------------------------------------ tests

describe('native addon: loading and CPU', () => {
  it('loads and reports its ISA paths', () => {
    expect(typeof addon.version).toBe('string');
    const cpu = addon.cpu();
    expect(cpu.isaPaths).toContain('scalar');
    expect(cpu.isaPaths[cpu.isaPaths.length - 1]).toBe('scalar');
    expect(cpu.isaPaths).toContain(cpu.defaultIsa);
    // The GEMM tuning chosen at run time (native/DESIGN.md, "Tuning per CPU").
    expect(['avx512-full-rate', 'avx512-half-rate', 'avx2', 'scalar']).toContain(cpu.tuning);
    if (cpu.defaultIsa !== 'avx512') expect(cpu.tuning).toBe(cpu.defaultIsa);
    expect(typeof cpu.vendor).toBe('string');
    expect(Number.isInteger(cpu.family) && Number.isInteger(cpu.model)).toBe(true);
  });

  it('measures the roofline probes', () => {
    expect(addon.peakGflops({ threads: 1, seconds: 0.02 })).toBeGreaterThan(0.1);
    expect(addon.triadGBps({ threads: 1, bytes: 3 * 4 * 1024 * 1024, seconds: 0.02 })).toBeGreaterThan(0.1);
  });
});

describe.each(ISAS)('native operators on %s', (isa) => {
  const run = (d: NativeGraphDesc, threads = 2) => check(d, { threads, isas: [isa] });

  it('Conv 3x3 + bias + relu (im2col-gemm), batch 2', async () => {
    const d = convDesc([2, 3, 9, 11], 8, [3, 3], { pads: [1, 1, 1, 1], activation: 'relu' }, { bias: true });
    expect(addon.createSession(d, { threads: 1, isa }).plan().nodes[0].kernel).toBe('im2col-gemm');
    await run(d);
    await run(d, 3);
  });

  it('Conv over few input channels (direct-conv: stems), residual and relu, batch 2', async () => {
    // ResNet's 7x7/2 stem shape at a reduced size (OW = 16: tiles span output rows) and a
    // stride-1 one with asymmetric pads; scalar has no direct kernel and stays on im2col-gemm.
    const stem = convDesc(
      [2, 3, 31, 32],
      16,
      [7, 7],
      { strides: [2, 2], pads: [3, 3, 2, 3], activation: 'relu' },
      { bias: true, residual: true },
    );
    expect(addon.createSession(stem, { threads: 1, isa }).plan().nodes[0].kernel).toBe(
      isa === 'scalar' ? 'im2col-gemm' : 'direct-conv',
    );
    await run(stem);
    await run(convDesc([1, 2, 9, 13], 24, [3, 2], { pads: [0, 1, 2, 0], dilations: [2, 1] }, { bias: true }), 3);
  });

  it('Conv with many channels split across threads', async () => {
    await run(convDesc([1, 32, 13, 13], 40, [3, 3], { pads: [1, 1, 1, 1] }, { bias: true }), 3);
    await run(convDesc([1, 67, 5, 5], 130, [1, 1], {}, { bias: true }), 3);
    // several column tiles per image (each thread expands its own), with a partial last tile
    await run(convDesc([1, 64, 30, 29], 16, [3, 3], { pads: [1, 1, 1, 1], activation: 'relu' }, { residual: true }), 3);
  });

  it('depthwise 3x3 stride 2 + bias + clip', async () => {
    const d = convDesc(
      [2, 19, 10, 9],
      19,
      [3, 3],
      {
        group: 19,
        strides: [2, 2],
        pads: [1, 1, 1, 1],
        activation: 'clip',
        clip_min: 0,
        clip_max: 0.5,
      },
      { bias: true },
    );
    expect(addon.createSession(d, { threads: 1, isa }).plan().nodes[0].kernel).toBe('depthwise');
    await run(d);
    await run(
      convDesc([1, 5, 7, 8], 5, [5, 3], { group: 5, pads: [2, 0, 1, 2], dilations: [1, 2] }, { residual: true }),
    );
  });

  it('1x1 conv with residual and relu (conv1x1-gemm), batch 2', async () => {
    const d = convDesc([2, 24, 7, 5], 20, [1, 1], { activation: 'relu' }, { bias: true, residual: true });
    expect(addon.createSession(d, { threads: 1, isa }).plan().nodes[0].kernel).toBe('conv1x1-gemm');
    await run(d);
  });

  it('batched convolutions: column tiles spanning images, residual in place', async () => {
    // 1x1 over 7x7 images at batch 3: wide enough that the batch is merged into one GEMM's columns.
    const pw = convDesc([3, 96, 7, 7], 64, [1, 1], { activation: 'relu' }, { bias: true, residual: true });
    const plan = addon.createSession(pw, { threads: 1, isa }).plan();
    expect(plan.nodes[0].kernel).toBe('conv1x1-gemm');
    expect(plan.workspaceBytes).toBeGreaterThan(0); // the merged path gathers columns there
    // A narrow layer stays one GEMM per image, reading the input in place.
    expect(addon.createSession(convDesc([3, 8, 7, 7], 8, [1, 1], {}), { threads: 1, isa }).plan().workspaceBytes).toBe(
      0,
    );
    // 3x3 over small images: one tile holds several images' columns, some tiles straddle two.
    const k3 = convDesc(
      [5, 16, 6, 5],
      24,
      [3, 3],
      { pads: [1, 1, 1, 1], activation: 'clip', clip_min: -0.2, clip_max: 0.3 },
      { bias: true, residual: true },
    );
    for (const d of [pw, k3]) for (const threads of [1, 2, 3]) await run(d, threads);
    // The residual is an intermediate that dies at the conv: the output is written over it.
    const d = convDesc([3, 96, 7, 7], 64, [1, 1], {}, { bias: true, residual: true });
    d.shapes.r = d.shapes.x1;
    d.nodes.unshift({ name: 'pre', op: 'Relu', inputs: ['x1'], outputs: ['r'], attrs: {} });
    d.nodes[1].inputs[3] = 'r';
    await run(d, 2);
    k3.shapes.r = k3.shapes.x1;
    k3.nodes.unshift({ name: 'pre', op: 'Relu', inputs: ['x1'], outputs: ['r'], attrs: {} });
    k3.nodes[1].inputs[3] = 'r';
    await run(k3, 3);
  });

  it('grouped conv with dilation, stride and asymmetric pads', async () => {
    await run(
      convDesc(
        [2, 8, 11, 10],
        12,
        [3, 3],
        { group: 4, strides: [2, 1], dilations: [2, 1], pads: [2, 0, 1, 1] },
        { bias: true },
      ),
    );
    await run(convDesc([1, 6, 6, 6], 6, [1, 1], { group: 3 }, { bias: true }));
    await run(convDesc([1, 4, 9, 9], 6, [1, 1], { strides: [2, 2] })); // 1x1 stride 2: im2col
  });

  it('randomized convolutions: shapes, strides, pads, dilations, groups, odd sizes', async () => {
    let state = 12345;
    const pick = (n: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return (state >>> 8) % n;
    };
    for (let trial = 0; trial < 24; trial++) {
      const g = [1, 1, 2, 3][pick(4)];
      const depthwise = pick(4) === 0;
      const C = depthwise ? 1 + pick(17) : g * (1 + pick(6));
      const group = depthwise ? C : g;
      const M = depthwise ? C : group * (1 + pick(7));
      const k: [number, number] = [[1, 2, 3, 5][pick(4)], [1, 3, 4][pick(3)]];
      const [sh, sw, dh, dw] = [1 + pick(3), 1 + pick(2), 1 + pick(2), 1 + pick(2)];
      const pads = [pick(3), pick(3), pick(3), pick(3)];
      const H = Math.max(1, (k[0] - 1) * dh + 1 - pads[0] - pads[2]) + pick(9);
      const W = Math.max(1, (k[1] - 1) * dw + 1 - pads[1] - pads[3]) + pick(9);
      const attrs: Attrs = { group, strides: [sh, sw], dilations: [dh, dw], pads };
      const a = pick(3);
      if (a === 1) attrs.activation = 'relu';
      if (a === 2) Object.assign(attrs, { activation: 'clip', clip_min: -0.3, clip_max: 0.4 });
      await run(
        convDesc([1 + pick(2), C, H, W], M, k, attrs, { bias: pick(2) === 1, residual: pick(2) === 1 }),
        1 + pick(3),
      );
    }
  });

  it('pools', async () => {
    // ceil_mode output: (9 + 1 + 1 - 3) / 2 -> ceil 4 + 1 = 5
    await run(single('MaxPool', [[2, 3, 9, 9]], [2, 3, 5, 5], { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }));
    await run(single('MaxPool', [[1, 2, 8, 8]], [1, 2, 4, 4], { kernel: [2, 2], strides: [2, 2] }));
    await run(single('MaxPool', [[1, 2, 9, 9]], [1, 2, 5, 5], { kernel: [3, 3], dilations: [2, 2] }));
    for (const incl of [0, 1])
      await run(
        single('AveragePool', [[2, 3, 7, 6]], [2, 3, 7, 6], {
          kernel: [3, 3],
          pads: [1, 1, 1, 1],
          count_include_pad: incl,
        }),
      );
    await run(single('AveragePool', [[1, 2, 8, 8]], [1, 2, 3, 3], { kernel: [3, 3], strides: [3, 3] }));
    await run(single('GlobalAveragePool', [[2, 5, 7, 7]], [2, 5, 1, 1]));
    await run(single('GlobalMaxPool', [[2, 5, 3, 4]], [2, 5, 1, 1]));
  });

  it('Gemm with constant and computed operands', async () => {
    const gemm = (a: number[], b: number[], out: number[], attrs: Attrs, c?: number[], constB = true) => {
      const consts = [];
      if (constB) consts.push(constant('B', b));
      if (c) consts.push(constant('C', c));
      const d = single('Gemm', constB ? [a] : [a, b], out, attrs, consts, [
        ...(constB ? ['B'] : []),
        ...(c ? ['C'] : []),
      ]);
      return run(d);
    };
    await gemm([3, 50], [50, 10], [3, 10], {}, [10]);
    await gemm([1, 70], [33, 70], [1, 33], { transB: 1, activation: 'relu' }, [33]);
    await gemm([40, 4], [20, 40], [4, 20], { transA: 1, transB: 1, alpha: 0.5, beta: 2 }, [4, 20]);
    await gemm([5, 6], [6, 7], [5, 7], { alpha: 2, beta: 0.5 }, [5, 1], false);
    await gemm([5, 6], [7, 6], [5, 7], { transB: 1, activation: 'relu' }, [7], false);
  });

  it('MatMul', async () => {
    await run(single('MatMul', [[2, 3, 4, 5]], [2, 3, 4, 6], {}, [constant('B', [5, 6])], ['B']));
    await run(
      single(
        'MatMul',
        [
          [2, 1, 4, 5],
          [3, 5, 6],
        ],
        [2, 3, 4, 6],
      ),
    );
  });

  it('Concat along the channel axis (views at batch 1, copies at batch 2) and the last axis', async () => {
    const d = (N: number): NativeGraphDesc => ({
      inputs: [{ name: 'x', shape: [N, 3, 5, 5] }],
      outputs: ['y'],
      shapes: { a: [N, 4, 5, 5], b: [N, 6, 5, 5], y: [N, 13, 5, 5], x: [N, 3, 5, 5] },
      constants: [constant('wa', [4, 3, 1, 1]), constant('wb', [6, 3, 3, 3])],
      nodes: [
        { name: 'ca', op: 'Conv', inputs: ['x', 'wa'], outputs: ['a'], attrs: { kernel: [1, 1] } },
        { name: 'cb', op: 'Conv', inputs: ['x', 'wb'], outputs: ['b'], attrs: { kernel: [3, 3], pads: [1, 1, 1, 1] } },
        { name: 'cat', op: 'Concat', inputs: ['a', 'x', 'b'], outputs: ['y'], attrs: { axis: 1 } },
      ],
    });
    const kernel = (N: number) => addon.createSession(d(N), { threads: 1, isa }).plan().nodes[2].kernel;
    expect(kernel(1)).toBe('concat-partial-view'); // a and b written in place; x (an input) copied
    expect(kernel(2)).toBe('concat-copy');
    await run(d(1));
    await run(d(2));
    await run(
      single(
        'Concat',
        [
          [2, 3, 4],
          [2, 3, 1],
          [2, 3, 2],
        ],
        [2, 3, 7],
        { axis: -1 },
      ),
    );
  });

  it('Softmax, LRN, Transpose', async () => {
    await run(single('Softmax', [[2, 10]], [2, 10], { axis: 1 }));
    await run(single('Softmax', [[2, 3, 4]], [2, 3, 4], { axis: 1 }));
    await run(single('Softmax', [[2, 3, 4]], [2, 3, 4], { axis: 1, coerce2d: 1 }));
    await run(single('LRN', [[2, 7, 3, 3]], [2, 7, 3, 3], { size: 5, alpha: 0.02, beta: 0.75, bias: 1.5 }));
    await run(single('LRN', [[1, 4, 2, 2]], [1, 4, 2, 2], { size: 2, alpha: 0.5, beta: 0.5, bias: 2 }));
    await run(single('Transpose', [[2, 3, 4, 5]], [2, 4, 5, 3], { perm: [0, 2, 3, 1] }));
    await run(single('Transpose', [[2, 3, 4]], [3, 2, 4], { perm: [1, 0, 2] }));
    await run(single('Transpose', [[2, 3, 4]], [4, 2, 3], { perm: [2, 0, 1] }));
    await run(single('Transpose', [[1, 40, 1, 70]], [1, 70, 1, 40], { perm: [0, 3, 2, 1] }));
  });

  it('element-wise operators with numpy broadcasting', async () => {
    await run(
      single(
        'Add',
        [
          [2, 3, 4, 5],
          [3, 1, 1],
        ],
        [2, 3, 4, 5],
      ),
    );
    await run(
      single(
        'Add',
        [
          [2, 3, 4, 5],
          [2, 3, 4, 5],
        ],
        [2, 3, 4, 5],
      ),
    );
    await run(
      single(
        'Mul',
        [
          [4, 1],
          [1, 5],
        ],
        [4, 5],
      ),
    );
    await run(single('Sub', [[1], [2, 3]], [2, 3]));
    await run(single('Div', [[2, 3, 4], [4]], [2, 3, 4]));
    await run(single('Max', [[2, 3], [2, 3], [3]], [2, 3]));
    await run(
      single(
        'Min',
        [
          [2, 1, 3],
          [1, 4, 1],
        ],
        [2, 4, 3],
      ),
    );
    await run(
      single(
        'Sum',
        [
          [2, 3],
          [1, 3],
          [2, 1],
        ],
        [2, 3],
      ),
    );
    await run(single('Sum', [[2, 3]], [2, 3]));
    await run(single('Mul', [[2, 3, 4, 4]], [2, 3, 4, 4], {}, [constant('s', [1, 3, 1, 1])], ['s']));
    await run(single('Relu', [[3, 70000]], [3, 70000]));
    await run(single('Clip', [[2, 50]], [2, 50], { min: -0.2, max: 0.3 }));
    await run(single('Sigmoid', [[2, 50]], [2, 50]));
    await run(single('Alias', [[2, 3, 4]], [6, 4]));
    await run(
      single(
        'ChannelAffine',
        [[2, 3, 4, 4]],
        [2, 3, 4, 4],
        {},
        [constant('sc', [3]), constant('sh', [3])],
        ['sc', 'sh'],
      ),
    );
  });
});

describe('native sessions', () => {
  const chain = (n: number): NativeGraphDesc => {
    const shapes: Record<string, number[]> = { t0: [1, 8, 16, 16] };
    const nodes: NativeNodeDesc[] = [];
    const constants = [];
    for (let i = 1; i <= n; i++) {
      shapes[`t${i}`] = [1, 8, 16, 16];
      constants.push(constant(`w${i}`, [8, 8, 3, 3], 0.1));
      nodes.push({
        name: `conv${i}`,
        op: 'Conv',
        inputs: [`t${i - 1}`, `w${i}`],
        outputs: [`t${i}`],
        attrs: { kernel: [3, 3], pads: [1, 1, 1, 1], activation: 'relu' },
      });
    }
    return { inputs: [{ name: 't0', shape: [1, 8, 16, 16] }], outputs: [`t${n}`], shapes, constants, nodes };
  };

  it('writes into caller-given output arrays (off the JS thread and inline) and refuses bad ones', async () => {
    const d = chain(2);
    const x = seededInput([1, 8, 16, 16], 5);
    for (const threads of [1, 2]) {
      const s = addon.createSession(d, { threads });
      const out = new Float32Array(8 * 16 * 16).fill(Number.NaN);
      // The first run of a session goes off the JS thread, later short ones inline: both paths.
      for (let i = 0; i < 3; i++) {
        out.fill(Number.NaN);
        const [y] = await s.run([x], [out]);
        expect(y).toBe(out);
        const [fresh] = await s.run([x]);
        expect(fresh).not.toBe(out);
        expect(Array.from(out)).toEqual(Array.from(fresh));
      }
      await expect(s.run([x], [])).rejects.toThrow(/expected 1 output array\(s\), got 0/);
      await expect(s.run([x], [new Float32Array(7)])).rejects.toThrow(/output 0 needs 2048 floats, got 7/);
      await expect(s.run([x], [new Float64Array(2048) as never])).rejects.toThrow(/output 0 must be a Float32Array/);
      await expect(s.run([x], 'y' as never)).rejects.toThrow(/outputs must be an array/);
      await expect(s.run([x], [x])).rejects.toThrow(/shares memory with an input or another output/);
      const shared = new Float32Array(4096);
      await expect(s.run([shared.subarray(0, 2048)], [shared.subarray(1024, 3072)])).rejects.toThrow(/shares memory/);
      // Adjacent, not overlapping: fine.
      const [y2] = await s.run([shared.subarray(0, 2048)], [shared.subarray(2048)]);
      expect(y2.byteOffset).toBe(2048 * 4);
      s.release();
    }
  });

  it('reuses arena memory along a chain (and computes it correctly)', async () => {
    const d = chain(6);
    const plan = addon.createSession(d, { threads: 1 }).plan();
    const tensorBytes = 8 * 16 * 16 * 4;
    // 5 intermediates (the last one is the output buffer); two live at a time.
    expect(plan.arenaBytes).toBe(2 * tensorBytes);
    expect(plan.arenaBytes).toBeLessThan(5 * tensorBytes);
    expect(plan.weightBytes).toBeGreaterThanOrEqual(6 * 8 * 8 * 9 * 4);
    expect(plan.nodes.map((n) => n.kernel)).toEqual(Array(6).fill('im2col-gemm'));
    await check(d);
  });

  it('runs a small network: concat views, in-place residual, alias, head (batch 1 and 2)', async () => {
    const net = (N: number): NativeGraphDesc => ({
      inputs: [{ name: 'x', shape: [N, 6, 9, 9] }],
      outputs: ['prob', 'a'],
      shapes: {
        x: [N, 6, 9, 9],
        a: [N, 4, 9, 9],
        b: [N, 5, 9, 9],
        p: [N, 6, 9, 9],
        c: [N, 3, 9, 9],
        cat: [N, 12, 9, 9],
        mix: [N, 12, 9, 9],
        act: [N, 12, 9, 9],
        gap: [N, 12, 1, 1],
        flat: [N, 12],
        logits: [N, 7],
        prob: [N, 7],
      },
      constants: [
        constant('wa', [4, 6, 1, 1]),
        constant('wb', [5, 6, 3, 3], 0.3),
        constant('bb', [5]),
        constant('wc', [3, 6, 1, 1]),
        constant('wm', [12, 12, 1, 1], 0.3),
        constant('wf', [7, 12]),
        constant('bf', [7]),
      ],
      nodes: [
        { name: 'ca', op: 'Conv', inputs: ['x', 'wa'], outputs: ['a'], attrs: { kernel: [1, 1], activation: 'relu' } },
        {
          name: 'cb',
          op: 'Conv',
          inputs: ['x', 'wb', 'bb'],
          outputs: ['b'],
          attrs: { kernel: [3, 3], pads: [1, 1, 1, 1] },
        },
        { name: 'mp', op: 'MaxPool', inputs: ['x'], outputs: ['p'], attrs: { kernel: [3, 3], pads: [1, 1, 1, 1] } },
        { name: 'cc', op: 'Conv', inputs: ['p', 'wc'], outputs: ['c'], attrs: { kernel: [1, 1] } },
        { name: 'cat', op: 'Concat', inputs: ['a', 'b', 'c'], outputs: ['cat'], attrs: { axis: 1 } },
        { name: 'mix', op: 'Conv', inputs: ['cat', 'wm', '', 'cat'], outputs: ['mix'], attrs: { kernel: [1, 1] } },
        { name: 'act', op: 'Relu', inputs: ['mix'], outputs: ['act'], attrs: {} },
        { name: 'gap', op: 'GlobalAveragePool', inputs: ['act'], outputs: ['gap'], attrs: {} },
        { name: 'flat', op: 'Alias', inputs: ['gap'], outputs: ['flat'], attrs: {} },
        { name: 'fc', op: 'Gemm', inputs: ['flat', 'wf', 'bf'], outputs: ['logits'], attrs: { transB: 1 } },
        { name: 'sm', op: 'Softmax', inputs: ['logits'], outputs: ['prob'], attrs: { axis: 1 } },
      ],
    });
    // 'a' is a graph output, so it keeps its own buffer and is copied into the concatenation.
    expect(addon.createSession(net(1), { threads: 1 }).plan().nodes[4].kernel).toBe('concat-partial-view');
    await check(net(1));
    await check(net(2), { threads: 3 });
  });

  it('honours STUDIO_NATIVE_ISA', () => {
    const d = single('Relu', [[4]], [4]);
    try {
      process.env.STUDIO_NATIVE_ISA = 'scalar';
      expect(addon.createSession(d, { threads: 1 }).plan().isa).toBe('scalar');
      expect(addon.cpu().defaultIsa).toBe('scalar');
      expect(addon.cpu().tuning).toBe('scalar');
      process.env.STUDIO_NATIVE_ISA = 'sse9';
      expect(() => addon.createSession(d, { threads: 1 })).toThrow(/STUDIO_NATIVE_ISA: unknown ISA path 'sse9'/);
      expect(addon.createSession(d, { threads: 1, isa: 'scalar' }).plan().isa).toBe('scalar'); // opts win
    } finally {
      delete process.env.STUDIO_NATIVE_ISA;
    }
  });

  it('copies outputs that alias an input or another output', async () => {
    const d: NativeGraphDesc = {
      inputs: [{ name: 'x', shape: [2, 3] }],
      outputs: ['y', 'z', 'y2'],
      shapes: { x: [2, 3], y: [3, 2], z: [2, 3], y2: [6] },
      constants: [],
      nodes: [
        { name: 'a', op: 'Alias', inputs: ['x'], outputs: ['y'], attrs: {} },
        { name: 'r', op: 'Relu', inputs: ['x'], outputs: ['z'], attrs: {} },
        { name: 'b', op: 'Alias', inputs: ['z'], outputs: ['y2'], attrs: {} },
      ],
    };
    await check({ ...d, outputs: ['y', 'z', 'y2', 'z'] });
  });

  it('lets the caller reuse its input arrays while a run is in flight', async () => {
    const d = single('Relu', [[4, 4]], [4, 4]);
    const s = addon.createSession(d, { threads: 1 });
    const x = rand([4, 4]);
    const want = x.map((v) => Math.max(0, v));
    const pending = s.run([x]);
    x.fill(-1);
    expect(Array.from((await pending)[0])).toEqual(Array.from(want));
  });

  it('copies a large input with the threads and writes every output element (outputs are not zero-filled)', async () => {
    // 3 x 400k floats: over the 2 x 256k-float pieces binding.cc splits among the threads. The first
    // run of a session goes off the JS thread, so the input is staged (copied) first.
    const d = single('Relu', [[3, 400_000]], [3, 400_000]);
    for (const threads of [1, 2]) {
      const s = addon.createSession(d, { threads });
      const x = rand([3, 400_000]);
      const want = x.map((v) => Math.max(0, v));
      const pending = s.run([x]);
      x.fill(-1);
      const [y] = await pending;
      expect(y.length).toBe(want.length);
      expect(y.byteOffset).toBe(0);
      expect(y.buffer.byteLength).toBe(want.length * 4);
      expect(y.every((v, i) => v === want[i])).toBe(true);
      // A second run reuses freed memory: every element is still written.
      const [y2] = await s.run([want.map((v) => -v - 1)]);
      expect(y2.every((v) => v === 0)).toBe(true);
    }
  });

  it('runs off the JavaScript thread', async () => {
    const d = convDesc([8, 128, 56, 56], 128, [3, 3], { pads: [1, 1, 1, 1] });
    const s = addon.createSession(d, { threads: 1 });
    const x = rand([8, 128, 56, 56]);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const t0 = performance.now();
    const pending = s.run([x]);
    const callMs = performance.now() - t0;
    await pending;
    const ms = performance.now() - t0;
    clearInterval(timer);
    // 3.7 GMAC on one thread: run() returned long before the result, and timers kept firing.
    expect(callMs).toBeLessThan(ms / 2);
    expect(ticks).toBeGreaterThan(0);
  });

  it('refuses bad descs and inputs with clear messages', async () => {
    const ok = convDesc([1, 3, 5, 5], 4, [3, 3], {});
    const bad = (d: NativeGraphDesc) => () => addon.createSession(d, { threads: 1 });
    expect(bad({ ...ok, nodes: [{ ...ok.nodes[0], op: 'Frobnicate' as never }] })).toThrow(
      /unsupported operator.*Frobnicate.*conv0/,
    );
    expect(bad({ ...ok, constants: [] })).toThrow(/conv0.*reads 'w', which is not a graph input, a constant/);
    expect(bad({ ...ok, shapes: { ...ok.shapes, y: [1, 4, 4, 4] } })).toThrow(
      /^conv0 \(Conv\): output 'y' has shape \[1,4,4,4\]/,
    );
    expect(bad({ ...ok, nodes: [{ ...ok.nodes[0], attrs: { group: 2 } }] })).toThrow(
      /^conv0 \(Conv\): group 2 must divide/,
    );
    expect(bad({ ...ok, constants: [{ ...ok.constants[0], data: new Float32Array(3) }] })).toThrow(
      /constant 'w' has 3 values/,
    );
    expect(bad({ ...ok, inputs: 'nope' as never })).toThrow(/inputs must be an array/);
    expect(() => addon.createSession(ok, { threads: 1, isa: 'avx1024' })).toThrow(/unknown ISA path 'avx1024'/);
    const s = addon.createSession(ok, { threads: 1 });
    await expect(s.run([new Float32Array(7)])).rejects.toThrow(
      /input 0 \('x0', shape \[1,3,5,5\]\) needs 75 floats, got 7/,
    );
    await expect(s.run([])).rejects.toThrow(/expected 1 input\(s\), got 0/);
    s.release();
    await expect(s.run([new Float32Array(75)])).rejects.toThrow(/released/);
  });
});
