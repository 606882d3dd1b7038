// Where the time of a profiled run goes (issue 18): the runtime's nodes ranked by measured kernel
// time, each beside its MACs, achieved GFLOP/s, arithmetic intensity and position under the
// machine's roofline. Pure: the Results and Models views and the tests call the same function.
//
// Conventions (DESIGN.md "Numbers and their conventions"):
// - FLOPs = 2 x MACs of the graph nodes a runtime node covers (element-wise work is not FLOPs);
//   achieved GFLOP/s = FLOPs / mean kernel time.
// - Bytes moved by a runtime node: the activations it reads from outside the graph nodes it covers,
//   the weights (parameters) of those nodes, and the activations it writes that something outside
//   them reads (or that are graph outputs); a tensor passed inside a fused node (Conv -> BatchNorm ->
//   Relu) is never counted. Each byte once, no cache reuse. Floating-point tensors count at the job's
//   precision (fp32 4 bytes, fp16 2, int8 1), other tensors at their own size. For a single graph
//   node this is the cost model's convention (shared/cost/cost-model.ts).
// - Arithmetic intensity = FLOPs / bytes moved; unknown ("—") where a runtime node matches no graph
//   node (memory copies, layout reorders) or the graph cannot be rebuilt (a file's result).
// - Roofline position: attainable GFLOP/s = min(peak, intensity x bandwidth) with the machine's
//   measured figures for the job's threads (one thread, all threads, or, in between, the one-thread
//   figures times the threads capped at all threads); achieved as a share of attainable; memory-bound
//   below the ridge (peak / bandwidth), compute-bound at or above it. No roofline is ever invented:
//   without a measured one the report says how to get it, and a GPU run is not placed under the CPU's.
import { BACKEND_TRAITS, type BackendName, type JobSpec, type PrecisionName } from '../contract/job.js';
import type { BenchResult } from '../contract/result.js';
import { DTYPE_BYTES, numel, type DType, type Graph, type GraphNode } from '../ir/types.js';
import { buildTarget } from '../targets.js';
import { dispatchOnlyProfile } from './node-map.js';

export const BYTES_CONVENTION =
  'bytes moved = activations read from outside the covered graph nodes + their weights + activations written for outside readers (fused intermediates not counted), at the job precision (fp32 4 B, fp16 2 B, int8 1 B), no cache reuse';

export const NO_ROOFLINE_MESSAGE =
  'No roofline for this machine: measure the roofline on Hardware (or `hw --roofline`) to place these layers under it.';

const FLOAT_DTYPES: ReadonlySet<DType> = new Set(['float32', 'float16', 'float64', 'bfloat16']);
const PRECISION_ELEMENT_BYTES: Record<PrecisionName, number> = { fp32: 4, fp16: 2, int8: 1 };

/** Bytes of one element of a tensor when the job runs at `precision`. */
export function elementBytes(dtype: DType, precision: PrecisionName = 'fp32'): number {
  return FLOAT_DTYPES.has(dtype) ? PRECISION_ELEMENT_BYTES[precision] : DTYPE_BYTES[dtype];
}

export interface Traffic {
  /** Activations read from outside the covered nodes. */
  activationsIn: number;
  /** Parameters of the covered nodes (each tensor once). */
  weights: number;
  /** Activations written for readers outside the covered nodes (or graph outputs). */
  activationsOut: number;
  total: number;
}

/** Indexes of a graph the traffic computations share (built once per graph). */
interface GraphIndex {
  graph: Graph;
  byName: Map<string, GraphNode>;
  consumers: Map<string, GraphNode[]>;
  outputs: Set<string>;
}

const indexes = new WeakMap<Graph, GraphIndex>();
function indexOf(graph: Graph): GraphIndex {
  let ix = indexes.get(graph);
  if (!ix) {
    const consumers = new Map<string, GraphNode[]>();
    for (const n of graph.nodes)
      for (const i of n.inputs) {
        const list = consumers.get(i);
        if (list) list.push(n);
        else consumers.set(i, [n]);
      }
    ix = {
      graph,
      byName: new Map(graph.nodes.map((n) => [n.name, n])),
      consumers,
      outputs: new Set(graph.outputs.map((o) => o.name)),
    };
    indexes.set(graph, ix);
  }
  return ix;
}

/**
 * The bytes a group of graph nodes moves when run as one kernel (BYTES_CONVENTION); undefined when
 * none of the names is a node of the graph.
 */
export function trafficOf(
  graph: Graph,
  nodeNames: readonly string[],
  precision: PrecisionName = 'fp32',
): Traffic | undefined {
  const ix = indexOf(graph);
  const nodes = nodeNames.map((n) => ix.byName.get(n)).filter((n): n is GraphNode => !!n);
  if (nodes.length === 0) return undefined;
  const covered = new Set(nodes);
  const produced = new Set(nodes.flatMap((n) => n.outputs));
  const size = (name: string): number => {
    const v = graph.values.get(name) ?? graph.initializers.get(name);
    return v ? numel(v.shape) * elementBytes(v.dtype, precision) : 0;
  };
  const isActivation = (name: string) => name !== '' && !graph.initializers.has(name) && graph.values.has(name);
  const read = new Set<string>();
  const weights = new Set<string>();
  for (const n of nodes)
    for (const i of n.inputs) {
      if (graph.initializers.get(i)?.role === 'param') weights.add(i);
      else if (isActivation(i) && !produced.has(i)) read.add(i);
    }
  const written = new Set<string>();
  for (const n of nodes)
    for (const o of n.outputs) {
      if (!isActivation(o)) continue;
      const readers = ix.consumers.get(o) ?? [];
      // Read outside the group, a graph output, or read by nobody (written all the same).
      if (ix.outputs.has(o) || readers.length === 0 || readers.some((r) => !covered.has(r))) written.add(o);
    }
  const sum = (names: Set<string>) => [...names].reduce((s, n) => s + size(n), 0);
  const t = { activationsIn: sum(read), weights: sum(weights), activationsOut: sum(written) };
  return { ...t, total: t.activationsIn + t.weights + t.activationsOut };
}

/** Every node of the graph run on its own (the cost model's total of bytes moved), at `precision`. */
export function graphTraffic(graph: Graph, precision: PrecisionName = 'fp32'): number {
  return graph.nodes.reduce((s, n) => s + (trafficOf(graph, [n.name], precision)?.total ?? 0), 0);
}

/**
 * The studio graph a job ran, rebuilt as the worker builds it (the target's parameters, the job's
 * batch): blocks and zoo models only; undefined for a file (its graph lives on disk) or a target
 * that no longer builds.
 */
export function graphOfJob(job: Pick<JobSpec, 'target' | 'batch'>): Graph | undefined {
  const t = job.target;
  if (t.kind === 'file') return undefined;
  const set: Record<string, string> = {};
  for (const [k, v] of Object.entries(t.params)) set[k] = String(v);
  set.batch = String(job.batch);
  try {
    return buildTarget({ target: t.name, set, variant: t.kind === 'model' ? t.variant : undefined });
  } catch {
    return undefined;
  }
}

export interface RooflineFigures {
  /** Peak GFLOP/s for the job's threads. */
  peakGflops: number;
  /** STREAM triad GB/s for the job's threads. */
  bandwidthGBps: number;
  /** Intensity (FLOP/byte) where these figures turn from memory- to compute-bound: peak / bandwidth. */
  ridgeFlopsPerByte: number;
  /** Which figures, in words: "all threads (16)", "one thread", "one thread x 4 (estimate)". */
  basis: string;
  isa: string;
}

/** The machine's roofline for a result's threads, or why there is none to place it under. */
export function rooflineFor(result: BenchResult): { figures: RooflineFigures } | { missing: string } {
  const be = result.job.backend.backend;
  const traits = Object.hasOwn(BACKEND_TRAITS, be) ? BACKEND_TRAITS[be as BackendName] : undefined;
  if (traits?.device === 'gpu')
    return {
      missing: `The measured roofline is the CPU's; this ran on ${be} (a GPU), so its layers are not placed under it.`,
    };
  const rl = result.machine.roofline;
  if (!rl) return { missing: NO_ROOFLINE_MESSAGE };
  const threads = result.job.backend.intraOpThreads;
  let peak: number;
  let bw: number;
  let basis: string;
  if (threads === 1) {
    [peak, bw, basis] = [rl.peakGflops.oneThread, rl.triadGBps.oneThread, 'one thread'];
  } else if (threads === 0 || threads >= rl.threads) {
    [peak, bw] = [rl.peakGflops.allThreads, rl.triadGBps.allThreads];
    basis = `all threads (${rl.threads})`;
  } else {
    peak = Math.min(rl.peakGflops.allThreads, rl.peakGflops.oneThread * threads);
    bw = Math.min(rl.triadGBps.allThreads, rl.triadGBps.oneThread * threads);
    basis = `one thread x ${threads}, capped at all threads (an estimate: measured for 1 and ${rl.threads} threads)`;
  }
  return { figures: { peakGflops: peak, bandwidthGBps: bw, ridgeFlopsPerByte: peak / bw, basis, isa: rl.isa } };
}

export interface RooflinePosition {
  /** min(peak, intensity x bandwidth). */
  attainableGflops: number;
  /** Achieved / attainable (0..1, above 1 when the kernel beats the measured probes). */
  ofAttainable: number;
  bound: 'memory' | 'compute';
}

/** Where a kernel of this intensity and achieved speed sits under the roofline; undefined at intensity 0. */
export function rooflinePosition(
  intensity: number,
  achievedGflops: number,
  roof: Pick<RooflineFigures, 'peakGflops' | 'bandwidthGBps'>,
): RooflinePosition | undefined {
  if (!(intensity > 0) || !(roof.peakGflops > 0) || !(roof.bandwidthGBps > 0)) return undefined;
  const attainableGflops = Math.min(roof.peakGflops, intensity * roof.bandwidthGBps);
  return {
    attainableGflops,
    ofAttainable: achievedGflops / attainableGflops,
    bound: intensity < roof.peakGflops / roof.bandwidthGBps ? 'memory' : 'compute',
  };
}

export interface TopLayer {
  rank: number;
  /** The runtime's node name. */
  name: string;
  op: string;
  provider: string;
  meanUs: number;
  /** meanUs / the sum over every profiled node (0..1). */
  share: number;
  graphNodes: string[];
  macs: number;
  /** 2 x MACs. */
  flops: number;
  /** FLOPs / mean time. */
  gflops: number;
  /** Bytes moved (BYTES_CONVENTION); undefined when unknown. */
  bytes?: number;
  /** FLOPs / bytes; undefined when the bytes are unknown. */
  intensity?: number;
  /** Undefined without a roofline, without bytes, or without FLOPs. */
  roofline?: RooflinePosition;
}

export interface TopLayersReport {
  resultId: string;
  label: string;
  precision: PrecisionName;
  rows: TopLayer[];
  /** Sum of every profiled node's mean time, µs (the shares' denominator). */
  totalUs: number;
  /** Profiled runtime nodes in all. */
  nodeCount: number;
  /** Whether the graph could be rebuilt to count bytes (false for a file's result). */
  bytesKnown: boolean;
  bytesConvention: string;
  roofline?: RooflineFigures;
  /** Why no layer is placed under a roofline (none measured, a GPU run). */
  noRoofline?: string;
  /** A GPU profile that timed kernel launches on the host, not their execution (node-map.ts dispatchOnlyProfile). */
  dispatchOnly?: string;
}

/**
 * The top `limit` runtime nodes of a profiled result by mean kernel time (ties by name), with their
 * share of the total, MACs, achieved GFLOP/s, intensity and roofline position. `graph` is the studio
 * graph the job ran (rebuilt from the job when not given; null: do not rebuild). Undefined when the
 * result carries no per-node timings.
 */
export function topLayers(
  result: BenchResult,
  opts: { limit?: number; graph?: Graph | null } = {},
): TopLayersReport | undefined {
  const nodes = result.nodes ?? [];
  if (nodes.length === 0) return undefined;
  const limit = opts.limit ?? 10;
  const precision = result.job.precision;
  const graph = opts.graph === null ? undefined : (opts.graph ?? graphOfJob(result.job));
  const roof = rooflineFor(result);
  const figures = 'missing' in roof ? undefined : roof.figures;
  const dispatchOnly = dispatchOnlyProfile(result);
  const totalUs = nodes.reduce((s, n) => s + n.meanUs, 0);
  const ranked = [...nodes].sort((a, b) => b.meanUs - a.meanUs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const rows = ranked.slice(0, Math.max(0, limit)).map((n, i): TopLayer => {
    const flops = 2 * n.macs;
    const gflops = n.meanUs > 0 ? flops / (n.meanUs * 1e3) : 0;
    const bytes = graph && n.graphNodes.length ? trafficOf(graph, n.graphNodes, precision)?.total : undefined;
    const intensity = bytes !== undefined && bytes > 0 ? flops / bytes : undefined;
    const position = figures && intensity !== undefined ? rooflinePosition(intensity, gflops, figures) : undefined;
    return {
      rank: i + 1,
      name: n.name,
      op: n.op,
      provider: n.provider,
      meanUs: n.meanUs,
      share: totalUs > 0 ? n.meanUs / totalUs : 0,
      graphNodes: [...n.graphNodes],
      macs: n.macs,
      flops,
      gflops,
      ...(bytes !== undefined ? { bytes } : {}),
      ...(intensity !== undefined ? { intensity } : {}),
      ...(position ? { roofline: position } : {}),
    };
  });
  return {
    resultId: result.id,
    label: result.label,
    precision,
    rows,
    totalUs,
    nodeCount: nodes.length,
    bytesKnown: !!graph,
    bytesConvention: BYTES_CONVENTION,
    ...('missing' in roof ? { noRoofline: roof.missing } : { roofline: roof.figures }),
    ...(dispatchOnly ? { dispatchOnly } : {}),
  };
}
