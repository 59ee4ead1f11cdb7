import { useEffect, useState } from 'react';
import { DEFAULT_CROSSCODER_BANDS, type CrosscoderBands } from '../../../../preload/api';

const FIELDS: { key: keyof CrosscoderBands; label: string }[] = [
  { key: 'aOnlyMax', label: 'A-only up to' },
  { key: 'sharedMin', label: 'Shared from' },
  { key: 'sharedMax', label: 'Shared to' },
  { key: 'bOnlyMin', label: 'B-only from' },
];

/** The same rule as CrosscoderBandsSchema's, said in words the form can show. */
export function bandsProblem(b: CrosscoderBands): string | null {
  if (Object.values(b).some((v) => !Number.isFinite(v) || v < 0 || v > 1)) return 'Each bound is a Δnorm in [0, 1].';
  if (!(b.aOnlyMax < b.sharedMin && b.sharedMin <= b.sharedMax && b.sharedMax < b.bOnlyMin)) return 'The bands must not overlap: A-only up to < shared from ≤ shared to < B-only from.';
  return null;
}

export const bandsSummary = (b: CrosscoderBands) => `A-only ≤ ${b.aOnlyMax} · shared ${b.sharedMin}–${b.sharedMax} · B-only ≥ ${b.bOnlyMin}`;

const same = (x: CrosscoderBands, y: CrosscoderBands) => FIELDS.every(({ key }) => x[key] === y[key]);

/**
 * The Δnorm bands of an analysis, editable: latent scaling runs on the latents of the A-only and
 * B-only bands, so new bands mean a new analysis (queued by `onApply`), not a re-colouring.
 */
export function CrosscoderBandEditor({ bands, busy, onApply }: { bands: CrosscoderBands; busy: boolean; onApply: (bands: CrosscoderBands) => void }) {
  const [draft, setDraft] = useState<Record<keyof CrosscoderBands, string>>(() => asText(bands));
  // Reset the draft when the bands in force change, not when an unrelated reload hands the same values again.
  const key = bandsSummary(bands);
  useEffect(() => setDraft(asText(bands)), [key]);
  const parsed = Object.fromEntries(FIELDS.map(({ key }) => [key, draft[key].trim() === '' ? Number.NaN : Number(draft[key])])) as CrosscoderBands;
  const problem = bandsProblem(parsed);
  return (
    <details className="band-editor small">
      <summary>Bands: {bandsSummary(bands)}</summary>
      <div className="condition-row">
        {FIELDS.map(({ key, label }) => (
          <label key={key}>
            {label}
            <input type="number" min={0} max={1} step={0.05} aria-label={`Band: ${label}`} value={draft[key]} onChange={(e) => setDraft({ ...draft, [key]: e.target.value })} />
          </label>
        ))}
        <button className="primary" disabled={busy || problem !== null || same(parsed, bands)} onClick={() => onApply(parsed)}>
          Analyse with these bands
        </button>
        <button disabled={busy || same(parsed, DEFAULT_CROSSCODER_BANDS)} onClick={() => setDraft(asText(DEFAULT_CROSSCODER_BANDS))}>
          Defaults
        </button>
      </div>
      {problem && <p className="error-text">{problem}</p>}
      <p className="muted">Defaults from Minder et al. 2025. Latent scaling (ν_r, ν_ε) is computed for the latents of the A-only and B-only bands, so a change runs the analysis again.</p>
    </details>
  );
}

function asText(b: CrosscoderBands): Record<keyof CrosscoderBands, string> {
  return { aOnlyMax: String(b.aOnlyMax), sharedMin: String(b.sharedMin), sharedMax: String(b.sharedMax), bOnlyMin: String(b.bOnlyMin) };
}
