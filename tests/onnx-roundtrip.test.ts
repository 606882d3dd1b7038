// Every block of the catalog exported with graphToOnnx must load in ONNX Runtime and compute what
// a naive float64 reference computes from the same weights, and must read back as the same graph.
import { describe, expect, it } from 'vitest';
import { resolveParams, type BlockSpec } from '../shared/blocks/block-spec.js';
import { BLOCKS } from '../shared/blocks/registry.js';
import { countParams } from '../shared/cost/params.js';
import type { Graph } from '../shared/ir/types.js';
import { onnxToGraph } from '../shared/onnx/reader.js';
import { graphToOnnx } from '../shared/onnx/writer.js';
import { onnx, toNumber, type IntLike } from '../shared/onnx/tensor.js';
import { createSession, runFloat } from './helpers/ort.js';
import { runReference, seededInput } from './helpers/reference.js';

const SEED = 7;

/**
 * Small versions of each block (8x8 feature maps, few channels) keep the float64 reference fast.
 * A block whose constraints reject these (say, channels tied to another parameter) falls back to
 * fewer overrides, and finally to its defaults.
 */
function buildSmall(block: BlockSpec): { graph: Graph; given: Record<string, number> } {
  const names = new Set(block.params.map((p) => p.name));
  const tries: Record<string, number>[] = [
    { height: 8, width: 8, channels: 8 },
    { height: 8, width: 8 },
    { height: 16, width: 16 },
    {},
  ];
  let last: unknown;
  for (const t of tries) {
    const given = Object.fromEntries(Object.entries(t).filter(([k]) => names.has(k)));
    try {
      return { graph: block.build(resolveParams(block.name, block.params, given)), given };
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

/** Relative tolerance 1e-4, measured against the output's scale so values near zero do not dominate. */
function expectClose(actual: Float32Array, expected: Float64Array, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / (Math.abs(expected[i]) + 1e-2 * scale);
    if (!(err <= worst)) [worst, at] = [err, i];
  }
  expect(worst, `${what}: worst relative error at ${at}: ${actual[at]} vs ${expected[at]}`).toBeLessThanOrEqual(1e-4);
}

describe('ONNX export of every catalog block', () => {
  it('has blocks to test', () => expect(BLOCKS.length).toBeGreaterThanOrEqual(2));

  for (const block of BLOCKS) {
    it(`${block.name}: ONNX Runtime matches the reference interpreter`, async () => {
      const { graph, given } = buildSmall(block);
      const bytes = graphToOnnx(graph, { seed: SEED });
      // The export must not have attached the generated weights to the caller's graph.
      expect([...graph.initializers.values()].some((i) => i.init?.kind === 'he-normal' && i.data)).toBe(false);
      const session = await createSession(bytes, `${block.name} export`);
      const feeds = Object.fromEntries(
        graph.inputs.map((t, k) => [t.name, { shape: t.shape, data: seededInput(t.shape, SEED + k) }]),
      );
      const got = await runFloat(session, feeds);
      await session.release();
      const ref = runReference(
        graph,
        Object.fromEntries(
          Object.entries(feeds).map(([k, v]) => [k, { shape: v.shape, data: Float64Array.from(v.data) }]),
        ),
        SEED,
      );
      for (const out of graph.outputs) {
        const r = ref.get(out.name)!;
        expect(got[out.name].shape, `${block.name} ${JSON.stringify(given)}`).toEqual(out.shape);
        expect(r.shape).toEqual(out.shape);
        expectClose(got[out.name].data, r.data, `${block.name} output '${out.name}'`);
      }
    });

    it(`${block.name}: export -> import gives the same nodes, parameters and shapes`, () => {
      const { graph } = buildSmall(block);
      const back = onnxToGraph(graphToOnnx(graph, { seed: SEED }), { name: `${block.name}.onnx` });
      expect(back.nodes.length).toBe(graph.nodes.length);
      expect(back.nodes.map((n) => n.op)).toEqual(graph.nodes.map((n) => n.op));
      expect(countParams(back)).toEqual(countParams(graph));
      expect(back.inputs.map((i) => i.shape)).toEqual(graph.inputs.map((i) => i.shape));
      expect(back.outputs.map((o) => [o.name, o.shape])).toEqual(graph.outputs.map((o) => [o.name, o.shape]));
      for (const [name, v] of graph.values) expect(back.values.get(name)?.shape, name).toEqual(v.shape);
      for (const init of graph.initializers.values()) {
        const b = back.initializers.get(init.name)!;
        expect([b.role, b.trainable, b.dtype, b.shape]).toEqual([init.role, init.trainable, init.dtype, init.shape]);
      }
      expect(back.meta.warnings).toEqual([]);
      expect(back.meta.opset).toBe(17);
      expect(back.meta.description).toBe(graph.meta.description);
    });
  }

  it('writes the model header, dims, metadata and value_info', () => {
    const block = BLOCKS.find((b) => b.name === 'bottleneck') ?? BLOCKS[0];
    const graph = buildSmall(block).graph;
    graph.inputs[0] = { ...graph.inputs[0], dimParams: ['N', undefined, undefined, undefined] };
    graph.meta.variant = 'keras';
    const m = onnx.ModelProto.decode(graphToOnnx(graph, { opset: 13 }));
    expect(toNumber(m.irVersion as IntLike)).toBe(8);
    expect(m.producerName).toBe('bottleneck-studio');
    expect(m.opsetImport.map((o) => [o.domain, toNumber(o.version as IntLike)])).toEqual([['', 13]]);
    const dims = m.graph!.input![0].type!.tensorType!.shape!.dim!;
    expect(dims[0].dimParam).toBe('N');
    expect(toNumber(dims[1].dimValue as IntLike)).toBe(graph.inputs[0].shape[1]);
    const meta = Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value]));
    expect(meta.variant).toBe('keras');
    expect(m.graph!.valueInfo!.length).toBe(
      graph.values.size - graph.initializers.size - graph.inputs.length - graph.outputs.length,
    );
    expect(m.graph!.initializer!.every((t) => t.rawData && t.rawData.length > 0)).toBe(true);
    // The symbolic batch survives a round trip and can be set when reading.
    const back = onnxToGraph(graphToOnnx(graph), { name: 'b.onnx', dims: { N: 3 } });
    expect(back.inputs[0].shape[0]).toBe(3);
    expect(back.inputs[0].dimParams?.[0]).toBe('N');
    expect(back.meta.variant).toBe('keras');
    expect(back.meta.warnings?.some((w) => w.includes("'N'"))).toBe(true);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const graph = buildSmall(BLOCKS[0]).graph;
    expect(graphToOnnx(graph, { seed: 1 })).toEqual(graphToOnnx(graph, { seed: 1 }));
    expect(graphToOnnx(graph, { seed: 1 })).not.toEqual(graphToOnnx(graph, { seed: 2 }));
  });
});
