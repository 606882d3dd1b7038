// Words and numbers of the History and Fleet views (series titles, verdicts, changes, ages).
import type {
  PointVerdictView,
  RegressionRulesView,
  SeriesDescriptionView,
} from '../../../../shared/contract/history.js';

export { fmtMs } from '../../../../shared/format.js';
export { fmtTime } from '../results/fmt.js';

const threadsText = (t: number) => (t === 1 ? '1 thread' : t ? `${t} threads` : 'runtime threads');

/** A file target's base name; a block or model as it is. */
const targetBase = (d: Pick<SeriesDescriptionView, 'target' | 'targetKind'>) =>
  d.targetKind === 'file' ? (d.target.split(/[\\/]/).pop() ?? d.target) : d.target;

/** "bottleneck:mid=64" (a file's base name and its dimensions). */
export function targetWithParams(d: Pick<SeriesDescriptionView, 'target' | 'targetKind' | 'params'>): string {
  const params = Object.entries(d.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${targetBase(d)}${params ? `:${params}` : ''}`;
}

/** The configuration without the machine: "bottleneck:mid=64 · ort-cpu · batch 1 · 1 thread" (+ precision). */
export function configTitle(d: SeriesDescriptionView): string {
  return [
    targetWithParams(d),
    ...(d.precision && d.precision !== 'fp32' ? [d.precision] : []),
    d.backend,
    `batch ${d.batch}`,
    threadsText(d.threads),
  ].join(' · ');
}

export const VERDICT_TEXT: Record<PointVerdictView, string> = {
  slower: 'slower',
  faster: 'faster',
  'new-level': 'new level',
  unchanged: 'unchanged',
  'insufficient-history': 'not enough history',
  excluded: 'quick run',
};

/** The badge class of a verdict: red slower, green faster, muted for what was not judged. */
export function verdictClass(v: PointVerdictView): string {
  if (v === 'slower') return 'verdict verdict--slower';
  if (v === 'faster') return 'verdict verdict--faster';
  if (v === 'new-level') return 'verdict verdict--level';
  if (v === 'unchanged') return 'verdict';
  return 'verdict verdict--muted';
}

/** A ratio as a change: 1.152 -> "+15.2%", 0.92 -> "−8.0%". */
export function changeText(ratio: number): string {
  const pct = (ratio - 1) * 100;
  return `${pct >= 0 ? '+' : '−'}${Math.abs(pct).toFixed(1)}%`;
}

export const pctText = (x: number, digits = 1) => `${(x * 100).toFixed(digits)}%`;

/**
 * A noise threshold as shown: past 100% (two or three baseline results, whose spread says little: the
 * prediction interval is that wide) it is "over 100%", not a five-digit figure nobody can use.
 */
export const thresholdText = (x: number) => (x > 1 ? '> ±100%' : `±${pctText(x)}`);

/** A p-value as people read it. */
export function pText(p: number): string {
  if (!Number.isFinite(p)) return '–';
  if (p < 0.001) return '< 0.001';
  return p < 0.01 ? p.toFixed(4) : p.toFixed(3);
}

/** Seconds ago in words: "12 s ago", "3 min ago", "2 h ago", "4 d ago". */
export function agoText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** How many results a series needs before its newest one is judged (its baseline plus itself). */
export const resultsNeeded = (rules: Pick<RegressionRulesView, 'minBaseline'>) => rules.minBaseline + 1;
