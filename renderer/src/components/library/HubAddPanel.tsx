import { useEffect, useMemo, useState } from 'react';
import type { JobView } from '../../../../preload/api';
import { HUB_DOWNLOAD_JOB_KIND, type HubFileList, type HubRepoType } from '../../../../preload/contract/hub';
import { useClient, useEvent } from '../../client/context';
import { formatBytes } from '../../format';
import { ErrorBanner } from '../ErrorBanner';
import { DownloadProgress } from './DownloadProgress';
import { buildFileTree } from './fileTree';
import { FileTreePicker } from './FileTreePicker';

const splitGlobs = (s: string) => s.split(/[\n,]/).map((g) => g.trim()).filter(Boolean);

/**
 * Add from Hub: a repo id or URL, optional revision and include/exclude globs; the file tree
 * with sizes to tick; then downloads with progress, pause, resume and cancel.
 */
export function HubAddPanel() {
  const client = useClient();
  const [repo, setRepo] = useState('');
  const [repoType, setRepoType] = useState<HubRepoType | ''>('');
  const [revision, setRevision] = useState('');
  const [include, setInclude] = useState('');
  const [exclude, setExclude] = useState('');
  const [listing, setListing] = useState<HubFileList | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [keepPartial, setKeepPartial] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [downloads, setDownloads] = useState<JobView[]>([]);
  // Folded until needed: opened by the user, or while downloads it shows are under way.
  const [open, setOpen] = useState(false);
  const active = downloads.some((j) => ['queued', 'running', 'pausing', 'paused', 'interrupted'].includes(j.state));
  useEffect(() => {
    if (active) setOpen(true);
  }, [active]);

  useEffect(() => {
    client.call('jobs.list', {}).then((jobs) => setDownloads(jobs.filter((j) => j.kind === HUB_DOWNLOAD_JOB_KIND && j.state !== 'completed')), setError);
  }, [client]);
  useEvent('job.updated', (job) => {
    if (job.kind !== HUB_DOWNLOAD_JOB_KIND) return;
    setDownloads((list) => (list.some((j) => j.id === job.id) ? list.map((j) => (j.id === job.id ? job : j)) : [...list, job]));
  });
  useEvent('job.removed', ({ id }) => setDownloads((list) => list.filter((j) => j.id !== id)));

  const query = () => ({
    repo: repo.trim(),
    ...(repoType ? { repoType } : {}),
    ...(revision.trim() ? { revision: revision.trim() } : {}),
    ...(splitGlobs(include).length ? { include: splitGlobs(include) } : {}),
    ...(splitGlobs(exclude).length ? { exclude: splitGlobs(exclude) } : {}),
  });

  const listFiles = async () => {
    setBusy(true);
    setError(null);
    setListing(null);
    try {
      const l = await client.call('hub.listFiles', query());
      setListing(l);
      setSelected(new Set(l.files.filter((f) => !f.cached).map((f) => f.path)));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const download = async () => {
    if (!listing) return;
    setBusy(true);
    setError(null);
    try {
      const job = await client.call('hub.download', { ...query(), repo: listing.repoId, repoType: listing.repoType, revision: listing.revision, files: [...selected].sort(), keepPartialOnCancel: keepPartial });
      setDownloads((list) => (list.some((j) => j.id === job.id) ? list : [...list, job]));
      setListing(null);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const tree = useMemo(() => (listing ? buildFileTree(listing.files) : null), [listing]);
  const selectedBytes = listing ? listing.files.filter((f) => selected.has(f.path)).reduce((s, f) => s + f.size, 0) : 0;

  return (
    <details className="panel hub-panel" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Add from Hub</summary>
      <form
        className="hub-form"
        onSubmit={(e) => {
          e.preventDefault();
          void listFiles();
        }}
      >
        <label className="field">
          Repository
          <input aria-label="Hub repository" placeholder="owner/name or https://huggingface.co/…" value={repo} onChange={(e) => setRepo(e.target.value)} />
        </label>
        <div className="field-row">
          <label className="field">
            Type
            <select aria-label="Repository type" value={repoType} onChange={(e) => setRepoType(e.target.value as HubRepoType | '')}>
              <option value="">auto</option>
              <option value="model">model</option>
              <option value="dataset">dataset</option>
            </select>
          </label>
          <label className="field">
            Revision
            <input aria-label="Revision" placeholder="main" value={revision} onChange={(e) => setRevision(e.target.value)} />
          </label>
          <label className="field">
            Include globs
            <input aria-label="Include globs" placeholder="adhd_L2_hook_resid_post/*, *.json" value={include} onChange={(e) => setInclude(e.target.value)} />
          </label>
          <label className="field">
            Exclude globs
            <input aria-label="Exclude globs" placeholder="*.bin" value={exclude} onChange={(e) => setExclude(e.target.value)} />
          </label>
        </div>
        <button className="primary" type="submit" disabled={busy || repo.trim() === ''}>
          List files
        </button>
      </form>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      {listing && tree && (
        <div className="hub-listing">
          <div className="small">
            <strong>{listing.repoId}</strong> ({listing.repoType}) @ {listing.revision} = <span className="mono">{listing.commitSha.slice(0, 12)}</span>
            {listing.fromCache ? ' · from cache (offline)' : ''} · {listing.files.length} files, {formatBytes(listing.totalBytes)} ({formatBytes(listing.missingBytes)} not cached)
          </div>
          {listing.files.length === 0 ? <p className="muted">No files match the filters.</p> : <FileTreePicker root={tree} selected={selected} onChange={setSelected} />}
          <div className="toolbar">
            <button className="primary" disabled={busy || selected.size === 0} onClick={() => void download()}>
              Download {selected.size} file{selected.size === 1 ? '' : 's'} ({formatBytes(selectedBytes)})
            </button>
            <label className="small">
              <input type="checkbox" checked={keepPartial} onChange={(e) => setKeepPartial(e.target.checked)} /> Keep partial files if cancelled (resumable)
            </label>
          </div>
        </div>
      )}
      {[...downloads].sort((a, b) => b.createdAt - a.createdAt).map((job) => (
        <DownloadProgress key={job.id} job={job} onError={setError} onDismiss={() => setDownloads((list) => list.filter((j) => j.id !== job.id))} />
      ))}
    </details>
  );
}
