// Hostile ONNX files: every way a model file can be wrong, built here as bytes (with onnx-proto,
// the encoder the studio's own writer uses) so no binary is committed. tests/hostile-models.test.ts
// runs the corpus through the reader and the CLI; `tsx tests/hostile/make-models.ts <dir>` writes it
// to a folder to try by hand.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { onnx, type OnnxTypes } from '../../shared/onnx/tensor.js';

export interface HostileCase {
  /** The model's file name; each case is written to a folder of its own, named after it. */
  file: string;
  /** What is wrong with it, in words. */
  what: string;
  bytes: Uint8Array;
  /** Files next to the model (external data), or symbolic links. */
  extra?: { name: string; bytes?: Uint8Array; linkTo?: string }[];
  /** A file written one folder up (outside the model's folder), for escapes to point at. */
  outside?: { name: string; bytes: Uint8Array };
  /**
   * What the reader (and `cost`) answers: a refusal whose message matches, or acceptance (a
   * warning may be expected). `bench` is the refusal reason a benchmark gives, when it differs.
   */
  expect: { refused: RegExp } | { accepted: true; warning?: RegExp };
  bench?: RegExp;
}

const AT = onnx.AttributeProto.AttributeType;
type Dim = number | string;

const vi = (name: string, dims: Dim[], elemType = 1): OnnxTypes.IValueInfoProto => ({
  name,
  type: {
    tensorType: {
      elemType,
      shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
    },
  },
});

export function encodeModel(graph: OnnxTypes.IGraphProto, opset = 13): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    producerName: 'hostile-models',
    opsetImport: [{ domain: '', version: opset }],
    graph,
  }).finish();
}

const f32 = (n: number, seed = 1): Uint8Array => {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (((i * 2654435761 + seed) >>> 0) % 1000) / 1000 - 0.5;
  return new Uint8Array(out.buffer);
};

/** A small valid CNN: Conv(3->8, 3x3) -> Relu -> GlobalAveragePool, with real weight bytes. */
export function smallConvModel(): Uint8Array {
  return encodeModel({
    name: 'small',
    node: [
      {
        name: 'conv',
        opType: 'Conv',
        input: ['x', 'w', 'b'],
        output: ['c'],
        attribute: [{ name: 'pads', type: AT.INTS, ints: [1, 1, 1, 1] }],
      },
      { name: 'relu', opType: 'Relu', input: ['c'], output: ['r'] },
      { name: 'gap', opType: 'GlobalAveragePool', input: ['r'], output: ['y'] },
    ],
    initializer: [
      { name: 'w', dataType: 1, dims: [8, 3, 3, 3], rawData: f32(8 * 3 * 3 * 3) },
      { name: 'b', dataType: 1, dims: [8], rawData: f32(8, 7) },
    ],
    input: [vi('x', [1, 3, 16, 16])],
    output: [vi('y', [1, 8, 1, 1])],
  });
}

/** One Relu from x to y, with the given input declaration. */
const reluModel = (input: OnnxTypes.IValueInfoProto, output = vi('y', [1, 4])) =>
  encodeModel({
    name: 'relu',
    node: [{ name: 'relu', opType: 'Relu', input: [input.name!], output: ['y'] }],
    input: [input],
    output: [output],
  });

/**
 * A chain of If nodes, each holding the next as its then_branch, `depth` levels deep. Written at
 * the wire level: encoding a deep chain as objects would recurse as deep as decoding it does.
 */
function nestedIfModel(depth: number): Uint8Array {
  const leaf = (name: string) =>
    onnx.GraphProto.encode({
      name,
      node: [{ name: 'inner', opType: 'Identity', input: ['x'], output: ['out'] }],
      output: [vi('out', [1])],
    }).finish();
  const concat = (...parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  let body = leaf(`level${depth}`);
  for (let level = depth - 1; level >= 1; level--) {
    // AttributeProto.g is field 6, NodeProto.attribute field 5, GraphProto.node field 1.
    const branch = (name: string, g: Uint8Array) =>
      lengthDelimited(5, concat(onnx.AttributeProto.encode({ name, type: AT.GRAPH }).finish(), lengthDelimited(6, g)));
    const node = concat(
      onnx.NodeProto.encode({ name: `if${level}`, opType: 'If', input: ['cond'], output: ['out'] }).finish(),
      // Only then_branch nests: the file grows linearly with the depth.
      branch('then_branch', body),
      branch('else_branch', leaf(`else${level}`)),
    );
    const head = onnx.GraphProto.encode({ name: `level${level}`, output: [vi('out', [1])] }).finish();
    body = concat(head, lengthDelimited(1, node));
  }
  // The top level: body's node, plus the graph inputs.
  const inputs = onnx.GraphProto.encode({ input: [vi('cond', [], 9), vi('x', [1])] }).finish();
  return concat(modelHead(), lengthDelimited(7, concat(body, inputs)));
}

/** Appends a protobuf varint. */
function varint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

/** A ModelProto whose graph field (7, length-delimited) claims `claimed` bytes but holds `body`. */
function lyingLengthModel(claimed: number): Uint8Array {
  const body = onnx.GraphProto.encode({ name: 'g', input: [vi('x', [1])], output: [vi('x', [1])] }).finish();
  const out: number[] = [0x08, 8]; // ir_version = 8
  out.push(0x3a); // field 7 (graph), wire type 2
  varint(out, claimed);
  out.push(...body);
  return Uint8Array.from(out);
}

/** A ModelProto without its graph (field 7), for models written at the wire level. */
const modelHead = () =>
  onnx.ModelProto.encode({
    irVersion: 8,
    producerName: 'hostile-models',
    opsetImport: [{ domain: '', version: 13 }],
  }).finish();

/** Wraps `body` as a length-delimited field. */
function lengthDelimited(field: number, body: Uint8Array): Uint8Array {
  const head: number[] = [];
  varint(head, field * 8 + 2);
  varint(head, body.length);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/**
 * An input whose type is a sequence of a sequence of ... `depth` levels deep, written at the wire
 * level (encoding it as an object would recurse as deep as the decoder does).
 */
function deepTypeModel(depth: number): Uint8Array {
  let type = onnx.TypeProto.encode({ tensorType: { elemType: 1 } }).finish();
  // TypeProto.sequence_type is field 4; TypeProto.Sequence.elem_type is field 1.
  for (let i = 0; i < depth; i++) type = lengthDelimited(4, lengthDelimited(1, type));
  const input = Uint8Array.from([...lengthDelimited(1, new TextEncoder().encode('s')), ...lengthDelimited(2, type)]);
  const graph = Uint8Array.from([
    ...onnx.GraphProto.encode({ name: 'deep', output: [vi('s2', [1])] }).finish(),
    ...lengthDelimited(11, input), // GraphProto.input
  ]);
  return Uint8Array.from([...modelHead(), ...lengthDelimited(7, graph)]);
}

/** Seeded bytes (a linear congruential generator), the same on every run. */
export function seededBytes(n: number, seed: number): Uint8Array {
  let s = seed >>> 0;
  return Uint8Array.from({ length: n }, () => (s = (s * 1103515245 + 12345) >>> 0) >>> 24);
}

/** A Gemm whose 2x3 float weight lives in an external data file at `location`. */
function externalModel(location: string, length = 24): Uint8Array {
  return encodeModel({
    name: 'ext',
    node: [
      {
        name: 'gemm',
        opType: 'Gemm',
        input: ['x', 'w'],
        output: ['y'],
        attribute: [{ name: 'transB', type: AT.INT, i: 1 }],
      },
    ],
    initializer: [
      {
        name: 'w',
        dataType: 1,
        dims: [2, 3],
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: location },
          { key: 'offset', value: '0' },
          { key: 'length', value: String(length) },
        ],
      },
    ],
    input: [vi('x', [1, 3])],
    output: [vi('y', [1, 2])],
  });
}

export function hostileCases(): HostileCase[] {
  const small = smallConvModel();
  const secret = new TextEncoder().encode('a file outside the model folder\n');
  return [
    { file: 'empty.onnx', what: 'an empty file', bytes: new Uint8Array(), expect: { refused: /is empty \(0 bytes\)/ } },
    {
      file: 'readme.onnx',
      what: 'a text file, not ONNX at all',
      bytes: new TextEncoder().encode('# My model\n\nThis is a README saved with the wrong name.\n'),
      expect: { refused: /is not an ONNX model.*looks like text/ },
    },
    {
      file: 'image.onnx',
      what: 'a PNG header and zeros',
      bytes: Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Uint8Array(64)]),
      expect: { refused: /is not an ONNX model/ },
    },
    {
      file: 'random.onnx',
      what: '4 KiB of random bytes',
      bytes: seededBytes(4096, 42),
      expect: { refused: /is not an ONNX model/ },
    },
    {
      file: 'truncated.onnx',
      what: 'a valid model cut in half',
      bytes: small.subarray(0, small.length >> 1),
      expect: { refused: /is not an ONNX model.*(truncated|claims)/ },
    },
    {
      file: 'lying-length.onnx',
      what: 'a length field that claims 1 GB in a 30-byte file',
      bytes: lyingLengthModel(1_000_000_000),
      expect: { refused: /is not an ONNX model.*claims 1000000000 bytes.*only \d+ remain/ },
    },
    {
      file: 'cycle.onnx',
      what: 'two nodes that feed each other',
      bytes: encodeModel({
        name: 'cycle',
        node: [
          { name: 'a', opType: 'Add', input: ['x', 'q'], output: ['p'] },
          { name: 'b', opType: 'Relu', input: ['p'], output: ['q'] },
        ],
        input: [vi('x', [1, 4])],
        output: [vi('q', [1, 4])],
      }),
      expect: { refused: /has a cycle: Add 'a', Relu 'b'/ },
    },
    {
      file: 'dangling.onnx',
      what: 'a tensor that nothing produces',
      bytes: encodeModel({
        name: 'dangling',
        node: [{ name: 'add', opType: 'Add', input: ['x', 'ghost'], output: ['y'] }],
        input: [vi('x', [1, 4])],
        output: [vi('y', [1, 4])],
      }),
      expect: { refused: /input 'ghost' of Add node 'add' is produced by no node, initializer or graph input/ },
    },
    {
      file: 'channel-mismatch.onnx',
      what: 'a Conv weight for 4 input channels on a 3-channel input',
      bytes: encodeModel({
        name: 'mismatch',
        node: [{ name: 'conv', opType: 'Conv', input: ['x', 'w'], output: ['y'] }],
        initializer: [{ name: 'w', dataType: 1, dims: [16, 4, 3, 3], rawData: f32(16 * 4 * 9) }],
        input: [vi('x', [1, 3, 8, 8])],
        output: [vi('y', [1, 16, 6, 6])],
      }),
      expect: { refused: /Conv node 'conv'.*channel/i },
    },
    {
      file: 'negative-dim.onnx',
      what: 'an input with a negative dimension',
      bytes: reluModel(vi('x', [1, -3])),
      expect: { refused: /input 'x' dimension 1 is -3: a dimension cannot be negative/ },
    },
    {
      file: 'negative-weight-dim.onnx',
      what: 'an initializer with a negative dimension',
      bytes: encodeModel({
        name: 'negw',
        node: [{ name: 'mul', opType: 'Mul', input: ['x', 'w'], output: ['y'] }],
        initializer: [{ name: 'w', dataType: 1, dims: [-4], floatData: [] }],
        input: [vi('x', [1, 4])],
        output: [vi('y', [1, 4])],
      }),
      expect: { refused: /initializer 'w' has an invalid shape \[-4\]/ },
    },
    {
      file: 'deep-subgraphs.onnx',
      what: 'If nodes nested 200 levels deep',
      bytes: nestedIfModel(200),
      expect: { refused: /subgraphs nested more than 32 levels deep/ },
    },
    {
      file: 'deeper-subgraphs.onnx',
      what: 'If nodes nested 5,000 levels deep (deeper than the protobuf decoder can recurse)',
      bytes: nestedIfModel(5000),
      expect: { refused: /subgraphs nested more than 32 levels deep/ },
    },
    {
      file: 'deep-types.onnx',
      what: 'an input typed as a sequence of sequences 3,000 levels deep',
      bytes: deepTypeModel(3000),
      expect: { refused: /types nested more than 32 levels deep/ },
    },
    {
      file: 'shallow-subgraph.onnx',
      what: 'an If node with one level of subgraphs (allowed, not costed)',
      bytes: nestedIfModel(2),
      expect: { accepted: true, warning: /If node 'if1': attribute 'then_branch' is a subgraph/ },
    },
    {
      file: 'claimed-10gb.onnx',
      what: 'a weight whose header claims 10 GB and holds 8 bytes',
      bytes: encodeModel({
        name: 'claim',
        node: [{ name: 'mul', opType: 'Mul', input: ['x', 'w'], output: ['y'] }],
        initializer: [{ name: 'w', dataType: 1, dims: [2_500_000_000], rawData: f32(2) }],
        input: [vi('x', [2_500_000_000])],
        output: [vi('y', [2_500_000_000])],
      }),
      expect: { refused: /initializer 'w'.*holds 2 values but its shape \[2500000000\] needs 2500000000/ },
    },
    {
      file: 'huge-input.onnx',
      what: 'an input of 1 x 3 x 1,000,000 x 1,000,000 floats (12 TB): costed exactly, refused for running',
      bytes: reluModel(vi('x', [1, 3, 1_000_000, 1_000_000]), vi('y', [1, 3, 1_000_000, 1_000_000])),
      expect: { accepted: true },
      bench: /not enough memory/,
    },
    {
      file: 'overflow-dims.onnx',
      what: 'an input of 2^31 x 2^31 x 2^31 elements, past 2^53',
      bytes: reluModel(vi('x', [2 ** 31, 2 ** 31, 2 ** 31]), vi('y', [2 ** 31, 2 ** 31, 2 ** 31])),
      expect: { refused: /input 'x' has shape \[2147483648,2147483648,2147483648\]: too large.*2\^53/ },
    },
    {
      file: 'overflow-macs.onnx',
      what: 'a MatMul of two 2^20 x 2^20 matrices: each tensor is sized exactly, its 2^60 MACs are not',
      bytes: encodeModel({
        name: 'matmul',
        node: [{ name: 'mm', opType: 'MatMul', input: ['x', 'x'], output: ['y'] }],
        input: [vi('x', [1, 2 ** 20, 2 ** 20])],
        output: [vi('y', [1, 2 ** 20, 2 ** 20])],
      }),
      expect: { refused: /too large to cost exactly: its MACs \(about 1\.15e\+18\) pass 2\^53/ },
      bench: /not enough memory: .*too large to cost exactly/,
    },
    {
      file: 'unknown-op.onnx',
      what: 'an operator from another domain in the middle of a costed model',
      bytes: encodeModel({
        name: 'vendor',
        node: [
          { name: 'relu', opType: 'Relu', input: ['x'], output: ['a'] },
          { name: 'fancy', opType: 'FancyOp', domain: 'com.vendor', input: ['a'], output: ['b'] },
          { name: 'relu2', opType: 'Relu', input: ['b'], output: ['y'] },
        ],
        input: [vi('x', [1, 4])],
        output: [vi('y', [1, 4])],
        valueInfo: [vi('b', [1, 4])],
      }),
      expect: { accepted: true, warning: /com\.vendor\.FancyOp node 'fancy' is not an operator the studio knows/ },
    },
    {
      file: 'sequence-input.onnx',
      what: 'an input that is a sequence of tensors',
      bytes: encodeModel({
        name: 'seq',
        node: [{ name: 'len', opType: 'SequenceLength', input: ['s'], output: ['y'] }],
        input: [{ name: 's', type: { sequenceType: { elemType: { tensorType: { elemType: 1 } } } } }],
        output: [vi('y', [], 7)],
      }),
      expect: { refused: /input 's' is a sequence, not a tensor/ },
    },
    {
      file: 'string-input.onnx',
      what: 'an input that is a string tensor',
      bytes: encodeModel({
        name: 'str',
        node: [{ name: 'id', opType: 'Identity', input: ['s'], output: ['y'] }],
        input: [vi('s', [1], 8)],
        output: [vi('y', [1], 8)],
      }),
      expect: { accepted: true },
      bench: /input 's' is a string tensor.*cannot be benchmarked/,
    },
    {
      file: 'external-absolute.onnx',
      what: 'external data at an absolute path',
      bytes: externalModel('/etc/passwd'),
      expect: { refused: /external data location '\/etc\/passwd' is outside the model's folder; refused/ },
    },
    {
      file: 'external-dotdot.onnx',
      what: 'external data that climbs out with ..',
      bytes: externalModel('../secret.bin'),
      outside: { name: 'secret.bin', bytes: secret },
      expect: { refused: /external data location '\.\.\/secret\.bin' is outside the model's folder; refused/ },
    },
    {
      file: 'external-symlink.onnx',
      what: 'external data through a symbolic link that leaves the folder',
      bytes: externalModel('weights.bin'),
      outside: { name: 'secret.bin', bytes: secret },
      extra: [{ name: 'weights.bin', linkTo: '../secret.bin' }],
      expect: { refused: /external data location 'weights\.bin' links outside the model's folder; refused/ },
    },
    {
      file: 'external-missing.onnx',
      what: 'external data in a file that is not there',
      bytes: externalModel('weights.bin'),
      expect: { refused: /external data file 'weights\.bin' \(next to external-missing\.onnx\): no such file/ },
    },
    {
      file: 'external-huge.onnx',
      what: 'external data claiming 10 GB from a 24-byte file',
      bytes: externalModel('weights.bin', 10_000_000_000),
      extra: [{ name: 'weights.bin', bytes: f32(6) }],
      expect: { refused: /'weights\.bin' has 24 bytes; the tensor needs bytes 0 to 10000000000/ },
    },
    {
      file: 'shape-div-by-zero.onnx',
      what: 'a Reshape target computed as an int64 division by zero (found by the fuzzer)',
      bytes: encodeModel({
        name: 'divzero',
        node: [
          { name: 'div', opType: 'Div', input: ['c', 'z'], output: ['target'] },
          { name: 'reshape', opType: 'Reshape', input: ['x', 'target'], output: ['y'] },
        ],
        initializer: [
          { name: 'c', dataType: 7, dims: [2], int64Data: [2, 2] },
          { name: 'z', dataType: 7, dims: [2], int64Data: [0, 0] },
        ],
        input: [vi('x', [1, 4])],
        output: [vi('y', [2, 2])],
      }),
      expect: { refused: /Reshape node 'reshape'.*could not be folded/ },
    },
    {
      file: 'gather-out-of-range.onnx',
      what: 'a shape index past the end of the shape (found by the fuzzer)',
      bytes: encodeModel({
        name: 'gather',
        node: [
          { name: 'shape', opType: 'Shape', input: ['x'], output: ['s'] },
          { name: 'gather', opType: 'Gather', input: ['s', 'i'], output: ['g'] },
          { name: 'reshape', opType: 'Reshape', input: ['x', 'g'], output: ['y'] },
        ],
        initializer: [{ name: 'i', dataType: 7, dims: [2], int64Data: [0, 7] }],
        input: [vi('x', [1, 4])],
        output: [vi('y', [1, 4])],
      }),
      expect: { refused: /Reshape node 'reshape'.*could not be folded/ },
    },
    {
      file: 'bad-value-info.onnx',
      what: 'a value_info hint with a negative dimension (dropped; the model is fine)',
      bytes: encodeModel({
        name: 'hint',
        node: [{ name: 'relu', opType: 'Relu', input: ['x'], output: ['y'] }],
        input: [vi('x', [1, 4])],
        output: [vi('y', [1, 4])],
        valueInfo: [vi('y', [1, -4])],
      }),
      expect: {
        accepted: true,
        warning: /the declared shape of value 'y' dimension 1 is -4: a dimension cannot be negative; ignored/,
      },
    },
    {
      file: 'valid.onnx',
      what: 'a valid small CNN (the control case)',
      bytes: small,
      expect: { accepted: true },
    },
  ];
}

/** Writes each case to `dir/<case>/<file>` (with its extra files) and returns the cases with their paths. */
export function writeHostileCorpus(dir: string): (HostileCase & { path: string })[] {
  return hostileCases().map((c) => {
    const folder = join(dir, c.file.replace(/\.onnx$/, ''));
    mkdirSync(folder, { recursive: true });
    if (c.outside) writeFileSync(join(dir, c.outside.name), c.outside.bytes);
    for (const e of c.extra ?? []) {
      if (e.linkTo) symlinkSync(e.linkTo, join(folder, e.name));
      else writeFileSync(join(folder, e.name), e.bytes ?? new Uint8Array());
    }
    const path = join(folder, c.file);
    writeFileSync(path, c.bytes);
    return { ...c, path };
  });
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const dir = resolve(process.argv[2] ?? 'hostile-models');
  for (const c of writeHostileCorpus(dir)) console.log(`${c.path}: ${c.what}`);
}
