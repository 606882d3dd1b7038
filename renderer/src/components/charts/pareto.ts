// What the two Pareto charts (latency vs accuracy, memory vs accuracy) share: the front drawn as a
// stepped line over the dominated points, and a tooltip in the x axis's own unit.
import type { ChartTheme } from './theme.js';
import { axis, baseOptions, withAlpha } from './theme.js';

export interface ParetoPoint {
  x: number;
  /** Top-1 accuracy, 0..1. */
  accuracy: number;
  label: string;
  front: boolean;
}

/** Chart.js data and options of a Pareto scatter: x in the caller's unit, y = top-1 in %. */
export function paretoChart(
  theme: ChartTheme,
  points: readonly ParetoPoint[],
  xTitle: string,
  fmtX: (x: number) => string,
) {
  const xy = (p: ParetoPoint) => ({ x: p.x, y: p.accuracy * 100, label: p.label });
  const front = points.filter((p) => p.front).sort((a, b) => a.x - b.x || a.accuracy - b.accuracy);
  const data = {
    datasets: [
      {
        label: 'Pareto front',
        data: front.map(xy),
        borderColor: theme.accent,
        backgroundColor: theme.accent,
        showLine: true,
        stepped: 'before' as const,
        pointRadius: 6,
        pointStyle: 'rectRot',
      },
      {
        label: 'dominated',
        data: points.filter((p) => !p.front).map(xy),
        backgroundColor: withAlpha(theme.muted, 0.7),
        pointRadius: 4,
      },
    ],
  };
  const base = baseOptions(theme, false);
  const options = {
    ...base,
    plugins: {
      ...base.plugins,
      tooltip: {
        callbacks: {
          label: (ctx: { raw: unknown }) => {
            const p = ctx.raw as { x: number; y: number; label: string };
            return `${p.label}: ${fmtX(p.x)}, top-1 ${p.y.toFixed(1)}%`;
          },
        },
      },
    },
    scales: { x: axis(theme, xTitle), y: axis(theme, 'top-1 accuracy (%)') },
  };
  return { front, data, options };
}
