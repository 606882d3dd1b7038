// The HTML report's charts (inlined into the report after Chart.js): draws the three charts from
// the JSON data block. Plain browser JavaScript, no network, no imports; read as text by ../html.ts.
/* global window, document, getComputedStyle, fmtMs, fmtCount -- the last two: shared/format.ts tickMs and tickCount, inlined first by ../html.ts */
(function () {
  'use strict';
  const Chart = window.Chart;
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const results = data.charted;
  const PALETTE = {
    'ort-cpu': '#2563eb',
    'ort-cuda': '#16a34a',
    'ort-tensorrt': '#9333ea',
    'ort-dml': '#ea580c',
    'ort-coreml': '#0891b2',
    'ort-webgpu': '#db2777',
  };
  const color = (backend) => PALETTE[backend] || '#64748b';

  // fmtMs and fmtCount are shared/format.ts's tickMs and tickCount, inlined before this script (html.ts).
  /** On a log axis, label only 1, 2 and 5 times a power of ten (the others stay as grid lines). */
  function logTick(format) {
    return function (value) {
      const v = Number(value);
      if (this.type !== 'logarithmic') return format(v);
      const mantissa = v / Math.pow(10, Math.floor(Math.log10(v) + 1e-9));
      return [1, 2, 5].some((k) => Math.abs(mantissa - k) < 1e-6) ? format(v) : '';
    };
  }
  const ticks = (format, log) => ({ callback: logTick(format), maxRotation: 0, autoSkip: !log });
  // Grid lines of unlabelled ticks (the 3, 4, 6... of a log axis) fainter than the labelled ones.
  const grid = { color: (c) => (c.tick && c.tick.label === '' ? '#f1f5f9' : '#e2e8f0') };
  const truncate = (s, n) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

  function empty(canvasId, message) {
    const box = document.getElementById(canvasId).parentElement;
    box.classList.add('empty');
    box.textContent = message;
  }

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 12;
  Chart.defaults.color = '#475569';
  Chart.defaults.borderColor = '#e2e8f0';
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.tooltip.backgroundColor = '#0f172a';
  Chart.defaults.plugins.tooltip.padding = 10;

  // Whiskers for the median's confidence interval, drawn over horizontal bars.
  const ciWhiskers = {
    id: 'ciWhiskers',
    afterDatasetsDraw(chart) {
      const { ctx, scales } = chart;
      const ci = chart.data.datasets[0].ci;
      ctx.save();
      ctx.strokeStyle = '#0f172a';
      ctx.lineWidth = 1.5;
      chart.getDatasetMeta(0).data.forEach((bar, i) => {
        const [x1, x2] = [scales.x.getPixelForValue(ci[i][0]), scales.x.getPixelForValue(ci[i][1])];
        const h = Math.min(7, bar.height / 3);
        ctx.beginPath();
        ctx.moveTo(x1, bar.y);
        ctx.lineTo(x2, bar.y);
        for (const x of [x1, x2]) {
          ctx.moveTo(x, bar.y - h);
          ctx.lineTo(x, bar.y + h);
        }
        ctx.stroke();
      });
      ctx.restore();
    },
  };

  function latencyChart() {
    if (!results.length) return empty('chart-latency', 'No successful results to chart.');
    const canvas = document.getElementById('chart-latency');
    canvas.parentElement.style.height = Math.max(180, 30 * results.length + 70) + 'px';
    const lows = results.map((r) => r.ciLow);
    const highs = results.map((r) => r.ciHigh);
    const toggle = document.getElementById('latency-log');
    toggle.checked = Math.max(...highs) / Math.min(...lows) > 30;
    const chart = new Chart(canvas, {
      type: 'bar',
      data: {
        labels: results.map((r) => r.label),
        datasets: [
          {
            label: 'median latency',
            data: results.map((r) => r.p50),
            ci: results.map((r) => [r.ciLow, r.ciHigh]),
            backgroundColor: results.map((r) => color(r.backend) + 'b3'),
            borderColor: results.map((r) => color(r.backend)),
            borderWidth: 1,
            borderRadius: 3,
            barPercentage: 0.72,
          },
        ],
      },
      options: {
        indexAxis: 'y',
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label(c) {
                const r = results[c.dataIndex];
                return [
                  'median ' + fmtMs(r.p50),
                  '95% CI ' + fmtMs(r.ciLow) + ' – ' + fmtMs(r.ciHigh),
                  'p90 ' + fmtMs(r.p90) + ' · n = ' + r.n,
                ];
              },
            },
          },
        },
        scales: {
          x: {
            type: toggle.checked ? 'logarithmic' : 'linear',
            beginAtZero: true,
            suggestedMax: Math.max(...highs) * 1.04,
            title: { display: true, text: 'median latency (whiskers: 95% confidence interval)' },
            ticks: ticks(fmtMs, toggle.checked),
            grid,
          },
          y: {
            grid: { display: false },
            ticks: {
              callback(v) {
                return truncate(this.getLabelForValue(v), 64);
              },
            },
          },
        },
      },
      plugins: [ciWhiskers],
    });
    toggle.addEventListener('change', () => {
      chart.options.scales.x.type = toggle.checked ? 'logarithmic' : 'linear';
      chart.options.scales.x.ticks = ticks(fmtMs, toggle.checked);
      chart.update();
    });
    const legend = document.getElementById('latency-legend');
    for (const backend of [...new Set(results.map((r) => r.backend))]) {
      const item = document.createElement('span');
      const swatch = document.createElement('i');
      swatch.style.background = color(backend);
      item.append(swatch, backend);
      legend.append(item);
    }
  }

  // A dashed line at the median of the histogram shown.
  const medianLine = {
    id: 'medianLine',
    afterDatasetsDraw(chart) {
      const median = chart.options.plugins.medianLine.value;
      const { ctx, chartArea, scales } = chart;
      const x = scales.x.getPixelForValue(median);
      ctx.save();
      ctx.strokeStyle = '#0f172a';
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(x, chartArea.top);
      ctx.lineTo(x, chartArea.bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = '#0f172a';
      ctx.textAlign = x > chartArea.right - 90 ? 'right' : 'left';
      ctx.fillText(' median ' + fmtMs(median) + ' ', x, chartArea.top + 10);
      ctx.restore();
    },
  };

  function histogramChart() {
    const shown = results.filter((r) => r.hist);
    if (!shown.length) return empty('chart-histogram', 'No raw samples to draw.');
    const select = document.getElementById('hist-select');
    shown.forEach((r, i) => select.add(new window.Option(r.label, String(i))));
    const note = document.getElementById('hist-note');
    let chart;
    function show(i) {
      const r = shown[i];
      const h = r.hist;
      const dataset = {
        label: 'runs',
        data: h.counts.map((c, k) => ({ x: h.start + (k + 0.5) * h.width, y: c })),
        backgroundColor: color(r.backend) + '99',
        borderColor: color(r.backend),
        borderWidth: 1,
        barPercentage: 1,
        categoryPercentage: 1,
      };
      const x = { min: h.start, max: h.start + h.counts.length * h.width };
      note.textContent =
        r.n +
        ' measured runs, ' +
        h.counts.length +
        ' bins of ' +
        fmtMs(h.width) +
        (h.above ? '; ' + h.above + ' slower runs (above ' + fmtMs(x.max) + ', the p99) not drawn' : '');
      if (chart) {
        chart.data.datasets = [dataset];
        Object.assign(chart.options.scales.x, x);
        chart.options.plugins.medianLine.value = r.p50;
        return chart.update();
      }
      chart = new Chart(document.getElementById('chart-histogram'), {
        type: 'bar',
        data: { datasets: [dataset] },
        options: {
          plugins: {
            legend: { display: false },
            medianLine: { value: r.p50 },
            tooltip: {
              callbacks: {
                title: (items) => {
                  const c = chart.data.datasets[0].data[items[0].dataIndex].x;
                  const w = shown[select.selectedIndex].hist.width / 2;
                  return fmtMs(c - w) + ' – ' + fmtMs(c + w);
                },
                label: (c) => c.parsed.y + ' runs',
              },
            },
          },
          scales: {
            x: Object.assign(
              {
                type: 'linear',
                offset: false,
                title: { display: true, text: 'latency' },
                ticks: { callback: fmtMs, maxRotation: 0 },
              },
              x,
            ),
            y: { beginAtZero: true, title: { display: true, text: 'runs' }, ticks: { precision: 0 } },
          },
        },
        plugins: [medianLine],
      });
    }
    select.addEventListener('change', () => show(select.selectedIndex));
    show(0);
  }

  function macsChart() {
    const points = results.filter((r) => r.macs > 0);
    if (!points.length) return empty('chart-macs', 'No result carries the cost model’s MACs.');
    const backends = [...new Set(points.map((r) => r.backend))];
    new Chart(document.getElementById('chart-macs'), {
      type: 'scatter',
      data: {
        datasets: backends.map((b) => ({
          label: b,
          data: points.filter((r) => r.backend === b).map((r) => ({ x: r.macs, y: r.p50, r })),
          backgroundColor: color(b) + 'cc',
          borderColor: color(b),
          pointRadius: 5,
          pointHoverRadius: 7,
        })),
      },
      options: {
        plugins: {
          legend: { position: 'bottom', labels: { usePointStyle: true, boxHeight: 7 } },
          tooltip: {
            callbacks: {
              title: (items) => items[0].raw.r.label,
              label: (c) => {
                const r = c.raw.r;
                return fmtCount(r.macs) + ' MACs · ' + fmtMs(r.p50) + ' · ' + r.gflops.toFixed(1) + ' GFLOP/s';
              },
            },
          },
        },
        scales: {
          x: {
            type: 'logarithmic',
            title: { display: true, text: 'MACs (cost model)' },
            ticks: ticks(fmtCount, true),
            grid,
          },
          y: { type: 'logarithmic', title: { display: true, text: 'median latency' }, ticks: ticks(fmtMs, true), grid },
        },
      },
    });
  }

  latencyChart();
  histogramChart();
  macsChart();
})();
