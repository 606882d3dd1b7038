// Small inline Chart.js plugins (Chart.js has no error bars or box-plot medians built in).
import type { Chart, Plugin } from 'chart.js';

/** Per dataset index, per data index: the interval to draw over the bar (value units). */
export type Intervals = Map<number, ({ low: number; high: number } | null)[]>;

/**
 * Draws a vertical error bar with caps over each bar of the datasets listed in `intervals()`
 * (bar charts with a vertical value axis `y`).
 */
export function errorBarsPlugin(intervals: () => Intervals, color: () => string): Plugin<'bar'> {
  return {
    id: 'studioErrorBars',
    afterDatasetsDraw(chart: Chart<'bar'>) {
      const y = chart.scales.y;
      if (!y) return;
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = color();
      ctx.lineWidth = 1.5;
      for (const [i, bars] of intervals()) {
        const meta = chart.getDatasetMeta(i);
        if (!meta || meta.hidden || !chart.isDatasetVisible(i)) continue;
        meta.data.forEach((el, j) => {
          const iv = bars[j];
          if (!iv) return;
          const { x, width } = el.getProps(['x', 'width'], true) as { x: number; width: number };
          const [top, bottom] = [y.getPixelForValue(iv.high), y.getPixelForValue(iv.low)];
          const cap = Math.max(3, Math.min(8, width / 4));
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, bottom);
          ctx.moveTo(x - cap, top);
          ctx.lineTo(x + cap, top);
          ctx.moveTo(x - cap, bottom);
          ctx.lineTo(x + cap, bottom);
          ctx.stroke();
        });
      }
      ctx.restore();
    },
  };
}

/** Draws each box's median as a line across the box (horizontal box plots: indexAxis 'y', value axis `x`). */
export function medianTicksPlugin(datasetIndex: number, medians: () => number[], color: () => string): Plugin<'bar'> {
  return {
    id: 'studioMedianTicks',
    afterDatasetsDraw(chart: Chart<'bar'>) {
      const xScale = chart.scales.x;
      const meta = chart.getDatasetMeta(datasetIndex);
      if (!xScale || !meta || !chart.isDatasetVisible(datasetIndex)) return;
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = color();
      ctx.lineWidth = 2;
      const ms = medians();
      meta.data.forEach((el, j) => {
        if (ms[j] === undefined) return;
        const { y, height } = el.getProps(['y', 'height'], true) as { y: number; height: number };
        const x = xScale.getPixelForValue(ms[j]);
        ctx.beginPath();
        ctx.moveTo(x, y - height / 2);
        ctx.lineTo(x, y + height / 2);
        ctx.stroke();
      });
      ctx.restore();
    },
  };
}
