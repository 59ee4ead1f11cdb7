import { useEffect, useMemo, useState } from 'react';
import type { DirectionCosine, FeatureIndexInfo } from '../../../../preload/api';
import { useClient } from '../../client/context';
import { ErrorBanner } from '../ErrorBanner';

type Against = { sae: string; feature: number } | { file: string; tensor?: string };

function CosineLine({ result }: { result: DirectionCosine }) {
  return (
    <div className="cosine-result" data-cosine={result.cosine}>
      <strong className="cosine-value">cos = {result.cosine.toFixed(4)}</strong>{' '}
      <span className="muted small">
        {result.a.description} vs {result.b.description} · d_in {result.a.dIn} · norms {result.a.norm.toPrecision(3)}, {result.b.norm.toPrecision(3)}
      </span>
    </div>
  );
}

/**
 * The cosine of this feature's decoder direction with another direction: the feature shown beside
 * it (side-by-side pane), any feature of another SAE, or a 1-D tensor of d_in values in a
 * safetensors file (the core defines the cosine once, in float64, and refuses mismatched d_in).
 */
export function DirectionPanel({ sae, feature, pairWith }: { sae: string; feature: number; pairWith?: { sae: string; feature: number; label: string } | null }) {
  const client = useClient();
  const [indexes, setIndexes] = useState<FeatureIndexInfo[]>([]);
  const [mode, setMode] = useState<'feature' | 'file'>('feature');
  const [otherSae, setOtherSae] = useState('');
  const [otherFeature, setOtherFeature] = useState(String(feature));
  const [file, setFile] = useState('');
  const [tensor, setTensor] = useState('');
  const [result, setResult] = useState<DirectionCosine | null>(null);
  const [pair, setPair] = useState<DirectionCosine | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    client.call('index.list', {}).then(setIndexes, () => setIndexes([]));
  }, [client]);
  // Every SAE the app has indexed, once each (the SAE itself first: other features of this SAE).
  const saes = useMemo(() => {
    const seen = new Map<string, string>();
    for (const i of indexes) if (!seen.has(i.saePath)) seen.set(i.saePath, i.labels.sae);
    return [...seen.entries()].sort(([a], [b]) => (a === sae ? -1 : b === sae ? 1 : a.localeCompare(b)));
  }, [indexes, sae]);
  useEffect(() => {
    if (!otherSae && saes.length > 0) setOtherSae(saes.find(([p]) => p !== sae)?.[0] ?? saes[0][0]);
  }, [saes, otherSae, sae]);
  // A new feature: earlier results described the old one.
  useEffect(() => {
    setResult(null);
    setOtherFeature(String(feature));
  }, [sae, feature]);

  useEffect(() => {
    setPair(null);
    if (!pairWith) return;
    let live = true;
    client.call('direction.cosine', { sae, feature, against: { sae: pairWith.sae, feature: pairWith.feature } }).then(
      (r) => live && setPair(r),
      (err) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [client, sae, feature, pairWith?.sae, pairWith?.feature]);

  const compute = () => {
    const against: Against | null = mode === 'feature' ? (otherSae && /^\d+$/.test(otherFeature) ? { sae: otherSae, feature: Number(otherFeature) } : null) : file.trim() ? { file: file.trim(), ...(tensor.trim() ? { tensor: tensor.trim() } : {}) } : null;
    if (!against) return;
    setError(null);
    client.call('direction.cosine', { sae, feature, against }).then(setResult, (err) => {
      setResult(null);
      setError(err);
    });
  };

  return (
    <section className="feature-section direction-panel" aria-label="Decoder direction">
      <h3>Decoder direction</h3>
      {pairWith && (
        <div className="pair-cosine" aria-label="Cosine with the feature beside it">
          <span className="small">With {pairWith.label}:</span> {pair ? <CosineLine result={pair} /> : <span className="muted small">computing…</span>}
        </div>
      )}
      <div className="direction-form small">
        <label>
          Cosine with{' '}
          <select aria-label="Compare the direction with" value={mode} onChange={(e) => setMode(e.target.value as 'feature' | 'file')}>
            <option value="feature">a feature of an SAE</option>
            <option value="file">a vector in a .safetensors file</option>
          </select>
        </label>
        {mode === 'feature' ? (
          <>
            <select aria-label="SAE to compare with" value={otherSae} onChange={(e) => setOtherSae(e.target.value)}>
              {saes.map(([p, label]) => (
                <option key={p} value={p}>
                  {p === sae ? `this SAE (${label})` : label}
                </option>
              ))}
            </select>
            <label>
              feature <input aria-label="Feature to compare with" type="number" min={0} value={otherFeature} onChange={(e) => setOtherFeature(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && compute()} />
            </label>
          </>
        ) : (
          <>
            <input className="direction-file" aria-label="Vector file" placeholder="/path/to/vector.safetensors" value={file} onChange={(e) => setFile(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && compute()} />
            <input className="direction-tensor" aria-label="Tensor name" placeholder="tensor (if several)" value={tensor} onChange={(e) => setTensor(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && compute()} />
          </>
        )}
        <button onClick={compute}>Cosine</button>
      </div>
      {result && <CosineLine result={result} />}
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      <p className="muted small direction-note">Across two SAEs a cosine means something only when both read the same basis (one model, or a fine-tune that kept its base's residual stream).</p>
    </section>
  );
}
