// An overlay exported as Model Explorer node data (google-ai-edge/model-explorer: the format its
// node_data_builder.py writes and its UI reads, NodeDataProviderData in the UI's common/types.ts),
// so that a studio measurement can be laid on the model in Model Explorer:
//
//   { <graph id>: { results: { <node key>: { value, bgColor?, textColor? } }, name?,
//                   thresholds?: [{ value, bgColor, textColor? }], gradient?: [{ stop, bgColor?, textColor? }],
//                   hideInAggregatedStatsTable?, hideInChildrenStatsTable?, hideAggregatedStats?,
//                   showExpandedSummaryOnGroupNode?, showLabelCountColumnsInChildrenStatsTable? } }
//
// How Model Explorer reads it: a result's key is matched first against the output tensor names of
// the graph's nodes (the `tensor_name` entry of a node's outputs metadata), else taken as a node id.
// Gradient stops run from 0 (the smallest value in `results`) to 1 (the largest), linear in value,
// and must include 0 and 1; thresholds are upper bounds (value <= threshold gets its colour); a
// result's own bgColor wins over both.
//
// Keys. ONNX files are opened through the ONNX adapter (justinchuby/model-explorer-onnx, linked from
// Model Explorer's README): it makes each ONNX node's id its node name and tags output tensors with
// `__tensor_tag`, not `tensor_name`, so for an ONNX file only node ids match; its own node-data
// export keys by node name too. The studio's ONNX writer keeps the studio node names (and the graph
// name as the graph id), and the studio's builders name each node's first output after the node, so
// for the zoo and the blocks the node id and the first output tensor name are the same key. Hence the
// default key is the node id; 'output-tensor' (the node's first output tensor name) serves adapters
// that write `tensor_name` (Model Explorer's built-in TFLite and TF adapters) and imported files whose
// tensors are named apart from their nodes.
import { z } from 'zod';
import { StudioError } from '../ir/types.js';
import type { Overlay, OverlayScale } from './overlay-types.js';
import { CATEGORY_COLORS, OTHER_CATEGORY_COLOR, colorOf, inkOn, paletteOf } from './scale-colors.js';

/** A CSS colour as Model Explorer's gradient takes it: hex (#abc, #aabbcc) or a colour name. */
const gradientColor = z
  .string()
  .regex(/^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|[a-zA-Z]+)$/, 'a gradient colour is hex (#aabb00) or a colour name (red)');

export const NodeDataResultSchema = z.strictObject({
  value: z.number(),
  bgColor: z.string().min(1).optional(),
  textColor: z.string().min(1).optional(),
});

export const ThresholdItemSchema = z.strictObject({
  value: z.number(),
  bgColor: z.string().min(1),
  textColor: z.string().min(1).optional(),
});

export const GradientItemSchema = z.strictObject({
  stop: z.number().min(0).max(1),
  bgColor: gradientColor.optional(),
  textColor: gradientColor.optional(),
});

export const AggregatedStatSchema = z.enum(['min', 'max', 'sum', 'avg']);

export const GraphNodeDataSchema = z.strictObject({
  results: z.record(z.string(), NodeDataResultSchema),
  name: z.string().optional(),
  thresholds: z.array(ThresholdItemSchema).optional(),
  // node_data_builder.py writes an empty list when there is no gradient; one given needs its ends.
  gradient: z
    .array(GradientItemSchema)
    .refine((g) => g.length === 0 || (g.some((i) => i.stop === 0) && g.some((i) => i.stop === 1)), {
      message: 'a gradient must have the stops 0 and 1 (the smallest and the largest value)',
    })
    .optional(),
  hideInAggregatedStatsTable: z.boolean().optional(),
  hideInChildrenStatsTable: z.boolean().optional(),
  hideAggregatedStats: z.array(AggregatedStatSchema).nullable().optional(),
  showExpandedSummaryOnGroupNode: z.boolean().optional(),
  showLabelCountColumnsInChildrenStatsTable: z.boolean().optional(),
});

/** A node-data file: graph id -> that graph's node data. */
export const ModelNodeDataSchema = z
  .record(z.string().min(1), GraphNodeDataSchema)
  .refine((m) => Object.keys(m).length > 0, { message: 'node data names at least one graph' });

export type NodeDataResult = z.infer<typeof NodeDataResultSchema>;
export type GradientItem = z.infer<typeof GradientItemSchema>;
export type ThresholdItem = z.infer<typeof ThresholdItemSchema>;
export type GraphNodeData = z.infer<typeof GraphNodeDataSchema>;
export type ModelNodeData = z.infer<typeof ModelNodeDataSchema>;

/** The nodes of the graph the keys are made for (a studio Graph or the API's GraphView). */
export interface KeyedGraph {
  nodes: readonly { name: string; outputs: readonly string[] }[];
}

export interface NodeDataOptions {
  /** Model Explorer's graph id: the ONNX graph's name (the studio's ONNX writer writes graph.name). */
  graphId: string;
  /** 'node-id' (default): the node's name; 'output-tensor': its first output tensor name (needs `graph`). */
  key?: 'node-id' | 'output-tensor';
  /** The graph: required for 'output-tensor'; when given, every exported node must be one of its nodes. */
  graph?: KeyedGraph;
  /** The name Model Explorer shows for the data (default: the overlay's name, title and unit). */
  name?: string;
}

export interface OverlayNodeDataOptions extends NodeDataOptions {
  /**
   * Overlays with categories (roofline: memory- / compute-bound): 'category' (default for them)
   * exports each node's category as its index in the legend's categories, coloured by thresholds;
   * 'value' exports the values on the overlay's scale.
   */
  colorBy?: 'value' | 'category';
}

/** Overlays whose group value is not a sum: Model Explorer's sum over a group would mean nothing. */
const NOT_ADDITIVE = new Set<Overlay['kind']>(['memory', 'error', 'roofline', 'gflops']);

function keyer(opts: NodeDataOptions): (node: string) => string {
  const mode = opts.key ?? 'node-id';
  if (mode === 'output-tensor' && !opts.graph)
    throw new StudioError(
      "node data keyed by output tensor needs the graph (its nodes' outputs): pass `graph`",
      'bad-input',
    );
  const outputOf = new Map(opts.graph?.nodes.map((n) => [n.name, n.outputs.find((o) => o !== '')]));
  return (node) => {
    if (opts.graph && !outputOf.has(node))
      throw new StudioError(
        `node '${node}' is not a node of the graph the node data is keyed for: export the overlay of this graph`,
        'bad-input',
      );
    if (mode === 'node-id') return node;
    const tensor = outputOf.get(node);
    if (!tensor)
      throw new StudioError(`node '${node}' has no output tensor to key its node data by: key by node id`, 'bad-input');
    return tensor;
  };
}

/** The node's colour when Model Explorer cannot compute it from the gradient (see gradientFor). */
function ownColors(scale: OverlayScale, value: number): Pick<NodeDataResult, 'bgColor' | 'textColor'> {
  const bg = colorOf(scale, value);
  return { bgColor: bg, textColor: inkOn(bg) };
}

/**
 * Gradient stops that make Model Explorer colour each value as the overlay's scale does. Model
 * Explorer maps the smallest exported value to stop 0 and the largest to stop 1 and interpolates
 * linearly between stops, so for a linear scale the stops are the colours at the data's ends plus the
 * palette's own stops that fall between them (a diverging scale: its neutral midpoint), each placed
 * where its value lies: exact. A log scale (or a single value, where Model Explorer would divide by
 * zero) cannot be drawn that way: then every result carries its own colour, which Model Explorer
 * puts before the gradient, and the gradient keeps its two ends.
 */
function gradientFor(scale: OverlayScale, values: readonly number[]): { gradient: GradientItem[]; perResult: boolean } {
  // A loop, not Math.min(...values): a spread of a large graph's values can overflow the stack.
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  const ends = (): GradientItem[] => [
    { stop: 0, bgColor: colorOf(scale, lo) },
    { stop: 1, bgColor: colorOf(scale, hi) },
  ];
  if (scale.log || !(hi > lo)) return { gradient: ends(), perResult: true };
  const palette = paletteOf(scale);
  // The value at each palette stop: evenly from min to max, or for a diverging scale evenly on each
  // side of the midpoint (scalePosition's mapping), the middle stop at the midpoint itself.
  const half = (palette.length - 1) / 2;
  const mid = scale.mid ?? 0;
  const knots = palette.map((_, k) =>
    scale.kind !== 'diverging'
      ? scale.min + (k / (palette.length - 1)) * (scale.max - scale.min)
      : k <= half
        ? scale.min + (k / half) * (mid - scale.min)
        : mid + ((k - half) / half) * (scale.max - mid),
  );
  const inner = knots
    .filter((v) => v > lo && v < hi)
    .map((v): GradientItem => ({ stop: (v - lo) / (hi - lo), bgColor: colorOf(scale, v) }));
  const [first, last] = ends();
  return { gradient: [first, ...inner, last], perResult: false };
}

function validated(data: ModelNodeData): ModelNodeData {
  const parsed = ModelNodeDataSchema.safeParse(data);
  if (!parsed.success)
    throw new StudioError(
      `the Model Explorer node data built does not match its format: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      'internal',
    );
  return parsed.data;
}

/**
 * Values per node (no groups) as Model Explorer node data, coloured on `scale` (default: a
 * sequential scale from the smallest to the largest value). Non-finite values are refused.
 */
export function valuesToNodeData(
  values: ReadonlyMap<string, number> | Iterable<readonly [string, number]>,
  opts: NodeDataOptions & { name: string; scale?: OverlayScale },
): ModelNodeData {
  const entries = [...values];
  if (entries.length === 0) throw new StudioError('nothing to export: no node has a value', 'no-data');
  const bad = entries.find(([, v]) => !Number.isFinite(v));
  if (bad) throw new StudioError(`node '${bad[0]}' has no finite value (${bad[1]}): JSON cannot carry it`, 'bad-input');
  const numbers = entries.map(([, v]) => v);
  const scale: OverlayScale = opts.scale ?? {
    kind: 'sequential',
    min: numbers.reduce((a, b) => Math.min(a, b)),
    max: numbers.reduce((a, b) => Math.max(a, b)),
  };
  const key = keyer(opts);
  const { gradient, perResult } = gradientFor(scale, numbers);
  const results: Record<string, NodeDataResult> = {};
  for (const [node, value] of entries) {
    const k = key(node);
    if (Object.hasOwn(results, k))
      throw new StudioError(`two nodes share the node-data key '${k}': key by node id`, 'bad-input');
    results[k] = perResult ? { value, ...ownColors(scale, value) } : { value };
  }
  return validated({ [opts.graphId]: { name: opts.name, results, gradient } });
}

/**
 * An overlay as Model Explorer node data: its values on its scale's colours (gradient stops, or a
 * colour per node for a log scale), or, for an overlay with categories, each node's category as the
 * index of that category in the legend with a threshold per category. Group values are not exported:
 * Model Explorer aggregates a namespace itself (min, max, sum, avg; the sum is hidden for overlays
 * whose groups are not sums). Throws a StudioError when the overlay has no data (its `empty` text).
 */
export function overlayToNodeData(overlay: Overlay, opts: OverlayNodeDataOptions): ModelNodeData {
  if (overlay.empty || overlay.values.size === 0)
    throw new StudioError(
      `nothing to export: ${overlay.empty ?? `the ${overlay.name} overlay has no values`}`,
      'no-data',
    );
  const unit = overlay.legend.unit ? ` (${overlay.legend.unit})` : '';
  const cats = overlay.legend.categories ?? [];
  const colorBy = opts.colorBy ?? (overlay.categories && cats.length ? 'category' : 'value');
  const hide = NOT_ADDITIVE.has(overlay.kind) ? { hideAggregatedStats: ['sum' as const] } : {};
  if (colorBy === 'value') {
    const data = valuesToNodeData(overlay.values, {
      ...opts,
      name: opts.name ?? `${overlay.name}: ${overlay.legend.title}${unit}`,
      scale: overlay.scale,
    });
    data[opts.graphId] = { ...data[opts.graphId], ...hide };
    return validated(data);
  }
  if (!overlay.categories || cats.length === 0)
    throw new StudioError(`the ${overlay.name} overlay has no categories to colour by: export its values`, 'bad-input');
  const index = new Map(cats.map((c, i) => [c.key, i]));
  const key = keyer(opts);
  const results: Record<string, NodeDataResult> = {};
  for (const [node, category] of overlay.categories) {
    const i = index.get(category);
    if (i === undefined)
      throw new StudioError(
        `node '${node}' has the category '${category}', which the legend does not list`,
        'internal',
      );
    results[key(node)] = { value: i };
  }
  if (Object.keys(results).length === 0)
    throw new StudioError(`nothing to export: no node of the ${overlay.name} overlay has a category`, 'no-data');
  // Thresholds are upper bounds: index i falls in the i-th (value <= i, above i - 1).
  const thresholds = cats.map((c, i): ThresholdItem => {
    const bg = CATEGORY_COLORS[c.key] ?? OTHER_CATEGORY_COLOR;
    return { value: i, bgColor: bg, textColor: inkOn(bg) };
  });
  const legend = cats.map((c, i) => `${i} = ${c.label}`).join(', ');
  return validated({
    [opts.graphId]: {
      name: opts.name ?? `${overlay.name}: ${legend}`,
      results,
      thresholds,
      hideAggregatedStats: ['sum', 'avg'],
    },
  });
}

/** The node data as the JSON file Model Explorer loads (two-space indent, as node_data_builder.py writes). */
export const nodeDataJson = (data: ModelNodeData): string => `${JSON.stringify(data, null, 2)}\n`;
