// The shapes an overlay on the graph explorer takes (issue 21): one value per studio graph node,
// a rule that turns a group's nodes into the group's value, and a legend with its scale. The
// overlays are computed in shared/explorer/overlays.ts (pure); the explorer component draws any
// of them without knowing what they measure.

/** What an overlay shows. */
export type OverlayKind = 'macs' | 'time' | 'gflops' | 'roofline' | 'memory' | 'error' | 'delta';

/** Sequential: low to high on one hue. Diverging: below and above a midpoint (a delta, 0). */
export interface OverlayScale {
  kind: 'sequential' | 'diverging';
  /** Domain of the colour scale, in the overlay's unit (diverging: min < mid < max). */
  min: number;
  max: number;
  mid?: number;
  /** Log scale for figures spread over decades (times, errors). */
  log?: boolean;
}

export interface OverlayLegend {
  /** "share of MACs", "measured time per node (ORT CPU, b1 t1)". */
  title: string;
  /** Unit of the values ('%', 'µs', 'GFLOP/s', 'B', 'dB', ...). */
  unit: string;
  /** Labels at the ends of the scale (and the middle of a diverging one), already formatted. */
  minLabel: string;
  maxLabel: string;
  midLabel?: string;
  /** One line on how the numbers were made (their convention), shown under the legend. */
  note?: string;
  /** Categories drawn as badges instead of colours (roofline: memory- / compute-bound). */
  categories?: { key: string; label: string }[];
}

export interface Overlay {
  kind: OverlayKind;
  /** The short name in the overlay picker ("MACs", "Time", "int8 error"...). */
  name: string;
  legend: OverlayLegend;
  scale: OverlayScale;
  /** Studio graph node name -> value in the legend's unit; a node without data is absent. */
  values: ReadonlyMap<string, number>;
  /** Studio graph node name -> category key (roofline: 'memory' | 'compute'), when the overlay has them. */
  categories?: ReadonlyMap<string, string>;
  /** Studio graph node name -> one line for the tooltip and the side panel. */
  details?: ReadonlyMap<string, string>;
  /** A group's value from its member nodes (sum for MACs and time, worst for error, ...); undefined: no data. */
  groupValue(members: readonly string[]): number | undefined;
  /** A group's category from its member nodes (roofline: the group's summed FLOPs and bytes against the ridge). */
  groupCategory?(members: readonly string[]): string | undefined;
  /** Formats a value of this overlay for people. */
  format(value: number): string;
  /** When the overlay has no data at all: what to run to get it (shown instead of colours). */
  empty?: string;
}
