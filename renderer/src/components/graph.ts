// Graph helpers for the explorer (components/explorer/): the GraphView of a built graph, and the
// colour scales its overlays are drawn on (sequential and diverging, per theme, with readable ink).
import type { GraphView } from '../../../shared/contract/api.js';
import type { Graph } from '../../../shared/ir/types.js';
import {
  DIVERGING_LIGHT_STOPS,
  SEQUENTIAL_LIGHT_STOPS,
  inkOnRgb,
  paletteRgb,
  type Rgb,
} from '../../../shared/explorer/scale-colors.js';

export function toGraphView(g: Graph): GraphView {
  return {
    nodes: g.nodes.map((n) => ({ name: n.name, op: n.op, inputs: [...n.inputs], outputs: [...n.outputs] })),
    inputs: g.inputs.map((i) => i.name),
    outputs: g.outputs.map((o) => o.name),
  };
}

/** Colour scales per theme: light, the shared palettes (shared/explorer/scale-colors.ts: ColorBrewer's
 * Blues and RdBu, so that exports colour nodes as the app does); dark, from the dark surface to the
 * accent, so that low values sit quietly on a dark canvas, and a diverging scale through the surface. */
const DARK_STOPS: Rgb[] = [
  [33, 38, 45], // --surface-2
  [27, 45, 69], // --accent-soft
  [36, 86, 150],
  [51, 118, 204],
  [68, 147, 248], // --accent
];
const DARK_DIVERGING: Rgb[] = [
  [68, 147, 248],
  [40, 80, 130],
  [33, 38, 45], // --surface-2
  [130, 50, 48],
  [248, 81, 73],
];
export type ScaleTheme = 'light' | 'dark';
const stopsOf = (theme: ScaleTheme): readonly Rgb[] => (theme === 'dark' ? DARK_STOPS : SEQUENTIAL_LIGHT_STOPS);
const divergingStops = (theme: ScaleTheme): readonly Rgb[] =>
  theme === 'dark' ? DARK_DIVERGING : DIVERGING_LIGHT_STOPS;
const css = (c: Rgb) => `rgb(${c[0]}, ${c[1]}, ${c[2]})`;

/** t in [0, 1], low to high. */
export function sequentialColor(t: number, theme: ScaleTheme = 'light'): string {
  return css(paletteRgb(stopsOf(theme), t));
}
/** Text colour readable on sequentialColor(t, theme): whichever of dark and white ink contrasts more. */
export function textOn(t: number, theme: ScaleTheme = 'light'): string {
  return inkOnRgb(paletteRgb(stopsOf(theme), t));
}
/** The legend bar's CSS gradient for a theme. */
export const scaleGradient = (theme: ScaleTheme): string =>
  `linear-gradient(to right, ${stopsOf(theme).map(css).join(', ')})`;

/** A diverging position: t in [-1, 1] (-1 the low end, 0 the midpoint, 1 the high end) as 0..1. */
const divergingAt = (t: number) => (Math.min(1, Math.max(-1, Number.isFinite(t) ? t : 0)) + 1) / 2;
export function divergingColor(t: number, theme: ScaleTheme = 'light'): string {
  return css(paletteRgb(divergingStops(theme), divergingAt(t)));
}
/** Text colour readable on divergingColor(t, theme). */
export function textOnDiverging(t: number, theme: ScaleTheme = 'light'): string {
  return inkOnRgb(paletteRgb(divergingStops(theme), divergingAt(t)));
}
export const divergingGradient = (theme: ScaleTheme): string =>
  `linear-gradient(to right, ${divergingStops(theme).map(css).join(', ')})`;
