// CSV: one row per result, raw numbers (milliseconds, bytes, counts) for spreadsheets and scripts.
// RFC 4180: CRLF line ends; a field holding a comma, a quote or a line break is quoted, quotes doubled.
// GPU results add where they ran (adapter, software device, placement), the device-resident median,
// the cold first run and device memory (or why it is not measurable); results in a devices
// comparison carry their device's ratio to ort-cpu.
import { csvField } from '../../shared/format.js';
import { comparedDevices, gpuRows, type GpuRow } from './gpu.js';
import { loadPhaseRows, type LoadPhaseRow } from './load-phases.js';
import { toRows, type ResultRow } from './rows.js';
import type { ReportWriter } from './types.js';

interface CsvRow extends ResultRow {
  gpu?: GpuRow;
  ratioToCpu?: number;
  phases?: LoadPhaseRow;
}

const COLUMNS: [string, (r: CsvRow) => string | number | undefined][] = [
  ['id', (r) => r.id],
  ['label', (r) => r.label],
  ['target', (r) => r.target],
  ['backend', (r) => r.backend],
  ['batch', (r) => r.batch],
  ['threads', (r) => r.threads],
  ['status', (r) => r.status],
  ['n', (r) => r.n],
  ['min_ms', (r) => r.min],
  ['p50_ms', (r) => r.p50],
  ['p90_ms', (r) => r.p90],
  ['p99_ms', (r) => r.p99],
  ['mean_ms', (r) => r.mean],
  ['stddev_ms', (r) => r.stddev],
  ['cv', (r) => r.cv],
  ['ci95_low_ms', (r) => r.ciLow],
  ['ci95_high_ms', (r) => r.ciHigh],
  ['throughput_per_s', (r) => r.throughput],
  ['gflops', (r) => r.gflops],
  ['params', (r) => r.params],
  ['macs', (r) => r.macs],
  ['peak_rss_bytes', (r) => r.peakRssBytes],
  ['machine_cpu', (r) => r.machineCpu],
  ['created_at', (r) => r.createdAt],
  ['flags', (r) => r.flags.join('; ')],
  ['failure', (r) => r.failure],
  ['gpu_adapter', (r) => r.gpu?.device],
  ['gpu_adapter_software', (r) => (r.gpu?.device ? String(r.gpu.software) : undefined)],
  ['placement', (r) => r.gpu?.placement],
  ['placement_fallback_nodes', (r) => r.gpu?.fallbackNodes.join('; ')],
  ['device_resident_p50_ms', (r) => r.gpu?.deviceResidentMs],
  ['cold_first_run_ms', (r) => r.gpu?.coldFirstRunMs],
  ['gpu_bytes', (r) => r.gpu?.gpuBytes],
  ['gpu_unmeasured', (r) => r.gpu?.gpuUnmeasured],
  ['ratio_to_ort_cpu', (r) => r.ratioToCpu],
  // Added after the columns scripts already read: information (not flags), and why a run is quick.
  ['notes', (r) => r.notes.join('; ')],
  ['quick', (r) => r.quick],
  // Load phases (main/reports/load-phases.ts): session parts as "part=ms" pairs, the GPU split or why not.
  ['build_ms', (r) => r.phases?.buildMs],
  ['variant_ms', (r) => r.phases?.variantMs],
  ['session_create_ms', (r) => r.phases?.sessionCreateMs],
  ['session_parts_ms', (r) => r.phases?.parts.map((p) => `${p.part}=${p.ms}`).join('; ')],
  ['session_unattributed_ms', (r) => r.phases?.restMs],
  ['first_run_ms', (r) => r.phases?.firstRunMs],
  ['warm_median_ms', (r) => r.phases?.warmMedianMs],
  ['first_run_overhead_ms', (r) => r.phases?.firstRunOverheadMs],
  ['gpu_upload_ms', (r) => r.phases?.gpu?.uploadMs],
  ['gpu_compute_ms', (r) => r.phases?.gpu?.computeMs],
  ['gpu_readback_ms', (r) => r.phases?.gpu?.readbackMs],
  ['gpu_split_unmeasured', (r) => r.phases?.gpuUnmeasured],
];

// The quoting lives in shared/format.ts (the graph explorer's per-layer CSV uses it too).
export { csvField };

export const csvReport: ReportWriter = {
  format: 'csv',
  extensions: ['.csv'],
  description: 'one row per result with raw numbers (ms, bytes, counts)',
  render(results) {
    const gpu = new Map(gpuRows(results).map((g) => [g.id, g]));
    const ratio = new Map(
      comparedDevices(results).groups.flatMap((g) =>
        g.entries.flatMap((e) =>
          e.ratioToCpu === undefined ? [] : e.resultIds.map((id) => [id, e.ratioToCpu!] as const),
        ),
      ),
    );
    const phases = new Map(loadPhaseRows(results).map((p) => [p.id, p]));
    const rows: CsvRow[] = toRows(results).map((r) => ({
      ...r,
      gpu: gpu.get(r.id),
      ratioToCpu: ratio.get(r.id),
      phases: phases.get(r.id),
    }));
    const lines = [COLUMNS.map(([h]) => h), ...rows.map((r) => COLUMNS.map(([, get]) => get(r)))];
    return lines.map((cells) => cells.map(csvField).join(',')).join('\r\n') + '\r\n';
  },
};
