// Devices side by side: what a GPU result says about where it ran (the adapter, whether it is a
// software device, provider placement, device-resident latency, device memory), and the median
// latency of one target + batch + precision per backend with its ratio to ort-cpu. Pure: the
// Results view and every report format read the same figures.
import { CPU_REFERENCE_BACKEND, isCpuBackend } from '../contract/job.js';
import type { GpuAdapter } from '../contract/machine.js';
import type { BenchResult } from '../contract/result.js';
import { SOFTWARE_ADAPTER_LABEL, softwareAdapterFlag } from '../hardware/adapters.js';
import { fmtMs } from '../format.js';
import { median, poolSummary, type PoolSummary } from './latency.js';
import { targetName } from './compare.js';

/** Every backend that does not compute on the CPU runs on a GPU (or an accelerator's provider). */
export const isGpuBackend = (backend: string): boolean => !isCpuBackend(backend);

/** The badge beside a software adapter: "software (runs on the CPU): not GPU speed". */
export const SOFTWARE_DEVICE_BADGE = `${SOFTWARE_ADAPTER_LABEL}: not GPU speed`;

/** "CUDAExecutionProvider" -> "CUDA". */
export const providerShortName = (p: string): string => p.replace(/ExecutionProvider$/, '') || p;

export interface PlacementRow {
  /** The provider as the runtime names it. */
  provider: string;
  /** Its short name ("CUDA", "WebGpu", "CPU"). */
  name: string;
  nodes: number;
  /** Share (0..1) of the cost model's MACs this provider ran; absent when the runtime was not joined to the graph. */
  macsShare?: number;
}

export interface PlacementSummary {
  /** Providers by node count, most nodes first. */
  providers: PlacementRow[];
  fallbackNodes: string[];
  fallbackOps: string[];
  /** True when any node left the requested provider. */
  hasFallback: boolean;
  /** One line: "WebGpu 41 nodes (98.7% of MACs); CPU 3 nodes (1.3% of MACs); fell back: 3 nodes (Shape, Gather)". */
  text: string;
}

const pct1 = (x: number) => `${(100 * x).toFixed(1)}%`;

export function placementSummary(p: NonNullable<BenchResult['placement']>): PlacementSummary {
  const providers = Object.entries(p.nodesByProvider)
    .map(([provider, nodes]) => ({
      provider,
      name: providerShortName(provider),
      nodes,
      ...(p.macsShareByProvider?.[provider] !== undefined ? { macsShare: p.macsShareByProvider[provider] } : {}),
    }))
    .sort((a, b) => b.nodes - a.nodes || a.name.localeCompare(b.name));
  const fallbackNodes = [...p.fallbackNodes];
  const fallbackOps = [...(p.fallbackOps ?? [])];
  const hasFallback = fallbackNodes.length > 0 || fallbackOps.length > 0;
  const parts = providers.map(
    (r) =>
      `${r.name} ${r.nodes} node${r.nodes === 1 ? '' : 's'}${r.macsShare === undefined ? '' : ` (${pct1(r.macsShare)} of MACs)`}`,
  );
  const fell = hasFallback
    ? `; fell back: ${fallbackNodes.length} node${fallbackNodes.length === 1 ? '' : 's'}${fallbackOps.length ? ` (${fallbackOps.join(', ')})` : ''}`
    : '; no fallback';
  return { providers, fallbackNodes, fallbackOps, hasFallback, text: `${parts.join('; ') || 'no nodes'}${fell}` };
}

export type DeviceMemory = { kind: 'measured'; bytes: number } | { kind: 'unmeasured'; reason: string } | undefined;

export interface GpuDetails {
  backend: string;
  adapter?: GpuAdapter;
  /** True when the adapter is a software device (its figures are CPU speed). */
  software: boolean;
  /** The software device's full warning (shared/hardware/adapters.ts softwareAdapterFlag). */
  softwareWarning?: string;
  /** "NVIDIA GeForce RTX 4090 (discrete)". */
  adapterText?: string;
  placement?: PlacementSummary;
  /** The headline median: a complete run() including host<->device copies. */
  medianMs?: number;
  /** Median of a device-resident run (inputs uploaded once, outputs left on the device). */
  deviceResident?: NonNullable<BenchResult['deviceResident']>;
  /** The first run after the session was created (on a GPU it includes shader compilation). */
  coldFirstRunMs?: number;
  memory: DeviceMemory;
}

/** What the app and the reports show about a result of a GPU backend; undefined for the CPU backends. */
export function gpuDetails(r: BenchResult): GpuDetails | undefined {
  const backend = r.job.backend.backend;
  if (!isGpuBackend(backend)) return undefined;
  const a = r.runtime?.adapter;
  const m = r.memory;
  return {
    backend,
    ...(a
      ? {
          adapter: a,
          adapterText: `${a.name} (${a.type})`,
          ...(a.software ? { softwareWarning: softwareAdapterFlag(a) } : {}),
        }
      : {}),
    software: a?.software === true,
    ...(r.placement ? { placement: placementSummary(r.placement) } : {}),
    ...(r.stats ? { medianMs: r.stats.p50 } : {}),
    ...(r.deviceResident ? { deviceResident: r.deviceResident } : {}),
    ...(r.coldStart ? { coldFirstRunMs: r.coldStart.firstRunMs } : {}),
    memory:
      m?.gpuBytes !== undefined
        ? { kind: 'measured', bytes: m.gpuBytes }
        : m?.gpuUnmeasured !== undefined
          ? { kind: 'unmeasured', reason: m.gpuUnmeasured }
          : undefined,
  };
}

/** "not measurable here: <reason>". */
export const unmeasuredText = (reason: string): string => `not measurable here: ${reason}`;

// ---- the devices comparison ----

export interface DeviceEntry {
  backend: string;
  /** The backend and, for a GPU backend whose adapter is known, the adapter: "ort-webgpu on NVIDIA GeForce RTX 4090". */
  device: string;
  /** The results pooled into this entry (one configuration: the fastest one of this backend). */
  resultIds: string[];
  /** The configurations of this device measured in the group (thread counts, ISA paths...). */
  configurations: number;
  /**
   * Which results this entry stands for, and why, in words: "fastest of 2 configurations (1 thread
   * 8.00 ms, 4 threads 4.00 ms); pooled: 3 runs; medians spread 1.10×". Never silent.
   */
  choice: string;
  /** How its results were pooled (spread, disagreement). */
  pool: PoolSummary;
  /** Median latency: of the pooled samples, or of the results' medians when they carry no samples. */
  medianMs: number;
  /** Intra-op threads of the configuration taken (0 = the runtime chose). */
  threads: number;
  /** medianMs / the ort-cpu median (below 1: faster than ort-cpu); absent without an ort-cpu entry. */
  ratioToCpu?: number;
  /** Median of the device-resident medians, where the results carry one. */
  deviceResidentMs?: number;
  adapter?: GpuAdapter;
  software: boolean;
}

export interface DeviceGroup {
  key: string;
  /** "bottleneck:mid=64 · b1 · fp32". */
  label: string;
  target: string;
  batch: number;
  precision: string;
  /** The machine (CPU and OS) the group was measured on: backends are compared on one machine only. */
  machine: string;
  /** Devices (a backend on one adapter), fastest first (ort-cpu included when measured). */
  entries: DeviceEntry[];
  cpuMedianMs?: number;
}

/** "bottleneck:mid=64", "resnet50/keras", a file's base name. */
export function targetLabel(t: BenchResult['job']['target']): string {
  if (t.kind === 'file') {
    const dims = Object.entries(t.dims).map(([k, v]) => `${k}=${v}`);
    return `${t.path.split(/[\\/]/).pop() ?? t.path}${dims.length ? `:${dims.join(',')}` : ''}`;
  }
  const params = Object.entries(t.params).map(([k, v]) => `${k}=${v}`);
  return `${targetName(t)}${params.length ? `:${params.join(',')}` : ''}`;
}

const sorted = (o: Record<string, unknown>) => Object.entries(o).sort(([x], [y]) => (x < y ? -1 : 1));

/** "AMD Ryzen 9 7950X (linux x64)". */
export const machineLabel = (r: BenchResult): string =>
  `${r.machine.cpu.brand} (${r.machine.os.platform} ${r.machine.os.arch})`;

/** The group of the devices comparison a result falls in (DeviceGroup.key): target, batch, precision, machine. */
export function deviceGroupKey(r: BenchResult): string {
  const t = r.job.target;
  const target = t.kind === 'file' ? [t.kind, t.path, sorted(t.dims)] : [t.kind, targetName(t), sorted(t.params)];
  return JSON.stringify([target, r.job.batch, r.job.precision ?? 'fp32', machineLabel(r)]);
}

/**
 * Groups measured results by target + batch + precision (and machine), and within a group by backend
 * (and adapter: one backend on two adapters is two devices).
 * A backend measured in several configurations (thread counts, ISA paths) is represented by its
 * fastest one (the best that device did), the results of that configuration (repetitions, runs of
 * other days) pooled; each entry says so in `choice`. Only groups with two devices or more are returned.
 * Quick runs are the caller's to leave out (shared/stats/flags.ts withoutQuick).
 */
export function compareDevices(results: readonly BenchResult[]): DeviceGroup[] {
  const groups = new Map<string, { first: BenchResult; byDevice: Map<string, Map<string, BenchResult[]>> }>();
  for (const r of results) {
    if (r.status !== 'ok' || !r.stats) continue;
    const key = deviceGroupKey(r);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { first: r, byDevice: new Map() }));
    const be = r.job.backend;
    // One backend on two adapters (a GPU, and a software device) is two devices.
    const device = JSON.stringify([be.backend, r.runtime?.adapter?.name ?? '']);
    const configs = g.byDevice.get(device) ?? new Map<string, BenchResult[]>();
    const config = JSON.stringify([be.intraOpThreads, be.interOpThreads, be.isa ?? 'auto', be.graphOptimization]);
    configs.set(config, [...(configs.get(config) ?? []), r]);
    g.byDevice.set(device, configs);
  }
  const out: DeviceGroup[] = [];
  for (const [key, g] of groups) {
    if (g.byDevice.size < 2) continue;
    const entries: DeviceEntry[] = [...g.byDevice.values()].map((configs) => {
      const ranked = [...configs.values()]
        .map((rs) => ({ rs, pool: poolSummary(rs) }))
        .sort((a, b) => a.pool.medianMs - b.pool.medianMs);
      const best = ranked[0];
      const resident = best.rs.flatMap((r) => (r.deviceResident ? [r.deviceResident.medianMs] : []));
      const adapter = best.rs.find((r) => r.runtime?.adapter)?.runtime?.adapter;
      const backend = best.rs[0].job.backend.backend;
      return {
        backend,
        device: adapter ? `${backend} on ${adapter.name}` : backend,
        resultIds: best.rs.map((r) => r.id),
        configurations: ranked.length,
        choice: choiceText(ranked),
        pool: best.pool,
        medianMs: best.pool.medianMs,
        threads: best.rs[0].job.backend.intraOpThreads,
        ...(resident.length ? { deviceResidentMs: median(resident) } : {}),
        ...(adapter ? { adapter } : {}),
        software: adapter?.software === true,
      };
    });
    const cpu = entries.find((e) => e.backend === CPU_REFERENCE_BACKEND)?.medianMs;
    if (cpu !== undefined && cpu > 0) for (const e of entries) e.ratioToCpu = e.medianMs / cpu;
    entries.sort((a, b) => a.medianMs - b.medianMs || a.backend.localeCompare(b.backend));
    const r = g.first;
    const precision = r.job.precision ?? 'fp32';
    const target = targetLabel(r.job.target);
    out.push({
      key,
      label: `${target} · b${r.job.batch} · ${precision}`,
      target,
      batch: r.job.batch,
      precision,
      machine: machineLabel(r),
      entries,
      ...(cpu !== undefined ? { cpuMedianMs: cpu } : {}),
    });
  }
  return out;
}

/** "1 thread", "4 threads, avx2", "auto threads": what tells a device's configurations apart. */
function configText(r: BenchResult, all: readonly BenchResult[]): string {
  const be = r.job.backend;
  const parts = [be.intraOpThreads === 1 ? '1 thread' : `${be.intraOpThreads || 'auto'} threads`];
  const differ = <T>(get: (x: BenchResult) => T) => new Set(all.map(get)).size > 1;
  if (differ((x) => x.job.backend.interOpThreads)) parts.push(`${be.interOpThreads} inter-op`);
  if (differ((x) => x.job.backend.isa ?? 'auto')) parts.push(be.isa ?? 'auto');
  if (differ((x) => x.job.backend.graphOptimization)) parts.push(`optimization ${be.graphOptimization}`);
  return parts.join(', ');
}

/** Which configuration and results a device entry stands for, and why. */
function choiceText(ranked: readonly { rs: BenchResult[]; pool: PoolSummary }[]): string {
  const best = ranked[0];
  const all = ranked.flatMap((c) => c.rs);
  const parts: string[] = [];
  if (ranked.length > 1)
    parts.push(
      `fastest of ${ranked.length} configurations (${ranked.map((c) => `${configText(c.rs[0], all)} ${fmtMs(c.pool.medianMs)}`).join(', ')})`,
    );
  parts.push(best.pool.text || 'one result');
  return parts.join('; ');
}

/** A ratio to ort-cpu in words: "0.25× (4.00× faster)", "1.60× slower", "1.00× (same)". */
export function ratioText(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio) || ratio <= 0) return '';
  const x = `${ratio.toFixed(2)}×`;
  if (Math.abs(ratio - 1) < 0.005) return `${x} (same)`;
  // Above 1 the ratio already reads as "times slower"; below 1 the inverse reads better.
  return ratio < 1 ? `${x} (${(1 / ratio).toFixed(2)}× faster)` : `${x} slower`;
}
