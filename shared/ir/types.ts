// The one graph representation of the studio: blocks and models build it, the cost model
// reads it, the ONNX writer serializes it, the ONNX reader produces it, backends run it.
// It mirrors ONNX (operator types and attributes are ONNX's) so that export and import are
// a change of encoding, not a translation.

export type DType =
  | 'float32'
  | 'float16'
  | 'float64'
  | 'bfloat16'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'string';

/** Bytes per element; `string` has no fixed size and counts as 0. */
export const DTYPE_BYTES: Record<DType, number> = {
  float32: 4,
  float16: 2,
  float64: 8,
  bfloat16: 2,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  bool: 1,
  string: 0,
};

/** A concrete shape. Dynamic dimensions are resolved to numbers before inference (see `dimParams`). */
export type Shape = number[];

export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: Shape;
  /**
   * ONNX symbolic dimension names (for example `N` for the batch), kept so that an exported
   * file stays dynamic where the source was. `undefined` entries are fixed dimensions.
   */
  dimParams?: (string | undefined)[];
}

export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** How an initializer's values are produced when they are needed (export or run). */
export type WeightInit =
  { kind: 'he-normal'; fanIn: number } | { kind: 'constant'; value: number } | { kind: 'values'; values: number[] };

/**
 * `param`: a weight of the model (counted as a parameter). `constant`: a value the graph needs
 * that is not a learned weight (a Reshape target shape, a Clip bound, a fixed residual scale,
 * or the all-ones BatchNorm scale of a Keras `scale=False` layer): never counted.
 */
export type InitializerRole = 'param' | 'constant';

export interface Initializer {
  name: string;
  dtype: DType;
  shape: Shape;
  role: InitializerRole;
  /** Keras' split: BatchNorm moving mean/variance are non-trainable parameters. */
  trainable: boolean;
  /** Present when values are generated lazily. */
  init?: WeightInit;
  /** Present once materialized, or when read from a file. */
  data?: TensorData;
  /** The raw bytes were stored outside the ONNX file (external data); kept for reporting. */
  external?: { location: string; offset: number; length: number };
}

export type AttrValue =
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'string'; value: string }
  | { type: 'ints'; value: number[] }
  | { type: 'floats'; value: number[] }
  | { type: 'strings'; value: string[] }
  | { type: 'tensor'; value: Initializer };

export interface GraphNode {
  name: string;
  op: string;
  /** ONNX operator domain; '' is the default ai.onnx domain. */
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

export interface GraphMeta {
  /** Human description, e.g. "ResNet-50 (Keras applications variant)". */
  description?: string;
  /** Variant of a zoo model (keras, torchvision, paper), stated by the builder. */
  variant?: string;
  /** Notes on what the variant means or where it differs from others. */
  notes?: string[];
  /** Warnings produced while building or importing (unknown operators, dropped dims, ...). */
  warnings?: string[];
  /** Opset of the default domain when imported; exports use max(this, EXPORT_OPSET). */
  opset?: number;
  /** Where the graph came from: block, model or file. */
  source?: { kind: 'block' | 'model' | 'file'; name: string; params?: Record<string, unknown> };
}

export interface Graph {
  name: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  nodes: GraphNode[];
  initializers: Map<string, Initializer>;
  /** Every intermediate tensor's inferred dtype and shape, by name. */
  values: Map<string, TensorInfo>;
  meta: GraphMeta;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function formatShape(shape: readonly number[]): string {
  return shape.join('x');
}

/** An error in the user's input (a parameter, a file, a shape), with a message meant for them. */
export class StudioError extends Error {
  constructor(
    message: string,
    readonly code: string = 'invalid-input',
  ) {
    super(message);
    this.name = 'StudioError';
  }
}
