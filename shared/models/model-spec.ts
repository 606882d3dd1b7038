import type { ParamSpec, ParamValues } from '../blocks/block-spec.js';
import { StudioError, type Graph } from '../ir/types.js';

/** A published figure a zoo model is checked against, with where it comes from. */
export interface PublishedCounts {
  /** Every weight element, BatchNorm running statistics included (Keras' "Total params"). */
  params?: number;
  /** Trainable only (Keras "Trainable params"; torchvision's sum of p.numel() over parameters()). */
  trainableParams?: number;
  /** Multiply-accumulates of Conv/Gemm at the default input size. */
  macs?: number;
  source: string;
  /** Parameters the figure was measured with, when not the defaults (e.g. torchvision's aux head). */
  builtWith?: Record<string, string | number | boolean>;
}

export interface ModelSpec {
  /** CLI and API name: resnet50, inception_v3, ... */
  name: string;
  title: string;
  family: string;
  variants: readonly string[];
  defaultVariant: string;
  /** One line per variant: what it is and where it differs from the others. */
  variantNotes: Record<string, string>;
  published: Record<string, PublishedCounts>;
  params: readonly ParamSpec[];
  build(variant: string, params: ParamValues): Graph;
}

/** Common model parameters: batch, input size (square), number of classes. */
export function modelInputParams(size: number): ParamSpec[] {
  return [
    { name: 'batch', kind: 'int', default: 1, min: 1, max: 4096, description: 'batch size N' },
    { name: 'size', kind: 'int', default: size, min: 32, max: 4096, description: 'input height = width' },
    { name: 'classes', kind: 'int', default: 1000, min: 1, max: 100000, description: 'classifier outputs' },
  ];
}

/** Fails with the list of variants when a model is asked for one it does not have. */
export function checkVariant(model: string, variants: readonly string[], variant: string): void {
  if (!variants.includes(variant))
    throw new StudioError(`${model}: unknown variant '${variant}'. Variants: ${variants.join(', ')}`, 'bad-parameter');
}
