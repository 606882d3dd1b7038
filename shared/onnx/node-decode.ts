// NodeProto pieces for the reader: attributes, initializers, and the folding of Constant and
// ConstantOfShape nodes into initializers. Pure: no Node built-ins.
/* global TextDecoder -- a WHATWG global in Node and in every browser, so still pure shared code */
import type { AttrValue, GraphNode, Initializer } from '../ir/types.js';
import { firstValue } from './half.js';
import { decodeTensor, onnx, toNumber, type ExternalReader, type IntLike, type OnnxTypes } from './tensor.js';

const AT = onnx.AttributeProto.AttributeType;
const utf8 = new TextDecoder();

export function initializerOf(t: OnnxTypes.ITensorProto, where: string, external?: ExternalReader): Initializer {
  const d = decodeTensor(t, where, external);
  // Role and trainability are decided by classifyInitializers once every consumer is known.
  return {
    name: t.name ?? '',
    dtype: d.dtype,
    shape: d.shape,
    role: 'constant',
    trainable: false,
    data: d.data,
    ...(d.external ? { external: d.external } : {}),
  };
}

export function attrOf(a: OnnxTypes.IAttributeProto, where: string, external?: ExternalReader): AttrValue | undefined {
  // Very old files leave `type` unset; the field that holds a value tells which it is.
  const type =
    a.type ||
    (a.t
      ? AT.TENSOR
      : a.floats?.length
        ? AT.FLOATS
        : a.ints?.length
          ? AT.INTS
          : a.strings?.length
            ? AT.STRINGS
            : a.s?.length
              ? AT.STRING
              : a.f
                ? AT.FLOAT
                : AT.INT);
  switch (type) {
    case AT.FLOAT:
      return { type: 'float', value: a.f ?? 0 };
    case AT.INT:
      return { type: 'int', value: toNumber(a.i as IntLike) };
    case AT.STRING:
      return { type: 'string', value: utf8.decode(a.s ?? new Uint8Array()) };
    case AT.FLOATS:
      return { type: 'floats', value: [...(a.floats ?? [])] };
    case AT.INTS:
      return { type: 'ints', value: (a.ints ?? []).map((v) => toNumber(v as IntLike)) };
    case AT.STRINGS:
      return { type: 'strings', value: (a.strings ?? []).map((s) => utf8.decode(s)) };
    case AT.TENSOR:
      return a.t
        ? { type: 'tensor', value: initializerOf({ ...a.t, name: a.t.name || a.name }, where, external) }
        : undefined;
    default:
      return undefined; // graphs, sparse tensors, type protos: reported by the caller
  }
}

/**
 * Constant and ConstantOfShape nodes with a constant shape become initializers under their
 * output's name. Constants are then one kind of thing for classification, costing and backends.
 * A folded ConstantOfShape gets `init: { kind: 'constant', value }` and no data: the onnx-light
 * models' weights (VGG-19's 143M values) are counted as parameters without being allocated, and
 * are generated only if the graph is exported or run.
 */
export function foldConstantNode(node: GraphNode, inits: Map<string, Initializer>): Initializer | undefined {
  const out = node.outputs[0];
  if (!out || node.outputs.length !== 1) return undefined;
  const base = { name: out, role: 'constant' as const, trainable: false };
  const a = node.attrs;
  if (node.op === 'Constant') {
    if (a.value?.type === 'tensor') {
      const t = a.value.value;
      return {
        ...base,
        dtype: t.dtype,
        shape: t.shape,
        ...(t.data ? { data: t.data } : {}),
        ...(t.init ? { init: t.init } : {}),
      };
    }
    if (a.value_float?.type === 'float')
      return { ...base, dtype: 'float32', shape: [], data: Float32Array.of(a.value_float.value) };
    if (a.value_floats?.type === 'floats')
      return {
        ...base,
        dtype: 'float32',
        shape: [a.value_floats.value.length],
        data: Float32Array.from(a.value_floats.value),
      };
    if (a.value_int?.type === 'int')
      return { ...base, dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(a.value_int.value)) };
    if (a.value_ints?.type === 'ints')
      return {
        ...base,
        dtype: 'int64',
        shape: [a.value_ints.value.length],
        data: BigInt64Array.from(a.value_ints.value, (v) => BigInt(v)),
      };
    return undefined; // string or sparse values: left as a node
  }
  if (node.op === 'ConstantOfShape') {
    const shapeInit = inits.get(node.inputs[0]);
    if (!shapeInit?.data || shapeInit.shape.length !== 1) return undefined;
    const shape = Array.from(shapeInit.data as ArrayLike<number | bigint>, Number);
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) return undefined; // left to shape inference to report
    const v = a.value?.type === 'tensor' ? a.value.value : undefined;
    const value = v?.data && v.data.length > 0 ? firstValue(v.data, v.dtype) : 0;
    return { ...base, dtype: v?.dtype ?? 'float32', shape, init: { kind: 'constant', value } };
  }
  return undefined;
}
