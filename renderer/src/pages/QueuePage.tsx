import { useCallback, useEffect, useRef, useState } from 'react';
import type { JobKindView, JobLogLine, JobView } from '../../../preload/api';
import { useClient, useEvent, useTicker } from '../client/context';
import { ErrorBanner } from '../components/ErrorBanner';
import { ProgressBar } from '../components/ProgressBar';
import { formatDuration, formatTime } from '../format';
import { JobParamsForm } from './jobForms';

const ACTIVE = new Set(['running', 'pausing', 'cancelling']);

export function QueuePage() {
  const client = useClient();
  const [jobs, setJobs] = useState<JobView[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    client.call('jobs.list', {}).then(setJobs, setError);
  }, [client]);
  useEvent('job.updated', (job) => setJobs((list) => (list.some((j) => j.id === job.id) ? list.map((j) => (j.id === job.id ? job : j)) : [...list, job]).sort((a, b) => a.position - b.position)));
  useEvent('job.removed', ({ id }) => setJobs((list) => list.filter((j) => j.id !== id)));

  const act = useCallback(
    async (fn: () => Promise<unknown>) => {
      setError(null);
      try {
        await fn();
      } catch (e) {
        setError(e);
      }
    },
    [],
  );
  const move = (id: string, direction: -1 | 1) => act(async () => setJobs(await client.call('jobs.move', { id, direction })));
  const anyActive = jobs.some((j) => ACTIVE.has(j.state));
  const now = useTicker(anyActive);
  const selectedJob = jobs.find((j) => j.id === selected) ?? null;

  return (
    <section className="page">
      <h1>Queue</h1>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      <NewJobPanel onAdded={(job) => setSelected(job.id)} onError={setError} />
      {jobs.length === 0 ? (
        <p className="muted">No jobs yet. Downloads, indexing, training and experiments appear here while they run.</p>
      ) : (
        <table className="jobs" aria-label="Jobs">
          <thead>
            <tr>
              <th>Job</th>
              <th>State</th>
              <th style={{ width: '28%' }}>Progress</th>
              <th>ETA</th>
              <th>Elapsed</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((j) => (
              <tr key={j.id} data-job-id={j.id} data-state={j.state} className={j.id === selected ? 'selected' : ''} onClick={() => setSelected(j.id)}>
                <td>
                  <div className="job-title">{j.title}</div>
                  <div className="muted small">
                    {j.kind} · {j.resource.toUpperCase()} · {j.id}
                  </div>
                </td>
                <td>
                  <span className={`state state-${j.state}`}>{j.state}</span>
                  {j.error && <div className="small error-text">{j.error.message}</div>}
                </td>
                <td>
                  <ProgressBar value={j.state === 'completed' ? 1 : j.progress} label={`Progress of ${j.title}`} />
                  <div className="muted small">
                    {j.progress != null ? `${(j.progress * 100).toFixed(1)}%` : ''} {j.progressMessage ?? ''}
                  </div>
                </td>
                <td>{j.state === 'running' ? formatDuration(j.etaSeconds) : '–'}</td>
                <td>{formatDuration(elapsedSeconds(j, now))}</td>
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
                  {['completed', 'failed', 'cancelled'].includes(j.state) && (
                    <button className="link" onClick={() => act(() => client.call('jobs.remove', { id: j.id }))}>
                      Remove
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selectedJob && <JobDetail job={selectedJob} />}
    </section>
  );
}

function elapsedSeconds(j: JobView, now: number): number | null {
  if (j.startedAt == null) return null;
  return (j.elapsedMs + (j.attemptStartedAt != null ? Math.max(0, now - j.attemptStartedAt) : 0)) / 1000;
}

function NewJobPanel({ onAdded, onError }: { onAdded: (job: JobView) => void; onError: (e: unknown) => void }) {
  const client = useClient();
  const [kinds, setKinds] = useState<JobKindView[]>([]);
  const [kind, setKind] = useState('');
  const [params, setParams] = useState<unknown>(null);
  useEffect(() => {
    client.call('jobs.kinds', {}).then((k) => {
      setKinds(k);
      setKind((cur) => cur || k[0]?.kind || '');
    }, onError);
  }, [client, onError]);
  const current = kinds.find((k) => k.kind === kind);
  return (
    <details className="panel">
      <summary>New job</summary>
      <label className="field">
        Kind
        <select aria-label="Job kind" value={kind} onChange={(e) => setKind(e.target.value)}>
          {kinds.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.kind}
            </option>
          ))}
        </select>
        {current && <span className="muted small">{current.description}</span>}
      </label>
      {kind && <JobParamsForm kind={kind} onParams={setParams} />}
      <button
        className="primary"
        disabled={params == null}
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
    </details>
  );
}

function JobDetail({ job }: { job: JobView }) {
  const client = useClient();
  const [lines, setLines] = useState<JobLogLine[]>([]);
  const end = useRef<HTMLDivElement>(null);
  useEffect(() => {
    setLines([]);
    client.call('jobs.logs', { id: job.id }).then(setLines, () => {});
  }, [client, job.id]);
  useEvent('job.log', (line) => {
    if (line.jobId === job.id) setLines((l) => (l.some((x) => x.seq === line.seq) ? l : [...l, line]));
  }, [job.id]);
  useEffect(() => {
    // Braces matter: newer Chromium returns a Promise from scrollIntoView, which React would take for a cleanup.
    void end.current?.scrollIntoView({ block: 'nearest' });
  }, [lines.length]);
  return (
    <div className="panel job-detail" aria-label="Job detail">
      <h2>{job.title}</h2>
      <div className="muted small">
        Created {formatTime(job.createdAt)} · attempts {job.attempts}
        {job.error?.hint && <> · {job.error.hint}</>}
      </div>
      {job.result != null && job.state === 'completed' && (
        <details>
          <summary>Result</summary>
          <pre className="result">{JSON.stringify(job.result, null, 2)}</pre>
        </details>
      )}
      <div className="log" role="log" aria-label="Job log">
        {lines.map((l) => (
          <div key={l.seq} className={`log-line log-${l.level}`}>
            <span className="muted">{formatTime(l.ts)}</span> {l.message}
          </div>
        ))}
        <div ref={end} />
      </div>
    </div>
  );
}
