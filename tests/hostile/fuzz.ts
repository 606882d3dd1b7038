// The ONNX reader's fuzzer, shared by tests/fuzz-reader.test.ts (a few seconds in `npm test`) and
// bench/fuzz-reader.ts (`npm run fuzz`, FUZZ_RUNS cases). Inputs: random protobuf-ish bytes,
// random valid-looking ModelProtos, and mutations (bit flips, truncations, splices, corrupted length
// fields) of the real models in ../shared/conformance, read in place. Every input must be accepted
// or refused with a StudioError that has a message; anything else thrown is a crash.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { costGraph } from '../../shared/cost/cost-model.js';
import { StudioError } from '../../shared/ir/types.js';
import { READER_BUG, onnxToGraph } from '../../shared/onnx/reader.js';
import { onnx, type OnnxTypes } from '../../shared/onnx/tensor.js';

export type Outcome = 'accepted' | 'refused' | 'crash';

export interface CaseResult {
  outcome: Outcome;
  ms: number;
  /** The crash: what was thrown, for the report. */
  error?: string;
}

/** Reads and costs `bytes` as a user's file would be; classifies what happened. */
export function readCase(bytes: Uint8Array, name = 'fuzz.onnx'): CaseResult {
  const started = performance.now();
  try {
    costGraph(onnxToGraph(bytes, { name }));
    return { outcome: 'accepted', ms: performance.now() - started };
  } catch (e) {
    const ms = performance.now() - started;
    // The reader wraps an unexpected exception into a StudioError (the user sees one clear line),
    // but marks it: for the fuzzer it is still a crash to fix.
    if (
      e instanceof StudioError &&
      e.code !== READER_BUG &&
      e.message.startsWith(name) &&
      e.message.length > name.length + 5
    )
      return { outcome: 'refused', ms };
    const inner = e instanceof Error && e.cause instanceof Error ? e.cause : e;
    return { outcome: 'crash', ms, error: inner instanceof Error ? `${inner.stack}` : String(inner) };
  }
}

/** The conformance models (onnx-light and pytorch-converted), read in place; none when absent. */
export function conformanceModels(): { name: string; bytes: Uint8Array }[] {
  const base = new URL('../../../shared/conformance/', import.meta.url).pathname;
  const out: { name: string; bytes: Uint8Array }[] = [];
  const light = join(base, 'onnx-light');
  if (existsSync(light))
    for (const f of readdirSync(light).filter((f) => f.endsWith('.onnx')))
      out.push({ name: f, bytes: readFileSync(join(light, f)) });
  const converted = join(base, 'pytorch-converted');
  if (existsSync(converted))
    for (const d of readdirSync(converted))
      if (existsSync(join(converted, d, 'model.onnx')))
        out.push({ name: `${d}.onnx`, bytes: readFileSync(join(converted, d, 'model.onnx')) });
  return out;
}

// ---- random protobuf-ish bytes -------------------------------------------------------------

function varint(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** Field numbers ModelProto, GraphProto, NodeProto and TensorProto use, so the bytes get far. */
const FIELDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 20, 25];

const field = (depth: number): fc.Arbitrary<number[]> =>
  fc.oneof(
    fc
      .tuple(fc.constantFrom(...FIELDS), fc.oneof(fc.nat(), fc.constant(2 ** 40), fc.integer({ min: -1, max: 0 })))
      .map(([f, v]) => [...varint(f * 8), ...varint(v < 0 ? 2 ** 64 - 1 : v)]),
    fc
      .tuple(fc.constantFrom(...FIELDS), fc.uint8Array({ maxLength: 16 }))
      .map(([f, b]) => [...varint(f * 8 + 2), ...varint(b.length), ...b]),
    fc
      .tuple(fc.constantFrom(...FIELDS), fc.nat({ max: 2 ** 31 }))
      .map(([f, len]) => [...varint(f * 8 + 2), ...varint(len)]),
    ...(depth > 0
      ? [
          fc.tuple(fc.constantFrom(...FIELDS), fc.array(field(depth - 1), { maxLength: 6 })).map(([f, parts]) => {
            const body = parts.flat();
            return [...varint(f * 8 + 2), ...varint(body.length), ...body];
          }),
        ]
      : []),
  );

export const protobufishBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  fc.array(field(4), { maxLength: 12 }).map((parts) => Uint8Array.from(parts.flat())),
);

// ---- random valid-looking ModelProtos ------------------------------------------------------

const OPS = [
  'Conv',
  'Relu',
  'Add',
  'Mul',
  'MatMul',
  'Gemm',
  'Reshape',
  'Concat',
  'MaxPool',
  'GlobalAveragePool',
  'BatchNormalization',
  'Flatten',
  'Transpose',
  'Shape',
  'Gather',
  'Slice',
  'Constant',
  'ConstantOfShape',
  'Range',
  'Tile',
  'Expand',
  'Resize',
  'If',
  'Loop',
  'FancyOp',
];
const NAMES = ['x', 'w', 'b', 'a', 'c', 'd', 'y', 's', ''];
const dimArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom(-1, -7, 2 ** 31, 2 ** 40, 2 ** 53 + 2, 1e6) },
  { weight: 1, arbitrary: fc.constantFrom('N', '') },
);
const valueInfo = (name: fc.Arbitrary<string>): fc.Arbitrary<OnnxTypes.IValueInfoProto> =>
  fc
    .record({
      name,
      elem: fc.constantFrom(1, 1, 1, 7, 8, 10, 0, 99),
      dims: fc.array(dimArb, { maxLength: 5 }),
      kind: fc.constantFrom('tensor', 'tensor', 'tensor', 'sequence', 'none'),
    })
    .map(({ name, elem, dims, kind }) => {
      const tensorType = {
        elemType: elem,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      };
      return {
        name,
        type:
          kind === 'tensor'
            ? { tensorType }
            : kind === 'sequence'
              ? { sequenceType: { elemType: { tensorType } } }
              : undefined,
      };
    });
const AT = onnx.AttributeProto.AttributeType;
const attribute: fc.Arbitrary<OnnxTypes.IAttributeProto> = fc.oneof(
  fc.record({
    name: fc.constantFrom('kernel_shape', 'pads', 'strides', 'perm', 'axes', 'shape', 'dilations'),
    type: fc.constant(AT.INTS),
    ints: fc.array(fc.integer({ min: -3, max: 9 }), { maxLength: 6 }),
  }),
  fc.record({
    name: fc.constantFrom('axis', 'group', 'transB', 'keepdims', 'to'),
    type: fc.constant(AT.INT),
    i: fc.integer({ min: -5, max: 2 ** 31 }),
  }),
  fc.record({ name: fc.constantFrom('alpha', 'epsilon'), type: fc.constant(AT.FLOAT), f: fc.double() }),
  fc.record({
    name: fc.constant('value'),
    type: fc.constant(AT.TENSOR),
    t: fc.record({
      dataType: fc.constantFrom(1, 7),
      dims: fc.array(
        dimArb.filter((d) => typeof d === 'number'),
        { maxLength: 3 },
      ),
      rawData: fc.uint8Array({ maxLength: 32 }),
    }),
  }),
);
const node: fc.Arbitrary<OnnxTypes.INodeProto> = fc.record({
  name: fc.constantFrom('n', 'm', '', 'conv'),
  opType: fc.constantFrom(...OPS),
  domain: fc.constantFrom('', '', '', 'com.vendor'),
  input: fc.array(
    fc.oneof({ weight: 5, arbitrary: fc.constantFrom('x', 'w', 'b', 's', 'c', 'a', 'd') }, fc.constantFrom(...NAMES)),
    {
      maxLength: 4,
    },
  ),
  output: fc.array(fc.constantFrom('a', 'c', 'd', 'y', 'y', ''), { minLength: 1, maxLength: 2 }),
  attribute: fc.array(attribute, { maxLength: 3 }),
});
/** A well-formed weight: small dims and exactly the bytes they need (what shape inference sees). */
const saneInitializer: fc.Arbitrary<OnnxTypes.ITensorProto> = fc
  .record({
    name: fc.constantFrom('w', 'b', 's', 'c'),
    int64: fc.boolean(),
    dims: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 4 }),
    values: fc.array(fc.integer({ min: -3, max: 8 }), { minLength: 256, maxLength: 256 }),
  })
  .map(({ name, int64, dims, values }) => {
    const n = dims.reduce((a, d) => a * d, 1);
    const data = int64
      ? new Uint8Array(BigInt64Array.from(values.slice(0, n), (v) => BigInt(v)).buffer)
      : new Uint8Array(Float32Array.from(values.slice(0, n)).buffer);
    return { name, dataType: int64 ? 7 : 1, dims, rawData: data };
  });
/** A weight whose header and bytes may disagree in every way. */
const wildInitializer: fc.Arbitrary<OnnxTypes.ITensorProto> = fc.record({
  name: fc.constantFrom(...NAMES),
  dataType: fc.constantFrom(1, 1, 7, 10, 11, 8, 0, 200),
  dims: fc.array(
    dimArb.filter((d) => typeof d === 'number'),
    { maxLength: 4 },
  ),
  rawData: fc.uint8Array({ maxLength: 64 }),
  dataLocation: fc.constantFrom(0, 0, 0, 1),
  externalData: fc.constant([{ key: 'location', value: 'w.bin' }]),
});
const saneInput: fc.Arbitrary<OnnxTypes.IValueInfoProto> = fc
  .array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 4 })
  .map((dims) => ({
    name: 'x',
    type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  }));

/**
 * A model that gets past the header checks: well-formed weights and input, and a chain of random
 * operators (each reading earlier tensors or weights, with random attributes), so shape
 * inference and the cost model meet contradictory shapes and attributes.
 */
const saneModelBytes: fc.Arbitrary<Uint8Array> = fc
  .record({
    opset: fc.constantFrom(11, 13, 17),
    input: saneInput,
    initializers: fc.uniqueArray(saneInitializer, { maxLength: 4, selector: (t) => t.name }),
    nodes: fc.array(
      fc.record({
        opType: fc.constantFrom(...OPS),
        picks: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
        attribute: fc.array(
          attribute.filter((a) => a.type !== AT.TENSOR),
          { maxLength: 3 },
        ),
      }),
      { minLength: 1, maxLength: 8 },
    ),
  })
  .map((m) => {
    const names = ['x', ...m.initializers.map((t) => t.name!)];
    const nodes = m.nodes.map((n, k) => {
      const output = k === m.nodes.length - 1 ? 'y' : `t${k}`;
      const node = {
        name: `n${k}`,
        opType: n.opType,
        input: n.picks.map((p) => names[p % names.length]),
        output: [output],
        attribute: n.attribute,
      };
      names.push(output);
      return node;
    });
    return onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: '', version: m.opset }],
      graph: {
        name: 'g',
        node: nodes,
        initializer: m.initializers,
        input: [m.input],
        output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
      },
    }).finish();
  });

const wildModelBytes: fc.Arbitrary<Uint8Array> = fc
  .record({
    irVersion: fc.oneof({ weight: 9, arbitrary: fc.constant(8) }, fc.constantFrom(3, 0, 99)),
    opset: fc.constantFrom(7, 11, 13, 17, 17, 0),
    nodes: fc.array(node, { maxLength: 8 }),
    initializers: fc.uniqueArray(fc.oneof({ weight: 4, arbitrary: saneInitializer }, wildInitializer), {
      maxLength: 4,
      selector: (t) => t.name,
    }),
    inputs: fc.array(fc.oneof({ weight: 4, arbitrary: saneInput }, valueInfo(fc.constantFrom('x', 's', 'w'))), {
      minLength: 1,
      maxLength: 2,
    }),
    outputs: fc.oneof(
      {
        weight: 4,
        arbitrary: fc.constant<OnnxTypes.IValueInfoProto[]>([{ name: 'y', type: { tensorType: { elemType: 1 } } }]),
      },
      fc.array(valueInfo(fc.constantFrom('y', 'a', 'x')), { maxLength: 2 }),
    ),
  })
  .map((m) =>
    onnx.ModelProto.encode({
      irVersion: m.irVersion,
      opsetImport: [{ domain: '', version: m.opset }],
      graph: { name: 'g', node: m.nodes, initializer: m.initializers, input: m.inputs, output: m.outputs },
    }).finish(),
  );

export const modelProtoBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: saneModelBytes },
  { weight: 1, arbitrary: wildModelBytes },
);

// ---- mutations of real models --------------------------------------------------------------

/** Offsets of length-delimited fields' length varints in a message (top level and graph level). */
function lengthOffsets(b: Uint8Array): number[] {
  const out: number[] = [];
  const walk = (start: number, end: number, depth: number) => {
    let pos = start;
    const read = () => {
      let v = 0;
      let scale = 1;
      for (let i = 0; i < 10 && pos < end; i++) {
        const byte = b[pos++];
        v += (byte & 0x7f) * scale;
        if (byte < 0x80) return v;
        scale *= 128;
      }
      return -1;
    };
    while (pos < end) {
      const tag = read();
      if (tag < 0) return;
      const wt = tag % 8;
      if (wt === 0) read();
      else if (wt === 1) pos += 8;
      else if (wt === 5) pos += 4;
      else if (wt === 2) {
        out.push(pos);
        const len = read();
        if (len < 0 || pos + len > end) return;
        // Messages (graph, nodes, tensors) are walked too; a string's bytes then stop the walk early.
        if (depth < 3) walk(pos, pos + len, depth + 1);
        pos += len;
      } else return;
    }
  };
  walk(0, b.length, 0);
  return out;
}

export type Mutation = 'bitflip' | 'truncate' | 'splice' | 'length';

/** A mutation of `base`, driven by fast-check's values (so it is seeded and shrinks). */
export function mutate(base: Uint8Array, kind: Mutation, r: number[], donor: Uint8Array): Uint8Array {
  const at = (k: number, n: number) => (n <= 0 ? 0 : Math.floor(r[k] * n) % n);
  switch (kind) {
    case 'bitflip': {
      const out = Uint8Array.from(base);
      const flips = 1 + at(0, 8);
      for (let i = 0; i < flips; i++) out[at(1 + i, out.length)] ^= 1 << at(9 + i, 8);
      return out;
    }
    case 'truncate':
      return base.slice(0, at(0, base.length));
    case 'splice': {
      // A piece of another model (or of the same one) pasted in at a random place.
      const from = at(0, donor.length);
      const piece = donor.subarray(from, from + 1 + at(1, 256));
      const cut = at(2, base.length);
      const drop = at(3, 64);
      return Uint8Array.from([...base.subarray(0, cut), ...piece, ...base.subarray(cut + drop)]);
    }
    case 'length': {
      const offsets = lengthOffsets(base);
      if (offsets.length === 0) return base;
      const o = offsets[at(0, offsets.length)];
      let end = o;
      while (end < base.length && base[end] & 0x80) end++;
      const claims = [0, 1, 127, 2 ** 31 - 1, 2 ** 32 + 5, 10_000_000_000, 2 ** 53, Math.floor(r[1] * 1e6)];
      const v = claims[at(2, claims.length)];
      return Uint8Array.from([...base.subarray(0, o), ...varint(v), ...base.subarray(end + 1)]);
    }
  }
}

export const mutationArb = (models: { name: string; bytes: Uint8Array }[]): fc.Arbitrary<Uint8Array> =>
  fc
    .record({
      base: fc.nat({ max: models.length - 1 }),
      donor: fc.nat({ max: models.length - 1 }),
      kinds: fc.array(fc.constantFrom<Mutation>('bitflip', 'truncate', 'splice', 'length'), {
        minLength: 1,
        maxLength: 3,
      }),
      r: fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 20, maxLength: 20 }),
    })
    .map(({ base, donor, kinds, r }) =>
      kinds.reduce(
        (b, k, i) => mutate(b, k, [...r.slice(i), ...r.slice(0, i)], models[donor].bytes),
        models[base].bytes,
      ),
    );

/** All three kinds of input, in the proportions the fuzzer draws them. */
export const anyInput = (models: { name: string; bytes: Uint8Array }[]): fc.Arbitrary<Uint8Array> =>
  models.length
    ? fc.oneof(protobufishBytes, modelProtoBytes, { weight: 2, arbitrary: mutationArb(models) })
    : fc.oneof(protobufishBytes, modelProtoBytes);
