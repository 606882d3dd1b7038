// Parsing and printing shared by the commands that take precision options (bench, precision).
import { CALIBRATION_METHODS, PRECISIONS, type Calibration, type PrecisionName } from '../../shared/contract/job.js';
import type { PrecisionDetails } from '../../shared/contract/result.js';
import { StudioError } from '../../shared/ir/types.js';

export interface CalibrationFlags {
  calibration?: string;
  calibrationSamples?: string;
  calibrationSeed?: string;
  percentile?: string;
}

/** "fp32,int8" -> ['fp32', 'int8'], every name checked. */
export function parsePrecisions(text: string): PrecisionName[] {
  const out = text.split(',').map((p) => {
    const name = p.trim();
    if (!(PRECISIONS as readonly string[]).includes(name))
      throw new StudioError(`unknown precision '${name}'. Precisions: ${PRECISIONS.join(', ')}`, 'bad-parameter');
    return name as PrecisionName;
  });
  return [...new Set(out)];
}

/** The calibration flags as a partial Calibration (defaults filled by CalibrationSchema). */
export function parseCalibration(flags: CalibrationFlags): Partial<Calibration> {
  const out: Partial<Calibration> = {};
  if (flags.calibration !== undefined) {
    if (!(CALIBRATION_METHODS as readonly string[]).includes(flags.calibration))
      throw new StudioError(
        `--calibration must be one of ${CALIBRATION_METHODS.join(', ')}, got '${flags.calibration}'`,
        'bad-parameter',
      );
    out.method = flags.calibration as Calibration['method'];
  }
  if (flags.calibrationSamples !== undefined) {
    const n = Number(flags.calibrationSamples);
    if (!Number.isInteger(n) || n < 1)
      throw new StudioError(
        `--calibration-samples must be a positive integer, got '${flags.calibrationSamples}'`,
        'bad-parameter',
      );
    out.samples = n;
  }
  if (flags.calibrationSeed !== undefined) {
    const n = Number(flags.calibrationSeed);
    if (!Number.isInteger(n))
      throw new StudioError(`--calibration-seed must be an integer, got '${flags.calibrationSeed}'`, 'bad-parameter');
    out.seed = n;
  }
  if (flags.percentile !== undefined) {
    const p = Number(flags.percentile);
    if (!(p > 50 && p <= 100))
      throw new StudioError(`--percentile must be in (50, 100], got '${flags.percentile}'`, 'bad-parameter');
    out.percentile = p;
  }
  return out;
}

const sci = (v: number | null | undefined) =>
  v === undefined ? '' : v === null ? 'n/a' : v === 0 ? '0' : Math.abs(v) >= 0.01 ? v.toFixed(4) : v.toExponential(2);

/** One row per variant: overall fidelity against fp32 and how it was calibrated. */
export function fidelityRow(label: string, status: string, d: PrecisionDetails | undefined): string[] {
  const o = d?.fidelity?.overall;
  const c = d?.calibration;
  return [
    label,
    status,
    o ? (o.cosine === null ? 'n/a' : o.cosine.toFixed(6)) : '',
    sci(o?.relError),
    sci(o?.maxAbsError),
    sci(o?.meanAbsError),
    o?.top1Agreement === undefined || o.top1Agreement === null ? '' : `${(o.top1Agreement * 100).toFixed(1)}%`,
    c ? `${c.method}${c.percentile !== undefined ? ` ${c.percentile}` : ''}, ${c.samples} samples` : '',
  ];
}

export const FIDELITY_HEADER = [
  'variant',
  'status',
  'cosine',
  'rel. error',
  'max abs',
  'mean abs',
  'top-1',
  'calibration',
];
