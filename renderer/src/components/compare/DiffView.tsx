import { useState } from 'react';
import type { DiffResult, DiffRow } from '../../../../preload/api';
import { useClient } from '../../client/context';
import { ErrorBanner } from '../ErrorBanner';
import { featureHref } from '../features/FeatureView';
import { LabelTag } from '../labels/LabelTag';
import { labelNames, useFeatureLabels } from '../labels/useFeatureLabels';

const PAGE = 100;

/** The "why" column: what a row's difference comes from, in a word and in a sentence (the cell's title). */
function whyText(r: DiffRow, threshold: number): { short: string; long: string } {
  switch (r.why) {
    case 'no counterpart':
      return { short: 'no counterpart', long: r.match === null ? 'No feature of A matches it.' : `Its best match in A, #${r.match}, scores ${(r.match_score ?? 0).toFixed(3)}, under the ${threshold} threshold.` };
    case 'input differs':
      return {
        short: 'input differs',
        long: `Matched to #${r.match} (score ${(r.match_score ?? 0).toFixed(3)}): the same feature in both SAEs, yet it fires here at ${r.rate_b.toFixed(3)} in B against ${(r.rate_a_match ?? 0).toFixed(3)} in A. Each SAE's encoder reads its own model's activations, and B's differ at these positions (for example a direction B writes here that this feature partly reads).`,
      };
    case 'as in A':
      return { short: 'as in A', long: `Matched to #${r.match}, which fires as often here.` };
    case 'less than in A':
      return { short: 'less than in A', long: `Matched to #${r.match}, which fires more often here (${(r.rate_a_match ?? 0).toFixed(3)}).` };
  }
}

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
            <th className="num" title="rate B / max(rate of the A match, floor); ties: no counterpart first, then the larger mean at the condition">
              asymmetry
            </th>
            <th title="What the difference comes from: no counterpart in A, or a matched feature whose encoder reads B's different activations here">why</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => {
            const unmatched = r.why === 'no counterpart';
            const why = whyText(r, diff.threshold);
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
                </td>
                <td className="num">{r.match_score === null ? '–' : r.match_score.toFixed(3)}</td>
                <td className="num">{r.rate_a_match === null ? '–' : r.rate_a_match.toFixed(3)}</td>
                <td className="num strong">{r.asymmetry >= 100 ? Math.round(r.asymmetry).toLocaleString('en-US') : r.asymmetry.toFixed(2)}×</td>
                <td className={`diff-why why-${r.why.replace(/ /g, '-')}`} title={why.long}>
                  {why.short}
                </td>
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
