// The model zoo: adding a model is one entry in a family file and one line here.
import { StudioError } from '../graph/types.js';
import type { ModelSpec } from './model-spec.js';

export const MODELS: readonly ModelSpec[] = [
  // resnet.ts, vgg.ts, mobilenet.ts, xception.ts, googlenet.ts, inception-v3.ts, inception-resnet-v2.ts
];

export function findModel(name: string): ModelSpec | undefined {
  return MODELS.find((m) => m.name === name);
}

export function getModel(name: string): ModelSpec {
  const m = findModel(name);
  if (!m) throw new StudioError(`unknown model '${name}'. Models: ${MODELS.map((x) => x.name).join(', ')}`, 'unknown-target');
  return m;
}
