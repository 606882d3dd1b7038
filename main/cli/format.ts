// Plain-text formatting for the CLI's human output (the --json output is the data itself).
import type { SeedVerdict, SeedVerdictGap } from '../../shared/stats/seed-verdicts.js';

/** 25636712 -> "25,636,712". */
export const grouped = (n: number): string => Math.round(n).toLocaleString('en-US');

/** 4089184256 -> "4.09 G". */
export function si(n: number, digits = 3): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [v, u] of units) if (Math.abs(n) >= v) return `${(n / v).toPrecision(digits)} ${u}`;
  return `${Number.isInteger(n) ? n : n.toPrecision(digits)}`;
}

export function bytes(n: number): string {
  const units: [number, string][] = [
    [2 ** 30, 'GiB'],
    [2 ** 20, 'MiB'],
    [2 ** 10, 'KiB'],
  ];
  for (const [v, u] of units) if (n >= v) return `${(n / v).toFixed(2)} ${u}`;
  return `${n} B`;
}

export function ratio(r: number): string {
  if (!Number.isFinite(r)) return 'inf';
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}x`;
}

/** Renders rows as an aligned table; numbers (and ratios) right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map(
    (_, i) => rows.length > 0 && rows.every((r) => /^[-\d.,]+( ?[kMGT]i?B?|x| B|%)?$|^inf$|^$/.test(r[i] ?? '')),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const pct = (x: number | undefined) => (x === undefined ? '' : `${(x * 100).toFixed(0)}%`);

/**
 * Seed comparisons, measured: per comparison and device, the cost model's saving beside the
 * measured one (bench --seed, compare --measured), then the findings where they part.
 */
export function seedVerdictText(verdicts: (SeedVerdict | SeedVerdictGap)[]): string {
  const rows = verdicts.map((v) =>
    'error' in v
      ? [v.comparison, v.setting, '', v.target, '', '', '', '', '', v.error]
      : [
          v.comparison,
          v.setting,
          v.device,
          v.target,
          v.macsRatio ? ratio(v.macsRatio) : '',
          pct(v.macsSaving),
          ratio(v.speedup),
          `${ratio(v.speedupCi.low)}-${ratio(v.speedupCi.high)}`,
          pct(v.timeSaving),
          v.verdict,
        ],
  );
  const findings = verdicts.flatMap((v) =>
    'finding' in v && v.finding ? [`${v.comparison}: ${v.target} ${v.finding}`] : [],
  );
  return (
    'Seed comparisons: the cost model against the measurement (first target of each = reference):\n' +
    table(
      [
        'comparison',
        'on',
        'device',
        'target',
        'MACs ratio',
        'MACs saved',
        'speed-up',
        '95% CI',
        'time saved',
        'verdict',
      ],
      rows,
    ) +
    (findings.length
      ? `\n\nWhere the measurement parts from the cost model:\n${findings.map((f) => `- ${f}`).join('\n')}`
      : '')
  );
}
