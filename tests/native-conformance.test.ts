// The native backend on the ONNX project's conformance data (through `verify`'s logic), on
// randomized convolutions against the naive reference interpreter, and as an engine job.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ResultSchema } from '../shared/contract/result.js';
import { attr, GraphBuilder } from '../shared/graph/builder.js';
import { batchNorm } from '../shared/graph/layers.js';
import type { Graph } from '../shared/ir/types.js';
import { NativeBackend } from '../main/backends/native.js';
import { tryLoadNativeAddon } from '../main/backends/native/addon.js';
import { lowerGraph } from '../main/backends/native/lower.js';
import { runJobs } from '../main/engine/queue.js';
import { writeOnnxFile } from '../main/onnx/onnx-file.js';
import { findCases, verifyPath } from '../main/cli/commands/verify.js';
import { cliJson } from './helpers/cli.js';
import { allClose } from './helpers/ort.js';
import { runReference, seededInput } from './helpers/reference.js';

const loaded = tryLoadNativeAddon();
const addon = 'addon' in loaded ? loaded.addon : undefined;
const isaPaths = addon
  ? addon.cpu().isaPaths.filter((p) => !process.env.STUDIO_NATIVE_ISA || p === process.env.STUDIO_NATIVE_ISA)
  : [];
const native = new NativeBackend();

const CONFORMANCE = fileURLToPath(new URL('../../shared/conformance/', import.meta.url));
const LIGHT = `${CONFORMANCE}onnx-light/`;
const TORCH = `${CONFORMANCE}pytorch-converted/`;
const haveData = existsSync(LIGHT) && existsSync(TORCH);

describe.skipIf(!addon || !haveData)('conformance data on the native backend (verify)', () => {
  it('every pytorch-converted case passes, the three ONNX Runtime refuses included (rtol 1e-3, atol 1e-5)', async () => {
    const report = await verifyPath(TORCH, 'native', { rtol: 1e-3, atol: 1e-5 });
    const bad = report.cases.filter((c) => c.status !== 'pass');
    expect(bad.map((c) => `${c.name}: ${c.error ?? JSON.stringify(c.outputs)}`)).toEqual([]);
    expect(report.passed).toBe(12);
    for (const name of ['AvgPool2d', 'BatchNorm2d_eval', 'Linear'])
      expect(report.cases.find((c) => c.name === name)?.status).toBe('pass');
  });

  const light = haveData ? findCases(LIGHT) : [];
  it('finds the five onnx-light models', () => expect(light.map((c) => c.name).sort()).toHaveLength(5));
  for (const c of light)
    it(`onnx-light ${c.name} matches its expected output from the ramp input (rtol 1e-3, atol 1e-7)`, async () => {
      const report = await verifyPath(c.model, 'native', { rtol: 1e-3, atol: 1e-7 });
      const r = report.cases[0];
      expect(r.error).toBeUndefined();
      expect(r.outputs.map((o) => [o.name, o.pass])).toEqual([[r.outputs[0].name, true]]);
      expect(r.status).toBe('pass');
    });

  it('the CLI says so: verify --json exits 0 on the pytorch cases, 1 on a failing tolerance', () => {
    const ok = cliJson(['verify', `${TORCH}Conv2d_groups`, '--backend', 'native', '--atol', '1e-5']);
    expect(ok).toMatchObject({ backend: 'native', passed: 1, failed: 0, errors: 0 });
    expect(ok.cases[0].outputs[0].maxAbs).toBeLessThan(1e-5);
    const bad = cliJson(['verify', `${TORCH}Conv2d_groups`, '--backend', 'native', '--atol', '0', '--rtol', '0'], {
      code: 1,
    });
    expect(bad.failed + bad.passed).toBe(1);
  });
});

/** A tiny deterministic generator for the random cases (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

interface ConvCase {
  n: number;
  c: number;
  h: number;
  w: number;
  m: number;
  k: [number, number];
  s: [number, number];
  d: [number, number];
  pads: [number, number, number, number];
  g: number;
  bias: boolean;
  tail: 'none' | 'relu' | 'clip' | 'bn-relu' | 'residual-relu';
}

function randomConv(r: (n: number) => number): ConvCase {
  for (;;) {
    const g = [1, 1, 1, 2, 3, 0][r(6)]; // 0: depthwise
    const cg = 1 + r(5);
    const c = g === 0 ? 1 + r(17) : g * cg;
    const groups = g === 0 ? c : g;
    const m = groups * (1 + r(g === 0 ? 2 : 6));
    const k: [number, number] = [1 + r(5), 1 + r(5)];
    const d: [number, number] = [1 + r(3), 1 + r(2)];
    const s: [number, number] = [1 + r(3), 1 + r(2)];
    const pads: [number, number, number, number] = [r(3), r(3), r(3), r(3)];
    const h = 1 + r(13);
    const w = 1 + r(13);
    const effH = (k[0] - 1) * d[0] + 1;
    const effW = (k[1] - 1) * d[1] + 1;
    if (h + pads[0] + pads[2] < effH || w + pads[1] + pads[3] < effW) continue;
    const tails = ['none', 'relu', 'clip', 'bn-relu', 'residual-relu'] as const;
    return { n: 1 + r(3), c, h, w, m, k, s, d, pads, g: groups, bias: r(2) === 1, tail: tails[r(tails.length)] };
  }
}

function convGraph(cc: ConvCase): Graph {
  const b = new GraphBuilder('random-conv');
  const x = b.input('x', [cc.n, cc.c, cc.h, cc.w]);
  const fanIn = (cc.c / cc.g) * cc.k[0] * cc.k[1];
  const wt = b.param('w', [cc.m, cc.c / cc.g, ...cc.k], { kind: 'he-normal', fanIn });
  const inputs = [x, wt];
  if (cc.bias) inputs.push(b.param('b', [cc.m], { kind: 'he-normal', fanIn: 1 }));
  let y = b.op(
    'Conv',
    inputs,
    {
      kernel_shape: attr.ints(cc.k),
      strides: attr.ints(cc.s),
      dilations: attr.ints(cc.d),
      pads: attr.ints(cc.pads),
      group: attr.int(cc.g),
    },
    'conv',
  );
  if (cc.tail === 'relu') y = b.op('Relu', [y], {}, 'relu');
  if (cc.tail === 'clip') y = b.op('Clip', [y, b.constant('lo', [-0.5], []), b.constant('hi', [0.75], [])], {}, 'clip');
  if (cc.tail === 'bn-relu') {
    y = batchNorm(b, y, {}, 'bn');
    y = b.op('Relu', [y], {}, 'relu');
  }
  if (cc.tail === 'residual-relu') {
    const other = b.input('r', b.shapeOf(y));
    y = b.op('Relu', [b.op('Add', [y, other], {}, 'add')], {}, 'relu');
  }
  const graph = b.build([y]);
  for (const n of graph.nodes.filter((x) => x.op === 'BatchNormalization'))
    n.inputs.slice(1).forEach((name, slot) => {
      const init = graph.initializers.get(name)!;
      init.data = seededInput(init.shape, 40 + slot).map((v) => [1 + v / 2, v / 2, v / 2, 1 + v / 2][slot]);
    });
  return graph;
}

describe.skipIf(!addon)('randomized convolutions against the reference interpreter', () => {
  const r = rng(2024);
  const cases = Array.from({ length: 60 }, () => randomConv(r));
  // Shapes the vector paths must get right: 1x1 spatial, channels not a multiple of 8/16, batch > 1.
  cases.push(
    {
      n: 2,
      c: 17,
      h: 1,
      w: 1,
      m: 33,
      k: [1, 1],
      s: [1, 1],
      d: [1, 1],
      pads: [0, 0, 0, 0],
      g: 1,
      bias: true,
      tail: 'relu',
    },
    {
      n: 1,
      c: 31,
      h: 5,
      w: 7,
      m: 31,
      k: [3, 3],
      s: [2, 2],
      d: [1, 1],
      pads: [1, 1, 1, 1],
      g: 31,
      bias: true,
      tail: 'clip',
    },
    {
      n: 3,
      c: 24,
      h: 9,
      w: 9,
      m: 24,
      k: [3, 3],
      s: [1, 1],
      d: [1, 1],
      pads: [1, 1, 1, 1],
      g: 24,
      bias: false,
      tail: 'residual-relu',
    },
    {
      n: 1,
      c: 3,
      h: 17,
      w: 15,
      m: 20,
      k: [7, 7],
      s: [2, 2],
      d: [1, 1],
      pads: [3, 3, 3, 3],
      g: 1,
      bias: false,
      tail: 'bn-relu',
    },
    {
      n: 2,
      c: 64,
      h: 6,
      w: 6,
      m: 65,
      k: [1, 1],
      s: [2, 2],
      d: [1, 1],
      pads: [0, 0, 0, 0],
      g: 1,
      bias: true,
      tail: 'none',
    },
    {
      n: 1,
      c: 5,
      h: 4,
      w: 4,
      m: 7,
      k: [4, 4],
      s: [1, 1],
      d: [1, 1],
      pads: [1, 1, 2, 2],
      g: 1,
      bias: true,
      tail: 'none',
    },
  );
  it(`${cases.length} convolutions (shapes, strides, asymmetric pads, dilations, groups, fused tails) on ${isaPaths.join(', ')}`, async () => {
    for (const [i, cc] of cases.entries()) {
      const graph = convGraph(cc);
      const feeds: Record<string, Float32Array> = {};
      graph.inputs.forEach((t, k) => (feeds[t.name] = seededInput(t.shape, 1000 * i + k)));
      const ref = runReference(
        graph,
        Object.fromEntries(
          graph.inputs.map((t) => [t.name, { shape: t.shape, data: Float64Array.from(feeds[t.name]) }]),
        ),
        i,
      ).get(graph.outputs[0].name)!;
      const lowered = lowerGraph(graph, { seed: i });
      for (const isa of isaPaths) {
        const s = native.compile(graph, lowered, { intraOpThreads: 0, isa: isa as 'scalar' });
        try {
          const out = await s.runNamed(
            graph.inputs.map((t) => ({ name: t.name, dtype: 'float32', shape: t.shape, data: feeds[t.name] })),
          );
          const got = out[graph.outputs[0].name];
          expect(got.shape).toEqual(ref.shape);
          const cmp = allClose(got.data, ref.data, 1e-4, 1e-5);
          expect(cmp.worst, `case ${i} ${JSON.stringify(cc)} on ${isa}`).toMatchObject({ index: -1 });
        } finally {
          await s.release();
        }
      }
    }
  });

  it('odd-sized Gemm, pools and softmax agree with the reference', async () => {
    const b = new GraphBuilder('misc');
    const x = b.input('x', [3, 5, 11, 9]);
    const mp = b.op(
      'MaxPool',
      [x],
      {
        kernel_shape: attr.ints([3, 2]),
        strides: attr.ints([2, 2]),
        pads: attr.ints([1, 0, 1, 1]),
        ceil_mode: attr.int(1),
      },
      'mp',
    );
    const ap = b.op(
      'AveragePool',
      [mp],
      {
        kernel_shape: attr.ints([3, 3]),
        pads: attr.ints([1, 1, 1, 1]),
        count_include_pad: attr.int(1),
        ceil_mode: attr.int(1),
        strides: attr.ints([2, 2]),
      },
      'ap',
    );
    const ap2 = b.op('AveragePool', [mp], { kernel_shape: attr.ints([2, 2]), pads: attr.ints([1, 1, 0, 0]) }, 'ap2');
    const f = b.op('Flatten', [ap], { axis: attr.int(1) }, 'flat');
    const w = b.param('w', [13, b.shapeOf(f)[1]], { kind: 'he-normal', fanIn: 40 });
    const bias = b.param('bias', [13], { kind: 'he-normal', fanIn: 1 });
    const g = b.op('Gemm', [f, w, bias], { transB: attr.int(1) }, 'fc');
    const sm = b.op('Softmax', [g], { axis: attr.int(1) }, 'sm');
    const gap = b.op('GlobalAveragePool', [ap2], {}, 'gap');
    const gmp = b.op('GlobalMaxPool', [mp], {}, 'gmp');
    const graph = b.build([sm, gap, gmp]);
    const feeds = { [x]: seededInput([3, 5, 11, 9], 3) };
    const ref = runReference(graph, { [x]: { shape: [3, 5, 11, 9], data: Float64Array.from(feeds[x]) } }, 9);
    const lowered = lowerGraph(graph, { seed: 9 });
    for (const isa of isaPaths) {
      const s = native.compile(graph, lowered, { intraOpThreads: 0, isa: isa as 'scalar' });
      const out = await s.runNamed([{ name: x, dtype: 'float32', shape: [3, 5, 11, 9], data: feeds[x] }]);
      await s.release();
      for (const o of graph.outputs) {
        expect(out[o.name].shape, `${o.name} on ${isa}`).toEqual(ref.get(o.name)!.shape);
        expect(
          allClose(out[o.name].data, ref.get(o.name)!.data, 1e-4, 1e-6).worst,
          `${o.name} on ${isa}`,
        ).toMatchObject({ index: -1 });
      }
    }
  });

  it('refuses a path the CPU lacks, naming the usable ones', async () => {
    const missing = ['avx512', 'avx2'].find((p) => !addon!.cpu().isaPaths.includes(p));
    if (!missing) return; // this CPU runs every path
    const graph = convGraph(randomConv(rng(1)));
    await expect(native.createGraphSession(graph, { intraOpThreads: 1, isa: missing as 'avx2' })).rejects.toMatchObject(
      {
        name: 'RefusedError',
        message: expect.stringMatching(/usable paths/),
      },
    );
  });
});

describe.skipIf(!addon)('native in the benchmark engine', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'native-engine-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('a bottleneck job on backend native: a valid result with the ISA path and the lowering recorded', async () => {
    const isa = isaPaths[isaPaths.length - 1] === 'scalar' && isaPaths.length > 1 ? isaPaths[0] : 'scalar';
    const [result] = await runJobs([
      {
        version: 1,
        id: 'native-job',
        target: { kind: 'block', name: 'bottleneck', params: { height: 8, width: 8, channels: 32, mid: 8, out: 32 } },
        backend: { backend: 'native', intraOpThreads: 1, isa: isa as 'scalar' },
        measure: { warmupRuns: 2, minRuns: 10, minTimeS: 0.1, maxTimeS: 1 },
      },
    ]);
    expect(result.failure).toBeUndefined();
    expect(result.status).toBe('ok');
    expect(ResultSchema.parse(result)).toBeTruthy();
    expect(result.runtime).toMatchObject({ name: 'native', version: addon!.version, providers: [`NativeCPU/${isa}`] });
    expect(result.job.backend).toMatchObject({ backend: 'native', intraOpThreads: 1, isa });
    expect(result.stats!.n).toBeGreaterThanOrEqual(10);
    // Information, not warnings: the plan and the lowering are notes.
    expect(result.notes.join('\n')).toMatch(/native plan: \w+ kernels, 1 thread, activation arena/);
    expect(result.flags.join('\n')).not.toMatch(/native plan/);
    expect(result.notes.join('\n')).toMatch(
      /native lowering: 3 BatchNormalization folded into Conv, 1 residual Add fused into Conv/,
    );
    expect(result.placement).toBeUndefined(); // no profiled pass: nothing can fall back
  });

  it('a file with an operator outside the list fails before running, naming it', async () => {
    const b = new GraphBuilder('tanh-net');
    const x = b.input('x', [1, 4, 5, 5]);
    const y = b.op('Tanh', [b.op('Relu', [x], {}, 'relu')], {}, 'squash');
    const path = join(tmp, 'tanh.onnx');
    writeOnnxFile(b.build([y]), path);
    const [result] = await runJobs([
      {
        version: 1,
        id: 'native-refused',
        target: { kind: 'file', path, dims: {} },
        backend: { backend: 'native', intraOpThreads: 1 },
        measure: { warmupRuns: 1, minRuns: 2, minTimeS: 0, maxTimeS: 1 },
      },
    ]);
    expect(result.status).toBe('failed');
    expect(result.failure?.reason).toMatch(
      /native backend cannot run .*no kernels for operator Tanh \(1 node: 'squash'\)/,
    );
    expect(result.stats).toBeUndefined();
  });
});
