// Chart colours from the theme's CSS variables (renderer/src/styles.css: --bg, --fg, --muted,
// --accent, --border, --danger), re-read when the theme changes so charts follow light/dark.
import { ref, type Ref } from 'vue';

export interface ChartTheme {
  fg: string;
  muted: string;
  border: string;
  accent: string;
  danger: string;
  bg: string;
  /** Series colours, the accent first. */
  palette: string[];
}

const FALLBACK = {
  fg: '#1f2328',
  muted: '#6e7781',
  border: '#d0d7de',
  accent: '#0969da',
  danger: '#cf222e',
  bg: '#ffffff',
};
const SERIES = ['#e36209', '#1a7f37', '#8250df', '#bf3989', '#0598bc', '#9a6700', '#57606a'];

function cssVar(name: string, fallback: string): string {
  if (typeof document === 'undefined' || typeof getComputedStyle !== 'function') return fallback;
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

export function readTheme(): ChartTheme {
  const t = {
    fg: cssVar('--fg', FALLBACK.fg),
    muted: cssVar('--muted', FALLBACK.muted),
    border: cssVar('--border', FALLBACK.border),
    accent: cssVar('--accent', FALLBACK.accent),
    danger: cssVar('--danger', FALLBACK.danger),
    bg: cssVar('--bg', FALLBACK.bg),
  };
  return { ...t, palette: [t.accent, ...SERIES] };
}

let shared: Ref<ChartTheme> | undefined;

/** The current chart theme, updated when <html>'s class/data-theme or the system colour scheme changes. */
export function useChartTheme(): Ref<ChartTheme> {
  if (shared) return shared;
  const theme = ref<ChartTheme>(readTheme());
  shared = theme;
  const refresh = () => (theme.value = readTheme());
  if (typeof MutationObserver !== 'undefined' && typeof document !== 'undefined')
    new MutationObserver(refresh).observe(document.documentElement, {
      attributes: true,
      attributeFilter: ['class', 'data-theme', 'style'],
    });
  if (typeof window !== 'undefined' && typeof window.matchMedia === 'function')
    window.matchMedia('(prefers-color-scheme: dark)').addEventListener?.('change', refresh);
  return theme;
}

/** A colour with an alpha channel: '#0969da' -> 'rgba(9,105,218,0.3)'; other forms unchanged. */
export function withAlpha(color: string, alpha: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(color.trim());
  if (!m) return color;
  const n = parseInt(m[1], 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

/** Axis and legend colours shared by every chart. */
export function baseOptions(theme: ChartTheme, animate: boolean) {
  return {
    responsive: true,
    maintainAspectRatio: false,
    // Big updates redraw without animation so that live data never queues up frames.
    animation: animate ? { duration: 250 } : (false as const),
    color: theme.fg,
    plugins: {
      legend: { labels: { color: theme.fg } },
      tooltip: { enabled: true },
    },
  };
}

export const axis = (theme: ChartTheme, title?: string, extra: Record<string, unknown> = {}) => ({
  ticks: { color: theme.muted },
  grid: { color: withAlpha(theme.border, 0.6) },
  title: title ? { display: true, text: title, color: theme.fg } : { display: false },
  ...extra,
});

/** 1234 -> "1.2k", 0.25 -> "0.25": short labels for log-axis ticks. */
function shortNumber(n: number): string {
  if (n >= 1e6) return `${Number((n / 1e6).toPrecision(3))}M`;
  if (n >= 1e3) return `${Number((n / 1e3).toPrecision(3))}k`;
  return String(Number(n.toPrecision(3)));
}

/**
 * A logarithmic axis whose ticks are labelled at 1, 2 and 5 × 10^n only (Chart.js labels every
 * minor tick, and near the top of a decade they run into each other: "800900100").
 */
export const logAxis = (theme: ChartTheme, title?: string, extra: Record<string, unknown> = {}) =>
  axis(theme, title, {
    type: 'logarithmic' as const,
    ...extra,
    ticks: {
      color: theme.muted,
      autoSkip: true,
      callback: (value: number | string) => {
        const n = Number(value);
        if (!(n > 0)) return '';
        const mantissa = n / 10 ** Math.floor(Math.log10(n) + 1e-9);
        return [1, 2, 5].some((k) => Math.abs(mantissa - k) < 1e-6) ? shortNumber(n) : '';
      },
    },
  });
