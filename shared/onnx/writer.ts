// Graph -> ONNX ModelProto bytes. Pure (no fs): the main process writes the bytes (main/onnx/onnx-file.ts),
// the renderer could offer them as a download.
/* global TextEncoder -- a WHATWG global in Node and in every browser, so still pure shared code */
import { topologicalOrder } from '../graph/infer.js';
import { generateValues } from '../graph/weights.js';
import { StudioError, type AttrValue, type Graph, type Initializer, type TensorInfo } from '../ir/types.js';
import { ONNX_CODE_BY_DTYPE } from '../ops/shape-ops.js';
import { upgradeNodes } from './upgrade.js';
import { encodeTensor, onnx, type ITensorProto, type OnnxTypes } from './tensor.js';

/** Lowest default-domain opset an export declares: every operator the blocks emit has its modern form there. */
export const EXPORT_OPSET = 17;
export const PRODUCER_NAME = 'bottleneck-studio';
export const PRODUCER_VERSION = '0.1.0';

/**
 * Prefix of the doc_string the writer puts on each initializer. ONNX has no notion of "learned
 * weight" vs "constant", so the studio records its classification (for example the all-ones
 * BatchNorm scale of a Keras `scale=False` layer is a constant, not a parameter) and its own
 * reader honours it for files this producer wrote; other files are classified from the graph.
 */
export const ROLE_DOC_PREFIX = 'bottleneck-studio:';

export interface WriteOptions {
  /** Seed of lazily generated weights (graph/weights.ts); the same seed gives the same file. */
  seed?: number;
  /** Minimum default-domain opset; the graph's own (imported) opset wins when higher. */
  opset?: number;
}

/**
 * The IR version that goes with an opset: ir 8 covers opsets up to 18, 9 up to 20, 10 up to 22
 * (onnx/docs/Versioning.md). ONNX Runtime refuses a model whose IR is older than its opsets need.
 */
function irVersionFor(opset: number): number {
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  return 11;
}

function valueInfo(t: TensorInfo): OnnxTypes.IValueInfoProto {
  const dim = t.shape.map((d, i) => {
    const p = t.dimParams?.[i];
    // '' marks a dimension that was unknown and unnamed in the source file: write it back unknown.
    if (p === '') return {};
    return p !== undefined ? { dimParam: p } : { dimValue: d };
  });
  return { name: t.name, type: { tensorType: { elemType: ONNX_CODE_BY_DTYPE[t.dtype], shape: { dim } } } };
}

function initializerTensor(init: Initializer, seed: number, docString?: string): ITensorProto {
  // generateValues returns `init.data` when present and otherwise a fresh array: the caller's
  // graph is never given the (possibly hundreds of MB of) generated values.
  const data = generateValues(init, seed);
  return encodeTensor(init.name, init.dtype, init.shape, data, docString);
}

const { AttributeType } = onnx.AttributeProto;
const utf8 = (s: string) => new TextEncoder().encode(s);

function attribute(name: string, a: AttrValue, seed: number): OnnxTypes.IAttributeProto {
  switch (a.type) {
    case 'int':
      return { name, type: AttributeType.INT, i: a.value };
    case 'float':
      return { name, type: AttributeType.FLOAT, f: a.value };
    case 'string':
      return { name, type: AttributeType.STRING, s: utf8(a.value) };
    case 'ints':
      return { name, type: AttributeType.INTS, ints: a.value };
    case 'floats':
      return { name, type: AttributeType.FLOATS, floats: a.value };
    case 'strings':
      return { name, type: AttributeType.STRINGS, strings: a.value.map(utf8) };
    case 'tensor':
      return { name, type: AttributeType.TENSOR, t: initializerTensor(a.value, seed) };
  }
}

function isTopological(graph: Graph): boolean {
  const seen = new Set<string>(['', ...graph.inputs.map((i) => i.name), ...graph.initializers.keys()]);
  for (const n of graph.nodes) {
    if (!n.inputs.every((i) => seen.has(i))) return false;
    for (const o of n.outputs) seen.add(o);
  }
  return true;
}

function roleDoc(init: Initializer): string {
  return `${ROLE_DOC_PREFIX} role=${init.role}${init.role === 'param' && !init.trainable ? ' non-trainable' : ''}`;
}

/** Serializes a graph as an ONNX model (IR 8+, default-domain opset >= 17, weights as raw_data). */
export function graphToOnnx(graph: Graph, opts: WriteOptions = {}): Uint8Array {
  const seed = opts.seed ?? 0;
  const opset = Math.max(opts.opset ?? EXPORT_OPSET, graph.meta.opset ?? 0);
  // ONNX requires nodes in topological order. The stored order usually is one (builders append
  // in order) and is kept so that export -> import preserves it; otherwise the graph is sorted.
  // topologicalOrder also rejects dangling inputs and cycles.
  const sorted = topologicalOrder(graph);
  // An imported graph older than the export opset has its old operator forms rewritten (upgrade.ts).
  const from = graph.meta.opset;
  const { nodes: order, extra } =
    from !== undefined && from < opset
      ? upgradeNodes(graph, isTopological(graph) ? graph.nodes : sorted, from)
      : { nodes: isTopological(graph) ? graph.nodes : sorted, extra: [] };
  const domains = new Set(order.map((n) => n.domain).filter((d) => d !== '' && d !== 'ai.onnx'));

  const nodes: OnnxTypes.INodeProto[] = order.map((n) => ({
    name: n.name,
    opType: n.op,
    ...(n.domain ? { domain: n.domain } : {}),
    input: n.inputs,
    output: n.outputs,
    attribute: Object.entries(n.attrs).map(([k, v]) => attribute(k, v, seed)),
  }));

  const io = new Set([...graph.inputs, ...graph.outputs].map((t) => t.name));
  const intermediates = [...graph.values.values()].filter((v) => !io.has(v.name) && !graph.initializers.has(v.name));

  const metadata: [string, string][] = [];
  if (graph.meta.variant) metadata.push(['variant', graph.meta.variant]);
  if (graph.meta.description) metadata.push(['description', graph.meta.description]);
  if (graph.meta.notes?.length) metadata.push(['notes', graph.meta.notes.join('\n')]);
  if (graph.meta.source) metadata.push(['source', JSON.stringify(graph.meta.source)]);

  const model = {
    irVersion: irVersionFor(opset),
    producerName: PRODUCER_NAME,
    producerVersion: PRODUCER_VERSION,
    // Other domains' versions are not kept in the graph; 1 is the first version of any domain.
    opsetImport: [{ domain: '', version: opset }, ...[...domains].map((domain) => ({ domain, version: 1 }))],
    docString: graph.meta.description ?? '',
    metadataProps: metadata.map(([key, value]) => ({ key, value })),
    graph: {
      name: graph.name,
      node: nodes,
      initializer: [...graph.initializers.values(), ...extra].map((i) => initializerTensor(i, seed, roleDoc(i))),
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
      valueInfo: intermediates.map(valueInfo),
    },
  };
  try {
    return onnx.ModelProto.encode(model).finish();
  } catch (e) {
    throw new StudioError(`could not serialize graph '${graph.name}' as ONNX: ${(e as Error).message}`, 'internal');
  }
}
