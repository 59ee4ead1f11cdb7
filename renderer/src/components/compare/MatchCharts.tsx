import * as Plot from '@observablehq/plot';
import type { MatchResult } from '../../../../preload/api';
import { PlotFigure, themeColor } from '../charts/PlotFigure';
import type { matchRows } from './MatchTable';

type Row = ReturnType<typeof matchRows>[number];

/** Best-match scores of every B feature that has one, with the "no counterpart" threshold. */
export function ScoreHistogram({ match, threshold }: { match: MatchResult; threshold: number }) {
  const scores = match.features.flatMap((f) => (f.match_score === null ? [] : [{ score: f.match_score }]));
  const none = match.features.length - scores.length;
  return (
    <figure className="chart-card">
      <figcaption className="small">
        Best-match {match.method === 'activation' ? 'Pearson r' : 'decoder cosine'} of each B feature ({scores.length.toLocaleString('en-US')}; {none.toLocaleString('en-US')} with no candidate). Below the line: no counterpart.
      </figcaption>
      <PlotFigure
        label="Match score distribution"
        deps={[match.createdAt, threshold]}
        minHeight={180}
        options={() => ({
          height: 180,
          marginLeft: 44,
          x: { label: match.method === 'activation' ? 'best-match Pearson r' : 'best-match cosine', domain: [Math.min(0, ...scores.map((s) => s.score)), 1] },
          y: { label: 'B features', grid: true },
          marks: [
            Plot.rectY(scores, { ...Plot.binX({ y: 'count' }, { x: 'score', thresholds: 40 }), fill: themeColor('--model-b'), inset: 0.5 }),
            Plot.ruleX([threshold], { stroke: themeColor('--text'), strokeDasharray: '4,3' }),
            Plot.ruleY([0]),
          ],
        })}
      />
    </figure>
  );
}

/** Density of each B feature against its match's density in A, log-log; a click opens the pair. */
export function DensityScatter({ rows, threshold, onPick, labels }: { rows: Row[]; threshold: number; onPick: (feature: number) => void; labels: { a: string; b: string } }) {
  const points = rows.filter((r) => r.densityB > 0 && r.densityA !== null && r.densityA > 0).map((r) => ({ ...r, status: r.score !== null && r.score >= threshold ? 'matched' : 'below threshold' }));
  const lo = Math.min(...points.flatMap((p) => [p.densityA!, p.densityB]), 1e-4);
  return (
    <figure className="chart-card">
      <figcaption className="small">Feature density in B vs its best match in A (log-log; click a point to open the pair). On the diagonal: fires as often in both.</figcaption>
      <PlotFigure
        label="Density scatter"
        deps={[rows, threshold]}
        minHeight={260}
        onPick={(d) => onPick((d as Row).feature)}
        options={() => ({
          height: 260,
          marginLeft: 52,
          x: { type: 'log', label: `density in A (${labels.a})`, domain: [lo, 1] },
          y: { type: 'log', label: `density in B (${labels.b})`, domain: [lo, 1] },
          color: { domain: ['matched', 'below threshold'], range: [themeColor('--model-a'), themeColor('--model-b')], legend: true },
          marks: [
            Plot.line([[lo, lo], [1, 1]], { stroke: themeColor('--muted'), strokeDasharray: '3,3' }),
            Plot.dot(points, { x: 'densityA', y: 'densityB', fill: 'status', r: 3, fillOpacity: 0.75, tip: true, title: (p: Row) => `B #${p.feature} ↔ A #${p.match} (score ${p.score?.toFixed(2)})` }),
          ],
        })}
      />
    </figure>
  );
}
