// Resolves a CLI/API target: a block, a zoo model, or an .onnx file on disk.
import { existsSync } from 'node:fs';
import { StudioError, type Graph } from '../shared/ir/types.js';
import { buildTarget, isKnownTarget, splitTarget, type TargetRequest } from '../shared/targets.js';
import { readOnnxFile } from './onnx/onnx-file.js';

export function looksLikeFile(target: string): boolean {
  return target.toLowerCase().endsWith('.onnx') || (!isKnownTarget(splitTarget(target).name) && existsSync(target));
}

export function loadTarget(req: TargetRequest): Graph {
  if (!looksLikeFile(req.target)) return buildTarget(req);
  if (req.variant)
    throw new StudioError(`--variant applies to zoo models, not to the file ${req.target}`, 'bad-parameter');
  // For a file, --set assigns its symbolic dimensions (for example --set batch=8).
  const dims: Record<string, number> = {};
  for (const [k, v] of Object.entries(req.set ?? {})) {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1)
      throw new StudioError(`dimension '${k}' must be a positive integer, got '${v}'`, 'bad-parameter');
    dims[k] = n;
  }
  let graph = readOnnxFile(req.target, { dims });
  if (req.input) {
    const first = graph.inputs[0];
    if (!first) throw new StudioError(`${req.target} has no graph input to apply --input to`, 'bad-parameter');
    if (req.input.length !== first.shape.length)
      throw new StudioError(
        `--input ${req.input.join('x')} has rank ${req.input.length} but input '${first.name}' has rank ${first.shape.length}`,
        'bad-parameter',
      );
    req.input.forEach((d, i) => {
      const param = first.dimParams?.[i];
      if (param) dims[param] = d;
      else if (first.shape[i] !== d)
        throw new StudioError(
          `input '${first.name}' has a fixed dimension ${i} of ${first.shape[i]}; --input asks for ${d}. Only symbolic dimensions can change.`,
          'bad-parameter',
        );
    });
    graph = readOnnxFile(req.target, { dims });
  }
  return graph;
}
