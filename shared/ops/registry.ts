// The operator registry: one entry per ONNX operator type the studio understands.
// Shape inference and analytic cost live here and nowhere else. Adding an operator is adding
// its OpSpec to one of the files below and one line to OP_SPECS.
import * as activations from './activations.js';
import * as arithmetic from './arithmetic.js';
import { Conv, ConvTranspose } from './conv.js';
import { Gemm, MatMul } from './gemm.js';
import { BatchNormalization, InstanceNormalization, LayerNormalization } from './normalization.js';
import type { OpSpec } from './op-spec.js';
import { AveragePool, GlobalAveragePool, GlobalMaxPool, LRN, MaxPool } from './pool.js';
import * as reduce from './reduce.js';
import { Resize, Upsample } from './resize.js';
import * as shapeOps from './shape-ops.js';

const specs: OpSpec[] = [
  Conv,
  ConvTranspose,
  Gemm,
  MatMul,
  BatchNormalization,
  InstanceNormalization,
  LayerNormalization,
  MaxPool,
  AveragePool,
  GlobalAveragePool,
  GlobalMaxPool,
  LRN,
  Resize,
  Upsample,
  ...Object.values(activations),
  ...Object.values(reduce),
  ...Object.values(arithmetic),
  ...Object.values(shapeOps).filter((v): v is OpSpec => typeof v === 'object' && v !== null && 'infer' in v),
];

export const OP_SPECS: ReadonlyMap<string, OpSpec> = new Map(specs.map((s) => [s.op, s]));

/** The spec for an operator of the default ONNX domain, or undefined when the studio does not know it. */
export function opSpec(op: string, domain = ''): OpSpec | undefined {
  if (domain !== '' && domain !== 'ai.onnx') return undefined;
  return OP_SPECS.get(op);
}

export function supportedOps(): string[] {
  return [...OP_SPECS.keys()].sort();
}
