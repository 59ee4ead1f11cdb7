/**
 * Training curves as small multiples (Observable Plot through PlotFigure): loss, MSE, AuxK loss,
 * FVE, L0, dead %, lr, throughput and gradient norm against steps or tokens, one line per run and
 * hook, overlaid. A TensorBoard-style smoothing slider (debiased EMA) draws the raw curve faintly
 * under the smoothed one; hovering a panel reads the values off. `TrainingCharts` draws given
 * points; `RunCharts` fetches and follows runs by job id (for the Training page and the Queue).
 */
import * as Plot from '@observablehq/plot';
import { useMemo, useState } from 'react';
import type { TrainMetricPoint } from '../../../../preload/api';
import { PlotFigure, themeColor } from '../charts/PlotFigure';
import { smoothSeries } from './smoothing';
import { useRunMetrics } from './useRunMetrics';
import './training.css';

export interface ChartSeries {
  /** Unique key (run id + hook). */
  key: string;
  label: string;
  points: TrainMetricPoint[];
}

type MetricKey = 'loss' | 'mse' | 'aux' | 'fve' | 'fve_a' | 'fve_b' | 'l0' | 'dead_pct' | 'lr' | 'tokens_per_s' | 'grad_norm';

/** `optional` panels (a crosscoder's per-model FVE) are drawn only when some run has their points. */
const METRICS: { key: MetricKey; title: string; log?: boolean; smooth: boolean; format: string; optional?: boolean }[] = [
  { key: 'loss', title: 'Loss (MSE + AuxK)', log: true, smooth: true, format: '~g' },
  { key: 'mse', title: 'MSE', log: true, smooth: true, format: '~g' },
  { key: 'aux', title: 'AuxK loss', smooth: true, format: '~g' },
  { key: 'fve', title: 'FVE (training batches)', smooth: true, format: '~g' },
  { key: 'fve_a', title: 'FVE of model A (crosscoder)', smooth: true, format: '~g', optional: true },
  { key: 'fve_b', title: 'FVE of model B (crosscoder)', smooth: true, format: '~g', optional: true },
  { key: 'l0', title: 'L0', smooth: true, format: '~g' },
  { key: 'dead_pct', title: 'Dead latents %', smooth: false, format: '~g' },
  { key: 'lr', title: 'Learning rate', smooth: false, format: '~g' },
  { key: 'tokens_per_s', title: 'Tokens / s (whole job)', smooth: true, format: '~s' },
  { key: 'grad_norm', title: 'Gradient norm (before clipping)', log: true, smooth: true, format: '~g' },
];

/** A y domain that stays drawable when every value is the same (a flat 0 of AuxK or dead %). */
function yDomain(rows: Row[], log: boolean): [number, number] | undefined {
  if (rows.length === 0) return undefined;
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of rows) {
    lo = Math.min(lo, r.y);
    hi = Math.max(hi, r.y);
  }
  if (hi - lo > 1e-12 * Math.max(1, Math.abs(hi))) return undefined;
  if (log) return [lo / 2, hi * 2];
  return lo === 0 ? [0, 1] : [lo - Math.abs(lo) / 2, hi + Math.abs(hi) / 2];
}

interface Row {
  series: string;
  x: number;
  y: number;
}

const PALETTE = ['#2563eb', '#c2410c', '#15803d', '#7c3aed', '#db2777', '#0891b2', '#a16207', '#4b5563'];

export function TrainingCharts({ series, height = 170 }: { series: ChartSeries[]; height?: number }) {
  const [xAxis, setXAxis] = useState<'step' | 'tokens'>('step');
  const [smoothing, setSmoothing] = useState(0.6);
  const labels = series.map((s) => s.label);
  const colors = series.length === 1 ? [themeColor('--accent', PALETTE[0])] : labels.map((_, i) => PALETTE[i % PALETTE.length]);
  const data = useMemo(() => {
    const out: Record<MetricKey, { raw: Row[]; smooth: Row[] }> = Object.fromEntries(METRICS.map((m) => [m.key, { raw: [], smooth: [] }])) as never;
    for (const m of METRICS) {
      for (const s of series) {
        const value = (p: TrainMetricPoint) => p[m.key] ?? Number.NaN;
        const pts = s.points.filter((p) => Number.isFinite(value(p)) && (!m.log || value(p) > 0));
        const xs = pts.map((p) => (xAxis === 'step' ? p.step : p.tokens));
        const ys = pts.map(value);
        const sm = m.smooth ? smoothSeries(ys, smoothing) : ys;
        xs.forEach((x, i) => {
          out[m.key].raw.push({ series: s.label, x, y: ys[i] });
          out[m.key].smooth.push({ series: s.label, x, y: sm[i] });
        });
      }
    }
    return out;
  }, [series, xAxis, smoothing]);
  const empty = series.every((s) => s.points.length === 0);
  return (
    <div className="training-charts">
      <div className="chart-toolbar">
        <div className="chart-legend" aria-label="Chart legend">
          {labels.map((l, i) => (
            <span key={l} className="legend-item">
              <span className="legend-swatch" style={{ background: colors[i] }} />
              {l}
            </span>
          ))}
        </div>
        <label className="small">
          x axis{' '}
          <select aria-label="x axis" value={xAxis} onChange={(e) => setXAxis(e.target.value as 'step' | 'tokens')}>
            <option value="step">steps</option>
            <option value="tokens">tokens</option>
          </select>
        </label>
        <label className="small">
          Smoothing {smoothing.toFixed(2)}{' '}
          <input aria-label="Smoothing" type="range" min={0} max={0.95} step={0.05} value={smoothing} onChange={(e) => setSmoothing(Number(e.target.value))} />
        </label>
      </div>
      {empty ? (
        <p className="muted small">No points yet: the first appear after the first logging interval.</p>
      ) : (
        <div className="chart-grid">
          {METRICS.filter((m) => !m.optional || data[m.key].raw.length > 0).map((m) => (
            <div key={m.key} className="chart-panel">
              <div className="chart-title">{m.title}</div>
              <PlotFigure
                label={`${m.title} chart`}
                minHeight={height}
                deps={[data, colors.join(), height]}
                options={() => ({
                  height,
                  marginLeft: 52,
                  marginRight: 12,
                  x: { label: xAxis === 'step' ? 'step' : 'tokens', grid: true, tickFormat: '~s' },
                  y: { type: m.log ? 'log' : 'linear', grid: true, label: null, tickFormat: m.format, ticks: 4, domain: yDomain(data[m.key].raw, m.log ?? false) },
                  color: { domain: labels, range: colors },
                  marks: [
                    ...(m.smooth && smoothing > 0 ? [Plot.line(data[m.key].raw, { x: 'x', y: 'y', stroke: 'series', strokeOpacity: 0.25, strokeWidth: 1 })] : []),
                    Plot.line(data[m.key].smooth, { x: 'x', y: 'y', stroke: 'series', strokeWidth: 1.6 }),
                    Plot.tip(data[m.key].smooth, Plot.pointerX({ x: 'x', y: 'y', stroke: 'series', title: (r: Row) => `${r.series}\n${xAxis} ${r.x.toLocaleString()}\n${m.title}: ${formatValue(r.y)}` })),
                  ],
                })}
              />
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

function formatValue(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1000 ? Math.round(v).toLocaleString() : a >= 0.01 ? v.toPrecision(4) : v.toExponential(3);
}

/**
 * Curves of one or several runs by job id, live while they run (hooks of a run get one line each),
 * under the core's warnings on the first run's curve (a dead share still rising after warm-up:
 * the likely cause and the knob to turn).
 */
export function RunCharts({ runs, phase = 'train' }: { runs: { jobId: string; label: string }[]; phase?: string }) {
  const { points: metrics, warnings } = useRunMetrics(runs.map((r) => r.jobId));
  const series = useMemo(() => {
    const out: ChartSeries[] = [];
    for (const r of runs) {
      const pts = (metrics[r.jobId] ?? []).filter((p) => p.phase === phase);
      const hooks = [...new Set(pts.map((p) => p.hook))];
      if (hooks.length === 0) out.push({ key: r.jobId, label: r.label, points: [] });
      for (const h of hooks) out.push({ key: `${r.jobId}|${h}`, label: hooks.length > 1 ? `${r.label} · ${h}` : r.label, points: pts.filter((p) => p.hook === h) });
    }
    return out;
  }, [runs, metrics, phase]);
  const shown = runs[0] ? (warnings[runs[0].jobId] ?? []) : [];
  return (
    <>
      {shown.map((w) => (
        <div key={w.hook} className="warning-note" role="alert" aria-label={`Dead latents rising at ${w.hook}`} data-cause={w.cause}>
          <strong>
            Dead latents still rising at {w.hook}: {w.fromPct.toFixed(1)} % → {w.toPct.toFixed(1)} % after warm-up (steps {w.sinceStep}–{w.atStep}).
          </strong>{' '}
          Likely cause: {w.message} <em>{w.knob}</em>
        </div>
      ))}
      <TrainingCharts series={series} />
    </>
  );
}
