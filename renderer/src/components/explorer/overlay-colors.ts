// An overlay's value -> a fill and an ink on the explorer's boxes, on the overlay's own scale
// (sequential or diverging, linear or log). The overlays themselves are computed elsewhere
// (shared/explorer/overlays.ts); this is only how one is painted.
import type { Overlay, OverlayScale } from '../../../../shared/explorer/overlay-types.js';
import { divergingColor, sequentialColor, textOn, textOnDiverging, type ScaleTheme } from '../graph.js';

/** Where a value sits on a scale: [0, 1] sequential, [-1, 1] diverging (0 at the midpoint). */
export function scalePosition(scale: OverlayScale, v: number): number {
  const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Number.isFinite(x) ? x : 0));
  const f = (x: number) => (scale.log ? Math.log10(Math.max(x, Number.MIN_VALUE)) : x);
  const lo = f(scale.min);
  const hi = f(scale.max);
  if (scale.kind === 'diverging') {
    const mid = f(scale.mid ?? (scale.min + scale.max) / 2);
    const x = f(v);
    if (x >= mid) return hi > mid ? clamp((x - mid) / (hi - mid), 0, 1) : 0;
    return mid > lo ? clamp(-(mid - x) / (mid - lo), -1, 0) : 0;
  }
  return hi > lo ? clamp((f(v) - lo) / (hi - lo), 0, 1) : 0;
}

export interface Paint {
  fill: string;
  ink: string;
}

/** The fill and text colour of a value, or undefined when there is no value (a plain box). */
export function paint(overlay: Overlay | null, v: number | undefined, theme: ScaleTheme): Paint | undefined {
  if (!overlay || overlay.empty || v === undefined || !Number.isFinite(v)) return undefined;
  const t = scalePosition(overlay.scale, v);
  return overlay.scale.kind === 'diverging'
    ? { fill: divergingColor(t, theme), ink: textOnDiverging(t, theme) }
    : { fill: sequentialColor(t, theme), ink: textOn(t, theme) };
}
