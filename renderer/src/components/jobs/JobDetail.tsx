import { useEffect, useRef, useState } from 'react';
import type { JobLogLine, JobView } from '../../../../preload/api';
import { useClient, useEvent, useTicker } from '../../client/context';
import { formatDuration, formatTime } from '../../format';
import { DetailList } from '../DetailList';
import { JsonTableView } from '../library/JsonTableView';
import { jobRunsOnRows } from './executionProvider';
import { jobDetailViews } from './jobDetailViews';
import { jobElapsedSeconds } from './jobTime';

/**
 * One job in full: what it is, when it ran, its kind's own view (charts, per-file progress) from
 * jobDetailViews, its result as tables and its log, live.
 */
export function JobDetail({ job, onClose }: { job: JobView; onClose: () => void }) {
  const client = useClient();
  const [full, setFull] = useState<JobView | null>(null);
  const [lines, setLines] = useState<JobLogLine[]>([]);
  const end = useRef<HTMLDivElement>(null);
  const now = useTicker(job.state === 'running');
  useEffect(() => {
    setLines([]);
    client.call('jobs.logs', { id: job.id }).then(setLines, () => {});
  }, [client, job.id]);
  // jobs.get carries the full params and result (list rows may carry a summary).
  useEffect(() => {
    client.call('jobs.get', { id: job.id }).then(setFull, () => setFull(null));
  }, [client, job.id, job.state]);
  useEvent(
    'job.log',
    (line) => {
      if (line.jobId === job.id) setLines((l) => (l.some((x) => x.seq === line.seq) ? l : [...l, line]));
    },
    [job.id],
  );
  useEffect(() => {
    // Braces matter: newer Chromium returns a Promise from scrollIntoView, which React would take for a cleanup.
    void end.current?.scrollIntoView({ block: 'nearest' });
  }, [lines.length]);
  const KindView = jobDetailViews[job.kind];
  const detail = full?.id === job.id ? { ...full, ...job, params: full.params, result: full.result } : job;
  return (
    <div className="job-detail" aria-label="Job detail">
      <div className="md-head">
        <h2>{job.title}</h2>
        <button className="link" onClick={onClose} aria-label="Close job detail">
          Close
        </button>
      </div>
      <DetailList
        rows={[
          ['state', <span className={`state state-${job.state}`}>{job.state}</span>],
          ['kind', job.kind, { mono: true }],
          ['id', job.id, { mono: true }],
          ...jobRunsOnRows(job, 'several CPU jobs run at once'),
          ['created', formatTime(job.createdAt)],
          ['started', job.startedAt ? formatTime(job.startedAt) : null],
          ['finished', job.finishedAt ? formatTime(job.finishedAt) : undefined],
          ['elapsed', formatDuration(jobElapsedSeconds(job, now))],
          ['attempts', job.attempts],
          ['progress', job.state === 'completed' ? undefined : job.progress != null ? `${(job.progress * 100).toFixed(1)}%${job.progressMessage ? ` · ${job.progressMessage}` : ''}` : job.progressMessage],
          ['error', job.error ? `${job.error.code}: ${job.error.message}` : undefined],
          ['what to do', job.error?.hint],
          ['params', isEmpty(detail.params) ? 'none' : <pre className="result params-json">{JSON.stringify(detail.params, null, 2)}</pre>],
        ]}
      />
      {KindView && <KindView job={detail} />}
      {detail.result != null && job.state === 'completed' && (
        <details open>
          <summary>Result</summary>
          <JsonTableView value={detail.result} />
        </details>
      )}
      <h3>Log</h3>
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

function isEmpty(v: unknown): boolean {
  return v == null || (typeof v === 'object' && Object.keys(v).length === 0);
}
