// Number formatting for the Benchmark and Results views (people read these; exports keep raw numbers).
import type { ApiTarget } from '../../../../shared/contract/api.js';
import type { Target } from '../../../../shared/contract/job.js';
import type { BenchResult } from '../../../../shared/contract/result.js';

export { fmtBytes, fmtCount, fmtMs } from '../../../../shared/format.js';

/** "2025-06-01T12:00:00.000Z" -> "2025-06-01 12:00". */
export function fmtTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}

const paramText = (params: Record<string, string | number | boolean>) =>
  Object.entries(params)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/** "bottleneck:mid=32", "resnet50/keras", "file-abc" (or the file's name when known). */
export function apiTargetLabel(t: ApiTarget, fileNames: Record<string, string> = {}): string {
  if (t.kind === 'file') {
    const dims = paramText(t.dims ?? {});
    return `${fileNames[t.fileId] ?? t.fileId}${dims ? `:${dims}` : ''}`;
  }
  const params = paramText(t.params ?? {});
  const name = t.kind === 'model' && t.variant ? `${t.name}/${t.variant}` : t.name;
  return `${name}${params ? `:${params}` : ''}`;
}

/** A result's target with its parameters: "bottleneck:mid=64", "resnet50/keras", a file's base name. */
export function targetText(t: Target): string {
  if (t.kind === 'file') return t.path.split(/[\\/]/).pop() ?? t.path;
  const params = paramText(t.params);
  const name = t.kind === 'model' && t.variant ? `${t.name}/${t.variant}` : t.name;
  return `${name}${params ? `:${params}` : ''}`;
}

/** "ort-cpu", "native/avx2". */
export function backendText(r: BenchResult): string {
  const b = r.job.backend;
  return b.isa && b.isa !== 'auto' ? `${b.backend}/${b.isa}` : b.backend;
}

/** "Ryzen 9 7950X 16-Core Processor (linux x64)": how results from different machines are told apart. */
export { machineLabel as machineText } from '../../../../shared/stats/devices.js';

export function failureText(f: BenchResult['failure']): string {
  if (!f) return '';
  return `${f.kind}: ${f.reason}${f.detail ? ` (${f.detail})` : ''}`;
}

/**
 * A compact local date-time for tables: "Nov 23 19:45" this year, "Nov 23, 2025 19:45" otherwise
 * (the full ISO time goes in a tooltip).
 */
export function compactTime(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const sameYear = d.getFullYear() === now.getFullYear();
  const date = d.toLocaleDateString(undefined, {
    month: 'short',
    day: 'numeric',
    ...(sameYear ? {} : { year: 'numeric' }),
  });
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
  return `${date} ${time}`;
}
