/**
 * The experiment plots, all Observable Plot through PlotFigure:
 *  - NullBandPlot: per panel, the real effect (large dot) against its null: the band mean ± 2 SEM,
 *    SEM whiskers around the null mean, each seed's value (small dots, below) and every single
 *    random draw (rings, above: what the p-value counts);
 *  - SweepPlot: effect against steering strength per panel, with the null's ± 2 SEM band;
 *  - ProbePlot: held-out accuracy per probe with the majority baseline marked.
 */
import * as Plot from '@observablehq/plot';
import { PlotFigure, themeColor } from '../charts/PlotFigure';
import { num } from './experimentFormat';

/** Room for the longest row label (about 6.5 px a character), within limits of the plot's width. */
function labelMargin(labels: string[], width: number): number {
  const longest = Math.max(0, ...labels.map((l) => l.length));
  return Math.round(Math.min(width * 0.4, Math.max(70, longest * 6.5 + 14)));
}

/** Labels longer than the room allows are cut with an ellipsis (the full text is in the table and the title). */
function clip(label: string, max = 48): string {
  return label.length > max ? `${label.slice(0, max - 1)}…` : label;
}

export interface NullBandRow {
  label: string;
  effect: number;
  null: { seeds: number[]; mean: number | null; sem: number | null; draws?: { effects: number[] }[] } | null;
}

export function NullBandPlot({ rows, metricLabel, deps }: { rows: NullBandRow[]; metricLabel: string; deps: unknown[] }) {
  const withNull = rows.filter((r) => r.null && r.null.mean !== null && r.null.sem !== null) as (NullBandRow & { null: { seeds: number[]; mean: number; sem: number } })[];
  const seeds = withNull.flatMap((r) => r.null.seeds.map((v, s) => ({ label: r.label, value: v, seed: s })));
  const single = withNull.flatMap((r) => (r.null.draws ?? []).flatMap((d, s) => d.effects.map((v, k) => ({ label: r.label, value: v, seed: s, draw: k }))));
  return (
    <PlotFigure
      label="Effect against the null band"
      deps={deps}
      minHeight={70 + rows.length * 56}
      options={(width) => ({
        height: 50 + rows.length * 56,
        marginLeft: labelMargin(rows.map((r) => r.label), width),
        marginRight: 24,
        // Inset: an effect at the end of the range keeps its value label inside the plot.
        x: { label: `change in ${metricLabel}`, grid: true, nice: true, inset: 28 },
        y: { label: null, domain: rows.map((r) => r.label) },
        marks: [
          Plot.ruleX([0], { stroke: themeColor('--muted', '#888'), strokeDasharray: '3,3' }),
          Plot.barX(withNull, { y: 'label', x1: (r) => r.null.mean - 2 * r.null.sem, x2: (r) => r.null.mean + 2 * r.null.sem, fill: themeColor('--muted', '#888'), fillOpacity: 0.22, insetTop: 12, insetBottom: 12, title: (r) => `null mean ${num(r.null.mean)} ± 2 SEM (${num(2 * r.null.sem)})` }),
          Plot.ruleY(withNull, { y: 'label', x1: (r) => r.null.mean - r.null.sem, x2: (r) => r.null.mean + r.null.sem, stroke: themeColor('--muted', '#888'), strokeWidth: 2 }),
          Plot.tickX(withNull, { y: 'label', x: (r) => r.null.mean, stroke: themeColor('--muted', '#888'), strokeWidth: 2 }),
          Plot.dot(seeds, { y: 'label', x: 'value', r: 2.5, fill: themeColor('--muted', '#888'), dy: 9, title: (d) => `seed ${d.seed}: ${num(d.value)}` }),
          Plot.dot(single, { y: 'label', x: 'value', r: 3, stroke: themeColor('--muted', '#888'), strokeWidth: 1.2, fill: 'none', dy: -9, title: (d) => `seed ${d.seed}, draw ${d.draw + 1}: ${num(d.value)}` }),
          Plot.text(withNull, { y: 'label', x: (r) => r.null.mean, text: () => 'null', dy: 22, fill: themeColor('--muted', '#888'), fontSize: 10 }),
          Plot.dot(rows, { y: 'label', x: 'effect', r: 6, fill: themeColor('--accent', '#2563eb'), stroke: 'white', title: (r) => `effect ${num(r.effect)}` }),
          Plot.text(rows, { y: 'label', x: 'effect', text: (r) => num(r.effect), dy: -13, fill: 'currentColor', fontSize: 11 }),
        ],
      })}
    />
  );
}

export interface SweepSeries {
  label: string;
  points: { strength: number; effect: number; nullMean: number | null; nullSem: number | null }[];
}

export function SweepPlot({ series, metricLabel, deps }: { series: SweepSeries[]; metricLabel: string; deps: unknown[] }) {
  const points = series.flatMap((s) => s.points.map((p) => ({ ...p, label: s.label })));
  const band = points.filter((p) => p.nullMean !== null && p.nullSem !== null);
  return (
    <PlotFigure
      label="Steering sweep"
      deps={deps}
      minHeight={260}
      options={() => ({
        height: 260,
        marginLeft: 56,
        x: { label: 'strength c', grid: true },
        y: { label: `change in ${metricLabel}`, grid: true },
        color: { legend: true, scheme: 'tableau10' },
        marks: [
          Plot.ruleY([0], { stroke: themeColor('--muted', '#888') }),
          Plot.areaY(band, { x: 'strength', y1: (p) => p.nullMean! - 2 * p.nullSem!, y2: (p) => p.nullMean! + 2 * p.nullSem!, fill: 'label', fillOpacity: 0.15, z: 'label' }),
          Plot.line(band, { x: 'strength', y: 'nullMean', stroke: 'label', strokeDasharray: '4,3', z: 'label' }),
          Plot.line(points, { x: 'strength', y: 'effect', stroke: 'label', z: 'label', strokeWidth: 2 }),
          Plot.dot(points, { x: 'strength', y: 'effect', fill: 'label', r: 4, tip: true, title: (p) => `${p.label}\nc = ${num(p.strength)}: ${num(p.effect)} (null ${num(p.nullMean)} ± ${num(p.nullSem)} SEM)` }),
        ],
      })}
    />
  );
}

export interface ProbeBar {
  label: string;
  accuracy: number | null;
  baseline: number | null;
  auroc: number | null;
}

/**
 * Held-out accuracy per probe. Probe labels (model · source · hook) are long: each is written in
 * full above its bar, across the plot's width, rather than squeezed into a left margin.
 */
export function ProbePlot({ bars, deps }: { bars: ProbeBar[]; deps: unknown[] }) {
  const rows = bars.map((b, i) => ({ ...b, row: String(i) }));
  return (
    <PlotFigure
      label="Probe accuracy"
      deps={deps}
      minHeight={60 + bars.length * 54}
      options={(width) => ({
        height: 50 + bars.length * 54,
        marginLeft: 12,
        marginRight: 96,
        x: { label: 'held-out accuracy', domain: [0, 1], grid: true, tickFormat: '.0%' },
        y: { axis: null, domain: rows.map((r) => r.row) },
        marks: [
          Plot.barX(rows, { y: 'row', x: (b) => b.accuracy ?? 0, fill: themeColor('--accent', '#2563eb'), insetTop: 22, insetBottom: 4, title: (b) => `${b.label}: accuracy ${num(b.accuracy)}` }),
          Plot.tickX(
            rows.filter((b) => b.baseline !== null),
            { y: 'row', x: 'baseline', stroke: themeColor('--bad', '#b91c1c'), strokeWidth: 3, insetTop: 22, insetBottom: 4, title: (b) => `majority baseline ${num(b.baseline)}` },
          ),
          Plot.text(rows, { y: 'row', x: 0, text: (b) => clip(b.label, Math.max(24, Math.floor((width - 120) / 6.8))), textAnchor: 'start', dy: -15, fill: 'currentColor', fontSize: 12, title: (b) => b.label }),
          Plot.text(rows, { y: 'row', x: 1, text: (b) => `AUROC ${b.auroc === null ? '–' : b.auroc.toFixed(3)}`, textAnchor: 'start', dx: 6, dy: 9, fill: 'currentColor' }),
        ],
      })}
    />
  );
}
