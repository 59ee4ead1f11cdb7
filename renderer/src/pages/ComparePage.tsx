import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { featureIndexLabel, MATCH_METHODS, type DiffResult, type FeatureIndexInfo, type FeatureListing, type JobView, type MatchMethodChoice, type MatchResult } from '../../../preload/api';
import { useClient } from '../client/context';
import { useJob } from '../client/useJob';
import { ConditionEditor } from '../components/compare/ConditionEditor';
import { DiffView } from '../components/compare/DiffView';
import { DensityScatter, ScoreHistogram } from '../components/compare/MatchCharts';
import { MatchTable, matchRows } from '../components/compare/MatchTable';
import { OverlayPanel } from '../components/compare/OverlayPanel';
import { CrosscoderTab } from '../components/compare/CrosscoderTab';
import { ErrorBanner } from '../components/ErrorBanner';
import { FeatureView, featureHref } from '../components/features/FeatureView';
import { useFeature } from '../components/features/useFeature';
import { ProgressBar } from '../components/ProgressBar';
import { CopyAsPython } from '../components/python/CopyAsPython';
import { compareStatements } from '../components/python/pythonSnippet';
import { routeHref, useRememberedPageParams } from '../router';
import '../components/features/features.css';
import '../components/compare/compare.css';

const DEFAULT_THRESHOLD: Record<'activation' | 'decoder', number> = { activation: 0.3, decoder: 0.7 };
type Tab = 'diff' | 'matches' | 'overlay' | 'crosscoder';
const TABS: { key: Tab; label: string }[] = [
  { key: 'diff', label: 'Condition diff' },
  { key: 'matches', label: 'Matches' },
  { key: 'overlay', label: 'Outside diff' },
  { key: 'crosscoder', label: 'Crosscoder' },
];

function label(i: FeatureIndexInfo): string {
  return `${featureIndexLabel(i)}${i.summary ? ` · ${i.summary.tokens.toLocaleString('en-US')} tokens` : ''}`;
}

/** The whole story of an index, for tooltips: its label, then the folders it was built from. */
function fullLabel(i: FeatureIndexInfo): string {
  return `${label(i)}\nmodel ${i.modelPath}\nSAE ${i.saePath}\ndataset ${i.datasetPath}\nindex ${i.id}`;
}

function IndexPicker({ side, caption, value, indexes, onChange }: { side: 'a' | 'b'; caption: string; value: string | null; indexes: FeatureIndexInfo[]; onChange: (id: string) => void }) {
  const chosen = indexes.find((i) => i.id === value);
  return (
    <label className={`picker-row side-${side}`}>
      <span className="picker-caption">{caption}</span>
      <select aria-label={`Index ${side.toUpperCase()}`} value={value ?? ''} title={chosen ? fullLabel(chosen) : undefined} onChange={(e) => onChange(e.target.value)}>
        <option value="">Choose…</option>
        {indexes.map((i) => (
          <option key={i.id} value={i.id} title={fullLabel(i)}>
            {label(i)}
          </option>
        ))}
      </select>
    </label>
  );
}

function numberOr(text: string, fallback: number): number {
  const x = Number(text);
  return text.trim() !== '' && Number.isFinite(x) ? x : fallback;
}

/** Two SAEs side by side: which features of B have a counterpart in A, and what B does at a token condition that A does not. */
export function ComparePage() {
  const client = useClient();
  // Leaving for another page and coming back keeps the indexes, the diff and the selection.
  const [params, setParams] = useRememberedPageParams('compare');
  const [indexes, setIndexes] = useState<FeatureIndexInfo[] | null>(null);
  const [listings, setListings] = useState<{ a: FeatureListing; b: FeatureListing } | null>(null);
  const [match, setMatch] = useState<MatchResult | null>(null);
  const [diff, setDiff] = useState<DiffResult | null>(null);
  const [error, setError] = useState<unknown>(null);

  const a = params.get('a');
  const b = params.get('b');
  const method = (params.get('method') as MatchMethodChoice | null) ?? 'auto';
  const tab = (params.get('tab') as Tab | null) ?? 'diff';
  const condition = params.get('cond') ?? 'named:step-onset';
  // Inputs show the text as typed (an emptied or half-typed number is not snapped back); runs use
  // the number when it is one, else the default.
  const minRateText = params.get('minRate') ?? '0.5';
  const minRate = numberOr(minRateText, 0.5);
  const thresholdText = params.get('threshold');
  const thresholdParam = thresholdText !== null && Number.isFinite(Number(thresholdText)) && thresholdText.trim() !== '' ? thresholdText : null;
  const matchJobId = params.get('matchJob');
  const diffJobId = params.get('diff');
  const selParam = params.get('sel');
  const selected = selParam !== null && /^\d+$/.test(selParam) ? Number(selParam) : null;
  const unmatchedOnly = params.get('only') === 'unmatched';
  const matchTable = useRef<HTMLDivElement>(null);
  // The diff job that "Run diff" answered with an identical finished one (nothing was queued).
  const [reused, setReused] = useState<string | null>(null);

  useEffect(() => {
    client.call('index.list', {}).then(setIndexes, setError);
  }, [client]);
  const ready = useMemo(() => (indexes ?? []).filter((i) => i.state === 'ready'), [indexes]);
  const ia = ready.find((i) => i.id === a) ?? null;
  const ib = ready.find((i) => i.id === b) ?? null;
  // First visit: the two newest indexes on the same documents, the older one as A.
  useEffect(() => {
    if (a || b || ready.length < 2) return;
    const newest = ready[0];
    const partner = ready.find((i) => i.id !== newest.id && i.corpusId === newest.corpusId && i.hookName === newest.hookName);
    if (partner) setParams({ a: partner.id, b: newest.id });
  }, [a, b, ready, setParams]);

  useEffect(() => {
    setListings(null);
    if (!ia || !ib) return;
    Promise.all([client.call('index.features', { id: ia.id }), client.call('index.features', { id: ib.id })]).then(([la, lb]) => setListings({ a: la, b: lb }), setError);
  }, [client, ia, ib]);

  const loadMatch = useCallback(() => {
    if (!ia || !ib) return;
    client.call('compare.matchResult', { a: ia.id, b: ib.id, method }).then(setMatch, setError);
  }, [client, ia, ib, method]);
  useEffect(() => {
    setMatch(null);
    loadMatch();
  }, [loadMatch]);

  const matchJob = useJob(matchJobId);
  const diffJob = useJob(diffJobId);
  useEffect(() => {
    if (matchJob?.state === 'completed') loadMatch();
  }, [matchJob?.state, loadMatch]);
  useEffect(() => {
    setDiff(null);
    if (!diffJobId || diffJob?.state !== 'completed') return;
    client.call('compare.diffResult', { jobId: diffJobId }).then((d) => {
      setDiff(d);
      // The diff matches first when needed: its match is now cached.
      loadMatch();
    }, setError);
  }, [client, diffJobId, diffJob?.state, loadMatch]);

  const effectiveMethod = match?.method ?? (method === 'auto' ? 'decoder' : method);
  const threshold = thresholdParam !== null ? Number(thresholdParam) : DEFAULT_THRESHOLD[effectiveMethod];
  const rows = useMemo(() => (match && listings ? matchRows(match, listings.a, listings.b, diff) : []), [match, listings, diff]);
  const selectedMatch = selected !== null ? (match?.features[selected]?.match ?? null) : null;
  const featureB = useFeature(ib?.id ?? null, selected);
  const featureA = useFeature(ia?.id ?? null, selectedMatch);

  const runMatch = () =>
    ia && ib && client.call('compare.match', { a: ia.id, b: ib.id, method }).then((j) => setParams({ matchJob: j.id }), setError);
  const runDiff = () =>
    ia && ib &&
    client.call('compare.diff', { a: ia.id, b: ib.id, method, condition, minRate, ...(thresholdParam !== null ? { threshold } : {}) }).then((j) => {
      setReused(j.state === 'completed' ? j.id : null);
      setParams({ diff: j.id, sel: null });
    }, setError);
  const showUnmatched = () => {
    setParams({ only: 'unmatched' });
    requestAnimationFrame(() => matchTable.current?.scrollIntoView({ block: 'start', behavior: 'smooth' }));
  };
  const select = (f: number) => setParams({ sel: f });
  const active = (j: JobView | null) => j !== null && !['completed', 'failed', 'cancelled', 'interrupted'].includes(j.state);

  const tabNav = (
    <nav className="tabs" aria-label="Compare views">
      {TABS.map((t) => (
        <a key={t.key} href={routeHref('compare', { ...Object.fromEntries(params.entries()), tab: t.key })} className={t.key === tab ? 'tab active' : 'tab'} aria-current={t.key === tab ? 'page' : undefined}>
          {t.label}
        </a>
      ))}
    </nav>
  );

  // The crosscoder tab reads one crosscoder over both models: it needs no pair of SAE indexes.
  if (tab === 'crosscoder') {
    return (
      <section className="page compare-page">
        <h1>Compare</h1>
        {tabNav}
        <CrosscoderTab params={params} setParams={setParams} />
      </section>
    );
  }

  if (indexes !== null && ready.length < 2) {
    return (
      <section className="page compare-page">
        <h1>Compare</h1>
        <p className="muted">
          Compare needs two finished feature indexes, one per model, built on the same dataset. Build them on the <a href={routeHref('features')}>Features</a> page (New index → both models).
          Or read a crosscoder, one dictionary over both models, on the <a href={routeHref('compare', { tab: 'crosscoder' })}>Crosscoder</a> tab.
        </p>
      </section>
    );
  }

  return (
    <section className="page compare-page">
      <div className="page-head">
        <h1>Compare</h1>
        {ia && ib && <CopyAsPython statements={compareStatements({ a: ia.id, b: ib.id, method, diff: diffJob?.state === 'completed' ? { jobId: diffJob.id, params: diffJob.params as Record<string, unknown> } : null, form: { condition, minRate, ...(thresholdParam !== null ? { threshold } : {}) } })} />}
      </div>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      <div className="compare-pickers">
        <IndexPicker side="a" caption="A (reference)" value={a} indexes={ready} onChange={(id) => setParams({ a: id, diff: null, matchJob: null, sel: null })} />
        <button className="link swap" title="Swap A and B" aria-label="Swap A and B" onClick={() => setParams({ a: b, b: a, diff: null, matchJob: null, sel: null })}>
          ⇄
        </button>
        <IndexPicker side="b" caption="B (explained)" value={b} indexes={ready} onChange={(id) => setParams({ b: id, diff: null, matchJob: null, sel: null })} />
        <label className="picker-row picker-method">
          <span className="picker-caption">Matching</span>
          <select aria-label="Matching method" value={method} onChange={(e) => setParams({ method: e.target.value, diff: null, matchJob: null })}>
            {MATCH_METHODS.map((m) => (
              <option key={m} value={m}>
                {m === 'auto' ? 'auto (decoder if shared basis)' : m === 'activation' ? 'activation (Pearson)' : 'decoder (cosine)'}
              </option>
            ))}
          </select>
        </label>
      </div>
      {[ia, ib].map((i) => i?.stale && (
        <div key={i.id} className="warn-text small">
          ⚠ {i.labels.model} · {i.hookName}: {i.stale} Rebuild the index before trusting a comparison.
        </div>
      ))}
      {ia && ib && ia.corpusId !== ib.corpusId && <div className="warn-text small">These indexes were built on different documents or tokenizers: positions do not line up, so only decoder matching is possible and the condition diff cannot run.</div>}
      {ia && ib && (
        <div className="match-status small">
          {match ? (
            <>
              Matched by <strong>{match.method}</strong>
              {match.requested === 'auto' ? ' (auto)' : ''}
              {match.embeddingAgreement !== null ? ` · embeddings agree ${match.embeddingAgreement.toFixed(2)}` : ''}
              {match.tokens !== null ? ` · over ${match.tokens.toLocaleString('en-US')} shared tokens` : ''} · {match.features.filter((f) => f.match_score !== null && f.match_score >= threshold).length.toLocaleString('en-US')} of{' '}
              {match.features.length.toLocaleString('en-US')} B features have a counterpart (score ≥ {threshold}).
              {match.warnings.map((w) => (
                <div key={w} className="warn-text">
                  ⚠ {w}
                </div>
              ))}
            </>
          ) : (
            <span className="muted">Not matched yet with this method.</span>
          )}{' '}
          <button onClick={() => void runMatch()} disabled={active(matchJob)}>
            {match ? 'Match again' : 'Match'}
          </button>
          {active(matchJob) && <ProgressBar value={matchJob!.progress} label="Match progress" />}
          {matchJob?.state === 'failed' && <span className="error-text"> {matchJob.error?.message}</span>}
        </div>
      )}

      {ia && ib && (
        <>
          {tabNav}

          {tab === 'diff' && (
            <div className="panel">
              <ConditionEditor indexId={ib.id} spec={condition} onSpec={(s) => setParams({ cond: s })} />
              <div className="condition-row">
                <label>
                  Min rate at condition
                  <input type="number" aria-label="Min rate" min={0} max={1} step={0.05} value={minRateText} onChange={(e) => setParams({ minRate: e.target.value })} style={{ width: 90 }} />
                </label>
                <label>
                  No counterpart below
                  <input type="number" aria-label="Match threshold" min={-1} max={1} step={0.05} value={thresholdText ?? threshold} onChange={(e) => setParams({ threshold: e.target.value })} style={{ width: 90 }} />
                </label>
                <button className="primary" onClick={() => void runDiff()} disabled={active(diffJob) || ia.corpusId !== ib.corpusId}>
                  {active(diffJob) ? 'Running…' : 'Run diff'}
                </button>
                {active(diffJob) && <ProgressBar value={diffJob!.progress} label="Diff progress" />}
                {diffJob?.state === 'failed' && <span className="error-text small">{diffJob.error?.message}</span>}
                {reused !== null && reused === diffJobId && diffJob?.finishedAt && (
                  <span className="muted small" role="status">
                    Same indexes (unchanged since) and parameters as the diff of {new Date(diffJob.finishedAt).toLocaleString()}: its result is shown, nothing was queued.
                  </span>
                )}
              </div>
              {diff && diffJobId && <DiffView jobId={diffJobId} diff={diff} selected={selected} onSelect={select} />}
            </div>
          )}

          {tab === 'matches' &&
            (match && listings ? (
              <div className="panel">
                <div className="chart-row">
                  <ScoreHistogram match={match} rows={rows} threshold={threshold} onPick={select} onShowUnmatched={showUnmatched} />
                  <DensityScatter rows={rows} threshold={threshold} onPick={select} labels={{ a: ia.labels.model, b: ib.labels.model }} />
                </div>
                <div ref={matchTable}>
                  <MatchTable rows={rows} threshold={threshold} selected={selected} onSelect={select} indexA={ia.id} indexB={ib.id} unmatchedOnly={unmatchedOnly} onUnmatchedOnly={(on) => setParams({ only: on ? 'unmatched' : null })} />
                </div>
              </div>
            ) : (
              <p className="muted">Run the match to see every B feature's counterpart, the score distribution and the density scatter.</p>
            ))}

          {tab === 'overlay' &&
            (diffJobId && diff ? (
              <div className="panel">
                <OverlayPanel diffJobId={diffJobId} />
              </div>
            ) : (
              <p className="muted">Run a condition diff first; then lay a diff made elsewhere (a JSON result in the Library) next to it.</p>
            ))}

          {selected !== null && (
            <section className="pair" aria-label="Selected pair">
              <div className="pair-head small">
                B #{selected} ↔ A {selectedMatch === null ? '(no match)' : `#${selectedMatch}`} ·{' '}
                <a href={featureHref(ib.id, selected, { b: ia.id, bf: selectedMatch ?? undefined })}>open both on the Features page</a> ·{' '}
                <a href={routeHref('experiments', { new: 'ablate', model: ib.modelPath, sae: ib.saePath, features: selected, dataset: ib.datasetPath, condition })}>ablate it in B at this condition…</a> ·{' '}
                <a href={routeHref('experiments', { new: 'steer', model: ib.modelPath, sae: ib.saePath, features: selected, modelB: ia.modelPath, dataset: ib.datasetPath, condition })}>steer both models with it…</a>
                <button className="link" aria-label="Close the pair" onClick={() => setParams({ sel: null })}>
                  ×
                </button>
              </div>
              <div className="feature-panes two">
                <div className="pane-b">{featureB.detail ? <FeatureView detail={featureB.detail} index={ib} /> : <ErrorBanner error={featureB.error} />}</div>
                <div className="pane-a">
                  {selectedMatch === null ? <p className="muted">No feature of A co-fires with this one (or points its way).</p> : featureA.detail ? <FeatureView detail={featureA.detail} index={ia} /> : <ErrorBanner error={featureA.error} />}
                </div>
              </div>
            </section>
          )}
        </>
      )}
    </section>
  );
}
