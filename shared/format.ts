// Numbers formatted for people (the app's views and the reports; exports keep the raw numbers).
// Pure: used by main/reports and by the renderer alike.

/** 0.00532 -> "5.32 µs", 1.5 -> "1.50 ms", 2345 -> "2.35 s"; '' for a missing or non-finite value. */
export function fmtMs(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return '';
  if (ms < 1) return `${(ms * 1000).toPrecision(3)} µs`;
  if (ms < 1000) return `${ms.toPrecision(3)} ms`;
  return `${(ms / 1000).toPrecision(3)} s`;
}

/** 218103808 -> "218 M". */
export function fmtCount(n: number | undefined, digits = 3): string {
  if (n === undefined || !Number.isFinite(n)) return '';
  for (const [v, u] of [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ] as const)
    if (Math.abs(n) >= v) return `${(n / v).toPrecision(digits)} ${u}`;
  return Number.isInteger(n) ? String(n) : n.toPrecision(digits);
}

/** 3211264 -> "3.1 MiB". */
export function fmtBytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '';
  for (const [v, u] of [
    [2 ** 40, 'TiB'],
    [2 ** 30, 'GiB'],
    [2 ** 20, 'MiB'],
    [2 ** 10, 'KiB'],
  ] as const)
    if (n >= v) return `${(n / v).toFixed(1)} ${u}`;
  return `${n} B`;
}

/** 0.1234 -> "12.3%". */
export const fmtPct = (x: number | undefined): string => (x === undefined ? '' : `${(x * 100).toFixed(1)}%`);
