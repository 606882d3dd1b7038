// The same suite across machines: for every configuration (a series key without its machine part)
// measured on more than one machine, the latest result of each machine side by side: its median
// latency, its achieved GFLOP/s (the result's FLOPs over its median time: stats.gflops, as the
// Results view's roofline chart reads it) and that as a share of the machine's roofline when the
// result carries one (the attainable GFLOP/s at the target's arithmetic intensity from the cost
// model; a file, whose intensity is not known, against the peak). Plain data, tested on its own.
import type { HistorySeriesView, SeriesPointView } from '../../../../shared/contract/history.js';
import type { BenchResult } from '../../../../shared/contract/result.js';
import { attainable, resultIntensity } from '../charts/chart-data.js';
import { configTitle } from '../history/format.js';

export interface AcrossMachine {
  machineKey: string;
  /** CPU and GPUs (the series' description). */
  machine: string;
  /** Configurations this machine has a series of. */
  series: number;
}

export interface AcrossCell {
  machineKey: string;
  seriesKey: string;
  /** The machine's latest result of the configuration. */
  point: SeriesPointView;
}

export interface AcrossRow {
  configKey: string;
  title: string;
  /** One per machine of `machines` (undefined: not measured there). */
  cells: (AcrossCell | undefined)[];
  /** Machines that measured it. */
  measured: number;
}

export interface AcrossData {
  machines: AcrossMachine[];
  /** Configurations measured on at least `minMachines` machines, by title. */
  rows: AcrossRow[];
}

export function acrossMachines(series: readonly HistorySeriesView[], minMachines = 2): AcrossData {
  const machines = new Map<string, AcrossMachine>();
  const configs = new Map<string, { title: string; cells: Map<string, AcrossCell> }>();
  for (const s of series) {
    const last = s.points[s.points.length - 1];
    if (!last) continue;
    const m = machines.get(s.machineKey);
    if (m) m.series++;
    else machines.set(s.machineKey, { machineKey: s.machineKey, machine: s.description.machine, series: 1 });
    let c = configs.get(s.configKey);
    if (!c) configs.set(s.configKey, (c = { title: configTitle(s.description), cells: new Map() }));
    const had = c.cells.get(s.machineKey);
    if (!had || had.point.createdAt < last.createdAt)
      c.cells.set(s.machineKey, { machineKey: s.machineKey, seriesKey: s.key, point: last });
  }
  const machineList = [...machines.values()].sort((a, b) => a.machine.localeCompare(b.machine));
  const rows = [...configs]
    .filter(([, c]) => c.cells.size >= minMachines)
    .map(([configKey, c]) => ({
      configKey,
      title: c.title,
      cells: machineList.map((m) => c.cells.get(m.machineKey)),
      measured: c.cells.size,
    }))
    .sort((a, b) => a.title.localeCompare(b.title));
  return { machines: machineList, rows };
}

export interface Throughput {
  /** Achieved GFLOP/s at the median. */
  gflops: number;
  /** Share of the machine's roofline (all threads) at this intensity, or of its peak. */
  ofRoof?: number;
  /** What `ofRoof` is measured against. */
  against?: 'roofline' | 'peak';
  /** The attainable GFLOP/s it is compared with. */
  roofGflops?: number;
}

/** A result's achieved GFLOP/s and its share of its machine's roofline (undefined: no GFLOP/s figure). */
export function throughputOf(r: BenchResult | undefined): Throughput | undefined {
  const gflops = r?.status === 'ok' ? r.stats?.gflops : undefined;
  if (!r || !gflops || !(gflops > 0)) return undefined;
  const rl = r.machine.roofline;
  if (!rl) return { gflops };
  const ai = resultIntensity(r);
  const roofGflops =
    ai !== undefined && ai > 0
      ? attainable(rl.peakGflops.allThreads, rl.triadGBps.allThreads, ai)
      : rl.peakGflops.allThreads;
  return {
    gflops,
    ofRoof: gflops / roofGflops,
    against: ai !== undefined && ai > 0 ? 'roofline' : 'peak',
    roofGflops,
  };
}
