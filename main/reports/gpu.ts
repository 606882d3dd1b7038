// GPU results in reports (shared/stats/devices.ts): where each GPU result ran (the adapter, a
// software device labeled), its provider placement, the device-resident latency beside the complete
// run, the cold first run, device memory or why it is not measurable; and the devices comparison.
import { isCpuBackend } from '../../shared/contract/job.js';
import type { BenchResult } from '../../shared/contract/result.js';
import {
  SOFTWARE_DEVICE_BADGE,
  compareDevices,
  deviceGroupKey,
  gpuDetails,
  ratioText,
  unmeasuredText,
  type DeviceGroup,
} from '../../shared/stats/devices.js';
import { QUICK_RULE, quickLeftOutText, withoutQuick } from '../../shared/stats/flags.js';
import { fmtBytes, fmtMs } from './rows.js';

export { SOFTWARE_DEVICE_BADGE, compareDevices, ratioText, type DeviceGroup };

/**
 * The devices comparison of a report: quick runs left out (as in the Results view by default), how
 * many were, in words ('' when none), and whether there is anything to show: the comparison, or
 * (all of its results being quick runs) why it is missing.
 */
export function comparedDevices(results: readonly BenchResult[]): {
  groups: DeviceGroup[];
  leftOut: number;
  quickText: string;
  show: boolean;
} {
  const ok = results.filter((r) => r.status === 'ok');
  const { kept, leftOut } = withoutQuick(ok);
  const groups = compareDevices(kept);
  // Counted where they would have been compared (a lone quick run changes no comparison).
  const compared = new Set(compareDevices(ok).map((g) => g.key));
  const n = leftOut.filter((r) => compared.has(deviceGroupKey(r))).length;
  return {
    groups,
    leftOut: n,
    quickText: n
      ? `${quickLeftOutText(n)} of this comparison (${QUICK_RULE}).${groups.length ? '' : ' Measure with the default rules to compare devices.'}`
      : '',
    show: groups.length > 0 || n > 0,
  };
}

export interface GpuRow {
  id: string;
  label: string;
  backend: string;
  /** "NVIDIA GeForce RTX 4090 (discrete)", or '' when the result does not say. */
  device: string;
  software: boolean;
  /** The software device's warning in full (shared/hardware/adapters.ts softwareAdapterFlag). */
  softwareWarning?: string;
  /** "WebGpu 12 nodes (98.6% of MACs); CPU 3 nodes (1.4% of MACs); fell back: 3 nodes (Shape, Gather)". */
  placement: string;
  hasFallback: boolean;
  fallbackNodes: string[];
  /** The headline median: a complete run, host<->device copies included. */
  medianMs?: number;
  deviceResidentMs?: number;
  deviceResidentMethod?: string;
  coldFirstRunMs?: number;
  gpuBytes?: number;
  gpuUnmeasured?: string;
  /** Device memory for people: "512.0 MiB", "not measurable here: <reason>", or ''. */
  memory: string;
}

/** The measured results of GPU backends, one row each. */
export function gpuRows(results: readonly BenchResult[]): GpuRow[] {
  return results.flatMap((r) => {
    // A failed GPU job measured nothing: the report's failures section says why.
    const d = r.status === 'ok' ? gpuDetails(r) : undefined;
    if (!d) return [];
    const m = d.memory;
    return [
      {
        id: r.id,
        label: r.label,
        backend: d.backend,
        device: d.adapterText ?? '',
        software: d.software,
        ...(d.softwareWarning ? { softwareWarning: d.softwareWarning } : {}),
        placement: d.placement?.text ?? '',
        hasFallback: d.placement?.hasFallback ?? false,
        fallbackNodes: d.placement?.fallbackNodes ?? [],
        medianMs: d.medianMs,
        deviceResidentMs: d.deviceResident?.medianMs,
        deviceResidentMethod: d.deviceResident?.method,
        coldFirstRunMs: d.coldFirstRunMs,
        ...(m?.kind === 'measured' ? { gpuBytes: m.bytes } : {}),
        ...(m?.kind === 'unmeasured' ? { gpuUnmeasured: m.reason } : {}),
        memory: m?.kind === 'measured' ? fmtBytes(m.bytes) : m?.kind === 'unmeasured' ? unmeasuredText(m.reason) : '',
      },
    ];
  });
}

/** The device column for people: "ort-webgpu on llvmpipe [software (runs on the CPU): not GPU speed]". */
export const deviceText = (e: DeviceGroup['entries'][number]): string =>
  `${e.device}${isCpuBackend(e.backend) ? ` (${e.threads === 1 ? '1 thread' : `${e.threads || 'auto'} threads`})` : ''}${e.software ? ` [${SOFTWARE_DEVICE_BADGE}]` : ''}`;

export const fmtOptMs = (ms: number | undefined): string => (ms === undefined ? '' : fmtMs(ms));
