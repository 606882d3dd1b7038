// ONNX Runtime's profiler output and optimized graph, read into the backend-neutral shapes of
// backend.ts. The profile is a chrome-trace JSON array; each kernel launch is an event with
// cat 'Node', name '<node name>_kernel_time', dur in microseconds and args.op_name / args.provider.
import { readFileSync } from 'node:fs';
import { onnx } from '../../../shared/onnx/tensor.js';
import type { OptimizedNode, RuntimeNodeTiming } from '../backend.js';

interface TraceEvent {
  cat?: string;
  name?: string;
  dur?: number;
  args?: { op_name?: string; provider?: string; node_index?: string };
}

const KERNEL_SUFFIX = '_kernel_time';

/**
 * Mean kernel time per node. The profiled session's first run pays for lazy allocations and
 * weight pre-packing, so each node's first event is dropped when it has more than one.
 */
export function parseOrtProfile(json: string): RuntimeNodeTiming[] {
  const events = JSON.parse(json) as TraceEvent[];
  if (!Array.isArray(events)) throw new Error('ONNX Runtime profile is not a JSON array of trace events');
  const byNode = new Map<string, { op: string; provider: string; durs: number[] }>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith(KERNEL_SUFFIX) || typeof e.dur !== 'number') continue;
    let name = e.name.slice(0, -KERNEL_SUFFIX.length);
    // Unnamed nodes all print as '' — keep them apart by the runtime's node index.
    if (name === '') name = `#${e.args?.node_index ?? '?'}`;
    let entry = byNode.get(name);
    if (!entry) {
      entry = { op: e.args?.op_name ?? '?', provider: e.args?.provider ?? '?', durs: [] };
      byNode.set(name, entry);
    }
    entry.durs.push(e.dur);
  }
  return [...byNode.entries()].map(([name, { op, provider, durs }]) => {
    const kept = durs.length > 1 ? durs.slice(1) : durs;
    return { name, op, provider, meanUs: kept.reduce((s, d) => s + d, 0) / kept.length, runs: kept.length };
  });
}

export function readOrtProfile(path: string): RuntimeNodeTiming[] {
  return parseOrtProfile(readFileSync(path, 'utf8'));
}

/** Node names, operators and tensor names of the model ONNX Runtime saved after optimizing. */
export function readOptimizedGraph(path: string): OptimizedNode[] {
  const model = onnx.ModelProto.decode(readFileSync(path));
  return (model.graph?.node ?? []).map((n) => ({
    name: n.name ?? '',
    op: n.opType ?? '',
    inputs: (n.input ?? []).filter((i) => i !== ''),
    outputs: (n.output ?? []).filter((o) => o !== ''),
  }));
}
