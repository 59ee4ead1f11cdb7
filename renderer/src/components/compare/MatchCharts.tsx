import * as Plot from '@observablehq/plot';
import { useMemo } from 'react';
import type { MatchResult } from '../../../../preload/api';
import { PlotFigure, themeColor } from '../charts/PlotFigure';
import type { matchRows } from './MatchTable';
import { scoreBins, type ScoreBin } from './scoreBins';

type Row = ReturnType<typeof matchRows>[number];

/** How many unmatched features the "no counterpart" tile names by id (the rest are a click away in the list). */
const NAMED_UNMATCHED = 6;

/**
 * Best-match scores of every B feature: bars split into features with a counterpart (score at or
 * above the threshold, A's colour) and without (B's colour, with their count over the bar and a
 * clickable dot per feature on the axis), and beside the plot a tile counting every B feature
 * with no counterpart (including those with no candidate at all, which no bin can hold) that
 * filters the list to them.
 */
export function ScoreHistogram({ match, rows, threshold, onPick, onShowUnmatched }: { match: MatchResult; rows: Row[]; threshold: number; onPick: (feature: number) => void; onShowUnmatched: () => void }) {
  // Dead B features (never fired on the indexed tokens) have nothing to match: left out, as the list hides them.
  const live = useMemo(() => rows.filter((r) => r.densityB > 0), [rows]);
  const dead = rows.length - live.length;
  const binning = useMemo(() => scoreBins(live.map((r) => r.score), threshold), [live, threshold]);
  const unmatched = useMemo(() => live.filter((r) => r.score === null || r.score < threshold).sort((x, y) => (x.score ?? -Infinity) - (y.score ?? -Infinity) || x.feature - y.feature), [live, threshold]);
  const dots = unmatched.flatMap((r) => (r.score === null ? [] : [{ feature: r.feature, score: r.score, match: r.match }]));
  const scoreName = match.method === 'activation' ? 'Pearson r' : 'decoder cosine';
  return (
    <figure className="chart-card">
      <figcaption className="small">
        Best-match {scoreName} of each live B feature{dead > 0 ? ` (${dead.toLocaleString('en-US')} dead left out)` : ''}. <span className="legend-chip chip-a" /> has a counterpart (≥ {threshold}) · <span className="legend-chip chip-b" /> no counterpart (below the dashed line; the dots on the axis are those features: click one to open it).
      </figcaption>
      <div className="score-hist">
        <PlotFigure
          label="Match score distribution"
          deps={[match.createdAt, threshold, live]}
          minHeight={180}
          onPick={(d) => {
            const feature = (d as { feature?: unknown }).feature;
            if (typeof feature === 'number') onPick(feature);
          }}
          options={() => ({
            height: 180,
            marginLeft: 44,
            marginTop: 16,
            x: { label: match.method === 'activation' ? 'best-match Pearson r' : 'best-match cosine', domain: [binning.lo, 1] },
            y: { label: 'B features', grid: true },
            marks: [
              Plot.rect(binning.bins, { x1: 'x1', x2: 'x2', y1: 0, y2: 'unmatched', fill: themeColor('--model-b'), inset: 0.5, title: (b: ScoreBin) => `${b.x1.toFixed(3)}–${b.x2.toFixed(3)}: ${b.unmatched} with no counterpart` }),
              Plot.rect(binning.bins, { x1: 'x1', x2: 'x2', y1: 'unmatched', y2: (b: ScoreBin) => b.unmatched + b.matched, fill: themeColor('--model-a'), inset: 0.5, title: (b: ScoreBin) => `${b.x1.toFixed(3)}–${b.x2.toFixed(3)}: ${b.matched} with a counterpart` }),
              Plot.text(
                binning.bins.filter((b) => b.unmatched > 0),
                { x: (b: ScoreBin) => (b.x1 + b.x2) / 2, y: (b: ScoreBin) => b.unmatched + b.matched, text: (b: ScoreBin) => String(b.unmatched), dy: -7, fill: themeColor('--model-b'), fontWeight: 700 },
              ),
              Plot.ruleX([threshold], { stroke: themeColor('--text'), strokeDasharray: '4,3' }),
              Plot.ruleY([0]),
              Plot.dot(dots, { x: 'score', y: 0, r: 4, fill: themeColor('--model-b'), stroke: themeColor('--panel', 'white'), tip: true, title: (p: { feature: number; score: number; match: number | null }) => `B #${p.feature}: best match A #${p.match} at ${p.score.toFixed(3)}, below ${threshold}. Click to open.` }),
            ],
          })}
        />
        <div className="no-counterpart" role="group" aria-label="No counterpart">
          <button className="link no-counterpart-count" onClick={onShowUnmatched} disabled={unmatched.length === 0} title="Show them in the list below">
            {unmatched.length.toLocaleString('en-US')}
          </button>
          <div className="small">
            B feature{unmatched.length === 1 ? '' : 's'} with no counterpart
            {binning.noCandidate > 0 && (
              <span className="muted">
                {' '}
                ({binning.noCandidate.toLocaleString('en-US')} with no candidate at all)
              </span>
            )}
          </div>
          {unmatched.length > 0 && (
            <div className="small no-counterpart-ids">
              {unmatched.slice(0, NAMED_UNMATCHED).map((f) => (
                <button key={f.feature} className="link" onClick={() => onPick(f.feature)} title={f.score === null ? 'no candidate in A' : `best match A #${f.match} at ${f.score.toFixed(3)}`}>
                  #{f.feature}
                </button>
              ))}
              {unmatched.length > NAMED_UNMATCHED && <span className="muted"> …</span>}
            </div>
          )}
          {unmatched.length > 0 && (
            <button className="small" onClick={onShowUnmatched}>
              List them
            </button>
          )}
        </div>
      </div>
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
