import type { LibraryItem } from '../../../../preload/api';
import { ErrorBanner } from '../ErrorBanner';
import { formatBytes } from '../../format';
import { JsonTableView } from './JsonTableView';
import { useLibraryArtifact } from './useLibraryArtifact';

/** A JSON result file shown as tables, with the raw JSON one click away. */
export function ArtifactViewer({ item, onClose }: { item: LibraryItem; onClose: () => void }) {
  const { artifact, error } = useLibraryArtifact(item.id);
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
