// The model zoo: adding a model is one entry in a family file and one line here.
import { StudioError } from '../ir/types.js';
import { googlenet } from './googlenet.js';
import { inceptionResnetV2 } from './inception-resnet-v2.js';
import { inceptionV3 } from './inception-v3.js';
import { labMiniResnet } from './lab-base.js';
import type { ModelSpec } from './model-spec.js';
import { mobilenetV1, mobilenetV2 } from './mobilenet.js';
import { resnet101, resnet152, resnet18, resnet34, resnet50 } from './resnet.js';
import { vgg16, vgg19 } from './vgg.js';
import { xception } from './xception.js';

export const MODELS: readonly ModelSpec[] = [
  // resnet.ts, vgg.ts, mobilenet.ts, xception.ts, googlenet.ts, inception-v3.ts, inception-resnet-v2.ts
  resnet18,
  resnet34,
  resnet50,
  resnet101,
  resnet152,
  vgg16,
  vgg19,
  mobilenetV1,
  mobilenetV2,
  xception,
  googlenet,
  inceptionV3,
  inceptionResnetV2,
  labMiniResnet,
];

export function findModel(name: string): ModelSpec | undefined {
  return MODELS.find((m) => m.name === name);
}

export function getModel(name: string): ModelSpec {
  const m = findModel(name);
  if (!m)
    throw new StudioError(`unknown model '${name}'. Models: ${MODELS.map((x) => x.name).join(', ')}`, 'unknown-target');
  return m;
}
