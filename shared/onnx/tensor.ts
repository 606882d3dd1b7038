// TensorProto <-> typed array, shared by the ONNX reader and writer. Pure: no Node built-ins.
// onnx-proto is CommonJS; under Node ESM (tsx, vitest) its exports arrive as the default import.
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { ONNX_CODE_BY_DTYPE, ONNX_DTYPE_BY_CODE } from '../ops/shape-ops.js';
import { toBfloat16, toHalf } from './half.js';
import { DTYPE_BYTES, StudioError, numel, type DType, type TensorData } from '../ir/types.js';

export const { onnx } = onnxProto;
export type { OnnxTypes };
export type ITensorProto = OnnxTypes.ITensorProto;

/** protobufjs decodes int64 fields as Long objects (the `long` package is installed) or numbers. */
export type IntLike = number | { toNumber(): number } | null | undefined;
type LongLike = { low: number; high: number; unsigned?: boolean };

export function toNumber(v: IntLike): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

function toBigInt(v: unknown, unsigned: boolean): bigint {
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  const l = v as LongLike;
  // Exact for the whole 64-bit range, unlike going through a JS number.
  const big = (BigInt(l.high >>> 0) << 32n) + BigInt(l.low >>> 0);
  return unsigned ? BigInt.asUintN(64, big) : BigInt.asIntN(64, big);
}

/**
 * ONNX stores everything little-endian. Every machine the studio runs on is little-endian, so
 * the fast path reinterprets a copy of the bytes; the DataView path keeps the code correct anywhere.
 */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** How each dtype is held in memory. float16/bfloat16 stay as raw 16-bit patterns (Uint16Array). */
const ARRAY_OF: Record<Exclude<DType, 'string'>, { new (n: number): TensorData; BYTES_PER_ELEMENT: number }> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
};

export function dtypeOfCode(code: number, where: string): DType {
  const dt = ONNX_DTYPE_BY_CODE[code];
  if (!dt) {
    const names: Record<number, string> = {
      0: 'UNDEFINED',
      14: 'complex64',
      15: 'complex128',
      17: 'float8e4m3fn',
      18: 'float8e4m3fnuz',
      19: 'float8e5m2',
      20: 'float8e5m2fnuz',
      21: 'uint4',
      22: 'int4',
    };
    throw new StudioError(
      `${where} has data type ${code} (${names[code] ?? 'unknown'}), which the studio does not support`,
      'unsupported',
    );
  }
  return dt;
}

function fromLittleEndian(bytes: Uint8Array, dtype: DType, where: string): TensorData {
  if (dtype === 'string')
    throw new StudioError(`${where} is a string tensor, which the studio does not support`, 'unsupported');
  const Ctor = ARRAY_OF[dtype];
  const size = Ctor.BYTES_PER_ELEMENT;
  if (bytes.length % size !== 0)
    throw new StudioError(
      `${where}: ${bytes.length} bytes of data is not a whole number of ${dtype} values`,
      'bad-file',
    );
  const n = bytes.length / size;
  if (LITTLE_ENDIAN || size === 1) {
    // Copy: the decoder hands out views into the file buffer, often misaligned for the typed array.
    const copy = new Uint8Array(bytes);
    return new (Ctor as unknown as new (b: ArrayBuffer, o: number, n: number) => TensorData)(copy.buffer, 0, n);
  }
  const out = new Ctor(n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) {
    const o = i * size;
    switch (dtype) {
      case 'float32':
        (out as Float32Array)[i] = dv.getFloat32(o, true);
        break;
      case 'float64':
        (out as Float64Array)[i] = dv.getFloat64(o, true);
        break;
      case 'int16':
        (out as Int16Array)[i] = dv.getInt16(o, true);
        break;
      case 'int32':
        (out as Int32Array)[i] = dv.getInt32(o, true);
        break;
      case 'uint32':
        (out as Uint32Array)[i] = dv.getUint32(o, true);
        break;
      case 'int64':
        (out as BigInt64Array)[i] = dv.getBigInt64(o, true);
        break;
      case 'uint64':
        (out as BigUint64Array)[i] = dv.getBigUint64(o, true);
        break;
      default:
        (out as Uint16Array)[i] = dv.getUint16(o, true);
    }
  }
  return out;
}

export function toLittleEndian(data: TensorData): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) return bytes;
  const out = new Uint8Array(bytes.length);
  const k = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += k) for (let j = 0; j < k; j++) out[i + j] = bytes[i + k - 1 - j];
  return out;
}

/**
 * `data` as the typed array `dtype` is held in. Generated weights are Float32Array whatever the
 * declared dtype (graph/weights.ts), so float16/int8/... initializers are converted here.
 */
export function coerceData(data: TensorData, dtype: DType, where: string): TensorData {
  if (dtype === 'string')
    throw new StudioError(`${where} is a string tensor, which the studio cannot export`, 'unsupported');
  const Ctor = ARRAY_OF[dtype];
  if (data instanceof Ctor) return data;
  const out = new Ctor(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (out instanceof BigInt64Array || out instanceof BigUint64Array) out[i] = BigInt(Math.trunc(v));
    else if (dtype === 'float16') out[i] = toHalf(v);
    else if (dtype === 'bfloat16') out[i] = toBfloat16(v);
    else if (dtype === 'bool') out[i] = v ? 1 : 0;
    else out[i] = v;
  }
  return out;
}

export interface DecodedTensor {
  dtype: DType;
  shape: number[];
  data: TensorData;
  external?: { location: string; offset: number; length: number };
}

/** Reads bytes kept outside the model file; returns exactly `length` bytes or throws. */
export type ExternalReader = (location: string, offset: number, length: number) => Uint8Array;

/** Decodes one TensorProto (initializer, attribute value, test data) into a typed array. */
export function decodeTensor(t: ITensorProto, where: string, external?: ExternalReader): DecodedTensor {
  const dtype = dtypeOfCode(t.dataType ?? 0, where);
  const shape = (t.dims ?? []).map((d) => toNumber(d as IntLike));
  if (shape.some((d) => !(d >= 0)))
    throw new StudioError(`${where} has an invalid shape [${shape.join(',')}]`, 'bad-file');
  // Past 2^53 a JS number is no longer an exact count: refuse before sizing anything from it.
  if (!Number.isSafeInteger(numel(shape) * DTYPE_BYTES[dtype]) || !shape.every(Number.isSafeInteger))
    throw new StudioError(
      `${where} has shape [${(t.dims ?? []).map(String).join(',')}]: too large (its size passes 2^53 bytes, not an exact number)`,
      'too-large',
    );
  if (t.segment)
    throw new StudioError(`${where} is a segmented tensor, which the studio does not support`, 'unsupported');
  const n = numel(shape);
  const expectedBytes = n * DTYPE_BYTES[dtype];
  let data: TensorData;
  let ext: DecodedTensor['external'];
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const location = entries.get('location');
    if (!location) throw new StudioError(`${where} says its data is external but names no location`, 'bad-file');
    const offset = Number(entries.get('offset') ?? 0);
    const length = entries.has('length') ? Number(entries.get('length')) : expectedBytes;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0)
      throw new StudioError(
        `${where}: invalid external data offset '${entries.get('offset')}' / length '${entries.get('length')}'`,
        'bad-file',
      );
    if (!external)
      throw new StudioError(
        `${where} keeps its data in the external file '${location}', and no folder was given to read it from`,
        'bad-file',
      );
    let bytes: Uint8Array;
    try {
      bytes = external(location, offset, length);
    } catch (e) {
      throw new StudioError(`${where}: ${(e as Error).message}`, e instanceof StudioError ? e.code : 'bad-file');
    }
    if (bytes.length !== length)
      throw new StudioError(
        `${where}: external data file '${location}' gave ${bytes.length} bytes at offset ${offset}, expected ${length}`,
        'bad-file',
      );
    data = fromLittleEndian(bytes, dtype, where);
    ext = { location, offset, length };
  } else if (t.rawData && t.rawData.length > 0) {
    data = fromLittleEndian(t.rawData, dtype, where);
  } else {
    data = typedFieldData(t, dtype, n, where);
  }
  if (data.length !== n)
    throw new StudioError(
      `${where} holds ${data.length} values but its shape [${shape.join(',')}] needs ${n}`,
      'bad-file',
    );
  return { dtype, shape, data, ...(ext ? { external: ext } : {}) };
}

/** The typed repeated fields: which one holds which dtype is fixed by onnx.proto. */
function typedFieldData(t: ITensorProto, dtype: DType, n: number, where: string): TensorData {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(t.floatData ?? []);
    case 'float64':
      return Float64Array.from(t.doubleData ?? []);
    case 'int64':
      return BigInt64Array.from(t.int64Data ?? [], (v) => toBigInt(v, false));
    case 'uint32':
      return Uint32Array.from(t.uint64Data ?? [], (v) => Number(toBigInt(v, true)));
    case 'uint64':
      return BigUint64Array.from(t.uint64Data ?? [], (v) => toBigInt(v, true));
    case 'string':
      throw new StudioError(`${where} is a string tensor, which the studio does not support`, 'unsupported');
    default: {
      // int8/16, uint8/16, bool, int32 and the 16-bit floats (as bit patterns) live in int32_data.
      const out = new ARRAY_OF[dtype](Math.min(n, t.int32Data?.length ?? 0));
      (t.int32Data ?? []).forEach((v, i) => ((out as Int32Array)[i] = v));
      return out;
    }
  }
}

/** Encodes values as a TensorProto with raw_data (little-endian), the compact form ONNX prefers. */
export function encodeTensor(
  name: string,
  dtype: DType,
  shape: number[],
  data: TensorData,
  docString?: string,
): ITensorProto {
  const typed = coerceData(data, dtype, `tensor '${name}'`);
  if (typed.length !== numel(shape))
    throw new StudioError(
      `tensor '${name}' holds ${typed.length} values but its shape [${shape.join(',')}] needs ${numel(shape)}`,
      'internal',
    );
  return {
    name,
    dataType: ONNX_CODE_BY_DTYPE[dtype],
    dims: shape,
    rawData: toLittleEndian(typed),
    ...(docString ? { docString } : {}),
  };
}

/** A serialized TensorProto file (the conformance `*_output_0.pb` / `input_0.pb` files). */
export function tensorFromBytes(bytes: Uint8Array, fileName: string): DecodedTensor {
  let t: ITensorProto;
  try {
    t = onnx.TensorProto.decode(bytes);
  } catch (e) {
    throw new StudioError(
      `${fileName} is not a serialized ONNX tensor (protobuf decode failed: ${(e as Error).message})`,
      'bad-file',
    );
  }
  return decodeTensor(t, `${fileName} (tensor '${t.name ?? ''}')`);
}
