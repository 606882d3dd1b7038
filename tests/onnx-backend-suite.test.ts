// The ONNX project's backend test suite (onnx 1.12, Debian's libonnx-testdata) through the reader
// and shape inference: every case whose operators the registry knows is imported with its test
// inputs' values and must infer each graph output's dtype and shape exactly as output_K.pb holds
// them. Every other case is skipped with a specific reason; test-results/onnx-backend-suite.json
// records both, and `npm run docs:onnx-suite` turns it into docs/ONNX-BACKEND-SUITE.md.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inferGraph } from '../shared/graph/infer.js';
import type { DType, TensorData } from '../shared/ir/types.js';
import { onnxToGraph, type InputValue } from '../shared/onnx/reader.js';
import { dtypeOfCode, onnx, tensorFromBytes, toNumber, type IntLike, type OnnxTypes } from '../shared/onnx/tensor.js';
import { opSpec } from '../shared/ops/registry.js';

const DATA = '/usr/share/libonnx-testdata/data/';
/** Every folder of the data; real/'s cases only point at downloads. */
const FOLDERS = ['node', 'pytorch-converted', 'pytorch-operator', 'simple', 'real'];
const REPORT = fileURLToPath(new URL('../test-results/onnx-backend-suite.json', import.meta.url));
const TRAINING_DOMAIN = 'ai.onnx.preview.training';
const STRING = onnx.TensorProto.DataType.STRING;

interface SuiteCase {
  /** folder/case, e.g. node/test_conv_with_strides_padding. */
  id: string;
  dir: string;
  /** Operator types used, subgraphs included; `domain.Op` outside the default domain. */
  operators: string[];
  skip?: string;
}

type ValueInfo = OnnxTypes.IValueInfoProto;

function operatorsOf(graph: OnnxTypes.IGraphProto, into = new Set<string>()): Set<string> {
  for (const n of graph.node ?? []) {
    const domain = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.` : '';
    into.add(`${domain}${n.opType}`);
    for (const a of n.attribute ?? []) for (const g of [a.g, ...(a.graphs ?? [])]) if (g) operatorsOf(g, into);
  }
  return into;
}

/** Graph inputs that are fed at run time (before IR 4, initializers were listed as inputs too). */
function fedInputs(g: OnnxTypes.IGraphProto): ValueInfo[] {
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  return (g.input ?? []).filter((vi) => !inits.has(vi.name));
}

function testSets(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('test_data_set_'))
    .sort();
}

/** input_K.pb / output_K.pb of a test data set, in K order. */
function tensorFiles(setDir: string, kind: 'input' | 'output'): string[] {
  const re = new RegExp(`^${kind}_(\\d+)\\.pb$`);
  return readdirSync(setDir)
    .filter((f) => re.test(f))
    .sort((a, b) => Number(re.exec(a)![1]) - Number(re.exec(b)![1]));
}

function decodeTensorHeader(path: string): { name: string; code: number; dims: number[] } {
  const t = onnx.TensorProto.decode(readFileSync(path));
  return { name: t.name, code: t.dataType, dims: t.dims.map((d) => toNumber(d as IntLike)) };
}

/** Why an unknown operator does not fit a registry of static shapes, where that is the real obstacle. */
function whyNotInRegistry(op: string): string | undefined {
  if (['NonZero', 'Unique', 'Compress', 'NonMaxSuppression'].includes(op))
    return 'its output shape depends on the input values';
  if (['If', 'Loop', 'Scan'].includes(op)) return "control flow over subgraphs; the studio's graph is flat";
  if (/^Sequence|ToSequence$|FromSequence$/.test(op))
    return "sequence operators; the studio's graph holds tensors only";
  return undefined;
}

/**
 * Why a case cannot run, most fundamental first, or undefined when it runs. Each reason names
 * the feature the studio does not model, never a generic "unsupported".
 */
function skipReason(dir: string, model: OnnxTypes.ModelProto, operators: string[]): string | undefined {
  const g = model.graph!;
  const training = operators.filter((o) => o.startsWith(`${TRAINING_DOMAIN}.`));
  if (training.length)
    return `training-only operator ${training.map((o) => o.slice(TRAINING_DOMAIN.length + 1)).join(', ')} (${TRAINING_DOMAIN}): the studio reads inference graphs`;
  for (const vi of [...(g.input ?? []), ...(g.output ?? [])]) {
    const kind = vi.type?.sequenceType
      ? 'sequence'
      : vi.type?.optionalType
        ? 'optional'
        : vi.type?.mapType
          ? 'map'
          : '';
    if (kind)
      return `${kind}-typed graph inputs/outputs: the studio's graph holds tensors only (the reader refuses ${kind} types)`;
  }
  const unknown = operators.filter((o) => o.includes('.') || !opSpec(o));
  if (unknown.length) {
    const notes = [...new Set(unknown.map(whyNotInRegistry).filter((n) => n))];
    const list = `${unknown.length === 1 ? 'operator' : 'operators'} ${unknown.join(', ')}`;
    return `${list} not in the studio's registry${notes.length ? ` (${notes.join('; ')})` : ''}`;
  }
  // The onnx 1.12 data has a few inputs whose stored shape contradicts the model's declaration.
  const inputs = fedInputs(g);
  for (const set of testSets(dir)) {
    for (const [k, file] of tensorFiles(`${dir}${set}`, 'input').entries()) {
      const stored = decodeTensorHeader(`${dir}${set}/${file}`);
      const vi = inputs.find((v) => v.name === stored.name) ?? inputs[k];
      const declared = vi?.type?.tensorType?.shape?.dim;
      const fixed = declared?.map((d) =>
        d.dimValue !== undefined && d.dimValue !== null ? toNumber(d.dimValue as IntLike) : -1,
      );
      if (fixed && (fixed.length !== stored.dims.length || fixed.some((d, i) => d >= 0 && d !== stored.dims[i])))
        return `inconsistent test data: ${set}/${file} (input '${vi.name}') is [${stored.dims.join(',')}] but the model declares [${fixed.map((d) => (d < 0 ? '?' : d)).join(',')}]`;
    }
  }
  return undefined;
}

function collectCases(): SuiteCase[] {
  const cases: SuiteCase[] = [];
  for (const folder of FOLDERS)
    for (const c of readdirSync(`${DATA}${folder}`).sort()) {
      const id = `${folder}/${c}`;
      const dir = `${DATA}${id}/`;
      // real/ holds only data.json: the model and its data are a download (the URL inside).
      if (!existsSync(`${dir}model.onnx`) && existsSync(`${dir}data.json`)) {
        cases.push({ id, dir, operators: [], skip: 'weights are downloaded from a URL; not available offline' });
        continue;
      }
      const model = onnx.ModelProto.decode(readFileSync(`${dir}model.onnx`));
      const operators = [...operatorsOf(model.graph!)].sort();
      cases.push({ id, dir, operators, skip: skipReason(dir, model, operators) });
    }
  return cases;
}

/**
 * numpy has no bfloat16, so the onnx 1.12 generator stored bfloat16 test tensors as their uint16
 * bit patterns (data type UINT16). Read against a bfloat16 declaration, they are bfloat16.
 */
function testDataDtype(stored: DType, declared: DType | undefined): DType {
  return stored === 'uint16' && declared === 'bfloat16' ? 'bfloat16' : stored;
}

function declaredDtype(vi: ValueInfo): DType | undefined {
  const code = vi.type?.tensorType?.elemType;
  return code ? dtypeOfCode(code, `input '${vi.name}'`) : undefined;
}

/** Imports the case with one test data set's inputs and checks every output's dtype and shape. */
function checkDataSet(c: SuiteCase, set: string): void {
  const bytes = readFileSync(`${c.dir}model.onnx`);
  const g = onnx.ModelProto.decode(bytes).graph!;
  const inputs = fedInputs(g);
  const inputValues: Record<string, InputValue> = {};
  for (const [k, file] of tensorFiles(`${c.dir}${set}`, 'input').entries()) {
    const path = `${c.dir}${set}/${file}`;
    const header = decodeTensorHeader(path);
    const vi = inputs.find((v) => v.name === header.name && header.name) ?? inputs[k];
    expect(vi, `${set}/${file} matches no graph input`).toBeDefined();
    // Strings have no numeric value to fold (and no studio typed array): such an input keeps its
    // declared shape, which skipReason checked against the stored one.
    if (header.code === STRING) continue;
    const t = tensorFromBytes(readFileSync(path), `${set}/${file}`);
    inputValues[vi.name!] = { ...t, dtype: testDataDtype(t.dtype, declaredDtype(vi)) };
  }
  const graph = onnxToGraph(bytes, { name: `${c.id}/model.onnx`, inputValues });
  // The reader lets an operator it cannot infer take the shape the file declares. Inferring again
  // without any declared shapes makes sure every output below comes from the operator registry.
  const values = new Map<string, TensorData>(Object.entries(inputValues).map(([k, v]) => [k, v.data]));
  const { unknownNodes } = inferGraph(graph, new Map(), values);
  expect(unknownNodes.map((n) => `${n.op} '${n.name}'`)).toEqual([]);
  const outputs = tensorFiles(`${c.dir}${set}`, 'output');
  expect(outputs.length).toBe(graph.outputs.length);
  outputs.forEach((file, k) => {
    const want = decodeTensorHeader(`${c.dir}${set}/${file}`);
    const name = graph.outputs[k].name;
    const got = graph.values.get(name);
    const dtype = testDataDtype(dtypeOfCode(want.code, `${set}/${file}`), got?.dtype);
    expect(got && { dtype: got.dtype, shape: got.shape }, `output ${k} ('${name}') against ${set}/${file}`).toEqual({
      dtype,
      shape: want.dims,
    });
  });
}

const haveData = existsSync(DATA);
const cases = haveData ? collectCases() : [];
const passed = new Set<string>();

describe('ONNX backend test suite (onnx 1.12): reader + shape inference', () => {
  if (!haveData)
    it('finds the ONNX backend test data', () => {
      throw new Error('missing ONNX backend test data: run `sudo apt-get install -y libonnx-testdata`');
    });

  for (const c of cases) {
    if (c.skip) {
      it.skip(`${c.id} (skipped: ${c.skip})`, () => {});
      continue;
    }
    it(c.id, () => {
      const sets = testSets(c.dir);
      expect(sets.length).toBeGreaterThan(0);
      for (const set of sets) checkDataSet(c, set);
      passed.add(c.id);
    });
  }

  it('writes the summary: every case ran or was skipped with a reason', () => {
    const ran = cases.filter((c) => !c.skip);
    const skipped = cases.filter((c) => c.skip).map((c) => ({ case: c.id, reason: c.skip! }));
    mkdirSync(fileURLToPath(new URL('../test-results/', import.meta.url)), { recursive: true });
    const report = {
      source: `${DATA} (libonnx-testdata, onnx 1.12 backend test data)`,
      ran: ran.map((c) => ({ case: c.id, operators: c.operators, passed: passed.has(c.id) })),
      skipped,
    };
    writeFileSync(REPORT, JSON.stringify(report, null, 2) + '\n');
    expect(haveData).toBe(true);
    expect(ran.length + skipped.length).toBe(cases.length);
    for (const s of skipped) expect(s.reason.trim().length, s.case).toBeGreaterThan(10);
    // A registry reason names operators the registry really lacks.
    for (const s of skipped) {
      const m = /^operators? (.+?) not in the studio's registry( \(.+\))?$/.exec(s.reason);
      if (m) for (const op of m[1].split(', ')) expect(op.includes('.') || !opSpec(op), `${s.case}: ${op}`).toBe(true);
    }
  });
});

describe.skipIf(!haveData)("the reader's inputValues option, which the suite relies on", () => {
  // node/test_reshape_reduced_dims: Reshape(data [2,3,4], shape) with the target shape a graph input.
  const dir = `${DATA}node/test_reshape_reduced_dims/`;
  const bytes = () => readFileSync(`${dir}model.onnx`);
  const shape = () => tensorFromBytes(readFileSync(`${dir}test_data_set_0/input_1.pb`), 'input_1.pb');

  it('folds a known shape input, and without it says the shape is not a constant', () => {
    expect(() => onnxToGraph(bytes(), { name: 'reshape.onnx' })).toThrow(/could not be folded to a constant/);
    const graph = onnxToGraph(bytes(), { name: 'reshape.onnx', inputValues: { shape: shape() } });
    expect(graph.outputs[0].shape).toEqual([2, 12]);
    expect(graph.inputs.map((i) => i.name)).toEqual(['data', 'shape']);
  });

  it('refuses a value for a name that is not an input, or of another dtype or shape', () => {
    expect(() => onnxToGraph(bytes(), { name: 'reshape.onnx', inputValues: { shap: shape() } })).toThrow(
      /'shap', which is not a graph input/,
    );
    const asInt32 = { dtype: 'int32' as const, shape: [2], data: Int32Array.of(2, 12) };
    expect(() => onnxToGraph(bytes(), { name: 'reshape.onnx', inputValues: { shape: asInt32 } })).toThrow(
      /input 'shape' is int32 \[2\], but the input is int64 \[2\]/,
    );
    const longer = { dtype: 'int64' as const, shape: [3], data: BigInt64Array.of(2n, 3n, 4n) };
    expect(() => onnxToGraph(bytes(), { name: 'reshape.onnx', inputValues: { shape: longer } })).toThrow(
      /is int64 \[3\], but the input is int64 \[2\]/,
    );
  });
});
