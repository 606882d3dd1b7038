// ONNX ModelProto bytes -> Graph. Pure: the bytes and any external data come from the caller
// (main/onnx/onnx-file.ts on disk), so the renderer or a test can read a model from memory.
import { inferGraph } from '../graph/infer.js';
import {
  StudioError,
  numel,
  type DType,
  type Graph,
  type GraphNode,
  type Initializer,
  type TensorData,
  type TensorInfo,
} from '../ir/types.js';
import { classifyInitializers } from './classify.js';
import { attrOf, foldConstantNode, initializerOf } from './node-decode.js';
import { dtypeOfCode, onnx, toNumber, type ExternalReader, type IntLike, type OnnxTypes } from './tensor.js';
import { wireProblem } from './wire.js';
import { PRODUCER_NAME, ROLE_DOC_PREFIX } from './writer.js';

export interface ReadOptions {
  /** The file's name, used in every message ("model.onnx is not an ONNX model ..."). */
  name: string;
  /**
   * Values of symbolic dimensions by dim_param name (for example { N: 8 }); others become 1. A name
   * that is no input's dim_param (misspelt, or a dimension the file fixes) is refused, naming the
   * file's symbolic dimensions, rather than ignored.
   */
  dims?: Record<string, number>;
  /** Reads `length` bytes at `offset` of an external data file named relative to the model. */
  externalData?: ExternalReader;
  /**
   * Values of graph inputs known before running, by input name (a Reshape target or Resize sizes
   * fed as an input; the ONNX backend test suite feeds its test inputs this way). A value's shape
   * fills the input's dynamic dimensions and must agree with its fixed ones; small values are then
   * folded by shape inference exactly like small initializers. The inputs stay graph inputs.
   */
  inputValues?: Record<string, InputValue>;
}

/** A known value of a graph input (see ReadOptions.inputValues). */
export interface InputValue {
  dtype: DType;
  shape: number[];
  data: TensorData;
}

type ModelProto = OnnxTypes.ModelProto;
type GraphProto = OnnxTypes.IGraphProto;
const AT = onnx.AttributeProto.AttributeType;

/** The code of a StudioError that wraps an unexpected exception inside the reader (a bug to fix). */
export const READER_BUG = 'reader-bug';

/** Decodes and checks an ONNX model, then builds and shape-infers the studio graph. */
export function onnxToGraph(bytes: Uint8Array, opts: ReadOptions): Graph {
  const file = opts.name;
  if (!bytes || bytes.length === 0) throw new StudioError(`${file} is empty (0 bytes), not an ONNX model`, 'bad-file');
  const text = looksLikeText(bytes) ? '; the file looks like text' : '';
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    // protobufjs's own message ("index out of range: 7 + 209170300 > 4096") says little; the wire
    // walk says which length field lies, or that the nesting is too deep.
    const problem = wireProblem(bytes);
    if (problem?.kind === 'depth') throw new StudioError(`${file}: ${problem.message}`, 'unsupported');
    throw new StudioError(
      `${file} is not an ONNX model (protobuf decode failed: ${problem?.message ?? (e as Error).message}${text})`,
      'bad-file',
    );
  }
  // A file that decodes can still nest subgraphs deeper than the studio follows.
  const problem = wireProblem(bytes);
  if (problem?.kind === 'depth') throw new StudioError(`${file}: ${problem.message}`, 'unsupported');
  // Protobuf is permissive: a few stray bytes often decode to an "empty" message. A model needs a graph.
  if (!model.graph)
    throw new StudioError(
      `${file} is not an ONNX model: it holds no graph (${text ? 'the file looks like text' : 'a truncated file, or another kind of file'})`,
      'bad-file',
    );
  const ir = toNumber(model.irVersion as IntLike);
  if (!(ir >= 1 && ir <= 32))
    throw new StudioError(`${file} is not an ONNX model (ir_version ${ir} is not an ONNX IR version)`, 'bad-file');
  try {
    return buildGraph(model, model.graph, opts);
  } catch (e) {
    // Every failure names the file; anything unexpected is still reported as a StudioError, never a
    // crash. Its code says it is the reader's own failure, so the fuzzer counts it as a bug.
    if (e instanceof StudioError)
      throw e.message.startsWith(file) ? e : new StudioError(`${file}: ${e.message}`, e.code);
    throw Object.assign(new StudioError(`${file}: could not read the model (${(e as Error).message})`, READER_BUG), {
      cause: e,
    });
  }
}

/**
 * Why a graph read from a file cannot be benchmarked, or undefined when it can: a benchmark feeds
 * generated numeric tensors to every input, which a string tensor cannot take. (Sequence, map and
 * optional inputs are already refused by the reader.)
 */
export function benchmarkRefusal(graph: Graph): string | undefined {
  const text = graph.inputs.find((i) => i.dtype === 'string');
  if (text)
    return `input '${text.name}' is a string tensor: the studio generates numeric inputs only, so the model cannot be benchmarked (its costs can still be shown)`;
  return undefined;
}

/** Mostly printable ASCII in the first 512 bytes: a text file (a README, JSON, a Git LFS pointer). */
function looksLikeText(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 512);
  let printable = 0;
  for (const b of head) if (b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127)) printable++;
  return printable >= 0.95 * head.length;
}

function buildGraph(model: ModelProto, g: GraphProto, opts: ReadOptions): Graph {
  const warnings: string[] = [];
  const opsetEntry = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = opsetEntry ? toNumber(opsetEntry.version as IntLike) : undefined;
  if (opset === undefined) warnings.push('the model declares no opset for the default ONNX domain');
  if (g.sparseInitializer?.length)
    throw new StudioError(
      `sparse initializers are not supported (${g.sparseInitializer.length}, e.g. '${g.sparseInitializer[0].values?.name ?? '?'}'); densify the model first`,
      'unsupported',
    );
  if (model.functions?.length)
    warnings.push(
      `model-local functions (${model.functions.map((f) => f.name).join(', ')}) are not expanded: their calls are costed as unknown`,
    );

  // Initializers. A file the studio wrote records each one's role in its doc_string; honour it.
  const ours = model.producerName === PRODUCER_NAME;
  const initializers = new Map<string, Initializer>();
  const fixedRoles = new Set<string>();
  for (const t of g.initializer ?? []) {
    if (!t.name) throw new StudioError('an initializer has no name', 'bad-file');
    if (initializers.has(t.name)) throw new StudioError(`initializer '${t.name}' is defined twice`, 'bad-file');
    const init = initializerOf(t, `initializer '${t.name}'`, opts.externalData);
    const doc = ours && t.docString?.startsWith(ROLE_DOC_PREFIX) ? t.docString : undefined;
    if (doc) {
      init.role = / role=param/.test(doc) ? 'param' : 'constant';
      init.trainable = init.role === 'param' && !/non-trainable/.test(doc);
      fixedRoles.add(init.name);
    }
    initializers.set(t.name, init);
  }

  // Before IR 4 every initializer was also listed as a graph input; those are not real inputs.
  const inputs = (g.input ?? [])
    .filter((vi) => !initializers.has(vi.name ?? ''))
    .map((vi) => tensorInfo(vi, 'input', opts, warnings)!);
  checkGivenDims(inputs, opts.dims);
  const inputValues = givenInputValues(inputs, opts.inputValues);
  const declared = new Map<string, TensorInfo>();
  for (const vi of g.valueInfo ?? []) {
    // value_info is only a hint (used for the outputs of unknown operators): a broken one is
    // dropped with a warning instead of refusing a model that is otherwise fine.
    try {
      const t = tensorInfo(vi, 'value', opts, undefined);
      if (t) declared.set(t.name, t);
    } catch (e) {
      if (!(e instanceof StudioError)) throw e;
      warnings.push(`the declared shape of ${e.message}; ignored`);
    }
  }
  const outputs = (g.output ?? []).map((vi) => {
    const t = tensorInfo(vi, 'output', opts, undefined);
    if (!t)
      throw new StudioError(
        `output '${vi.name}' is not a tensor (sequence, map and optional types are not supported)`,
        'unsupported',
      );
    declared.set(t.name, t);
    return t;
  });

  const nodes: GraphNode[] = [];
  const usedNames = new Set<string>();
  const shapeInputs = new Set<string>();
  (g.node ?? []).forEach((n, i) => {
    const op = n.opType ?? '';
    if (!op) throw new StudioError(`node ${i} ('${n.name ?? ''}') has no operator type`, 'bad-file');
    let name = n.name || `${op}_${i}`;
    for (let k = 1; usedNames.has(name); k++) name = `${n.name || op}_${i}_${k}`;
    usedNames.add(name);
    const domain = n.domain === 'ai.onnx' ? '' : (n.domain ?? '');
    const attrs: GraphNode['attrs'] = {};
    for (const a of n.attribute ?? []) {
      const v = attrOf(a, `${op} node '${name}' attribute '${a.name}'`, opts.externalData);
      if (v) attrs[a.name ?? ''] = v;
      else if (a.type === AT.GRAPH || a.type === AT.GRAPHS)
        warnings.push(
          `${op} node '${name}': attribute '${a.name}' is a subgraph, which the studio neither shows nor costs; dropped`,
        );
      else
        warnings.push(
          `${op} node '${name}': attribute '${a.name}' (${AT[a.type ?? 0] ?? a.type}) is not supported and was dropped`,
        );
    }
    const node: GraphNode = { name, op, domain, inputs: [...(n.input ?? [])], outputs: [...(n.output ?? [])], attrs };
    const folded = domain === '' ? foldConstantNode(node, initializers) : undefined;
    if (folded) {
      initializers.set(folded.name, folded);
      if (op === 'ConstantOfShape') shapeInputs.add(node.inputs[0]);
    } else nodes.push(node);
  });
  // The shape tensors of folded ConstantOfShape nodes (the onnx-light `*__SHAPE` initializers) are now unused.
  const used = new Set([...nodes.flatMap((n) => n.inputs), ...outputs.map((o) => o.name)]);
  for (const s of shapeInputs) if (!used.has(s)) initializers.delete(s);

  const available = new Set([...inputs.map((t) => t.name), ...initializers.keys(), ...nodes.flatMap((n) => n.outputs)]);
  for (const o of outputs)
    if (!available.has(o.name))
      throw new StudioError(`graph output '${o.name}' is produced by no node, initializer or input`, 'bad-file');

  const meta = new Map((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  const description = meta.get('description') || model.docString || g.docString || undefined;
  const graph: Graph = {
    name: g.name || opts.name.replace(/\.onnx$/i, ''),
    inputs,
    outputs,
    nodes,
    initializers,
    values: new Map(),
    meta: {
      ...(description ? { description } : {}),
      ...(meta.get('variant') ? { variant: meta.get('variant') } : {}),
      ...(meta.get('notes') ? { notes: meta.get('notes')!.split('\n') } : {}),
      warnings,
      ...(opset !== undefined ? { opset } : {}),
      source: { kind: 'file', name: opts.name },
    },
  };
  classifyInitializers(graph, fixedRoles);
  warnings.push(...inferGraph(graph, declared, inputValues).warnings);
  return graph;
}

/**
 * Checks ReadOptions.inputValues against the declared inputs and gives each such input the value's
 * shape (replacing dynamic dimensions). Returns the values by name, for shape inference to fold.
 */
function givenInputValues(inputs: TensorInfo[], given: Record<string, InputValue> = {}): Map<string, TensorData> {
  const out = new Map<string, TensorData>();
  for (const [name, v] of Object.entries(given)) {
    const i = inputs.findIndex((t) => t.name === name);
    if (i < 0) throw new StudioError(`a value was given for '${name}', which is not a graph input`, 'bad-parameter');
    const t = inputs[i];
    const fixedDiffers = t.shape.some((d, k) => t.dimParams?.[k] === undefined && d !== v.shape[k]);
    if (v.dtype !== t.dtype || v.shape.length !== t.shape.length || fixedDiffers)
      throw new StudioError(
        `the value given for input '${name}' is ${v.dtype} [${v.shape.join(',')}], but the input is ${t.dtype} [${t.shape.join(',')}]`,
        'bad-parameter',
      );
    if (v.data.length !== numel(v.shape))
      throw new StudioError(
        `the value given for input '${name}' holds ${v.data.length} values, but its shape [${v.shape.join(',')}] needs ${numel(v.shape)}`,
        'bad-parameter',
      );
    inputs[i] = { ...t, shape: [...v.shape] };
    out.set(name, v.data);
  }
  return out;
}

/**
 * Every dimension given by name must be a symbolic dimension (a dim_param) of a graph input, as
 * every parameter given to a block must be one of its parameters: otherwise `--set batch=8` on a
 * file whose batch is fixed, or a misspelt `btch=8`, would be silently ignored.
 */
function checkGivenDims(inputs: readonly TensorInfo[], dims: Record<string, number> = {}): void {
  const symbolic = [...new Set(inputs.flatMap((t) => t.dimParams ?? []).filter((p): p is string => !!p))];
  const unknown = Object.keys(dims).find((k) => !symbolic.includes(k));
  if (unknown === undefined) return;
  const shapes = inputs
    .slice(0, 4)
    .map(
      (t) => `'${t.name}' ${t.shape.map((d, i) => (t.dimParams?.[i] === undefined ? d : '?')).join('x') || 'a scalar'}`,
    )
    .join(', ');
  const more = inputs.length > 4 ? `, and ${inputs.length - 4} more` : '';
  const unnamed = inputs.some((t) => t.dimParams?.includes(''));
  throw new StudioError(
    symbolic.length
      ? `unknown dimension '${unknown}': not a symbolic dimension of the file. Symbolic dimensions: ${symbolic.join(', ')}`
      : `unknown dimension '${unknown}': the file has no symbolic dimensions to set (inputs: ${shapes}${more}${unnamed ? "; a '?' is an unnamed dimension, which cannot be set" : ''})`,
    'bad-parameter',
  );
}

/**
 * A graph input/output/value_info as a TensorInfo. Dynamic dimensions (a dim_param, or no value)
 * take opts.dims[dim_param] or 1; the name is kept in dimParams ('' for an unnamed one) so an
 * export stays dynamic, and for inputs a warning says what was assumed.
 */
function tensorInfo(
  vi: OnnxTypes.IValueInfoProto,
  what: string,
  opts: ReadOptions,
  warnings?: string[],
): TensorInfo | undefined {
  const name = vi.name ?? '';
  const tt = vi.type?.tensorType;
  if (!tt) {
    if (what === 'input')
      throw new StudioError(
        `input '${name}' is ${typeKind(vi.type)}, not a tensor: the studio sizes, costs and runs models on numeric tensor inputs only`,
        'unsupported',
      );
    return undefined;
  }
  const dtype = dtypeOfCode(tt.elemType ?? 0, `${what} '${name}'`);
  if (!tt.shape) {
    if (what === 'input')
      throw new StudioError(
        `input '${name}' has no shape (not even a rank): the studio cannot size the model`,
        'unsupported',
      );
    return what === 'output' ? { name, dtype, shape: [] } : undefined;
  }
  let dynamic = false;
  const dimParams: (string | undefined)[] = [];
  const shape = (tt.shape.dim ?? []).map((d, i) => {
    // dim_value and dim_param are a oneof: the decoder leaves the unset one null.
    const set = d.dimValue !== undefined && d.dimValue !== null;
    const v = set ? toNumber(d.dimValue as IntLike) : -1;
    if (set && v < 0)
      throw new StudioError(`${what} '${name}' dimension ${i} is ${v}: a dimension cannot be negative`, 'bad-file');
    if (set && !Number.isSafeInteger(v))
      throw new StudioError(
        `${what} '${name}' dimension ${i} is ${String(d.dimValue)}: too large (past 2^53, not an exact number)`,
        'too-large',
      );
    if (v >= 0) {
      dimParams.push(undefined);
      return v;
    }
    dynamic = true;
    const param = d.dimParam ?? '';
    dimParams.push(param);
    const given = param ? opts.dims?.[param] : undefined;
    if (given !== undefined && !(Number.isInteger(given) && given >= 1))
      throw new StudioError(`dimension '${param}' must be a positive integer, got ${given}`, 'bad-parameter');
    const value = given ?? 1;
    warnings?.push(
      `input '${name}' dimension ${i} is ${param ? `symbolic ('${param}')` : 'unknown'}: using ${value}${given === undefined ? (param ? ` (set it with ${param}=...)` : '') : ' as given'}`,
    );
    return value;
  });
  return { name, dtype, shape, ...(dynamic ? { dimParams } : {}) };
}

/** What a non-tensor type is, in words ("a sequence", "a map"), for a refusal. */
function typeKind(t: OnnxTypes.ITypeProto | null | undefined): string {
  if (!t) return 'of no declared type';
  if (t.sequenceType) return 'a sequence';
  if (t.mapType) return 'a map';
  if (t.optionalType) return 'an optional';
  if (t.sparseTensorType) return 'a sparse tensor';
  return 'of an unknown kind';
}
