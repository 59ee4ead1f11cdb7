import { useEffect, useState } from 'react';
import type { LibraryArtifact, LibraryItem } from '../../../../preload/api';
import { useClient } from '../../client/context';
import { ErrorBanner } from '../ErrorBanner';
import { formatBytes } from '../../format';
import { JsonTableView } from './JsonTableView';

/** A JSON result file shown as tables, with the raw JSON one click away. */
export function ArtifactViewer({ item, onClose }: { item: LibraryItem; onClose: () => void }) {
  const client = useClient();
  const [artifact, setArtifact] = useState<LibraryArtifact | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setArtifact(null);
    setError(null);
    client.call('library.readArtifact', { id: item.id }).then(setArtifact, setError);
  }, [client, item.id]);
  return (
    <div className="artifact-viewer" role="region" aria-label={`Artifact ${item.name}`}>
      <div className="md-head">
        <h2>{item.identity.label}</h2>
        <button className="link" onClick={onClose} aria-label="Close artifact">
          Close
        </button>
      </div>
      <div className="muted small">
        {item.identity.detail} · {formatBytes(item.sizeBytes)} · {item.result?.shape}
      </div>
      <ErrorBanner error={error} />
      {!artifact && !error && <p className="muted">Loading…</p>}
      {artifact && (
        <>
          <JsonTableView value={artifact.content} />
          <details>
            <summary>Raw JSON</summary>
            <pre className="result">{JSON.stringify(artifact.content, null, 2)}</pre>
          </details>
        </>
      )}
    </div>
  );
}
