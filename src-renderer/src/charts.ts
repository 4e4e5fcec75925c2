// chart.js with only the pieces the app draws (tree-shaken), one colour, dash pattern and point
// style per method (series stay apart where colours overlap or print in grey), and two small
// plugins drawing with the canvas itself: interval bars and point labels.
import { Chart, Legend, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip, type ChartOptions, type Plugin, type PointStyle, type Scale, type TooltipItem } from 'chart.js';
import type { ConfidenceInterval, Method } from '../../src-main/engine/api/types';

Chart.defaults.font.size = 11;
Chart.defaults.animation = false;

export const METHOD_COLORS: Record<Method, string> = {
  large: '#3b5bdb',
  small: '#868e96',
  bild: '#e8590c',
  speculative: '#0c8599',
};

export const METHOD_DASH: Record<Method, number[]> = {
  large: [],
  small: [2, 3],
  bild: [7, 3],
  speculative: [7, 3, 2, 3],
};

export const METHOD_POINT: Record<Method, PointStyle> = {
  large: 'circle',
  small: 'triangle',
  bild: 'rectRot',
  speculative: 'rect',
};

/** A scatter point that may carry its 95% intervals (drawn as bars) and a text label drawn beside it. */
export interface CIPoint {
  x: number;
  y: number;
  xCI?: ConfidenceInterval | null;
  yCI?: ConfidenceInterval | null;
  tag?: string;
}

const isCIPoint = (p: unknown): p is CIPoint => typeof p === 'object' && p !== null && 'x' in p && 'y' in p;

/** Draws each point's xCI / yCI as whiskered line segments in its dataset's colour. */
const intervalBars: Plugin = {
  id: 'intervalBars',
  afterDatasetsDraw(chart) {
    const { ctx, scales } = chart;
    const x = scales.x;
    const y = scales.y;
    if (!x || !y) return;
    chart.data.datasets.forEach((ds, i) => {
      if (!chart.isDatasetVisible(i)) return;
      ctx.save();
      ctx.strokeStyle = typeof ds.borderColor === 'string' ? ds.borderColor : '#495057';
      ctx.lineWidth = 1;
      for (const p of ds.data) {
        if (!isCIPoint(p)) continue;
        const px = x.getPixelForValue(p.x);
        const py = y.getPixelForValue(p.y);
        const segment = (x0: number, y0: number, x1: number, y1: number): void => {
          ctx.beginPath();
          ctx.moveTo(x0, y0);
          ctx.lineTo(x1, y1);
          ctx.stroke();
        };
        if (p.xCI) {
          const [a, b] = p.xCI.map((v) => x.getPixelForValue(v)) as [number, number];
          segment(a, py, b, py);
          segment(a, py - 3, a, py + 3);
          segment(b, py - 3, b, py + 3);
        }
        if (p.yCI) {
          const [a, b] = p.yCI.map((v) => y.getPixelForValue(v)) as [number, number];
          segment(px, a, px, b);
          segment(px - 3, a, px + 3, a);
          segment(px - 3, b, px + 3, b);
        }
      }
      ctx.restore();
    });
  },
};

/** Writes each point's `tag` above and right of it (a visible label, not only a tooltip). */
const pointTags: Plugin = {
  id: 'pointTags',
  afterDatasetsDraw(chart) {
    const { ctx, scales } = chart;
    if (!scales.x || !scales.y) return;
    ctx.save();
    ctx.font = `${Chart.defaults.font.size ?? 11}px system-ui, sans-serif`;
    ctx.fillStyle = '#343a40';
    chart.data.datasets.forEach((ds, i) => {
      if (!chart.isDatasetVisible(i)) return;
      for (const p of ds.data) if (isCIPoint(p) && p.tag) ctx.fillText(p.tag, scales.x.getPixelForValue(p.x) + 5, scales.y.getPixelForValue(p.y) - 5);
    });
    ctx.restore();
  },
};

Chart.register(LineController, ScatterController, LineElement, PointElement, LinearScale, Legend, Tooltip, intervalBars, pointTags);

/** "[lo, hi]" of an interval's bounds. */
export function ciText(ci: ConfidenceInterval | null | undefined, digits: number): string {
  // over HTTP a non-finite bound arrives as null
  return ci && Number.isFinite(ci[0]) && Number.isFinite(ci[1]) ? `[${ci[0].toFixed(digits)}, ${ci[1].toFixed(digits)}]` : '–';
}

/** Every corpus metric the app reports (BLEU, ROUGE-Lsum, chrF) is a score within 0..100. */
export const METRIC_RANGE = { min: 0, max: 100 } as const;

/**
 * An `afterDataLimits` hook: the scale's range widened to the points' interval bars on its axis
 * (chart.js sees only the points), then kept within `bounds`, before chart.js rounds it to its
 * ticks (which round outward to steps that divide 100). Without the bounds, chart.js pads a range
 * where every point is equal (a toy pair's BLEU 100 for every method) by 5% on each side: 95..105.
 */
function fitIntervals(axis: 'x' | 'y', bounds?: { min: number; max: number }): (scale: Scale) => void {
  return (scale) => {
    for (const ds of scale.chart.data.datasets)
      for (const p of ds.data) {
        const ci = isCIPoint(p) ? (axis === 'x' ? p.xCI : p.yCI) : null;
        if (!ci || !Number.isFinite(ci[0]) || !Number.isFinite(ci[1])) continue;
        scale.min = Math.min(scale.min, ci[0]);
        scale.max = Math.max(scale.max, ci[1]);
      }
    if (!bounds) return;
    scale.min = Math.max(scale.min, bounds.min);
    scale.max = Math.min(scale.max, bounds.max);
    if (scale.min >= scale.max) scale.min = bounds.min; // every point on the bound
  };
}

/** Options of a quality-vs-speedup scatter (a run's methods, a sweep's points): axes, legend, and `label` for each point's tooltip. */
export function qualitySpeedupOptions(qualityName: string, label: (c: TooltipItem<'scatter'>) => string, extra: ChartOptions<'scatter'> = {}): ChartOptions<'scatter'> {
  return {
    responsive: true,
    maintainAspectRatio: false,
    ...extra,
    // a point on the metric's bound (BLEU 100) is drawn whole, not cut by the chart area
    datasets: { scatter: { clip: false } },
    scales: {
      x: { type: 'linear', title: { display: true, text: 'speedup vs large (×)' }, afterDataLimits: fitIntervals('x') },
      y: { type: 'linear', title: { display: true, text: qualityName }, afterDataLimits: fitIntervals('y', METRIC_RANGE) },
    },
    plugins: {
      legend: { position: 'bottom', labels: { boxWidth: 10, usePointStyle: true } },
      tooltip: { callbacks: { label } },
    },
  };
}

export { Chart };
