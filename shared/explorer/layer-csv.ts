// The graph explorer's per-layer table as CSV: one row per graph node in topological order with its
// analytic costs and, for each overlay given, its value (raw numbers in the overlay's unit: µs, %,
// bytes...), for spreadsheets and scripts. RFC 4180 (shared/format.ts csvField): CRLF line ends,
// fields with commas, quotes or line breaks quoted.
import type { CostReport } from '../cost/cost-model.js';
import { csvField } from '../format.js';
import { StudioError } from '../ir/types.js';
import type { Overlay, OverlayKind } from './overlay-types.js';

export interface LayerCsvOptions {
  /**
   * A node's group path as the explorer shows it ("layer1 / layer1.0 / conv1"); default: the scope
   * path in its name (groupPathOf).
   */
  groupPath?: (node: string) => string;
}

/** The scope path of a node's name: 'layer1.0/conv1' -> 'layer1.0'; '' for a top-level node. */
export function groupPathOf(name: string): string {
  const cut = name.replace(/^\/+/, '').lastIndexOf('/');
  return cut > 0 ? name.replace(/^\/+/, '').slice(0, cut) : '';
}

/** The columns an overlay adds, by kind: its value and, for categorical overlays, its category. */
const COLUMN_OF: Record<OverlayKind, string> = {
  macs: 'macs_share_pct',
  time: 'measured_us',
  gflops: 'achieved_gflops',
  roofline: 'roofline_pct_of_attainable',
  memory: 'live_activation_bytes',
  error: 'error_rel_rms',
  delta: 'delta_us',
};

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');

interface Column {
  header: string;
  cell: (node: string) => string | number | undefined;
}

function overlayColumns(overlays: readonly Overlay[]): Column[] {
  const columns: Column[] = [];
  const used = new Set<string>();
  const unique = (h: string) => {
    let name = h;
    for (let k = 2; used.has(name); k++) name = `${h}_${k}`;
    used.add(name);
    return name;
  };
  for (const o of overlays) {
    // An error overlay names its precision ("int8 error" -> int8_error_rel_rms).
    const base =
      o.kind === 'error'
        ? `${slug(o.name.replace(/\berror\b/i, '')) || 'precision'}_${COLUMN_OF.error}`
        : COLUMN_OF[o.kind];
    columns.push({ header: unique(base), cell: (n) => o.values.get(n) });
    if (o.categories) {
      const cats = o.categories;
      columns.push({ header: unique(`${o.kind}_category`), cell: (n) => cats.get(n) });
    }
  }
  return columns;
}

/**
 * The per-layer table of `cost` (one row per graph node, topological order) with the columns of
 * `overlays`, as CSV text.
 */
export function layerCsv(cost: CostReport, overlays: readonly Overlay[] = [], opts: LayerCsvOptions = {}): string {
  const total = cost.totals.macs;
  const group = opts.groupPath ?? groupPathOf;
  const names = new Set(cost.layers.map((l) => l.name));
  for (const o of overlays)
    for (const n of o.values.keys())
      if (!names.has(n))
        throw new StudioError(
          `the ${o.name} overlay has a value for node '${n}', which is not in ${cost.graph}: give the overlays of this graph`,
          'bad-input',
        );
  const extra = overlayColumns(overlays);
  const header = [
    'name',
    'op',
    'group',
    'output_shape',
    'params',
    'macs',
    'flops',
    'elementwise_ops',
    'activation_bytes',
    'macs_share_pct',
    ...extra.map((c) => c.header),
  ];
  const rows = cost.layers.map((l) => [
    l.name,
    l.op,
    group(l.name),
    l.outputShape.join('x'),
    l.params,
    l.macs,
    l.flops,
    l.elementwiseOps,
    l.activationBytes,
    total > 0 ? (100 * l.macs) / total : undefined,
    ...extra.map((c) => c.cell(l.name)),
  ]);
  return [header, ...rows].map((cells) => cells.map(csvField).join(',')).join('\r\n') + '\r\n';
}
