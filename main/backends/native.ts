// The studio's own C++ kernels (native/) as a benchmark backend. The studio graph is lowered in
// TypeScript (native/lower.ts: BatchNorm folding, activation and residual fusion, constants
// materialized with the job's seed) and compiled once per session by the addon into an execution
// plan for one ISA path (scalar, AVX2+FMA or AVX-512), chosen from the CPU's features or forced by
// the configuration. A session never falls back to another path: an ISA the CPU lacks is a refusal.
import type { BackendConfig, PrecisionName } from '../../shared/contract/job.js';
import { costGraph } from '../../shared/cost/cost-model.js';
import { StudioError, type Graph } from '../../shared/ir/types.js';
import { onnxToGraph } from '../../shared/onnx/reader.js';
import {
  RefusedError,
  type Availability,
  type Backend,
  type BackendSession,
  type HostTensor,
  type ProfileReport,
  type SessionCreation,
  type SessionInfo,
  type SessionOptions,
} from './backend.js';
import { tryLoadNativeAddon, type NativeAddon, type NativeGraphDesc, type NativeSession } from './native/addon.js';
import { lowerGraph, loweringSummary, type Lowered, type LowerOptions } from './native/lower.js';
import { resolveThreads } from './native/threads.js';

/** The provider name results and placement use for the native kernels. */
export const NATIVE_PROVIDER = 'NativeCPU';

function bytesText(n: number): string {
  return n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

/**
 * The native kernels compute in float32 only: an fp16 or int8 job is refused before anything runs
 * (never run in fp32 under another precision's label). Returns the refusal, or undefined for fp32.
 */
export function nativePrecisionRefusal(precision: string): string | undefined {
  if (precision === 'fp32') return undefined;
  return `native cannot run the ${precision} variant: the native kernels are fp32 only (run ${precision} on ort-cpu or another ONNX Runtime backend)`;
}

/** The ISA path a configuration asks for: the configured one, or undefined for the addon's default. */
function requestedIsa(config: Pick<BackendConfig, 'isa'>): string | undefined {
  return config.isa && config.isa !== 'auto' ? config.isa : undefined;
}

/**
 * Checks that `isa` (or the addon's default path) can run here; returns the path that will run, or
 * the reason it cannot.
 */
export function checkIsa(addon: NativeAddon, isa: string | undefined): { isa: string } | { reason: string } {
  let cpu;
  try {
    cpu = addon.cpu();
  } catch (e) {
    // STUDIO_NATIVE_ISA forcing a path the CPU lacks is reported by the addon itself.
    return { reason: (e as Error).message };
  }
  // STUDIO_NATIVE_ISA forces the default path (native/DESIGN.md); forcing one the CPU lacks is an error, not a fallback.
  const forced = process.env.STUDIO_NATIVE_ISA?.trim() || undefined;
  const path = isa ?? forced ?? cpu.defaultIsa;
  if (!cpu.isaPaths.includes(path))
    return {
      reason: `the ${path} kernels${isa ? '' : forced ? ' (forced by STUDIO_NATIVE_ISA)' : ''} cannot run on this CPU (usable paths: ${cpu.isaPaths.join(', ')}; CPU features: ${cpu.features.join(' ') || 'none reported'})`,
    };
  return { isa: path };
}

/** How the native creation's parts are timed (LoadPhases.sessionParts methods). */
const NATIVE_TIMER = 'wall time around the call (performance.now)';
/** What the addon does in one call and does not time apart (LoadPhases.sessionUnseparated). */
const NATIVE_UNSEPARATED =
  'the addon validates the description, compiles the execution plan for the ISA path, packs the weights and plans the activation arena in one call (native/src/plan), so those steps are not timed apart';

/** The parts of a native session's creation (createSession times them; compile() alone times only the addon). */
type NativeCreationTimes = { parseMs?: number; lowerMs?: number; compileMs: number };

class NativeBackendSession implements BackendSession {
  constructor(
    private readonly session: NativeSession,
    private readonly desc: NativeGraphDesc,
    private readonly lowered: Lowered,
    private readonly graph: Graph,
    private readonly profiling: boolean,
    private readonly times: NativeCreationTimes,
  ) {}

  /** Parsing (when the studio graph was not given), the TypeScript lowering, the addon's compile. */
  creation(): SessionCreation {
    const t = this.times;
    const parts: SessionCreation['parts'] = [];
    if (t.parseMs !== undefined)
      parts.push({
        part: 'load',
        label: 'ONNX bytes parsed into the studio graph',
        ms: t.parseMs,
        method: NATIVE_TIMER,
      });
    if (t.lowerMs !== undefined)
      parts.push({
        part: 'graphOptimization',
        label: 'lowering passes (BatchNorm folded, activations and residual adds fused, constants materialized)',
        ms: t.lowerMs,
        method: `${NATIVE_TIMER}: lowerGraph, in TypeScript`,
      });
    parts.push({
      part: 'compile',
      label: 'addon compile (execution plan, weight packing, arena)',
      ms: t.compileMs,
      method: `${NATIVE_TIMER}: the addon's createSession, in C++`,
    });
    return {
      parts,
      unseparated: [
        NATIVE_UNSEPARATED,
        'the rest of the creation is outside these calls: loading the addon on its first use and checking the ISA path',
      ],
    };
  }

  /** Float32 inputs in the plan's order, checked against the shapes it was compiled for. */
  prepare(inputs: HostTensor[]): Float32Array[] {
    return this.desc.inputs.map((want) => {
      const t = inputs.find((i) => i.name === want.name);
      if (!t)
        throw new StudioError(`the native session needs input '${want.name}', which was not given`, 'bad-parameter');
      if (t.dtype !== 'float32' || !(t.data instanceof Float32Array))
        throw new StudioError(`input '${t.name}' is ${t.dtype}; the native backend runs float32 only`, 'bad-parameter');
      if (t.shape.length !== want.shape.length || t.shape.some((d, i) => d !== want.shape[i]))
        throw new StudioError(
          `input '${t.name}' has shape [${t.shape.join(',')}] but the native plan was compiled for [${want.shape.join(',')}]`,
          'bad-parameter',
        );
      return t.data;
    });
  }

  // No async wrapper: the worker's timer sees the addon's own promise and nothing else.
  run(inputs: unknown): Promise<unknown> {
    return this.session.run(inputs as Float32Array[]);
  }

  /** Outputs by name (verify, compare-backends). */
  async runNamed(inputs: HostTensor[]): Promise<Record<string, { shape: number[]; data: Float32Array }>> {
    const outs = await this.session.run(this.prepare(inputs));
    const named: Record<string, { shape: number[]; data: Float32Array }> = {};
    this.desc.outputs.forEach((o, i) => (named[o] = { shape: [...this.desc.shapes[o]], data: outs[i] }));
    return named;
  }

  /**
   * Per-node wall times of a session compiled with profiling (createSession with a profileDir): the
   * addon reads the clock around each planned node. Planned nodes keep the name of the studio node
   * they compute (a Conv keeps its name when BatchNorm, Relu or a residual Add is fused into it), so
   * the engine maps them back by name; the lowered nodes stand in for the runtime's optimized graph.
   */
  profile(): Promise<ProfileReport> {
    if (!this.profiling)
      return Promise.reject(new Error('this native session was compiled without profiling (no profileDir given)'));
    // A DepthwisePointwise node carries the pointwise Conv's name and computes the depthwise too.
    const fusedInto = new Map<string, string[]>();
    for (const f of this.lowered.report.fusedDepthwise)
      fusedInto.set(f.into, [...(fusedInto.get(f.into) ?? []), f.depthwise]);
    const nodes = this.session.profile().map((t) => ({
      name: t.name,
      op: t.op,
      provider: NATIVE_PROVIDER,
      meanUs: t.meanUs,
      runs: t.runs,
      ...(fusedInto.has(t.name) ? { fused: fusedInto.get(t.name) } : {}),
    }));
    const optimizedGraph = this.desc.nodes.map((n) => ({
      name: n.name,
      op: n.op,
      inputs: n.inputs.filter((i) => i !== ''),
      outputs: [...n.outputs],
    }));
    return Promise.resolve({ nodes, optimizedGraph });
  }

  release(): Promise<void> {
    this.session.release();
    return Promise.resolve();
  }

  /** `notes`: the plan and the lowering, information for the result's notes (not warnings). */
  info(): SessionInfo {
    const plan = this.session.plan();
    let peak: number | undefined;
    try {
      peak = costGraph(this.graph).totals.peakActivationBytes;
    } catch {
      peak = undefined; // a graph the cost model cannot cost fully still runs
    }
    return {
      providers: [`${NATIVE_PROVIDER}/${plan.isa}`],
      notes: [
        `native plan: ${plan.isa} kernels, ${plan.threads} thread${plan.threads === 1 ? '' : 's'}, activation arena ${bytesText(plan.arenaBytes)}${peak !== undefined ? ` (cost model's peak activations: ${bytesText(peak)})` : ''}, packed weights ${bytesText(plan.weightBytes)}, workspace ${bytesText(plan.workspaceBytes)}`,
        loweringSummary(this.lowered.report),
      ],
    };
  }

  /** What the plan chose per node (kernel names), for tests and reports. */
  plan() {
    return this.session.plan();
  }
}

export class NativeBackend implements Backend {
  readonly name = 'native' as const;
  readonly provider = NATIVE_PROVIDER;
  readonly singleDevice = true;
  readonly compilesGraph = true;

  precisionRefusal(precision: PrecisionName): string | undefined {
    return nativePrecisionRefusal(precision);
  }

  get runtime(): { name: string; version: string } {
    const loaded = tryLoadNativeAddon();
    return { name: 'native', version: 'addon' in loaded ? loaded.addon.version : 'not built' };
  }

  /** Availability: the addon loads, and the ISA path it would choose (STUDIO_NATIVE_ISA or the best) runs here. */
  async detect(): Promise<Availability> {
    const base = { backend: this.name, provider: this.provider };
    const loaded = tryLoadNativeAddon();
    if ('error' in loaded) return { ...base, available: false, kind: 'not-bundled', reason: loaded.error };
    const isa = checkIsa(loaded.addon, undefined);
    if ('reason' in isa) return { ...base, available: false, kind: 'platform', reason: isa.reason };
    return { ...base, available: true };
  }

  /** The loaded addon, or a RefusedError saying why there is none. */
  addon(): NativeAddon {
    const loaded = tryLoadNativeAddon();
    if ('error' in loaded) throw new RefusedError(`native is unavailable on this machine: ${loaded.error}`);
    return loaded.addon;
  }

  async createSession(
    model: Uint8Array,
    config: BackendConfig,
    opts: SessionOptions = {},
  ): Promise<NativeBackendSession> {
    const t0 = performance.now();
    const graph = opts.graph ?? onnxToGraph(model, { name: 'model.onnx' });
    const parseMs = opts.graph ? undefined : performance.now() - t0;
    return this.createGraphSession(graph, config, opts, opts.profileDir !== undefined, parseMs);
  }

  /** A session straight from a studio graph (lowered here, compiled by the addon). */
  async createGraphSession(
    graph: Graph,
    config: Pick<BackendConfig, 'intraOpThreads' | 'isa'>,
    opts: LowerOptions = {},
    profile = false,
    parseMs?: number,
  ): Promise<NativeBackendSession> {
    const addon = this.addon();
    this.checkConfig(addon, config);
    // Refuses (StudioError) an operator outside the native list before anything is compiled.
    const t0 = performance.now();
    const lowered = lowerGraph(graph, opts);
    const lowerMs = performance.now() - t0;
    return this.compile(graph, lowered, config, profile, { parseMs, lowerMs });
  }

  /**
   * A session from an already lowered graph: tests and benchmarks lower once and compile the same
   * desc for several ISA paths or thread counts.
   */
  compile(
    graph: Graph,
    lowered: Lowered,
    config: Pick<BackendConfig, 'intraOpThreads' | 'isa'>,
    profile = false,
    before: Omit<NativeCreationTimes, 'compileMs'> = {},
  ): NativeBackendSession {
    const addon = this.addon();
    const isa = this.checkConfig(addon, config);
    const threads = resolveThreads(config.intraOpThreads);
    let session: NativeSession;
    const t0 = performance.now();
    try {
      session = addon.createSession(lowered.desc, { threads, isa, profile });
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      throw new Error(`the native addon could not compile '${graph.name}': ${msg}`);
    }
    const compileMs = performance.now() - t0;
    return new NativeBackendSession(session, lowered.desc, lowered, graph, profile, { ...before, compileMs });
  }

  /** The ISA path a configuration runs on here, or a RefusedError naming what the CPU lacks. */
  private checkConfig(addon: NativeAddon, config: Pick<BackendConfig, 'isa'>): string {
    const isa = checkIsa(addon, requestedIsa(config));
    if ('reason' in isa)
      throw new RefusedError(`native cannot run the ${requestedIsa(config) ?? 'default'} kernels here: ${isa.reason}`);
    return isa.isa;
  }
}

export type { NativeBackendSession };
