import type { PromptSideResult } from '../../../../preload/api';
import { displayToken, tokenBackground } from './featureColor';

/** One model's tokens, each coloured by its strongest feature; hovering selects a position. */
export function TokenStrip({
  side,
  maxActivation,
  hovered,
  onHover,
}: {
  side: PromptSideResult;
  maxActivation: number;
  hovered: number | null;
  onHover: (position: number | null) => void;
}) {
  return (
    <div className="prompt-tokens" role="group" aria-label={`Tokens of ${side.modelName}`} onMouseLeave={() => onHover(null)}>
      {side.tokens.map((t) => {
        const top = t.features[0] ?? null;
        return (
          <span
            key={t.position}
            className={`prompt-token${hovered === t.position ? ' hovered' : ''}`}
            data-position={t.position}
            data-feature={top?.feature ?? ''}
            style={{ background: tokenBackground(top?.feature ?? null, top?.activation ?? 0, maxActivation) }}
            title={top ? `#${top.feature}${top.label ? ` ${top.label}` : ''}: ${top.activation.toFixed(2)}` : 'no feature fires'}
            onMouseEnter={() => onHover(t.position)}
            onFocus={() => onHover(t.position)}
            tabIndex={0}
          >
            {displayToken(t.text)}
          </span>
        );
      })}
      {side.truncatedTokens > 0 && <span className="muted small"> … {side.truncatedTokens} more tokens past the model's context were not run</span>}
    </div>
  );
}
