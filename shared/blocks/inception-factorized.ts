import type { GraphBuilder } from '../graph/builder.js';
import { avgPool, concat, convUnit, type ConvStyle, type Pair } from '../graph/layers.js';
import { StudioError } from '../ir/types.js';
import {
  buildBlockGraph,
  num,
  styleFrom,
  styleParams,
  type BlockSpec,
  type ParamCondition,
  type ParamValues,
} from './block-spec.js';

// Inception-v3's modules (Szegedy et al. 2015, "Rethinking the Inception Architecture"), with
// the widths of the released implementation (Keras applications and torchvision agree on them).
// `factorize: false` builds the same module with the factorized convolutions put back together,
// so that the two can be costed and timed side by side at equal input and output widths.

export type FactorizedModule = 'A' | 'B' | 'C';

export interface FactorizedOptions {
  factorize: boolean;
  style: ConvStyle;
  /**
   * The pool branch's 3x3 average pool: PyTorch's avg_pool2d(padding=1) divides by 9 at the
   * border too (count_include_pad), Keras' AveragePooling2D('same') only by the pixels inside.
   */
  countIncludePad: boolean;
}

export interface ModuleAOptions extends FactorizedOptions {
  /** Pool branch projection: 32 in mixed0, 64 in mixed1/mixed2. */
  poolFeatures: number;
  /** 1x1 branch: 64 in Inception-v3, 96 in InceptionResNetV2's mixed_5b. */
  b1?: number;
}

export interface ModuleBOptions extends FactorizedOptions {
  /** Width of the n x n towers: 128, 160, 160, 192 in mixed4..mixed7. */
  c7: number;
  /** n of the n x n convolutions (7 in Inception-v3). */
  n?: number;
}

type Unit = (input: string, out: number, kernel: Pair, name: string) => string;

function units(b: GraphBuilder, o: FactorizedOptions): Unit {
  return (input, out, kernel, name) => convUnit(b, input, { out, kernel, padding: 'same', name }, o.style, 'relu');
}

function poolBranch(b: GraphBuilder, x: string, o: FactorizedOptions, out: number): string {
  const pooled = avgPool(b, x, {
    kernel: 3,
    stride: 1,
    padding: 1,
    countIncludePad: o.countIncludePad,
    name: 'branch_pool',
  });
  return units(b, o)(pooled, out, 1, 'branch_pool_proj');
}

/**
 * The 35x35 module (figure 5): the 5x5 convolution as two 3x3 (2 x 9 / 25 = 0.72 of the weights
 * at equal width). The released model also keeps a plain 1x1 -> 5x5 branch beside the
 * factorized tower; `factorize` changes only the tower.
 */
export function moduleA(b: GraphBuilder, x: string, o: ModuleAOptions): string {
  const unit = units(b, o);
  const br1 = unit(x, o.b1 ?? 64, 1, 'branch1x1');
  const br5 = unit(unit(x, 48, 1, 'branch5x5_reduce'), 64, 5, 'branch5x5');
  const red = unit(x, 64, 1, 'branch3x3dbl_reduce');
  const tower = o.factorize
    ? unit(unit(red, 96, 3, 'branch3x3dbl_1'), 96, 3, 'branch3x3dbl_2')
    : unit(red, 96, 5, 'branch5x5dbl');
  return concat(b, [br1, br5, tower, poolBranch(b, x, o, o.poolFeatures)], 'concat');
}

/** The 17x17 module (figure 6): each n x n as 1 x n then n x 1 (2n instead of n^2 weights per pair). */
export function moduleB(b: GraphBuilder, x: string, o: ModuleBOptions): string {
  const n = o.n ?? 7;
  if (n % 2 === 0)
    throw new StudioError(
      `inception-factorized: parameter 'n' must be odd (centered same padding), got ${n}`,
      'bad-parameter',
    );
  const unit = units(b, o);
  const { c7 } = o;
  const br1 = unit(x, 192, 1, 'branch1x1');
  let t = unit(x, c7, 1, 'branch7x7_reduce');
  t = o.factorize
    ? unit(unit(t, c7, [1, n], 'branch7x7_1xn'), 192, [n, 1], 'branch7x7_nx1')
    : unit(t, 192, n, 'branch7x7');
  let d = unit(x, c7, 1, 'branch7x7dbl_reduce');
  if (o.factorize) {
    d = unit(d, c7, [n, 1], 'branch7x7dbl_1_nx1');
    d = unit(d, c7, [1, n], 'branch7x7dbl_1_1xn');
    d = unit(d, c7, [n, 1], 'branch7x7dbl_2_nx1');
    d = unit(d, 192, [1, n], 'branch7x7dbl_2_1xn');
  } else {
    d = unit(unit(d, c7, n, 'branch7x7dbl_1'), 192, n, 'branch7x7dbl_2');
  }
  return concat(b, [br1, t, d, poolBranch(b, x, o, 192)], 'concat');
}

/**
 * The 8x8 module with the expanded filter bank (figure 7): the last 3x3 of each tower is split
 * into parallel 1x3 and 3x1 convolutions whose outputs are concatenated (768 channels); the
 * unfactorized form is one 3x3 convolution to the same 768 channels.
 */
export function moduleC(b: GraphBuilder, x: string, o: FactorizedOptions): string {
  const unit = units(b, o);
  const split = (input: string, name: string) =>
    o.factorize
      ? concat(b, [unit(input, 384, [1, 3], `${name}_1x3`), unit(input, 384, [3, 1], `${name}_3x1`)], `${name}_concat`)
      : unit(input, 768, 3, name);
  const br1 = unit(x, 320, 1, 'branch1x1');
  const br3 = split(unit(x, 384, 1, 'branch3x3_reduce'), 'branch3x3');
  const dbl = split(unit(unit(x, 448, 1, 'branch3x3dbl_reduce'), 384, 3, 'branch3x3dbl_1'), 'branch3x3dbl');
  return concat(b, [br1, br3, dbl, poolBranch(b, x, o, 192)], 'concat');
}

export type InceptionFactorizedOptions = FactorizedOptions & {
  module: FactorizedModule;
  poolFeatures: number;
  c7: number;
  n: number;
};

/** One of the three modules, by name (the block's entry point). */
export function inceptionFactorized(b: GraphBuilder, x: string, o: InceptionFactorizedOptions): string {
  if (o.module === 'A') return moduleA(b, x, o);
  if (o.module === 'B') return moduleB(b, x, o);
  return moduleC(b, x, o);
}

/** Where each module sits in Inception-v3, used when the input size is left at 0. */
export const STANDARD_INPUT: Record<FactorizedModule, { size: number; channels: number }> = {
  A: { size: 35, channels: 192 },
  B: { size: 17, channels: 768 },
  C: { size: 8, channels: 1280 },
};

const POOL_192 = 'modules B and C project the pool branch to 192 channels';
const MODULE_B: ParamCondition = {
  param: 'module',
  oneOf: ['B'],
  why: { A: 'module A has no n x n towers', C: 'module C has no n x n towers' },
};

const standardNote = "0 = the module's place in Inception-v3 (A: 35x35x192, B: 17x17x768, C: 8x8x1280)";

/** Fills input dimensions left at 0 from the module's standard input. */
function withStandardInput(p: ParamValues): ParamValues {
  const std = STANDARD_INPUT[p.module as FactorizedModule];
  return {
    ...p,
    height: num(p, 'height') || std.size,
    width: num(p, 'width') || std.size,
    channels: num(p, 'channels') || std.channels,
  };
}

export const inceptionFactorizedBlock: BlockSpec = {
  name: 'inception-factorized',
  title: 'Factorized Inception module (Inception-v3)',
  description:
    'Inception-v3 modules: A (35x35, 5x5 as two 3x3), B (17x17, n x n as 1 x n then n x 1), C (8x8, expanded 1x3 / 3x1 filter bank); factorize=false builds the unfactorized version for comparison.',
  seeds: ['002'],
  params: [
    { name: 'batch', kind: 'int', default: 1, min: 1, max: 4096, description: 'batch size N' },
    { name: 'height', kind: 'int', default: 0, min: 0, max: 8192, description: `input height H; ${standardNote}` },
    { name: 'width', kind: 'int', default: 0, min: 0, max: 8192, description: `input width W; ${standardNote}` },
    { name: 'channels', kind: 'int', default: 0, min: 0, max: 65536, description: `input channels C; ${standardNote}` },
    {
      name: 'module',
      kind: 'enum',
      default: 'A',
      choices: ['A', 'B', 'C'],
      description: 'A: 35x35 (mixed0..2), B: 17x17 (mixed4..7), C: 8x8 (mixed9..10)',
    },
    {
      name: 'factorize',
      kind: 'bool',
      default: true,
      description: 'factorized convolutions (false: the 5x5 / n x n / 3x3 they replace)',
    },
    {
      name: 'pool_features',
      kind: 'int',
      default: 32,
      min: 1,
      max: 65536,
      description: 'module A: pool branch projection (32 in mixed0, 64 in mixed1/2)',
      appliesWhen: { param: 'module', oneOf: ['A'], why: { B: POOL_192, C: POOL_192 } },
    },
    {
      name: 'c7',
      kind: 'int',
      default: 128,
      min: 1,
      max: 65536,
      description: 'module B: width of the n x n towers (128 in mixed4)',
      appliesWhen: MODULE_B,
    },
    {
      name: 'n',
      kind: 'int',
      default: 7,
      min: 3,
      max: 31,
      description: 'module B: n of the n x n convolutions (odd)',
      appliesWhen: MODULE_B,
    },
    ...styleParams({ bias: false, batchnorm: true }),
  ],
  build: (raw) => {
    const p = withStandardInput(raw);
    return buildBlockGraph(
      'inception-factorized',
      p,
      (b, x) =>
        inceptionFactorized(b, x, {
          module: p.module as FactorizedModule,
          factorize: p.factorize as boolean,
          poolFeatures: num(p, 'pool_features'),
          c7: num(p, 'c7'),
          n: num(p, 'n'),
          style: styleFrom(p),
          countIncludePad: false,
        }),
      `Inception-v3 module ${String(p.module)} (${p.factorize ? 'factorized' : 'unfactorized'})`,
    );
  },
};
