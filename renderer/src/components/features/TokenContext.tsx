import type { FeatureExample } from '../../../../preload/api';
import { displayToken } from '../prompt/featureColor';

/**
 * One example in context, each token shaded by this feature's activation on it relative to the
 * feature's max (one scale across the page), the example token outlined and the row's strongest
 * token in bold; hovering a token shows its activation.
 */
export function TokenContext({ example, max, label }: { example: FeatureExample; max: number; label?: string }) {
  const strongest = example.activations.reduce((best, a, i) => (a > example.activations[best] ? i : best), 0);
  return (
    <div className="token-context" role="group" aria-label={label ?? `Document ${example.document}, position ${example.position}`} data-document={example.document} data-position={example.position}>
      {example.tokens.map((t, i) => {
        const a = example.activations[i];
        const strength = max > 0 ? Math.min(1, a / max) : 0;
        const classes = ['ctx-token', i === example.focus ? 'focus' : '', a > 0 && i === strongest ? 'strongest' : ''].filter(Boolean).join(' ');
        return (
          <span
            key={i}
            className={classes}
            data-activation={a}
            title={`${JSON.stringify(t)}: ${a > 0 ? a.toFixed(3) : 'does not fire'}`}
            style={a > 0 ? { background: `color-mix(in srgb, var(--activation) ${(12 + 80 * Math.sqrt(strength)).toFixed(1)}%, transparent)` } : undefined}
          >
            {displayToken(t)}
          </span>
        );
      })}
    </div>
  );
}
