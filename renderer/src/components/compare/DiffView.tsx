import { useState } from 'react';
import type { DiffResult } from '../../../../preload/api';
import { useClient } from '../../client/context';
import { ErrorBanner } from '../ErrorBanner';
import { featureHref } from '../features/FeatureView';
import { LabelTag } from '../labels/LabelTag';
import { labelNames, useFeatureLabels } from '../labels/useFeatureLabels';

const PAGE = 100;

function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A condition diff: the sentence first, then the ranked table whose rows open the two features. */
export function DiffView({ jobId, diff, selected, onSelect }: { jobId: string; diff: DiffResult; selected: number | null; onSelect: (feature: number) => void }) {
  const client = useClient();
  const [all, setAll] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const rows = all ? diff.features : diff.features.slice(0, PAGE);
  const labelsA = labelNames(useFeatureLabels({ index: diff.a.id }));
  const labelsB = labelNames(useFeatureLabels({ index: diff.b.id }));
  const fetchFile = (format: 'json' | 'csv') =>
    client.call('compare.diffFile', { jobId, format }).then((f) => download(f.name, f.text, format === 'json' ? 'application/json' : 'text/csv'), setError);
  return (
    <section className="diff-view" aria-label="Condition diff result">
      <p className="diff-sentence">{diff.sentence}</p>
      <div className="muted small diff-params">
        {diff.condition} · {diff.n_condition_tokens.toLocaleString('en-US')} condition tokens, {diff.n_other_tokens.toLocaleString('en-US')} others · matches by {diff.method} · no counterpart below {diff.threshold} · asymmetry = rate B / max(rate of A match, {diff.floor.toExponential(2)}) · min rate {diff.minRate}
        <span className="diff-export">
          <button onClick={() => void fetchFile('json')}>Export JSON</button>
          <button onClick={() => void fetchFile('csv')}>Export CSV</button>
        </span>
      </div>
      {diff.matchWarnings.map((w) => (
        <div key={w} className="warn-text small">
          ⚠ {w}
        </div>
      ))}
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      <table className="diff-table" aria-label="Diff rows">
        <thead>
          <tr>
            <th>#</th>
            <th>B feature</th>
            <th className="num">rate B</th>
            <th className="num">elsewhere</th>
            <th className="num">mean B</th>
            <th>match in A</th>
            <th className="num">score</th>
            <th className="num">rate A match</th>
            <th className="num">asymmetry</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => {
            const unmatched = r.match_score === null || r.match_score < diff.threshold;
            return (
              <tr key={r.feature} data-feature={r.feature} className={`${r.feature === selected ? 'selected ' : ''}${unmatched ? 'unmatched' : ''}`} onClick={() => onSelect(r.feature)}>
                <td className="muted">{i + 1}</td>
                <td>
                  <a href={featureHref(diff.b.id, r.feature)} onClick={(e) => e.stopPropagation()}>
                    #{r.feature}
                  </a>
                  <LabelTag label={labelsB.get(r.feature)} />
                </td>
                <td className="num">{r.rate_b.toFixed(3)}</td>
                <td className="num">{r.rate_b_elsewhere.toFixed(3)}</td>
                <td className="num">{r.mean_b.toFixed(3)}</td>
                <td>
                  {r.match === null ? (
                    <span className="muted">none</span>
                  ) : (
                    <a href={featureHref(diff.a.id, r.match)} onClick={(e) => e.stopPropagation()}>
                      #{r.match}
                    </a>
                  )}
                  {r.match !== null && <LabelTag label={labelsA.get(r.match)} />}
                  {unmatched && <span className="badge-unmatched"> no counterpart</span>}
                </td>
                <td className="num">{r.match_score === null ? '–' : r.match_score.toFixed(3)}</td>
                <td className="num">{r.rate_a_match === null ? '–' : r.rate_a_match.toFixed(3)}</td>
                <td className="num strong">{r.asymmetry >= 100 ? Math.round(r.asymmetry).toLocaleString('en-US') : r.asymmetry.toFixed(2)}×</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {diff.features.length > PAGE && (
        <button className="link" onClick={() => setAll((v) => !v)}>
          {all ? `Show the first ${PAGE}` : `Show all ${diff.features.length.toLocaleString('en-US')} rows`}
        </button>
      )}
    </section>
  );
}
