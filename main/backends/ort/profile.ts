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

/** ONNX Runtime's session-level events (cat 'Session'), durations in milliseconds. */
export interface OrtSessionEvents {
  /** 'model_loading_array' (bytes) or 'model_loading_uri' (a path): the model parsed. */
  load?: { name: string; ms: number };
  /** 'session_initialization': partitioning, graph optimizations, kernel creation, weight pre-packing. */
  initialization?: { name: string; ms: number };
}

/**
 * The session events of a profile, as onnxruntime-node 1.30 writes them at creation (measured: one
 * `model_loading_array` and one `session_initialization` event, cat 'Session', dur in microseconds).
 * An event that is missing stays absent: its part is then reported as not separable.
 */
export function parseOrtSessionEvents(json: string): OrtSessionEvents {
  const events = JSON.parse(json) as TraceEvent[];
  if (!Array.isArray(events)) throw new Error('ONNX Runtime profile is not a JSON array of trace events');
  const out: OrtSessionEvents = {};
  for (const e of events) {
    if (e.cat !== 'Session' || typeof e.dur !== 'number' || !e.name) continue;
    const step = { name: e.name, ms: e.dur / 1000 };
    if (e.name.startsWith('model_loading')) out.load ??= step;
    else if (e.name === 'session_initialization') out.initialization ??= step;
  }
  return out;
}
