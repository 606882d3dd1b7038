// The graph explorer's group tree (shared/explorer/hierarchy.ts): the groups of the zoo's models
// and of a PyTorch-named export, their summed costs, the visible graph for an expansion state,
// and search.
import { describe, expect, it } from 'vitest';
import { costGraph } from '../shared/cost/cost-model.js';
import type { GraphView } from '../shared/contract/api.js';
import {
  ancestorsOf,
  buildHierarchy,
  collapse,
  costsOf,
  defaultExpansion,
  effectiveExpansion,
  expand,
  expandAll,
  reveal,
  search,
  visibleGraph,
  type Hierarchy,
} from '../shared/explorer/hierarchy.js';
import { MODELS } from '../shared/models/registry.js';
import { buildTarget } from '../shared/targets.js';
import type { Graph } from '../shared/ir/types.js';

const view = (g: Graph): GraphView => ({
  nodes: g.nodes.map((n) => ({ name: n.name, op: n.op, inputs: [...n.inputs], outputs: [...n.outputs] })),
  inputs: g.inputs.map((i) => i.name),
  outputs: g.outputs.map((o) => o.name),
});
function zoo(target: string): { h: Hierarchy; g: Graph } {
  const g = buildTarget({ target });
  return { h: buildHierarchy(view(g), costsOf(costGraph(g).layers)), g };
}
const labelsOf = (h: Hierarchy, ids: readonly string[]) =>
  ids.map((id) => h.groups.get(id)?.label ?? h.nodes.get(id)!.label);
const group = (h: Hierarchy, id: string) => {
  const g = h.groups.get(id);
  if (!g) throw new Error(`no group ${id}: ${[...h.groups.keys()].slice(0, 20).join(', ')}`);
  return g;
};

describe('the group tree of the zoo', () => {
  it('ResNet-50: the stem layer, four stages of bottleneck blocks, each block of layers', () => {
    const { h } = zoo('resnet50');
    expect(labelsOf(h, h.roots)).toEqual(['conv1', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4', 'head']);
    const layer2 = group(h, 'g:layer2.*');
    expect(layer2.level).toBe('stage');
    expect(labelsOf(h, layer2.children)).toEqual(['layer2.0', 'layer2.1', 'layer2.2', 'layer2.3']);
    const block = group(h, 'g:layer2.0');
    expect(block.level).toBe('block');
    expect(labelsOf(h, block.children)).toEqual(['conv1', 'conv2', 'conv3', 'shortcut', 'add', 'out']);
    const conv1 = group(h, 'g:layer2.0/conv1#layer');
    expect(conv1.level).toBe('layer');
    expect(conv1.members).toEqual(['layer2.0/conv1', 'layer2.0/conv1.bn', 'layer2.0/conv1.relu']);
    expect(conv1.ops).toEqual([
      { op: 'BatchNormalization', count: 1 },
      { op: 'Conv', count: 1 },
      { op: 'Relu', count: 1 },
    ]);
    expect(group(h, 'g:conv1#layer').members).toEqual(['conv1', 'conv1.bn', 'conv1.relu']);
    expect(block.nodeCount).toBe(12);
    expect(block.ops[0]).toEqual({ op: 'BatchNormalization', count: 4 });
  });

  it('ResNet-50 opens as about twenty boxes: the stages open to their 16 blocks', () => {
    const { h } = zoo('resnet50');
    const open = defaultExpansion(h);
    expect([...open].sort()).toEqual(['g:layer1.*', 'g:layer2.*', 'g:layer3.*', 'g:layer4.*']);
    const v = visibleGraph(h, open);
    const boxes = v.items.filter((i) => i.kind !== 'frame');
    expect(boxes.filter((i) => i.kind === 'group')).toHaveLength(16 + 2); // the blocks, conv1, head
    expect(boxes).toHaveLength(16 + 2 + 1 + 2); // + maxpool, the input and the output
  });

  it('Inception-ResNet-v2: stages of repeated blocks named block35_N, block17_N, block8_N', () => {
    const { h } = zoo('inception_resnet_v2');
    const stages = [...h.groups.values()].filter((g) => g.level === 'stage');
    expect(stages.map((s) => [s.label, s.children.length])).toEqual([
      ['block35', 10],
      ['block17', 20],
      ['block8', 10],
    ]);
    expect(group(h, 'g:mixed_5b').level).toBe('block');
    const b = group(h, 'g:block35_3');
    expect(b.parent).toBe('g:block35_*');
    expect(labelsOf(h, b.children)).toContain('branch_2_3x3b');
    expect(group(h, 'g:block35_3/branch_2_3x3b#layer').members).toEqual([
      'block35_3/branch_2_3x3b',
      'block35_3/branch_2_3x3b.bn',
      'block35_3/branch_2_3x3b.relu',
    ]);
    expect(labelsOf(h, h.roots).slice(-5)).toEqual(['conv_7b', 'avg_pool', 'flatten', 'predictions', 'softmax']);
  });

  it('MobileNet-v2: one stage of its 17 inverted-residual blocks', () => {
    const { h } = zoo('mobilenet_v2');
    const stage = group(h, 'g:block_*');
    expect(stage.level).toBe('stage');
    expect(stage.children).toHaveLength(17);
    expect(labelsOf(h, h.roots)).toEqual(['conv1', 'block', 'conv_last', 'head']);
  });

  it('Xception: a separable layer is the nodes sharing its name before the first dot; numbered scopes without a separator stay blocks', () => {
    const { h } = zoo('xception');
    expect(group(h, 'g:block3/sepconv1#layer').members).toEqual([
      'block3/sepconv1.relu',
      'block3/sepconv1.depthwise',
      'block3/sepconv1.pointwise',
      'block3/sepconv1.bn',
    ]);
    expect([...h.groups.values()].filter((g) => g.level === 'stage')).toEqual([]);
  });

  it("every zoo model: a group's MACs and params are exactly its nodes' sums; the groups nest and cover every node once", () => {
    for (const m of MODELS) {
      const g = buildTarget({ target: m.name });
      const report = costGraph(g);
      const byName = new Map(report.layers.map((l) => [l.name, l]));
      const h = buildHierarchy(view(g), costsOf(report.layers));
      expect(h.groups.size, m.name).toBeGreaterThan(0);
      for (const grp of h.groups.values()) {
        let macs = 0;
        let params = 0;
        for (const n of grp.members) {
          macs += byName.get(n)!.macs;
          params += byName.get(n)!.params;
        }
        expect(grp.macs, `${m.name} ${grp.id}`).toBe(macs);
        expect(grp.params, `${m.name} ${grp.id}`).toBe(params);
        expect(grp.nodeCount).toBe(grp.members.length);
        expect(new Set(grp.members).size).toBe(grp.members.length);
        // No group of one member (it is dissolved into its parent).
        expect(grp.children.length, `${m.name} ${grp.id}`).toBeGreaterThan(1);
        expect(grp.ops.reduce((s, o) => s + o.count, 0)).toBe(grp.nodeCount);
      }
      const top = h.roots.flatMap((id) => h.groups.get(id)?.members ?? [h.nodes.get(id)!.name]);
      expect(top.sort(), m.name).toEqual(g.nodes.map((n) => n.name).sort());
      expect(h.totals.macs).toBe(report.totals.macs);
    }
  });
});

describe('a PyTorch export’s names', () => {
  // torch.onnx.export: '/module/path/OpType', one node per leaf module.
  const names = [
    ['/features/conv0/Conv', 'Conv'],
    ['/features/norm0/BatchNormalization', 'BatchNormalization'],
    ['/features/denseblock1/denselayer1/norm1/BatchNormalization', 'BatchNormalization'],
    ['/features/denseblock1/denselayer1/conv1/Conv', 'Conv'],
    ['/features/denseblock1/denselayer2/Concat', 'Concat'],
    ['/features/denseblock1/denselayer2/norm1/BatchNormalization', 'BatchNormalization'],
    ['/features/denseblock1/denselayer2/conv1/Conv', 'Conv'],
    ['/features/denseblock1/Concat', 'Concat'],
    ['/features/transition1/conv/Conv', 'Conv'],
    ['/features/transition1/pool/AveragePool', 'AveragePool'],
    ['/Relu', 'Relu'],
    ['/classifier/Gemm', 'Gemm'],
  ];
  const graph: GraphView = {
    nodes: names.map(([name, op], i) => ({ name, op, inputs: [i === 0 ? 'x' : `t${i - 1}`], outputs: [`t${i}`] })),
    inputs: ['x'],
    outputs: [`t${names.length - 1}`],
  };
  const h = buildHierarchy(graph);

  it('module scopes become groups; a module of one node is that node, labelled with its path', () => {
    expect(labelsOf(h, h.roots)).toEqual(['features', 'Relu', 'classifier/Gemm']);
    const features = group(h, 'g:features');
    expect(labelsOf(h, features.children)).toEqual([
      'conv0/Conv',
      'norm0/BatchNormalization',
      'denseblock1',
      'transition1',
    ]);
    expect(features.level).toBe('stage');
    const block = group(h, 'g:features/denseblock1');
    expect(block.level).toBe('stage');
    expect(labelsOf(h, block.children)).toEqual(['denselayer1', 'denselayer2', 'Concat']);
    const layer = group(h, 'g:features/denseblock1/denselayer2');
    expect(layer.level).toBe('block');
    expect(labelsOf(h, layer.children)).toEqual(['Concat', 'norm1/BatchNormalization', 'conv1/Conv']);
    expect(group(h, 'g:features/transition1').members).toEqual([
      '/features/transition1/conv/Conv',
      '/features/transition1/pool/AveragePool',
    ]);
    expect(h.costed).toBe(false);
    expect(features.macs).toBe(0);
  });

  it('a scope holding nothing but one numbered run is that stage (no stage inside a same-named scope)', () => {
    const g: GraphView = {
      nodes: ['0', '1', '2'].flatMap((i) => [
        { name: `/layer1/layer1.${i}/conv1/Conv`, op: 'Conv', inputs: [], outputs: [`a${i}`] },
        { name: `/layer1/layer1.${i}/Add`, op: 'Add', inputs: [`a${i}`], outputs: [`b${i}`] },
      ]),
      inputs: [],
      outputs: [],
    };
    const r = buildHierarchy(g);
    expect(labelsOf(r, r.roots)).toEqual(['layer1']);
    const stage = group(r, r.roots[0]);
    expect(stage.level).toBe('stage');
    expect(labelsOf(r, stage.children)).toEqual(['layer1.0', 'layer1.1', 'layer1.2']);
  });

  it('empty and repeated node names get distinct items', () => {
    const g: GraphView = {
      nodes: [
        { name: '', op: 'Relu', inputs: ['x'], outputs: ['a'] },
        { name: 'dup', op: 'Relu', inputs: ['a'], outputs: ['b'] },
        { name: 'dup', op: 'Relu', inputs: ['b'], outputs: ['c'] },
      ],
      inputs: ['x'],
      outputs: ['c'],
    };
    const r = buildHierarchy(g);
    expect(r.nodes.size).toBe(3);
    const v = visibleGraph(r, new Set());
    expect(v.edges.map((e) => `${e.from}>${e.to}`)).toEqual([
      'in:x>n:#0',
      'n:#0>n:dup',
      'n:dup>n:dup#2',
      'n:dup#2>out:c',
    ]);
  });
});

describe('the visible graph', () => {
  const { h } = zoo('resnet50');
  const edgesOf = (open: ReadonlySet<string>) =>
    visibleGraph(h, open).edges.map((e) => `${e.from} > ${e.to}${e.tensors > 1 ? ` (${e.tensors})` : ''}`);

  it('a closed block is one box: one edge in, one edge out', () => {
    const edges = edgesOf(defaultExpansion(h));
    expect(edges).toContain('n:maxpool > g:layer1.0');
    expect(edges).toContain('g:layer1.0 > g:layer1.1');
    expect(edges).toContain('g:layer1.2 > g:layer2.0');
    expect(edges.filter((e) => e.includes('g:layer1.0'))).toEqual([
      'n:maxpool > g:layer1.0',
      'g:layer1.0 > g:layer1.1',
    ]);
    expect(edges[0]).toBe('in:input > g:conv1#layer');
    expect(edges.at(-1)).toBe('g:head > out:head/softmax');
    // Never to or from an open group's frame.
    expect(edges.some((e) => e.includes('g:layer1.*'))).toBe(false);
  });

  it('an open block: its layers and nodes take its edges, the shortcut branches from the block input', () => {
    const open = expand(defaultExpansion(h), 'g:layer1.0');
    const edges = edgesOf(open).filter((e) => e.includes('layer1.0'));
    expect(edges.sort()).toEqual(
      [
        'n:maxpool > g:layer1.0/conv1#layer',
        'n:maxpool > g:layer1.0/shortcut#layer',
        'g:layer1.0/conv1#layer > g:layer1.0/conv2#layer',
        'g:layer1.0/conv2#layer > g:layer1.0/conv3#layer',
        'g:layer1.0/conv3#layer > n:layer1.0/add',
        'g:layer1.0/shortcut#layer > n:layer1.0/add',
        'n:layer1.0/add > n:layer1.0/out',
        'n:layer1.0/out > g:layer1.1',
      ].sort(),
    );
    const items = visibleGraph(h, open).items;
    expect(items.find((i) => i.id === 'g:layer1.0')?.kind).toBe('frame');
    expect(items.find((i) => i.id === 'n:layer1.0/add')?.parent).toBe('g:layer1.0');
  });

  it('a closed stage counts the tensors its edges stand for (Inception-v3: one Concat reads four branches)', () => {
    const { h: v3 } = zoo('inception_v3');
    const open = expand(new Set(), 'g:Mixed_5b');
    const concat = visibleGraph(v3, open).edges.filter((e) => e.to === 'n:Mixed_5b/concat');
    expect(concat).toHaveLength(4);
    // Closed: the block reads its input once, though four branches consume it.
    const closed = visibleGraph(v3, new Set()).edges.filter((e) => e.to === 'g:Mixed_5b');
    expect(closed).toEqual([{ from: 'n:maxpool2', to: 'g:Mixed_5b', tensors: 1, tensor: 'maxpool2' }]);
  });

  it('everything open: every node is drawn, and every tensor between nodes is an edge', () => {
    const { h: irv2, g } = zoo('inception_resnet_v2');
    const v = visibleGraph(irv2, expandAll(irv2));
    expect(v.items.filter((i) => i.kind === 'node')).toHaveLength(g.nodes.length);
    expect(v.items.filter((i) => i.kind === 'group')).toHaveLength(0);
    const produced = new Set(g.nodes.flatMap((n) => n.outputs));
    const tensorEdges = new Set(
      g.nodes.flatMap((n) => n.inputs.filter((t) => produced.has(t) || t === 'input').map((t) => `${t}>${n.name}`)),
    );
    expect(v.edges.length).toBe(tensorEdges.size + g.outputs.length);
  });
});

describe('expansion helpers and search', () => {
  const { h } = zoo('resnet50');

  it('reveal opens every group around a node; collapse keeps the inner groups for later', () => {
    const open = reveal(h, new Set(), 'layer3.2/conv2.bn');
    expect([...open]).toEqual(['g:layer3.*', 'g:layer3.2', 'g:layer3.2/conv2#layer']);
    expect(ancestorsOf(h, 'n:layer3.2/conv2.bn')).toEqual([...open]);
    const closed = collapse(open, 'g:layer3.*');
    expect(effectiveExpansion(h, closed)).toEqual([]);
    expect(effectiveExpansion(h, expand(closed, 'g:layer3.*'))).toEqual([...open]);
    expect(visibleGraph(h, closed).items.some((i) => i.id === 'n:layer3.2/conv2.bn')).toBe(false);
  });

  it('finds nodes by name or operator, with the groups to open and the count in each', () => {
    const r = search(h, 'Shortcut');
    expect(r.nodes).toEqual([
      'layer1.0/shortcut',
      'layer1.0/shortcut.bn',
      'layer2.0/shortcut',
      'layer2.0/shortcut.bn',
      'layer3.0/shortcut',
      'layer3.0/shortcut.bn',
      'layer4.0/shortcut',
      'layer4.0/shortcut.bn',
    ]);
    expect(r.counts.get('g:layer2.*')).toBe(2);
    expect(r.counts.get('g:layer2.0/shortcut#layer')).toBe(2);
    const v = visibleGraph(h, new Set(r.expand));
    for (const name of r.nodes) expect(v.items.some((i) => i.id === `n:${name}`)).toBe(true);
    expect(search(h, 'gemm').nodes).toEqual(['head/predictions']);
    expect(search(h, '  ').nodes).toEqual([]);
    expect(search(h, 'no such thing').nodes).toEqual([]);
  });
});
