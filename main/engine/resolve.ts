// A job's target -> the studio graph, the model bytes a backend loads, and the memory it needs.
// Used by the worker (to run the job) and by the queue (to refuse a job that cannot fit before
// spawning anything); both resolve the same way, so the estimate describes what will run.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { JobSpec } from '../../shared/contract/job.js';
import { costGraph, type CostReport } from '../../shared/cost/cost-model.js';
import { StudioError, type Graph } from '../../shared/ir/types.js';
import { benchmarkRefusal } from '../../shared/onnx/reader.js';
import { onnx } from '../../shared/onnx/tensor.js';
import { graphToOnnx } from '../../shared/onnx/writer.js';
import { buildTarget } from '../../shared/targets.js';
import { RefusedError } from '../backends/backend.js';
import { readOnnxFile } from '../onnx/onnx-file.js';

export interface ResolvedJob {
  graph: Graph;
  cost: CostReport;
  /** The file's own bytes when they can be run as they are (see resolveFile). */
  fileBytes?: Uint8Array;
  /** Things the result must say about what ran (for example a re-exported file). */
  notes: string[];
}

export function resolveJob(job: JobSpec): ResolvedJob {
  const t = job.target;
  if (t.kind === 'file') {
    const r = resolveFile(t.path, t.dims, job.batch);
    const refusal = benchmarkRefusal(r.graph);
    if (refusal) throw new RefusedError(`${basename(t.path)}: ${refusal}`);
    return { ...r, cost: guardedCost(r.graph) };
  }
  const given = t.params.batch;
  if (given !== undefined && Number(given) !== job.batch)
    throw new StudioError(
      `the target sets batch=${given} but the job's batch is ${job.batch}: give the batch once, as the job's batch`,
      'bad-parameter',
    );
  const set: Record<string, string> = {};
  for (const [k, v] of Object.entries(t.params)) set[k] = String(v);
  set.batch = String(job.batch);
  const graph = buildTarget({ target: t.name, set, variant: t.kind === 'model' ? t.variant : undefined });
  return { graph, cost: guardedCost(graph), notes: [] };
}

/**
 * The memory guard's first step: a graph whose sizes pass 2^53 cannot be costed exactly, and a
 * model that large cannot fit any machine, so the job is refused rather than failed.
 */
function guardedCost(graph: Graph): CostReport {
  try {
    return costGraph(graph);
  } catch (e) {
    if (e instanceof StudioError && e.code === 'too-large') throw new RefusedError(`not enough memory: ${e.message}`);
    throw e;
  }
}

/**
 * A file's batch fills its first input's first dimension when that dimension is symbolic; a fixed
 * batch that differs from the job's is refused (the file cannot be run at another batch). The file's
 * own bytes are run when the runtime will see the same node names as the studio graph (every node
 * named, names unique) and no weights live in external files; otherwise the studio's export of the
 * graph runs, and the result says so.
 */
function resolveFile(path: string, dims: Record<string, number>, batch: number) {
  let graph = readOnnxFile(path, { dims });
  const first = graph.inputs[0];
  if (!first) throw new StudioError(`${path} has no graph input to benchmark`, 'bad-file');
  const param = first.dimParams?.[0];
  if (param) {
    if (graph.inputs[0].shape[0] !== batch) graph = readOnnxFile(path, { dims: { ...dims, [param]: batch } });
  } else if (first.shape[0] !== batch)
    throw new RefusedError(
      `${path}: input '${first.name}' has a fixed batch dimension of ${first.shape[0]}${param === '' ? ' (unnamed, so it cannot be set)' : ''}; this job asks for batch ${batch}. Run it with batch ${first.shape[0]}, or export the model with a symbolic batch.`,
    );
  const notes: string[] = [];
  const external = [...graph.initializers.values()].some((i) => i.external);
  const bytes = readFileSync(path);
  const names = (onnx.ModelProto.decode(bytes).graph?.node ?? []).map((n) => n.name ?? '');
  const named = names.every((n) => n !== '') && new Set(names).size === names.length;
  if (!external && named)
    return { graph, fileBytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), notes };
  notes.push(
    `ran the studio's re-export of ${path} (${external ? 'its weights are in external data files' : 'some nodes are unnamed or share a name'})`,
  );
  return { graph, notes };
}

/** The model bytes the backend loads: the file's own, or the graph exported with the job's seed. */
export function modelBytes(job: JobSpec, r: ResolvedJob): Uint8Array {
  return r.fileBytes ?? graphToOnnx(r.graph, { seed: job.seed });
}

/**
 * Memory a job needs, from the cost model. `estimatedBytes` is the cost model's own figure (weights
 * + peak live activations; the batch is already in the graph's shapes). `requiredBytes` adds what a
 * real run holds on top, so that a refusal is not optimistic:
 * - weights up to 3 times while loading (the generated values in JS, the serialized model, and the
 *   runtime's own copy, which it may pre-pack into a second layout);
 * - activations 2 times (the runtime's arena rounds allocations up; the host keeps inputs and outputs);
 * - a fixed 256 MiB for the worker itself (Node, V8, the runtime's libraries and thread pools; a
 *   worker running a tiny block measures about 150-200 MB resident).
 */
export const MEMORY_MODEL = { weightCopies: 3, activationFactor: 2, runtimeBytes: 256 * 2 ** 20 } as const;

export function memoryEstimate(cost: CostReport): { estimatedBytes: number; requiredBytes: number } {
  const w = cost.totals.weightBytes;
  const a = cost.totals.peakActivationBytes;
  return {
    estimatedBytes: w + a,
    requiredBytes: MEMORY_MODEL.weightCopies * w + MEMORY_MODEL.activationFactor * a + MEMORY_MODEL.runtimeBytes,
  };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
