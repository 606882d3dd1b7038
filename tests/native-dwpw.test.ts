// The fused depthwise + pointwise operator (native/src/ops/conv_dwpw.cc, lowering pass
// main/backends/native/passes/fuse-depthwise-pointwise.ts): randomized DepthwisePointwise descs
// against a float64 reference written here, the same convolutions as two Conv nodes giving the
// same result, on every ISA path and 1 and 2 threads; then the lowering (the knob, the report, the
// plan's kernel name) and the profile join covering both studio nodes.
import { afterEach, describe, expect, it } from 'vitest';
import { loadNativeAddon, type NativeGraphDesc } from '../main/backends/native/addon.js';
import { lowerGraph } from '../main/backends/native/lower.js';
import { NativeBackend } from '../main/backends/native.js';
import { joinNodeTimings } from '../shared/stats/node-map.js';
import { costGraph } from '../shared/cost/cost-model.js';
import { buildTarget } from '../shared/targets.js';
import { seededRandom } from '../shared/random.js';

const addon = loadNativeAddon();
const ISAS = addon.cpu().isaPaths.filter((p) => !process.env.STUDIO_NATIVE_ISA || p === process.env.STUDIO_NATIVE_ISA);

type Act = { activation: string; clip_min: number; clip_max: number };
interface Case {
  N: number;
  C: number;
  H: number;
  W: number;
  M: number;
  k: [number, number];
  s: [number, number];
  d: [number, number];
  p: [number, number, number, number];
  dwAct: Act;
  pwAct: Act;
  dwBias: boolean;
  pwBias: boolean;
  residual: boolean;
}

const NONE: Act = { activation: 'none', clip_min: 0, clip_max: 0 };
const RELU: Act = { activation: 'relu', clip_min: 0, clip_max: 0 };
const RELU6: Act = { activation: 'clip', clip_min: 0, clip_max: 6 };
const applyAct = (v: number, a: Act) =>
  a.activation === 'relu'
    ? Math.max(0, v)
    : a.activation === 'clip'
      ? Math.min(a.clip_max, Math.max(a.clip_min, v))
      : v;

function outSize(c: Case): [number, number] {
  const eh = (c.k[0] - 1) * c.d[0] + 1,
    ew = (c.k[1] - 1) * c.d[1] + 1;
  return [Math.floor((c.H + c.p[0] + c.p[2] - eh) / c.s[0]) + 1, Math.floor((c.W + c.p[1] + c.p[3] - ew) / c.s[1]) + 1];
}

interface Data {
  x: Float32Array;
  wd: Float32Array;
  bd: Float32Array;
  wp: Float32Array;
  bp: Float32Array;
  r: Float32Array;
}

function dataFor(c: Case, seed: number): Data {
  const rnd = seededRandom(seed);
  const fill = (n: number, scale: number) =>
    Float32Array.from({ length: n }, () => Math.fround((rnd() * 2 - 1) * scale));
  const [OH, OW] = outSize(c);
  return {
    x: fill(c.N * c.C * c.H * c.W, 2),
    wd: fill(c.C * c.k[0] * c.k[1], 1),
    bd: fill(c.C, 0.5),
    wp: fill(c.M * c.C, 1 / Math.sqrt(c.C)),
    bp: fill(c.M, 0.5),
    r: fill(c.N * c.M * OH * OW, 1),
  };
}

/** Y in float64: the depthwise (dilated, strided, padded), its epilogue, the 1x1, its epilogue. */
function reference(c: Case, v: Data): Float64Array {
  const [OH, OW] = outSize(c);
  const z = new Float64Array(c.N * c.C * OH * OW);
  for (let n = 0; n < c.N; n++)
    for (let ch = 0; ch < c.C; ch++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          let s = c.dwBias ? v.bd[ch] : 0;
          for (let i = 0; i < c.k[0]; i++)
            for (let j = 0; j < c.k[1]; j++) {
              const iy = oy * c.s[0] - c.p[0] + i * c.d[0],
                ix = ox * c.s[1] - c.p[1] + j * c.d[1];
              if (iy < 0 || iy >= c.H || ix < 0 || ix >= c.W) continue;
              s += v.wd[(ch * c.k[0] + i) * c.k[1] + j] * v.x[((n * c.C + ch) * c.H + iy) * c.W + ix];
            }
          z[((n * c.C + ch) * OH + oy) * OW + ox] = applyAct(s, c.dwAct);
        }
  const px = OH * OW;
  const y = new Float64Array(c.N * c.M * px);
  for (let n = 0; n < c.N; n++)
    for (let m = 0; m < c.M; m++)
      for (let q = 0; q < px; q++) {
        let s = c.pwBias ? v.bp[m] : 0;
        for (let ch = 0; ch < c.C; ch++) s += v.wp[m * c.C + ch] * z[(n * c.C + ch) * px + q];
        const o = (n * c.M + m) * px + q;
        if (c.residual) s += v.r[o];
        y[o] = applyAct(s, c.pwAct);
      }
  return y;
}

/** The case as one DepthwisePointwise node, or as the two Conv nodes it replaces. */
function descFor(c: Case, v: Data, fused: boolean): NativeGraphDesc {
  const [OH, OW] = outSize(c);
  const constants = [
    { name: 'wd', shape: [c.C, 1, c.k[0], c.k[1]], data: v.wd },
    { name: 'wp', shape: [c.M, c.C, 1, 1], data: v.wp },
    ...(c.dwBias ? [{ name: 'bd', shape: [c.C], data: v.bd }] : []),
    ...(c.pwBias ? [{ name: 'bp', shape: [c.M], data: v.bp }] : []),
  ];
  const inputs = [{ name: 'x', shape: [c.N, c.C, c.H, c.W] }];
  if (c.residual) inputs.push({ name: 'r', shape: [c.N, c.M, OH, OW] });
  const shapes: Record<string, number[]> = { y: [c.N, c.M, OH, OW] };
  const geom = { kernel: c.k, strides: c.s, pads: c.p, dilations: c.d, group: c.C };
  const [bd, bp, r] = [c.dwBias ? 'bd' : '', c.pwBias ? 'bp' : '', c.residual ? 'r' : ''];
  if (fused) {
    const a = {
      ...geom,
      dw_activation: c.dwAct.activation,
      dw_clip_min: c.dwAct.clip_min,
      dw_clip_max: c.dwAct.clip_max,
      ...c.pwAct,
    };
    return {
      inputs,
      outputs: ['y'],
      shapes,
      constants,
      nodes: [{ name: 'pw', op: 'DepthwisePointwise', inputs: ['x', 'wd', bd, 'wp', bp, r], outputs: ['y'], attrs: a }],
    };
  }
  shapes.z = [c.N, c.C, OH, OW];
  const one = { kernel: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1 };
  return {
    inputs,
    outputs: ['y'],
    shapes,
    constants,
    nodes: [
      { name: 'dw', op: 'Conv', inputs: ['x', 'wd', bd, ''], outputs: ['z'], attrs: { ...geom, ...c.dwAct } },
      { name: 'pw', op: 'Conv', inputs: ['z', 'wp', bp, r], outputs: ['y'], attrs: { ...one, ...c.pwAct } },
    ],
  };
}

function randomCase(rnd: () => number): Case {
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const k = pick([1, 3, 3, 3, 5]);
  const kw = rnd() < 0.15 ? pick([1, 3]) : k;
  const s = pick([1, 1, 2]);
  const d = rnd() < 0.2 ? 2 : 1;
  const pad = () => pick([0, 1, 1, 2]);
  const c: Case = {
    N: pick([1, 1, 2, 3]),
    C: pick([1, 3, 5, 17, 33, 70]),
    H: pick([1, 3, 6, 13, 29, 40]),
    W: pick([1, 3, 7, 16, 23, 56]),
    M: pick([1, 4, 9, 24, 31]),
    k: [k, kw],
    s: [s, pick([s, 1])],
    d: [d, d],
    p: [pad(), pad(), pad(), pad()],
    dwAct: pick([NONE, RELU, RELU6]),
    pwAct: pick([NONE, RELU, RELU6]),
    dwBias: rnd() < 0.7,
    pwBias: rnd() < 0.7,
    residual: rnd() < 0.4,
  };
  const [OH, OW] = outSize(c);
  return OH >= 1 && OW >= 1 ? c : randomCase(rnd);
}

// Shapes the random draw may miss: 1x1 and 3x3 images, bands that do not divide the height (a
// tall image cut into several bands), a stride-2 band start in the padding, wide channels, bands
// wholly inside the padding, and one image in one band on 2 threads (the two-phase path).
const FIXED: Case[] = [
  {
    N: 1,
    C: 5,
    H: 1,
    W: 1,
    M: 3,
    k: [3, 3],
    s: [1, 1],
    d: [1, 1],
    p: [1, 1, 1, 1],
    dwAct: RELU6,
    pwAct: NONE,
    dwBias: true,
    pwBias: true,
    residual: true,
  },
  {
    N: 2,
    C: 7,
    H: 3,
    W: 3,
    M: 5,
    k: [3, 3],
    s: [2, 2],
    d: [1, 1],
    p: [1, 1, 1, 1],
    dwAct: RELU,
    pwAct: RELU6,
    dwBias: true,
    pwBias: false,
    residual: false,
  },
  {
    N: 1,
    C: 144,
    H: 57,
    W: 56,
    M: 24,
    k: [3, 3],
    s: [1, 1],
    d: [1, 1],
    p: [1, 1, 1, 1],
    dwAct: RELU6,
    pwAct: NONE,
    dwBias: true,
    pwBias: true,
    residual: true,
  },
  {
    N: 3,
    C: 96,
    H: 61,
    W: 47,
    M: 24,
    k: [3, 3],
    s: [2, 2],
    d: [1, 1],
    p: [0, 0, 1, 1],
    dwAct: RELU6,
    pwAct: NONE,
    dwBias: true,
    pwBias: true,
    residual: false,
  },
  {
    N: 1,
    C: 33,
    H: 150,
    W: 19,
    M: 40,
    k: [5, 5],
    s: [1, 1],
    d: [2, 2],
    p: [4, 4, 4, 4],
    dwAct: NONE,
    pwAct: RELU,
    dwBias: false,
    pwBias: true,
    residual: true,
  },
  {
    N: 1,
    C: 144,
    H: 20,
    W: 56,
    M: 24,
    k: [3, 3],
    s: [1, 1],
    d: [1, 1],
    p: [12, 1, 12, 1],
    dwAct: RELU6,
    pwAct: NONE,
    dwBias: true,
    pwBias: true,
    residual: true,
  },
  {
    N: 1,
    C: 64,
    H: 14,
    W: 14,
    M: 64,
    k: [3, 3],
    s: [1, 1],
    d: [1, 1],
    p: [1, 1, 1, 1],
    dwAct: RELU,
    pwAct: RELU,
    dwBias: true,
    pwBias: true,
    residual: true,
  },
  {
    N: 2,
    C: 9,
    H: 40,
    W: 8,
    M: 7,
    k: [3, 3],
    s: [1, 1],
    d: [1, 1],
    p: [5, 1, 5, 1],
    dwAct: RELU6,
    pwAct: RELU6,
    dwBias: true,
    pwBias: true,
    residual: false,
  },
];

function check(got: Float32Array, want: Float64Array, what: string): void {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]));
    if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : err;
  }
  expect(worst, what).toBeLessThan(2e-4);
}

async function runDesc(desc: NativeGraphDesc, isa: string, threads: number, c: Case, v: Data): Promise<Float32Array> {
  const s = addon.createSession(desc, { threads, isa });
  try {
    return (await s.run(c.residual ? [v.x, v.r] : [v.x]))[0];
  } finally {
    s.release();
  }
}

describe('DepthwisePointwise against a float64 reference', () => {
  const rnd = seededRandom(22);
  const cases = [...FIXED, ...Array.from({ length: 24 }, () => randomCase(rnd))];
  for (const isa of ISAS)
    it(`${cases.length} cases on ${isa}, fused and as two Convs, 1 and 2 threads`, async () => {
      for (const [i, c] of cases.entries()) {
        const v = dataFor(c, 100 + i);
        const want = reference(c, v);
        for (const threads of [1, 2]) {
          const fused = await runDesc(descFor(c, v, true), isa, threads, c, v);
          const plain = await runDesc(descFor(c, v, false), isa, threads, c, v);
          const what = `${isa} t${threads} case ${i} ${JSON.stringify(c)}`;
          check(fused, want, `fused ${what}`);
          check(plain, want, `unfused ${what}`);
        }
      }
    });

  it('reports its kernel and refuses malformed nodes with the node named', () => {
    const c = FIXED[1];
    const v = dataFor(c, 1);
    const s = addon.createSession(descFor(c, v, true), { threads: 1 });
    expect(s.plan().nodes.map((n) => n.kernel)).toEqual(['depthwise-pointwise-fused']);
    s.release();
    const bad = descFor(c, v, true);
    bad.constants[1] = { ...bad.constants[1], shape: [c.M, c.C + 1, 1, 1], data: new Float32Array(c.M * (c.C + 1)) };
    expect(() => addon.createSession(bad, { threads: 1 })).toThrow(/pw \(DepthwisePointwise\): pointwise weight shape/);
    const badAct = descFor(c, v, true);
    badAct.nodes[0].attrs.dw_activation = 'gelu';
    expect(() => addon.createSession(badAct, { threads: 1 })).toThrow(/unknown dw_activation 'gelu'/);
  });
});

describe('depthwise + pointwise fusion in the lowering', () => {
  const saved = process.env.STUDIO_NATIVE_FUSE_DWPW;
  afterEach(() => {
    if (saved === undefined) delete process.env.STUDIO_NATIVE_FUSE_DWPW;
    else process.env.STUDIO_NATIVE_FUSE_DWPW = saved;
  });
  const graph = buildTarget({ target: 'inverted-residual', set: { height: '15', width: '13' } });

  it('fuses only when asked (option or STUDIO_NATIVE_FUSE_DWPW=1) and names the depthwise it absorbed', () => {
    const on = lowerGraph(graph, { seed: 1, fuseDepthwisePointwise: true });
    expect(on.desc.nodes.map((n) => [n.name, n.op])).toEqual([
      ['expand', 'Conv'],
      ['project', 'DepthwisePointwise'],
    ]);
    expect(on.report.fusedDepthwise).toEqual([{ depthwise: 'depthwise', into: 'project' }]);
    process.env.STUDIO_NATIVE_FUSE_DWPW = '0';
    expect(lowerGraph(graph, { seed: 1 }).desc.nodes.map((n) => n.op)).toEqual(['Conv', 'Conv', 'Conv']);
    process.env.STUDIO_NATIVE_FUSE_DWPW = '1';
    expect(lowerGraph(graph, { seed: 1 }).report.fusedDepthwise).toHaveLength(1);
  });

  it('refuses a value of STUDIO_NATIVE_FUSE_DWPW other than 0 or 1, naming the accepted ones', () => {
    for (const v of ['yes', 'on', '2', 'true']) {
      process.env.STUDIO_NATIVE_FUSE_DWPW = v;
      expect(() => lowerGraph(graph, { seed: 1 })).toThrow(
        new RegExp(`STUDIO_NATIVE_FUSE_DWPW must be 1 .* or 0 .*, got '${v}'`),
      );
    }
    // The explicit option wins over the environment, as for every other knob.
    expect(lowerGraph(graph, { seed: 1, fuseDepthwisePointwise: false }).report.fusedDepthwise).toHaveLength(0);
  });

  it('gives the unfused result on every ISA path, 1 and 2 threads, batch 1 and 3', async () => {
    for (const batch of [1, 3]) {
      const g = buildTarget({ target: 'inverted-residual', input: [batch, 24, 29, 30] });
      const x = Float32Array.from({ length: batch * 24 * 29 * 30 }, (_, i) => Math.sin(i * 0.37));
      const on = lowerGraph(g, { seed: 3, fuseDepthwisePointwise: true }).desc;
      const off = lowerGraph(g, { seed: 3, fuseDepthwisePointwise: false }).desc;
      for (const isa of ISAS)
        for (const threads of [1, 2]) {
          const a = addon.createSession(on, { threads, isa });
          const b = addon.createSession(off, { threads, isa });
          const [ya] = await a.run([x]);
          const [yb] = await b.run([x]);
          expect(a.plan().nodes.map((n) => n.kernel)).toContain('depthwise-pointwise-fused');
          a.release();
          b.release();
          let worst = 0;
          for (let i = 0; i < yb.length; i++) worst = Math.max(worst, Math.abs(ya[i] - yb[i]) / (1 + Math.abs(yb[i])));
          expect(worst, `${isa} t${threads} b${batch}`).toBeLessThan(1e-5);
        }
    }
  });

  it("profiles the fused node under the pointwise Conv's name, covering both studio nodes", async () => {
    process.env.STUDIO_NATIVE_FUSE_DWPW = '1';
    const backend = new NativeBackend();
    const g = buildTarget({ target: 'inverted-residual', set: { height: '14', width: '14' } });
    const session = await backend.createSession(new Uint8Array(), { backend: 'native', intraOpThreads: 1 } as never, {
      graph: g,
      seed: 1,
      profileDir: '/nonexistent-not-used',
    });
    const input = g.inputs[0];
    const data = new Float32Array(input.shape.reduce((a, b) => a * b, 1)).fill(0.5);
    const inputs = session.prepare([{ name: input.name, dtype: 'float32', shape: input.shape, data }]);
    for (let i = 0; i < 2; i++) await session.run(inputs);
    const report = await session.profile();
    await session.release();
    expect(report.nodes.map((n) => [n.name, n.op])).toEqual([
      ['expand', 'Conv'],
      ['project', 'DepthwisePointwise'],
    ]);
    const cost = costGraph(g);
    const joined = joinNodeTimings(g, cost, report.nodes, report.optimizedGraph);
    const macs = (name: string) => cost.layers.find((l) => l.name === name)!.macs;
    expect(joined.map((j) => j.graphNodes)).toEqual([['expand'], ['depthwise', 'project']]);
    expect(joined[1].macs).toBe(macs('depthwise') + macs('project'));
  });
});
