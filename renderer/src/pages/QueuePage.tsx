import { useCallback, useEffect, useMemo, useState } from 'react';
import type { JobKindView, JobView } from '../../../preload/api';
import { useClient, useEvent, useTicker } from '../client/context';
import { ErrorBanner } from '../components/ErrorBanner';
import { JobDetail } from '../components/jobs/JobDetail';
import { jobElapsedSeconds } from '../components/jobs/jobTime';
import { SchemaForm } from '../components/jobs/SchemaForm';
import { MasterDetail } from '../components/MasterDetail';
import { ProgressBar, toneOfJobState } from '../components/ProgressBar';
import { formatDuration } from '../format';
import { usePageParams } from '../router';
import { useShortcuts } from '../shortcuts';

const ACTIVE = new Set(['running', 'pausing', 'cancelling']);
const FINISHED = new Set(['completed', 'failed', 'cancelled']);

/**
 * The queue: every job with its state, progress and ETA; the chosen one's detail beside the list
 * (`#/queue?job=<id>`); and a form per job kind (`#/queue?new=<kind>&params=<json>` opens it
 * filled in, which is how other pages offer "verify" or "index" as a link).
 */
export function QueuePage() {
  const client = useClient();
  const [params, setParams] = usePageParams('queue');
  const [jobs, setJobs] = useState<JobView[]>([]);
  const [error, setError] = useState<unknown>(null);
  const selected = params.get('job');
  const select = useCallback((id: string | null) => setParams({ job: id }, { push: true }), [setParams]);

  useEffect(() => {
    client.call('jobs.list', {}).then(setJobs, setError);
  }, [client]);
  useEvent('job.updated', (job) => setJobs((list) => (list.some((j) => j.id === job.id) ? list.map((j) => (j.id === job.id ? job : j)) : [...list, job]).sort((a, b) => a.position - b.position)));
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
  const selectedJob = jobs.find((j) => j.id === selected) ?? null;
  const step = (d: 1 | -1) => {
    if (jobs.length === 0) return;
    const i = jobs.findIndex((j) => j.id === selected);
    const next = i < 0 ? (d > 0 ? 0 : jobs.length - 1) : Math.min(jobs.length - 1, Math.max(0, i + d));
    setParams({ job: jobs[next].id });
    document.querySelector(`tr[data-job-id="${jobs[next].id}"]`)?.scrollIntoView({ block: 'nearest' });
  };
  useShortcuts('Queue', [
    { keys: 'ArrowDown', description: 'Next job', run: () => step(1) },
    { keys: 'ArrowUp', description: 'Previous job', run: () => step(-1) },
    { keys: 'n', description: 'Open the New job form', run: () => setParams({ open: 1 }) },
  ]);

  return (
    <section className="page">
      <h1>Queue</h1>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      <NewJobPanel
        initialKind={params.get('new')}
        prefill={params.get('params')}
        open={params.has('new') || params.has('open')}
        onToggle={(open) => setParams(open ? { open: 1 } : { open: null, new: null, params: null })}
        onAdded={(job) => setParams({ job: job.id, new: null, params: null, open: null }, { push: true })}
        onError={setError}
      />
      <MasterDetail label="Job detail" detail={selectedJob && <JobDetail job={selectedJob} onClose={() => select(null)} />} onClose={() => select(null)}>
        {jobs.length === 0 ? (
          <p className="muted">No jobs yet. Downloads, indexing, training and experiments appear here while they run.</p>
        ) : (
          <div className="table-scroll">
            <table className="jobs" aria-label="Jobs">
              <thead>
                <tr>
                  <th>Job</th>
                  <th>State</th>
                  <th style={{ width: '26%' }}>Progress</th>
                  <th className="num">ETA</th>
                  <th className="num">Elapsed</th>
                  <th>Actions</th>
                </tr>
              </thead>
              <tbody>
                {jobs.map((j) => (
                  <tr key={j.id} data-job-id={j.id} data-state={j.state} className={`clickable${j.id === selected ? ' selected' : ''}`} onClick={() => select(j.id)}>
                    <td>
                      <div className="job-title">{j.title}</div>
                      <div className="muted small">
                        {j.kind} · {j.resource.toUpperCase()}
                      </div>
                    </td>
                    <td>
                      <span className={`state state-${j.state}`}>{j.state}</span>
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
                      {['queued', 'running', 'pausing', 'paused', 'interrupted'].includes(j.state) && <button onClick={() => act(() => client.call('jobs.cancel', { id: j.id }))}>Cancel</button>}
                      {(j.state === 'failed' || j.state === 'cancelled') && <button onClick={() => act(() => client.call('jobs.retry', { id: j.id }))}>Retry</button>}
                      {FINISHED.has(j.state) && (
                        <button className="link" onClick={() => act(() => client.call('jobs.remove', { id: j.id }))}>
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
      {current && <SchemaForm key={`${current.kind}|${prefill ?? ''}`} schema={current.paramsSchema} prefill={kind === initialKind ? prefilled : undefined} onParams={setParams} />}
      <div className="toolbar">
        <button
          className="primary"
          disabled={params == null || !current}
          onClick={async () => {
            try {
              onAdded(await client.call('jobs.add', { kind, params }));
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
