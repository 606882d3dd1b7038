// Per-node times of the native backend: a profiled session times each planned node, and the
// engine maps them back onto the studio graph (fused BatchNorm/Relu/Add belong to their Conv).
import { describe, expect, it } from 'vitest';
import { NativeBackend } from '../main/backends/native.js';
import { joinNodeTimings } from '../shared/stats/node-map.js';
import { costGraph } from '../shared/cost/cost-model.js';
import { buildTarget } from '../shared/targets.js';

describe('native per-node profile', () => {
  const graph = buildTarget({ target: 'inverted-residual', set: { height: '14', width: '14' } });
  const backend = new NativeBackend();

  it('times every planned node and maps each Conv back to its studio node with its MACs', async () => {
    const session = await backend.createSession(new Uint8Array(), { backend: 'native', intraOpThreads: 1 } as never, {
      graph,
      seed: 1,
      profileDir: '/nonexistent-not-used',
    });
    const input = graph.inputs[0];
    const data = new Float32Array(input.shape.reduce((a, b) => a * b, 1)).fill(0.5);
    const inputs = session.prepare([{ name: input.name, dtype: 'float32', shape: input.shape, data }]);
    for (let i = 0; i < 3; i++) await session.run(inputs);
    const report = await session.profile();
    await session.release();
    expect(report.nodes.map((n) => n.name)).toEqual(['expand', 'depthwise', 'project']);
    for (const n of report.nodes) {
      expect(n.runs).toBe(3);
      expect(n.meanUs).toBeGreaterThan(0);
      expect(n.provider).toBe('NativeCPU');
    }
    const cost = costGraph(graph);
    const joined = joinNodeTimings(graph, cost, report.nodes, report.optimizedGraph);
    const macs = (name: string) => cost.layers.find((l) => l.name === name)!.macs;
    expect(joined.map((j) => j.graphNodes[0])).toEqual(['expand', 'depthwise', 'project']);
    expect(joined.map((j) => j.macs)).toEqual([macs('expand'), macs('depthwise'), macs('project')]);
  });

  it('refuses to report a profile for a session compiled without profiling', async () => {
    const session = await backend.createSession(new Uint8Array(), { backend: 'native', intraOpThreads: 1 } as never, {
      graph,
      seed: 1,
    });
    await expect(session.profile()).rejects.toThrow(/without profiling/);
    await session.release();
  });
});
