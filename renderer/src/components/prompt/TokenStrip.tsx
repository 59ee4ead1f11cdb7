import type { PromptSideResult } from '../../../../preload/api';
import { displayToken } from './featureColor';

/**
 * One model's tokens, each tinted by `background(position)`. Hovering previews a token, clicking
 * or focusing selects it (the selection lives in the URL); arrow keys move it (see PromptPage).
 */
export function TokenStrip({
  side,
  label,
  background,
  titleOf,
  selected,
  hovered,
  onHover,
  onSelect,
}: {
  side: PromptSideResult;
  label: string;
  background: (position: number) => string;
  titleOf: (position: number) => string;
  selected: number | null;
  hovered: number | null;
  onHover: (position: number | null) => void;
  onSelect: (position: number) => void;
}) {
  return (
    <div className="prompt-tokens" role="group" aria-label={label} onMouseLeave={() => onHover(null)}>
      {side.tokens.map((t) => (
        <span
          key={t.position}
          className={`prompt-token${t.bos ? ' bos' : ''}${selected === t.position ? ' selected' : ''}${hovered === t.position ? ' hovered' : ''}`}
          data-position={t.position}
          data-feature={t.features[0]?.feature ?? ''}
          style={{ background: t.bos ? 'transparent' : background(t.position) }}
          title={t.bos ? `BOS, left out of the colour scale. ${titleOf(t.position)}` : titleOf(t.position)}
          onMouseEnter={() => onHover(t.position)}
          onClick={() => onSelect(t.position)}
          onFocus={() => selected !== t.position && onSelect(t.position)}
          tabIndex={selected === t.position || (selected === null && t.position === 0) ? 0 : -1}
          role="button"
          aria-pressed={selected === t.position}
        >
          {displayToken(t.text)}
        </span>
      ))}
      {side.truncatedTokens > 0 && <span className="muted small"> … {side.truncatedTokens} more tokens past the model's context were not run</span>}
    </div>
  );
}
