// What every report format shows about a result, computed once: the row of the results table,
// the machines the results ran on, and number formatting for people (CSV keeps raw numbers).
import type { MachineProfile } from '../../shared/contract/machine.js';
import type { BenchResult } from '../../shared/contract/result.js';
import { targetName } from '../../shared/stats/compare.js';
import { quickReason, splitFlags } from '../../shared/stats/flags.js';
import { fmtBytes, fmtMs } from '../../shared/format.js';

export interface ResultRow {
  id: string;
  createdAt: string;
  label: string;
  /** The target with its parameters ("bottleneck:mid=64"), a file's name: the label without the configuration. */
  name: string;
  target: string;
  backend: string;
  batch: number;
  /** Intra-op threads; 'auto' when the runtime chose. */
  threads: number | 'auto';
  status: BenchResult['status'];
  n?: number;
  min?: number;
  p50?: number;
  p90?: number;
  p99?: number;
  mean?: number;
  stddev?: number;
  cv?: number;
  ciLow?: number;
  ciHigh?: number;
  throughput?: number;
  gflops?: number;
  params?: number;
  macs?: number;
  peakRssBytes?: number;
  machineCpu: string;
  /** 1-based index into the report's list of distinct machines. */
  machine: number;
  /** Warnings (shared/stats/flags.ts splitFlags): what "flagged" counts. */
  flags: string[];
  /** Information on what ran and how: shown apart, never counted as flags. */
  notes: string[];
  /** Why the result is a quick run (shared/stats/flags.ts quickReason), when it is one. */
  quick?: string;
  failure?: string;
}

export interface MachineEntry {
  index: number;
  profile: MachineProfile;
  resultIds: string[];
}

/** Two profiles describe the same machine when they differ only in the time and free memory of the probe. */
function machineKey(m: MachineProfile): string {
  return JSON.stringify({ ...m, probedAt: undefined, memory: { totalBytes: m.memory.totalBytes } });
}

export function machinesOf(results: readonly BenchResult[]): MachineEntry[] {
  const byKey = new Map<string, MachineEntry>();
  for (const r of results) {
    const key = machineKey(r.machine);
    let entry = byKey.get(key);
    if (!entry) byKey.set(key, (entry = { index: byKey.size + 1, profile: r.machine, resultIds: [] }));
    entry.resultIds.push(r.id);
  }
  return [...byKey.values()];
}

function shortName(r: BenchResult): string {
  const t = r.job.target;
  if (t.kind === 'file') return t.path.split(/[\\/]/).pop() ?? t.path;
  const params = Object.entries(t.params).map(([k, v]) => `${k}=${v}`);
  return `${targetName(t)}${params.length ? `:${params.join(',')}` : ''}`;
}

/** "2025-06-01T12:00:00.000Z" -> "2025-06-01 12:00 UTC"; anything else unchanged. */
export function fmtTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::[\d.]+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

const flagsAndNotes = (r: BenchResult) => {
  const { warnings, notes } = splitFlags(r);
  return { flags: warnings, notes };
};

export function toRows(results: readonly BenchResult[], machines = machinesOf(results)): ResultRow[] {
  const machineOf = new Map(machines.flatMap((m) => m.resultIds.map((id) => [id, m.index] as const)));
  return results.map((r) => {
    const s = r.stats;
    return {
      id: r.id,
      createdAt: r.createdAt,
      label: r.label,
      name: shortName(r),
      target: targetName(r.job.target),
      backend: r.job.backend.backend,
      batch: r.job.batch,
      threads: r.job.backend.intraOpThreads || 'auto',
      status: r.status,
      ...(s && {
        n: s.n,
        min: s.min,
        p50: s.p50,
        p90: s.p90,
        p99: s.p99,
        mean: s.mean,
        stddev: s.stddev,
        cv: s.cv,
        ciLow: s.medianCi.low,
        ciHigh: s.medianCi.high,
        throughput: s.throughput,
        gflops: s.gflops,
      }),
      params: r.cost?.params,
      macs: r.cost?.macs,
      peakRssBytes: r.memory?.peakRssBytes,
      machineCpu: r.machine.cpu.brand,
      machine: machineOf.get(r.id) ?? 0,
      ...flagsAndNotes(r),
      ...(quickReason(r) ? { quick: quickReason(r) } : {}),
      failure: r.failure
        ? `${r.failure.kind}: ${r.failure.reason}${r.failure.detail ? ` (${r.failure.detail})` : ''}`
        : undefined,
    };
  });
}

export { fmtBytes, fmtCount, fmtMs, fmtPct } from '../../shared/format.js';

/** The median's confidence interval: "1.52–1.54 ms", or "980 µs – 1.02 ms" across units. */
export function fmtCi(r: Pick<ResultRow, 'ciLow' | 'ciHigh'>): string {
  if (r.ciLow === undefined || r.ciHigh === undefined) return '';
  const [low, high] = [fmtMs(r.ciLow), fmtMs(r.ciHigh)];
  const [lv, lu] = low.split(' ');
  const [hv, hu] = high.split(' ');
  return lu === hu ? `${lv}–${hv} ${hu}` : `${low} – ${high}`;
}

/** The facts of a machine profile as label/value pairs, in reading order. */
export function machineFacts(m: MachineProfile): [string, string][] {
  const c = m.cpu;
  const cache = (['l1d', 'l2', 'l3'] as const)
    .filter((k) => c.cache[k])
    .map((k) => `${k.toUpperCase()} ${fmtBytes(c.cache[k])}`)
    .join(', ');
  const gpus = m.gpus.map((g) =>
    [`${g.vendor} ${g.model}`, g.memoryBytes && fmtBytes(g.memoryBytes), g.driver && `driver ${g.driver}`]
      .filter(Boolean)
      .join(', '),
  );
  const v = m.versions;
  return [
    ['CPU', cpuText(c)],
    ['Cores', `${c.physicalCores} cores, ${c.threads} threads${c.speedGHz ? `, ${c.speedGHz} GHz` : ''}`],
    ['ISA', c.isa.join(' ') || 'not reported'],
    ['Caches', cache || 'not reported'],
    ['Memory', fmtBytes(m.memory.totalBytes)],
    ['GPUs', gpus.join('; ') || 'none'],
    ['OS', [m.os.distro, m.os.release, `(${m.os.platform} ${m.os.arch})`, m.os.kernel].filter(Boolean).join(' ')],
    [
      'Versions',
      [
        `Node ${v.node}`,
        v.electron && `Electron ${v.electron}`,
        v.onnxruntime && `ONNX Runtime ${v.onnxruntime}`,
        `studio ${v.studio}`,
      ]
        .filter(Boolean)
        .join(', '),
    ],
    ['Probed', fmtTime(m.probedAt)],
  ];
}

/** "AMD Ryzen 9 7950X (16C/32T, 64.0 GiB)". */
export function machineLine(m: MachineProfile): string {
  return `${cpuText(m.cpu)} (${m.cpu.physicalCores}C/${m.cpu.threads}T, ${fmtBytes(m.memory.totalBytes)})`;
}

/**
 * The CPU for people: the vendor, then the brand, the vendor left out when the brand already names
 * it ("AMD EPYC 7B13", not "AMD AMD EPYC 7B13"; "Intel Core i7" for brand "Core i7") or is unknown.
 */
export function cpuText(c: Pick<MachineProfile['cpu'], 'manufacturer' | 'brand'>): string {
  const vendor = (c.manufacturer ?? '').trim();
  const brand = (c.brand ?? '').trim();
  if (!vendor || vendor.toLowerCase() === 'unknown') return brand;
  if (!brand) return vendor;
  // "GenuineIntel" / "AuthenticAMD" (the CPUID vendor strings) name the vendor too.
  const short = vendor.replace(/^(genuine|authentic)/i, '');
  const named = [vendor, short].some((v) => v && brand.toLowerCase().startsWith(v.toLowerCase()));
  return named ? brand : `${vendor} ${brand}`;
}
