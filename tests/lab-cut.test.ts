// The lab's cut: a base reduced to what one tensor depends on, at the default or a named tensor.
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { StudioError } from '../shared/ir/types.js';
import { cutGraph, defaultCut, withDynamicBatch } from '../shared/lab/cut.js';
import { graphToOnnx } from '../shared/onnx/writer.js';
import { buildTarget } from '../shared/targets.js';

const base = () => buildTarget({ target: 'lab_mini_resnet' });

describe('lab: cutting a base', () => {
  it('cuts the default base before its global average pooling', () => {
    const g = base();
    const cut = cutGraph(g);
    expect(cut.tensor).toBe('layer2/out');
    expect(cut.isDefault).toBe(true);
    expect(cut.reason).toMatch(/GlobalAveragePool/);
    expect(cut.featureShape).toEqual([64, 7, 7]);
    expect(cut.graph.outputs.map((o) => o.name)).toEqual(['layer2/out']);
    expect(cut.graph.nodes.some((n) => n.name.startsWith('head/'))).toBe(false);
    expect([...cut.graph.initializers.keys()].some((k) => k.startsWith('head/'))).toBe(false);
    expect(cut.graph.nodes.length).toBe(g.nodes.length - 3);
  });

  it('finds the default cut of zoo models: before GAP (ResNet) and before the first Flatten (VGG)', () => {
    expect(defaultCut(buildTarget({ target: 'resnet18' })).tensor).toBe('layer4.1/out');
    const vgg = defaultCut(buildTarget({ target: 'vgg16' }));
    expect(vgg.tensor).toBe('block5_pool');
    expect(vgg.reason).toMatch(/Flatten/);
    // A block has no pooling or FC layer: its output is the cut.
    const block = buildTarget({ target: 'bottleneck' });
    expect(defaultCut(block).tensor).toBe(block.outputs[0].name);
  });

  it('cuts at a named tensor, keeping only the nodes it depends on', () => {
    const cut = cutGraph(base(), 'layer1/out');
    expect(cut.isDefault).toBe(false);
    expect(cut.featureShape).toEqual([32, 14, 14]);
    expect(cut.graph.nodes.some((n) => n.name.startsWith('layer2/'))).toBe(false);
    expect(cut.graph.nodes.at(-1)!.outputs).toEqual(['layer1/out']);
  });

  it('refuses a tensor that does not exist, listing candidates', () => {
    let err: unknown;
    try {
      cutGraph(base(), 'layer9/out');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StudioError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/has no tensor 'layer9\/out'/);
    expect(msg).toContain("'layer2/out'");
    expect(msg).toMatch(/--cut/);
    expect(() => cutGraph(base(), 'input')).toThrow(/is the input of/);
    expect(() => cutGraph(base(), 'stem.weight')).toThrow(/is a weight/);
  });

  it('runs at any batch size with the same per-image features', async () => {
    const cut = cutGraph(base());
    const session = await ort.InferenceSession.create(graphToOnnx(withDynamicBatch(cut.graph), { seed: 0 }));
    try {
      const images = Float32Array.from({ length: 3 * 28 * 28 }, (_, i) => ((i * 37) % 101) / 100);
      const all = await session.run({ input: new ort.Tensor('float32', images, [3, 1, 28, 28]) });
      const one = await session.run({ input: new ort.Tensor('float32', images.slice(2 * 784), [1, 1, 28, 28]) });
      const a = all['layer2/out'];
      expect(a.dims).toEqual([3, 64, 7, 7]);
      expect(Array.from(one['layer2/out'].data as Float32Array)).toEqual(
        Array.from((a.data as Float32Array).slice(2 * 3136)),
      );
    } finally {
      await session.release();
    }
  });
});
