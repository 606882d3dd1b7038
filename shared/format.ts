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

/** 3211264 -> "3.1 MiB" (`digits` decimals, 1 unless given). */
export function fmtBytes(n: number | undefined, digits = 1): string {
  if (n === undefined || !Number.isFinite(n)) return '';
  for (const [v, u] of [
    [2 ** 40, 'TiB'],
    [2 ** 30, 'GiB'],
    [2 ** 20, 'MiB'],
    [2 ** 10, 'KiB'],
  ] as const)
    if (n >= v) return `${(n / v).toFixed(digits)} ${u}`;
  return `${n} B`;
}

/** 0.1234 -> "12.3%" (`digits` decimals, 1 unless given). */
export const fmtPct = (x: number | undefined, digits = 1): string =>
  x === undefined ? '' : `${(x * 100).toFixed(digits)}%`;

// The app's views write some numbers their own way: a missing value as '–' where the reports leave
// the cell empty, sizes with two decimals, counts exact below a million.

/** 25636712 -> "25,636,712". */
export const grouped = (n: number): string => Math.round(n).toLocaleString('en-US');

/** 4089184256 -> "4.09 G"; small numbers stay as they are (fmtCount, with NaN and Infinity written out). */
export const si = (n: number, digits = 3): string => (Number.isFinite(n) ? fmtCount(n, digits) : String(n));

/** MACs (or FLOPs) as "4.09 G". */
export const macs = (n: number): string => si(n);

/** Parameter counts: exact below a million, "25.6 M" above. */
export const params = (n: number): string => (Math.abs(n) < 1e6 ? grouped(n) : si(n));

/** Bytes in binary units with two decimals: "3.92 MiB", "-1.50 KiB", "12 B". */
export function bytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) < 2 ** 10) return `${Math.round(n)} B`;
  return `${n < 0 ? '-' : ''}${fmtBytes(Math.abs(n), 2)}`;
}

/** 3.0625 -> "3.06x", 12.3 -> "12.3x", 148 -> "148x". */
export function ratio(r: number): string {
  if (!Number.isFinite(r)) return 'inf';
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}x`;
}

/** 0.1234 -> "12.3%"; '–' for a missing or non-finite value. */
export const percent = (f: number | null | undefined, digits = 1): string =>
  f === null || f === undefined || !Number.isFinite(f) ? '–' : fmtPct(f, digits);

/** [1, 64, 56, 56] -> "1x64x56x56". */
export const shape = (s: readonly number[]): string => (s.length ? s.join('x') : '–');

/** Milliseconds: "0.123 ms", "12.3 ms", "1.23 s" ('–' if not finite). */
export function ms(v: number): string {
  if (!Number.isFinite(v)) return '–';
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toPrecision(3)} ms`;
}

/** Arithmetic intensity, FLOP per byte. */
export const intensity = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '–');

/** GFLOP/s and GB/s. */
export const gflops = (v: number): string => `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} GFLOP/s`;
export const gbps = (v: number): string => `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} GB/s`;

// Axis labels of charts (the app's and the HTML report's, whose inlined script takes these two as
// their source text): as short as they can be, trailing zeros dropped. Self-contained, because the
// report inlines each function's source alone.

/** 0.5 -> "500 µs", 1.5 -> "1.5 ms", 2000 -> "2 s"; '0' for zero, '' for a non-finite value. */
export function tickMs(ms: number): string {
  if (!isFinite(ms)) return '';
  if (ms === 0) return '0';
  if (ms < 1) return +(ms * 1000).toPrecision(3) + ' µs';
  if (ms < 1000) return +ms.toPrecision(3) + ' ms';
  return +(ms / 1000).toPrecision(3) + ' s';
}

/** 4089184256 -> "4.09 G", 1500 -> "1.5 k", 12.34 -> "12.3". */
export function tickCount(n: number): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [v, u] of units) if (Math.abs(n) >= v) return +(n / v).toPrecision(3) + ' ' + u;
  return String(+n.toPrecision(3));
}

/**
 * One CSV field, RFC 4180: a field holding a comma, a quote or a line break is quoted, quotes
 * doubled; a missing or non-finite number is an empty field. Rows end in CRLF (the writers join).
 */
export function csvField(v: string | number | undefined): string {
  if (v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
