// results.diff through the app's API (main/api/diff.ts over main/services/run-diff.ts): two saved
// profiled results diffed with the studio graph rebuilt from the job; refusals come back as
// 'refused' with the reason, unknown ids as 'not-found', a bad request as 'bad-request'.
import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../shared/contract/result.js';
import { fakeResult } from './helpers/fake-results.js';
import { apiError, studioApis } from './helpers/studio-api.js';

const { makeApi } = studioApis('studio-api-diff');

const node = (name: string, op: string, meanUs: number, graphNodes: string[]) => ({
  name,
  op,
  provider: 'CPUExecutionProvider',
  meanUs,
  graphNodes,
  macs: 0,
  gflops: 0,
});

function profiled(id: string, backend: 'ort-cpu' | 'native', nodes: ReturnType<typeof node>[]): BenchResult {
  const r = fakeResult({ id, target: { kind: 'block', name: 'bottleneck', params: { height: 8, width: 8 } } });
  return { ...r, job: { ...r.job, backend: { ...r.job.backend, backend, profiling: true } }, nodes };
}

const ort = profiled('diff-ort', 'ort-cpu', [
  node('conv1.relu_nchwc', 'FusedConv', 14, ['conv1', 'conv1.bn', 'conv1.relu']),
  node('conv2.relu_nchwc', 'FusedConv', 25, ['conv2', 'conv2.bn', 'conv2.relu']),
  node('conv3.bn_nchwc', 'Conv', 13, ['conv3', 'conv3.bn']),
  node('add', 'Add', 4, ['add']),
  node('out', 'Relu', 40, ['out']),
  node('ReorderOutput', 'ReorderOutput', 4, []),
]);
const native = profiled('diff-native', 'native', [
  node('conv1', 'Conv', 50, ['conv1']),
  node('conv2', 'Conv', 126, ['conv2']),
  node('conv3', 'Conv', 14, ['conv3']),
]);

describe('results.diff', () => {
  it('diffs two saved profiled results with the graph rebuilt from the job', async () => {
    const api = makeApi();
    for (const r of [ort, native]) api.store.save(r);
    const d = await api.call('results.diff', { a: 'diff-ort', b: 'diff-nat' });
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
    expect(d.graph).toBe(true);
    expect([d.a.id, d.b.id]).toEqual(['diff-ort', 'diff-native']);
    // The native Conv3 covers the BatchNorm, residual Add and Relu it fused: one unit with ORT's three nodes.
    const conv3 = d.units.find((u) => u.name === 'conv3')!;
    expect(conv3.graphNodes).toEqual(['conv3', 'conv3.bn', 'add', 'out']);
    expect([conv3.a.us, conv3.b.us]).toEqual([57, 14]);
    expect(d.units.map((u) => u.name)).toEqual(['conv2', 'conv3', 'conv1']);
    expect(d.a.runtimeOnly.us).toBe(4);
  });

  it("answers a refusal as 'refused' with the reason, an unknown id as 'not-found'", async () => {
    const api = makeApi();
    const plain = { ...native, id: 'plain', nodes: undefined };
    for (const r of [ort, plain]) api.store.save(r);
    const refused = await apiError(api.call('results.diff', { a: 'diff-ort', b: 'plain' }));
    expect(refused.code).toBe('refused');
    expect(refused.message).toMatch(/^B \(plain: .*\) has no per-node times: it was measured without --profile/);
    const missing = await apiError(api.call('results.diff', { a: 'diff-ort', b: 'nothing-like-it' }));
    expect(missing.code).toBe('not-found');
    const bad = await apiError(api.call('results.diff', { a: 'diff-ort' } as never));
    expect(bad.code).toBe('bad-request');
  });
});
