// Placement of a job's nodes on the providers: node counts and the share of the cost model's MACs
// each provider ran (ONNX Runtime's profile joined to the studio graph), the operators that fell
// back, and --strict-placement, which refuses a GPU job with fallbacks instead of reporting it as a
// GPU result. The join and the refusal are checked everywhere; the WebGPU runs need a Vulkan device
// (without one they are listed as skipped with the reason: tests/helpers/vulkan.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendConfigSchema } from '../shared/contract/job.js';
import { costGraph } from '../shared/cost/cost-model.js';
import { graphToOnnx } from '../shared/onnx/writer.js';
import { buildTarget } from '../shared/targets.js';
import type { RuntimeNodeTiming } from '../main/backends/backend.js';
import { describePlacement, joinNodeTimings, placementOf, strictPlacementRefusal } from '../shared/stats/node-map.js';
import { cli } from './helpers/cli.js';
import { gpuIt } from './helpers/vulkan.js';

const tmp = mkdtempSync(join(tmpdir(), 'studio-gpu-placement-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const GPU = 'WebGpuExecutionProvider';
const CPU = 'CPUExecutionProvider';

describe('placement with MACs shares (join of the runtime profile to the studio graph)', () => {
  const graph = buildTarget({
    target: 'bottleneck',
    set: { height: '8', width: '8', channels: '32', mid: '8', out: '32' },
  });
  const cost = costGraph(graph);
  const macs = (name: string) => cost.layers.find((l) => l.name === name)!.macs;
  const rt = (name: string, op: string, provider: string): RuntimeNodeTiming => ({
    name,
    op,
    provider,
    meanUs: 1,
    runs: 2,
  });
  const runtime = [
    rt('Transpose', 'Transpose', GPU),
    rt('conv1', 'Conv', GPU),
    rt('conv2', 'Conv', CPU),
    rt('Memcpy', 'MemcpyToHost', GPU),
    rt('conv3', 'Conv', GPU),
    rt('add', 'Add', CPU),
    rt('out', 'Relu', GPU),
  ];

  it('counts nodes and MACs per provider, names the fallback operators and the unmapped nodes', () => {
    const joined = joinNodeTimings(graph, cost, runtime);
    const p = placementOf(runtime, GPU, { nodes: joined, cost });
    expect(p.nodesByProvider).toEqual({ [GPU]: 5, [CPU]: 2 });
    expect(p.fallbackNodes).toEqual(['conv2', 'add']);
    expect(p.fallbackOps).toEqual(['Conv', 'Add']);
    expect(p.unmappedNodes).toEqual(['Transpose', 'Memcpy']);
    expect(p.macsByProvider).toEqual({ [GPU]: macs('conv1') + macs('conv3'), [CPU]: macs('conv2') });
    const total = cost.totals.macs;
    expect(p.macsShareByProvider![GPU]).toBeCloseTo((macs('conv1') + macs('conv3')) / total, 12);
    expect(p.macsShareByProvider![CPU]).toBeCloseTo(macs('conv2') / total, 12);
    expect(p.unplacedMacs).toBe(0);
  });

  it('counts a studio node covered by two runtime nodes once, and reports MACs nothing covered', () => {
    const partial = [rt('conv1', 'Conv', GPU), rt('conv1', 'Conv', CPU)];
    const p = placementOf(partial, GPU, { nodes: joinNodeTimings(graph, cost, partial), cost });
    expect(p.macsByProvider).toEqual({ [GPU]: macs('conv1'), [CPU]: 0 });
    expect(p.unplacedMacs).toBe(cost.totals.macs - macs('conv1'));
  });

  it('without the join: nodes and fallback operators only; memory copies are never a fallback operator', () => {
    const p = placementOf([rt('a', 'Sum', CPU), rt('m', 'MemcpyFromHost', CPU), rt('c', 'Conv', GPU)], GPU);
    expect(p).toEqual({ nodesByProvider: { [CPU]: 2, [GPU]: 1 }, fallbackNodes: ['a', 'm'], fallbackOps: ['Sum'] });
  });

  it('strict placement refuses fallbacks and unknown placement, naming the operators', () => {
    expect(strictPlacementRefusal(GPU, { nodesByProvider: { [GPU]: 3 }, fallbackNodes: [] })).toBeUndefined();
    const r = strictPlacementRefusal(GPU, {
      nodesByProvider: { [GPU]: 3, [CPU]: 2 },
      fallbackNodes: ['sum1', 'sum2'],
      fallbackOps: ['Sum'],
    });
    expect(r).toMatch(/2 nodes fell back from WebGpuExecutionProvider \(2 on CPUExecutionProvider\)/);
    expect(r).toContain('operators Sum: sum1, sum2');
    expect(strictPlacementRefusal(GPU, undefined)).toMatch(/placement .* is unknown/);
  });

  it('is described in one line for the reports', () => {
    expect(
      describePlacement({
        nodesByProvider: { [GPU]: 124, [CPU]: 16 },
        macsShareByProvider: { [GPU]: 1, [CPU]: 0 },
        fallbackOps: ['Sum'],
      }),
    ).toBe('Placement: WebGpu: 124 nodes, 100.0% of the MACs; CPU: 16 nodes, 0.0% of the MACs; fell back: Sum');
  });

  it('strictPlacement is optional in the backend config, so older files stay valid', () => {
    expect(BackendConfigSchema.parse({ backend: 'ort-webgpu' }).strictPlacement).toBeUndefined();
    expect(BackendConfigSchema.parse({ backend: 'ort-webgpu', strictPlacement: true }).strictPlacement).toBe(true);
  });
});

/** basic-residual with its Add written as a two-input Sum: ONNX Runtime's WebGPU provider has no Sum kernel. */
function sumModel(): string {
  const graph = buildTarget({ target: 'basic-residual', set: { height: '8', width: '8', channels: '16' } });
  for (const n of graph.nodes) if (n.op === 'Add') n.op = 'Sum';
  const file = join(tmp, 'residual-sum.onnx');
  writeFileSync(file, graphToOnnx(graph));
  return file;
}

type Result = {
  status: string;
  placement?: {
    nodesByProvider: Record<string, number>;
    fallbackNodes: string[];
    fallbackOps?: string[];
    macsShareByProvider?: Record<string, number>;
    unmappedNodes?: string[];
  };
  failure?: { kind: string; reason: string };
  flags: string[];
};

function benchSum(extra: string[]) {
  const r = cli([
    'bench',
    sumModel(),
    '--backend',
    'ort-webgpu',
    '--min-runs',
    '2',
    '--min-time',
    '0.05',
    '--max-time',
    '0.3',
    '--results',
    join(tmp, 'results'),
    '--json',
    ...extra,
  ]);
  return { ...r, results: (JSON.parse(r.stdout) as { results: Result[] }).results };
}

describe('placement of a WebGPU job with a fallback (Sum)', () => {
  gpuIt('shows the Sum node on the CPU provider, the MACs shares and a flag', () => {
    const { code, stderr, results } = benchSum([]);
    expect(code, stderr).toBe(0);
    const [r] = results;
    expect(r.status).toBe('ok');
    expect(r.placement!.fallbackOps).toEqual(['Sum']);
    expect(r.placement!.fallbackNodes).toContain('add');
    expect(r.placement!.nodesByProvider[CPU]).toBeGreaterThanOrEqual(1);
    // Every MAC of the block is in its convolutions, which ran on WebGPU; Sum has none.
    expect(r.placement!.macsShareByProvider![GPU]).toBeCloseTo(1, 6);
    expect(r.placement!.macsShareByProvider![CPU]).toBe(0);
    // The copies ONNX Runtime puts around the CPU node map to no studio node.
    expect(r.placement!.unmappedNodes!.some((n) => /Memcpy/.test(n))).toBe(true);
    expect(r.flags.join('\n')).toMatch(/did not run on WebGpuExecutionProvider \(operators Sum; 100\.0% of the MACs/);
  });

  gpuIt('with --strict-placement is refused, naming the operator, instead of reported', () => {
    const { code, results } = benchSum(['--strict-placement']);
    expect(code).not.toBe(0);
    const [r] = results;
    expect(r.status).toBe('failed');
    expect(r.failure).toMatchObject({ kind: 'refused' });
    expect(r.failure!.reason).toMatch(/strict placement: 1 nodes fell back .*operators Sum/);
  });
});

describe('hw (text) lists the graphics adapters', () => {
  gpuIt('with their type and the software label', () => {
    const r = cli(['hw']);
    expect(r.code, r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('adapters'));
    expect(line, r.stdout).toBeDefined();
    expect(line).toMatch(/\[(cpu|discrete|integrated|virtual|other|unknown)[,\]]/);
    if (/llvmpipe|lavapipe/i.test(line!)) expect(line).toContain('[cpu, software (runs on the CPU)]');
  });
});
