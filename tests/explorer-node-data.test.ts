// Overlays exported as Model Explorer node data (shared/explorer/node-data.ts): the schema of the
// format (checked on an example written from node_data_builder.py's documented fields), and exports
// of every overlay that validate, keyed so Model Explorer finds the nodes, coloured as the app does.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../shared/contract/result.js';
import { costGraph } from '../shared/cost/cost-model.js';
import {
  ModelNodeDataSchema,
  nodeDataJson,
  overlayToNodeData,
  valuesToNodeData,
  type GradientItem,
  type ModelNodeData,
} from '../shared/explorer/node-data.js';
import {
  deltaOverlay,
  errorOverlay,
  gflopsOverlay,
  macsOverlay,
  memoryOverlay,
  rooflineOverlay,
  timeOverlay,
} from '../shared/explorer/overlays.js';
import { colorOf } from '../shared/explorer/scale-colors.js';
import { joinNodeTimings } from '../shared/stats/node-map.js';
import { buildTarget } from '../shared/targets.js';
import { fakeMachine, fakeResult, FAKE_ROOFLINE as ROOFLINE } from './helpers/fake-results.js';

const example: unknown = JSON.parse(
  readFileSync(new URL('./fixtures/model-explorer/node-data-example.json', import.meta.url), 'utf8'),
);

const graph = buildTarget({ target: 'mobilenet_v2' });
const cost = costGraph(graph);

/** Every Conv chain as one fused node and every other node alone, at 20 GFLOP/s or 3 µs. */
function profiled(): BenchResult {
  const r = fakeResult({
    target: { kind: 'model', name: 'mobilenet_v2', params: {} },
    threads: 1,
    machine: fakeMachine({ roofline: ROOFLINE }),
  });
  const fused = new Set<string>();
  const macs = new Map(cost.layers.map((l) => [l.name, l.macs]));
  const runtime = graph.nodes.flatMap((n, i) => {
    if (fused.has(n.name)) return [];
    const next = graph.nodes[i + 1];
    const after = graph.nodes[i + 2];
    if (n.op === 'Conv' && next?.op === 'BatchNormalization' && next.inputs[0] === n.outputs[0]) {
      fused.add(next.name);
      const act = after?.op === 'Clip' && after.inputs[0] === next.outputs[0] ? after : undefined;
      if (act) fused.add(act.name);
      return [
        {
          name: `${(act ?? next).name}_nchwc`,
          op: act ? 'FusedConv' : 'Conv',
          provider: 'CPUExecutionProvider',
          meanUs: Math.round((2 * macs.get(n.name)!) / 20e3) + 1,
          runs: 10,
        },
      ];
    }
    return [{ name: n.name, op: n.op, provider: 'CPUExecutionProvider', meanUs: 3, runs: 10 }];
  });
  return { ...r, nodes: joinNodeTimings(graph, cost, runtime) };
}

/** Model Explorer's colour of a value from a gradient (its rule, written here from its description). */
function explorerColor(value: number, gradient: GradientItem[], lo: number, hi: number): string {
  const s = (value - lo) / (hi - lo);
  const rgb = (c: string) => [1, 3, 5].map((k) => parseInt(c.slice(k, k + 2), 16));
  const stops = [...gradient].sort((a, b) => a.stop - b.stop);
  for (let i = 0; i < stops.length - 1; i++)
    if (s >= stops[i].stop && s <= stops[i + 1].stop) {
      const [a, b] = [rgb(stops[i].bgColor!), rgb(stops[i + 1].bgColor!)];
      const f = (s - stops[i].stop) / (stops[i + 1].stop - stops[i].stop);
      return `#${a
        .map((x, k) =>
          Math.floor(x + (b[k] - x) * f)
            .toString(16)
            .padStart(2, '0'),
        )
        .join('')}`;
    }
  return 'transparent';
}

const channelsClose = (a: string, b: string) =>
  [1, 3, 5].every((k) => Math.abs(parseInt(a.slice(k, k + 2), 16) - parseInt(b.slice(k, k + 2), 16)) <= 2);

describe('the node-data schema', () => {
  it('accepts the documented shape (two graphs, gradient and thresholds, the display flags)', () => {
    const parsed = ModelNodeDataSchema.parse(example);
    expect(Object.keys(parsed)).toEqual(['main_graph', 'subgraph_with_thresholds']);
    expect(parsed.main_graph.results['conv1'].value).toBe(412.5);
  });

  it('rejects wrong shapes', () => {
    const graphOf = (g: Record<string, unknown>) => ({ main_graph: g });
    const base = (example as { main_graph: Record<string, unknown> }).main_graph;
    const fails = (v: unknown) => expect(ModelNodeDataSchema.safeParse(v).success).toBe(false);
    const { results: _omit, ...noResults } = base;
    fails(graphOf(noResults));
    fails(graphOf({ ...base, results: { conv1: { value: '412' } } }));
    fails(graphOf({ ...base, results: { conv1: { value: null } } }));
    fails(graphOf({ ...base, results: { conv1: { bgColor: 'red' } } }));
    fails(
      graphOf({
        ...base,
        gradient: [
          { stop: 0.2, bgColor: '#ffffff' },
          { stop: 1, bgColor: '#000000' },
        ],
      }),
    );
    fails(graphOf({ ...base, gradient: [{ stop: 0, bgColor: '#ffffff' }] }));
    fails(
      graphOf({
        ...base,
        gradient: [
          { stop: 0, bgColor: 'rgb(1,2,3)' },
          { stop: 1, bgColor: 'red' },
        ],
      }),
    );
    fails(graphOf({ ...base, thresholds: [{ value: 1 }] }));
    fails(graphOf({ ...base, resluts: {} }));
    fails({});
    fails(base); // a single graph's data without its graph id
  });
});

describe('exports of the overlays', () => {
  const result = profiled();
  const errors = {
    precision: 'int8' as const,
    model: 'mobilenet_v2',
    metric: 'seeded inputs',
    nodes: graph.nodes.map((n, i) => ({
      node: n.name,
      tensor: n.outputs[0],
      relRms: 1e-4 * 1.05 ** i,
      maxAbs: 0.01,
      cosine: 0.9999,
      snrDb: 60,
    })),
  };
  const overlays = [
    macsOverlay(cost),
    timeOverlay(graph, cost, result),
    gflopsOverlay(graph, cost, result),
    rooflineOverlay(graph, cost, result),
    memoryOverlay(graph, cost),
    errorOverlay(errors, { graph }),
    deltaOverlay(
      graph.nodes.slice(0, 20).map((n, i) => ({ node: n.name, aUs: 100, bUs: 60 + 5 * i })),
      { a: 'ort-cpu', b: 'native' },
    ),
  ];
  const firstOutput = new Map(graph.nodes.map((n) => [n.name, n.outputs[0]]));

  for (const o of overlays)
    it(`${o.name}: validates, keyed by node and by first output tensor, one result per value`, () => {
      expect(o.empty).toBeUndefined();
      for (const key of ['node-id', 'output-tensor'] as const) {
        const data = overlayToNodeData(o, { graphId: graph.name, key, graph, colorBy: 'value' });
        expect(ModelNodeDataSchema.safeParse(data).success).toBe(true);
        expect(ModelNodeDataSchema.parse(JSON.parse(nodeDataJson(data)))).toEqual(data);
        const g = data[graph.name];
        expect(Object.keys(g.results).sort()).toEqual([...o.values.keys()].map((n) => firstOutput.get(n)!).sort());
        for (const [n, v] of o.values) expect(g.results[firstOutput.get(n)!].value).toBe(v);
        expect(g.name).toContain(o.legend.title);
        expect(g.gradient!.length).toBeGreaterThanOrEqual(2);
      }
    });

  it('places linear-scale stops so that Model Explorer colours each node as the app does', () => {
    for (const o of [overlays[0], overlays[4], overlays[6]]) {
      const g = overlayToNodeData(o, { graphId: 'g' }).g;
      const values = Object.values(g.results).map((r) => r.value);
      const [lo, hi] = [Math.min(...values), Math.max(...values)];
      for (const [node, v] of o.values) {
        expect(g.results[node].bgColor).toBeUndefined();
        const theirs = explorerColor(v, g.gradient!, lo, hi);
        expect(channelsClose(theirs, colorOf(o.scale, v)), `${o.name} ${node}: ${theirs}`).toBe(true);
      }
    }
  });

  it("gives a diverging delta the palette's stops, the neutral colour exactly at 0", () => {
    const g = overlayToNodeData(overlays[6], { graphId: 'g' }).g;
    const values = Object.values(g.results).map((r) => r.value);
    const [lo, hi] = [Math.min(...values), Math.max(...values)];
    expect(lo).toBeLessThan(0);
    expect(hi).toBeGreaterThan(0);
    // Ends at the data's extremes, the five-stop palette's inner stops where they fall inside them.
    expect(g.gradient!.length).toBeGreaterThanOrEqual(3);
    expect(g.gradient![0].stop).toBe(0);
    expect(g.gradient!.at(-1)!.stop).toBe(1);
    expect(g.gradient).toContainEqual({ stop: (0 - lo) / (hi - lo), bgColor: '#f7f7f7' });
    expect(explorerColor(0, g.gradient!, lo, hi)).toBe('#f7f7f7');
  });

  it('colours each node itself on a log scale, which Model Explorer cannot interpolate', () => {
    for (const o of [overlays[1], overlays[5]]) {
      expect(o.scale.log).toBe(true);
      const g = overlayToNodeData(o, { graphId: 'g' }).g;
      for (const [node, v] of o.values) {
        expect(g.results[node].bgColor).toBe(colorOf(o.scale, v));
        expect(g.results[node].textColor).toMatch(/^#(ffffff|010409)$/);
      }
    }
    // Not a sum over a group: Model Explorer's sum column is hidden.
    expect(overlayToNodeData(overlays[5], { graphId: 'g' }).g.hideAggregatedStats).toEqual(['sum']);
  });

  it("exports the roofline's categories as thresholds by default", () => {
    const roof = overlays[3];
    const g = overlayToNodeData(roof, { graphId: 'g' }).g;
    expect(g.thresholds!.map((t) => t.value)).toEqual([0, 1]);
    expect(g.name).toBe('Roofline: 0 = memory-bound, 1 = compute-bound');
    expect(Object.keys(g.results).sort()).toEqual([...roof.categories!.keys()].sort());
    for (const [node, cat] of roof.categories!) expect(g.results[node].value).toBe(cat === 'memory' ? 0 : 1);
  });

  it('keys by output tensor where tensors are named apart from their nodes', () => {
    const renamed = { nodes: graph.nodes.map((n) => ({ name: n.name, outputs: [`${n.name}:0`] })) };
    const data = overlayToNodeData(overlays[0], { graphId: 'g', key: 'output-tensor', graph: renamed });
    expect(Object.keys(data.g.results).every((k) => k.endsWith(':0'))).toBe(true);
    expect(() => overlayToNodeData(overlays[0], { graphId: 'g', key: 'output-tensor' })).toThrow(/needs the graph/);
    const other = buildTarget({ target: 'bottleneck' });
    expect(() => overlayToNodeData(overlays[0], { graphId: 'g', graph: other })).toThrow(
      /is not a node of the graph the node data is keyed for/,
    );
  });

  it('refuses an overlay with no data, naming what to run', () => {
    expect(() => overlayToNodeData(timeOverlay(graph, cost, undefined), { graphId: 'g' })).toThrow(
      /^nothing to export: No profiled run of mobilenet_v2 yet: run `bench mobilenet_v2 --profile`/,
    );
  });

  it('exports a plain list of values on a default scale, refusing non-finite ones', () => {
    const data: ModelNodeData = valuesToNodeData(
      [
        ['conv1', 1],
        ['conv1.bn', 3],
      ],
      { graphId: 'main', name: 'custom' },
    );
    expect(data.main.results).toEqual({ conv1: { value: 1 }, 'conv1.bn': { value: 3 } });
    expect(data.main.gradient![0]).toEqual({ stop: 0, bgColor: '#f7fbff' });
    expect(data.main.gradient!.at(-1)).toEqual({ stop: 1, bgColor: '#08306b' });
    expect(() => valuesToNodeData([['conv1', Infinity]], { graphId: 'main', name: 'x' })).toThrow(/no finite value/);
    expect(() => valuesToNodeData([], { graphId: 'main', name: 'x' })).toThrow(/nothing to export/);
  });
});
