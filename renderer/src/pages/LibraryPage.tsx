import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { JobView, LibraryItem, LibraryListing } from '../../../preload/api';
import { useClient, useEvent } from '../client/context';
import { DemoBundleOffer } from '../components/demo/DemoBundleOffer';
import { DemoReadmeLink } from '../components/demo/DemoReadme';
import { ErrorBanner } from '../components/ErrorBanner';
import { AddFolderForm } from '../components/library/AddFolderForm';
import { ArtifactViewer } from '../components/library/ArtifactViewer';
import { HubAddPanel } from '../components/library/HubAddPanel';
import { ItemDetail } from '../components/library/ItemDetail';
import { CrosscodersTable, DatasetsTable, ModelsTable, ResultsTable, SaeGroups } from '../components/library/LibraryTables';
import { MasterDetail } from '../components/MasterDetail';
import { formatTime } from '../format';
import { usePageParams } from '../router';
import { useShortcuts } from '../shortcuts';
import '../components/library/library.css';

/** Rescan on open when the catalog is older than this (it still shows at once). */
const STALE_MS = 5 * 60 * 1000;

/**
 * The Library: models, SAEs (grouped by the model they are linked to), datasets and result files,
 * the demo bundle as one labelled group, and the chosen item's details beside the list. The chosen
 * item and the filter live in the URL (`#/library?item=<id>&q=<words>`).
 */
export function LibraryPage() {
  const client = useClient();
  const [params, setParams] = usePageParams('library');
  const [listing, setListing] = useState<LibraryListing | null>(null);
  const [scan, setScan] = useState<JobView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const filter = params.get('q') ?? '';
  const selectedId = params.get('item');

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

  const all = useMemo(() => listing?.items ?? [], [listing]);
  const items = all.filter((i) => matchesFilter(i, filter));
  const selected = all.find((i) => i.id === selectedId) ?? null;
  const select = (item: LibraryItem | null) => setParams({ item: item?.id ?? null }, { push: true });
  const scanning = scan != null && (scan.state === 'queued' || scan.state === 'running');
  const bundled = items.filter((i) => i.identity.bundle);
  const rest = items.filter((i) => !i.identity.bundle);
  const models = all.filter((i) => i.kind === 'model');

  useShortcuts('Library', [
    { keys: 'ArrowDown', description: 'Next item', run: () => stepRow(1, selectedId, (id) => setParams({ item: id })) },
    { keys: 'ArrowUp', description: 'Previous item', run: () => stepRow(-1, selectedId, (id) => setParams({ item: id })) },
    { keys: 'r', description: 'Rescan the HF cache and added folders', run: () => void rescan() },
  ]);

  const sections = (list: LibraryItem[], headingLevel: 'h2' | 'h3') => {
    const of = (kind: LibraryItem['kind']) => list.filter((i) => i.kind === kind);
    const props = { onSelect: (i: LibraryItem) => select(i), selectedId };
    return (
      <>
        <LibrarySection title="Models" count={of('model').length} level={headingLevel}>
          <ModelsTable items={of('model')} {...props} />
        </LibrarySection>
        <LibrarySection title="SAEs" count={of('sae').length} level={headingLevel}>
          <SaeGroups items={of('sae')} {...props} />
        </LibrarySection>
        {of('crosscoder').length > 0 && (
          <LibrarySection title="Crosscoders" count={of('crosscoder').length} level={headingLevel}>
            <CrosscodersTable items={of('crosscoder')} {...props} />
          </LibrarySection>
        )}
        <LibrarySection title="Datasets" count={of('dataset').length} level={headingLevel}>
          <DatasetsTable items={of('dataset')} {...props} />
        </LibrarySection>
        <LibrarySection title="Results" count={of('result').length} level={headingLevel}>
          <ResultsTable items={of('result')} onOpen={(i) => select(i)} openId={selectedId} />
        </LibrarySection>
      </>
    );
  };

  const detail = selected ? selected.kind === 'result' ? <ArtifactViewer item={selected} onClose={() => select(null)} /> : <ItemDetail item={selected} models={models} onClose={() => select(null)} /> : null;
  const bundle = bundled[0]?.identity.bundle;
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
        <input
          className="library-filter"
          type="search"
          aria-label="Filter the Library"
          data-shortcut-focus
          placeholder="Filter: name, repo, hook, model…  ( / )"
          value={filter}
          onChange={(e) => setParams({ q: e.target.value || null })}
        />
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
      {listing && all.length > 0 && items.length === 0 && <p className="muted">Nothing matches “{filter}”.</p>}
      {listing && all.length === 0 && (
        <div className="library-empty">
          <p className="muted">Nothing here yet. Add a repo from the Hub or a local folder; files already in the HF cache appear after a scan.</p>
          <DemoBundleOffer />
        </div>
      )}
      <MasterDetail label={selected ? `Details of ${selected.identity.label}` : 'Details'} detail={detail} wide={selected?.kind === 'result'} onClose={() => select(null)}>
        {sections(rest, 'h2')}
        {bundle && (
          <section className="library-section bundle-group" aria-label={bundle.label}>
            <h2>
              {bundle.label} <span className="muted small">generated by SAE Workbench · {bundle.root}</span>
            </h2>
            <p className="muted small">
              Tiny “standard” and “adhd” GPT-2 models with a planted layer-2 mechanism, their SAEs and dataset (see <DemoReadmeLink />).
              {bundle.alsoAt.length > 0 && ` The same bundle is also at ${bundle.alsoAt.join(', ')}; it is listed once, here.`}
            </p>
            {sections(bundled, 'h3')}
          </section>
        )}
      </MasterDetail>
    </section>
  );
}

/** Move the selection to the next or previous row on screen. */
function stepRow(d: 1 | -1, current: string | null, choose: (id: string) => void): void {
  const rows = [...document.querySelectorAll<HTMLTableRowElement>('main .md-list tr[data-item-id]')];
  if (rows.length === 0) return;
  const i = rows.findIndex((r) => r.dataset.itemId === current);
  const next = rows[i < 0 ? (d > 0 ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, i + d))];
  choose(next.dataset.itemId!);
  next.scrollIntoView({ block: 'nearest' });
}

/** Every word of the filter must appear in the item's name, source, hook or model. */
function matchesFilter(item: LibraryItem, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const text = [item.kind, item.identity.label, item.identity.detail, item.sae?.hookName, item.sae?.groupModel, item.crosscoder?.hookNameA, item.crosscoder?.modelNameA, item.crosscoder?.modelNameB, item.model?.architecture].filter(Boolean).join(' ').toLowerCase();
  return words.every((w) => text.includes(w));
}

function LibrarySection({ title, count, level, children }: { title: string; count: number; level: 'h2' | 'h3'; children: ReactNode }) {
  if (count === 0) return null;
  const Heading = level;
  return (
    <section className="library-section" aria-label={title}>
      <Heading>
        {title} <span className="muted small">{count}</span>
      </Heading>
      {children}
    </section>
  );
}
