/**
 * A feature's counterpart in another index, from the newest match of the two (either direction,
 * either method) that still describes both builds: what the Features page's side-by-side pane
 * opens on. Matches are computed B -> A; read from A's side, the counterpart of an A feature is
 * the B feature that picked it as best match with the highest score.
 */
import type { FeatureCounterpart, MatchResult } from '../../preload/api';
import type { IndexRegistry } from '../index/indexRegistry';
import { DEFAULT_THRESHOLD } from './conditionDiff';
import { cachedMatch } from './runCompare';

/** The newest valid match between the two indexes, with which side `index` is on. */
export function newestMatch(home: string, registry: IndexRegistry, index: string, other: string): { match: MatchResult; side: 'a' | 'b' } | null {
  let best: { match: MatchResult; side: 'a' | 'b' } | null = null;
  for (const [a, b, side] of [[other, index, 'b'], [index, other, 'a']] as const) {
    for (const method of ['activation', 'decoder'] as const) {
      const match = cachedMatch(home, registry, a, b, method);
      if (match && (!best || match.createdAt > best.match.createdAt)) best = { match, side };
    }
  }
  return best;
}

/** Where `feature` of one side of a match lands on the other side (null: it has none there). */
export function counterpartIn(match: MatchResult, side: 'a' | 'b', feature: number): { feature: number; score: number } | null {
  if (side === 'b') {
    const row = match.features[feature];
    return row && row.match !== null && row.match_score !== null ? { feature: row.match, score: row.match_score } : null;
  }
  let found: { feature: number; score: number } | null = null;
  for (const row of match.features) {
    if (row.match === feature && row.match_score !== null && (!found || row.match_score > found.score)) found = { feature: row.feature, score: row.match_score };
  }
  return found;
}

export function featureCounterpart(home: string, registry: IndexRegistry, index: string, feature: number, other: string): FeatureCounterpart {
  const newest = newestMatch(home, registry, index, other);
  if (!newest) return { matched: false, feature: null, score: null, method: null, threshold: null, createdAt: null };
  const { match, side } = newest;
  const hit = counterpartIn(match, side, feature);
  return { matched: true, feature: hit?.feature ?? null, score: hit?.score ?? null, method: match.method, threshold: DEFAULT_THRESHOLD[match.method], createdAt: match.createdAt };
}
