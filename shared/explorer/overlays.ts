// The numbers laid on the graph explorer (issue 21): one Overlay per measurement, keyed by the studio
// graph's node names, with the rule that turns a group's nodes into the group's value and a legend
// that says how the numbers were made. Pure: the Models view, the exports (node-data.ts, layer-csv.ts)
// and the tests call the same functions.
//
// Measured times come from a profiled result's runtime nodes (result.nodes, joined to the graph by
// shared/stats/node-map.ts). A runtime node that fused several graph nodes (Conv + BatchNorm + Relu)
// has one time: it is put whole on the compute node it covers and its fused followers say 'fused
// into X', so that any group holding the whole fusion sums to exactly the runtime's time. Runtime
// nodes that cover no graph node (layout reorders, memory copies) are reported in the legend's note.
import type { MachineProfile } from '../contract/machine.js';
import type { BenchResult } from '../contract/result.js';
import type { CostReport } from '../cost/cost-model.js';
import * as fmt from '../format.js';
import { topologicalOrder } from '../graph/infer.js';
import { DTYPE_BYTES, StudioError, numel, type Graph } from '../ir/types.js';
import { coreOp, dispatchOnlyProfile, type NodeTiming } from '../stats/node-map.js';
import {
  BYTES_CONVENTION,
  graphOfJob,
  rooflineFor,
  rooflinePosition,
  topLayers,
  type RooflineFigures,
  type TopLayer,
} from '../stats/top-layers.js';
import {
  LayerErrorReportSchema,
  NodeTimeDiffSchema,
  describeIssues,
  type DeltaLabels,
  type LayerErrorEntry,
  type LayerErrorReport,
  type NodeTimeDiff,
} from './layer-error-types.js';
import type { Overlay, OverlayKind, OverlayLegend, OverlayScale } from './overlay-types.js';

export type { DeltaLabels, LayerErrorEntry, LayerErrorReport, NodeTimeDiff } from './layer-error-types.js';

export type MachineRoofline = NonNullable<MachineProfile['roofline']>;

// ---- formatting -------------------------------------------------------------------------------

/** Microseconds for people: "412 µs", "1.20 ms". */
const fmtUs = (us: number): string => (us === 0 ? '0 µs' : fmt.fmtMs(us / 1000));
/** Signed microseconds: "+25.0 µs", "−1.20 ms" (a true minus sign), "0 µs". */
const fmtSignedUs = (us: number): string => (us === 0 ? '0 µs' : `${us > 0 ? '+' : '−'}${fmtUs(Math.abs(us))}`);
/** A value already in percent: "12.3%", "0.42%", "0.0031%". */
function fmtPercent(p: number): string {
  if (!Number.isFinite(p)) return '–';
  if (p === 0) return '0%';
  const a = Math.abs(p);
  return `${a >= 10 ? p.toFixed(1) : a >= 0.1 ? p.toFixed(2) : p.toPrecision(2)}%`;
}
/** A small dimensionless figure (a relative error): "0.0123", "3.40e-4". */
const fmtSmall = (v: number): string =>
  v === 0 ? '0' : Math.abs(v) >= 0.01 && Math.abs(v) < 1000 ? v.toPrecision(3) : v.toExponential(2);

// ---- building blocks --------------------------------------------------------------------------

/** How a model is named in the commands of an empty text: the zoo name, or the file the graph came from. */
const subjectOf = (graph: Pick<Graph, 'name' | 'meta'>): string => graph.meta.source?.name ?? graph.name;

/** "ort-cpu, b1, t1" (with the precision when not fp32): which run the numbers come from. */
function runTag(result: BenchResult): string {
  const j = result.job;
  const threads = j.backend.intraOpThreads ? `t${j.backend.intraOpThreads}` : 't all';
  return `${j.backend.backend}${j.precision !== 'fp32' ? ` ${j.precision}` : ''}, b${j.batch}, ${threads}`;
}

function legendOf(
  scale: OverlayScale,
  format: (v: number) => string,
  rest: Pick<OverlayLegend, 'title' | 'unit' | 'note' | 'categories'>,
): OverlayLegend {
  return {
    ...rest,
    minLabel: format(scale.min),
    maxLabel: format(scale.max),
    ...(scale.kind === 'diverging' ? { midLabel: format(scale.mid ?? 0) } : {}),
  };
}

/** An overlay with nothing to draw: `empty` says what to run to get its data. */
function emptyOverlay(
  kind: OverlayKind,
  name: string,
  title: string,
  unit: string,
  empty: string,
  format: (v: number) => string,
): Overlay {
  const scale: OverlayScale = { kind: kind === 'delta' ? 'diverging' : 'sequential', min: 0, max: 1 };
  if (kind === 'delta') scale.mid = 0;
  return {
    kind,
    name,
    legend: { title, unit, minLabel: '', maxLabel: '', note: empty },
    scale,
    values: new Map(),
    groupValue: () => undefined,
    format,
    empty,
  };
}

/** A sequential scale over the values: linear from `min`, or log10 from the smallest positive value. */
function sequentialScale(
  values: Iterable<number>,
  o: { log?: boolean; min?: number; atLeast?: number } = {},
): OverlayScale {
  let lo = Infinity;
  let loPositive = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
    if (v > 0) loPositive = Math.min(loPositive, v);
  }
  hi = Math.max(hi, o.atLeast ?? -Infinity);
  if (o.log && Number.isFinite(loPositive) && hi > loPositive)
    return { kind: 'sequential', min: loPositive, max: hi, log: true };
  const min = o.min ?? (Number.isFinite(lo) ? lo : 0);
  return { kind: 'sequential', min, max: hi > min ? hi : min + 1 };
}

const addTo = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
const pushTo = <T>(m: Map<string, T[]>, k: string, v: T) => {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
};

// ---- profiled results: runtime nodes on graph nodes ---------------------------------------------

/** A runtime node placed on the graph: the node carrying its time and the nodes fused into it. */
interface Placed {
  runtime: NodeTiming;
  /** The graph node its whole time is attributed to. */
  carrier: string;
  /** The other graph nodes it covers (their time is the carrier's). */
  followers: string[];
}

interface Attribution {
  placed: Placed[];
  /** Runtime nodes that cover no graph node (reorders, copies). */
  runtimeOnly: NodeTiming[];
  /** Runtime nodes whose graph nodes are none of this graph's (another model or variant). */
  foreign: NodeTiming[];
  /** Sum of every profiled runtime node's mean time, µs (the shares' denominator, as top-layers). */
  totalUs: number;
  /** Graph nodes no runtime node covers (folded away by the runtime, or not joined). */
  uncovered: string[];
  /** Graph node -> runtime nodes it is a follower of. */
  fusedInto: Map<string, Placed[]>;
  /** Graph node -> runtime nodes it carries. */
  carried: Map<string, Placed[]>;
}

function attribute(graph: Graph, nodes: readonly NodeTiming[]): Attribution {
  const inGraph = new Set(graph.nodes.map((n) => n.name));
  const opOf = new Map(graph.nodes.map((n) => [n.name, n.op]));
  const placed: Placed[] = [];
  const runtimeOnly: NodeTiming[] = [];
  const foreign: NodeTiming[] = [];
  const fusedInto = new Map<string, Placed[]>();
  const carried = new Map<string, Placed[]>();
  for (const rt of nodes) {
    const covered = rt.graphNodes.filter((g) => inGraph.has(g));
    if (rt.graphNodes.length === 0) runtimeOnly.push(rt);
    else if (covered.length === 0) foreign.push(rt);
    if (covered.length === 0) continue;
    // The compute node: the covered node of the runtime operator's core type (FusedConv -> Conv),
    // else the first one (node-map lists the compute node first, then what was fused after it).
    const op = coreOp(rt.op);
    const carrier = covered.find((g) => opOf.get(g) === op) ?? covered[0];
    const p: Placed = { runtime: rt, carrier, followers: covered.filter((g) => g !== carrier) };
    placed.push(p);
    pushTo(carried, carrier, p);
    for (const f of p.followers) pushTo(fusedInto, f, p);
  }
  const touched = new Set([...carried.keys(), ...fusedInto.keys()]);
  return {
    placed,
    runtimeOnly,
    foreign,
    totalUs: nodes.reduce((s, n) => s + n.meanUs, 0),
    uncovered: graph.nodes.map((n) => n.name).filter((n) => !touched.has(n)),
    fusedInto,
    carried,
  };
}

/** Why a result gives no per-node numbers (undefined when it does), naming the command that would. */
function noProfile(graph: Graph, result: BenchResult | undefined, what: string): string | undefined {
  const subject = subjectOf(graph);
  const how = `run \`bench ${subject} --profile\` (or Benchmark with Profile on) to see ${what}`;
  if (!result) return `No profiled run of ${subject} yet: ${how}`;
  if (result.status !== 'ok')
    return `The run ${result.label} ${result.status === 'failed' ? 'failed' : 'was cancelled'}: ${how}`;
  if (!result.nodes?.length) return `The run ${result.label} was not profiled: ${how}`;
  return undefined;
}

/** Why no runtime node lands on this graph (undefined when some do): another model's run, or an unjoined profile. */
function foreignOnly(a: Attribution, graph: Graph, result: BenchResult): string | undefined {
  // Zoo models share node names (conv1, head/...): a run of another model would half match, so
  // the run's target is compared with the graph's source first.
  const t = result.job.target;
  const src = graph.meta.source;
  if (t.kind !== 'file' && src && src.kind !== 'file') {
    const ran = `${t.name}${t.kind === 'model' && t.variant ? ` (${t.variant})` : ''}`;
    if (
      t.name !== src.name ||
      (t.kind === 'model' && t.variant && graph.meta.variant && t.variant !== graph.meta.variant)
    )
      return `The profiled run ${result.label} ran ${ran}, not this graph (${src.name}${graph.meta.variant ? ` (${graph.meta.variant})` : ''}): open ${t.name}, or profile this one with \`bench ${subjectOf(graph)} --profile\``;
  }
  if (a.placed.length > 0) return undefined;
  if (a.foreign.length > 0)
    return `The profiled run ${result.label} names none of the nodes of ${graph.name} (it ran another model or variant): open that model, or profile this one with \`bench ${subjectOf(graph)} --profile\``;
  return `The profile of ${result.label} could not be joined to the graph's nodes (its ${a.runtimeOnly.length} runtime nodes match none): only its total time is known`;
}

/** "12 runtime-only nodes (ReorderInput 6, ReorderOutput 6): 0.80 ms not on any node". */
function runtimeOnlyNote(a: Attribution): string | undefined {
  const parts: string[] = [];
  if (a.runtimeOnly.length) {
    const byOp = new Map<string, number>();
    for (const n of a.runtimeOnly) addTo(byOp, n.op, 1);
    const ops = [...byOp].map(([op, k]) => `${op} ${k}`).join(', ');
    const us = a.runtimeOnly.reduce((s, n) => s + n.meanUs, 0);
    parts.push(
      `${a.runtimeOnly.length} runtime-only node${a.runtimeOnly.length === 1 ? '' : 's'} (${ops}): ${fmtUs(us)} not on any node`,
    );
  }
  if (a.foreign.length) {
    const us = a.foreign.reduce((s, n) => s + n.meanUs, 0);
    parts.push(`${a.foreign.length} runtime node(s) of graph nodes not in this graph: ${fmtUs(us)} not shown`);
  }
  return parts.length ? parts.join('; ') : undefined;
}

const describeRuntime = (p: Placed[]): string =>
  p.map((x) => `${x.runtime.op} '${x.runtime.name}'`).join(' + ') +
  (p.length > 1 ? ` (${p.length} runtime nodes)` : '');

const fusedDetail = (p: Placed[]): string =>
  `fused into ${p.map((x) => `${x.carrier} (${x.runtime.op} '${x.runtime.name}')`).join(', ')}: its time is counted there`;

// ---- MACs ---------------------------------------------------------------------------------------

/** Each node's share of the graph's MACs, percent; a group sums its nodes. */
export function macsOverlay(cost: CostReport): Overlay {
  const format = fmtPercent;
  const total = cost.totals.macs;
  if (!(total > 0))
    return emptyOverlay(
      'macs',
      'MACs',
      'share of MACs',
      '%',
      `${cost.graph} has no Conv, Gemm or MatMul: it has no MACs to share out (element-wise work is counted apart, in the cost table)`,
      format,
    );
  const values = new Map<string, number>();
  const details = new Map<string, string>();
  for (const l of cost.layers) {
    const share = (100 * l.macs) / total;
    values.set(l.name, share);
    details.set(
      l.name,
      l.macs > 0
        ? `${fmt.macs(l.macs)} MACs (${format(share)} of ${fmt.macs(total)}), ${fmt.macs(l.flops)} FLOPs`
        : `no MACs${l.elementwiseOps > 0 ? ` (${fmt.macs(l.elementwiseOps)} element-wise ops)` : ''}${l.known ? '' : '; operator unknown to the cost model'}`,
    );
  }
  const scale = sequentialScale(values.values(), { min: 0 });
  return {
    kind: 'macs',
    name: 'MACs',
    legend: legendOf(scale, format, {
      title: 'share of MACs',
      unit: '%',
      note: `multiply-accumulates of Conv, Gemm and MatMul as a share of ${fmt.macs(total)} (FLOPs = 2 x MACs; element-wise work is not counted); a group sums its nodes`,
    }),
    scale,
    values,
    details,
    groupValue: (members) => sumOf(values, members),
    format,
  };
}

/** Sum of the members' values; undefined when none has one. */
function sumOf(values: ReadonlyMap<string, number>, members: readonly string[]): number | undefined {
  let s = 0;
  let any = false;
  for (const m of members) {
    const v = values.get(m);
    if (v !== undefined) {
      s += v;
      any = true;
    }
  }
  return any ? s : undefined;
}

// ---- measured time --------------------------------------------------------------------------------

/**
 * Measured mean kernel time per graph node, µs, from a profiled result (ORT CPU, native, WebGPU: its
 * `nodes`). A fused runtime node's whole time is on its compute node; its followers have no value
 * and say 'fused into X'. A group sums its nodes: exact for a group holding whole fusions.
 */
export function timeOverlay(graph: Graph, cost: CostReport, result: BenchResult | undefined): Overlay {
  const format = fmtUs;
  const missing = noProfile(graph, result, 'measured time per node');
  if (missing || !result) return emptyOverlay('time', 'Time', 'measured time per node', 'µs', missing ?? '', format);
  const a = attribute(graph, result.nodes ?? []);
  const foreign = foreignOnly(a, graph, result);
  if (foreign) return emptyOverlay('time', 'Time', 'measured time per node', 'µs', foreign, format);

  const values = new Map<string, number>();
  for (const p of a.placed) addTo(values, p.carrier, p.runtime.meanUs);
  const macsOf = new Map(cost.layers.map((l) => [l.name, l.macs]));
  const share = (us: number) => (a.totalUs > 0 ? fmtPercent((100 * us) / a.totalUs) : '–');
  const details = new Map<string, string>();
  for (const [node, us] of values) {
    const p = a.carried.get(node)!;
    const fused = [...new Set(p.flatMap((x) => x.followers))];
    const macs = p.reduce((s, x) => s + x.runtime.macs, 0) || (macsOf.get(node) ?? 0);
    details.set(
      node,
      `${fmtUs(us)}, ${share(us)} of the profiled ${fmtUs(a.totalUs)}; ${describeRuntime(p)}` +
        (fused.length ? `, with ${fused.join(', ')} fused in` : '') +
        (macs > 0 ? `; ${fmt.macs(macs)} MACs` : ''),
    );
  }
  for (const [node, p] of a.fusedInto) if (!values.has(node)) details.set(node, fusedDetail(p));
  const inProfile = new Set([...a.carried.keys(), ...a.fusedInto.keys()]);

  const scale = sequentialScale(values.values(), { log: true });
  const dispatchOnly = dispatchOnlyProfile(result);
  const notes = [
    dispatchOnly,
    `mean kernel time of each runtime node, as a share of the ${fmtUs(a.totalUs)} profiled over ${(result.nodes ?? []).length} runtime nodes`,
    `a fused runtime node's whole time is on its compute node (its followers say 'fused into'), so a group holding the whole fusion sums exactly`,
    runtimeOnlyNote(a),
    a.uncovered.length
      ? `${a.uncovered.length} graph node(s) ran in no runtime node (folded away by the runtime, or not joined)`
      : undefined,
    'log scale; a group sums its nodes',
  ];
  return {
    kind: 'time',
    name: 'Time',
    legend: legendOf(scale, format, {
      title: `${dispatchOnly ? 'host dispatch time per node, not GPU time' : 'measured time per node'} (${runTag(result)})`,
      unit: 'µs',
      note: notes.filter(Boolean).join('; '),
    }),
    scale,
    values,
    details,
    // A group of fused followers only holds no time of its own: 0, not "no data".
    groupValue: (members) => sumOf(values, members) ?? (members.some((m) => inProfile.has(m)) ? 0 : undefined),
    format,
  };
}

// ---- achieved GFLOP/s and the roofline --------------------------------------------------------------

/** Runtime rows (top-layers') summed: a node's or a group's FLOPs, time and bytes. */
interface Summed {
  flops: number;
  us: number;
  bytes: number | undefined;
  rows: TopLayer[];
}

function sumRows(rows: readonly TopLayer[]): Summed {
  let flops = 0;
  let us = 0;
  let bytes: number | undefined = 0;
  for (const r of rows) {
    flops += r.flops;
    us += r.meanUs;
    bytes = bytes === undefined || r.bytes === undefined ? undefined : bytes + r.bytes;
  }
  return { flops, us, bytes, rows: [...rows] };
}

/** Achieved GFLOP/s as top-layers computes it: FLOPs over the mean time (0 for a 0 µs kernel). */
const achieved = (s: Pick<Summed, 'flops' | 'us'>) => (s.us > 0 ? s.flops / (s.us * 1e3) : 0);

/**
 * The rows of a profiled result (all of them, as top-layers computes them: bytes from the graph the
 * job ran) grouped by the graph node that carries each runtime node's time. `graph` stands in for
 * the job's graph when that cannot be rebuilt (a file), if its batch is the job's.
 */
function profiledRows(graph: Graph, result: BenchResult): { rows: Map<string, TopLayer[]>; bytesKnown: boolean } {
  const jobGraph = graphOfJob(result.job) ?? (graph.inputs[0]?.shape[0] === result.job.batch ? graph : undefined);
  const report = topLayers(result, { limit: Number.POSITIVE_INFINITY, graph: jobGraph ?? null })!;
  // top-layers orders its rows by time: take each runtime node's row back by its name (unique in a
  // profile; should one repeat, by its time and graph nodes too).
  const pool = new Map<string, TopLayer[]>();
  for (const r of report.rows) pushTo(pool, r.name, r);
  const rows = new Map<string, TopLayer[]>();
  for (const p of attribute(graph, result.nodes ?? []).placed) {
    const list = pool.get(p.runtime.name) ?? [];
    const i = list.findIndex(
      (r) => r.meanUs === p.runtime.meanUs && r.graphNodes.join('\n') === p.runtime.graphNodes.join('\n'),
    );
    if (i >= 0) pushTo(rows, p.carrier, list.splice(i, 1)[0]);
  }
  return { rows, bytesKnown: report.bytesKnown };
}

/** Members' rows, each runtime node once. */
function rowsOf(rows: ReadonlyMap<string, TopLayer[]>, members: readonly string[]): TopLayer[] {
  return [...new Set(members)].flatMap((m) => rows.get(m) ?? []);
}

/**
 * Achieved GFLOP/s per graph node (2 x MACs of the graph nodes a runtime node covers over its mean
 * time), on the node carrying the runtime node's time. A group: its summed FLOPs over its summed time.
 */
export function gflopsOverlay(graph: Graph, _cost: CostReport, result: BenchResult | undefined): Overlay {
  const format = (v: number) => fmt.gflops(v);
  const missing = noProfile(graph, result, 'achieved GFLOP/s per node');
  if (missing || !result)
    return emptyOverlay('gflops', 'GFLOP/s', 'achieved GFLOP/s per node', 'GFLOP/s', missing ?? '', format);
  const a = attribute(graph, result.nodes ?? []);
  const foreign = foreignOnly(a, graph, result);
  if (foreign) return emptyOverlay('gflops', 'GFLOP/s', 'achieved GFLOP/s per node', 'GFLOP/s', foreign, format);
  const dispatchOnly = dispatchOnlyProfile(result);
  if (dispatchOnly)
    return emptyOverlay(
      'gflops',
      'GFLOP/s',
      'achieved GFLOP/s per node',
      'GFLOP/s',
      `${dispatchOnly}: no achieved GFLOP/s per node can be computed from them (the run's whole-model GFLOP/s is in Results)`,
      format,
    );
  const { rows } = profiledRows(graph, result);
  const values = new Map<string, number>();
  const details = new Map<string, string>();
  for (const [node, r] of rows) {
    const s = sumRows(r);
    if (s.flops > 0) {
      values.set(node, achieved(s));
      details.set(
        node,
        `${format(achieved(s))}: ${fmt.macs(s.flops)} FLOPs in ${fmtUs(s.us)}; ${describeRuntime(a.carried.get(node)!)}`,
      );
    } else details.set(node, `no FLOPs (element-wise work only), ${fmtUs(s.us)}`);
  }
  for (const [node, p] of a.fusedInto) if (!details.has(node)) details.set(node, fusedDetail(p));
  const scale = sequentialScale(values.values(), { min: 0 });
  return {
    kind: 'gflops',
    name: 'GFLOP/s',
    legend: legendOf(scale, format, {
      title: `achieved GFLOP/s per node (${runTag(result)})`,
      unit: 'GFLOP/s',
      note:
        'achieved = 2 x MACs of the graph nodes a runtime node covers / its mean kernel time, on the compute node that carries its time; ' +
        'element-wise nodes have no FLOPs and no value; a group: its summed FLOPs over its summed time',
    }),
    scale,
    values,
    details,
    groupValue: (members) => {
      const s = sumRows(rowsOf(rows, members));
      return s.rows.length && s.us > 0 ? achieved(s) : undefined;
    },
    format,
  };
}

/** Where a sum of runtime rows sits under the roofline (undefined without FLOPs or bytes). */
function positionOf(s: Summed, roof: RooflineFigures) {
  if (!(s.flops > 0) || !(s.bytes !== undefined && s.bytes > 0)) return undefined;
  const intensity = s.flops / s.bytes;
  const gflops = achieved(s);
  const position = rooflinePosition(intensity, gflops, roof);
  return position && { ...position, intensity, gflops };
}

/**
 * Achieved GFLOP/s per node as a percentage of what the machine's roofline allows at the node's
 * arithmetic intensity, for the job's threads (top-layers' figures, exactly); categories memory- and
 * compute-bound. A GPU run is never placed under the CPU's roofline. A group: its summed FLOPs over
 * its summed time against the attainable of its summed FLOPs and bytes.
 *
 * `kept`: this machine's kept roofline, for a result saved before it was measured (a result carries
 * the roofline of the machine that ran it, and that one always wins). Given as this machine's
 * profile, it is used only for a result of the same CPU (brand, cores, threads); given as bare
 * figures, the caller vouches that the result ran here.
 */
export function rooflineOverlay(
  graph: Graph,
  _cost: CostReport,
  result: BenchResult | undefined,
  kept?: MachineRoofline | MachineProfile,
): Overlay {
  const format = fmtPercent;
  const title = 'share of the attainable GFLOP/s (roofline)';
  const missing = noProfile(graph, result, 'each layer under the roofline');
  if (missing || !result) return emptyOverlay('roofline', 'Roofline', title, '%', missing ?? '', format);
  let withRoof = result;
  if (kept && !result.machine.roofline) {
    if ('cpu' in kept) {
      const [mine, theirs] = [kept.cpu, result.machine.cpu];
      const same =
        mine.brand === theirs.brand && mine.physicalCores === theirs.physicalCores && mine.threads === theirs.threads;
      if (!same)
        return emptyOverlay(
          'roofline',
          'Roofline',
          title,
          '%',
          `This run was measured on ${theirs.brand} (${theirs.physicalCores} cores), without a roofline; the roofline kept here is ${mine.brand}'s (${mine.physicalCores} cores): measure the roofline on the machine that ran it (\`hw --roofline\`) and benchmark again`,
          format,
        );
    }
    const roofline = 'cpu' in kept ? kept.roofline : kept;
    if (roofline) withRoof = { ...result, machine: { ...result.machine, roofline } };
  }
  const roof = rooflineFor(withRoof);
  if ('missing' in roof) return emptyOverlay('roofline', 'Roofline', title, '%', roof.missing, format);
  const figures = roof.figures;
  const a = attribute(graph, result.nodes ?? []);
  const foreign = foreignOnly(a, graph, result);
  if (foreign) return emptyOverlay('roofline', 'Roofline', title, '%', foreign, format);
  const { rows, bytesKnown } = profiledRows(graph, withRoof);
  if (!bytesKnown)
    return emptyOverlay(
      'roofline',
      'Roofline',
      title,
      '%',
      `The bytes each layer moves need the graph this run ran (batch ${result.job.batch}); the graph shown is another batch: open ${subjectOf(graph)} at batch ${result.job.batch}`,
      format,
    );

  const values = new Map<string, number>();
  const categories = new Map<string, string>();
  const details = new Map<string, string>();
  for (const [node, r] of rows) {
    const s = sumRows(r);
    const pos = positionOf(s, figures);
    const what = describeRuntime(a.carried.get(node)!);
    if (!pos) {
      details.set(
        node,
        `${s.flops > 0 ? 'bytes unknown' : 'no FLOPs (element-wise)'}: not placed under the roofline; ${fmtUs(s.us)}, ${what}`,
      );
      continue;
    }
    values.set(node, 100 * pos.ofAttainable);
    categories.set(node, pos.bound);
    details.set(
      node,
      `${fmt.gflops(pos.gflops)} achieved of ${fmt.gflops(pos.attainableGflops)} attainable (${format(100 * pos.ofAttainable)}), ` +
        `intensity ${fmt.intensity(pos.intensity)} FLOP/B, ${pos.bound}-bound; ${fmtUs(s.us)}, ${what}`,
    );
  }
  for (const [node, p] of a.fusedInto) if (!details.has(node)) details.set(node, fusedDetail(p));
  const scale = sequentialScale(values.values(), { min: 0, atLeast: 100 });
  return {
    kind: 'roofline',
    name: 'Roofline',
    legend: legendOf(scale, format, {
      title: `${title} (${runTag(result)})`,
      unit: '%',
      note:
        `achieved (2 x MACs / mean kernel time) over attainable = min(peak, intensity x bandwidth) for ${figures.basis}, ${figures.isa}: ` +
        `peak ${fmt.gflops(figures.peakGflops)}, triad ${fmt.gbps(figures.bandwidthGBps)}, ridge ${fmt.intensity(figures.ridgeFlopsPerByte)} FLOP/B; ` +
        `bytes: ${BYTES_CONVENTION}; a fused runtime node sits on its compute node; a group: its summed FLOPs over its summed time, ` +
        `against the attainable of its summed FLOPs and bytes; a GPU run is never placed under the CPU's roofline`,
      categories: [
        { key: 'memory', label: 'memory-bound' },
        { key: 'compute', label: 'compute-bound' },
      ],
    }),
    scale,
    values,
    categories,
    details,
    groupValue: (members) => {
      const pos = positionOf(sumRows(rowsOf(rows, members)), figures);
      return pos ? 100 * pos.ofAttainable : undefined;
    },
    groupCategory: (members) => positionOf(sumRows(rowsOf(rows, members)), figures)?.bound,
    format,
  };
}

// ---- activation memory and liveness -------------------------------------------------------------

export interface LivenessStep {
  node: string;
  /** 0-based position in the topological order. */
  step: number;
  /** Bytes of the node's activation outputs. */
  outputBytes: number;
  /** Activation bytes live while the node runs: its outputs and every tensor still to be read. */
  liveBytes: number;
  /** Tensors live while it runs. */
  liveTensors: number;
}

/**
 * Live activation bytes at each node's step, nodes in the graph's topological order: the cost
 * model's convention (shared/cost/cost-model.ts peakLiveBytes), so the largest step is its
 * peakActivationBytes. A tensor lives from the node that produces it to its last reader (graph
 * inputs from the start, graph outputs to the end, an output nobody reads only at its own step);
 * at a step the node's outputs are live together with its inputs. Weights are not activations.
 */
export function livenessSteps(graph: Graph): LivenessStep[] {
  const order = topologicalOrder(graph);
  const isActivation = (t: string) => t !== '' && !graph.initializers.has(t) && graph.values.has(t);
  const bytesOf = (t: string) => {
    const v = graph.values.get(t);
    return v ? numel(v.shape) * DTYPE_BYTES[v.dtype] : 0;
  };
  const lastUse = new Map<string, number>();
  order.forEach((n, i) => n.inputs.forEach((t) => isActivation(t) && lastUse.set(t, i)));
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const live = new Set<string>(graph.inputs.map((i) => i.name).filter((t) => graph.values.has(t)));
  let liveBytes = [...live].reduce((s, t) => s + bytesOf(t), 0);
  return order.map((node, i) => {
    const outs = node.outputs.filter(isActivation);
    for (const o of outs)
      if (!live.has(o)) {
        live.add(o);
        liveBytes += bytesOf(o);
      }
    const step: LivenessStep = {
      node: node.name,
      step: i,
      outputBytes: outs.reduce((s, o) => s + bytesOf(o), 0),
      liveBytes,
      liveTensors: live.size,
    };
    for (const t of [...node.inputs, ...outs])
      if (live.has(t) && !outputs.has(t) && (lastUse.get(t) ?? i) <= i) {
        live.delete(t);
        liveBytes -= bytesOf(t);
      }
    return step;
  });
}

/**
 * Live activation bytes at the step each node runs (the liveness of livenessSteps), with its output
 * bytes in the details; the peak step named in the legend. A group: the largest live bytes over its
 * nodes' steps (the memory it needs), not a sum.
 */
export function memoryOverlay(graph: Graph, cost: CostReport): Overlay {
  const format = (v: number) => fmt.bytes(v);
  const steps = livenessSteps(graph);
  if (steps.length === 0)
    return emptyOverlay(
      'memory',
      'Memory',
      'live activation memory per step',
      'B',
      `${graph.name} has no nodes`,
      format,
    );
  const values = new Map<string, number>();
  const details = new Map<string, string>();
  let peak = steps[0];
  for (const s of steps) {
    values.set(s.node, s.liveBytes);
    if (s.liveBytes > peak.liveBytes) peak = s;
    details.set(
      s.node,
      `${format(s.liveBytes)} live in ${s.liveTensors} tensor${s.liveTensors === 1 ? '' : 's'} at step ${s.step + 1} of ${steps.length}; output ${format(s.outputBytes)}`,
    );
  }
  const costPeak = cost.totals.peakActivationBytes;
  const agrees = costPeak === peak.liveBytes;
  const scale = sequentialScale(values.values());
  return {
    kind: 'memory',
    name: 'Memory',
    legend: legendOf(scale, format, {
      title: 'live activation memory at each node',
      unit: 'B',
      note:
        `peak ${format(peak.liveBytes)} at ${peak.node} (step ${peak.step + 1} of ${steps.length})` +
        (agrees
          ? ", the cost model's peak activation"
          : `; the cost report given says ${format(costPeak)}: it is another graph's`) +
        `; live = activations produced and not yet read by their last reader, nodes in topological order, graph inputs included, ` +
        `weights excluded, at the graph's own dtypes; a group shows its largest step, not a sum`,
    }),
    scale,
    values,
    details,
    groupValue: (members) => {
      let best: number | undefined;
      for (const m of members) {
        const v = values.get(m);
        if (v !== undefined && (best === undefined || v > best)) best = v;
      }
      return best;
    },
    format,
  };
}

// ---- numerical error of a lower precision -----------------------------------------------------------

export interface ErrorOverlayMeta {
  /** The studio graph the error was measured on (its topology finds where the error jumps). */
  graph: Graph;
  /** For the empty text when there is no data: the model and precision. */
  model?: string;
  precision?: 'fp16' | 'int8';
  /** What to run to get the data, when the default sentence is not right. */
  howToMeasure?: string;
}

/** What to run for per-node error data (the precision comparison with per-node error). */
export const layerErrorHint = (model: string, precision: 'fp16' | 'int8' | undefined): string =>
  `run \`precision error ${model} --precision ${precision ?? 'int8'}\` (fp16 or int8) to see where the error of the lower precision grows`;

export interface ErrorJump {
  node: string;
  /** The node's relative RMS error minus the largest error reaching it through its inputs. */
  increase: number;
  inputError: number;
}

/**
 * The node where the error first jumps: the largest increase of a node's relative RMS error over the
 * error reaching it (the worst measured producer behind each of its inputs; graph inputs carry none).
 * Ties go to the earlier node in topological order.
 */
export function errorJump(graph: Graph, worst: ReadonlyMap<string, number>): ErrorJump | undefined {
  const producer = new Map<string, string>();
  for (const n of graph.nodes) for (const o of n.outputs) producer.set(o, n.name);
  const reaching = new Map<string, number>();
  let jump: ErrorJump | undefined;
  for (const n of topologicalOrder(graph)) {
    let inputError = 0;
    for (const t of n.inputs) {
      const p = producer.get(t);
      if (p !== undefined) inputError = Math.max(inputError, worst.get(p) ?? reaching.get(p) ?? 0);
    }
    reaching.set(n.name, inputError);
    const e = worst.get(n.name);
    if (e !== undefined && (!jump || e - inputError > jump.increase))
      jump = { node: n.name, increase: e - inputError, inputError };
  }
  return jump;
}

/**
 * Numerical error of an fp16 / int8 variant per node against fp32: the relative RMS error of the
 * node's output (its worst output tensor), log scale; a group shows its worst node. Throws a
 * StudioError naming the field when the data is malformed.
 */
export function errorOverlay(perNodeError: LayerErrorReport | undefined, meta: ErrorOverlayMeta): Overlay {
  const format = fmtSmall;
  const parsed = perNodeError === undefined ? undefined : LayerErrorReportSchema.safeParse(perNodeError);
  if (parsed && !parsed.success)
    throw new StudioError(
      `the per-node error data of ${meta.model ?? subjectOf(meta.graph)} is malformed (${describeIssues(parsed.error)}): re-run the precision comparison`,
      'bad-input',
    );
  const data = parsed?.data;
  const precision = data?.precision ?? meta.precision;
  const name = `${precision ?? 'precision'} error`;
  const title = `relative RMS error per node${precision ? `, ${precision} against fp32` : ''}`;
  const model = data?.model ?? meta.model ?? subjectOf(meta.graph);
  if (!data || data.nodes.length === 0)
    return emptyOverlay(
      'error',
      name,
      title,
      'relative RMS',
      `No per-node ${precision ?? 'fp16 or int8'} error of ${model} yet: ${meta.howToMeasure ?? layerErrorHint(model, precision)}`,
      format,
    );
  // The producer names the model as the target was given ("resnet50 (keras)", "bottleneck:mid=32"):
  // compare the name before its parameters and variant.
  const src = meta.graph.meta.source;
  const dataName = data.model.split(/[:\s(]/)[0];
  if (src && src.kind !== 'file' && dataName !== src.name && dataName !== meta.graph.name)
    return emptyOverlay(
      'error',
      name,
      title,
      'relative RMS',
      `The per-node error data is ${data.model}'s, not this graph's (${src.name}): open ${data.model}, or ${layerErrorHint(src.name, precision)}`,
      format,
    );
  const inGraph = new Set(meta.graph.nodes.map((n) => n.name));
  const worstEntry = new Map<string, LayerErrorEntry>();
  const notInGraph = new Set<string>();
  for (const e of data.nodes) {
    if (!inGraph.has(e.node)) {
      notInGraph.add(e.node);
      continue;
    }
    const prev = worstEntry.get(e.node);
    if (!prev || e.relRms > prev.relRms) worstEntry.set(e.node, e);
  }
  if (worstEntry.size === 0)
    return emptyOverlay(
      'error',
      name,
      title,
      'relative RMS',
      `The per-node error data names none of the nodes of ${meta.graph.name} (it is ${data.model}'s): open ${data.model}, or ${layerErrorHint(subjectOf(meta.graph), precision)}`,
      format,
    );
  const values = new Map([...worstEntry].map(([n, e]) => [n, e.relRms]));
  // The producer's jump when it gives one (it knows which tensors were stored at reduced precision;
  // a node left in float only passes its inputs' error on), else the largest increase over the inputs.
  const given = data.jump && inGraph.has(data.jump.node) ? data.jump : undefined;
  const jump: ErrorJump | undefined = given
    ? { node: given.node, increase: given.relRms - given.inputRelRms, inputError: given.inputRelRms }
    : errorJump(meta.graph, values);
  const details = new Map<string, string>();
  for (const [n, e] of worstEntry)
    details.set(
      n,
      `rel. RMS ${format(e.relRms)}, max |Δ| ${format(e.maxAbs)}, cosine ${e.cosine.toFixed(6)}, SNR ${e.snrDb.toFixed(1)} dB (tensor ${e.tensor})` +
        (jump?.node === n
          ? `; the largest jump: +${format(jump.increase)} over its inputs' ${format(jump.inputError)}`
          : ''),
    );
  const scale = sequentialScale(values.values(), { log: true });
  const notes = [
    `||${precision} - fp32|| / ||fp32|| of each node's output` +
      (data.inputs ? `, on ${data.inputs}` : data.metric !== 'relRms' ? ` (${data.metric})` : ''),
    data.skipped?.length
      ? `${data.skipped.length} tensor(s) not compared (${data.skipped[0].reason}${data.skipped.length > 1 ? ', ...' : ''})`
      : undefined,
    jump
      ? `the error first jumps at ${jump.node} (+${format(jump.increase)} over its inputs' ${format(jump.inputError)})`
      : undefined,
    notInGraph.size ? `${notInGraph.size} node(s) of the data are not in this graph` : undefined,
    'log scale; a group shows its worst node',
  ];
  return {
    kind: 'error',
    name,
    legend: legendOf(scale, format, { title, unit: 'relative RMS', note: notes.filter(Boolean).join('; ') }),
    scale,
    values,
    details,
    groupValue: (members) => {
      let worst: number | undefined;
      for (const m of members) {
        const v = values.get(m);
        if (v !== undefined && (worst === undefined || v > worst)) worst = v;
      }
      return worst;
    },
    format,
  };
}

// ---- the difference of two runs ---------------------------------------------------------------------

/**
 * B - A per graph node, µs (a difference, not a ratio: differences add up, so a group's value is the
 * sum of its nodes' and the whole graph's is the difference of the totals; a ratio has no value for a
 * node that took 0 µs). Diverging around 0: negative where B is faster.
 */
export function deltaOverlay(diffByNode: readonly NodeTimeDiff[] | undefined, labels: DeltaLabels): Overlay {
  const format = fmtSignedUs;
  const title = `time per node, ${labels.b} − ${labels.a}`;
  const model = labels.model ?? 'this model';
  if (!diffByNode || diffByNode.length === 0)
    return emptyOverlay(
      'delta',
      'Δ time',
      title,
      'µs',
      `No node-matched difference yet: profile two runs of ${model} (\`bench ${model} --profile\`, on each backend or build to compare) and compare them node by node`,
      format,
    );
  const values = new Map<string, number>();
  const details = new Map<string, string>();
  const seen = new Set<string>();
  // Rows of one unit carry the unit's time: it is counted once, on the node named like the unit (its
  // compute node, as the Time overlay's carrier) or else the unit's first row; the others say so.
  const units = new Map<string, { aUs: number; bUs: number; rows: string[] }>();
  const rows = diffByNode.map((row, i) => {
    const parsed = NodeTimeDiffSchema.safeParse(row);
    if (!parsed.success)
      throw new StudioError(`node-matched difference, row ${i}: ${describeIssues(parsed.error)}`, 'bad-input');
    const r = parsed.data;
    if (seen.has(r.node))
      throw new StudioError(
        `node-matched difference: node '${r.node}' appears twice; each graph node must have one row (sum its runtime nodes first)`,
        'bad-input',
      );
    seen.add(r.node);
    if (r.unit !== undefined) {
      const u = units.get(r.unit);
      if (!u) units.set(r.unit, { aUs: r.aUs, bUs: r.bUs, rows: [r.node] });
      else if (u.aUs !== r.aUs || u.bUs !== r.bUs)
        throw new StudioError(
          `node-matched difference: the rows of unit '${r.unit}' disagree on its time (${u.aUs}/${u.bUs} µs, then ${r.aUs}/${r.bUs} µs for '${r.node}')`,
          'bad-input',
        );
      else u.rows.push(r.node);
    }
    return r;
  });
  const carrierOf = (unit: string) => {
    const u = units.get(unit)!;
    return u.rows.includes(unit) ? unit : u.rows[0];
  };
  let sumA = 0;
  let sumB = 0;
  for (const { node, aUs, bUs, unit } of rows) {
    if (unit !== undefined && carrierOf(unit) !== node) {
      details.set(node, `in unit ${unit} with ${carrierOf(unit)}: its time is counted there`);
      continue;
    }
    const d = bUs - aUs;
    values.set(node, d);
    sumA += aUs;
    sumB += bUs;
    const others = unit !== undefined ? units.get(unit)!.rows.filter((n) => n !== node) : [];
    details.set(
      node,
      `${labels.a} ${fmtUs(aUs)} → ${labels.b} ${fmtUs(bUs)}: ${format(d)}` +
        (aUs > 0 ? ` (${d >= 0 ? '+' : '−'}${fmtPercent((100 * Math.abs(d)) / aUs)})` : '') +
        (others.length ? `; with ${others.join(', ')} (one unit)` : ''),
    );
  }
  let reach = 0;
  for (const v of values.values()) reach = Math.max(reach, Math.abs(v));
  // Symmetric around 0 so that equal speed-ups and slow-downs get equally strong colours.
  const half = reach > 0 ? reach : 1;
  const scale: OverlayScale = { kind: 'diverging', min: -half, mid: 0, max: half };
  return {
    kind: 'delta',
    name: 'Δ time',
    legend: legendOf(scale, format, {
      title,
      unit: 'µs',
      note:
        `B − A in µs per graph node (negative: ${labels.b} is faster); a unit of nodes that share one time (fused differently in ` +
        `the two runs) has it once, on its compute node; a group sums its nodes; over the ${rows.length} matched nodes ` +
        `${fmtUs(sumA)} → ${fmtUs(sumB)} (${format(sumB - sumA)})`,
    }),
    scale,
    values,
    details,
    // A group of a unit's followers only holds no time of its own: 0, not "no data".
    groupValue: (members) => sumOf(values, members) ?? (members.some((m) => seen.has(m)) ? 0 : undefined),
    format,
  };
}

// ---- groups on the scale ----------------------------------------------------------------------------

/** Overlays whose group value is the sum of its nodes' (a group can reach far past any node). */
const SUMMING: ReadonlySet<OverlayKind> = new Set(['macs', 'time', 'delta']);

/**
 * The overlay with its scale widened to the values of the groups drawn as boxes (blocks and layers:
 * a stage is drawn open, as a frame, and its larger sum would only wash the blocks out). Without it a
 * summing overlay's scale ends at the largest node and every block is drawn at the top colour. Log
 * scales and overlays whose group value stays within its nodes' range (worst error, GFLOP/s, memory)
 * are returned as they are. A diverging scale stays symmetric around its middle.
 */
export function withGroupsOnScale(overlay: Overlay, groups: Iterable<{ members: readonly string[] }>): Overlay {
  if (overlay.empty || !SUMMING.has(overlay.kind) || overlay.scale.log) return overlay;
  const s = overlay.scale;
  let lo = s.min;
  let hi = s.max;
  for (const g of groups) {
    const v = overlay.groupValue(g.members);
    if (v === undefined || !Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (lo === s.min && hi === s.max) return overlay;
  const scale: OverlayScale =
    s.kind === 'diverging'
      ? (() => {
          const mid = s.mid ?? 0;
          const half = Math.max(Math.abs(lo - mid), Math.abs(hi - mid));
          return { ...s, min: mid - half, max: mid + half };
        })()
      : { ...s, min: lo, max: hi };
  return {
    ...overlay,
    scale,
    legend: {
      ...overlay.legend,
      minLabel: overlay.format(scale.min),
      maxLabel: overlay.format(scale.max),
      note: `${overlay.legend.note ? `${overlay.legend.note}; ` : ''}the scale reaches the largest block or layer`,
    },
  };
}
