// Winograd 3x3 convolutions of the native backend (native/src/ops/conv_winograd.cc) against a
// double-precision direct convolution written here, on every ISA path: F(2x2,3x3) and F(4x4,3x3)
// forced with STUDIO_NATIVE_WINOGRAD (read when a session is planned), odd channels, asymmetric
// pads, batch, bias + residual (in place) + relu/clip, tiny images with partial tiles, post-ReLU
// (nonnegative) inputs and seeded random shapes; and the shape rule (auto): which layers take
// F(4x4), F(2x2) or stay on im2col-gemm, and that its choice holds the same tolerance.
import { afterEach, describe, expect, it } from 'vitest';
import { loadNativeAddon, type NativeGraphDesc } from '../main/backends/native/addon.js';
import { seededInput } from './helpers/reference.js';

const addon = loadNativeAddon();
const ISAS = addon.cpu().isaPaths;

interface Case {
  x: [number, number, number, number]; // N, C, H, W
  m: number; // output channels
  pads: [number, number, number, number];
  activation?: 'relu' | 'clip';
  residual?: boolean;
  /** Inputs in [0, 1], as after a ReLU: a nonzero mean makes the transforms cancel more. */
  nonneg?: boolean;
}

function desc(c: Case): NativeGraphDesc {
  const [N, C, H, W] = c.x;
  const [pt, pl, pb, pr] = c.pads;
  const out = [N, c.m, H + pt + pb - 2, W + pl + pr - 2];
  return {
    inputs: [{ name: 'x', shape: c.x }, ...(c.residual ? [{ name: 'r', shape: out }] : [])],
    outputs: ['y'],
    shapes: { x: c.x, y: out, ...(c.residual ? { r: out } : {}) },
    constants: [
      { name: 'w', shape: [c.m, C, 3, 3], data: seededInput([c.m, C, 3, 3], 11).map((v) => v / Math.sqrt(9 * C)) },
      { name: 'b', shape: [c.m], data: seededInput([c.m], 12) },
    ],
    nodes: [
      {
        name: 'conv',
        op: 'Conv',
        inputs: ['x', 'w', 'b', c.residual ? 'r' : ''],
        outputs: ['y'],
        attrs: {
          kernel: [3, 3],
          pads: c.pads,
          activation: c.activation ?? 'none',
          ...(c.activation === 'clip' ? { clip_min: -0.5, clip_max: 0.6 } : {}),
        },
      },
    ],
  };
}

/** Direct convolution in double precision, then bias, residual and activation. */
function reference(d: NativeGraphDesc, c: Case, x: Float32Array, r?: Float32Array): Float64Array {
  const [N, C, H, W] = c.x;
  const [pt, pl] = c.pads;
  const [, M, OH, OW] = d.shapes.y;
  const w = d.constants[0].data;
  const b = d.constants[1].data;
  const y = new Float64Array(N * M * OH * OW);
  for (let n = 0; n < N; n++)
    for (let m = 0; m < M; m++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          let s = b[m];
          for (let ci = 0; ci < C; ci++)
            for (let i = 0; i < 3; i++) {
              const iy = oy + i - pt;
              if (iy < 0 || iy >= H) continue;
              for (let j = 0; j < 3; j++) {
                const ix = ox + j - pl;
                if (ix >= 0 && ix < W) s += x[((n * C + ci) * H + iy) * W + ix] * w[((m * C + ci) * 3 + i) * 3 + j];
              }
            }
          const o = ((n * M + m) * OH + oy) * OW + ox;
          if (r) s += r[o];
          if (c.activation === 'relu') s = Math.max(0, s);
          if (c.activation === 'clip') s = Math.min(0.6, Math.max(-0.5, s));
          y[o] = s;
        }
  return y;
}

const saved = process.env.STUDIO_NATIVE_WINOGRAD;
afterEach(() => {
  if (saved === undefined) delete process.env.STUDIO_NATIVE_WINOGRAD;
  else process.env.STUDIO_NATIVE_WINOGRAD = saved;
});

/** Plans `c` with the given mode on every ISA and checks it against the reference. */
async function check(c: Case, mode: string, kernel: string, threads = 2) {
  process.env.STUDIO_NATIVE_WINOGRAD = mode;
  const d = desc(c);
  const x = seededInput(c.x, 1);
  if (c.nonneg) for (let i = 0; i < x.length; i++) x[i] = Math.abs(x[i]);
  const r = c.residual ? seededInput(d.shapes.y, 2) : undefined;
  const want = reference(d, c, x, r);
  for (const isa of ISAS) {
    const s = addon.createSession(d, { threads, isa });
    try {
      expect(s.plan().nodes[0].kernel, `${isa} ${JSON.stringify(c)}`).toBe(kernel);
      const [y] = await s.run(r ? [x, r] : [x]);
      let worst = -1;
      let excess = 0;
      for (let i = 0; i < want.length; i++) {
        const e = Math.abs(y[i] - want[i]) - (1e-5 + 1e-4 * Math.abs(want[i]));
        if (!(e <= excess)) [excess, worst] = [e, i];
      }
      expect(worst, `${isa} ${mode} ${JSON.stringify(c)}: y[${worst}] = ${y[worst]}, want ${want[worst]}`).toBe(-1);
    } finally {
      s.release();
    }
  }
}

const CASES: Case[] = [
  { x: [1, 16, 8, 8], m: 16, pads: [1, 1, 1, 1] },
  { x: [2, 13, 11, 9], m: 17, pads: [1, 0, 0, 1], activation: 'relu', residual: true },
  { x: [3, 5, 3, 5], m: 7, pads: [0, 1, 1, 0], activation: 'clip' },
  { x: [1, 9, 1, 1], m: 3, pads: [1, 1, 1, 1], residual: true }, // one output pixel: a partial tile
  { x: [1, 4, 2, 2], m: 5, pads: [1, 1, 1, 1], activation: 'relu' },
  { x: [2, 3, 3, 3], m: 2, pads: [0, 0, 0, 0] }, // 1x1 output, no padding
  { x: [1, 33, 13, 13], m: 40, pads: [1, 1, 1, 1], activation: 'relu', residual: true },
  { x: [2, 64, 14, 14], m: 24, pads: [1, 1, 1, 1] },
  { x: [1, 128, 16, 16], m: 96, pads: [1, 1, 1, 1], activation: 'relu', nonneg: true },
  { x: [3, 37, 10, 13], m: 29, pads: [1, 1, 0, 1], residual: true, activation: 'clip', nonneg: true },
  // Many tiles: each thread runs its own range in blocks, a remainder under 16 joining the last.
  { x: [1, 16, 58, 50], m: 20, pads: [1, 1, 1, 1], activation: 'relu', residual: true },
  // Few tiles and large weights: the threads share each block (two blocks with F(4x4)).
  { x: [1, 128, 28, 28], m: 128, pads: [1, 1, 1, 1], nonneg: true },
];

/** Seeded random shapes: channels 1-48, images 1-17 pixels a side, batch 1-3, pads 0/1 each side. */
function randomCases(count: number, seed: number): Case[] {
  const u = seededInput([count * 10], seed).map((v) => (v + 1) / 2);
  const pick = (i: number, lo: number, hi: number) => lo + Math.min(hi - lo, Math.floor(u[i] * (hi - lo + 1)));
  const out: Case[] = [];
  for (let k = 0; k < count; k++) {
    const i = k * 10;
    const pads: Case['pads'] = [pick(i + 4, 0, 1), pick(i + 5, 0, 1), pick(i + 6, 0, 1), pick(i + 7, 0, 1)];
    const h = Math.max(pick(i + 2, 1, 17), 3 - pads[0] - pads[2]);
    const w = Math.max(pick(i + 3, 1, 17), 3 - pads[1] - pads[3]);
    const act = pick(i + 8, 0, 2);
    out.push({
      x: [pick(i, 1, 3), pick(i + 1, 1, 48), h, w],
      m: pick(i + 9, 1, 48),
      pads,
      activation: act === 1 ? 'relu' : act === 2 ? 'clip' : undefined,
      residual: u[i + 8] > 0.5,
      nonneg: u[i + 9] > 0.5,
    });
  }
  return out;
}

describe('native Winograd 3x3 convolutions', () => {
  for (const mode of ['f2', 'f4'])
    it(`F(${mode[1]}x${mode[1]},3x3) matches the double reference on ${ISAS.join(', ')}`, async () => {
      for (const c of [...CASES, ...randomCases(12, 99)]) await check(c, mode, `winograd-${mode}`);
      await check(CASES[6], mode, `winograd-${mode}`, 1);
      await check(CASES[1], mode, `winograd-${mode}`, 3);
    });

  it('auto holds the same tolerance on the layers it sends to F(4x4) and F(2x2)', async () => {
    await check(
      { x: [1, 96, 28, 28], m: 64, pads: [1, 1, 1, 1], activation: 'relu', nonneg: true },
      'auto',
      'winograd-f4',
    );
    await check(
      { x: [1, 256, 14, 14], m: 48, pads: [1, 1, 1, 1], residual: true, nonneg: true },
      'auto',
      'winograd-f4',
    );
    await check(
      { x: [1, 512, 7, 7], m: 32, pads: [1, 1, 1, 1], activation: 'relu', nonneg: true },
      'auto',
      'winograd-f2',
    );
  });

  it('off keeps 3x3 convolutions on im2col-gemm', async () => {
    await check(CASES[1], 'off', 'im2col-gemm');
  });

  it('auto: ResNet-50 at batch 1 takes F(4x4) down to 14x14 and F(2x2) at 7x7; few channels or pixels, strides stay im2col', () => {
    process.env.STUDIO_NATIVE_WINOGRAD = 'auto';
    const kernel = (c: Case) => addon.createSession(desc(c), { threads: 1 }).plan().nodes[0].kernel;
    expect(kernel({ x: [1, 64, 56, 56], m: 64, pads: [1, 1, 1, 1], activation: 'relu' })).toBe('winograd-f4');
    expect(kernel({ x: [1, 128, 28, 28], m: 128, pads: [1, 1, 1, 1] })).toBe('winograd-f4');
    expect(kernel({ x: [1, 256, 14, 14], m: 256, pads: [1, 1, 1, 1] })).toBe('winograd-f4');
    expect(kernel({ x: [1, 512, 7, 7], m: 512, pads: [1, 1, 1, 1] })).toBe('winograd-f2');
    expect(kernel({ x: [8, 512, 7, 7], m: 512, pads: [1, 1, 1, 1] })).toBe('winograd-f4'); // 32 tiles
    expect(kernel({ x: [1, 64, 5, 5], m: 64, pads: [1, 1, 1, 1] })).toBe('im2col-gemm'); // 9 tiles
    expect(kernel({ x: [1, 3, 56, 56], m: 8, pads: [1, 1, 1, 1] })).toBe('im2col-gemm');
    const strided = desc({ x: [1, 64, 56, 56], m: 64, pads: [1, 1, 1, 1] });
    strided.nodes[0].attrs.strides = [2, 2];
    strided.shapes.y = [1, 64, 28, 28];
    expect(addon.createSession(strided, { threads: 1 }).plan().nodes[0].kernel).toBe('im2col-gemm');
  });

  it('refuses an unknown STUDIO_NATIVE_WINOGRAD value with a clear error', () => {
    process.env.STUDIO_NATIVE_WINOGRAD = 'fast';
    expect(() => addon.createSession(desc(CASES[0]), { threads: 1 })).toThrow(/STUDIO_NATIVE_WINOGRAD/);
  });
});
