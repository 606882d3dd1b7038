// Lowering: the studio graph (after shape inference) -> the native addon's NativeGraphDesc
// (native/DESIGN.md, "NativeGraphDesc"). Everything the C++ side should not have to know about
// ONNX happens here: BatchNormalization folded into the preceding Conv's weights, Relu/Clip and a
// residual Add fused into the producing Conv, a constant scalar Mul folded into the Conv's
// weights, shape-only operators turned into Alias (no copy), a standalone BatchNormalization into
// ChannelAffine, opset-dependent Softmax semantics made explicit, auto_pad resolved to explicit
// pads, every constant materialized with the job's seed, and every tensor's shape passed along.
//
// A graph with an operator outside DESIGN.md's list is refused here, before anything runs, with
// every such operator named; so is any form of a listed operator the kernels do not implement.
//
// Where things are: this file runs the passes (passes/, numbered in their order); lowerings.ts has
// one lowering per accepted ONNX operator; conv-fusion.ts what a Conv absorbs; form-checks.ts the
// forms the kernels lack; lowering-context.ts the state the passes share.
import type { Graph, TensorData } from '../../../shared/ir/types.js';
import type { NativeGraphDesc, NativeNodeDesc, NativeOp } from './addon.js';
import { createLoweringContext, type LoweringReport } from './lowering-context.js';
import { NATIVE_ONNX_OPS } from './lowerings.js';
import { assembleDesc, refuseUncomputedOutputs } from './passes/assemble-desc.js';
import { bindStaticInputs } from './passes/bind-static-inputs.js';
import { depthwisePointwiseEnabled, fuseDepthwisePointwise } from './passes/fuse-depthwise-pointwise.js';
import { lowerNodes } from './passes/lower-nodes.js';
import { isUnsupported, operatorName, refuseUnsupported } from './passes/refuse-unsupported.js';
import { selectLiveNodes } from './passes/select-live-nodes.js';

// The desc types are the addon's own (native/DESIGN.md "NativeGraphDesc"), declared in addon.ts.
export type { NativeGraphDesc, NativeNodeDesc, NativeOp };
export type { LoweringReport };
export { FLT_MAX } from './lowering-context.js';
/** ONNX operators (default domain) the native backend accepts, before lowering. */
export { NATIVE_ONNX_OPS };

export interface Lowered {
  desc: NativeGraphDesc;
  report: LoweringReport;
}

export interface LowerOptions {
  /** Seed of lazily generated weights (shared/graph/weights.ts), the job's seed. */
  seed?: number;
  /**
   * Values of graph inputs known before running (a conformance case feeds its weights as inputs).
   * Those the kernels need at preparation (Conv weights and bias, BatchNormalization's vectors, Clip
   * bounds) become constants; every other input stays an input.
   */
  inputValues?: ReadonlyMap<string, TensorData>;
  /**
   * Fuse a depthwise Conv into the pointwise Conv that alone reads it (one DepthwisePointwise
   * node); default: off unless STUDIO_NATIVE_FUSE_DWPW=1 (passes/fuse-depthwise-pointwise.ts says why).
   */
  fuseDepthwisePointwise?: boolean;
}

/**
 * Lowers a shape-inferred graph. Throws a StudioError (code 'unsupported') naming every operator
 * outside the native backend's list, and every node in a form its kernels do not implement.
 */
export function lowerGraph(source: Graph, opts: LowerOptions = {}): Lowered {
  const graph = opts.inputValues ? bindStaticInputs(source, opts.inputValues) : source;
  const live = selectLiveNodes(graph);
  const shapeOf = (t: string) => graph.values.get(t)?.shape ?? graph.initializers.get(t)?.shape;
  const dtypeOf = (t: string) => graph.values.get(t)?.dtype ?? graph.initializers.get(t)?.dtype;
  refuseUnsupported(graph, live.nodes, { graph, needed: live.needed, producer: live.producer, shapeOf, dtypeOf });
  const report: LoweringReport = {
    foldedBatchNorms: [],
    foldedScales: [],
    fusedResiduals: [],
    fusedActivations: [],
    fusedDepthwise: [],
    channelAffines: [],
    aliases: [],
    foldedConstants: [],
    droppedNodes: live.dropped,
  };
  const state = createLoweringContext(graph, live.nodes, opts.seed ?? 0, report);
  lowerNodes(live.nodes, state.ctx);
  if (depthwisePointwiseEnabled(opts.fuseDepthwisePointwise))
    fuseDepthwisePointwise(state, new Set(graph.outputs.map((o) => o.name)));
  refuseUncomputedOutputs(graph, state.ctx.isConst);
  return { desc: assembleDesc(graph, live.needed, state), report };
}

/** One line per kind of rewrite, for a result's flags ("native lowering: 53 BatchNormalization folded ..."). */
export function loweringSummary(r: LoweringReport): string {
  const parts: string[] = [];
  const n = (k: number, what: string) => k > 0 && parts.push(`${k} ${what}`);
  n(r.foldedBatchNorms.length, 'BatchNormalization folded into Conv');
  n(r.foldedScales.length, 'constant Mul folded into Conv');
  n(r.fusedResiduals.length, 'residual Add fused into Conv');
  const convActs = r.fusedActivations.filter((a) => a.op === 'Conv').length;
  n(convActs, 'Relu/Clip fused into Conv');
  n(r.fusedActivations.length - convActs, 'Relu/Clip fused into Gemm');
  n(r.fusedDepthwise.length, 'depthwise Conv fused into the next pointwise Conv');
  n(r.channelAffines.length, 'BatchNormalization run as ChannelAffine (not foldable)');
  n(r.aliases.length, 'reshape-like nodes run as Alias (no copy)');
  n(r.foldedConstants.length, 'reshape-like nodes applied to constants');
  n(r.droppedNodes.length, 'shape-only or unused nodes dropped');
  return `native lowering: ${parts.length ? parts.join(', ') : 'no rewrites'}`;
}

/** Does not run anything: the names of the operators a graph uses that the native backend lacks. */
export function unsupportedOperators(graph: Graph): string[] {
  const ops = new Set<string>();
  for (const n of graph.nodes) if (isUnsupported(n)) ops.add(operatorName(n));
  return [...ops].sort();
}
