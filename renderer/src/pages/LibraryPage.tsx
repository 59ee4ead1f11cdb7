import { useCallback, useEffect, useState } from 'react';
import type { JobView, LibraryItem, LibraryListing } from '../../../preload/api';
import { useClient, useEvent } from '../client/context';
import { ErrorBanner } from '../components/ErrorBanner';
import { AddFolderForm } from '../components/library/AddFolderForm';
import { ArtifactViewer } from '../components/library/ArtifactViewer';
import { HubAddPanel } from '../components/library/HubAddPanel';
import { ItemDetail } from '../components/library/ItemDetail';
import { DatasetsTable, ModelsTable, ResultsTable, SaeGroups } from '../components/library/LibraryTables';
import { formatTime } from '../format';
import '../components/library/library.css';

/** Rescan on open when the catalog is older than this (it still shows at once). */
const STALE_MS = 5 * 60 * 1000;

export function LibraryPage() {
  const client = useClient();
  const [listing, setListing] = useState<LibraryListing | null>(null);
  const [scan, setScan] = useState<JobView | null>(null);
  const [open, setOpen] = useState<LibraryItem | null>(null);
  const [selected, setSelected] = useState<LibraryItem | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [filter, setFilter] = useState('');

  const reload = useCallback(() => client.call('library.list', {}).then(setListing, setError), [client]);
  const rescan = useCallback(() => client.call('library.scan', {}).then(setScan, setError), [client]);
  useEffect(() => {
    client.call('library.list', {}).then((l) => {
      setListing(l);
      if (l.scannedAt == null || Date.now() - l.scannedAt > STALE_MS) void rescan();
    }, setError);
  }, [client, rescan]);
  useEvent('library.changed', () => void reload(), [reload]);
  useEvent('job.updated', (job) => {
    if (job.kind === 'library.scan') setScan(job);
  });

  const select = (item: LibraryItem) => {
    setOpen(null);
    setSelected(item);
  };
  const items = (listing?.items ?? []).filter((i) => matchesFilter(i, filter));
  const of = (kind: LibraryItem['kind']) => items.filter((i) => i.kind === kind);
  const scanning = scan != null && (scan.state === 'queued' || scan.state === 'running');

  return (
    <section className="page library-page">
      <h1>Library</h1>
      <div className="toolbar">
        <button onClick={() => void rescan()} disabled={scanning}>
          {scanning ? 'Scanning…' : 'Rescan'}
        </button>
        <span className="muted small">
          {listing?.scannedAt ? `Scanned ${formatTime(listing.scannedAt)}` : 'Not scanned yet'}
          {listing?.hubCacheDir ? ` · HF cache ${listing.hubCacheDir}` : ''}
        </span>
        {scan?.state === 'failed' && <span className="error-text small">Scan failed: {scan.error?.message}</span>}
        {listing && listing.items.length > 0 && (
          <input className="library-filter" type="search" aria-label="Filter the Library" placeholder="Filter: name, repo, hook, model…" value={filter} onChange={(e) => setFilter(e.target.value)} />
        )}
      </div>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      <HubAddPanel />
      <AddFolderForm />
      {listing && listing.roots.length > 0 && (
        <div className="muted small added-roots">
          Added folders:{' '}
          {listing.roots.map((r) => (
            <span key={r.path} className="root-chip">
              {r.path}
              <button className="link" aria-label={`Remove ${r.path}`} onClick={() => client.call('library.removeFolder', { path: r.path }).catch(setError)}>
                ×
              </button>
            </span>
          ))}
        </div>
      )}
      {listing && listing.items.length > 0 && items.length === 0 && <p className="muted">Nothing matches “{filter}”.</p>}
      {listing && listing.items.length === 0 && <p className="muted">Nothing here yet. Add a repo from the Hub or a local folder; files already in the HF cache appear after a scan.</p>}
      {open && <ArtifactViewer item={open} onClose={() => setOpen(null)} />}
      {selected && <ItemDetail item={selected} onClose={() => setSelected(null)} />}
      <LibrarySection title="Models" count={of('model').length}>
        <ModelsTable items={of('model')} onSelect={select} selectedId={selected?.id ?? null} />
      </LibrarySection>
      <LibrarySection title="SAEs" count={of('sae').length}>
        <SaeGroups items={of('sae')} onSelect={select} selectedId={selected?.id ?? null} />
      </LibrarySection>
      <LibrarySection title="Datasets" count={of('dataset').length}>
        <DatasetsTable items={of('dataset')} onSelect={select} selectedId={selected?.id ?? null} />
      </LibrarySection>
      <LibrarySection title="Results" count={of('result').length}>
        <ResultsTable
          items={of('result')}
          onOpen={(item) => {
            setSelected(null);
            setOpen(item);
          }}
          openId={open?.id ?? null}
        />
      </LibrarySection>
    </section>
  );
}

/** Every word of the filter must appear in the item's name, source, hook or model. */
function matchesFilter(item: LibraryItem, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const source = item.source.type === 'hub' ? `${item.source.repoId} ${item.source.pathInRepo}` : item.path;
  const text = [item.kind, item.name, source, item.sae?.hookName, item.sae?.groupModel, item.model?.architecture].filter(Boolean).join(' ').toLowerCase();
  return words.every((w) => text.includes(w));
}

function LibrarySection({ title, count, children }: { title: string; count: number; children: React.ReactNode }) {
  if (count === 0) return null;
  return (
    <section className="library-section" aria-label={title}>
      <h2>
        {title} <span className="muted small">{count}</span>
      </h2>
      {children}
    </section>
  );
}
