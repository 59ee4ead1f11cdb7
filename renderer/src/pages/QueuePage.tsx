import { useCallback, useEffect, useMemo, useState } from 'react';
import type { JobKindView, JobView } from '../../../preload/api';
import { useClient, useEvent, useTicker } from '../client/context';
import { ErrorBanner } from '../components/ErrorBanner';
import { ConfirmDialog, type ConfirmRequest } from '../components/ConfirmDialog';
import { executionProviderText, fallbackText } from '../components/jobs/executionProvider';
import { remoteJobText, shownState } from '../components/jobs/remoteJob';
import { RunOnPicker } from '../components/jobs/RunOnPicker';
import { JobDetail } from '../components/jobs/JobDetail';
import { filterJobs, queueOrder, STATE_FILTERS } from '../components/jobs/queueOrder';
import { jobElapsedSeconds } from '../components/jobs/jobTime';
import { SchemaForm } from '../components/jobs/SchemaForm';
import '../components/jobs/queue.css';
import { MasterDetail } from '../components/MasterDetail';
import { ProgressBar, toneOfJobState } from '../components/ProgressBar';
import { formatDuration } from '../format';
import { usePageParams } from '../router';
import { useShortcuts } from '../shortcuts';

const ACTIVE = new Set(['running', 'pausing', 'cancelling']);
const FINISHED = new Set(['completed', 'failed', 'cancelled']);
/** A job that has run this long is asked about before it is cancelled. */
const CONFIRM_CANCEL_AFTER_S = 60;

/**
 * The queue: every job with its state, progress, ETA and the execution provider it ran on; what
 * runs first, then what waits (in run order), then what finished, newest first; filtered by state
 * and kind (`#/queue?state=finished&kind=index.build`); the chosen one's detail beside the list
 * (`#/queue?job=<id>`); and a form per job kind (`#/queue?new=<kind>&params=<json>` opens it
 * filled in, which is how other pages offer "verify" or "index" as a link).
 */
export function QueuePage() {
  const client = useClient();
  const [params, setParams] = usePageParams('queue');
  const [jobs, setJobs] = useState<JobView[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const selected = params.get('job');
  const stateFilter = params.get('state') ?? '';
  const kindFilter = params.get('kind') ?? '';
  const select = useCallback((id: string | null) => setParams({ job: id }, { push: true }), [setParams]);

  useEffect(() => {
    client.call('jobs.list', {}).then(setJobs, setError);
  }, [client]);
  useEvent('job.updated', (job) => setJobs((list) => (list.some((j) => j.id === job.id) ? list.map((j) => (j.id === job.id ? job : j)) : [...list, job])));
  useEvent('job.removed', ({ id }) => setJobs((list) => list.filter((j) => j.id !== id)));

  const act = useCallback(async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(e);
    }
  }, []);
  const move = (id: string, direction: -1 | 1) => act(async () => setJobs(await client.call('jobs.move', { id, direction })));
  const now = useTicker(jobs.some((j) => ACTIVE.has(j.state)));
  const shown = useMemo(() => filterJobs(queueOrder(jobs), { state: stateFilter, kind: kindFilter }), [jobs, stateFilter, kindFilter]);
  const kinds = useMemo(() => [...new Set([...jobs.map((j) => j.kind), ...(kindFilter ? [kindFilter] : [])])].sort(), [jobs, kindFilter]);
  const finishedShown = shown.filter((j) => FINISHED.has(j.state));
  const selectedJob = jobs.find((j) => j.id === selected) ?? null;
  const step = (d: 1 | -1) => {
    if (shown.length === 0) return;
    const i = shown.findIndex((j) => j.id === selected);
    const next = i < 0 ? (d > 0 ? 0 : shown.length - 1) : Math.min(shown.length - 1, Math.max(0, i + d));
    setParams({ job: shown[next].id });
    document.querySelector(`tr[data-job-id="${shown[next].id}"]`)?.scrollIntoView({ block: 'nearest' });
  };
  useShortcuts('Queue', [
    { keys: 'ArrowDown', description: 'Next job', run: () => step(1) },
    { keys: 'ArrowUp', description: 'Previous job', run: () => step(-1) },
    { keys: 'n', description: 'Open the New job form', run: () => setParams({ open: 1 }) },
  ]);

  const cancel = (j: JobView) => {
    const ran = jobElapsedSeconds(j, Date.now()) ?? 0;
    const doCancel = () => act(() => client.call('jobs.cancel', { id: j.id }));
    if (ran <= CONFIRM_CANCEL_AFTER_S) return void doCancel();
    setConfirm({
      title: `Cancel “${j.title}”?`,
      body: (
        <p>
          It has run for {formatDuration(ran)}.{' '}
          {j.pausable
            ? 'Cancelling stops it; Retry continues from its last checkpoint. Pause instead to stop it and keep it waiting in the queue.'
            : 'Cancelling stops it and loses the work of this run: Retry starts it again from the beginning.'}
        </p>
      ),
      confirmLabel: 'Cancel the job',
      cancelLabel: 'Keep it running',
      run: doCancel,
    });
  };
  const clearFinished = () => {
    const ids = finishedShown.map((j) => j.id);
    const filtered = stateFilter || kindFilter ? ' shown by the filter' : '';
    setConfirm({
      title: `Clear ${ids.length} finished job${ids.length === 1 ? '' : 's'} from the Queue?`,
      body: (
        <>
          <p>
            The completed, failed and cancelled jobs{filtered} leave this list. Only the Queue&apos;s records go: <strong>no file is deleted</strong>. What the jobs wrote stays on disk
            (their <span className="mono">runs/&lt;job-id&gt;/</span> folders, trained SAEs, feature indexes, exports) and in the Library.
          </p>
          <p className="muted small">Training runs, experiments and diffs cleared here no longer appear in the Training, Experiments and Compare lists.</p>
        </>
      ),
      confirmLabel: 'Clear them',
      cancelLabel: 'Keep them',
      run: () => act(() => client.call('jobs.clearFinished', { ids })),
    });
  };

  return (
    <section className="page queue-page">
      <h1>Queue</h1>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      {confirm && <ConfirmDialog request={confirm} onDone={() => setConfirm(null)} />}
      <NewJobPanel
        initialKind={params.get('new')}
        prefill={params.get('params')}
        open={params.has('new') || params.has('open')}
        onToggle={(open) => setParams(open ? { open: 1 } : { open: null, new: null, params: null })}
        onAdded={(job) => setParams({ job: job.id, new: null, params: null, open: null }, { push: true })}
        onError={setError}
      />
      {jobs.length > 0 && (
        <div className="toolbar queue-toolbar">
          <select aria-label="Filter by state" value={stateFilter} onChange={(e) => setParams({ state: e.target.value || null })}>
            {STATE_FILTERS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
          <select aria-label="Filter by kind" value={kindFilter} onChange={(e) => setParams({ kind: e.target.value || null })}>
            <option value="">All kinds</option>
            {kinds.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
          <span className="muted small">
            {shown.length === jobs.length ? `${jobs.length} job${jobs.length === 1 ? '' : 's'}` : `${shown.length} of ${jobs.length} jobs`} · running first, then waiting in run order, then finished, newest first
          </span>
          <button className="queue-clear" disabled={finishedShown.length === 0} onClick={clearFinished} title="Remove finished jobs from this list; their files stay on disk">
            Clear finished ({finishedShown.length})
          </button>
        </div>
      )}
      <MasterDetail label="Job detail" detail={selectedJob && <JobDetail job={selectedJob} onClose={() => select(null)} />} onClose={() => select(null)}>
        {jobs.length === 0 ? (
          <p className="muted">No jobs yet. Downloads, indexing, training and experiments appear here while they run.</p>
        ) : shown.length === 0 ? (
          <p className="muted">No job matches the filter.</p>
        ) : (
          <div className="table-scroll">
            <table className="jobs" aria-label="Jobs">
              <thead>
                <tr>
                  <th>Job</th>
                  <th>State</th>
                  <th style={{ width: '24%' }}>Progress</th>
                  <th className="num">ETA</th>
                  <th className="num">Elapsed</th>
                  <th>Actions</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((j) => (
                  <tr key={j.id} data-job-id={j.id} data-state={j.state} className={`clickable${j.id === selected ? ' selected' : ''}`} onClick={() => select(j.id)}>
                    <td>
                      <div className="job-title">{j.title}</div>
                      <div className="muted small job-meta">
                        {j.kind}
                        {j.target && (
                          <>
                            {' · '}
                            <span data-testid="job-slurm">{remoteJobText(j)}</span>
                          </>
                        )}
                        {j.executionProvider && (
                          <>
                            {' · '}
                            <span data-testid="job-ep">{ACTIVE.has(j.state) ? 'runs' : 'ran'} on {executionProviderText(j.executionProvider)}{fallbackText(j.cpuFallbackPct)}</span>
                          </>
                        )}
                      </div>
                    </td>
                    <td>
                      <span className={shownState(j).className}>{shownState(j).label}</span>
                      {j.error && <div className="small error-text">{j.error.message}</div>}
                    </td>
                    <td>
                      <ProgressBar value={j.state === 'completed' ? 1 : j.progress} label={`Progress of ${j.title}`} tone={toneOfJobState(j.state)} />
                      <div className="muted small">{progressText(j)}</div>
                    </td>
                    <td className="num">{j.state === 'running' ? formatDuration(j.etaSeconds) : '–'}</td>
                    <td className="num">{formatDuration(jobElapsedSeconds(j, now))}</td>
                    <td className="actions" onClick={(e) => e.stopPropagation()}>
                      {(j.state === 'queued' || j.state === 'paused') && (
                        <>
                          <button title="Move up" aria-label="Move up" onClick={() => move(j.id, -1)}>
                            ↑
                          </button>
                          <button title="Move down" aria-label="Move down" onClick={() => move(j.id, 1)}>
                            ↓
                          </button>
                        </>
                      )}
                      {j.pausable && (j.state === 'running' || j.state === 'queued') && <button onClick={() => act(() => client.call('jobs.pause', { id: j.id }))}>Pause</button>}
                      {(j.state === 'paused' || j.state === 'interrupted') && <button onClick={() => act(() => client.call('jobs.resume', { id: j.id }))}>Resume</button>}
                      {['queued', 'running', 'pausing', 'paused', 'interrupted'].includes(j.state) && <button onClick={() => cancel(j)}>Cancel</button>}
                      {(j.state === 'failed' || j.state === 'cancelled') && <button onClick={() => act(() => client.call('jobs.retry', { id: j.id }))}>Retry</button>}
                      {FINISHED.has(j.state) && (
                        <button className="link" onClick={() => act(() => client.call('jobs.remove', { id: j.id }))} title="Remove it from this list; its files stay on disk">
                          Remove
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </MasterDetail>
    </section>
  );
}

/** Under the bar: where a running job is, or how a finished one ended. */
function progressText(j: JobView): string {
  const pct = j.progress != null ? `${(j.progress * 100).toFixed(1)}%` : '';
  if (j.state === 'completed') return 'done';
  if (j.state === 'cancelled') return `stopped at ${pct || 'the start'}`;
  if (j.state === 'failed' || j.state === 'interrupted') return `ended at ${pct || 'the start'}`;
  return [pct, j.progressMessage ?? ''].filter(Boolean).join(' ');
}

function NewJobPanel({
  initialKind,
  prefill,
  open,
  onToggle,
  onAdded,
  onError,
}: {
  initialKind: string | null;
  prefill: string | null;
  open: boolean;
  onToggle: (open: boolean) => void;
  onAdded: (job: JobView) => void;
  onError: (e: unknown) => void;
}) {
  const client = useClient();
  const [kinds, setKinds] = useState<JobKindView[]>([]);
  const [kind, setKind] = useState('');
  const [params, setParams] = useState<Record<string, unknown> | null>(null);
  const [target, setTarget] = useState('');
  useEffect(() => {
    client.call('jobs.kinds', {}).then(setKinds, onError);
  }, [client, onError]);
  useEffect(() => {
    if (kinds.length === 0) return;
    setKind((cur) => (initialKind && kinds.some((k) => k.kind === initialKind) ? initialKind : cur || kinds[0].kind));
  }, [kinds, initialKind]);
  const prefilled = useMemo(() => {
    if (!prefill) return undefined;
    try {
      const v = JSON.parse(prefill) as unknown;
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }, [prefill]);
  const current = kinds.find((k) => k.kind === kind);
  const unknownKind = initialKind && kinds.length > 0 && !kinds.some((k) => k.kind === initialKind);
  return (
    <details className="panel" open={open} onToggle={(e) => (e.currentTarget.open !== open ? onToggle(e.currentTarget.open) : undefined)}>
      <summary>New job</summary>
      {unknownKind && (
        <div className="warning-note" role="note">
          There is no “{initialKind}” job kind in this version yet; the kinds below are the ones it has.
        </div>
      )}
      <label className="field">
        Kind
        <select aria-label="Job kind" data-shortcut-focus value={kind} onChange={(e) => setKind(e.target.value)}>
          {kinds.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.kind}
            </option>
          ))}
        </select>
        {current && <span className="muted small">{current.description}</span>}
      </label>
      {current?.runsOnClusters && <RunOnPicker value={target} onChange={setTarget} />}
      {current && <SchemaForm key={`${current.kind}|${prefill ?? ''}`} schema={current.paramsSchema} prefill={kind === initialKind ? prefilled : undefined} onParams={setParams} />}
      <div className="toolbar">
        <button
          className="primary"
          disabled={params == null || !current}
          onClick={async () => {
            try {
              onAdded(await client.call('jobs.add', { kind, params, ...(target && current?.runsOnClusters ? { target } : {}) }));
            } catch (e) {
              onError(e);
            }
          }}
        >
          Add to queue
        </button>
      </div>
    </details>
  );
}
