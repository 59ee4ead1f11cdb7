/**
 * The Compare page's Crosscoder tab: one dictionary over both models, read from its decoders.
 * Pick a crosscoder (the Library's), analyse it (crosscoder.analyse: Δnorm, bands, decoder
 * cosines, densities, latent scaling), see the Δnorm histogram (the three-peak plot: A-only near 0,
 * shared near 0.5, B-only near 1) and the latents of a band, open a latent's page from the
 * crosscoder's index (built on request), and lay the crosscoder beside an SAE-based condition
 * diff: its latents' rates at the condition and whether the two methods agree. URL: crosscoder,
 * band, cl (the open latent), ccdiff (the diff to compare with).
 */
import * as Plot from '@observablehq/plot';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { COMPARE_DIFF_JOB_KIND, CROSSCODER_ANALYSE_KIND, INDEX_BUILD_JOB_KIND, type CrosscoderAgreement, type CrosscoderAnalysisView, type CrosscoderBands, type CrosscoderLatentRow, type FeatureIndexInfo, type JobView, type LibraryItem } from '../../../../preload/api';
import { useClient, useEvent } from '../../client/context';
import { routeHref, type RouteParams } from '../../router';
import { PlotFigure, themeColor } from '../charts/PlotFigure';
import { ErrorBanner } from '../ErrorBanner';
import { CrosscoderBandEditor } from './CrosscoderBandEditor';
import { FeatureView } from '../features/FeatureView';
import { useFeature } from '../features/useFeature';
import { ProgressBar } from '../ProgressBar';

type Band = 'b-only' | 'a-only' | 'leans-b' | 'live';
const bandTabs = (b: CrosscoderBands): { key: Band; label: string }[] => [
  { key: 'b-only', label: `B-only (Δnorm ≥ ${b.bOnlyMin})` },
  { key: 'a-only', label: `A-only (Δnorm ≤ ${b.aOnlyMax})` },
  { key: 'leans-b', label: `Leaning to B (Δnorm > ${b.sharedMax})` },
  { key: 'live', label: 'All live latents' },
];

const fmt = (v: number | null, digits = 3) => (v === null ? '–' : v.toFixed(digits));
const active = (j: JobView | null) => j !== null && !['completed', 'failed', 'cancelled', 'interrupted'].includes(j.state);

function DeltaNormHistogram({ view, onPick }: { view: CrosscoderAnalysisView; onPick: (band: Band) => void }) {
  const a = view.analysis!;
  const bins = a.histogram.counts.map((count, i) => ({ x1: a.histogram.edges[i], x2: a.histogram.edges[i + 1], count }));
  const b = a.bands;
  const regions = [
    { x1: 0, x2: b.aOnlyMax, label: 'A-only', color: themeColor('--model-a') },
    { x1: b.sharedMin, x2: b.sharedMax, label: 'shared', color: themeColor('--muted') },
    { x1: b.bOnlyMin, x2: 1, label: 'B-only', color: themeColor('--model-b') },
  ];
  // Bars take their band's colour; between the bands, the side they lean to, paler.
  const colorOf = (x: number) => (x < b.sharedMin ? themeColor('--model-a') : x >= b.sharedMax ? themeColor('--model-b') : themeColor('--accent'));
  const opacityOf = (x: number) => (x < b.aOnlyMax || x >= b.bOnlyMin || (x >= b.sharedMin && x < b.sharedMax) ? 1 : 0.55);
  const top = Math.max(1, ...bins.map((x) => x.count)) * 1.15;
  return (
    <figure className="chart-card">
      <figcaption className="small">
        Relative decoder norm of every live latent, Δnorm = 0.5 ((‖W_dec^B‖ − ‖W_dec^A‖) / max + 1): near 0 it writes only into A ({a.modelA}), near 1 only into B ({a.modelB}), near 0.5 into both. Bars: latents per bin (symlog scale). Shaded: the bands. Click a bar to list its band.
      </figcaption>
      <PlotFigure
        label="Δnorm histogram"
        deps={[view.job?.id, a.histogram]}
        minHeight={200}
        onPick={(d) => {
          const x = (d as { x1?: number }).x1;
          if (typeof x === 'number') onPick(x < b.aOnlyMax ? 'a-only' : x >= b.bOnlyMin ? 'b-only' : x > b.sharedMax ? 'leans-b' : 'live');
        }}
        options={() => ({
          height: 200,
          marginLeft: 48,
          marginTop: 26,
          x: { label: 'Δnorm', domain: [0, 1] },
          // Counts on a symlog axis (the shared peak dwarfs the others); the caption names them.
          y: { label: null, grid: true, type: 'symlog' },
          marks: [
            Plot.rect(regions, { x1: 'x1', x2: 'x2', y1: 0, y2: top, fill: 'color', fillOpacity: 0.1 }),
            Plot.text(regions, { x: (r: { x1: number; x2: number }) => (r.x1 + r.x2) / 2, y: top, text: 'label', dy: -8, fill: 'color', fontWeight: 700 }),
            Plot.rect(bins, { x1: 'x1', x2: 'x2', y1: 0, y2: 'count', fill: (d: { x1: number }) => colorOf(d.x1), fillOpacity: (d: { x1: number }) => opacityOf(d.x1), inset: 0.5, tip: true, title: (d: { x1: number; x2: number; count: number }) => `Δnorm ${d.x1.toFixed(2)}–${d.x2.toFixed(2)}: ${d.count} latents` }),
            Plot.ruleY([0]),
          ],
        })}
      />
    </figure>
  );
}

function SharedCosine({ view }: { view: CrosscoderAnalysisView }) {
  const c = view.analysis!.sharedCosine;
  const bins = c.counts.map((count, i) => ({ x1: c.edges[i], x2: c.edges[i + 1], count }));
  return (
    <figure className="chart-card">
      <figcaption className="small">Decoder cosine cos(W_dec^A, W_dec^B) of the shared latents{c.mean !== null ? ` (mean ${c.mean.toFixed(3)})` : ''}: near 1, a shared latent writes the same direction into both models.</figcaption>
      <PlotFigure
        label="Shared decoder cosine"
        deps={[view.job?.id, c]}
        minHeight={200}
        options={() => ({
          height: 200,
          marginLeft: 44,
          x: { label: 'decoder cosine', domain: [-1, 1] },
          y: { label: 'shared latents', grid: true },
          marks: [Plot.rect(bins, { x1: 'x1', x2: 'x2', y1: 0, y2: 'count', fill: themeColor('--accent'), inset: 0.5, tip: true }), Plot.ruleY([0])],
        })}
      />
    </figure>
  );
}

function LatentTable({ rows, confirmed, selected, onSelect, emptyNote }: { rows: CrosscoderLatentRow[]; confirmed: Set<number>; selected: number | null; onSelect: (latent: number) => void; emptyNote?: string }) {
  if (rows.length === 0) return <p className="muted small">No latent in this band.{emptyNote ? ` ${emptyNote}` : ''}</p>;
  return (
    <div className="table-scroll">
      <table className="library-table crosscoder-latents" aria-label="Crosscoder latents">
        <thead>
          <tr>
            <th className="num">Latent</th>
            <th className="num">Δnorm</th>
            <th>Band</th>
            <th className="num" title="Decoder cosine of W_dec^A and W_dec^B">cos A·B</th>
            <th className="num">Density</th>
            <th className="num" title="Latent scaling: the other model's reconstruction explained, relative to its own">ν_r</th>
            <th className="num" title="Latent scaling: the other model's error (with the latent added back) explained, relative to its own">ν_ε</th>
            <th title="Both ν below the threshold: the latent really is specific to one model">Confirmed</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.latent} data-latent={r.latent} className={['clickable', r.latent === selected ? 'selected' : ''].join(' ')} onClick={() => onSelect(r.latent)}>
              <td className="num">#{r.latent}</td>
              <td className="num">{fmt(r.delta_norm)}</td>
              <td>{r.category}</td>
              <td className="num">{fmt(r.cos_ab)}</td>
              <td className="num">{r.density === null ? '–' : r.density.toExponential(2)}</td>
              <td className="num">{fmt(r.nu_r)}</td>
              <td className="num">{fmt(r.nu_eps)}</td>
              <td>{r.category === 'a-only' || r.category === 'b-only' ? (confirmed.has(r.latent) ? '✓ survives latent scaling' : r.nu_r === null ? '–' : '✗ artefact?') : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AgreementTable({ agreement, onSelect }: { agreement: CrosscoderAgreement; onSelect: (latent: number) => void }) {
  return (
    <div>
      <p className="small" role="status">
        {agreement.sentence}
      </p>
      <div className="table-scroll">
        <table className="library-table" aria-label="Do the two methods agree">
          <thead>
            <tr>
              <th className="num">Latent</th>
              <th className="num">Δnorm</th>
              <th className="num">Rate at condition</th>
              <th className="num">Rate elsewhere</th>
              <th className="num" title="The SAE-B feature that co-fires with it most at the condition">SAE B feature</th>
              <th className="num">Jaccard</th>
              <th className="num">Diff asymmetry</th>
              <th>Diff says</th>
              <th>Agreement</th>
            </tr>
          </thead>
          <tbody>
            {agreement.rows.map((r) => (
              <tr key={r.latent} data-latent={r.latent} data-agreement={r.agreement} className="clickable" onClick={() => onSelect(r.latent)}>
                <td className="num">#{r.latent}</td>
                <td className="num">{fmt(r.delta_norm)}</td>
                <td className="num">{r.rate_at_condition.toFixed(3)}</td>
                <td className="num">{r.rate_elsewhere.toFixed(4)}</td>
                <td className="num">{r.sae_feature === null ? '–' : `#${r.sae_feature}`}</td>
                <td className="num">{fmt(r.jaccard, 2)}</td>
                <td className="num">{fmt(r.sae_asymmetry, 1)}</td>
                <td>{r.sae_why ?? 'not in the diff'}</td>
                <td className={r.agreement === 'both' || r.agreement === 'neither' ? 'gate-pass' : 'gate-fail'}>{r.agreement}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function CrosscoderTab({ params, setParams }: { params: URLSearchParams; setParams: (changes: RouteParams, options?: { push?: boolean }) => void }) {
  const client = useClient();
  const [items, setItems] = useState<LibraryItem[] | null>(null);
  const [view, setView] = useState<CrosscoderAnalysisView | null>(null);
  const [indexes, setIndexes] = useState<FeatureIndexInfo[]>([]);
  const [diffs, setDiffs] = useState<JobView[]>([]);
  const [agreement, setAgreement] = useState<CrosscoderAgreement | null>(null);
  const [buildJob, setBuildJob] = useState<JobView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const chosen = params.get('crosscoder');
  const band = (params.get('band') as Band | null) ?? 'b-only';
  const latentParam = params.get('cl');
  const latent = latentParam !== null && /^\d+$/.test(latentParam) ? Number(latentParam) : null;
  const diffJobId = params.get('ccdiff');

  useEffect(() => {
    client.call('library.list', {}).then((l) => setItems(l.items.filter((i) => i.kind === 'crosscoder')), setError);
    client.call('jobs.list', {}).then((jobs) => setDiffs(jobs.filter((j) => j.kind === COMPARE_DIFF_JOB_KIND && j.state === 'completed')), setError);
  }, [client]);
  const loadIndexes = useCallback(() => client.call('index.list', {}).then(setIndexes, setError), [client]);
  useEffect(() => void loadIndexes(), [loadIndexes]);
  // The analysis shown: the one last asked for here (its bands), else the newest.
  const analysisJob = params.get('ccjob');
  const load = useCallback(() => {
    if (!chosen) return setView(null);
    client.call('crosscoder.analysis', { crosscoder: chosen, ...(analysisJob ? { job: analysisJob } : {}) }).then(setView, setError);
  }, [client, chosen, analysisJob]);
  useEffect(() => load(), [load]);
  useEvent(
    'job.updated',
    (job) => {
      if (job.kind === CROSSCODER_ANALYSE_KIND && (job.id === view?.job?.id || job.state === 'completed')) load();
      if (job.kind === INDEX_BUILD_JOB_KIND && job.id === buildJob?.id) {
        setBuildJob(job);
        if (job.state === 'completed') void loadIndexes();
      }
    },
    [view?.job?.id, buildJob?.id, load, loadIndexes],
  );
  const index = useMemo(() => indexes.find((i) => i.saePath === chosen && i.state === 'ready') ?? null, [indexes, chosen]);
  const feature = useFeature(index?.id ?? null, latent);
  // By value: a reload handing the same bands again must not clear and re-fetch the agreement.
  const bandsKey = view?.analysis?.bands ? JSON.stringify(view.analysis.bands) : null;
  const bandsOfView = useMemo(() => (bandsKey ? (JSON.parse(bandsKey) as CrosscoderBands) : null), [bandsKey]);
  useEffect(() => {
    setAgreement(null);
    if (!index || !diffJobId) return;
    client.call('crosscoder.agreement', { crosscoderIndex: index.id, diffJobId, ...(bandsOfView ? { bands: bandsOfView } : {}) }).then(setAgreement, setError);
  }, [client, index, diffJobId, bandsOfView]);

  const a = view?.analysis ?? null;
  const leaningB = useMemo(() => (a ? a.latents.filter((l) => !(a.deadLatents ?? []).includes(l.latent) && (l.delta_norm ?? 0) > a.bands.sharedMax).length : 0), [a]);
  const confirmed = useMemo(() => new Set([...(a?.confirmed.aOnly ?? []), ...(a?.confirmed.bOnly ?? [])]), [a]);
  const dead = useMemo(() => new Set(a?.deadLatents ?? []), [a]);
  const rows = useMemo(() => {
    if (!a) return [];
    const live = a.latents.filter((l) => !dead.has(l.latent));
    const pick = band === 'b-only' ? live.filter((l) => l.category === 'b-only') : band === 'a-only' ? live.filter((l) => l.category === 'a-only') : band === 'leans-b' ? live.filter((l) => (l.delta_norm ?? 0) > a.bands.sharedMax) : live;
    return [...pick].sort((x, y) => (y.delta_norm ?? 0) - (x.delta_norm ?? 0) || x.latent - y.latent);
  }, [a, band, dead]);

  // Again with the analysis' own bands unless new ones are given: "Analyse again" never resets them.
  const analyse = (bands?: CrosscoderBands) => {
    // A failed analysis has no result: its job's params still say which bands were asked for.
    const use = bands ?? view?.analysis?.bands ?? (view?.job?.params as { bands?: CrosscoderBands } | undefined)?.bands;
    return (
      chosen &&
      client.call('crosscoder.analyse', { crosscoder: chosen, ...(use ? { bands: use } : {}) }).then((job) => {
        setView((v) => ({ job, analysis: v?.analysis ?? null }));
        setParams({ ccjob: job.id });
      }, setError)
    );
  };
  const buildIndex = () => {
    if (!a || !chosen || !a.modelPathB || !a.dataset) return;
    client.call('index.build', { modelPath: a.modelPathB, ...(a.modelPathA ? { modelAPath: a.modelPathA } : {}), saePaths: [chosen], datasetPath: a.dataset, maxDocuments: 1000 }).then(setBuildJob, setError);
  };
  const select = (l: number) => setParams({ cl: l });

  return (
    <div className="panel crosscoder-tab">
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      <label className="picker-row">
        <span className="picker-caption">Crosscoder</span>
        <select aria-label="Crosscoder" value={chosen ?? ''} onChange={(e) => setParams({ crosscoder: e.target.value || null, cl: null, band: null, ccjob: null })}>
          <option value="">Choose…</option>
          {chosen && items && !items.some((i) => i.path === chosen) && <option value={chosen}>{chosen}</option>}
          {items?.map((i) => (
            <option key={i.id} value={i.path} title={i.path}>
              {i.identity.label}
            </option>
          ))}
        </select>
      </label>
      {items?.length === 0 && !chosen && (
        <p className="muted small">
          No crosscoder in the Library yet. Train one on the <a href={routeHref('training', { crosscoder: 1 })}>Training</a> page (New crosscoder).
        </p>
      )}
      {chosen && view && !a && (
        <div className="condition-row">
          <button className="primary" onClick={() => void analyse()} disabled={active(view.job)}>
            {active(view.job) ? 'Analysing…' : 'Analyse'}
          </button>
          {active(view.job) && <ProgressBar value={view.job!.progress} label="Analysis progress" />}
          {view.job?.state === 'failed' && <span className="error-text small">{view.job.error?.message}</span>}
          <span className="muted small">Δnorm, bands and decoder cosines from the weights; densities and latent scaling (ν_r, ν_ε) over the first 32k tokens of its dataset with both models.</span>
        </div>
      )}
      {a && (
        <>
          <div className="crosscoder-tiles small" role="group" aria-label="Crosscoder bands">
            <span className="tile">
              <strong>{a.counts.live}</strong> live of {a.dSae}
            </span>
            <button className="tile link" onClick={() => setParams({ band: 'a-only' })}>
              <strong>{a.counts['a-only']}</strong> A-only
            </button>
            <span className="tile">
              <strong>{a.counts.shared}</strong> shared
            </span>
            <button className="tile link" onClick={() => setParams({ band: 'b-only' })}>
              <strong>{a.counts['b-only']}</strong> B-only
            </button>
            <button className="tile link" onClick={() => setParams({ band: 'leans-b' })}>
              <strong>{leaningB}</strong> lean to B
            </button>
            <span className="tile" title={`ν_r and ν_ε below ${a.nuMax}`}>
              <strong>{a.confirmed.aOnly.length + a.confirmed.bOnly.length}</strong> confirmed by latent scaling
            </span>
            <span className="muted">
              {a.modelA} (A) ↔ {a.modelB} (B) · {a.hookA === a.hookB ? a.hookA : `${a.hookA} / ${a.hookB}`} · k {a.k}
              {a.tokens !== null ? ` · ${a.tokens.toLocaleString('en-US')} tokens analysed` : ''}
            </span>
            <button className="small" onClick={() => void analyse()} disabled={active(view!.job)}>
              Analyse again
            </button>
          </div>
          <CrosscoderBandEditor bands={a.bands} busy={active(view!.job)} onApply={(b) => void analyse(b)} />
          <div className="chart-row">
            <DeltaNormHistogram view={view!} onPick={(b) => setParams({ band: b })} />
            <SharedCosine view={view!} />
          </div>
          <nav className="tabs small" aria-label="Latent band">
            {bandTabs(a.bands).map((b) => (
              <button key={b.key} className={b.key === band ? 'tab active' : 'tab'} aria-pressed={b.key === band} onClick={() => setParams({ band: b.key })}>
                {b.label}
              </button>
            ))}
          </nav>
          <LatentTable
            rows={rows}
            confirmed={confirmed}
            selected={latent}
            onSelect={select}
            emptyNote={band === 'b-only' ? `No latent writes (almost) only into B; ${leaningB} lean to B (Δnorm > ${a.bands.sharedMax}): a direction B adds on top of something both models share stays in one latent whose B decoder is longer.` : undefined}
          />

          <h3>Beside the SAE-based condition diff</h3>
          {!index ? (
            <div className="condition-row small">
              {buildJob && active(buildJob) ? (
                <>
                  Building the crosscoder's index… <ProgressBar value={buildJob.progress} label="Index build progress" />
                </>
              ) : (
                <>
                  <button onClick={buildIndex} disabled={!a.modelPathB || !a.dataset}>
                    Build the crosscoder's index
                  </button>
                  <span className="muted">Feature pages for its latents (examples, both decoders' logit effects) and its rates at a condition need one index over both models' paired activations.</span>
                  {buildJob?.state === 'failed' && <span className="error-text">{buildJob.error?.message}</span>}
                </>
              )}
            </div>
          ) : (
            <>
            <label className="picker-row small">
              <span className="picker-caption">Condition diff</span>
              <select aria-label="Condition diff to compare with" value={diffJobId ?? ''} onChange={(e) => setParams({ ccdiff: e.target.value || null })}>
                <option value="">Choose a finished diff…</option>
                {diffs.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.title}
                  </option>
                ))}
              </select>
            </label>
            <p className="muted small">{diffs.length === 0 ? 'Run a condition diff on the Condition diff tab first (two SAE indexes on the same dataset): the crosscoder\'s latents at its condition then sit beside its B features.' : 'Its latents at that diff\'s condition, each beside the SAE-B feature that co-fires with it most, and whether each method calls it specific to B.'}</p>
            </>
          )}
          {agreement && <AgreementTable agreement={agreement} onSelect={select} />}
        </>
      )}
      {latent !== null && (
        <section className="pair" aria-label="Crosscoder latent">
          <div className="pair-head small">
            Latent #{latent}
            {a?.latents[latent] ? ` · Δnorm ${fmt(a.latents[latent].delta_norm)} · ${a.latents[latent].category}` : ''} ·{' '}
            {chosen && a?.modelPathB && (
              <>
                <a href={routeHref('experiments', { new: 'steer', model: a.modelPathB, sae: chosen, features: latent, decoder: 'b' })}>steer model B along its B decoder…</a> ·{' '}
              </>
            )}
            <button className="link" aria-label="Close the latent" onClick={() => setParams({ cl: null })}>
              ×
            </button>
          </div>
          {index ? feature.detail ? <FeatureView detail={feature.detail} index={index} /> : <ErrorBanner error={feature.error} /> : <p className="muted small">Build the crosscoder's index (above) to see this latent's examples and logit effects.</p>}
        </section>
      )}
    </div>
  );
}
