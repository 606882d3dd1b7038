import { describe, expect, it } from 'vitest';
import { resolveParams } from '../shared/blocks/block-spec.js';
import { getBlock } from '../shared/blocks/registry.js';
import { costGraph } from '../shared/cost/cost-model.js';
import { StudioError } from '../shared/ir/types.js';

function build(name: string, given: Record<string, string | number | boolean> = {}) {
  const block = getBlock(name);
  const graph = block.build(resolveParams(name, block.params, given));
  return { graph, cost: costGraph(graph).totals };
}

// Hand-computed parameter counts. A conv with a bias costs k*k*C_in*C_out + C_out; with
// BatchNorm (the factorized block's default, gamma learned) k*k*C_in*C_out + 4*C_out, of which
// the 2*C_out running statistics are non-trainable. Every conv of these blocks runs at stride 1
// with same padding, so MACs = conv weights x H x W.
const cases: {
  name: string;
  given?: Record<string, string | number | boolean>;
  shape: number[];
  params: number;
  trainable: number;
  macs?: number;
}[] = [
  // 1x1: 192*64 + 64; 3x3: 9*192*128 + 128; 5x5: 25*192*32 + 32. Output 64 + 128 + 32 + 192 (pool passes through).
  { name: 'inception-naive', shape: [1, 416, 28, 28], params: 387_296, trainable: 387_296, macs: 387_072 * 784 },
  // 192*64 + 192*96 + 9*96*128 + 192*16 + 25*16*32 + 192*32 = 163,328 weights, + 368 biases.
  { name: 'inception', shape: [1, 256, 28, 28], params: 163_696, trainable: 163_696, macs: 163_328 * 784 },
  // torchvision's quirk: the "5x5" branch with a 3x3 kernel saves 16*32*(25-9) = 8,192 weights.
  {
    name: 'inception',
    given: { b5_kernel: 3 },
    shape: [1, 256, 28, 28],
    params: 163_696 - 8_192,
    trainable: 163_696 - 8_192,
  },
  // torchvision style: no bias (-368), BatchNorm (+4*368, 2*368 trainable).
  {
    name: 'inception',
    given: { bias: false, batchnorm: true },
    shape: [1, 256, 28, 28],
    params: 163_328 + 4 * 368,
    trainable: 163_328 + 2 * 368,
  },
  // Module A at 35x35x192 (mixed0): 254,976 weights; 464 BN channels. The double-3x3 tower
  // (64*9*96 + 96*9*96 = 138,240) versus one 5x5 (64*25*96 = 153,600, 96 fewer BN channels).
  {
    name: 'inception-factorized',
    shape: [1, 256, 35, 35],
    params: 254_976 + 4 * 464,
    trainable: 254_976 + 2 * 464,
    macs: 254_976 * 35 * 35,
  },
  {
    name: 'inception-factorized',
    given: { factorize: false },
    shape: [1, 256, 35, 35],
    params: 254_976 - 138_240 + 153_600 + 4 * 368,
    trainable: 254_976 - 138_240 + 153_600 + 2 * 368,
  },
  // Module B at 17x17x768, c7=128: 1,294,336 weights, 1536 BN channels; unfactorized: each
  // 1x7 + 7x1 pair becomes one 7x7 (3,702,784 weights, 1152 BN channels).
  {
    name: 'inception-factorized',
    given: { module: 'B' },
    shape: [1, 768, 17, 17],
    params: 1_294_336 + 4 * 1536,
    trainable: 1_294_336 + 2 * 1536,
  },
  {
    name: 'inception-factorized',
    given: { module: 'B', factorize: false },
    shape: [1, 768, 17, 17],
    params: 3_702_784 + 4 * 1152,
    trainable: 3_702_784 + 2 * 1152,
  },
  // Module C at 8x8x1280: 5,038,080 weights, 3264 BN channels; unfactorized: each parallel
  // 1x3 / 3x1 pair (2*3*384*384) becomes one 3x3 to 768 (9*384*768).
  {
    name: 'inception-factorized',
    given: { module: 'C' },
    shape: [1, 2048, 8, 8],
    params: 5_038_080 + 4 * 3264,
    trainable: 5_038_080 + 2 * 3264,
  },
  {
    name: 'inception-factorized',
    given: { module: 'C', factorize: false },
    shape: [1, 2048, 8, 8],
    params: 5_038_080 + 2 * (9 * 384 * 768 - 2 * 3 * 384 * 384) + 4 * 3264,
    trainable: 5_038_080 + 2 * (9 * 384 * 768 - 2 * 3 * 384 * 384) + 2 * 3264,
  },
  // An explicit input overrides the module's standard one.
  {
    name: 'inception-factorized',
    given: { module: 'B', height: 9, width: 9, channels: 768 },
    shape: [1, 768, 9, 9],
    params: 1_294_336 + 4 * 1536,
    trainable: 1_294_336 + 2 * 1536,
  },
];

describe('inception blocks', () => {
  for (const c of cases)
    it(`${c.name} ${JSON.stringify(c.given ?? {})}`, () => {
      const { graph, cost } = build(c.name, c.given);
      expect(graph.outputs.map((o) => o.shape)).toEqual([c.shape]);
      expect(cost.params).toBe(c.params);
      expect(cost.trainableParams).toBe(c.trainable);
      if (c.macs !== undefined) expect(cost.macs).toBe(c.macs);
    });

  it('the 1x1 reductions cut inception(3a) 2.37x in weights and MACs', () => {
    const naive = build('inception-naive').cost;
    const reduced = build('inception').cost;
    expect(naive.macs / reduced.macs).toBeCloseTo(387_072 / 163_328, 10);
    expect(naive.macs / reduced.macs).toBeCloseTo(2.37, 2);
  });

  it('factorizing 7x7 into 1x7 + 7x1 cuts module B 2.85x in parameters', () => {
    const f = build('inception-factorized', { module: 'B' }).cost;
    const u = build('inception-factorized', { module: 'B', factorize: false }).cost;
    expect(u.params / f.params).toBeCloseTo(2.85, 2);
    expect(u.macs / f.macs).toBeCloseTo(3_702_784 / 1_294_336, 10);
  });

  const bad: [string, Record<string, string | number | boolean>, RegExp][] = [
    ['inception', { b5_kernel: 4 }, /b5_kernel.*odd/],
    ['inception', { b3_reduce: 0 }, /b3_reduce/],
    ['inception', { pool_proj: 'wide' }, /pool_proj/],
    ['inception-naive', { b5: -1 }, /b5/],
    ['inception-naive', { b7: 3 }, /unknown parameter 'b7'/],
    ['inception-factorized', { module: 'B', n: 6 }, /'n' must be odd/],
    ['inception-factorized', { module: 'D' }, /module/],
    ['inception-factorized', { c7: 0 }, /c7/],
  ];
  for (const [name, given, message] of bad)
    it(`rejects ${name} ${JSON.stringify(given)}`, () => {
      let error: unknown;
      try {
        build(name, given);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(StudioError);
      expect((error as Error).message).toMatch(message);
    });
});
