import * as Plot from '@observablehq/plot';
import { featureIndexLabel, type CrosscoderFeatureFacts, type FeatureDetail, type FeatureIndexInfo, type FeatureNeighbour, type LogitEntry } from '../../../../preload/api';
import { routeHref } from '../../router';
import { PlotFigure, themeColor } from '../charts/PlotFigure';
import { displayToken } from '../prompt/featureColor';
import { TokenContext } from './TokenContext';
import { DirectionPanel } from '../labels/DirectionPanel';
import { FeatureLabelEditor } from '../labels/FeatureLabelEditor';
import { LabelTag } from '../labels/LabelTag';
import { labelNames, useFeatureLabels } from '../labels/useFeatureLabels';
import '../labels/labels.css';

/** Density (fires / tokens) always as a percentage, so a column never mixes units: 3.99%, 0.913%, 2.76e-4%. */
export function formatDensity(d: number): string {
  if (d === 0) return '0%';
  const pct = d * 100;
  if (pct >= 0.01) return `${pct.toPrecision(3)}%`;
  return `${pct.toExponential(2)}%`;
}

/** Where a feature of an index lives: the page (and pane) a link opens. */
export function featureHref(indexId: string, feature: number, extra: Record<string, string | number | undefined> = {}): string {
  return routeHref('features', { index: indexId, feature, ...extra });
}

function Neighbours({ title, items, href, scoreLabel, labels }: { title: string; items: FeatureNeighbour[]; href: (feature: number) => string; scoreLabel: string; labels: Map<number, string> }) {
  return (
    <div className="neighbours" aria-label={title}>
      <h3>{title}</h3>
      {items.length === 0 ? (
        <p className="muted small">None.</p>
      ) : (
        <table className="mini-table">
          <thead>
            <tr>
              <th>Feature</th>
              <th className="num">{scoreLabel}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((n) => (
              <tr key={n.feature}>
                <td className="linked-feature">
                  <a href={href(n.feature)}>#{n.feature}</a>
                  <LabelTag label={labels.get(n.feature)} />
                </td>
                <td className="num">{n.score.toFixed(3)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function LogitTable({ title, entries }: { title: string; entries: LogitEntry[] }) {
  return (
    <div className="logit-table" aria-label={title}>
      <h3>{title}</h3>
      <table className="mini-table">
        <tbody>
          {entries.map((e) => (
            <tr key={e.token}>
              <td>
                <code>{displayToken(e.text)}</code>
              </td>
              <td className="num">{e.value >= 0 ? '+' : ''}{e.value.toFixed(3)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Histogram({ detail }: { detail: FeatureDetail }) {
  const { counts, upper } = detail.histogram;
  const width = upper / counts.length;
  const bins = counts.map((count, i) => ({ x1: i * width, x2: (i + 1) * width, count }));
  return (
    <PlotFigure
      label={`Activation histogram of feature ${detail.feature}`}
      deps={[detail.indexId, detail.feature]}
      minHeight={160}
      options={() => ({
        height: 160,
        marginLeft: 48,
        x: { label: 'activation', domain: [0, upper || 1] },
        y: { label: 'firings', grid: true },
        marks: [Plot.rectY(bins, { x1: 'x1', x2: 'x2', y: 'count', fill: themeColor('--activation'), inset: 0.5, tip: true }), Plot.ruleY([0])],
      })}
    />
  );
}

/** One feature as sae_vis / Neuronpedia show it, in their order. */
/** `neighbourHref` says where a similar/correlated feature opens (default: this index's page; a side pane keeps the main one). */
/** `pairWith`: the feature shown beside this one, whose decoder cosine with this one is shown. */
/** A crosscoder latent's two decoders: where it writes (Δnorm), how long each is and how alike. */
function CrosscoderFacts({ facts }: { facts: CrosscoderFeatureFacts }) {
  const band = facts.deltaNorm === null ? 'writes nothing' : facts.deltaNorm <= 0.1 ? 'A-only' : facts.deltaNorm >= 0.9 ? 'B-only' : facts.deltaNorm >= 0.4 && facts.deltaNorm <= 0.6 ? 'shared' : facts.deltaNorm > 0.6 ? 'leans to B' : 'leans to A';
  return (
    <section className="feature-section crosscoder-facts" aria-label="Crosscoder decoders">
      <h3>
        Crosscoder latent: decoder A ({facts.modelA}) and decoder B ({facts.modelB})
      </h3>
      <dl className="feature-stats">
        <div>
          <dt>Δnorm</dt>
          <dd title="0.5 ((||d_B|| - ||d_A||) / max + 1): 0 = only A, 1 = only B">
            {facts.deltaNorm === null ? '–' : facts.deltaNorm.toFixed(3)} <span className="muted small">{band}</span>
          </dd>
        </div>
        <div>
          <dt>||W_dec^A||</dt>
          <dd>{facts.normA.toFixed(3)}</dd>
        </div>
        <div>
          <dt>||W_dec^B||</dt>
          <dd>{facts.normB.toFixed(3)}</dd>
        </div>
        <div>
          <dt>cos(W_dec^A, W_dec^B)</dt>
          <dd>{facts.cosAb === null ? '–' : facts.cosAb.toFixed(3)}</dd>
        </div>
      </dl>
    </section>
  );
}

export function FeatureView({ detail, index, actions, neighbourHref, pairWith }: { detail: FeatureDetail; index: FeatureIndexInfo | null; actions?: React.ReactNode; neighbourHref?: (feature: number) => string; pairWith?: { sae: string; feature: number; label: string } | null }) {
  const d = detail;
  const dead = d.fireCount === 0;
  const labels = useFeatureLabels({ index: d.indexId });
  const names = labelNames(labels);
  return (
    <article className="feature-view" aria-label={`Feature ${d.feature}`} data-feature={d.feature}>
      <header className="feature-header">
        <div>
          <h2>
            Feature #{d.feature}
            <LabelTag label={names.get(d.feature)} /> <span className="muted small">of {d.dSae.toLocaleString('en-US')}</span>
          </h2>
          <div className="muted small">
            {featureIndexLabel(d)} · index {d.indexId}
          </div>
        </div>
        {actions}
      </header>
      <FeatureLabelEditor labelRef={{ index: d.indexId }} feature={d.feature} stored={labels.byFeature.get(d.feature) ?? null} demo={labels.sae?.demo} />
      <dl className="feature-stats">
        <div>
          <dt>Density</dt>
          <dd title={`${d.fireCount} / ${d.tokens}`}>{formatDensity(d.density)}</dd>
        </div>
        <div>
          <dt>Max activation</dt>
          <dd>{d.max.toFixed(3)}</dd>
        </div>
        <div>
          <dt>Mean (when firing)</dt>
          <dd>{d.mean.toFixed(3)}</dd>
        </div>
        <div>
          <dt>Fires on</dt>
          <dd>
            {d.fireCount.toLocaleString('en-US')} <span className="muted small">of {d.tokens.toLocaleString('en-US')} tokens</span>
          </dd>
        </div>
        <div>
          <dt>Decoder norm</dt>
          <dd>{d.decoderNorm.toFixed(3)}</dd>
        </div>
      </dl>
      {d.crosscoder && <CrosscoderFacts facts={d.crosscoder} />}
      {index?.stale && <div className="warn-text small">This index may be out of date: {index.stale}</div>}
      {dead ? (
        <p className="muted">This feature never fired on the {d.tokens.toLocaleString('en-US')} indexed tokens (dead on this dataset).</p>
      ) : (
        <>
          <section className="feature-section" aria-label="Top activations">
            <h3>Top activations</h3>
            {d.top.map((e, i) => (
              <div key={`${e.document}:${e.position}`} className="example-row">
                <span className="example-act num">{e.activation.toFixed(2)}</span>
                <TokenContext example={e} max={d.max} label={`Top example ${i + 1}`} />
                <span className="example-where muted small">
                  doc {e.document} · pos {e.position}
                </span>
              </div>
            ))}
          </section>
          <section className="feature-section" aria-label="Activation intervals">
            <h3>Activation intervals</h3>
            {[...d.intervals].reverse().map((iv, k) =>
              iv.count === 0 ? null : (
                <div key={k} className="interval" aria-label={`Interval ${iv.lower.toFixed(2)} to ${iv.upper.toFixed(2)}`}>
                  <div className="interval-head small">
                    <strong>
                      ({iv.lower.toFixed(2)}, {iv.upper.toFixed(2)}]
                    </strong>{' '}
                    <span className="muted">
                      contains {(iv.share * 100).toFixed(1)}% ({iv.count.toLocaleString('en-US')} firings)
                    </span>
                  </div>
                  {iv.examples.map((e) => (
                    <div key={`${e.document}:${e.position}`} className="example-row">
                      <span className="example-act num">{e.activation.toFixed(2)}</span>
                      <TokenContext example={e} max={d.max} />
                      <span className="example-where muted small">
                        doc {e.document} · pos {e.position}
                      </span>
                    </div>
                  ))}
                </div>
              ),
            )}
          </section>
        </>
      )}
      <div className="feature-grid">
        <section className="feature-section" aria-label="Activation histogram">
          <h3>Activation histogram</h3>
          {dead ? <p className="muted small">No firings.</p> : <Histogram detail={d} />}
        </section>
        <section className="feature-section logits" aria-label="Logit effects">
          {d.crosscoder && <h3>Model B's decoder ({d.crosscoder.modelB})</h3>}
          {d.logits ? (
            <div className="logit-pair">
              <LogitTable title={d.crosscoder ? 'Promotes (W_dec^B · W_U^B)' : 'Promotes (W_dec · W_U)'} entries={d.logits.positive} />
              <LogitTable title="Suppresses" entries={d.logits.negative} />
            </div>
          ) : (
            <p className="muted small">No logit effects for this hook.</p>
          )}
          {d.crosscoder && (
            <>
              <h3>Model A's decoder ({d.crosscoder.modelA})</h3>
              {d.crosscoder.logitsA ? (
                <div className="logit-pair">
                  <LogitTable title="Promotes (W_dec^A · W_U^A)" entries={d.crosscoder.logitsA.positive} />
                  <LogitTable title="Suppresses" entries={d.crosscoder.logitsA.negative} />
                </div>
              ) : (
                <p className="muted small">No logit effects for model A's hook.</p>
              )}
            </>
          )}
        </section>
      </div>
      <div className="feature-grid">
        <Neighbours title="Similar features (decoder cosine)" items={d.similar} href={neighbourHref ?? ((f) => featureHref(d.indexId, f))} scoreLabel="cosine" labels={names} />
        <Neighbours title="Correlated features (activation Pearson)" items={d.correlated} href={neighbourHref ?? ((f) => featureHref(d.indexId, f))} scoreLabel="r" labels={names} />
      </div>
      {index && !d.crosscoder && <DirectionPanel sae={index.saePath} feature={d.feature} pairWith={pairWith} />}
    </article>
  );
}
