// The catalog blocks: defaults build, output shapes, parameter counts by hand formula, and
// impossible parameters rejected with the parameter named.
import { describe, expect, it } from 'vitest';
import { inapplicableReason, resolveParams, type ParamSpec } from '../shared/blocks/block-spec.js';
import { standardConv } from '../shared/blocks/conv.js';
import { BLOCKS, getBlock } from '../shared/blocks/registry.js';
import { costGraph } from '../shared/cost/cost-model.js';
import { countParams } from '../shared/cost/params.js';
import { GraphBuilder } from '../shared/graph/builder.js';
import { StudioError } from '../shared/ir/types.js';

const bn = (c: number) => 4 * c; // gamma, beta, running mean, running var

function build(target: string, given: Record<string, string | number | boolean> = {}) {
  const block = getBlock(target);
  return block.build(resolveParams(target, block.params, given));
}

interface Case {
  target: string;
  given?: Record<string, string | number | boolean>;
  shape: number[];
  params: number;
  trainable?: number;
}

const CASES: Case[] = [
  { target: 'conv', shape: [1, 64, 56, 56], params: 64 * 64 * 9 + 64 },
  { target: 'conv', given: { stride: 2, padding: 'valid' }, shape: [1, 64, 27, 27], params: 64 * 64 * 9 + 64 },
  { target: 'conv', given: { groups: 64, bias: false }, shape: [1, 64, 56, 56], params: 64 * 9 },
  {
    target: 'conv',
    given: { kernel: 5, padding: 'explicit', pad: 0, dilation: 2 },
    shape: [1, 64, 48, 48],
    params: 64 * 64 * 25 + 64,
  },
  { target: 'pointwise', shape: [1, 64, 14, 14], params: 152 * 64 + 64 },
  { target: 'fc-vs-pointwise', shape: [1, 512], params: 14 * 14 * 152 * 512 + 512 },
  { target: 'fc-vs-pointwise', given: { mode: 'pointwise' }, shape: [1, 64, 14, 14], params: 152 * 64 + 64 },
  {
    target: 'basic-residual',
    shape: [1, 64, 56, 56],
    params: 2 * 64 * 64 * 9 + 2 * bn(64),
    trainable: 2 * 64 * 64 * 9 + 4 * 64,
  },
  {
    target: 'basic-residual',
    given: { out: 128, stride: 2 },
    shape: [1, 128, 28, 28],
    params: 64 * 128 * 9 + 128 * 128 * 9 + 64 * 128 + 3 * bn(128),
  },
  { target: 'bottleneck', shape: [1, 256, 56, 56], params: 256 * 64 + 64 * 64 * 9 + 64 * 256 + bn(64) * 2 + bn(256) },
  { target: 'separable', shape: [1, 728, 19, 19], params: 728 * 9 + 728 * 728 },
  { target: 'separable', given: { mode: 'standard' }, shape: [1, 728, 19, 19], params: 728 * 728 * 9 },
  {
    target: 'separable',
    given: { style: 'mobilenet', stride: 2 },
    shape: [1, 728, 10, 10],
    params: 728 * 9 + 728 * 728 + 2 * bn(728),
  },
  { target: 'xception-middle', shape: [1, 728, 19, 19], params: 3 * (728 * 9 + 728 * 728 + bn(728)) },
  { target: 'inverted-residual', shape: [1, 24, 56, 56], params: 24 * 144 + 144 * 9 + 144 * 24 + bn(144) * 2 + bn(24) },
  {
    target: 'inverted-residual',
    given: { out: 32, stride: 2 },
    shape: [1, 32, 28, 28],
    params: 24 * 144 + 144 * 9 + 144 * 32 + bn(144) * 2 + bn(32),
  },
  {
    target: 'inverted-residual',
    given: { expansion: 1 },
    shape: [1, 24, 56, 56],
    params: 24 * 9 + 24 * 24 + bn(24) * 2,
  },
  { target: 'head-gap', shape: [1, 1000], params: 2048 * 1000 + 1000 },
  { target: 'head-fc', shape: [1, 1000], params: 7 * 7 * 2048 * 1000 + 1000 },
  {
    target: 'head-fc',
    given: { hidden: 4096 },
    shape: [1, 1000],
    params: 7 * 7 * 2048 * 4096 + 4096 + 4096 * 1000 + 1000,
  },
  {
    target: 'head-fc',
    given: { hidden: 4096, hidden_layers: 2, channels: 512 },
    shape: [1, 1000],
    params: 25088 * 4096 + 4096 + 4096 * 4097 + 4096 * 1000 + 1000,
  },
  { target: 'reduce-then-conv', shape: [1, 256, 28, 28], params: 256 * 256 * 16 },
  { target: 'reduce-then-conv', given: { mode: 'reduced' }, shape: [1, 256, 28, 28], params: 256 * 64 + 64 * 256 * 16 },
];

describe('catalog blocks', () => {
  it.each(CASES)('$target $given: shape $shape, $params params', ({ target, given, shape, params, trainable }) => {
    const g = build(target, given);
    expect(g.outputs.map((o) => o.shape)).toEqual([shape]);
    const counts = countParams(g);
    expect(counts.params).toBe(params);
    if (trainable !== undefined) expect(counts.trainableParams).toBe(trainable);
    expect(g.meta.source).toMatchObject({ kind: 'block', name: target });
  });

  it('the inverted residual adds the identity only when stride 1 and channels match', () => {
    expect(build('inverted-residual').nodes.some((n) => n.op === 'Add')).toBe(true);
    expect(build('inverted-residual', { stride: 2 }).nodes.some((n) => n.op === 'Add')).toBe(false);
    expect(build('inverted-residual', { out: 32 }).nodes.some((n) => n.op === 'Add')).toBe(false);
  });

  it('reduce-then-conv: the 3.7x weight ratio of seed 003', () => {
    const direct = countParams(build('reduce-then-conv')).params;
    const reduced = countParams(build('reduce-then-conv', { mode: 'reduced' })).params;
    expect(direct / reduced).toBeCloseTo(1_048_576 / 278_528, 12);
    expect(direct / reduced).toBeCloseTo(3.765, 3);
  });
});

const BAD: [string, Record<string, string | number | boolean>, string][] = [
  ['conv', { groups: 3 }, "'groups'"],
  ['conv', { groups: 2, out: 63 }, "'groups'"],
  ['conv', { out: 0 }, "'out'"],
  ['conv', { padding: 'full' }, "'padding'"],
  ['conv', { kernel: 9, padding: 'valid', height: 5 }, "'kernel'"],
  ['conv', { kernel: 9, padding: 'explicit', pad: 1, width: 6 }, "'kernel'"],
  ['conv', { kernel: 3, dilation: 4, padding: 'valid', height: 8 }, "'kernel'"],
  ['conv', { stride: 1.5 }, "'stride'"],
  ['conv', { size: 3 }, "'size'"],
  ['fc-vs-pointwise', { mode: 'conv' }, "'mode'"],
  ['fc-vs-pointwise', { units: 0 }, "'units'"],
  ['basic-residual', { stride: 2, projection: 'never' }, "'projection'"],
  ['basic-residual', { out: 128, projection: 'never' }, "'projection'"],
  ['separable', { style: 'xception' }, "'style'"],
  ['separable', { kernel: 0 }, "'kernel'"],
  ['xception-middle', { channels: 'many' }, "'channels'"],
  ['inverted-residual', { stride: 3 }, "'stride'"],
  ['inverted-residual', { expansion: 0 }, "'expansion'"],
  ['head-gap', { classes: 0 }, "'classes'"],
  ['head-fc', { hidden: -1 }, "'hidden'"],
  ['reduce-then-conv', { kernel: 40, padding: 'valid' }, "'kernel'"],
  ['reduce-then-conv', { mode: 'reduced', reduce: 0 }, "'reduce'"],
];

describe('impossible parameters are rejected, naming the parameter', () => {
  it.each(BAD)('%s %o -> %s', (target, given, name) => {
    let error: unknown;
    try {
      build(target, given);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StudioError);
    expect((error as Error).message).toContain(name);
    expect((error as Error).message).toContain(target);
  });

  it("a kernel that does not fit surfaces the Conv node's shape error when an apply function is called directly", () => {
    const b = new GraphBuilder('t');
    const x = b.input('x', [1, 8, 4, 4]);
    expect(() => standardConv(b, x, { out: 8, kernel: 7, padding: 'valid' })).toThrow(
      /kernel 7 .*larger than the padded input 4/,
    );
  });
});

/** A valid value of a numeric or boolean parameter other than its default. */
function otherValue(p: ParamSpec): number | boolean | string {
  if (p.kind === 'bool') return !p.default;
  if (p.kind === 'enum') return p.choices.find((c) => c !== p.default)!;
  const up = p.default + 1;
  return p.max === undefined || up <= p.max ? up : p.default - 1;
}

const DEPENDENT = BLOCKS.flatMap((b) =>
  b.params.filter((p) => p.appliesWhen).map((p) => [b.name, p.name] as [string, string]),
);

describe('parameters that apply only under another value (appliesWhen)', () => {
  it('covers the parameters users found editable for nothing', () => {
    expect(DEPENDENT).toEqual(
      expect.arrayContaining([
        ['conv', 'pad'],
        ['reduce-then-conv', 'pad'],
        ['reduce-then-conv', 'reduce'],
        ['fc-vs-pointwise', 'units'],
        ['fc-vs-pointwise', 'out'],
        ['head-fc', 'hidden_layers'],
        ['bottleneck', 'stride_on'],
      ]),
    );
  });

  it('conv: pad is inapplicable under padding=same and valid (saying why), applies under explicit', () => {
    const conv = getBlock('conv');
    const pad = conv.params.find((p) => p.name === 'pad')!;
    expect(inapplicableReason(conv.params, pad, {})).toBe('padding=same computes the padding');
    expect(inapplicableReason(conv.params, pad, { padding: 'valid' })).toBe('padding=valid adds no padding');
    expect(inapplicableReason(conv.params, pad, { padding: 'explicit' })).toBeNull();
    const head = getBlock('head-fc');
    const layers = head.params.find((p) => p.name === 'hidden_layers')!;
    expect(inapplicableReason(head.params, layers, {})).toBe('hidden=0: there are no hidden layers');
    expect(inapplicableReason(head.params, layers, { hidden: '4096' })).toBeNull();
    expect(inapplicableReason(head.params, layers, { hidden: 4096 })).toBeNull();
  });

  it.each(DEPENDENT)('%s.%s: names a real parameter, and where it does not apply it changes nothing', (name, param) => {
    const block = getBlock(name);
    const spec = block.params.find((p) => p.name === param)!;
    const cond = spec.appliesWhen!;
    const ctrl = block.params.find((p) => p.name === cond.param);
    expect(ctrl, `${name}.${param} depends on '${cond.param}'`).toBeDefined();
    if (ctrl!.kind === 'enum') for (const v of cond.oneOf ?? []) expect(ctrl!.choices).toContain(v);
    // Every value of the controlling parameter under which it does not apply.
    const values =
      ctrl!.kind === 'enum'
        ? ctrl!.choices.filter((c) => !(cond.oneOf ?? []).includes(c))
        : ctrl!.kind === 'bool'
          ? [true, false].filter((c) => !(cond.oneOf ?? []).includes(c))
          : [cond.above!];
    expect(values.length).toBeGreaterThan(0);
    for (const v of values) {
      const given = { [cond.param]: v };
      expect(inapplicableReason(block.params, spec, given), `${cond.param}=${String(v)}`).not.toBeNull();
      const a = build(name, given);
      const b = build(name, { ...given, [param]: otherValue(spec) });
      expect(costGraph(b).totals, `${name}: ${cond.param}=${String(v)}, ${param} changed`).toEqual(costGraph(a).totals);
      expect(b.nodes.map((n) => [n.op, n.attrs])).toEqual(a.nodes.map((n) => [n.op, n.attrs]));
    }
  });
});
