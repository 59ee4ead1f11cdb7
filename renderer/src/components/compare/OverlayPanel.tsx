import { useEffect, useState } from 'react';
import { OVERLAY_ACCEPTS, type ArtifactOverlay, type ArtifactTable, type LibraryItem } from '../../../../preload/api';
import { useClient } from '../../client/context';
import { ErrorBanner } from '../ErrorBanner';

/**
 * A diff made elsewhere (e.g. the seed's feature_diff.json) beside the one computed here: pick
 * the result file, the table in it and its id and value columns (guessed), then read overlap,
 * rank correlation, and the features only one list has.
 */
export function OverlayPanel({ diffJobId }: { diffJobId: string }) {
  const client = useClient();
  const [artifacts, setArtifacts] = useState<LibraryItem[]>([]);
  const [artifactId, setArtifactId] = useState('');
  const [tables, setTables] = useState<ArtifactTable[]>([]);
  const [tableIndex, setTableIndex] = useState(0);
  const [idField, setIdField] = useState('');
  const [valueField, setValueField] = useState('');
  const [topN, setTopN] = useState(50);
  const [overlay, setOverlay] = useState<ArtifactOverlay | null>(null);
  const [error, setError] = useState<unknown>(null);
  // Why the chosen file cannot be laid next to the diff (the core names what it looked for and found).
  const [refusal, setRefusal] = useState<unknown>(null);
  useEffect(() => {
    client.call('library.list', {}).then((l) => setArtifacts(l.items.filter((i) => i.kind === 'result')), setError);
  }, [client]);
  useEffect(() => {
    setTables([]);
    setOverlay(null);
    setRefusal(null);
    if (!artifactId) return;
    client.call('compare.artifactTables', { artifactId }).then((t) => {
      setTables(t);
      setTableIndex(0);
      setIdField(t[0]?.guessedId ?? '');
      setValueField(t[0]?.guessedValue ?? '');
    }, setRefusal);
  }, [client, artifactId]);
  const table = tables[tableIndex];
  useEffect(() => {
    setOverlay(null);
    if (!table || !idField || !valueField) return;
    client.call('compare.overlay', { jobId: diffJobId, artifactId, path: table.path, keyedById: table.keyedById, idField, valueField, topN }).then(setOverlay, setError);
  }, [client, diffJobId, artifactId, table, idField, valueField, topN]);

  return (
    <section className="overlay-panel" aria-label="Outside diff overlay">
      <p className="muted small overlay-explain">
        Lay a ranking of B's features computed elsewhere (e.g. the seed's <code>feature_diff.json</code>) next to this diff: how many of the top N both lists share, Spearman's ρ of the two values over the features in both, and the top features only one list has. It reads {OVERLAY_ACCEPTS}. Add the file's folder in the Library to list it here.
      </p>
      <div className="condition-row">
        <label className="grow">
          Result file
          <select aria-label="Artifact" value={artifactId} onChange={(e) => setArtifactId(e.target.value)}>
            <option value="">{artifacts.length ? 'Choose a JSON result from the Library…' : 'No result files in the Library'}</option>
            {artifacts.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name} · {a.result?.shape}
              </option>
            ))}
          </select>
        </label>
        {tables.length > 0 && (
          <>
            <label>
              Table
              <select aria-label="Artifact table" value={tableIndex} onChange={(e) => {
                const i = Number(e.target.value);
                setTableIndex(i);
                setIdField(tables[i].guessedId ?? '');
                setValueField(tables[i].guessedValue ?? '');
              }}>
                {tables.map((t, i) => (
                  <option key={i} value={i}>
                    {t.path.join('.') || '(top level)'} · {t.rows} rows
                  </option>
                ))}
              </select>
            </label>
            <label>
              Feature id column
              <select aria-label="Id column" value={idField} onChange={(e) => setIdField(e.target.value)}>
                {table?.columns.filter((c) => c.kind === 'int').map((c) => (
                  <option key={c.name}>{c.name}</option>
                ))}
              </select>
            </label>
            <label>
              Value column
              <select aria-label="Value column" value={valueField} onChange={(e) => setValueField(e.target.value)}>
                {table?.columns.filter((c) => c.kind !== 'other').map((c) => (
                  <option key={c.name}>{c.name}</option>
                ))}
              </select>
            </label>
            <label>
              Top N
              <input type="number" aria-label="Top N" min={1} value={topN} onChange={(e) => setTopN(Math.max(1, Number(e.target.value) || 1))} style={{ width: 80 }} />
            </label>
          </>
        )}
      </div>
      <ErrorBanner error={refusal} />
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      {overlay && (
        <dl className="feature-stats overlay-stats" aria-label="Overlay figures">
          <div>
            <dt>Shared features</dt>
            <dd>
              {overlay.shared} <span className="muted small">of {overlay.ours} here, {overlay.theirs} there</span>
            </dd>
          </div>
          <div>
            <dt>Spearman ρ (shared)</dt>
            <dd>{overlay.spearman === null ? '–' : overlay.spearman.toFixed(3)}</dd>
          </div>
          <div>
            <dt>Top-{overlay.topN} overlap</dt>
            <dd>{overlay.topOverlap}</dd>
          </div>
          <div>
            <dt>Only here (top {overlay.topN})</dt>
            <dd className="small">{overlay.onlyOurs.map((f) => `#${f}`).join(', ') || '–'}</dd>
          </div>
          <div>
            <dt>Only there (top {overlay.topN})</dt>
            <dd className="small">{overlay.onlyTheirs.map((f) => `#${f}`).join(', ') || '–'}</dd>
          </div>
        </dl>
      )}
    </section>
  );
}
