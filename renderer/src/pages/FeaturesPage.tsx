import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { featureIndexLabel, type FeatureCounterpart, type FeatureIndexInfo, type FeatureListing, type FeatureSearchHit, type JobView } from '../../../preload/api';
import { INDEX_BUILD_JOB_KIND } from '../../../preload/api';
import { useClient, useEvent } from '../client/context';
import { ErrorBanner } from '../components/ErrorBanner';
import { DENSE, FEATURE_SORTS, FeatureListPanel, orderFeatures, type FeatureSort } from '../components/features/FeatureListPanel';
import { FeatureView, featureHref } from '../components/features/FeatureView';
import { NewIndexForm } from '../components/features/NewIndexForm';
import { CopyAsPython } from '../components/python/CopyAsPython';
import { featuresStatements } from '../components/python/pythonSnippet';
import { useFeature } from '../components/features/useFeature';
import { DemoTruthAction } from '../components/labels/DemoTruthAction';
import { labelNames, useFeatureLabels } from '../components/labels/useFeatureLabels';
import { routeHref, usePageParams } from '../router';
import { useShortcuts } from '../shortcuts';
import '../components/features/features.css';

function indexLabel(i: FeatureIndexInfo): string {
  const size = i.summary ? ` · ${i.summary.tokens.toLocaleString('en-US')} tokens` : '';
  return `${featureIndexLabel(i)}${size}${i.state !== 'ready' ? ` (${i.state})` : ''}${i.stale ? ' (stale)' : ''}`;
}

/** A feature's counterpart in the other index (null while loading or with no second pane). */
function useCounterpart(indexId: string | null, feature: number | null, otherId: string | null): FeatureCounterpart | null {
  const client = useClient();
  const [found, setFound] = useState<FeatureCounterpart | null>(null);
  useEffect(() => {
    setFound(null);
    if (!indexId || feature === null || !otherId) return;
    let live = true;
    client.call('compare.counterpart', { index: indexId, feature, other: otherId }).then((c) => live && setFound(c), () => live && setFound(null));
    return () => {
      live = false;
    };
  }, [client, indexId, feature, otherId]);
  return found;
}

/** What the side pane could show for `feature`: its counterpart from the newest match, and the same id. */
function PaneSuggestions({ feature, counterpart, dOther, shown, compareHref, onOpen }: { feature: number; counterpart: FeatureCounterpart | null; dOther: number; shown: number | null; compareHref: string; onOpen: (f: number) => void }) {
  const chip = (f: number, text: string, title: string) => (
    <button key={`${f}-${text}`} className={`suggestion${shown === f ? ' current' : ''}`} aria-pressed={shown === f} title={title} onClick={() => onOpen(f)}>
      #{f} <span className="muted">{text}</span>
    </button>
  );
  const method = counterpart?.method === 'activation' ? 'Pearson' : 'cosine';
  return (
    <div className="pane-suggestions small" aria-label="Suggested features">
      <span className="muted">Suggested:</span>
      {counterpart?.feature != null &&
        chip(
          counterpart.feature,
          `best match, ${method} ${counterpart.score!.toFixed(2)}${counterpart.score! < counterpart.threshold! ? ' (below the no-counterpart line)' : ''}${counterpart.feature === feature ? ', same id' : ''}`,
          `From the ${counterpart.method} match of ${new Date(counterpart.createdAt!).toLocaleString()}.`,
        )}
      {feature < dOther && counterpart?.feature !== feature && chip(feature, 'same id', 'The same latent index (meaningful when both SAEs share their initialisation or construction).')}
      {counterpart && !counterpart.matched && (
        <span className="muted">
          {' '}
          · not matched yet: <a href={compareHref}>match the two on Compare</a> for the best match
        </span>
      )}
      {counterpart?.matched && counterpart.feature === null && <span className="muted"> · nothing here co-fires with #{feature} (no counterpart)</span>}
    </div>
  );
}

export function FeaturesPage() {
  const client = useClient();
  const [params, setParams] = usePageParams('features');
  const [indexes, setIndexes] = useState<FeatureIndexInfo[] | null>(null);
  const [listing, setListing] = useState<FeatureListing | null>(null);
  const [hits, setHits] = useState<FeatureSearchHit[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [showNew, setShowNew] = useState(false);
  const [queued, setQueued] = useState<JobView[]>([]);
  const search = useRef<HTMLInputElement>(null);

  const indexId = params.get('index');
  const featureParam = params.get('feature');
  const feature = featureParam !== null && /^\d+$/.test(featureParam) ? Number(featureParam) : null;
  const sort = (params.get('sort') as FeatureSort | null) ?? 'density';
  const query = params.get('q') ?? '';
  const hideDead = params.get('dead') !== 'show';
  const hideDense = params.get('dense') === 'hide';
  const saeParam = params.get('sae');
  const otherId = params.get('b');
  const otherFeatureParam = params.get('bf');
  const otherFeature = otherFeatureParam !== null && /^\d+$/.test(otherFeatureParam) ? Number(otherFeatureParam) : null;

  const reload = useCallback(() => client.call('index.list', {}).then(setIndexes, setError), [client]);
  useEffect(() => void reload(), [reload]);
  // Builds report progress several times a second: reload the list only when a build changes state.
  const buildStates = useRef(new Map<string, string>());
  useEvent(
    'job.updated',
    (job) => {
      if (job.kind !== INDEX_BUILD_JOB_KIND || buildStates.current.get(job.id) === job.state) return;
      buildStates.current.set(job.id, job.state);
      if (['completed', 'failed', 'cancelled', 'running'].includes(job.state)) void reload();
    },
    [reload],
  );

  const ready = useMemo(() => (indexes ?? []).filter((i) => i.state === 'ready'), [indexes]);
  const index = indexes?.find((i) => i.id === indexId) ?? null;
  // A link by SAE folder (from the Prompt page or the Library) opens that SAE's newest index.
  const saeMatch = saeParam ? ready.find((i) => i.saePath === saeParam) : undefined;
  useEffect(() => {
    if (!indexes) return;
    if (!indexId && saeMatch) setParams({ index: saeMatch.id, sae: null });
    else if (!indexId && !saeParam && ready.length > 0) setParams({ index: ready[0].id });
  }, [indexes, indexId, saeParam, saeMatch, ready, setParams]);

  // By id, not by object: a reloaded index list must not refetch (and blank) the open index.
  const readyId = index?.state === 'ready' ? index.id : null;
  useEffect(() => {
    setListing(null);
    setHits(null);
    if (!readyId) return;
    client.call('index.features', { id: readyId }).then(setListing, setError);
  }, [client, readyId]);

  useEffect(() => {
    if (!readyId || !query.trim()) {
      setHits(null);
      return;
    }
    let live = true;
    const t = setTimeout(() => {
      client.call('index.search', { id: readyId, query: query.trim() }).then((h) => live && setHits(h), setError);
    }, 150);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [client, readyId, query]);

  const order = useMemo(() => (listing ? orderFeatures(listing, sort, { hideDead, hideDense }, hits ? hits.map((h) => h.feature) : null) : []), [listing, sort, hideDead, hideDense, hits]);
  const main = useFeature(index?.state === 'ready' ? index.id : null, feature);
  const labels = useFeatureLabels(readyId ? { index: readyId } : null);
  const names = useMemo(() => labelNames(labels), [labels]);
  const otherIndex = indexes?.find((i) => i.id === otherId) ?? null;
  const other = useFeature(otherIndex?.state === 'ready' ? otherIndex.id : null, otherFeature);
  const partners = ready.filter((i) => index && i.id !== index.id && i.corpusId === index.corpusId);

  const open = useCallback((f: number) => setParams({ feature: f }, { push: true }), [setParams]);
  // The side pane suggests this feature's counterpart there (from the two indexes' newest match) and the same id.
  const counterpart = useCounterpart(readyId, feature, otherIndex?.state === 'ready' ? otherIndex.id : null);
  const openPartner = async (other: string) => {
    if (!index || feature === null) return;
    const c = await client.call('compare.counterpart', { index: index.id, feature, other }).catch(() => null);
    const dOther = indexes?.find((i) => i.id === other)?.dSae ?? 0;
    setParams({ b: other, bf: c?.feature ?? (feature < dOther ? feature : null) });
  };

  // j/k or arrows move through the list ("/" focuses search through the app's registry).
  const step = useCallback(
    (delta: number) => {
      if (order.length === 0) return;
      const at = feature === null ? -1 : order.indexOf(feature);
      open(order[Math.max(0, Math.min(order.length - 1, at + delta))]);
    },
    [order, feature, open],
  );
  useShortcuts('Features', [
    { keys: 'j', description: 'Next feature in the list', run: () => step(1) },
    { keys: 'k', description: 'Previous feature in the list', run: () => step(-1) },
    { keys: 'ArrowDown', description: 'Next feature in the list', run: () => step(1) },
    { keys: 'ArrowUp', description: 'Previous feature in the list', run: () => step(-1) },
  ]);

  const experimentLink = (kind: 'ablate' | 'steer') =>
    index && feature !== null ? routeHref('experiments', { new: kind, model: index.modelPath, sae: index.saePath, features: feature, dataset: index.datasetPath }) : undefined;

  return (
    <section className="page features-page">
      <div className="page-head">
        <h1>Features</h1>
        <select aria-label="Index" className="index-picker" value={index?.id ?? ''} onChange={(e) => setParams({ index: e.target.value, feature: null, q: null, b: null, bf: null, sae: null }, { push: true })}>
          <option value="">{indexes && indexes.length === 0 ? 'No indexes yet' : 'Choose an index…'}</option>
          {(indexes ?? []).map((i) => (
            <option key={i.id} value={i.id}>
              {indexLabel(i)}
            </option>
          ))}
        </select>
        <button onClick={() => setShowNew((v) => !v)} aria-expanded={showNew}>
          {showNew ? 'Close' : 'New index…'}
        </button>
        {index?.state === 'ready' && <CopyAsPython statements={featuresStatements(index.id, feature)} />}
      </div>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      {queued.length > 0 && (
        <div className="panel small" role="status">
          Queued {queued.map((j) => j.title).join(' and ')}. Follow {queued.length > 1 ? 'them' : 'it'} in the <a href={routeHref('queue')}>Queue</a>; the index appears here when done.
        </div>
      )}
      {(showNew || (indexes !== null && indexes.length === 0) || (saeParam && !saeMatch && indexes !== null)) && (
        <div className="panel">
          {saeParam && !saeMatch && (
            <p>
              No index of <span className="mono">{saeParam}</span> yet: build one to open its features.
            </p>
          )}
          <NewIndexForm
            prefill={saeParam ? { saePath: saeParam } : undefined}
            onQueued={(jobs) => {
              setQueued(jobs);
              setShowNew(false);
            }}
          />
        </div>
      )}
      {index && index.state !== 'ready' && (
        <p className="muted">
          This index is {index.state}
          {index.error ? `: ${index.error.message}` : ''}. {index.state === 'building' ? 'Its features appear when the build finishes.' : ''}
        </p>
      )}
      {index && index.state === 'ready' && listing && (
        <div className={`features-layout${otherIndex ? ' two-panes' : ''}`}>
          <aside className="features-sidebar">
            <input
              ref={search}
              data-shortcut-focus
              type="search"
              aria-label="Search features"
              placeholder="Search id, token, label, note   /"
              value={query}
              onChange={(e) => setParams({ q: e.target.value || null })}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && order.length > 0) open(order[0]);
              }}
            />
            <div className="list-controls small">
              <label>
                Sort{' '}
                <select aria-label="Sort features" value={sort} onChange={(e) => setParams({ sort: e.target.value })} disabled={hits !== null}>
                  {FEATURE_SORTS.map((s) => (
                    <option key={s.id} value={s.id}>
                      {s.label}
                    </option>
                  ))}
                </select>
              </label>
              <span className="list-filters">
                Hide
                <label className="check" title="Features that never fired on the indexed tokens">
                  <input type="checkbox" aria-label="hide dead" checked={hideDead} onChange={(e) => setParams({ dead: e.target.checked ? null : 'show' })} /> dead
                </label>
                <label className="check" title={`Features firing on more than ${DENSE * 100}% of tokens`}>
                  <input type="checkbox" aria-label="hide dense" checked={hideDense} onChange={(e) => setParams({ dense: e.target.checked ? 'hide' : null })} /> dense
                </label>
              </span>
            </div>
            <div className="muted small list-summary">
              {hits ? `${hits.length} match${hits.length === 1 ? '' : 'es'} for “${query}”` : `${order.length.toLocaleString('en-US')} of ${listing.fireCount.length.toLocaleString('en-US')} features`}
              {' · '}
              {listing.fireCount.filter((c) => c === 0).length.toLocaleString('en-US')} dead
            </div>
            <FeatureListPanel listing={listing} order={order} selected={feature} onSelect={open} sort={hits ? null : sort} onSort={(next) => setParams({ sort: next })} labels={names} />
            {labels.sae?.demo && <DemoTruthAction sae={labels.sae.saePath} />}
          </aside>
          <div className="features-main">
            <ErrorBanner error={main.error} />
            {feature === null && <p className="muted">Pick a feature on the left (j/k or arrows move through the list, / searches).</p>}
            {main.detail && (
              <div className={`feature-panes${otherIndex ? ' two' : ''}`}>
                <FeatureView
                  detail={main.detail}
                  index={index}
                  pairWith={otherIndex && otherFeature !== null ? { sae: otherIndex.saePath, feature: otherFeature, label: `#${otherFeature} of ${otherIndex.labels.model}` } : null}
                  actions={
                    <div className="feature-actions">
                      <a className="button-link" href={experimentLink('ablate')}>
                        Ablate…
                      </a>
                      <a className="button-link" href={experimentLink('steer')}>
                        Steer…
                      </a>
                      {partners.length > 0 && !otherIndex && (
                        <select aria-label="Compare with index" value="" onChange={(e) => void openPartner(e.target.value)}>
                          <option value="">Side by side with…</option>
                          {partners.map((p) => (
                            <option key={p.id} value={p.id}>
                              {indexLabel(p)}
                            </option>
                          ))}
                        </select>
                      )}
                    </div>
                  }
                />
                {otherIndex && (
                  <div className="other-pane">
                    <div className="other-pane-head small">
                      <span>
                        {otherIndex.labels.model} · {otherIndex.hookName} · feature{' '}
                        <input
                          type="number"
                          aria-label="Feature of the other index"
                          min={0}
                          max={otherIndex.dSae - 1}
                          value={otherFeature ?? ''}
                          onChange={(e) => setParams({ bf: e.target.value === '' ? null : Number(e.target.value) })}
                        />
                      </span>
                      <button className="link" onClick={() => setParams({ b: null, bf: null })} aria-label="Close the second pane">
                        ×
                      </button>
                    </div>
                    {feature !== null && (
                      <PaneSuggestions
                        feature={feature}
                        counterpart={counterpart}
                        dOther={otherIndex.dSae}
                        shown={otherFeature}
                        compareHref={routeHref('compare', { a: otherIndex.id, b: index.id, tab: 'matches' })}
                        onOpen={(f) => setParams({ bf: f })}
                      />
                    )}
                    {otherFeature === null && <p className="muted small">Choose a feature of this index above, or one of the suggestions.</p>}
                    <ErrorBanner error={other.error} />
                    {other.detail && otherIndex && <FeatureView detail={other.detail} index={otherIndex} neighbourHref={(f) => featureHref(index.id, feature ?? 0, { b: otherIndex.id, bf: f })} />}
                  </div>
                )}
              </div>
            )}
          </div>
        </div>
      )}
    </section>
  );
}
