// Number formatting for the views: counts as k/M/G, bytes as KiB/MiB/GiB, ratios as "3.1x".

/** 25636712 -> "25,636,712". */
export const grouped = (n: number): string => Math.round(n).toLocaleString('en-US');

/** 4089184256 -> "4.09 G"; small numbers stay as they are. */
export function si(n: number, digits = 3): string {
  if (!Number.isFinite(n)) return String(n);
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [v, u] of units) if (Math.abs(n) >= v) return `${(n / v).toPrecision(digits)} ${u}`;
  return Number.isInteger(n) ? String(n) : n.toPrecision(digits);
}

/** MACs (or FLOPs) as "4.09 G". */
export const macs = (n: number): string => si(n);

/** Parameter counts: exact below a million, "25.6 M" above. */
export const params = (n: number): string => (Math.abs(n) < 1e6 ? grouped(n) : si(n));

/** Bytes in binary units: "3.92 MiB". */
export function bytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const units: [number, string][] = [
    [2 ** 40, 'TiB'],
    [2 ** 30, 'GiB'],
    [2 ** 20, 'MiB'],
    [2 ** 10, 'KiB'],
  ];
  for (const [v, u] of units) if (Math.abs(n) >= v) return `${(n / v).toFixed(2)} ${u}`;
  return `${Math.round(n)} B`;
}

/** 3.0625 -> "3.06x", 12.3 -> "12.3x", 148 -> "148x". */
export function ratio(r: number): string {
  if (!Number.isFinite(r)) return 'inf';
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}x`;
}

/** 0.1234 -> "12.3%". */
export function percent(f: number, digits = 1): string {
  if (!Number.isFinite(f)) return '–';
  return `${(f * 100).toFixed(digits)}%`;
}

/** [1, 64, 56, 56] -> "1x64x56x56". */
export const shape = (s: readonly number[]): string => (s.length ? s.join('x') : '–');

/** Milliseconds: "0.123 ms", "12.3 ms", "1.23 s". */
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
