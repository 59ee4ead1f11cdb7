/**
 * One experiment artifact as a researcher reads it: what was done, the verdict sentence(s), the
 * plot(s), the numbers, generated text, and every parameter and input, with exports (the
 * artifact as JSON; each plot as SVG or PNG).
 */
import * as Plot from '@observablehq/plot';
import type { AblateArtifact, EffectWithNull, ExperimentArtifact, ProbeArtifact, SteerArtifact, SteerPanelResult, SwapArtifact } from '../../../../preload/api';
import { PlotFigure, themeColor } from '../charts/PlotFigure';
import { ExperimentFigure } from './ExperimentFigure';
import { NullBandPlot, ProbePlot, SweepPlot } from './ExperimentPlots';
import { num, pct, pValue } from './experimentFormat';
import { downloadJson } from './exportFigure';

const KIND_TITLE = { ablate: 'Ablation', steer: 'Steering', swap: 'Swap', probe: 'Probes' } as const;

/** The verdict's colour follows its reading (main/stats/verdict.ts); artifacts older than readings fall back to the 2-SEM test. */
function verdictClass(result: Partial<Pick<EffectWithNull, 'reading' | 'outsideNull'>>): string {
  switch (result.reading) {
    case 'beyond-all':
    case 'unusual':
      return 'verdict outside';
    case 'like-random':
      return 'verdict inside';
    case 'no-effect':
      return 'verdict nil';
    case 'no-null':
      return 'verdict';
  }
  return result.outsideNull === true ? 'verdict outside' : result.outsideNull === false ? 'verdict inside' : 'verdict';
}

function Verdict({ result, label }: { result: Pick<EffectWithNull, 'verdict'> & Partial<Pick<EffectWithNull, 'reading' | 'outsideNull'>>; label?: string }) {
  return (
    <p className={verdictClass(result)} role="note" aria-label={label ?? 'Verdict'} data-reading={result.reading}>
      {label && <span className="verdict-label">{label}</span>}
      {result.verdict}
    </p>
  );
}

function Numbers({ items }: { items: [string, string][] }) {
  return (
    <dl className="result-numbers">
      {items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The null's tiles: the 2-SEM test's numbers, the p-value among single draws, and the margin test when one was set. */
function nullItems(r: EffectWithNull): [string, string][] {
  const margin: [string, string][] = r.margin == null ? [] : [[`margin ±${num(r.margin)}`, r.withinMargin == null ? 'no null' : r.withinMargin ? 'within' : 'outside']];
  if (!r.null) return [['null', 'none'], ...margin];
  return [
    ['null mean', num(r.null.mean)],
    ['null SEM', num(r.null.sem)],
    ['seeds', `${r.null.seeds.length} × ${r.null.draws[0]?.effects.length ?? 0} draws`],
    ['z', num(r.z)],
    ['p (single draws)', r.pValue == null ? '–' : pValue(r.pValue)],
    ...margin,
  ];
}

function flatten(value: unknown, prefix = ''): [string, string][] {
  if (value && typeof value === 'object' && !Array.isArray(value)) return Object.entries(value).flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
  if (Array.isArray(value) && value.some((v) => v && typeof v === 'object')) return value.flatMap((v, i) => flatten(v, `${prefix}[${i}]`));
  return [[prefix, Array.isArray(value) ? value.join(', ') : String(value)]];
}

function ParamsTable({ artifact }: { artifact: ExperimentArtifact }) {
  const rows = [...flatten(artifact.params), ...flatten(artifact.slice, 'slice')];
  return (
    <details className="result-section">
      <summary>Parameters ({rows.length}) and inputs</summary>
      <table className="params-table" aria-label="Parameters">
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <th>{k}</th>
              <td>{v}</td>
            </tr>
          ))}
          {artifact.inputs.map((i) => (
            <tr key={i.root}>
              <th>input: {i.role}</th>
              <td>
                {i.root} · sha256 {i.sha256.slice(0, 16)}… ({i.files.length} file{i.files.length === 1 ? '' : 's'})
              </td>
            </tr>
          ))}
          <tr>
            <th>run</th>
            <td>
              {new Date(artifact.createdAt).toLocaleString()} · {(artifact.elapsedMs / 1000).toFixed(1)} s on {artifact.executionProvider.toUpperCase()} · app {artifact.appVersion}
            </td>
          </tr>
        </tbody>
      </table>
    </details>
  );
}

function measured(a: { metric: { label: string; condition: string | null; positions: number }; slice: { documents: number } }): string {
  return `${a.metric.label}${a.metric.condition ? ` at ${a.metric.condition}` : ''}, averaged over ${a.metric.positions.toLocaleString('en-US')} positions of ${a.slice.documents.toLocaleString('en-US')} documents`;
}

function AblationView({ a, name }: { a: AblateArtifact; name: string }) {
  return (
    <>
      <Verdict result={a.result} />
      <Numbers items={[['clean', num(a.clean)], ['ablated', num(a.ablated)], ['effect', num(a.result.effect)], ...nullItems(a.result)]} />
      <ExperimentFigure name={name}>
        <NullBandPlot rows={[{ label: `${a.params.mode}-ablate ${a.params.features.join(', ')}`, effect: a.result.effect, null: a.result.null }]} metricLabel={a.metric.label} deps={[a.createdAt]} />
      </ExperimentFigure>
      <p className="muted small">
        Null: {a.params.seeds} seeds × {a.params.drawsPerSeed} random feature sets of the same size, each feature matched by density decile ({a.densities.source === 'index' ? `densities from index ${a.densities.indexId}` : 'densities from one pass over these documents'}; {a.densities.featureDeciles.map((d) => `#${d.feature} density ${num(d.density)}, decile ${d.decile + 1}/10`).join('; ')}). Band: null mean ± 2 SEM; whiskers ± 1 SEM; small dots: per-seed means; rings: every single random draw (what p counts).
      </p>
    </>
  );
}

function SteerPanelCard({ p, metricLabel, name, index }: { p: SteerPanelResult; metricLabel: string; name: string; index: number }) {
  const ref = p.points[p.points.length - 1];
  return (
    <section className="experiment-result" aria-label={`Panel ${index + 1}: ${p.label}`}>
      <h3 style={{ margin: '0 0 4px', fontSize: 14 }}>
        {index + 1}. {p.label}
      </h3>
      <div className="muted small">
        {p.intervention === 'add' ? `x + c · W_dec[${p.feature}]` : p.intervention === 'replace' ? `component along W_dec[${p.feature}] set to c` : `latent ${p.feature} zeroed by SAE splice`} at {p.hook}
        {p.carried ? ' · direction carried from another model' : ''} · feature max {num(p.featureMax)} · ‖W_dec‖ {num(p.decoderNorm)} · clean {num(p.clean)}
      </div>
      <Numbers items={[['clean', num(p.clean)], [`steered (c = ${num(ref.strength)})`, num(ref.steered)], ['effect', num(ref.effect)], ...nullItems(ref)]} />
      <ExperimentFigure name={`${name}-panel${index + 1}`}>
        {p.points.length > 1 ? (
          <SweepPlot series={[{ label: p.label, points: p.points.map((pt) => ({ strength: pt.strength, effect: pt.effect, nullMean: pt.null?.mean ?? null, nullSem: pt.null?.sem ?? null })) }]} metricLabel={metricLabel} deps={[p.label, p.points.length]} />
        ) : (
          <NullBandPlot rows={[{ label: `c = ${num(ref.strength)}`, effect: ref.effect, null: ref.null }]} metricLabel={metricLabel} deps={[p.label, ref.effect]} />
        )}
      </ExperimentFigure>
      <Verdict result={ref} label={p.points.length > 1 ? `at c = ${num(ref.strength)}` : undefined} />
      {p.points.length > 1 && (
        <details>
          <summary className="small">Every sweep point ({p.points.length})</summary>
          <table className="params-table" aria-label={`Sweep of panel ${index + 1}`}>
            <tbody>
              {p.points.map((pt) => (
                <tr key={pt.strength}>
                  <th>c = {num(pt.strength)}</th>
                  <td>
                    {num(pt.steered)} (effect {num(pt.effect)}; null {num(pt.null?.mean)} ± {num(pt.null?.sem)} SEM; z {num(pt.z)}; p {pt.pValue == null ? '–' : pValue(pt.pValue)}) {pt.outsideNull ? 'outside' : 'within'} 2 SEM
                    {pt.margin == null ? '' : `; ${pt.withinMargin ? 'within' : 'outside'} ±${num(pt.margin)}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
      {p.generation && (
        <div className="generation-pair" aria-label={`Generated text of panel ${index + 1}`}>
          <div>
            <div className="muted small">without</div>
            <span className="prompt">{p.generation.prompt}</span> <span data-generated="clean">{p.generation.clean}</span>
          </div>
          <div className="steered-side">
            <div className="muted small">with c = {num(p.generation.strength)}</div>
            <span className="prompt">{p.generation.prompt}</span> <span data-generated="steered">{p.generation.steered}</span>
          </div>
        </div>
      )}
    </section>
  );
}

function SteeringView({ a, name }: { a: SteerArtifact; name: string }) {
  return (
    <div className="steer-panels">
      <div className={`steer-panels-grid${a.panels.length > 1 ? ' multi' : ''}`}>
        {a.panels.map((p, i) => (
          <SteerPanelCard key={i} p={p} index={i} metricLabel={a.metric.label} name={name} />
        ))}
      </div>
    </div>
  );
}

function SwapView({ a, name }: { a: SwapArtifact; name: string }) {
  const rows = [
    { label: 'A', value: a.a },
    { label: 'A, swapped', value: a.swapped },
    { label: 'B', value: a.b },
  ];
  return (
    <>
      <Verdict result={a.result} />
      <Numbers items={[['model A', num(a.a)], ['model B', num(a.b)], ['swapped', num(a.swapped)], ['share of A→B', a.gapFraction === null ? '–' : pct(a.gapFraction)], ...nullItems(a.result)]} />
      <ExperimentFigure name={name}>
        <PlotFigure
          label="Swap against both models"
          deps={[a.createdAt]}
          minHeight={150}
          options={() => ({
            height: 170,
            marginLeft: 90,
            marginRight: 30,
            // Inset: a point at the end of the range stays clear of the row labels and the frame.
            x: { label: a.metric.label, grid: true, inset: 36 },
            y: { label: null, domain: rows.map((r) => r.label), padding: 0.5 },
            marks: [Plot.dot(rows, { x: 'value', y: 'label', r: 6, fill: themeColor('--accent', '#2563eb') }), Plot.text(rows, { x: 'value', y: 'label', text: (r) => num(r.value), dy: -14, fill: 'currentColor' })],
          })}
        />
      </ExperimentFigure>
      {a.result.null && (
        <ExperimentFigure name={`${name}-null`}>
          <NullBandPlot rows={[{ label: 'swap effect', effect: a.result.effect, null: a.result.null }]} metricLabel={a.metric.label} deps={[a.createdAt]} />
        </ExperimentFigure>
      )}
    </>
  );
}

function ProbeView({ a, name }: { a: ProbeArtifact; name: string }) {
  return (
    <>
      {a.probes.map((p) => (
        <Verdict key={p.label} result={{ verdict: p.verdict, outsideNull: p.accuracy !== null && p.baseline.accuracy !== null ? p.accuracy > p.baseline.accuracy : null }} />
      ))}
      <ExperimentFigure name={name}>
        <ProbePlot bars={a.probes.map((p) => ({ label: p.label, accuracy: p.accuracy, baseline: p.baseline.accuracy, auroc: p.auroc }))} deps={[a.createdAt]} />
      </ExperimentFigure>
      <table className="mini-table" aria-label="Probes">
        <thead>
          <tr>
            <th>Probe</th>
            <th className="num">Inputs</th>
            <th className="num">Held-out acc.</th>
            <th className="num">Baseline</th>
            <th className="num">AUROC</th>
            <th className="num">Train acc.</th>
            <th className="num">Positives (train / test)</th>
          </tr>
        </thead>
        <tbody>
          {a.probes.map((p) => (
            <tr key={p.label}>
              <td>{p.label}</td>
              <td className="num">{p.inputs}</td>
              <td className="num">{pct(p.accuracy)}</td>
              <td className="num">{pct(p.baseline.accuracy)}</td>
              <td className="num">{p.auroc === null ? '–' : p.auroc.toFixed(3)}</td>
              <td className="num">{pct(p.trainAccuracy)}</td>
              <td className="num">
                {p.trainPositives}/{p.trainPositions} · {p.testPositives}/{p.testPositions}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">
        Split by document: {a.trainDocuments.length} training, {a.testDocuments.length} held-out documents (seed {a.params.splitSeed}). Logistic regression, L2 {a.params.l2} on standardised inputs. Red tick: always predicting the training majority.
      </p>
    </>
  );
}

export function ExperimentResult({ artifact, name }: { artifact: ExperimentArtifact; name: string }) {
  const a = artifact;
  const subtitle = a.kind === 'probe' ? `Label: ${a.condition}; ${a.slice.documents} documents` : measured(a);
  return (
    <article className="experiment-result" aria-label={`${KIND_TITLE[a.kind]} result`}>
      <div className="result-head">
        <div>
          <h2>{KIND_TITLE[a.kind]}</h2>
          <div className="muted small">{subtitle}</div>
        </div>
        <div className="result-actions">
          <button onClick={() => downloadJson(`${name}.json`, a)}>Export JSON</button>
        </div>
      </div>
      {a.kind === 'ablate' && <AblationView a={a} name={name} />}
      {a.kind === 'steer' && <SteeringView a={a} name={name} />}
      {a.kind === 'swap' && <SwapView a={a} name={name} />}
      {a.kind === 'probe' && <ProbeView a={a} name={name} />}
      <ParamsTable artifact={a} />
    </article>
  );
}
