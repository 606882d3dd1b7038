import { describe, expect, it } from 'vitest';
import { resolveParams } from '../shared/blocks/block-spec.js';
import { getBlock } from '../shared/blocks/registry.js';
import { costGraph } from '../shared/cost/cost-model.js';
import { attr, GraphBuilder } from '../shared/graph/builder.js';
import { inferGraph } from '../shared/graph/infer.js';
import { conv, dense, flatten } from '../shared/graph/layers.js';
import type { Graph } from '../shared/ir/types.js';

const block = (name: string, set: Record<string, string | number | boolean> = {}) => {
  const spec = getBlock(name);
  return spec.build(resolveParams(name, spec.params, set));
};

describe('cost model', () => {
  it('counts a 1x1 convolution 14x14x152 -> 64 exactly (seed 000)', () => {
    const r = costGraph(block('pointwise'));
    expect(r.totals.params).toBe(152 * 64 + 64);
    expect(r.totals.macs).toBe(14 * 14 * 152 * 64);
    expect(r.totals.flops).toBe(2 * 14 * 14 * 152 * 64);
    // The bias additions are element-wise work, kept out of the MACs.
    expect(r.totals.elementwiseOps).toBe(14 * 14 * 64);
    expect(r.totals.weightBytes).toBe(4 * (152 * 64 + 64));
    expect(r.totals.weightBytesByPrecision).toEqual({ fp32: 4 * 9792, fp16: 2 * 9792, int8: 9792 });
    expect(r.outputs[0].shape).toEqual([1, 64, 14, 14]);
    // Input and output are alive together while the single node runs.
    expect(r.totals.peakActivationBytes).toBe(4 * 14 * 14 * (152 + 64));
    expect(r.layers).toHaveLength(1);
    expect(r.layers[0]).toMatchObject({ op: 'Conv', params: 9792, macs: 14 * 14 * 152 * 64, known: true });
  });

  it('costs the ResNet bottleneck 56x56x256 (width 64) layer by layer (seed 001)', () => {
    const r = costGraph(block('bottleneck'));
    const convs = r.layers.filter((l) => l.op === 'Conv');
    expect(convs.map((l) => l.params)).toEqual([256 * 64, 64 * 64 * 9, 64 * 256]);
    expect(convs.map((l) => l.macs)).toEqual([56 * 56 * 256 * 64, 56 * 56 * 64 * 64 * 9, 56 * 56 * 64 * 256]);
    const bnVectors = 4 * (64 + 64 + 256);
    expect(r.totals.params).toBe(256 * 64 + 64 * 64 * 9 + 64 * 256 + bnVectors);
    expect(r.totals.nonTrainableParams).toBe(2 * (64 + 64 + 256));
    expect(r.totals.macs).toBe(56 * 56 * 69632);
  });

  it('tracks the peak of live activations along the execution order', () => {
    // x -> a -> b, and x also feeds c = a + x: x stays alive until the Add.
    const b = new GraphBuilder('peak');
    const x = b.input('x', [1, 4, 8, 8]);
    const a = b.op('Relu', [x]);
    const c = b.op('Add', [a, x]);
    const d = b.op('Relu', [c]);
    const r = costGraph(b.build([d]));
    const t = 4 * 4 * 8 * 8; // bytes of one tensor
    // Relu(a): x + a = 2t; Add: x + a + c = 3t (then x and a die); Relu(d): c + d = 2t.
    expect(r.totals.peakActivationBytes).toBe(3 * t);
    expect(r.totals.activationBytes).toBe(4 * t);
  });

  it('compares FC and GAP heads, and the 1x1 reduction, as the seeds do', () => {
    const b = new GraphBuilder('fc');
    const x = b.input('x', [1, 152, 14, 14]);
    const fc = costGraph(b.build([dense(b, flatten(b, x), 512)]));
    expect(fc.totals.params).toBe(14 * 14 * 152 * 512 + 512);
    const pw = costGraph(block('pointwise'));
    expect(fc.totals.params / pw.totals.params).toBeGreaterThan(1000);
  });

  it('keeps an unknown operator, costs it as unknown, and warns', () => {
    const b = new GraphBuilder('unknown');
    const x = b.input('x', [1, 3, 8, 8]);
    const y = conv(b, x, { out: 8, kernel: 3, name: 'c' });
    const g: Graph = b.build([y]);
    g.nodes.push({
      name: 'mystery',
      op: 'FancyOp',
      domain: 'com.example',
      inputs: [y],
      outputs: ['z'],
      attrs: { k: attr.int(1) },
    });
    g.outputs = [{ name: 'z', dtype: 'float32', shape: [] }];
    const inf = inferGraph(g);
    expect(inf.unknownNodes.map((n) => n.name)).toEqual(['mystery']);
    g.meta.warnings = inf.warnings;
    const r = costGraph(g);
    expect(r.totals.unknownNodes).toBe(1);
    expect(r.layers.find((l) => l.name === 'mystery')).toMatchObject({
      known: false,
      macs: 0,
      op: 'com.example.FancyOp',
    });
    expect(r.warnings.join(' ')).toMatch(/FancyOp.*not an operator the studio knows/);
    expect(r.totals.macs).toBe(8 * 8 * 8 * 3 * 9);
  });

  it('allocates no weight values while costing', () => {
    const g = block('bottleneck', { channels: 1024, out: 1024, mid: 256 });
    costGraph(g);
    for (const t of g.initializers.values()) if (t.role === 'param') expect(t.data).toBeUndefined();
  });
});
