// TensorProto encoding and decoding for every dtype the studio holds, through raw_data and
// through the typed repeated field onnx.proto assigns to each dtype.
import { describe, expect, it } from 'vitest';
import { firstValue } from '../shared/onnx/half.js';
import { decodeTensor, encodeTensor } from '../shared/onnx/tensor.js';

describe('tensor codec', () => {
  const DTYPES = [
    'float32',
    'float64',
    'float16',
    'bfloat16',
    'int8',
    'uint8',
    'int16',
    'uint16',
    'int32',
    'uint32',
    'int64',
    'uint64',
    'bool',
  ] as const;
  it.each(DTYPES)('%s survives encode -> decode (raw and typed fields)', (dtype) => {
    const values = dtype === 'bool' ? [0, 1, 1, 0] : [0, 1, 2, 3];
    const encoded = encodeTensor('t', dtype, [2, 2], Float32Array.from(values));
    const decoded = decodeTensor(encoded, 't');
    // firstValue turns one element (a 16-bit float pattern included) into a number.
    const back = (d: typeof decoded) =>
      Array.from({ length: d.data.length }, (_, i) => firstValue(d.data.subarray(i, i + 1), dtype));
    expect([decoded.dtype, decoded.shape]).toEqual([dtype, [2, 2]]);
    expect(back(decoded)).toEqual(values);
    // The same values through the typed repeated field ONNX assigns to the dtype.
    const field =
      { float32: 'floatData', float64: 'doubleData', int64: 'int64Data', uint32: 'uint64Data', uint64: 'uint64Data' }[
        dtype as string
      ] ?? 'int32Data';
    const typed = {
      name: 't',
      dataType: encoded.dataType,
      dims: [2, 2],
      [field]: Array.from(decoded.data as ArrayLike<number | bigint>, Number),
    };
    expect(back(decodeTensor(typed, 't'))).toEqual(values);
  });

  it('rejects a value count that does not match the shape, and unsupported types', () => {
    expect(() => decodeTensor({ name: 'w', dataType: 1, dims: [3], floatData: [1, 2] }, "initializer 'w'")).toThrow(
      /initializer 'w' holds 2 values but its shape \[3\] needs 3/,
    );
    expect(() => decodeTensor({ name: 'c', dataType: 14, dims: [1] }, "initializer 'c'")).toThrow(
      /data type 14 \(complex64\)/,
    );
    expect(() =>
      decodeTensor({ name: 's', dataType: 8, dims: [1], stringData: [new Uint8Array([65])] }, "initializer 's'"),
    ).toThrow(/string tensor/);
  });
});
