// The exported classifier: the cut base graph followed by a trained head's operators (GAP or
// Flatten, Gemm (+ Relu + Gemm)) with the trained weights as initializers, and the preprocessing
// recorded in the file's metadata so that `accuracy` feeds it the same inputs the lab did.
import { attr } from '../graph/builder.js';
import { inferGraph } from '../graph/infer.js';
import { StudioError, type Graph, type GraphNode, type Initializer } from '../ir/types.js';
import { onnx } from '../onnx/tensor.js';
import { graphToOnnx } from '../onnx/writer.js';
import { withDynamicBatch } from './cut.js';
import { foldedLayers, HEAD_TITLES, type TrainedHead } from './heads.js';

/** metadata_props key of the preprocessing (a JSON PreprocessSchema), read by `accuracy`. */
export const PREPROCESS_METADATA_KEY = 'bottleneck-studio.preprocess';
/** metadata_props key of the class names in output order (a JSON array of strings). */
export const CLASSES_METADATA_KEY = 'bottleneck-studio.classes';
/** metadata_props key of what the lab trained (head, cut tensor, accuracies). */
export const LAB_METADATA_KEY = 'bottleneck-studio.lab';

/** The output name of every exported classifier: one row of class logits per image. */
export const LOGITS = 'logits';

/** Appends the head to the cut base: a new graph (the base's nodes and initializers are shared). */
export function classifierGraph(cut: Graph, head: TrainedHead): Graph {
  const feature = cut.outputs[0];
  if (!feature) throw new StudioError('the cut base has no output', 'internal');
  const taken = new Set<string>([
    ...cut.nodes.flatMap((n) => [n.name, ...n.outputs]),
    ...cut.initializers.keys(),
    ...cut.inputs.map((i) => i.name),
  ]);
  const fresh = (base: string) => {
    let name = base;
    for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  };
  const nodes: GraphNode[] = [...cut.nodes];
  const initializers = new Map(cut.initializers);
  const op = (opType: string, inputs: string[], attrs: GraphNode['attrs'], base: string, output?: string) => {
    const name = fresh(`lab_head/${base}`);
    const out = output ?? name;
    nodes.push({ name, op: opType, domain: '', inputs, outputs: [out], attrs });
    return out;
  };
  const param = (base: string, shape: number[], data: Float32Array) => {
    const name = fresh(`lab_head/${base}`);
    const init: Initializer = { name, dtype: 'float32', shape, role: 'param', trainable: true, data };
    initializers.set(name, init);
    return name;
  };
  let x = feature.name;
  if (head.kind === 'gap') {
    if (feature.shape.length < 3)
      throw new StudioError(
        `the gap head needs a feature map (N x C x H x W); the cut tensor '${feature.name}' is [${feature.shape.join(', ')}]`,
        'bad-cut',
      );
    x = op('GlobalAveragePool', [x], {}, 'gap');
  }
  x = op('Flatten', [x], { axis: attr.int(1) }, 'flatten');
  if (taken.has(LOGITS)) throw new StudioError(`the base already has a tensor named '${LOGITS}'`, 'internal');
  const layers = foldedLayers(head);
  layers.forEach((l, i) => {
    const last = i === layers.length - 1;
    const w = param(`fc${i + 1}.weight`, [l.out, l.in], l.weight);
    const b = param(`fc${i + 1}.bias`, [l.out], l.bias);
    x = op('Gemm', [x, w, b], { transB: attr.int(1) }, `fc${i + 1}`, last ? LOGITS : undefined);
    if (!last) x = op('Relu', [x], {}, `fc${i + 1}.relu`);
  });
  const graph: Graph = {
    name: `${cut.name}_${head.kind}`,
    inputs: cut.inputs,
    outputs: [{ name: LOGITS, dtype: 'float32', shape: [feature.shape[0], head.classes] }],
    nodes,
    initializers,
    values: new Map(),
    meta: {
      ...cut.meta,
      description: `${cut.meta.description ?? cut.name} + ${HEAD_TITLES[head.kind]} head (bottleneck-feature lab)`,
      source: undefined,
    },
  };
  inferGraph(graph);
  return graph;
}

/**
 * The classifier as ONNX bytes, runnable at any batch size, with metadata_props added. `seed` must
 * be the seed the base's generated weights were made with (its ONNX bytes used it): initializer
 * values depend only on (seed, name), so the base's weights come out identical.
 */
export function classifierOnnx(graph: Graph, seed: number, metadata: Record<string, string>): Uint8Array {
  const bytes = graphToOnnx(withDynamicBatch(graph), { seed });
  const model = onnx.ModelProto.decode(bytes);
  const props = (model.metadataProps ?? []).filter((p) => !(p.key && p.key in metadata));
  for (const [key, value] of Object.entries(metadata)) props.push(onnx.StringStringEntryProto.create({ key, value }));
  model.metadataProps = props;
  return onnx.ModelProto.encode(model).finish();
}

/** The metadata_props of an ONNX file as a record (the lab reads a base file's preprocessing). */
export function onnxMetadata(bytes: Uint8Array): Record<string, string> {
  const model = onnx.ModelProto.decode(bytes);
  return Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
}
