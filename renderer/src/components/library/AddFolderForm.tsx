import { useState } from 'react';
import { useClient } from '../../client/context';
import { ErrorBanner } from '../ErrorBanner';

/** Add a local SAE folder, model folder, dataset or result file by path (no Hub needed). */
export function AddFolderForm() {
  const client = useClient();
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);
  const submit = async () => {
    setBusy(true);
    setError(null);
    setMessage(null);
    try {
      const res = await client.call('library.addFolder', { path: path.trim() });
      const kinds = res.items.reduce<Record<string, number>>((m, i) => ({ ...m, [i.kind]: (m[i.kind] ?? 0) + 1 }), {});
      setMessage(`Added ${res.root.path}: ${Object.entries(kinds).map(([k, n]) => `${n} ${k}${n > 1 ? 's' : ''}`).join(', ')}.`);
      setPath('');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <details className="panel">
      <summary>Add a local folder or file</summary>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <input aria-label="Local path" placeholder="/path/to/sae_folder, model folder, data.jsonl or results.json" value={path} onChange={(e) => setPath(e.target.value)} />
        <button className="primary" type="submit" disabled={busy || path.trim() === ''}>
          Add
        </button>
      </form>
      <div className="muted small">SAE folders (cfg.json + sae_weights.safetensors), model folders (config.json + weights), .parquet / .jsonl / .txt datasets and JSON result files, or a folder holding several.</div>
      {message && <div className="ok-text small" role="status">{message}</div>}
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
    </details>
  );
}
