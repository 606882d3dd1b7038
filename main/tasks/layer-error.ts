// The layer-error task (issue 21): a LayerErrorSpec resolved as the engine resolves a job (the
// studio graph and the model bytes ONNX Runtime runs), then compared node by node
// (main/precision/layer-error.ts). Run by the 'layer-error' task handler in a task worker (the
// app) and by `precision error` in the CLI's own process.
import { JobSpecSchema } from '../../shared/contract/job.js';
import type { LayerErrorReport } from '../../shared/contract/layer-error.js';
import { modelBytes, resolveJob } from '../engine/resolve.js';
import { compareLayers, parseLayerErrorSpec, type LayerErrorProgress } from '../precision/layer-error.js';

/** `raw` is checked here (LayerErrorSpecSchema): it may have crossed a process boundary. */
export async function runLayerError(
  raw: unknown,
  onProgress: (p: LayerErrorProgress) => void = () => {},
): Promise<LayerErrorReport> {
  const spec = parseLayerErrorSpec(raw);
  const job = JobSpecSchema.parse({
    version: 1,
    id: 'layer-error',
    target: spec.target,
    batch: spec.batch,
    backend: { backend: 'ort-cpu' },
    seed: spec.seed,
  });
  const resolved = resolveJob(job);
  return compareLayers(spec, resolved.graph, modelBytes(job, resolved), onProgress);
}
