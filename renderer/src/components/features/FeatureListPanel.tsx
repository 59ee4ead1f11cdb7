import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef } from 'react';
import type { FeatureListing } from '../../../../preload/api';
import { formatDensity } from './FeatureView';
import { LabelTag } from '../labels/LabelTag';

export type FeatureSort = 'density' | 'max' | 'fires' | 'id';

export const FEATURE_SORTS: { id: FeatureSort; label: string }[] = [
  { id: 'density', label: 'Density' },
  { id: 'max', label: 'Max activation' },
  { id: 'fires', label: 'Fire count' },
  { id: 'id', label: 'Feature id' },
];

/** Features in view order: a search's hits as ranked, else every feature sorted and filtered. */
export function orderFeatures(listing: FeatureListing, sort: FeatureSort, filter: { hideDead: boolean; hideDense: boolean }, hits: number[] | null): number[] {
  if (hits) return hits;
  const ids: number[] = [];
  for (let f = 0; f < listing.fireCount.length; f++) {
    if (filter.hideDead && listing.fireCount[f] === 0) continue;
    if (filter.hideDense && listing.density[f] > DENSE) continue;
    ids.push(f);
  }
  const key = sort === 'max' ? listing.max : sort === 'fires' ? listing.fireCount : sort === 'density' ? listing.density : null;
  if (key) ids.sort((a, b) => key[b] - key[a] || a - b);
  return ids;
}

/** Features firing on more than this share of tokens count as dense (a common SAE pathology). */
export const DENSE = 0.1;

/** The list's columns: a header names each number and sorts by it (null: a search's ranking holds). */
const COLUMNS: { sort: FeatureSort; label: string; title: string; num: boolean }[] = [
  { sort: 'id', label: 'Feature', title: 'Sort by feature id', num: false },
  { sort: 'density', label: 'Density', title: 'Share of indexed tokens the feature fires on; sort by it', num: true },
  { sort: 'max', label: 'Max act.', title: 'Largest activation seen; sort by it', num: true },
];

/** A list that stays fast at any d_sae: only visible rows are in the DOM. */
export function FeatureListPanel({ listing, order, selected, onSelect, sort, onSort, labels }: { listing: FeatureListing; order: number[]; selected: number | null; onSelect: (f: number) => void; sort: FeatureSort | null; onSort: (sort: FeatureSort) => void; labels?: Map<number, string> }) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: order.length, getScrollElement: () => scroller.current, estimateSize: () => 30, overscan: 12 });
  const selectedRow = selected === null ? -1 : order.indexOf(selected);
  useEffect(() => {
    if (selectedRow >= 0) virtual.scrollToIndex(selectedRow, { align: 'auto' });
  }, [selectedRow, virtual]);
  return (
    <div className="feature-list-box">
      <div className="feature-list-head small" aria-label="Feature list columns">
        {COLUMNS.map((c) => (
          <span key={c.sort} className={c.num ? 'num' : undefined}>
            <button className={`link${sort === c.sort ? ' sorted' : ''}`} title={c.title} aria-pressed={sort === c.sort} onClick={() => onSort(c.sort)} disabled={sort === null}>
              {c.label}
              {sort === c.sort ? (c.sort === 'id' ? ' ▲' : ' ▼') : ''}
            </button>
          </span>
        ))}
      </div>
      <div className="feature-list" ref={scroller} role="listbox" aria-label="Features" aria-activedescendant={selected !== null ? `feature-row-${selected}` : undefined} tabIndex={0}>
        <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
          {virtual.getVirtualItems().map((item) => {
            const f = order[item.index];
            const dead = listing.fireCount[f] === 0;
            return (
              <div
                key={f}
                id={`feature-row-${f}`}
                role="option"
                aria-selected={f === selected}
                className={`feature-row${f === selected ? ' selected' : ''}${dead ? ' dead' : ''}`}
                style={{ position: 'absolute', top: 0, left: 0, right: 0, height: item.size, transform: `translateY(${item.start}px)` }}
                onClick={() => onSelect(f)}
                data-feature={f}
              >
                <span className="feature-id">
                  #{f}
                  <LabelTag label={labels?.get(f)} />
                </span>
                <span className="num" title="density">{formatDensity(listing.density[f])}</span>
                <span className="num" title="max activation">{listing.max[f].toFixed(2)}</span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
