// Finds and loads the C++ addon (native/build/<config>/studio_native.node) and types its surface,
// exactly as native/DESIGN.md specifies it. Loading never guesses silently: when no candidate
// loads, the error lists every path tried and why each one failed, so "the addon is missing"
// (npm ci did not build it) is told apart from "the addon is there but does not load" (an ABI or
// missing-library problem).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The operators the C++ side implements (after lowering; see native/DESIGN.md). */
export type NativeOp =
  | 'Conv'
  | 'DepthwisePointwise'
  | 'Gemm'
  | 'MatMul'
  | 'MaxPool'
  | 'AveragePool'
  | 'GlobalAveragePool'
  | 'GlobalMaxPool'
  | 'Relu'
  | 'Clip'
  | 'Sigmoid'
  | 'ChannelAffine'
  | 'Add'
  | 'Sub'
  | 'Mul'
  | 'Div'
  | 'Sum'
  | 'Max'
  | 'Min'
  | 'Concat'
  | 'Alias'
  | 'Softmax'
  | 'LRN'
  | 'Transpose';

export const NATIVE_OPS: readonly NativeOp[] = [
  'Conv',
  'DepthwisePointwise',
  'Gemm',
  'MatMul',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'Relu',
  'Clip',
  'Sigmoid',
  'ChannelAffine',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Sum',
  'Max',
  'Min',
  'Concat',
  'Alias',
  'Softmax',
  'LRN',
  'Transpose',
];

export type NativeIsa = 'scalar' | 'avx2' | 'avx512';

export interface NativeNodeDesc {
  name: string;
  op: NativeOp;
  /** Tensor names; '' for an absent optional input (Conv's B and R). */
  inputs: string[];
  outputs: string[];
  attrs: Record<string, number | number[] | string>;
}

export interface NativeGraphDesc {
  /** float32 only. */
  inputs: { name: string; shape: number[] }[];
  outputs: string[];
  /** Every tensor's shape (inputs, intermediates, outputs), from the studio's shape inference. */
  shapes: Record<string, number[]>;
  constants: { name: string; shape: number[]; data: Float32Array }[];
  /** In execution order. */
  nodes: NativeNodeDesc[];
}

export interface NativeCpuInfo {
  /** CPU features found and enabled by the OS, e.g. ['avx', 'fma', 'avx2', 'avx512f', ...]. */
  features: string[];
  /** The ISA paths usable here, best first, e.g. ['avx512', 'avx2', 'scalar']. */
  isaPaths: string[];
  /** What a session gets without opts.isa: STUDIO_NATIVE_ISA when that is usable, else the best. */
  defaultIsa: string;
  /**
   * The GEMM tuning defaultIsa runs with: 'avx512-full-rate' (two 512-bit FMA pipes, e.g. Zen 5),
   * 'avx512-half-rate' (512-bit FMAs at the 256-bit rate, e.g. Zen 4), else the path's name
   * ('avx2', 'scalar'). STUDIO_NATIVE_TUNING=full-rate|half-rate forces the AVX-512 choice.
   */
  tuning: string;
  /** cpuid vendor string ('AuthenticAMD', 'GenuineIntel'; '' off x86). */
  vendor: string;
  /** Display family and model (e.g. 26 = 1Ah for Zen 5); 0 off x86. */
  family: number;
  model: number;
}

export interface NativeSessionOptions {
  /** Thread-pool size; 0 or absent: STUDIO_NATIVE_THREADS, else the hardware concurrency. */
  threads: number;
  /** Force an ISA path (overrides STUDIO_NATIVE_ISA); an error names the features a CPU lacks. */
  isa?: string;
  /** Time every node of every run (session.profile()); adds two clock reads per node. */
  profile?: boolean;
}

export interface NativeNodeTiming {
  name: string;
  op: string;
  kernel: string;
  /** Mean wall time per run, microseconds. */
  meanUs: number;
  runs: number;
}

export interface NativePlanNode {
  name: string;
  op: string;
  /** e.g. 'conv1x1-gemm', 'depthwise', 'im2col-gemm', 'gemm', 'alias', 'concat-view'. */
  kernel: string;
}

export interface NativePlan {
  isa: string;
  threads: number;
  /** Bytes of the activation arena (intermediate tensors, reused along the execution order). */
  arenaBytes: number;
  /** Bytes of packed weights and constants kept for execution. */
  weightBytes: number;
  /** Bytes of scratch space (im2col tiles, packed runtime operands), beside the arena. */
  workspaceBytes: number;
  nodes: NativePlanNode[];
  /**
   * Batch segments: node ranges [firstNode, endNode) run image-major, `chunk` of `images` images
   * at a time, so that their large intermediate tensors stay in cache (native/DESIGN.md).
   */
  segments: { firstNode: number; endNode: number; images: number; chunk: number }[];
}

export interface NativeSession {
  /**
   * Inputs in desc.inputs order, float32, NCHW; resolves with outputs in desc.outputs order: new
   * arrays, or `outputs` (one per output, each exactly its size, sharing no memory with an input
   * or another output, neither read, written nor detached until the promise settles) written in
   * place and returned. Reusing output arrays from run to run spares
   * the page faults of fresh memory (native/DESIGN.md, "Per-run overhead outside the kernels").
   */
  run(inputs: Float32Array[], outputs?: Float32Array[]): Promise<Float32Array[]>;
  plan(): NativePlan;
  /** Per-node times accumulated since the session was created with opts.profile (else []). */
  profile(): NativeNodeTiming[];
  release(): void;
}

export interface NativeAddon {
  version: string;
  cpu(): NativeCpuInfo;
  createSession(desc: NativeGraphDesc, opts: NativeSessionOptions): NativeSession;
  /** Roofline probes: FMA throughput (GFLOP/s) and a STREAM triad (GB/s). */
  peakGflops(opts: { threads: number; isa?: string; seconds?: number }): number;
  triadGBps(opts: { threads: number; bytes?: number; seconds?: number }): number;
}

/** Every place the addon may live, most specific first. */
export function addonCandidates(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  // main/backends/native/ -> repository root (also correct for dist/main/backends/native/ one level deeper).
  const roots = [resolve(here, '../../..'), resolve(here, '../../../..')];
  const out: string[] = [];
  const resources = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath;
  if (resources) {
    // Electron packages native modules outside the asar archive (asarUnpack), so dlopen can read them.
    out.push(join(resources, 'app.asar.unpacked', 'native', 'build', 'Release', 'studio_native.node'));
  }
  for (const root of roots) {
    if (!existsSync(join(root, 'native'))) continue;
    for (const config of ['Release', 'Debug']) out.push(join(root, 'native', 'build', config, 'studio_native.node'));
  }
  return [...new Set(out)];
}

let cached: NativeAddon | undefined;

/** Loads the addon once; throws an Error listing every path tried and the reason for each. */
export function loadNativeAddon(): NativeAddon {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  for (const path of addonCandidates()) {
    if (!existsSync(path)) {
      tried.push(`${path}: not found`);
      continue;
    }
    try {
      cached = require(path) as NativeAddon;
      return cached;
    } catch (e) {
      tried.push(`${path}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(
    `the native addon (studio_native.node) could not be loaded; build it with \`npm run build:native\` ` +
      `(npm ci does this). Tried:\n  ${tried.join('\n  ')}`,
  );
}

/** The addon, or the reason it cannot be loaded (for availability reports). */
export function tryLoadNativeAddon(): { addon: NativeAddon } | { error: string } {
  try {
    return { addon: loadNativeAddon() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}
