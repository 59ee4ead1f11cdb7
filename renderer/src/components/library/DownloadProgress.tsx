import type { JobView } from '../../../../preload/api';
import { hubDownloadProgressOf } from '../../../../preload/contract/hub';
import { useClient } from '../../client/context';
import { formatBytes, formatDuration } from '../../format';
import { ProgressBar, toneOfJobState } from '../ProgressBar';

const ACTIVE = new Set(['queued', 'running', 'pausing', 'cancelling']);

/** One hub.download job: total and per-file progress, rate, ETA, and pause / resume / cancel. */
export function DownloadProgress({ job, onError, onDismiss, embedded = false }: { job: JobView; onError: (e: unknown) => void; onDismiss?: () => void; embedded?: boolean }) {
  const client = useClient();
  const p = hubDownloadProgressOf(job);
  const act = (fn: () => Promise<unknown>) => fn().catch(onError);
  const total = job.state === 'completed' ? 1 : p && p.total > 0 ? p.bytes / p.total : job.progress;
  const files = p?.files ?? [];
  const busy = files.filter((f) => f.state === 'downloading' || f.state === 'verifying');
  return (
    <div className={embedded ? 'download' : 'panel download'} data-job-id={job.id} data-state={job.state} aria-label={`Download ${job.title}`} role="region">
      <div className="download-head">
        <div>
          <div className="item-name">{job.title}</div>
          <div className="muted small">
            <span className={`state state-${job.state}`}>{job.state}</span>{' '}
            {p ? `${formatBytes(p.bytes)} of ${formatBytes(p.total)}` : ''}
            {job.state === 'running' && p ? ` · ${formatBytes(p.bytesPerSecond)}/s · ETA ${formatDuration(p.etaSeconds)}` : ''}
            {job.state === 'cancelled' ? ((job.params as { keepPartialOnCancel?: boolean } | null)?.keepPartialOnCancel ? ' · partial data kept: Retry continues it' : ' · partial data removed') : ''}
            {job.error ? ` · ${job.error.message}` : ''}
          </div>
        </div>
        {!embedded && (
        <div className="actions">
          {(job.state === 'running' || job.state === 'queued') && job.pausable && <button onClick={() => act(() => client.call('jobs.pause', { id: job.id }))}>Pause</button>}
          {(job.state === 'paused' || job.state === 'interrupted') && <button onClick={() => act(() => client.call('jobs.resume', { id: job.id }))}>Resume</button>}
          {(ACTIVE.has(job.state) || job.state === 'paused' || job.state === 'interrupted') && job.state !== 'cancelling' && (
            <button onClick={() => act(() => client.call('jobs.cancel', { id: job.id }))}>Cancel</button>
          )}
          {(job.state === 'failed' || job.state === 'cancelled') && <button onClick={() => act(() => client.call('jobs.retry', { id: job.id }))}>Retry</button>}
          {(job.state === 'completed' || job.state === 'failed' || job.state === 'cancelled') && onDismiss && (
            <button className="link" onClick={onDismiss} aria-label={`Dismiss ${job.title}`}>
              Dismiss
            </button>
          )}
        </div>
        )}
      </div>
      <ProgressBar value={total} label={`Total progress of ${job.title}`} tone={toneOfJobState(job.state)} />
      <div className="muted small">{total != null ? `${(total * 100).toFixed(1)}%` : ''}</div>
      {files.length > 0 && (
        <details open={busy.length > 0 && job.state === 'running'}>
          <summary className="small">
            {files.filter((f) => f.state === 'done' || f.state === 'cached').length} of {files.length} files done
          </summary>
          <table className="download-files" aria-label="File progress">
            <tbody>
              {files.map((f) => (
                <tr key={f.path} data-file={f.path} data-state={f.state}>
                  <td className="mono small">{f.path}</td>
                  <td className="file-progress">
                    <ProgressBar value={f.total > 0 ? f.bytes / f.total : f.state === 'done' || f.state === 'cached' ? 1 : 0} label={`Progress of ${f.path}`} tone={f.state === 'done' || f.state === 'cached' ? 'finished' : f.state === 'failed' ? 'failed' : toneOfJobState(job.state)} />
                  </td>
                  <td className="small num">
                    {formatBytes(f.bytes)} / {formatBytes(f.total)}
                  </td>
                  <td className="small">
                    {f.state}
                    {f.state === 'downloading' && f.bytesPerSecond > 0 ? ` · ${formatBytes(f.bytesPerSecond)}/s` : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </div>
  );
}
