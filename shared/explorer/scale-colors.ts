// Where a value sits on an overlay's scale (0..1) and the colour it gets there, pure so that the
// exports (Model Explorer node data) colour nodes as the app does. The light theme's palettes live
// here (ColorBrewer's Blues, and RdBu, blue below the midpoint and red above: for a time delta, B
// faster is blue) and renderer/src/components/graph.ts draws with them, adding its dark theme.
import type { OverlayScale } from './overlay-types.js';

export type Rgb = readonly [number, number, number];

/** The app's light sequential scale, low to high. */
export const SEQUENTIAL_LIGHT_STOPS: readonly Rgb[] = [
  [247, 251, 255],
  [198, 219, 239],
  [107, 174, 214],
  [33, 113, 181],
  [8, 48, 107],
];

/** The app's light diverging scale: low end, midpoint (the middle stop), high end. */
export const DIVERGING_LIGHT_STOPS: readonly Rgb[] = [
  [33, 102, 172],
  [146, 197, 222],
  [247, 247, 247],
  [244, 165, 130],
  [178, 24, 43],
];

/** Badge colours of categorical overlays (roofline), ColorBrewer Set2: distinct, readable under dark ink. */
export const CATEGORY_COLORS: Readonly<Record<string, string>> = {
  memory: '#fc8d62',
  compute: '#66c2a5',
};
/** A category without a colour of its own. */
export const OTHER_CATEGORY_COLOR = '#b3b3b3';

/**
 * Position of `value` on `scale`, 0..1 (clamped). Sequential: linear (or log10) from min to max.
 * Diverging: min..mid maps to 0..0.5 and mid..max to 0.5..1, so the midpoint is always the neutral
 * colour even when the domain is not symmetric. A log scale places values at or below 0 at its low end.
 */
export function scalePosition(scale: OverlayScale, value: number): number {
  const clamp = (t: number) => (Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0);
  if (scale.kind === 'diverging') {
    const mid = scale.mid ?? 0;
    if (value < mid) return clamp(scale.min < mid ? (0.5 * (value - scale.min)) / (mid - scale.min) : 0.5);
    return clamp(scale.max > mid ? 0.5 + (0.5 * (value - mid)) / (scale.max - mid) : 0.5);
  }
  if (scale.log) {
    if (!(value > 0) || !(scale.min > 0) || !(scale.max > scale.min)) return value > 0 && value >= scale.max ? 1 : 0;
    return clamp((Math.log10(value) - Math.log10(scale.min)) / (Math.log10(scale.max) - Math.log10(scale.min)));
  }
  return scale.max > scale.min ? clamp((value - scale.min) / (scale.max - scale.min)) : value >= scale.max ? 1 : 0;
}

/** The stops of a scale's palette, low to high. */
export const paletteOf = (scale: Pick<OverlayScale, 'kind'>): readonly Rgb[] =>
  scale.kind === 'diverging' ? DIVERGING_LIGHT_STOPS : SEQUENTIAL_LIGHT_STOPS;

/** The palette's colour at position t (0..1), linear between its evenly spaced stops. */
export function paletteRgb(stops: readonly Rgb[], t: number): Rgb {
  const v = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(v));
  const f = v - i;
  return stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f)) as unknown as Rgb;
}

export const hex = (c: Rgb): string => `#${c.map((x) => x.toString(16).padStart(2, '0')).join('')}`;

/** The colour of `value` on `scale`, as #rrggbb. */
export const colorOf = (scale: OverlayScale, value: number): string =>
  hex(paletteRgb(paletteOf(scale), scalePosition(scale, value)));

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

/** Ink readable on a background colour: whichever of dark and white contrasts more (WCAG ratio). */
export function inkOnRgb(background: Rgb): string {
  const l = luminance(background);
  return (1 + 0.05) / (l + 0.05) >= (l + 0.05) / (DARK_INK_L + 0.05) ? LIGHT_INK : DARK_INK;
}

/** inkOnRgb of a #rrggbb colour (dark ink for anything else). */
export function inkOn(background: string): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(background);
  if (!m) return DARK_INK;
  return inkOnRgb([parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)]);
}
