import type { PromptSideResult } from '../../../../preload/api';
import { FeatureLink } from '../FeatureLink';
import { displayToken } from './featureColor';

/**
 * A token's strongest features in one model: each id links to its feature page; the bar shows
 * the activation against the strongest in view. In diff mode a row can be made the side's
 * compared feature.
 */
export function FeatureList({ side, position, maxActivation, onCompare, compared }: { side: PromptSideResult; position: number; maxActivation: number; onCompare?: (feature: number) => void; compared?: number | null }) {
  const token = side.tokens[position];
  if (!token) return <p className="muted small">No token at position {position} for {side.modelLabel}.</p>;
  return (
    <div className="prompt-features" aria-label={`Features of token ${position} in ${side.modelLabel}`}>
      <div className="small">
        Token <code>{displayToken(token.text)}</code> · position {position} · id {token.id}
      </div>
      {token.features.length === 0 ? (
        <p className="muted small">No feature fires on this token.</p>
      ) : (
        <table className="prompt-feature-table">
          <thead>
            <tr>
              <th>Feature</th>
              <th>Label</th>
              <th className="num">Activation</th>
              {onCompare && <th />}
            </tr>
          </thead>
          <tbody>
            {token.features.map((f) => (
              <tr key={f.feature} data-feature={f.feature} className={compared === f.feature ? 'selected' : undefined}>
                <td>
                  <FeatureLink sae={side.saePath} feature={f.feature} label={f.label ?? undefined} />
                </td>
                <td>{f.label ?? <span className="muted">–</span>}</td>
                <td className="num">
                  <span className="activation-bar" aria-hidden="true">
                    <span style={{ width: `${Math.min(100, (f.activation / (maxActivation || 1)) * 100).toFixed(1)}%` }} />
                  </span>
                  {f.activation.toFixed(3)}
                </td>
                {onCompare && (
                  <td>
                    <button className="link small" onClick={() => onCompare(f.feature)} aria-label={`Compare feature ${f.feature}`} disabled={compared === f.feature}>
                      compare
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
