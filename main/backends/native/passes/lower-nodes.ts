// Pass 4: every node that runs, in topological order, through its operator's lowering
// (lowerings.ts). One ordered walk, not one pass per rewrite: which nodes a Conv or Gemm absorbs
// (BatchNorm and scalar Mul folding, residual-add and activation fusion: conv-fusion.ts) depends
// on what earlier lowerings absorbed and on the constants met so far, and the constants and
// fresh names are created in this order; a different order would give a different desc.
import { StudioError, type GraphNode } from '../../../../shared/ir/types.js';
import type { LoweringContext } from '../lowering-context.js';
import { LOWERINGS } from '../lowerings.js';

export function lowerNodes(nodes: GraphNode[], ctx: LoweringContext): void {
  for (const n of nodes) {
    if (ctx.absorbed.has(n)) continue;
    const lowering = Object.hasOwn(LOWERINGS, n.op) ? LOWERINGS[n.op] : undefined;
    if (!lowering) throw new StudioError(`internal: lowering has no rule for ${n.op} node '${n.name}'`, 'internal');
    lowering(n, ctx);
  }
}
