// A Chart.js plugin that draws a vertical interval (with caps) through each point of one dataset of a
// line chart: the History chart's 95% interval of each median (Chart.js has no error bars).
import type { Chart, Plugin } from 'chart.js';

export function pointWhiskersPlugin(
  datasetIndex: number,
  intervals: () => readonly ({ low: number; high: number } | null)[],
  color: () => string,
): Plugin<'line'> {
  return {
    id: 'studioPointWhiskers',
    beforeDatasetsDraw(chart: Chart<'line'>) {
      const y = chart.scales.y;
      const meta = chart.getDatasetMeta(datasetIndex);
      if (!y || !meta || !chart.isDatasetVisible(datasetIndex)) return;
      const ctx = chart.ctx;
      const ivs = intervals();
      ctx.save();
      ctx.strokeStyle = color();
      ctx.lineWidth = 1.25;
      meta.data.forEach((el, j) => {
        const iv = ivs[j];
        if (!iv) return;
        // Where the point is drawn now (the chart is not animated: that is where it stays).
        const { x } = el.getProps(['x']) as { x: number };
        const [top, bottom] = [y.getPixelForValue(iv.high), y.getPixelForValue(iv.low)];
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, bottom);
        ctx.moveTo(x - 4, top);
        ctx.lineTo(x + 4, top);
        ctx.moveTo(x - 4, bottom);
        ctx.lineTo(x + 4, bottom);
        ctx.stroke();
      });
      ctx.restore();
    },
  };
}
