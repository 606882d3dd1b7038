// The fp16 variant: every float32 initializer and constant becomes float16 and the graph computes
// in float16, while the graph's inputs and outputs stay float32 with Cast nodes at the boundary
// (onnxconverter-common's convert_float_to_float16 with keep_io_types=True). The same float32
// feeds therefore run both variants, and fidelity compares float32 outputs.
import { StudioError } from '../ir/types.js';
import { decodeTensor, encodeTensor, type ITensorProto } from '../onnx/tensor.js';
import {
  decodeModel,
  elemTypeOf,
  encodeModel,
  graphOf,
  intAttr,
  NameScope,
  ONNX_TYPE,
  type NodeProto,
} from './model-proto.js';

/** Inputs that the ONNX specification requires to stay float32 whatever the data type (op -> input slots). */
const FLOAT32_SLOTS: Record<string, number[]> = {
  Resize: [1, 2],
  Upsample: [1],
};

export interface Fp16Conversion {
  bytes: Uint8Array;
  /** Initializers converted to float16, and how many values were out of float16's range (clamped). */
  convertedInitializers: number;
  overflowValues: number;
  /** Cast nodes added at the graph's boundary. */
  boundaryCasts: number;
  /** Operator types computing in float16 (the graph's operators other than the boundary Casts). */
  ops: string[];
}

const FP16_MAX = 65504;

/** Converts float32 model bytes into the fp16 variant (see the file comment). */
export function convertToFp16(fp32: Uint8Array): Fp16Conversion {
  const model = decodeModel(fp32);
  const graph = graphOf(model);
  const names = new NameScope(graph);
  const keepFloat = new Set<string>();
  for (const n of graph.node ?? [])
    for (const slot of FLOAT32_SLOTS[n.opType ?? ''] ?? []) if (n.input?.[slot]) keepFloat.add(n.input[slot]);

  let converted = 0;
  let overflow = 0;
  const toHalfTensor = (t: ITensorProto): ITensorProto => {
    if (t.dataType !== ONNX_TYPE.FLOAT || keepFloat.has(t.name ?? '')) return t;
    const d = decodeTensor(t, `initializer '${t.name}'`);
    const src = d.data as Float32Array;
    const clamped = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) {
      const v = src[i];
      if (Math.abs(v) > FP16_MAX) overflow++;
      clamped[i] = Math.max(-FP16_MAX, Math.min(FP16_MAX, v));
    }
    converted++;
    return encodeTensor(t.name ?? '', 'float16', d.shape, clamped, t.docString ?? undefined);
  };
  graph.initializer = (graph.initializer ?? []).map(toHalfTensor);

  for (const n of graph.node ?? []) {
    if (n.domain && n.domain !== 'ai.onnx')
      throw new StudioError(
        `node '${n.name}' is ${n.domain}.${n.opType}; the fp16 variant converts default-domain operators only`,
        'unsupported',
      );
    if (n.opType === 'If' || n.opType === 'Loop' || n.opType === 'Scan')
      throw new StudioError(
        `node '${n.name}' (${n.opType}) has subgraphs, which the fp16 variant does not convert`,
        'unsupported',
      );
    for (const a of n.attribute ?? []) {
      // Constant values and ConstantOfShape fills follow the graph into float16.
      if (a.t && a.t.dataType === ONNX_TYPE.FLOAT) a.t = toHalfTensor(a.t);
      // A Cast to float inside the graph computes in float16 now.
      if (n.opType === 'Cast' && a.name === 'to' && Number(a.i) === ONNX_TYPE.FLOAT) a.i = ONNX_TYPE.FLOAT16;
    }
  }

  const before: NodeProto[] = [];
  const after: NodeProto[] = [];
  const rename = new Map<string, string>();
  for (const input of graph.input ?? []) {
    if (elemTypeOf(input) !== ONNX_TYPE.FLOAT || !input.name) continue;
    if ((graph.initializer ?? []).some((t) => t.name === input.name)) continue;
    const half = names.fresh(`${input.name}_fp16`);
    rename.set(input.name, half);
    before.push({
      name: names.fresh(`${input.name}_to_fp16`),
      opType: 'Cast',
      input: [input.name],
      output: [half],
      attribute: [intAttr('to', ONNX_TYPE.FLOAT16)],
    });
  }
  for (const n of graph.node ?? []) n.input = (n.input ?? []).map((i) => rename.get(i) ?? i);
  const outputNames = new Map<string, string>();
  for (const output of graph.output ?? []) {
    if (elemTypeOf(output) !== ONNX_TYPE.FLOAT || !output.name) continue;
    const half = names.fresh(`${output.name}_fp16`);
    outputNames.set(output.name, half);
    after.push({
      name: names.fresh(`${output.name}_to_fp32`),
      opType: 'Cast',
      input: [rename.get(output.name) ?? half],
      output: [output.name],
      attribute: [intAttr('to', ONNX_TYPE.FLOAT)],
    });
  }
  // Producers of graph outputs write the float16 tensor; every consumer inside reads that one too.
  for (const n of graph.node ?? []) {
    n.output = (n.output ?? []).map((o) => outputNames.get(o) ?? o);
    n.input = (n.input ?? []).map((i) => outputNames.get(i) ?? i);
  }
  const ops = [...new Set((graph.node ?? []).map((n) => n.opType ?? ''))].sort();
  graph.node = [...before, ...(graph.node ?? []), ...after];
  // Intermediate types changed: let the runtime infer them again.
  graph.valueInfo = [];
  return {
    bytes: encodeModel(model),
    convertedInitializers: converted,
    overflowValues: overflow,
    boundaryCasts: before.length + after.length,
    ops,
  };
}
