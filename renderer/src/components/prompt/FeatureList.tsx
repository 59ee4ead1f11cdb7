import type { PromptSideResult } from '../../../../preload/api';
import { displayToken, featureHue } from './featureColor';

/** The hovered token's top features with their activations, for one model. */
export function FeatureList({ side, position }: { side: PromptSideResult; position: number }) {
  const token = side.tokens[position];
  if (!token) return <p className="muted small">No token at position {position} for {side.modelName}.</p>;
  return (
    <div className="prompt-features" aria-label={`Features of token ${position} in ${side.modelName}`}>
      <div className="small">
        <strong>{side.modelName}</strong> · token <code>{displayToken(token.text)}</code> (position {position}, id {token.id})
      </div>
      {token.features.length === 0 ? (
        <p className="muted small">No feature fires on this token.</p>
      ) : (
        <table className="prompt-feature-table">
          <thead>
            <tr>
              <th>Feature</th>
              <th>Label</th>
              <th>Activation</th>
            </tr>
          </thead>
          <tbody>
            {token.features.map((f) => (
              <tr key={f.feature} data-feature={f.feature}>
                <td>
                  <span className="prompt-swatch" style={{ background: `hsl(${featureHue(f.feature).toFixed(1)}, 75%, 55%)` }} />#{f.feature}
                </td>
                <td>{f.label ?? <span className="muted">–</span>}</td>
                <td className="num">{f.activation.toFixed(3)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
