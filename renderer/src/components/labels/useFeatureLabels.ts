import { useEffect, useState, useSyncExternalStore } from 'react';
import type { ApiClient, FeatureLabel, LabelSaeInfo, SaeLabels } from '../../../../preload/api';
import { useClient } from '../../client/context';

/** The SAE whose labels are wanted: a folder, or the SAE of an index. */
export type LabelRef = { sae: string } | { index: string };

/**
 * Labels of SAEs, fetched once per reference and shared by every view that shows a feature id
 * (feature list, dashboard, Compare tables, Prompt). A change anywhere in this window (an edit,
 * an import, the demo's ground truth) drops the cache, so every view shows it at once; two
 * references may name one SAE (a folder and its index), hence all of it.
 */
const cache = new Map<string, Promise<SaeLabels>>();
let version = 0;
const listeners = new Set<() => void>();

function keyOf(ref: LabelRef): string {
  return 'sae' in ref ? `sae:${ref.sae}` : `index:${ref.index}`;
}

function load(client: ApiClient, ref: LabelRef): Promise<SaeLabels> {
  const key = keyOf(ref);
  let p = cache.get(key);
  if (!p) {
    p = client.call('label.list', ref);
    // A failure is not cached: the next view asks again.
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}

/** Call after any change to labels: every mounted view refetches. */
export function labelsChanged(): void {
  cache.clear();
  version++;
  for (const l of listeners) l();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export interface FeatureLabels {
  /** Feature id -> its label and note (only features that have one). */
  byFeature: Map<number, FeatureLabel>;
  sae: LabelSaeInfo | null;
  error: unknown;
}

const EMPTY: FeatureLabels = { byFeature: new Map(), sae: null, error: null };

export function useFeatureLabels(ref: LabelRef | null): FeatureLabels {
  const client = useClient();
  const v = useSyncExternalStore(subscribe, () => version);
  const key = ref ? keyOf(ref) : null;
  const [state, setState] = useState<{ key: string | null; value: FeatureLabels }>({ key: null, value: EMPTY });
  useEffect(() => {
    if (!ref || !key) return;
    let live = true;
    load(client, ref).then(
      (r) => live && setState({ key, value: { byFeature: new Map(r.labels.map((l) => [l.feature, l])), sae: r.sae, error: null } }),
      (error) => live && setState({ key, value: { ...EMPTY, error } }),
    );
    return () => {
      live = false;
    };
    // `ref` is described by `key`; `v` refetches after a change.
  }, [client, key, v]);
  // Until the new reference answers, show nothing rather than another SAE's labels.
  return state.key === key ? state.value : EMPTY;
}

/** Just the names, for tables: feature id -> label. */
export function labelNames(labels: FeatureLabels): Map<number, string> {
  const out = new Map<number, string>();
  for (const [f, l] of labels.byFeature) if (l.label) out.set(f, l.label);
  return out;
}
