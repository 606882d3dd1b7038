// Graph helpers for the explorer (components/explorer/): the GraphView of a built graph, and the
// colour scales its overlays are drawn on (sequential and diverging, per theme, with readable ink).
import type { GraphView } from '../../../shared/contract/api.js';
import type { Graph } from '../../../shared/ir/types.js';

export function toGraphView(g: Graph): GraphView {
  return {
    nodes: g.nodes.map((n) => ({ name: n.name, op: n.op, inputs: [...n.inputs], outputs: [...n.outputs] })),
    inputs: g.inputs.map((i) => i.name),
    outputs: g.outputs.map((o) => o.name),
  };
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
