// Pass 5: the NativeGraphDesc the addon compiles. The nodes are put in an order where each reads
// only what exists before it (fusion can move a Conv after the producer of its residual), and
// every tensor gets its shape, since the C++ side never infers shapes; its memory plan (the
// activation arena) is computed from these shapes and this order.
import { StudioError, type Graph } from '../../../../shared/ir/types.js';
import type { NativeGraphDesc, NativeNodeDesc } from '../addon.js';
import type { LoweringState } from '../lowering-context.js';

/** Refuses a graph output no node computes: the addon runs nodes, it returns no constants or inputs. */
export function refuseUncomputedOutputs(graph: Graph, isConst: (t: string) => boolean): void {
  for (const o of graph.outputs.map((x) => x.name))
    if (isConst(o) || graph.inputs.some((i) => i.name === o))
      throw new StudioError(
        `the native backend cannot run '${graph.name}': output '${o}' is a ${isConst(o) ? 'constant' : 'graph input'}, not computed by any node`,
        'unsupported',
      );
}

export function assembleDesc(graph: Graph, needed: ReadonlySet<string>, state: LoweringState): NativeGraphDesc {
  const { ctx, lowered, emitted } = state;
  const sorted = sortNodes(lowered, new Set([...graph.inputs.map((i) => i.name), ...emitted.keys()]));
  const shapes: Record<string, number[]> = {};
  const setShape = (t: string) => {
    if (!t || shapes[t]) return;
    const s = ctx.extraShapes.get(t) ?? emitted.get(t)?.shape ?? ctx.shapeOf(t);
    if (!s) throw new StudioError(`internal: lowering knows no shape for tensor '${t}'`, 'internal');
    shapes[t] = [...s];
  };
  for (const i of graph.inputs) if (needed.has(i.name)) setShape(i.name);
  for (const c of emitted.values()) setShape(c.name);
  for (const nd of sorted) for (const t of [...nd.inputs, ...nd.outputs]) setShape(t);
  return {
    inputs: graph.inputs.filter((i) => needed.has(i.name)).map((i) => ({ name: i.name, shape: [...i.shape] })),
    outputs: graph.outputs.map((o) => o.name),
    shapes,
    constants: [...emitted.values()],
    nodes: sorted,
  };
}

/** A stable topological sort, depth-first over producers (fusion can move a node after the producer of its residual). */
function sortNodes(nodes: NativeNodeDesc[], available: Set<string>): NativeNodeDesc[] {
  const ready = new Set(available);
  const producedBy = new Map<string, NativeNodeDesc>();
  for (const n of nodes) for (const o of n.outputs) producedBy.set(o, n);
  const done = new Set<NativeNodeDesc>();
  const sorted: NativeNodeDesc[] = [];
  const visit = (n: NativeNodeDesc, stack: Set<NativeNodeDesc>) => {
    if (done.has(n)) return;
    if (stack.has(n)) throw new StudioError(`internal: lowering produced a cycle at node '${n.name}'`, 'internal');
    stack.add(n);
    for (const i of n.inputs) {
      if (!i || ready.has(i)) continue;
      const p = producedBy.get(i);
      if (!p)
        throw new StudioError(`internal: lowered node '${n.name}' reads '${i}', which nothing produces`, 'internal');
      visit(p, stack);
    }
    stack.delete(n);
    done.add(n);
    for (const o of n.outputs) ready.add(o);
    sorted.push(n);
  };
  for (const n of nodes) visit(n, new Set());
  return sorted;
}
