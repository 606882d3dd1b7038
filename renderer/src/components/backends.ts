// Short words for why a backend cannot run here (main/backends/backend.ts UnavailableKind); the
// full reason (often an install command or a runtime's stack message) stays one click away.
import type { BackendAvailability } from '../../../shared/contract/api.js';

const KIND_LABELS: Record<string, string> = {
  'library-missing': 'libraries not installed',
  'not-bundled': 'not in this build',
  platform: 'not on this OS',
  'no-device': 'no device',
  error: 'failed to load',
};

/** "libraries not installed", "not on this OS", ...; 'unavailable' when main gave no kind. */
export function unavailableLabel(a: Pick<BackendAvailability, 'kind'>): string {
  return (a.kind && KIND_LABELS[a.kind]) ?? a.kind ?? 'unavailable';
}

/** "AMD EPYC 7B13", not "AMD AMD EPYC 7B13": the manufacturer only when the brand lacks it. */
export function cpuName(manufacturer: string | undefined, brand: string | undefined): string {
  const m = (manufacturer ?? '').trim();
  const b = (brand ?? '').trim();
  if (!m) return b;
  if (!b) return m;
  return b.toLowerCase().startsWith(m.toLowerCase()) ? b : `${m} ${b}`;
}
