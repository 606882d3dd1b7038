// Registers the Chart.js pieces the charts use, once (tree-shaken: only these are bundled).
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
} from 'chart.js';

let done = false;

export function registerCharts(): void {
  if (done) return;
  done = true;
  Chart.register(
    BarController,
    BarElement,
    CategoryScale,
    Legend,
    LinearScale,
    LineController,
    LineElement,
    LogarithmicScale,
    PointElement,
    ScatterController,
    Tooltip,
  );
}

/** Above this many plotted values, charts update without animation. */
export const ANIMATION_LIMIT = 60;
