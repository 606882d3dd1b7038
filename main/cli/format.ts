// Plain-text formatting for the CLI's human output (the --json output is the data itself).
import type { SeedVerdict, SeedVerdictGap } from '../../shared/stats/seed-verdicts.js';

// The numbers themselves are written as everywhere else (shared/format.ts): one formatter each.
export { bytes, grouped, ratio, si } from '../../shared/format.js';
import { ratio } from '../../shared/format.js';

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
