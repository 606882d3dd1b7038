// `verify`: run ONNX conformance data on a backend and compare with the expected outputs.
// Layouts (../shared/conformance/README.md):
// - the ONNX test-data layout: DIR/model.onnx + DIR/test_data_set_N/input_K.pb and output_K.pb;
// - the onnx-light layout: NAME.onnx + NAME_output_K.pb, the input being the ramp x[i] = i / n;
// - a parent folder of such cases (searched a few levels deep).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  BACKEND_NAMES,
  BackendConfigSchema,
  NATIVE_ISAS,
  type BackendName,
  type NativeIsa,
} from '../../../shared/contract/job.js';
import { numel, StudioError, type Graph, type TensorData } from '../../../shared/ir/types.js';
import { onnxToGraph, type InputValue } from '../../../shared/onnx/reader.js';
import { onnx, tensorFromBytes, type DecodedTensor, type OnnxTypes } from '../../../shared/onnx/tensor.js';
import type { HostTensor } from '../../backends/backend.js';
import { getBackend } from '../../backends/registry.js';
import { table } from '../format.js';
import { action, printJson, printText } from '../io.js';

/** One output of one model run on a backend. */
export interface NamedOutput {
  shape: number[];
  data: ArrayLike<number>;
}

export interface RunOptions {
  /** Intra-op threads (0: the backend's default, one per physical core). */
  threads?: number;
  /** Native only: the kernel path. */
  isa?: NativeIsa;
  /** Seed of the graph's generated weights (blocks and zoo models). */
  seed?: number;
}

/**
 * One inference of a model on a backend, outputs by name. The model is given both as ONNX bytes
 * (ONNX Runtime loads those) and as the studio graph they encode (the native backend lowers that).
 */
export async function runOnBackend(
  backend: BackendName,
  model: { bytes: () => Uint8Array; graph: Graph },
  inputs: HostTensor[],
  opts: RunOptions = {},
): Promise<Record<string, NamedOutput>> {
  const config = BackendConfigSchema.parse({ backend, intraOpThreads: opts.threads ?? 0, isa: opts.isa });
  const b = getBackend(backend);
  // The inputs are known now: a backend that compiles the graph folds weights fed as inputs (ONNX
  // node tests) into constants; one that loads bytes gets them written only then.
  const inputValues = new Map(inputs.map((t) => [t.name, t.data as TensorData]));
  const session = await b.createSession(b.compilesGraph ? new Uint8Array() : model.bytes(), config, {
    graph: model.graph,
    seed: opts.seed ?? 0,
    inputValues,
  });
  try {
    if (!session.runNamed) throw new StudioError(`${backend} returns no outputs by name`, 'refused');
    const out = await session.runNamed(inputs);
    const named: Record<string, NamedOutput> = {};
    for (const [k, t] of Object.entries(out))
      named[k] = {
        shape: t.shape,
        data: t.data instanceof Float32Array ? t.data : Array.from(t.data as ArrayLike<number | bigint>, Number),
      };
    return named;
  } finally {
    await session.release();
  }
}

export interface Difference {
  /** Largest |actual - expected|. */
  maxAbs: number;
  /** Largest |actual - expected| / |expected| over the elements where expected is not 0. */
  maxRel: number;
  /** The element that exceeds atol + rtol * |expected| the most (or the largest abs error when all pass). */
  worst: { index: number; actual: number; expected: number };
  /** Elements outside atol + rtol * |expected| (numpy.allclose), NaN mismatches included. */
  mismatches: number;
  pass: boolean;
}

/** numpy.allclose-style comparison with the largest absolute and relative errors. */
export function difference(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
): Difference {
  let maxAbs = 0;
  let maxRel = 0;
  let mismatches = 0;
  let worst = { index: -1, actual: NaN, expected: NaN };
  let worstExcess = -Infinity;
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    const a = actual[i];
    const e = expected[i];
    const bothNaN = Number.isNaN(a) && Number.isNaN(e);
    const abs = bothNaN ? 0 : a === e ? 0 : Math.abs(a - e);
    const err = Number.isNaN(abs) ? Infinity : abs;
    if (err > maxAbs) maxAbs = err;
    if (e !== 0 && !bothNaN) maxRel = Math.max(maxRel, err / Math.abs(e));
    const excess = err - (atol + rtol * Math.abs(e));
    if (excess > 0) mismatches++;
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = { index: i, actual: a, expected: e };
    }
  }
  if (actual.length !== expected.length) mismatches += Math.abs(actual.length - expected.length);
  return { maxAbs, maxRel, worst, mismatches, pass: mismatches === 0 };
}

export interface VerifyOutput extends Difference {
  name: string;
  shape: number[];
  expectedShape: number[];
}

export interface VerifyCase {
  /** The case's folder (or NAME for the onnx-light layout), relative to the verified path. */
  name: string;
  model: string;
  dataSet: string;
  status: 'pass' | 'fail' | 'error';
  error?: string;
  outputs: VerifyOutput[];
}

export interface VerifyReport {
  path: string;
  backend: BackendName;
  rtol: number;
  atol: number;
  cases: VerifyCase[];
  passed: number;
  failed: number;
  errors: number;
}

/** A model and its data sets, found on disk. */
export interface CaseSpec {
  name: string;
  model: string;
  dataSets: { name: string; inputs: string[] | 'ramp'; outputs: string[] }[];
}

const numbered = (dir: string, prefix: string): string[] =>
  readdirSync(dir)
    .map((f) => ({ f, m: new RegExp(`^${prefix}_(\\d+)\\.pb$`).exec(f) }))
    .filter((x) => x.m)
    .sort((a, b) => Number(a.m![1]) - Number(b.m![1]))
    .map((x) => join(dir, x.f));

/** Cases under `path`: a case folder, an onnx-light model, or a folder of either (up to 3 levels deep). */
export function findCases(path: string): CaseSpec[] {
  const root = resolve(path);
  if (!existsSync(root)) throw new StudioError(`${path}: no such file or folder`, 'bad-parameter');
  const cases: CaseSpec[] = [];
  const name = (p: string) => {
    const rel = relative(root, p);
    return rel && !rel.startsWith('..') ? rel : basename(p);
  };
  const lightCase = (onnxPath: string): CaseSpec | undefined => {
    const stem = onnxPath.slice(0, -'.onnx'.length);
    const outputs = numbered(dirname(onnxPath), basename(stem) + '_output');
    if (outputs.length === 0) return undefined;
    return { name: name(stem), model: onnxPath, dataSets: [{ name: 'ramp input', inputs: 'ramp', outputs }] };
  };
  const visit = (dir: string, depth: number) => {
    const model = join(dir, 'model.onnx');
    if (existsSync(model)) {
      const sets = readdirSync(dir)
        .filter((d) => /^test_data_set_\d+$/.test(d) && statSync(join(dir, d)).isDirectory())
        .sort((a, b) => Number(a.split('_').pop()) - Number(b.split('_').pop()));
      cases.push({
        name: name(dir),
        model,
        dataSets: sets.map((s) => ({
          name: s,
          inputs: numbered(join(dir, s), 'input'),
          outputs: numbered(join(dir, s), 'output'),
        })),
      });
      return;
    }
    const entries = readdirSync(dir).sort();
    for (const f of entries.filter((f) => f.endsWith('.onnx'))) {
      const c = lightCase(join(dir, f));
      if (c) cases.push(c);
    }
    if (depth < 3)
      for (const d of entries) {
        const p = join(dir, d);
        if (!d.startsWith('.') && statSync(p).isDirectory()) visit(p, depth + 1);
      }
  };
  if (statSync(root).isFile()) {
    const c = root.endsWith('.onnx') ? lightCase(root) : undefined;
    if (!c)
      throw new StudioError(
        `${path}: a file to verify must be NAME.onnx with NAME_output_0.pb beside it (the onnx-light layout)`,
        'bad-parameter',
      );
    return [c];
  }
  visit(root, 0);
  if (cases.length === 0)
    throw new StudioError(
      `${path}: no test cases found (expected model.onnx with test_data_set_N/input_K.pb and output_K.pb, or NAME.onnx with NAME_output_0.pb, or folders of them)`,
      'bad-parameter',
    );
  return cases;
}

function hostTensor(name: string, t: DecodedTensor): HostTensor {
  return { name, dtype: t.dtype, shape: t.shape, data: t.data as TensorData };
}

/** The onnx-light input: x[i] = i / n over the single float input (conformance README). */
function rampInput(graph: Graph): HostTensor[] {
  const floats = graph.inputs.filter((i) => i.dtype === 'float32');
  if (graph.inputs.length !== 1 || floats.length !== 1)
    throw new StudioError(
      `the ramp input needs exactly one float32 input; the model has ${graph.inputs.map((i) => `${i.name} (${i.dtype})`).join(', ')}`,
      'bad-file',
    );
  const input = graph.inputs[0];
  const n = numel(input.shape);
  return [
    {
      name: input.name,
      dtype: 'float32',
      shape: [...input.shape],
      data: Float32Array.from({ length: n }, (_, i) => i / n),
    },
  ];
}

/** The model's graph inputs in order (initializers listed as inputs, as before IR 4, left out). */
function modelInputNames(bytes: Uint8Array, label: string): string[] {
  let g: OnnxTypes.IGraphProto | null | undefined;
  try {
    g = onnx.ModelProto.decode(bytes).graph;
  } catch {
    g = undefined;
  }
  // Not a model: the reader says why, naming the file.
  if (!g) return onnxToGraph(bytes, { name: label }).inputs.map((i) => i.name);
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  return (g.input ?? []).map((i) => i.name ?? '').filter((n) => !inits.has(n));
}

/** Runs one data set of one case on a backend and compares every output. */
export async function verifyDataSet(
  spec: CaseSpec,
  set: CaseSpec['dataSets'][number],
  backend: BackendName,
  tol: { rtol: number; atol: number },
  opts: RunOptions = {},
): Promise<VerifyCase> {
  const result: VerifyCase = { name: spec.name, model: spec.model, dataSet: set.name, status: 'error', outputs: [] };
  try {
    const bytes = readFileSync(spec.model);
    const label = relative(process.cwd(), spec.model) || spec.model;
    let graph: Graph;
    let inputs: HostTensor[];
    if (set.inputs === 'ramp') {
      graph = onnxToGraph(bytes, { name: label });
      inputs = rampInput(graph);
    } else {
      const names = modelInputNames(bytes, label);
      const decoded = set.inputs.map((f) => tensorFromBytes(readFileSync(f), basename(f)));
      if (decoded.length !== names.length)
        throw new StudioError(
          `${set.name} has ${decoded.length} input files but the model has ${names.length} inputs`,
          'bad-file',
        );
      inputs = decoded.map((t, k) => hostTensor(names[k], t));
      // The data's shapes fill the model's dynamic dimensions (a symbolic batch, say), and small
      // values fold where shapes depend on them (Unsqueeze axes given as an input).
      const values: Record<string, InputValue> = {};
      inputs.forEach((t) => (values[t.name] = { dtype: t.dtype, shape: t.shape, data: t.data as TensorData }));
      graph = onnxToGraph(bytes, { name: label, inputValues: values });
    }
    const expected = set.outputs.map((f) => tensorFromBytes(readFileSync(f), basename(f)));
    const got = await runOnBackend(backend, { bytes: () => bytes, graph }, inputs, opts);
    let pass = expected.length > 0;
    expected.forEach((want, k) => {
      const name = graph.outputs[k]?.name ?? `output ${k}`;
      const out = got[name];
      const data = Array.from(want.data as ArrayLike<number | bigint>, Number);
      if (!out) {
        pass = false;
        result.outputs.push({
          name,
          shape: [],
          expectedShape: want.shape,
          ...difference([], data, tol.rtol, tol.atol),
          pass: false,
        });
        return;
      }
      const d = difference(out.data, data, tol.rtol, tol.atol);
      const sameShape = numel(out.shape) === numel(want.shape);
      if (!sameShape) d.pass = false;
      pass &&= d.pass;
      result.outputs.push({ name, shape: out.shape, expectedShape: want.shape, ...d });
    });
    result.status = pass ? 'pass' : 'fail';
  } catch (e) {
    result.status = 'error';
    result.error = (e as Error).message;
  }
  return result;
}

/** Every data set of every case under `path`, in order. */
export async function verifyPath(
  path: string,
  backend: BackendName,
  tol: { rtol: number; atol: number },
  opts: RunOptions = {},
  onCase?: (c: VerifyCase) => void,
): Promise<VerifyReport> {
  const specs = findCases(path);
  const cases: VerifyCase[] = [];
  for (const spec of specs) {
    if (spec.dataSets.length === 0) {
      const c: VerifyCase = {
        name: spec.name,
        model: spec.model,
        dataSet: '',
        status: 'error',
        error: 'no test_data_set_N folder with input and output files',
        outputs: [],
      };
      cases.push(c);
      onCase?.(c);
      continue;
    }
    for (const set of spec.dataSets) {
      const c = await verifyDataSet(spec, set, backend, tol, opts);
      cases.push(c);
      onCase?.(c);
    }
  }
  return {
    path,
    backend,
    ...tol,
    cases,
    passed: cases.filter((c) => c.status === 'pass').length,
    failed: cases.filter((c) => c.status === 'fail').length,
    errors: cases.filter((c) => c.status === 'error').length,
  };
}

const sci = (v: number) => (v === 0 ? '0' : Number.isFinite(v) ? v.toExponential(2) : String(v));

function positiveNumber(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0)
    throw new StudioError(`${what} must be a non-negative number, got '${text}'`, 'bad-parameter');
  return n;
}

export function parseBackend(text: string): BackendName {
  if (!(BACKEND_NAMES as readonly string[]).includes(text))
    throw new StudioError(`unknown backend '${text}'. Backends: ${BACKEND_NAMES.join(', ')}`, 'bad-parameter');
  return text as BackendName;
}

export function parseIsa(text: string | undefined): NativeIsa | undefined {
  if (text === undefined) return undefined;
  if (!(NATIVE_ISAS as readonly string[]).includes(text))
    throw new StudioError(`unknown ISA path '${text}'. Paths: ${NATIVE_ISAS.join(', ')}`, 'bad-parameter');
  return text as NativeIsa;
}

export function parseThreads(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0)
    throw new StudioError(`--threads must be a non-negative integer, got '${text}'`, 'bad-parameter');
  return n;
}

interface VerifyOptions {
  backend: string;
  rtol: string;
  atol: string;
  threads?: string;
  isa?: string;
  json?: boolean;
}

export function registerVerify(program: Command): void {
  program
    .command('verify <path>')
    .description(
      'run ONNX test data (model.onnx + test_data_set_N/, or NAME.onnx + NAME_output_0.pb with the ramp input, or a folder of them) on a backend and compare with the expected outputs',
    )
    .option('--backend <name>', `backend: ${BACKEND_NAMES.join(', ')}`, 'native')
    .option('--rtol <r>', 'relative tolerance (pass: |got - expected| <= atol + rtol x |expected|)', '1e-3')
    .option('--atol <a>', 'absolute tolerance', '1e-7')
    .option('--threads <n>', 'intra-op threads (0: one per physical core)')
    .option('--isa <path>', `native kernel path: ${NATIVE_ISAS.join(', ')}`)
    .option('--json', 'print one JSON document')
    .action(
      action(async (path: string, opts: VerifyOptions) => {
        const backend = parseBackend(opts.backend);
        const tol = { rtol: positiveNumber(opts.rtol, '--rtol'), atol: positiveNumber(opts.atol, '--atol') };
        const run = { threads: parseThreads(opts.threads), isa: parseIsa(opts.isa) };
        const report = await verifyPath(path, backend, tol, run);
        if (opts.json) printJson(report);
        else {
          const rows: string[][] = [];
          for (const c of report.cases) {
            const label = /^test_data_set_[1-9]/.test(c.dataSet) ? `${c.name} (${c.dataSet})` : c.name;
            if (c.status === 'error') rows.push([label, '', '', '', '', `ERROR: ${c.error}`]);
            for (const o of c.outputs)
              rows.push([
                label,
                o.name,
                o.shape.join('x'),
                sci(o.maxAbs),
                sci(o.maxRel),
                o.pass
                  ? 'pass'
                  : `FAIL (${o.mismatches} outside tolerance; worst at ${o.worst.index}: ${o.worst.actual} vs ${o.worst.expected})`,
              ]);
          }
          printText(table(['case', 'output', 'shape', 'max abs err', 'max rel err', 'result'], rows));
          printText(
            `\n${report.passed} passed, ${report.failed} failed, ${report.errors} could not run, on ${backend} (rtol ${tol.rtol}, atol ${tol.atol})`,
          );
        }
        if (report.failed + report.errors > 0) process.exitCode = 1;
      }),
    );
}
