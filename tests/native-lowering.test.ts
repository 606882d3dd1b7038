// Lowering (main/backends/native/lower.ts) without the addon: the lowered graph, run by the
// float64 interpreter of the lowered operator set (tests/helpers/native-interpret.ts), must compute what the
// unfused studio graph computes under tests/helpers/reference.ts; fusion decisions and refusals
// are checked by name.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { attr, GraphBuilder } from '../shared/graph/builder.js';
import { inferGraph } from '../shared/graph/infer.js';
import { batchNorm, conv } from '../shared/graph/layers.js';
import { StudioError, type Graph } from '../shared/ir/types.js';
import { onnxToGraph } from '../shared/onnx/reader.js';
import { buildTarget } from '../shared/targets.js';
import { interpretDesc } from './helpers/native-interpret.js';
import { FLT_MAX, lowerGraph, loweringSummary, type NativeGraphDesc } from '../main/backends/native/lower.js';
import { runReference, seededInput } from './helpers/reference.js';

const SEED = 11;

/** Gives every BatchNormalization non-trivial statistics, so that folding is really tested. */
function randomizeBatchNorms(graph: Graph, seed = 5): Graph {
  let k = 0;
  for (const n of graph.nodes.filter((x) => x.op === 'BatchNormalization'))
    n.inputs.slice(1).forEach((name, slot) => {
      const init = graph.initializers.get(name)!;
      const u = seededInput(init.shape, seed + k++);
      // gamma in [0.5, 1.5], beta and mean in [-0.5, 0.5], variance in [0.25, 1.75]
      init.data = u.map((v) => [1 + v / 2, v / 2, v / 2, 1 + (3 * v) / 4][slot]);
    });
  return graph;
}

/** The largest |lowered - reference| over every graph output, relative to the output's scale. */
function compareWithReference(graph: Graph, desc: NativeGraphDesc, seed = SEED): number {
  const feeds: Record<string, Float32Array> = {};
  graph.inputs.forEach((i, k) => (feeds[i.name] = seededInput(i.shape, 100 + k)));
  const ref = runReference(
    graph,
    Object.fromEntries(
      Object.entries(feeds).map(([n, d]) => [
        n,
        { shape: graph.inputs.find((i) => i.name === n)!.shape, data: Float64Array.from(d) },
      ]),
    ),
    seed,
  );
  const got = interpretDesc(desc, feeds);
  let worst = 0;
  for (const o of graph.outputs) {
    const a = ref.get(o.name)!;
    const b = got.get(o.name)!;
    expect(b.shape).toEqual(a.shape);
    const scale = Math.max(1e-6, ...Array.from(a.data, Math.abs));
    for (let i = 0; i < a.data.length; i++) worst = Math.max(worst, Math.abs(a.data[i] - b.data[i]) / scale);
  }
  return worst;
}

const ops = (desc: NativeGraphDesc) => desc.nodes.map((n) => n.op);

describe('BatchNormalization folding and fusion, numerically', () => {
  const cases: [string, Record<string, string>, string?][] = [
    ['bottleneck', { height: '7', width: '7', channels: '16', mid: '8', out: '32', stride: '2' }],
    ['bottleneck', { height: '6', width: '5', channels: '12', mid: '5', out: '12', batch: '2' }],
    ['basic-residual', { height: '6', width: '6', channels: '8', out: '8' }],
    ['basic-residual', { height: '7', width: '7', channels: '6', out: '10', stride: '2', projection: 'always' }],
    ['inverted-residual', { height: '6', width: '6', channels: '8', out: '8', expansion: '3' }],
    ['xception-middle', { height: '5', width: '5', channels: '8' }],
    ['inception-factorized', { module: 'A', height: '7', width: '7', channels: '12', pool_features: '4' }],
    ['mobilenet_v2', { size: '32', alpha: '0.35', classes: '10' }, 'torchvision'],
    ['resnet18', { size: '32', classes: '10' }],
  ];
  for (const [target, set, variant] of cases)
    it(`${target} ${JSON.stringify(set)}: the lowered graph computes the unfused graph's outputs`, () => {
      const graph = randomizeBatchNorms(buildTarget({ target, set, variant }));
      const { desc, report } = lowerGraph(graph, { seed: SEED });
      const bns = graph.nodes.filter((n) => n.op === 'BatchNormalization').length;
      expect(report.foldedBatchNorms.length + report.channelAffines.length).toBe(bns);
      // Every BatchNorm in these blocks directly follows a Conv that feeds nothing else: all fold.
      expect(report.channelAffines).toEqual([]);
      expect(ops(desc)).not.toContain('ChannelAffine');
      expect(compareWithReference(graph, desc)).toBeLessThan(2e-6);
    });

  it('folds with the float32 epsilon and gamma / sqrt(var + eps) per output channel', () => {
    const b = new GraphBuilder('bn');
    const x = b.input('x', [1, 3, 4, 4]);
    const y = batchNorm(b, conv(b, x, { out: 2, kernel: 3, bias: true, name: 'c' }), { epsilon: 1e-3 }, 'bn');
    const graph = b.build([y]);
    const set = (name: string, v: number[]) => (graph.initializers.get(name)!.data = Float32Array.from(v));
    set('bn.gamma', [2, 0.5]);
    set('bn.beta', [1, -1]);
    set('bn.running_mean', [0.25, -0.5]);
    set('bn.running_var', [3, 0.999]);
    set('c.bias', [0.5, 0.125]);
    const { desc } = lowerGraph(graph, { seed: 1 });
    const convNode = desc.nodes[0];
    const w = desc.constants.find((c) => c.name === convNode.inputs[1])!;
    const bias = desc.constants.find((c) => c.name === convNode.inputs[2])!;
    const s0 = 2 / Math.sqrt(3 + Math.fround(1e-3));
    const s1 = 0.5 / Math.sqrt(0.999 + Math.fround(1e-3));
    expect(bias.data[0]).toBeCloseTo((0.5 - 0.25) * s0 + 1, 6);
    expect(bias.data[1]).toBeCloseTo((0.125 + 0.5) * s1 - 1, 6);
    const w0 = graph.initializers.get('c.weight')!;
    const original = lowerGraph(
      { ...graph, nodes: graph.nodes.slice(0, 1), outputs: [graph.values.get('c')!] },
      { seed: 1 },
    ).desc.constants.find((c) => c.name === w0.name)!.data;
    expect(w.data[0]).toBeCloseTo(original[0] * s0, 6);
    expect(w.data[27 - 1 + 1]).toBeCloseTo(original[27] * s1, 6);
    expect(compareWithReference(graph, desc, 1)).toBeLessThan(1e-6);
  });
});

describe('fusion decisions', () => {
  it('bottleneck: every BatchNorm folded, the residual Add and the ReLUs fused: Conv nodes only', () => {
    const graph = buildTarget({ target: 'bottleneck', set: { height: '8', width: '8' } });
    const { desc, report } = lowerGraph(graph);
    expect(ops(desc)).toEqual(['Conv', 'Conv', 'Conv']);
    expect(report.foldedBatchNorms).toHaveLength(3);
    expect(report.fusedResiduals).toHaveLength(1);
    expect(report.fusedActivations.map((a) => a.op)).toEqual(['Conv', 'Conv', 'Conv']);
    const last = desc.nodes[2];
    expect(last.inputs[3]).toBe(graph.inputs[0].name); // the identity shortcut is the residual
    expect(last.attrs.activation).toBe('relu'); // relu(conv + B + x): the ReLU after the Add
    expect(last.outputs).toEqual([graph.outputs[0].name]);
    expect(loweringSummary(report)).toMatch(
      /3 BatchNormalization folded into Conv, 1 residual Add fused into Conv, 3 Relu\/Clip fused into Conv/,
    );
  });

  it('a projection shortcut: one Conv takes the residual, the other keeps its own output', () => {
    const graph = buildTarget({
      target: 'bottleneck',
      set: { height: '8', width: '8', stride: '2', out: '64', projection: 'always' },
    });
    const { desc, report } = lowerGraph(graph);
    expect(ops(desc)).toEqual(['Conv', 'Conv', 'Conv', 'Conv']);
    expect(report.foldedBatchNorms).toHaveLength(4);
    expect(report.fusedResiduals).toHaveLength(1);
    const fused = desc.nodes.find((n) => n.inputs[3])!;
    // The residual is computed before the fused Conv in the lowered order.
    const producer = desc.nodes.findIndex((n) => n.outputs[0] === fused.inputs[3]);
    expect(producer).toBeGreaterThanOrEqual(0);
    expect(producer).toBeLessThan(desc.nodes.indexOf(fused));
    expect(fused.attrs.activation).toBe('relu');
  });

  it('MobileNetV2: ReLU6 is Clip(0, 6) fused into the Conv; the linear projection gets no activation', () => {
    const graph = buildTarget({ target: 'inverted-residual', set: { height: '8', width: '8' } });
    const { desc } = lowerGraph(graph);
    expect(desc.nodes.map((n) => [n.attrs.activation, n.attrs.clip_min, n.attrs.clip_max])).toEqual([
      ['clip', 0, 6],
      ['clip', 0, 6],
      ['none', 0, 0],
    ]);
    expect(desc.nodes[1].attrs.group).toBe(144);
    expect(desc.nodes[2].inputs[3]).toBe(graph.inputs[0].name);
  });

  it('Inception-ResNet: the constant residual scale (Mul) is folded into the Conv before the Add', () => {
    const graph = buildTarget({ target: 'inception_resnet_v2', set: { size: '75', classes: '10' } });
    const { desc, report } = lowerGraph(graph);
    expect(report.foldedScales.length).toBeGreaterThan(20);
    expect(report.fusedResiduals.length).toBe(report.foldedScales.length);
    expect(ops(desc)).not.toContain('Mul');
    expect(ops(desc)).not.toContain('Add');
    expect(ops(desc)).not.toContain('BatchNormalization');
  });

  it('does not fold or fuse into a Conv whose output is read twice or is a graph output', () => {
    const b = new GraphBuilder('shared');
    const x = b.input('x', [2, 3, 5, 5]);
    const c = conv(b, x, { out: 4, kernel: 3, name: 'c' });
    const bn = batchNorm(b, c, {}, 'bn');
    const r = b.op('Relu', [c], {}, 'relu');
    const graph = randomizeBatchNorms(b.build([bn, r]));
    const { desc, report } = lowerGraph(graph, { seed: 2 });
    expect(report.foldedBatchNorms).toEqual([]);
    expect(report.fusedActivations).toEqual([]);
    expect(report.channelAffines).toEqual(['bn']);
    expect(ops(desc)).toEqual(['Conv', 'ChannelAffine', 'Relu']);
    expect(compareWithReference(graph, desc, 2)).toBeLessThan(1e-6);

    const b2 = new GraphBuilder('output');
    const x2 = b2.input('x', [1, 3, 4, 4]);
    const c2 = conv(b2, x2, { out: 2, kernel: 1, name: 'c' });
    const r2 = b2.op('Relu', [c2], {}, 'relu');
    const lowered = lowerGraph(b2.build([c2, r2]));
    expect(ops(lowered.desc)).toEqual(['Conv', 'Relu']);
  });

  it('Gemm takes a Relu or Clip; Clip without bounds and Clip(0, inf) lower as expected', () => {
    const b = new GraphBuilder('gemm');
    const x = b.input('x', [3, 8]);
    const w = b.param('w', [5, 8], { kind: 'he-normal', fanIn: 8 });
    const g = b.op('Gemm', [x, w], { transB: attr.int(1), alpha: attr.float(0.5) }, 'fc');
    const lo = b.constant('lo', [-0.25], []);
    const y = b.op('Clip', [g, lo], {}, 'clip');
    const y2 = b.op('Clip', [b.op('Sigmoid', [y], {}, 'sig')], {}, 'noop');
    const graph = b.build([y2]);
    const { desc, report } = lowerGraph(graph, { seed: 3 });
    expect(ops(desc)).toEqual(['Gemm', 'Sigmoid', 'Clip']);
    expect(desc.nodes[0].attrs).toMatchObject({
      activation: 'clip',
      clip_min: -0.25,
      clip_max: FLT_MAX,
      alpha: 0.5,
      transB: 1,
    });
    expect(desc.nodes[2].attrs).toEqual({ min: -FLT_MAX, max: FLT_MAX });
    expect(report.fusedActivations).toEqual([{ activation: 'clip', op: 'Gemm', into: 'fc' }]);
    expect(compareWithReference(graph, desc, 3)).toBeLessThan(1e-6);
  });

  it('head-gap: Flatten is an Alias; the classifier Gemm reads it without a copy', () => {
    const graph = buildTarget({ target: 'head-gap', set: { channels: '16', classes: '10', softmax: 'true' } });
    const { desc, report } = lowerGraph(graph, { seed: 4 });
    expect(ops(desc)).toEqual(['GlobalAveragePool', 'Alias', 'Gemm', 'Softmax']);
    expect(report.aliases).toHaveLength(1);
    expect(desc.nodes[3].attrs.axis).toBe(1);
    expect(compareWithReference(graph, desc, 4)).toBeLessThan(1e-6);
  });

  it('every tensor has its shape; auto_pad is resolved into explicit pads', () => {
    const b = new GraphBuilder('pads');
    const x = b.input('x', [1, 2, 7, 6]);
    const w = b.param('w', [3, 2, 3, 3], { kind: 'he-normal', fanIn: 18 });
    const y = b.op('Conv', [x, w], { auto_pad: attr.string('SAME_UPPER'), strides: attr.ints([2, 2]) }, 'c');
    const p = b.op('MaxPool', [y], { kernel_shape: attr.ints([2, 2]), auto_pad: attr.string('SAME_LOWER') }, 'p');
    const graph = b.build([p]);
    const { desc } = lowerGraph(graph, { seed: 5 });
    // H 7 -> 4 (2 pixels of padding, 1 + 1); W 6 -> 3 (1 pixel, at the end for SAME_UPPER)
    expect(desc.nodes[0].attrs.pads).toEqual([1, 0, 1, 1]);
    expect(desc.nodes[1].attrs.pads).toEqual([1, 1, 0, 0]);
    for (const n of desc.nodes)
      for (const t of [...n.inputs, ...n.outputs]) if (t) expect(desc.shapes[t], t).toBeDefined();
    expect(compareWithReference(graph, desc, 5)).toBeLessThan(1e-6);
  });
});

describe('opset-dependent Softmax', () => {
  const graphAt = (opset: number | undefined, axis?: number) => {
    const b = new GraphBuilder('softmax');
    const x = b.input('x', [2, 3, 4]);
    const y = b.op('Softmax', [x], axis === undefined ? {} : { axis: attr.int(axis) }, 'sm');
    const g = b.build([y]);
    if (opset !== undefined) g.meta.opset = opset;
    return g;
  };
  const softmaxRows = (data: Float32Array, rows: number, len: number) => {
    const out = new Float64Array(data.length);
    for (let r = 0; r < rows; r++) {
      const row = Array.from(data.subarray(r * len, (r + 1) * len));
      const mx = Math.max(...row);
      const s = row.reduce((a, v) => a + Math.exp(v - mx), 0);
      row.forEach((v, i) => (out[r * len + i] = Math.exp(v - mx) / s));
    }
    return out;
  };
  const x = seededInput([2, 3, 4], 9);

  it('opset 9, default axis 1: the input is coerced to 2 x 12 (Alias -> Softmax -> Alias)', () => {
    const { desc } = lowerGraph(graphAt(9));
    expect(ops(desc)).toEqual(['Alias', 'Softmax', 'Alias']);
    expect(desc.shapes[desc.nodes[0].outputs[0]]).toEqual([2, 12]);
    const got = interpretDesc(desc, { x }).get('sm')!;
    expect(got.shape).toEqual([2, 3, 4]);
    const want = softmaxRows(x, 2, 12);
    got.data.forEach((v, i) => expect(v).toBeCloseTo(want[i], 12));
  });

  it('opset 11, axis 2 (nothing after it): a plain Softmax on axis 2', () => {
    const { desc } = lowerGraph(graphAt(11, 2));
    expect(ops(desc)).toEqual(['Softmax']);
    expect(desc.nodes[0].attrs.axis).toBe(2);
  });

  it('opset 13 and built graphs: axis defaults to -1, normalized', () => {
    for (const opset of [13, undefined]) {
      const { desc } = lowerGraph(graphAt(opset));
      expect(ops(desc)).toEqual(['Softmax']);
      expect(desc.nodes[0].attrs.axis).toBe(2);
      const got = interpretDesc(desc, { x }).get('sm')!;
      const want = softmaxRows(x, 6, 4);
      got.data.forEach((v, i) => expect(v).toBeCloseTo(want[i], 12));
    }
  });
});

describe('refusals, before anything runs', () => {
  it('names every operator outside the list, with its nodes', () => {
    const b = new GraphBuilder('exotic');
    const x = b.input('x', [1, 4, 6, 6]);
    const t = b.op('Tanh', [x], {}, 'tanh1');
    const t2 = b.op('Tanh', [t], {}, 'tanh2');
    const l = b.op('LeakyRelu', [t2], {}, 'leaky');
    const r = b.op('Relu', [l], {}, 'ok');
    const p = b.op('ReduceMean', [r], { axes: attr.ints([2, 3]) }, 'mean');
    const graph = b.build([p]);
    let err: unknown;
    try {
      lowerGraph(graph);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StudioError);
    expect((err as StudioError).code).toBe('unsupported');
    const msg = (err as Error).message;
    expect(msg).toMatch(/the native backend cannot run 'exotic': it has no kernels for operators/);
    expect(msg).toContain("Tanh (2 nodes: 'tanh1', 'tanh2')");
    expect(msg).toContain("LeakyRelu (1 node: 'leaky')");
    expect(msg).toContain("ReduceMean (1 node: 'mean')");
    expect(msg).not.toContain("'ok'");
  });

  it('refuses MaxPool with its Indices output in use, and 1-D convolutions', () => {
    const b = new GraphBuilder('indices');
    const x = b.input('x', [1, 2, 4, 4]);
    const [y, idx] = b.node('MaxPool', [x], { kernel_shape: attr.ints([2, 2]) }, { name: 'mp', outputs: 2 });
    expect(() => lowerGraph(b.build([y, idx]))).toThrow(/MaxPool node 'mp' has its Indices output in use/);
    // The same node with the indices unused runs.
    expect(ops(lowerGraph(b.build([y])).desc)).toEqual(['MaxPool']);

    const b1 = new GraphBuilder('conv1d');
    const x1 = b1.input('x', [1, 2, 9]);
    const w1 = b1.param('w', [3, 2, 3], { kind: 'he-normal', fanIn: 6 });
    const y1 = b1.op('Conv', [x1, w1], {}, 'c1');
    expect(() => lowerGraph(b1.build([y1]))).toThrow(/Conv node 'c1' is 1-D \(only 2-D convolution\)/);
  });

  it('weights fed as graph inputs (the ONNX node tests) run once their values are given', () => {
    const b = new GraphBuilder('weights-as-inputs');
    const x = b.input('x', [1, 2, 5, 5]);
    const w = b.input('w', [3, 2, 3, 3]);
    const y = b.op('Conv', [x, w], { pads: attr.ints([1, 1, 1, 1]) }, 'c');
    const graph = b.build([y]);
    expect(() => lowerGraph(graph)).toThrow(/Conv node 'c' has weights computed at run time/);
    const wv = seededInput([3, 2, 3, 3], 4);
    const { desc } = lowerGraph(graph, { inputValues: new Map([['w', wv]]) });
    expect(desc.inputs.map((i) => i.name)).toEqual(['x']);
    expect(desc.constants.find((c) => c.name === 'w')?.data).toEqual(wv);
    expect(graph.inputs.map((i) => i.name)).toEqual(['x', 'w']); // the caller's graph is not changed
  });

  it('refuses Dropout in training mode (random masks), runs it as Alias at inference', () => {
    const make = (training: number) => {
      const b = new GraphBuilder('dropout');
      const x = b.input('x', [2, 3]);
      const y = b.op(
        'Dropout',
        [x, b.constant('ratio', [0.5], []), b.constant('mode', [training], [], 'bool')],
        {},
        'd',
      );
      return b.build([y]);
    };
    expect(() => lowerGraph(make(1))).toThrow(/Dropout node 'd' runs in training mode/);
    expect(ops(lowerGraph(make(0)).desc)).toEqual(['Alias']);
  });

  it('drops shape subgraphs instead of refusing them (Shape -> Reshape)', () => {
    const b = new GraphBuilder('shape');
    const x = b.input('x', [2, 3, 4, 4]);
    const graph = b.build([]);
    graph.nodes.push(
      { name: 'shape', op: 'Shape', domain: '', inputs: [x], outputs: ['s'], attrs: {} },
      { name: 'reshape', op: 'Reshape', domain: '', inputs: [x, 's'], outputs: ['y'], attrs: {} },
      { name: 'relu', op: 'Relu', domain: '', inputs: ['y'], outputs: ['z'], attrs: {} },
    );
    graph.outputs = [{ name: 'z', dtype: 'float32', shape: [] }];
    inferGraph(graph);
    const { desc, report } = lowerGraph(graph);
    expect(report.droppedNodes).toEqual(['shape']);
    expect(ops(desc)).toEqual(['Alias', 'Relu']);
    expect(desc.shapes.z).toEqual([2, 3, 4, 4]);
  });
});

const LIGHT = fileURLToPath(new URL('../../shared/conformance/onnx-light/', import.meta.url));
describe.skipIf(!existsSync(LIGHT))('the onnx-light models lower', () => {
  it('inception_v1 (opset 9): the reshaped classifier weight is a constant; LRN and Softmax kept', () => {
    const graph = onnxToGraph(readFileSync(`${LIGHT}inception_v1.onnx`), { name: 'inception_v1.onnx' });
    const { desc, report } = lowerGraph(graph);
    expect(report.foldedConstants).toEqual(['n141']);
    const gemm = desc.nodes.find((n) => n.op === 'Gemm')!;
    expect(desc.constants.find((c) => c.name === gemm.inputs[1])?.shape).toEqual([1000, 1024]);
    expect(ops(desc).filter((o) => o === 'LRN')).toHaveLength(2);
    expect(report.fusedActivations).toHaveLength(57);
    expect(ops(desc)).not.toContain('Relu');
  });

  it('resnet50 (opset 9): every BatchNorm folded, every Sum fused as a residual', () => {
    const graph = onnxToGraph(readFileSync(`${LIGHT}resnet50.onnx`), { name: 'resnet50.onnx' });
    const { desc, report } = lowerGraph(graph);
    expect(report.foldedBatchNorms).toHaveLength(53);
    expect(report.fusedResiduals).toHaveLength(16);
    expect(ops(desc).filter((o) => o !== 'Conv')).toEqual(['MaxPool', 'AveragePool', 'Alias', 'Gemm', 'Softmax']);
  });
});
