// The native backend agrees with onnxruntime-node (CPU) on every catalog block (several parameter
// sets: batch > 1, odd channels, stride 2, dilation, groups) and every zoo model (at a reduced
// input size), on seeded random inputs and weights, within rtol 1e-4 and atol 1e-5 (fp32), on
// each ISA path this CPU can run. Weights are generated once per graph and shared by both sides.
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Graph } from '../shared/ir/types.js';
import { materializeWeights } from '../shared/graph/weights.js';
import { graphToOnnx } from '../shared/onnx/writer.js';
import { buildTarget } from '../shared/targets.js';
import { NativeBackend } from '../main/backends/native.js';
import { tryLoadNativeAddon, type NativePlan } from '../main/backends/native/addon.js';
import { lowerGraph } from '../main/backends/native/lower.js';
import { makeInputs } from '../main/backends/inputs.js';
import { allClose } from './helpers/ort.js';
import { BLOCK_CASES, MODEL_CASES } from './helpers/agreement-cases.js';

const RTOL = 1e-4;
const ATOL = 1e-5;
const SEED = 7;
const loaded = tryLoadNativeAddon();
const addon = 'addon' in loaded ? loaded.addon : undefined;
/** Every ISA path this CPU runs (STUDIO_NATIVE_ISA narrows the list to one). */
const isaPaths = addon
  ? addon.cpu().isaPaths.filter((p) => !process.env.STUDIO_NATIVE_ISA || p === process.env.STUDIO_NATIVE_ISA)
  : [];
const native = new NativeBackend();
ort.env.logLevel = 'error';

it('the native addon loads (npm ci builds it; npm run build:native rebuilds it)', () => {
  expect('error' in loaded ? loaded.error : '').toBe('');
  // STUDIO_NATIVE_ISA narrows the paths to the one forced (the run of one ISA path's table).
  expect(isaPaths).toContain(process.env.STUDIO_NATIVE_ISA || 'scalar');
});

/**
 * Runs `graph` on ONNX Runtime and on every ISA path; asserts agreement output by output.
 * `checkPlan` sees each compiled plan (to assert which execution paths a case covers).
 */
async function agree(
  graph: Graph,
  label: string,
  opts: { threads?: number; checkPlan?: (plan: NativePlan) => void } = {},
): Promise<void> {
  materializeWeights(graph, SEED);
  const host = makeInputs(graph, SEED);
  const session = await ort.InferenceSession.create(graphToOnnx(graph, { seed: SEED }), {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  });
  const feeds: Record<string, ort.Tensor> = {};
  for (const t of host) feeds[t.name] = new ort.Tensor('float32', t.data as Float32Array, t.shape);
  const want = await session.run(feeds);
  await session.release();
  const lowered = lowerGraph(graph, { seed: SEED });
  for (const isa of isaPaths) {
    const s = native.compile(graph, lowered, { intraOpThreads: opts.threads ?? 0, isa: isa as 'scalar' });
    try {
      expect(s.plan().isa).toBe(isa);
      opts.checkPlan?.(s.plan());
      const got = await s.runNamed(host);
      for (const o of graph.outputs) {
        const w = want[o.name];
        const g = got[o.name];
        expect(g.shape, `${label} on ${isa}: ${o.name} shape`).toEqual([...w.dims]);
        const cmp = allClose(g.data, w.data as Float32Array, RTOL, ATOL);
        expect(cmp.worst, `${label} on ${isa}: ${o.name}, worst element`).toMatchObject({ index: -1 });
      }
    } finally {
      await s.release();
    }
  }
}

describe.skipIf(!addon)('native agrees with ONNX Runtime: catalog blocks', () => {
  for (const [block, sets] of Object.entries(BLOCK_CASES))
    it(`${block} (${sets.length} parameter sets) on ${isaPaths.join(', ')}`, async () => {
      for (const set of sets) await agree(buildTarget({ target: block, set }), `${block} ${JSON.stringify(set)}`);
    });
});

describe.skipIf(!addon)('native agrees with ONNX Runtime: zoo models at reduced sizes', () => {
  let timings: string[] = [];
  beforeAll(() => (timings = []));
  afterAll(() => console.log(`zoo agreement timings: ${timings.join(', ')}`));
  for (const [model, set, variant] of MODEL_CASES)
    it(`${model}${variant ? `/${variant}` : ''} ${JSON.stringify(set)}`, async () => {
      const t0 = performance.now();
      await agree(buildTarget({ target: model, set, variant }), `${model} ${variant ?? ''}`);
      timings.push(`${model}${variant ? `/${variant}` : ''} ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    });
});

/**
 * Tensors of 4 MiB and more: chains of 1x1 and depthwise convolutions then run image-major in
 * batch segments, with chunk-sized intermediate buffers (native/DESIGN.md). The small cases above
 * never reach that path; these do, including a chunk that does not divide the batch.
 */
const SEGMENT_CASES: [string, Record<string, string>, number][] = [
  // 144-channel 56x56 intermediates, 14.5 MB at batch 8: one image per chunk.
  ['inverted-residual', { batch: '8', height: '56', width: '56', channels: '24', out: '24', expansion: '6' }, 1],
  // 96-channel 48x48 intermediates: chunks of two images over a batch of five (2, 2, 1).
  ['inverted-residual', { batch: '5', height: '48', width: '48', channels: '16', out: '16', expansion: '6' }, 1],
  // Xception's middle-flow width: depthwise then 1x1 on 728 channels at 19x19, batch 8.
  ['separable', { batch: '8', height: '19', width: '19', channels: '728', out: '728' }, 1],
  // 1x1 convolutions cut into whole-image tiles at batch > 1, channels off the vector width.
  ['pointwise', { batch: '8', height: '28', width: '28', channels: '130', out: '66' }, 0],
];

describe.skipIf(!addon)('native agrees with ONNX Runtime: large tensors (batch segments)', () => {
  for (const [block, set, minSegments] of SEGMENT_CASES)
    for (const threads of [1, 2])
      it(`${block} ${JSON.stringify(set)}, ${threads} thread(s), on ${isaPaths.join(', ')}`, async () => {
        await agree(buildTarget({ target: block, set }), `${block} ${JSON.stringify(set)} t${threads}`, {
          threads,
          checkPlan: (plan) => {
            expect(plan.segments.length).toBeGreaterThanOrEqual(minSegments);
            for (const seg of plan.segments) {
              expect(seg.endNode - seg.firstNode).toBeGreaterThanOrEqual(2);
              expect(seg.chunk).toBeGreaterThanOrEqual(1);
              expect(seg.chunk).toBeLessThanOrEqual(seg.images);
            }
          },
        });
      });
});
