// Graph helpers for the diagram: the GraphView of a built graph, and the layered layout
// (layer = topological depth; order within a layer by the mean position of the producers).
import type { GraphView } from '../../../shared/contract/api.js';
import type { Graph } from '../../../shared/ir/types.js';

export function toGraphView(g: Graph): GraphView {
  return {
    nodes: g.nodes.map((n) => ({ name: n.name, op: n.op, inputs: [...n.inputs], outputs: [...n.outputs] })),
    inputs: g.inputs.map((i) => i.name),
    outputs: g.outputs.map((o) => o.name),
  };
}

export interface LayoutNode {
  /** Node name, or the graph input's tensor name for input nodes. */
  id: string;
  op: string;
  kind: 'input' | 'node';
  layer: number;
  x: number;
  y: number;
}

export interface LayoutEdge {
  from: string;
  to: string;
  tensor: string;
}

export interface Layout {
  nodes: LayoutNode[];
  edges: LayoutEdge[];
  width: number;
  height: number;
  layers: number;
}

export const NODE_W = 196;
export const NODE_H = 44;
const GAP_X = 24;
const GAP_Y = 30;
const MARGIN = 16;

/** Lays out a graph top to bottom; O(nodes + edges) apart from sorting within layers. */
export function layoutGraph(g: GraphView): Layout {
  const producer = new Map<string, string>();
  const nodes: LayoutNode[] = [];
  const byId = new Map<string, LayoutNode>();
  for (const name of g.inputs) {
    const n: LayoutNode = { id: `input:${name}`, op: 'Input', kind: 'input', layer: 0, x: 0, y: 0 };
    producer.set(name, n.id);
    nodes.push(n);
    byId.set(n.id, n);
  }
  const edges: LayoutEdge[] = [];
  // Nodes come in topological order (GraphView's contract); a node whose producer comes later
  // (a malformed file) is placed by what is known so far.
  const seen = new Set<string>();
  for (const node of g.nodes) {
    let id = node.name || `#${nodes.length}`;
    while (seen.has(id)) id = `${id}'`;
    seen.add(id);
    let layer = 0;
    for (const t of node.inputs) {
      const p = t ? producer.get(t) : undefined;
      if (!p) continue;
      edges.push({ from: p, to: id, tensor: t });
      layer = Math.max(layer, byId.get(p)!.layer + 1);
    }
    const n: LayoutNode = { id, op: node.op, kind: 'node', layer, x: 0, y: 0 };
    nodes.push(n);
    byId.set(id, n);
    for (const o of node.outputs) if (o) producer.set(o, id);
  }
  const layers: LayoutNode[][] = [];
  for (const n of nodes) (layers[n.layer] ??= []).push(n);
  const parents = new Map<string, string[]>();
  for (const e of edges) (parents.get(e.to) ?? parents.set(e.to, []).get(e.to)!).push(e.from);
  let widest = 0;
  for (const layer of layers) if (layer) widest = Math.max(widest, layer.length);
  const width = widest * (NODE_W + GAP_X) - GAP_X + 2 * MARGIN;
  const center = width / 2;
  layers.forEach((layer, li) => {
    if (!layer) return;
    // Barycenter: order by the mean x of the producers (already placed, they sit above).
    const key = (n: LayoutNode) => {
      const ps = parents.get(n.id);
      if (!ps?.length) return center;
      return ps.reduce((s, p) => s + byId.get(p)!.x, 0) / ps.length;
    };
    const keyed = layer.map((n, i) => ({ n, k: key(n), i }));
    keyed.sort((a, b) => a.k - b.k || a.i - b.i);
    const rowW = layer.length * (NODE_W + GAP_X) - GAP_X;
    keyed.forEach(({ n }, i) => {
      n.x = center - rowW / 2 + i * (NODE_W + GAP_X);
      n.y = MARGIN + li * (NODE_H + GAP_Y);
    });
  });
  const height = MARGIN * 2 + Math.max(1, layers.length) * (NODE_H + GAP_Y) - GAP_Y;
  return { nodes, edges, width: Math.max(width, NODE_W + 2 * MARGIN), height, layers: layers.length };
}

/** A sequential colour scale per theme: light, ColorBrewer's Blues (near-white to dark blue);
 * dark, from the dark surface to the accent, so that low shares sit quietly on a dark canvas. */
type Rgb = [number, number, number];
const LIGHT_STOPS: Rgb[] = [
  [247, 251, 255],
  [198, 219, 239],
  [107, 174, 214],
  [33, 113, 181],
  [8, 48, 107],
];
const DARK_STOPS: Rgb[] = [
  [33, 38, 45], // --surface-2
  [27, 45, 69], // --accent-soft
  [36, 86, 150],
  [51, 118, 204],
  [68, 147, 248], // --accent
];
export type ScaleTheme = 'light' | 'dark';
const stopsOf = (theme: ScaleTheme): Rgb[] => (theme === 'dark' ? DARK_STOPS : LIGHT_STOPS);

function scaleRgb(t: number, theme: ScaleTheme): Rgb {
  const stops = stopsOf(theme);
  const v = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(v));
  const f = v - i;
  return stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f)) as Rgb;
}
const css = (c: Rgb) => `rgb(${c[0]}, ${c[1]}, ${c[2]})`;

export function sequentialColor(t: number, theme: ScaleTheme = 'light'): string {
  return css(scaleRgb(t, theme));
}

/** WCAG relative luminance of an sRGB colour. */
export function luminance([r, g, b]: Rgb): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}
const DARK_INK = '#010409';
const LIGHT_INK = '#ffffff';
const DARK_INK_L = luminance([1, 4, 9]);
/** Text colour readable on sequentialColor(t, theme): whichever of dark and white ink contrasts more. */
export function textOn(t: number, theme: ScaleTheme = 'light'): string {
  const l = luminance(scaleRgb(t, theme));
  const onWhite = (1 + 0.05) / (l + 0.05);
  const onDark = (l + 0.05) / (DARK_INK_L + 0.05);
  return onWhite >= onDark ? LIGHT_INK : DARK_INK;
}
/** The legend bar's CSS gradient for a theme. */
export const scaleGradient = (theme: ScaleTheme): string =>
  `linear-gradient(to right, ${stopsOf(theme).map(css).join(', ')})`;
export const SCALE_STOPS = LIGHT_STOPS.map((_, i) => i / (LIGHT_STOPS.length - 1));

/** A diverging scale per theme (a change: below and above a midpoint, e.g. a delta of 0): blue below,
 * red above, through a neutral middle (light: near-white, ColorBrewer RdBu; dark: the surface). */
const LIGHT_DIVERGING: Rgb[] = [
  [33, 102, 172],
  [146, 197, 222],
  [247, 247, 247],
  [244, 165, 130],
  [178, 24, 43],
];
const DARK_DIVERGING: Rgb[] = [
  [68, 147, 248],
  [40, 80, 130],
  [33, 38, 45], // --surface-2
  [130, 50, 48],
  [248, 81, 73],
];
const divergingStops = (theme: ScaleTheme): Rgb[] => (theme === 'dark' ? DARK_DIVERGING : LIGHT_DIVERGING);
function divergingRgb(t: number, theme: ScaleTheme): Rgb {
  const stops = divergingStops(theme);
  const u = (Math.min(1, Math.max(-1, Number.isFinite(t) ? t : 0)) + 1) / 2;
  const v = u * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(v));
  const f = v - i;
  return stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f)) as Rgb;
}
/** t in [-1, 1]: -1 the low end, 0 the midpoint, 1 the high end. */
export function divergingColor(t: number, theme: ScaleTheme = 'light'): string {
  return css(divergingRgb(t, theme));
}
/** Text colour readable on divergingColor(t, theme). */
export function textOnDiverging(t: number, theme: ScaleTheme = 'light'): string {
  const l = luminance(divergingRgb(t, theme));
  return (1 + 0.05) / (l + 0.05) >= (l + 0.05) / (DARK_INK_L + 0.05) ? LIGHT_INK : DARK_INK;
}
export const divergingGradient = (theme: ScaleTheme): string =>
  `linear-gradient(to right, ${divergingStops(theme).map(css).join(', ')})`;
