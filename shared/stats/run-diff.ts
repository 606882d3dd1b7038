// The node-matched diff of two profiled runs of one model (issue 21; the shapes are
// shared/contract/run-diff.ts). Runtime node names differ between backends: ONNX Runtime fuses
// Conv+BatchNorm+Relu into one node named after a tensor ('conv1.relu_nchwc'), the native backend
// keeps the Conv's name and fuses the residual Add too, an int8 run has QLinearConv nodes and
// Quantize/Dequantize nodes. What both share is the studio graph: every profiled runtime node lists
// the graph nodes it covers (node-map.ts joinNodeTimings). So the units are the connected clusters of
// graph nodes over the runtime nodes of BOTH runs (union-find): each unit carries A's runtime nodes
// and B's, with their exact time sums; a runtime node is never split between units. Runtime nodes
// that cover no graph node are summed per run as runtime-only time, so that every microsecond of
// either profile is in a unit or there.
//
// With the studio graph (optional), operators are named from it, and element-wise nodes that a run's
// profile does not name (the native backend fuses BatchNorm, Relu and the residual Add into its
// Conv and names only the Conv; int8 folds BatchNorm away) are traced to the runtime node of their
// only producer, as the join traces ONNX Runtime's fusions: they join that unit, listed as inferred.
import type { BenchResult } from '../contract/result.js';
import type {
  RunDiff,
  RunDiffEnvField,
  RunDiffOpTotal,
  RunDiffRun,
  RunDiffRuntimeNode,
  RunDiffUnit,
  RunDiffUnitSide,
} from '../contract/run-diff.js';
import { StudioError, type Graph, type GraphNode } from '../ir/types.js';
import { targetName } from './compare.js';
import { FUSIBLE, coreOp, dispatchOnlyProfile } from './node-map.js';

/**
 * Operators that are never a unit's compute node: those a runtime fuses into one (node-map's FUSIBLE:
 * traced to their producer's unit when a profile does not name them) and QDQ boundaries and casts.
 */
const NOT_COMPUTE = new Set([...FUSIBLE, 'QuantizeLinear', 'DequantizeLinear', 'Cast']);

const sum = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0);
const ratioOf = (b: number, a: number): number | null => (a > 0 ? b / a : null);

/** The target as people name it: "resnet50 (keras)", "bottleneck:height=8,width=8", "model.onnx:N=4". */
export function modelText(r: BenchResult): string {
  const t = r.job.target;
  const values = t.kind === 'file' ? t.dims : t.params;
  const params = Object.entries(values)
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const name = t.kind === 'model' ? `${t.name}${t.variant ? ` (${t.variant})` : ''}` : targetName(t);
  return `${name}${params ? `:${params}` : ''}`;
}

/** The model file's content hash, where a fleet agent recorded one (the file target then names the model, not a path). */
function fileHash(r: BenchResult): string | undefined {
  for (const n of r.notes) {
    const m = /^fleet: model .*, sha256 ([0-9a-f]{64}) /.exec(n);
    if (m) return m[1];
  }
  return undefined;
}

const fileName = (path: string): string => path.split(/[\\/]/).pop() ?? path;
const sameValues = (x: Record<string, unknown>, y: Record<string, unknown>): boolean => {
  const kx = Object.keys(x).sort();
  const ky = Object.keys(y).sort();
  return kx.length === ky.length && kx.every((k, i) => k === ky[i] && String(x[k]) === String(y[k]));
};

/**
 * Why two results are not runs of one model (target kind, name, variant and parameters; a file's
 * dimensions and content; the batch, which is the input's first dimension), or undefined. A file is
 * the same file when a fleet agent recorded the same content hash for both, else when both name the
 * same path, or files of the same name whose cost (parameters, MACs) is the same (a copy of the file
 * on another machine).
 */
export function differentModels(a: BenchResult, b: BenchResult): string | undefined {
  const ta = a.job.target;
  const tb = b.job.target;
  const costDiffers =
    a.cost && b.cost && (a.cost.params !== b.cost.params || a.cost.macs !== b.cost.macs)
      ? `${a.cost.params.toLocaleString('en-US')} parameters and ${a.cost.macs.toLocaleString('en-US')} MACs vs ${b.cost.params.toLocaleString('en-US')} and ${b.cost.macs.toLocaleString('en-US')}`
      : undefined;
  let same: boolean;
  if (ta.kind === 'file' && tb.kind === 'file') {
    const ha = fileHash(a);
    const hb = fileHash(b);
    const sameFile =
      ha && hb ? ha === hb : ta.path === tb.path || (fileName(ta.path) === fileName(tb.path) && !!a.cost && !!b.cost);
    same = sameFile && sameValues(ta.dims, tb.dims);
  } else if (ta.kind !== 'file' && tb.kind !== 'file') {
    same =
      ta.kind === tb.kind &&
      ta.name === tb.name &&
      (ta.kind === 'model' ? ta.variant : undefined) === (tb.kind === 'model' ? tb.variant : undefined) &&
      sameValues(ta.params, tb.params);
  } else same = false;
  const batch = a.job.batch !== b.job.batch;
  if (same && !batch && !costDiffers) return undefined;
  const what = (r: BenchResult) => `${modelText(r)}${batch ? `, batch ${r.job.batch}` : ''}`;
  const why = same && !batch ? ` (the graphs differ: ${costDiffers})` : '';
  return `these are runs of different models: ${what(a)} vs ${what(b)}${why} — a node diff needs two runs of the same model (the same target, parameters and batch)`;
}

/** Why one result cannot be diffed node by node (not ok, not profiled), or undefined. */
function unusable(r: BenchResult, side: 'A' | 'B'): string | undefined {
  const who = `${side} (${r.id}: ${r.label})`;
  if (r.status !== 'ok')
    return `${who} ${r.status === 'failed' ? 'failed' : 'was cancelled'}${r.failure ? `: ${r.failure.reason}` : ''}; only a run that ended ok has node times to diff`;
  if (!r.nodes?.length) {
    const failed = r.flags.find((f) => f.startsWith('profiling failed'));
    return failed
      ? `${who} has no per-node times: ${failed}. Run it again with \`bench ... --profile\``
      : `${who} has no per-node times: it was measured without --profile. Run it again with \`bench ${modelText(r)} --backend ${r.job.backend.backend} --profile\` and diff that run`;
  }
  return undefined;
}

/** Why two results cannot be diffed node by node, or undefined (the checks diffRuns makes first). */
export function runDiffRefusal(a: BenchResult, b: BenchResult): string | undefined {
  return unusable(a, 'A') ?? unusable(b, 'B') ?? differentModels(a, b);
}

/** Union-find over graph node names. */
class Clusters {
  private readonly parent = new Map<string, string>();
  add(x: string): void {
    if (!this.parent.has(x)) this.parent.set(x, x);
  }
  find(x: string): string {
    this.add(x);
    let root = x;
    while (this.parent.get(root) !== root) root = this.parent.get(root)!;
    // Path compression: every node on the way points at the root.
    for (let n = x; n !== root;) {
      const next = this.parent.get(n)!;
      this.parent.set(n, root);
      n = next;
    }
    return root;
  }
  union(x: string, y: string): void {
    const rx = this.find(x);
    const ry = this.find(y);
    if (rx !== ry) this.parent.set(ry, rx);
  }
}

const runtimeNode = (n: NonNullable<BenchResult['nodes']>[number]): RunDiffRuntimeNode => ({
  name: n.name,
  op: n.op,
  provider: n.provider,
  meanUs: n.meanUs,
});

/**
 * Element-wise graph nodes that a run's profile does not name, traced to the producer whose output
 * feeds only them and that the run covers (directly or traced before): node -> producer.
 */
function traceUnnamed(graph: Graph, covered: ReadonlySet<string>): Map<string, string> {
  const producer = new Map<string, GraphNode>();
  const consumers = new Map<string, number>();
  for (const n of graph.nodes) {
    for (const o of n.outputs) producer.set(o, n);
    for (const i of n.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  }
  // A graph output is read outside the graph: a tensor that is one is never a fused intermediate.
  for (const o of graph.outputs) consumers.set(o.name, (consumers.get(o.name) ?? 0) + 1);
  const traced = new Map<string, string>();
  const reached = (name: string) => covered.has(name) || traced.has(name);
  // Until nothing changes: a chain (BatchNorm -> Add -> Relu) is traced whatever the nodes' order.
  for (let changed = true; changed;) {
    changed = false;
    for (const n of graph.nodes) {
      if (reached(n.name) || !FUSIBLE.has(n.op)) continue;
      const from = n.inputs
        .map((i) => (consumers.get(i) === 1 ? producer.get(i) : undefined))
        .find((p) => p !== undefined && reached(p.name));
      if (from) {
        traced.set(n.name, from.name);
        changed = true;
      }
    }
  }
  return traced;
}

/** Environment fields of a run, as text (ISA: the native plan's kernel path; others: n/a). */
function environmentOf(r: BenchResult): [string, string][] {
  const be = r.job.backend;
  const plan = r.notes.map((n) => /^native plan: (\S+) kernels, (\d+) threads?/.exec(n)).find((m) => m);
  const configured = be.intraOpThreads === 0 ? "runtime's choice" : String(be.intraOpThreads);
  const isa =
    plan?.[1] ??
    (be.isa ? `${be.isa} (requested)` : r.runtime?.providers.find((p) => p.includes('/'))?.split('/')[1]) ??
    (be.backend === 'native' ? 'auto' : 'n/a');
  const adapter = r.runtime?.adapter;
  const m = r.machine;
  return [
    ['backend', be.backend],
    ['runtime', r.runtime ? `${r.runtime.name} ${r.runtime.version}` : 'not recorded'],
    ['providers', r.runtime?.providers.join(', ') || 'not recorded'],
    ['precision', r.job.precision],
    ['batch', String(r.job.batch)],
    ['threads', `${configured}${plan ? ` (native plan: ${plan[2]})` : ''}`],
    ['graph optimization', be.graphOptimization],
    ['ISA', isa],
    ['host', r.fleet?.host ?? 'not recorded (a local run)'],
    ['CPU', m.cpu.brand.startsWith(m.cpu.manufacturer) ? m.cpu.brand : `${m.cpu.manufacturer} ${m.cpu.brand}`.trim()],
    ['cores', `${m.cpu.physicalCores} cores, ${m.cpu.threads} threads`],
    ['OS', `${m.os.distro ?? m.os.platform}${m.os.release ? ` ${m.os.release}` : ''} (${m.os.arch})`],
    ['GPU adapter', adapter ? `${adapter.name}${adapter.software ? ' (software, on the CPU)' : ''}` : 'none'],
    ['GPU driver', adapter ? [adapter.driver, adapter.driverInfo].filter(Boolean).join(' ') || 'not recorded' : 'none'],
    ['studio', r.studioVersion],
  ];
}

function environment(a: BenchResult, b: BenchResult): RunDiff['environment'] {
  const eb = new Map(environmentOf(b));
  const differs: RunDiffEnvField[] = [];
  const same: { field: string; value: string }[] = [];
  for (const [field, va] of environmentOf(a)) {
    const vb = eb.get(field)!;
    if (va === vb) same.push({ field, value: va });
    else differs.push({ field, a: va, b: vb });
  }
  return { differs, same };
}

function runOf(r: BenchResult, runtimeOnly: RunDiffRuntimeNode[]): RunDiffRun {
  const nodes = r.nodes ?? [];
  return {
    id: r.id,
    label: r.label,
    createdAt: r.createdAt,
    backend: r.job.backend.backend,
    precision: r.job.precision,
    kernelUs: sum(nodes.map((n) => n.meanUs)),
    medianMs: r.stats?.p50 ?? null,
    runtimeNodes: nodes.length,
    runtimeOnly: { us: sum(runtimeOnly.map((n) => n.meanUs)), nodes: runtimeOnly },
  };
}

const byDelta =
  <T extends { deltaUs: number }>(key: (x: T) => string) =>
  (x: T, y: T) =>
    Math.abs(y.deltaUs) - Math.abs(x.deltaUs) || (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0);

/**
 * The node diff of run B against run A (delta = B - A, ratio = B / A). Refuses (StudioError
 * 'refused', the reason in words) a run that did not end ok or was not profiled, and two runs of
 * different models. `graph`: the studio graph of the model, where the caller can build it.
 */
export function diffRuns(a: BenchResult, b: BenchResult, graph?: Graph): RunDiff {
  const refusal = runDiffRefusal(a, b);
  if (refusal) throw new StudioError(refusal, 'refused');
  const runs = [a, b] as const;
  const clusters = new Clusters();
  for (const r of runs)
    for (const n of r.nodes!) {
      for (const g of n.graphNodes) clusters.union(n.graphNodes[0], g);
    }

  // Each graph node's operator: the graph's, else the runtime's for the node a runtime node is
  // anchored on (the join lists the compute node first: FusedConv -> Conv, QLinearConv -> Conv).
  const opOf = new Map<string, string>();
  const order = new Map<string, number>();
  if (graph) graph.nodes.forEach((n, i) => (opOf.set(n.name, n.op), order.set(n.name, i)));
  for (const r of runs)
    for (const n of r.nodes!)
      if (n.graphNodes.length && !opOf.has(n.graphNodes[0])) opOf.set(n.graphNodes[0], coreOp(n.op));

  const inferred = runs.map(() => new Map<string, string>());
  const notes: string[] = [];
  // A GPU profile that times launches, not execution, makes its side's node times host dispatch.
  runs.forEach((r, i) => {
    const why = dispatchOnlyProfile(r);
    if (why) notes.push(`${i === 0 ? 'A' : 'B'}: ${why}; compare the median latencies instead`);
  });
  if (graph) {
    runs.forEach((r, i) => {
      const covered = new Set(r.nodes!.flatMap((n) => n.graphNodes));
      for (const [node, from] of traceUnnamed(graph, covered)) {
        inferred[i].set(node, from);
        clusters.union(from, node);
      }
    });
    const unknown = new Set(runs.flatMap((r) => r.nodes!.flatMap((n) => n.graphNodes)).filter((g) => !order.has(g)));
    if (unknown.size)
      notes.push(
        `${unknown.size} graph node${unknown.size === 1 ? '' : 's'} of the profiles are not in the studio graph given (${[...unknown].slice(0, 5).join(', ')}${unknown.size > 5 ? ', ...' : ''}): their operators come from the runtime nodes`,
      );
  } else
    notes.push(
      'matched without the studio graph: operators come from the runtime nodes, and graph nodes a profile does not name (fused without saying, or folded) are not traced',
    );

  // First appearance orders graph nodes the graph does not place (A's runtime nodes, then B's).
  let next = graph?.nodes.length ?? 0;
  const place = (g: string) => order.get(g) ?? (order.set(g, next++), next - 1);
  for (const r of runs) for (const n of r.nodes!) n.graphNodes.forEach(place);

  interface Building {
    graphNodes: Set<string>;
    sides: [RunDiffRuntimeNode[], RunDiffRuntimeNode[]];
    inferred: [string[], string[]];
  }
  const units = new Map<string, Building>();
  const unitOf = (g: string): Building => {
    const root = clusters.find(g);
    let u = units.get(root);
    if (!u) units.set(root, (u = { graphNodes: new Set(), sides: [[], []], inferred: [[], []] }));
    return u;
  };
  const runtimeOnly: [RunDiffRuntimeNode[], RunDiffRuntimeNode[]] = [[], []];
  runs.forEach((r, i) => {
    for (const n of r.nodes!) {
      if (!n.graphNodes.length) {
        runtimeOnly[i].push(runtimeNode(n));
        continue;
      }
      const u = unitOf(n.graphNodes[0]);
      u.sides[i].push(runtimeNode(n));
      for (const g of n.graphNodes) u.graphNodes.add(g);
    }
  });
  inferred.forEach((traced, i) => {
    for (const node of traced.keys()) {
      const u = unitOf(node);
      u.graphNodes.add(node);
      u.inferred[i].push(node);
    }
  });

  const byOrder = (x: string, y: string) => place(x) - place(y);
  const diffUnits: RunDiffUnit[] = [...units.values()].map((u) => {
    const graphNodes = [...u.graphNodes].sort(byOrder);
    const compute = graphNodes.find((g) => opOf.has(g) && !NOT_COMPUTE.has(opOf.get(g)!));
    const name = compute ?? graphNodes[0];
    const first = u.sides[0][0] ?? u.sides[1][0];
    const op = opOf.get(name) ?? coreOp(first.op);
    const side = (i: 0 | 1): RunDiffUnitSide => ({
      nodes: u.sides[i],
      us: sum(u.sides[i].map((n) => n.meanUs)),
      inferred: u.inferred[i].sort(byOrder),
    });
    const sa = side(0);
    const sb = side(1);
    const presence = sa.nodes.length && sb.nodes.length ? 'both' : sa.nodes.length ? 'a-only' : 'b-only';
    return {
      name,
      op,
      graphNodes,
      a: sa,
      b: sb,
      deltaUs: sb.us - sa.us,
      ratio: ratioOf(sb.us, sa.us),
      presence,
      fusedDifferently: presence === 'both' && sa.nodes.length !== sb.nodes.length,
    };
  });
  diffUnits.sort(byDelta((u) => u.name));

  const ops = new Map<string, RunDiffOpTotal>();
  for (const u of diffUnits) {
    const t = ops.get(u.op) ?? { op: u.op, units: 0, aUs: 0, bUs: 0, deltaUs: 0, ratio: null };
    t.units++;
    t.aUs += u.a.us;
    t.bUs += u.b.us;
    ops.set(u.op, t);
  }
  const byOp = [...ops.values()].map((t) => ({ ...t, deltaUs: t.bUs - t.aUs, ratio: ratioOf(t.bUs, t.aUs) }));
  byOp.sort(byDelta((t) => t.op));

  for (const [side, presence] of [
    ['B', 'a-only'],
    ['A', 'b-only'],
  ] as const) {
    const only = diffUnits.filter((u) => u.presence === presence);
    if (only.length)
      notes.push(
        `${only.length} unit${only.length === 1 ? '' : 's'} (${only
          .slice(0, 5)
          .map((u) => u.name)
          .join(
            ', ',
          )}${only.length > 5 ? ', ...' : ''}) ha${only.length === 1 ? 's' : 've'} no runtime node in ${side}'s profile: ${side} fused ${only.length === 1 ? 'it' : 'them'} into another node without naming ${only.length === 1 ? 'it' : 'them'}, or folded ${only.length === 1 ? 'it' : 'them'} away`,
      );
  }

  const runA = runOf(a, runtimeOnly[0]);
  const runB = runOf(b, runtimeOnly[1]);
  return {
    model: `${modelText(a)}, batch ${a.job.batch}`,
    a: runA,
    b: runB,
    totals: {
      kernelDeltaUs: runB.kernelUs - runA.kernelUs,
      kernelRatio: ratioOf(runB.kernelUs, runA.kernelUs),
      medianRatio: runA.medianMs !== null && runB.medianMs !== null ? ratioOf(runB.medianMs, runA.medianMs) : null,
    },
    units: diffUnits,
    byOp,
    environment: environment(a, b),
    graph: graph !== undefined,
    notes,
  };
}

/** Per studio graph node: the time of the unit it belongs to in each run (what a graph overlay shows). */
export function graphNodeTimes(diff: RunDiff): { node: string; unit: string; aUs: number; bUs: number }[] {
  return diff.units.flatMap((u) => u.graphNodes.map((node) => ({ node, unit: u.name, aUs: u.a.us, bUs: u.b.us })));
}

// Text for people, the same in the CLI, the reports and the app.

/** Microseconds as a plain number for a "µs" column: "13.6", "126". */
export const usNumber = (us: number): string => (Math.abs(us) >= 100 ? us.toFixed(0) : us.toFixed(1));

/** A signed one: "+82.2", "-44.5". */
export const signedUsNumber = (us: number): string => (us > 0 ? `+${usNumber(us)}` : usNumber(us));

/** "+12.3 µs" / "-1.20 ms": a signed time in microseconds, for tables. */
export function signedUs(us: number): string {
  const mag = Math.abs(us);
  const text = mag >= 1000 ? `${(mag / 1000).toPrecision(3)} ms` : `${mag.toPrecision(3)} µs`;
  return `${us > 0 ? '+' : us < 0 ? '-' : '±'}${text}`;
}

/** "12.3 µs" / "1.20 ms". */
export function fmtUs(us: number): string {
  if (us === 0) return '0 µs';
  return us >= 1000 ? `${(us / 1000).toPrecision(3)} ms` : `${us.toPrecision(3)} µs`;
}

/** B / A as "1.76x"; given the two times, "only A" / "only B" where one run spent none; "–" without a ratio. */
export function ratioText(ratio: number | null, times?: { aUs: number; bUs: number }): string {
  if (times && times.aUs === 0 && times.bUs > 0) return 'only B';
  if (times && times.bUs === 0 && times.aUs > 0) return 'only A';
  if (ratio === null || !Number.isFinite(ratio)) return '–';
  return `${ratio >= 100 ? ratio.toFixed(0) : ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}x`;
}

/** The fused note of a unit: what differs in how the two runs ran it. */
export function unitNote(u: RunDiffUnit): string {
  if (u.presence === 'a-only') return 'not in B';
  if (u.presence === 'b-only') return 'not in A';
  if (u.fusedDifferently) return `fused differently (${u.a.nodes.length} vs ${u.b.nodes.length} nodes)`;
  return '';
}

/** A unit's table cells, as the CLI and the reports print them: name, op, A µs, B µs, delta, B/A, note. */
export function unitCells(u: RunDiffUnit): string[] {
  return [
    u.name,
    u.op,
    u.a.nodes.length ? usNumber(u.a.us) : '–',
    u.b.nodes.length ? usNumber(u.b.us) : '–',
    signedUsNumber(u.deltaUs),
    ratioText(u.ratio, { aUs: u.a.us, bUs: u.b.us }),
    unitNote(u),
  ];
}

/** An operator's totals as table cells: op, units, A µs, B µs, delta, B/A. */
export function opTotalCells(t: RunDiffOpTotal): string[] {
  return [
    t.op,
    String(t.units),
    usNumber(t.aUs),
    usNumber(t.bUs),
    signedUsNumber(t.deltaUs),
    ratioText(t.ratio, { aUs: t.aUs, bUs: t.bUs }),
  ];
}
