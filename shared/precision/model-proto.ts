// Small helpers over a decoded ONNX ModelProto, shared by the fp16 and int8 rewrites. The variants
// are built on the ModelProto (not the studio graph) so that catalog blocks, zoo models and
// imported files go through one path, and whatever the file carries (opsets, names) is kept.
import { StudioError } from '../ir/types.js';
import { decodeTensor, encodeTensor, onnx, type ITensorProto, type OnnxTypes } from '../onnx/tensor.js';

export type ModelProto = OnnxTypes.ModelProto;
export type GraphProto = OnnxTypes.IGraphProto;
export type NodeProto = OnnxTypes.INodeProto;

/** ONNX TensorProto.DataType codes used by the rewrites. */
export const ONNX_TYPE = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10, DOUBLE: 11 } as const;

export function decodeModel(bytes: Uint8Array): ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new StudioError(`not an ONNX model (protobuf decode failed: ${(e as Error).message})`, 'bad-file');
  }
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

export function graphOf(model: ModelProto): GraphProto {
  if (!model.graph) throw new StudioError('the ONNX model has no graph', 'bad-file');
  return model.graph;
}

/** The default-domain opset of a model. */
export function opsetOf(model: ModelProto): number {
  const entry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return Number(entry?.version ?? 0);
}

/** Float values of an initializer (float32 or float16 stored), or undefined for other types. */
export function floatValues(t: ITensorProto): Float32Array | undefined {
  if (t.dataType !== ONNX_TYPE.FLOAT) return undefined;
  const d = decodeTensor(t, `initializer '${t.name}'`);
  return d.data as Float32Array;
}

export function dimsOf(t: ITensorProto): number[] {
  return (t.dims ?? []).map((d) => Number(d));
}

export function floatTensor(name: string, shape: number[], data: Float32Array): ITensorProto {
  return encodeTensor(name, 'float32', shape, data);
}

export function attrInt(node: NodeProto, name: string, fallback: number): number {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  return a?.i !== undefined && a.i !== null ? Number(a.i) : fallback;
}

export function attrFloat(node: NodeProto, name: string, fallback: number): number {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  return a?.f !== undefined && a.f !== null ? Number(a.f) : fallback;
}

export function intAttr(name: string, value: number): OnnxTypes.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
}

/** Names that are not yet used by any tensor or node of the graph, derived from a base. */
export class NameScope {
  private readonly used = new Set<string>();
  constructor(graph: GraphProto) {
    for (const n of graph.node ?? []) {
      if (n.name) this.used.add(n.name);
      for (const t of [...(n.input ?? []), ...(n.output ?? [])]) this.used.add(t);
    }
    for (const t of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])])
      if (t.name) this.used.add(t.name);
    for (const t of graph.initializer ?? []) if (t.name) this.used.add(t.name);
  }

  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
}

/** Element type of a value_info (graph input or output), or undefined when it is not a tensor. */
export function elemTypeOf(v: OnnxTypes.IValueInfoProto): number | undefined {
  return v.type?.tensorType?.elemType ?? undefined;
}
