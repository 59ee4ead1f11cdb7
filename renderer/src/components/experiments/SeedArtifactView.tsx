/**
 * A JSON result file from the Library (the seed's causal_nulls_per_seed.json,
 * deepdive_steering.json, three_probes.json, ...) beside the experiments computed here: drawn as
 * the same kind of plot when its shape is recognised, and always as tables.
 */
import * as Plot from '@observablehq/plot';
import { useMemo } from 'react';
import type { LibraryItem } from '../../../../preload/api';
import { PlotFigure, themeColor } from '../charts/PlotFigure';
import { ErrorBanner } from '../ErrorBanner';
import { JsonTableView } from '../library/JsonTableView';
import { useLibraryArtifact } from '../library/useLibraryArtifact';
import '../library/library.css';
import { ExperimentFigure } from './ExperimentFigure';
import { ProbePlot } from './ExperimentPlots';
import { num } from './experimentFormat';
import { downloadJson } from './exportFigure';
import { detectSeedArtifact, type SeedArtifactShape } from './seedArtifacts';

const KIND_LABEL: Record<SeedArtifactShape['kind'], string> = { nulls: 'per-seed effects against nulls', sweep: 'a steering sweep', probes: 'probe accuracies', unknown: 'tables' };

function ShapePlot({ shape, name }: { shape: SeedArtifactShape; name: string }) {
  if (shape.kind === 'nulls') {
    const rows = shape.rows;
    return (
      <ExperimentFigure name={name}>
        <PlotFigure
          label="Per-seed effect against the recorded null"
          deps={[name]}
          minHeight={60 + rows.length * 34}
          options={() => ({
            height: 50 + rows.length * 34,
            marginLeft: 90,
            x: { label: 'effect', grid: true, nice: true },
            y: { label: null, domain: rows.map((r) => r.seed) },
            marks: [
              Plot.ruleX([0], { stroke: themeColor('--muted', '#888'), strokeDasharray: '3,3' }),
              Plot.ruleY(
                rows.filter((r) => r.nullMean !== null),
                { y: 'seed', x1: (r) => r.nullMean! - (r.nullSpread ?? 0), x2: (r) => r.nullMean! + (r.nullSpread ?? 0), stroke: themeColor('--muted', '#888'), strokeWidth: 6, strokeOpacity: 0.4 },
              ),
              Plot.tickX(rows.filter((r) => r.nullMean !== null), { y: 'seed', x: 'nullMean', stroke: themeColor('--muted', '#888'), strokeWidth: 2 }),
              Plot.dot(rows, { y: 'seed', x: 'effect', r: 5, fill: themeColor('--accent', '#2563eb'), title: (r) => `effect ${num(r.effect)}, null ${num(r.nullMean)} ± ${num(r.nullSpread)}${r.z !== null ? `, z ${num(r.z)}` : ''}` }),
            ],
          })}
        />
      </ExperimentFigure>
    );
  }
  if (shape.kind === 'sweep') {
    const points = shape.sweep.series.flatMap((s) => s.points.map((p) => ({ ...p, key: s.key })));
    return (
      <ExperimentFigure name={name}>
        <PlotFigure
          label="Sweep"
          deps={[name]}
          minHeight={240}
          options={() => ({
            height: 240,
            marginLeft: 56,
            x: { label: shape.sweep.xKey, grid: true },
            y: { grid: true },
            color: { legend: true, scheme: 'tableau10' },
            marks: [Plot.ruleY([0], { stroke: themeColor('--muted', '#888') }), Plot.line(points, { x: 'x', y: 'y', stroke: 'key' }), Plot.dot(points, { x: 'x', y: 'y', fill: 'key', r: 3, tip: true })],
          })}
        />
      </ExperimentFigure>
    );
  }
  if (shape.kind === 'probes') {
    return (
      <ExperimentFigure name={name}>
        <ProbePlot bars={shape.rows.map((r) => ({ label: r.name, accuracy: r.accuracy, baseline: null, auroc: r.auroc }))} deps={[name]} />
      </ExperimentFigure>
    );
  }
  return null;
}

export function SeedArtifactView({ item }: { item: LibraryItem }) {
  const { artifact, error } = useLibraryArtifact(item.id);
  const shape = useMemo(() => (artifact ? detectSeedArtifact(artifact.content) : null), [artifact]);
  const name = item.name.replace(/\.json$/i, '');
  return (
    <article className="experiment-result" aria-label={`Result file ${item.name}`}>
      <div className="result-head">
        <div>
          <h2>{item.name}</h2>
          <div className="muted small">
            {item.source.type === 'hub' ? `${item.source.repoId} @ ${item.source.commit.slice(0, 8)}` : item.path}
            {shape && ` · read as ${KIND_LABEL[shape.kind]}`}
          </div>
        </div>
        {artifact && (
          <div className="result-actions">
            <button onClick={() => downloadJson(item.name, artifact.content)}>Export JSON</button>
          </div>
        )}
      </div>
      <ErrorBanner error={error} />
      {!artifact && !error && <p className="muted">Loading…</p>}
      {shape && <ShapePlot shape={shape} name={name} />}
      {shape?.kind === 'nulls' && <p className="muted small">As the file records them: blue dots are the effects, grey ticks the null means, bars ± the recorded null spread.</p>}
      {artifact && <JsonTableView value={artifact.content} />}
    </article>
  );
}
