// The ONNX reader on hand-made models: what counts as a parameter, constants, dynamic dims,
// unknown operators, every tensor encoding, and external data on disk.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readOnnxFile, writeOnnxFile } from '../main/onnx/onnx-file.js';
import { countParams } from '../shared/cost/params.js';
import { StudioError } from '../shared/ir/types.js';
import { onnxToGraph } from '../shared/onnx/reader.js';
import { onnx, type OnnxTypes } from '../shared/onnx/tensor.js';
import { graphToOnnx } from '../shared/onnx/writer.js';

const f32 = (xs: number[]) => new Uint8Array(Float32Array.from(xs).buffer);
const i64 = (xs: number[]) => new Uint8Array(BigInt64Array.from(xs.map(BigInt)).buffer);
const vi = (name: string, dims: (number | string | null)[], elemType = 1): OnnxTypes.IValueInfoProto => ({
  name,
  type: {
    tensorType: {
      elemType,
      shape: { dim: dims.map((d) => (d === null ? {} : typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
    },
  },
});
const AT = onnx.AttributeProto.AttributeType;

export function model(graph: OnnxTypes.IGraphProto, opset = 13, irVersion = 7): Uint8Array {
  return onnx.ModelProto.encode({ irVersion, opsetImport: [{ domain: '', version: opset }], graph }).finish();
}

/** x[N,4,5,?] -> Conv(w const-of-shape, b typed) -> BN -> Mul(scalar) -> Add(bias vector) -> Clip -> Reshape -> Custom */
function sampleModel(): Uint8Array {
  return model({
    name: 'sample',
    node: [
      {
        opType: 'ConstantOfShape',
        input: ['w_shape'],
        output: ['w'],
        attribute: [{ name: 'value', type: AT.TENSOR, t: { dataType: 1, dims: [1], floatData: [0.5] } }],
      },
      { opType: 'Constant', output: ['half'], attribute: [{ name: 'value_float', type: AT.FLOAT, f: 0.5 }] },
      {
        opType: 'Constant',
        output: ['bias'],
        attribute: [
          { name: 'value', type: AT.TENSOR, t: { dataType: 1, dims: [1, 3, 1, 1], rawData: f32([1, 2, 3]) } },
        ],
      },
      {
        opType: 'Conv',
        name: 'conv',
        input: ['x', 'w', 'b'],
        output: ['c'],
        attribute: [{ name: 'kernel_shape', type: AT.INTS, ints: [3, 1] }],
      },
      { opType: 'BatchNormalization', input: ['c', 'g', 'beta', 'mean', 'var'], output: ['bn'] },
      { opType: 'Mul', input: ['bn', 'half'], output: ['m'] },
      { opType: 'Add', input: ['m', 'bias'], output: ['a'] },
      { opType: 'Clip', input: ['a', 'lo', 'hi'], output: ['r6'] },
      { opType: 'Reshape', input: ['r6', 'shape'], output: ['flat'] },
      { opType: 'MyOp', domain: 'com.example', input: ['flat'], output: ['y'] },
    ],
    initializer: [
      { name: 'w_shape', dataType: 7, dims: [4], int64Data: [3, 4, 3, 1] },
      { name: 'b', dataType: 1, dims: [3], floatData: [0.1, 0.2, 0.3] },
      { name: 'g', dataType: 1, dims: [3], rawData: f32([1, 1, 1]) },
      { name: 'beta', dataType: 11, dims: [3], doubleData: [0, 0, 0] },
      { name: 'mean', dataType: 1, dims: [3], rawData: f32([0, 0, 0]) },
      { name: 'var', dataType: 1, dims: [3], rawData: f32([1, 1, 1]) },
      { name: 'lo', dataType: 1, dims: [], floatData: [0] },
      { name: 'hi', dataType: 1, dims: [], floatData: [6] },
      { name: 'shape', dataType: 7, dims: [2], rawData: i64([0, -1]) },
    ],
    // Old-IR style: an initializer listed as an input too.
    input: [vi('x', ['N', 4, 5, null]), vi('g', [3])],
    output: [vi('y', ['N', 9])],
    valueInfo: [vi('y', ['N', 9])],
  });
}

describe('onnxToGraph on a hand-made model', () => {
  const graph = onnxToGraph(sampleModel(), { name: 'sample.onnx', dims: { N: 2 } });
  const init = (n: string) => graph.initializers.get(n)!;

  it('resolves dynamic dims from opts.dims or 1, and says so', () => {
    expect(graph.inputs).toHaveLength(1);
    expect(graph.inputs[0].shape).toEqual([2, 4, 5, 1]);
    expect(graph.inputs[0].dimParams).toEqual(['N', undefined, undefined, '']);
    expect(graph.meta.warnings!.join('\n')).toMatch(/dimension 3 is unknown: using 1/);
    expect(graph.meta.warnings!.join('\n')).toMatch(/'N'\): using 2 as given/);
  });

  it('refuses a dimension name that is not a symbolic dimension of an input, naming those that are', () => {
    const refusal = (dims: Record<string, number>, bytes = sampleModel()) => {
      try {
        onnxToGraph(bytes, { name: 'sample.onnx', dims });
      } catch (e) {
        expect(e).toBeInstanceOf(StudioError);
        expect((e as StudioError).code).toBe('bad-parameter');
        return (e as Error).message;
      }
      throw new Error('no refusal');
    };
    expect(refusal({ n: 2 })).toBe(
      "sample.onnx: unknown dimension 'n': not a symbolic dimension of the file. Symbolic dimensions: N",
    );
    expect(refusal({ N: 2, batch: 4 })).toMatch(/unknown dimension 'batch'.*Symbolic dimensions: N$/);
    // Every dimension fixed: nothing can be set, and the message shows the input's shape.
    const fixed = model({
      name: 'fixed',
      node: [{ opType: 'Relu', input: ['x'], output: ['y'] }],
      input: [vi('x', [1, 3, 4, 4])],
      output: [vi('y', [1, 3, 4, 4])],
    });
    expect(refusal({ batch: 8 }, fixed)).toBe(
      "sample.onnx: unknown dimension 'batch': the file has no symbolic dimensions to set (inputs: 'x' 1x3x4x4)",
    );
    expect(onnxToGraph(fixed, { name: 'fixed.onnx', dims: {} }).inputs[0].shape).toEqual([1, 3, 4, 4]);
  });

  it('turns Constant and constant-shape ConstantOfShape nodes into initializers, without allocating', () => {
    expect(graph.nodes.map((n) => n.op)).toEqual([
      'Conv',
      'BatchNormalization',
      'Mul',
      'Add',
      'Clip',
      'Reshape',
      'MyOp',
    ]);
    expect(init('w')).toMatchObject({ shape: [3, 4, 3, 1], init: { kind: 'constant', value: 0.5 }, role: 'param' });
    expect(init('w').data).toBeUndefined();
    expect(graph.initializers.has('w_shape')).toBe(false);
    expect(Array.from(init('bias').data as Float32Array)).toEqual([1, 2, 3]);
  });

  it('classifies parameters by the consuming operator slot', () => {
    expect([init('b').role, init('g').role, init('beta').role]).toEqual(['param', 'param', 'param']);
    expect([init('mean').trainable, init('var').trainable, init('g').trainable]).toEqual([false, false, true]);
    expect(init('half').role).toBe('constant'); // scalar Mul operand
    expect(init('bias').role).toBe('param'); // Add with a per-channel vector
    expect([init('lo').role, init('hi').role, init('shape').role]).toEqual(['constant', 'constant', 'constant']);
    expect(countParams(graph)).toEqual({
      params: 36 + 3 + 12 + 3,
      trainableParams: 36 + 3 + 6 + 3,
      nonTrainableParams: 6,
    });
  });

  it('decodes typed fields and raw data of several dtypes', () => {
    expect(init('beta').dtype).toBe('float64');
    expect(init('beta').data).toBeInstanceOf(Float64Array);
    expect(Array.from(init('shape').data as BigInt64Array)).toEqual([0n, -1n]);
    expect(Array.from(init('b').data as Float32Array)).toEqual(Array.from(Float32Array.from([0.1, 0.2, 0.3])));
  });

  it('keeps an unknown operator, using the declared value_info shape', () => {
    expect(graph.meta.warnings!.join('\n')).toMatch(/com\.example\.MyOp node .* not an operator the studio knows/);
    expect(graph.values.get('flat')!.shape).toEqual([2, 9]);
    expect(graph.outputs[0].shape).toEqual([2, 9]);
    expect(graph.meta.opset).toBe(13);
  });

  it('exports again, keeping the foreign domain and the dynamic dims', () => {
    const m = onnx.ModelProto.decode(graphToOnnx(graph));
    expect(m.opsetImport.map((o) => o.domain).sort()).toEqual(['', 'com.example']);
    expect(m.graph!.input![0].type!.tensorType!.shape!.dim!.map((d) => d.dimParam ?? null)).toEqual([
      'N',
      null,
      null,
      null,
    ]);
  });
});

describe('bad files are StudioErrors with clear messages', () => {
  const fails = (bytes: Uint8Array, name = 'model.onnx') => {
    try {
      onnxToGraph(bytes, { name });
    } catch (e) {
      expect(e).toBeInstanceOf(StudioError);
      return (e as Error).message;
    }
    throw new Error('expected a StudioError');
  };
  const squeezenet = new URL('../../shared/conformance/onnx-light/squeezenet.onnx', import.meta.url);

  it('empty, text, random and truncated bytes', async () => {
    expect(fails(new Uint8Array())).toBe('model.onnx is empty (0 bytes), not an ONNX model');
    expect(fails(new TextEncoder().encode('hello, this is a text file\nnot a model\n'), 'notes.onnx')).toMatch(
      /^notes\.onnx is not an ONNX model.*looks like text/,
    );
    let seed = 1;
    for (let k = 0; k < 20; k++) {
      const bytes = Uint8Array.from({ length: 500 + k * 37 }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
      expect(fails(bytes, `random${k}.onnx`)).toMatch(new RegExp(`^random${k}\\.onnx`));
    }
    const { readFileSync } = await import('node:fs');
    const full = readFileSync(squeezenet);
    expect(fails(full.subarray(0, full.length >> 1), 'half.onnx')).toMatch(
      /^half\.onnx is not an ONNX model \(protobuf decode failed: /,
    );
    expect(fails(full.subarray(0, 10), 'ten.onnx')).toMatch(/^ten\.onnx is not an ONNX model: it holds no graph/);
  });

  it('a model without a graph, a sparse initializer, a dangling input', () => {
    expect(
      fails(onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }] }).finish()),
    ).toMatch(/holds no graph/);
    const sparse = model({
      sparseInitializer: [{ values: { name: 'sp', dataType: 1, dims: [1], floatData: [1] }, dims: [4] }],
      input: [vi('x', [1])],
      output: [vi('x', [1])],
    });
    expect(fails(sparse)).toMatch(/model\.onnx: sparse initializers are not supported \(1, e\.g\. 'sp'\)/);
    const dangling = model({
      node: [{ opType: 'Relu', input: ['nope'], output: ['y'] }],
      input: [vi('x', [1])],
      output: [vi('y', [1])],
    });
    expect(fails(dangling)).toMatch(/^model\.onnx: .*input 'nope' of Relu node .* is produced by no node/);
  });

  it('files on disk: missing, a directory, empty, text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'onnx-bad-'));
    const err = (p: string) => {
      try {
        readOnnxFile(p);
      } catch (e) {
        expect(e).toBeInstanceOf(StudioError);
        return (e as Error).message;
      }
      throw new Error('expected a StudioError');
    };
    expect(err(join(dir, 'missing.onnx'))).toMatch(/cannot read .*missing\.onnx: no such file/);
    expect(err(dir)).toMatch(/is a directory, not an ONNX file/);
    writeFileSync(join(dir, 'empty.onnx'), '');
    expect(err(join(dir, 'empty.onnx'))).toBe('empty.onnx is empty (0 bytes), not an ONNX model');
    writeFileSync(join(dir, 'readme.onnx'), '# not a model\nJust text.\n');
    expect(err(join(dir, 'readme.onnx'))).toMatch(/^readme\.onnx is not an ONNX model.*the file looks like text/);
  });
});

describe('external data', () => {
  /** A Gemm whose weight (2x3 floats) lives at `offset` in `location`. */
  const externalModel = (location: string, offset: number) =>
    model({
      node: [{ opType: 'Gemm', input: ['x', 'w'], output: ['y'], attribute: [{ name: 'transB', type: AT.INT, i: 1 }] }],
      initializer: [
        {
          name: 'w',
          dataType: 1,
          dims: [2, 3],
          dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
          externalData: [
            { key: 'location', value: location },
            { key: 'offset', value: String(offset) },
            { key: 'length', value: '24' },
          ],
        },
      ],
      input: [vi('x', [1, 3])],
      output: [vi('y', [1, 2])],
    });

  it('reads an initializer from a data file next to the model', () => {
    const dir = mkdtempSync(join(tmpdir(), 'onnx-ext-'));
    writeFileSync(
      join(dir, 'weights.bin'),
      Buffer.concat([Buffer.alloc(16, 0xff), Buffer.from(f32([1, 2, 3, 4, 5, 6]))]),
    );
    writeFileSync(join(dir, 'm.onnx'), externalModel('weights.bin', 16));
    const g = readOnnxFile(join(dir, 'm.onnx'));
    const w = g.initializers.get('w')!;
    expect(Array.from(w.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(w.external).toEqual({ location: 'weights.bin', offset: 16, length: 24 });
    expect(countParams(g).params).toBe(6);
    expect(g.outputs[0].shape).toEqual([1, 2]);
  });

  it('reports a missing, short or escaping data file, naming the model and the tensor', () => {
    const dir = mkdtempSync(join(tmpdir(), 'onnx-ext-'));
    const err = (location: string, offset = 0) => {
      writeFileSync(join(dir, 'm.onnx'), externalModel(location, offset));
      try {
        readOnnxFile(join(dir, 'm.onnx'));
      } catch (e) {
        expect(e).toBeInstanceOf(StudioError);
        return (e as Error).message;
      }
      throw new Error('expected a StudioError');
    };
    expect(err('gone.bin')).toMatch(
      /^m\.onnx: initializer 'w': external data file 'gone\.bin' \(next to m\.onnx\): no such file/,
    );
    writeFileSync(join(dir, 'short.bin'), Buffer.alloc(10));
    expect(err('short.bin')).toMatch(/'short\.bin' has 10 bytes; the tensor needs bytes 0 to 24/);
    expect(err('../outside.bin')).toMatch(/outside the model's folder; refused/);
    expect(err('/etc/passwd')).toMatch(/outside the model's folder; refused/);
    // From memory, with no folder to read from:
    expect(() => onnxToGraph(externalModel('weights.bin', 0), { name: 'mem.onnx' })).toThrow(
      /mem\.onnx: initializer 'w' keeps its data in the external file 'weights\.bin'/,
    );
  });
});

describe('writeOnnxFile', () => {
  it('writes atomically (no temporary file left) and reads back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'onnx-write-'));
    const g = onnxToGraph(sampleModel(), { name: 'sample.onnx' });
    const out = writeOnnxFile(g, join(dir, 'out.onnx'), { seed: 3 });
    expect(out.bytes).toBeGreaterThan(100);
    expect(readdirSync(dir)).toEqual(['out.onnx']);
    const back = readOnnxFile(join(dir, 'out.onnx'));
    expect(countParams(back)).toEqual(countParams(g));
    expect(() => writeOnnxFile(g, join(dir, 'no-such-dir', 'x.onnx'))).toThrow(StudioError);
    expect(readdirSync(dir)).toEqual(['out.onnx']);
  });
});
