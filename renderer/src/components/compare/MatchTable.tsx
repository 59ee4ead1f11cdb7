import { useVirtualizer } from '@tanstack/react-virtual';
import { useMemo, useRef, useState } from 'react';
import type { DiffResult, FeatureListing, MatchResult } from '../../../../preload/api';
import { featureHref, formatDensity } from '../features/FeatureView';
import { LabelTag } from '../labels/LabelTag';
import { labelNames, useFeatureLabels } from '../labels/useFeatureLabels';

export type MatchSort = 'score' | 'densityRatio' | 'asymmetry' | 'feature';

interface Row {
  feature: number;
  densityB: number;
  match: number | null;
  score: number | null;
  runnerUp: number | null;
  runnerUpScore: number | null;
  assigned: number | null;
  densityA: number | null;
  /** density B / density of its match in A. */
  densityRatio: number | null;
  asymmetry: number | null;
}

export function matchRows(match: MatchResult, listingA: FeatureListing, listingB: FeatureListing, diff: DiffResult | null): Row[] {
  const asym = new Map(diff?.features.map((f) => [f.feature, f.asymmetry]) ?? []);
  return match.features.map((m) => {
    const densityA = m.match === null ? null : listingA.density[m.match];
    const densityB = listingB.density[m.feature];
    return {
      feature: m.feature,
      densityB,
      match: m.match,
      score: m.match_score,
      runnerUp: m.runner_up,
      runnerUpScore: m.runner_up_score,
      assigned: m.assigned,
      densityA,
      densityRatio: densityA ? densityB / densityA : null,
      asymmetry: asym.get(m.feature) ?? null,
    };
  });
}

const SORTS: { id: MatchSort; label: string }[] = [
  { id: 'score', label: 'match score' },
  { id: 'densityRatio', label: 'density ratio' },
  { id: 'asymmetry', label: 'asymmetry (diff)' },
  { id: 'feature', label: 'feature id' },
];

/**
 * Every B feature with its best match in A: virtualised (thousands of rows stay fast), sortable,
 * with an "unmatched only" filter at the threshold (held by the page: the histogram's "no
 * counterpart" tile turns it on). A row selects the pair.
 */
export function MatchTable({ rows, threshold, selected, onSelect, indexA, indexB, unmatchedOnly, onUnmatchedOnly }: { rows: Row[]; threshold: number; selected: number | null; onSelect: (f: number) => void; indexA: string; indexB: string; unmatchedOnly: boolean; onUnmatchedOnly: (on: boolean) => void }) {
  const [sort, setSort] = useState<MatchSort>('score');
  const [hideDead, setHideDead] = useState(true);
  const order = useMemo(() => {
    const key = (r: Row): number => {
      const v = sort === 'score' ? r.score : sort === 'densityRatio' ? r.densityRatio : sort === 'asymmetry' ? r.asymmetry : -r.feature;
      return v ?? Number.NEGATIVE_INFINITY;
    };
    return rows
      .filter((r) => (!unmatchedOnly || r.score === null || r.score < threshold) && (!hideDead || r.densityB > 0))
      .sort((a, b) => (sort === 'score' && unmatchedOnly ? key(a) - key(b) : key(b) - key(a)) || a.feature - b.feature);
  }, [rows, sort, unmatchedOnly, hideDead, threshold]);
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: order.length, getScrollElement: () => scroller.current, estimateSize: () => 28, overscan: 10 });
  const num = (v: number | null, digits = 3) => (v === null ? '–' : v.toFixed(digits));
  const labelsA = labelNames(useFeatureLabels({ index: indexA }));
  const labelsB = labelNames(useFeatureLabels({ index: indexB }));
  return (
    <div className="match-table" aria-label="Matches">
      <div className="list-controls small">
        <label>
          Sort by{' '}
          <select aria-label="Sort matches" value={sort} onChange={(e) => setSort(e.target.value as MatchSort)}>
            {SORTS.map((s) => (
              <option key={s.id} value={s.id}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" aria-label="Unmatched only" checked={unmatchedOnly} onChange={(e) => onUnmatchedOnly(e.target.checked)} /> unmatched only (score &lt; {threshold})
        </label>
        <label className="check">
          <input type="checkbox" checked={hideDead} onChange={(e) => setHideDead(e.target.checked)} /> hide dead
        </label>
        <span className="muted">{order.length.toLocaleString('en-US')} rows</span>
      </div>
      <div className="grid-row grid-head small" role="row">
        <span>B feature</span>
        <span className="num">density B</span>
        <span>match in A</span>
        <span className="num">score</span>
        <span>runner-up</span>
        <span className="num">assigned</span>
        <span className="num">density ratio</span>
        <span className="num">asymmetry</span>
      </div>
      <div className="grid-body" ref={scroller} role="grid" aria-rowcount={order.length}>
        <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
          {virtual.getVirtualItems().map((item) => {
            const r = order[item.index];
            const unmatched = r.score === null || r.score < threshold;
            return (
              <div
                key={r.feature}
                role="row"
                data-feature={r.feature}
                className={`grid-row${r.feature === selected ? ' selected' : ''}${unmatched ? ' unmatched' : ''}`}
                style={{ position: 'absolute', top: 0, left: 0, right: 0, height: item.size, transform: `translateY(${item.start}px)` }}
                onClick={() => onSelect(r.feature)}
              >
                <span className="linked-feature">
                  <a href={featureHref(indexB, r.feature)} onClick={(e) => e.stopPropagation()}>
                    #{r.feature}
                  </a>
                  <LabelTag label={labelsB.get(r.feature)} />
                </span>
                <span className="num">{formatDensity(r.densityB)}</span>
                <span className="linked-feature">
                  {r.match === null ? <span className="muted">none</span> : <a href={featureHref(indexA, r.match)} onClick={(e) => e.stopPropagation()}>#{r.match}</a>}
                  {r.match !== null && <LabelTag label={labelsA.get(r.match)} />}
                </span>
                <span className="num">{num(r.score)}</span>
                <span className="muted">{r.runnerUp === null ? '–' : `#${r.runnerUp} (${num(r.runnerUpScore, 2)})`}</span>
                <span className="num">{r.assigned === null ? '–' : `#${r.assigned}`}</span>
                <span className="num">{r.densityRatio === null ? '–' : r.densityRatio.toFixed(2)}</span>
                <span className="num">{r.asymmetry === null ? '–' : r.asymmetry.toFixed(1)}</span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
