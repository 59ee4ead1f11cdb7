import { useEffect, useState } from 'react';
import { DEMO_JOB_KIND, type JobView } from '../../../../preload/api';
import { useClient, useEvent } from '../../client/context';
import { ProgressBar } from '../ProgressBar';
import { DemoReadmeLink } from './DemoReadme';
import './demo.css';

const WAITING = new Set(['queued', 'running']);

/**
 * The offer shown wherever there is nothing to choose yet (the empty Library, an empty picker):
 * "Create the demo bundle", or the progress of the generation already under way. Generated in a
 * worker (job kind demo.generate); when done it joins the Library and every picker.
 * `compact`: one line, for inside a form. `onReload`: how the page reloads its lists once the
 * bundle is ready (default: reload the page; its state is in the URL).
 */
export function DemoBundleOffer({ compact = false, onReload }: { compact?: boolean; onReload?: () => void }) {
  const client = useClient();
  const [job, setJob] = useState<JobView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    client.call('jobs.list', {}).then(
      (jobs) => setJob(jobs.filter((j) => j.kind === DEMO_JOB_KIND).sort((a, b) => b.createdAt - a.createdAt)[0] ?? null),
      () => {},
    );
  }, [client]);
  useEvent('job.updated', (j) => {
    if (j.kind === DEMO_JOB_KIND) setJob(j);
  });
  const create = async () => {
    setError(null);
    try {
      setJob(await client.call('jobs.add', { kind: DEMO_JOB_KIND, params: {}, priority: 20 }));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const busy = job !== null && WAITING.has(job.state);
  const what = (
    <>
      two tiny GPT-2 models (“standard” and “adhd”) that differ by one planted mechanism, with their SAEs and a dataset, generated offline in a few seconds (<DemoReadmeLink>about it</DemoReadmeLink>)
    </>
  );
  return (
    <div className={compact ? 'demo-offer compact' : 'demo-offer panel'} role="group" aria-label="Demo bundle">
      {busy ? (
        <>
          <span>Generating the demo bundle…</span>
          <ProgressBar value={job.progress} label="Demo bundle progress" />
        </>
      ) : job?.state === 'completed' ? (
        <>
          <span>The demo bundle is ready: its models, SAEs and dataset are in the Library.</span>
          {compact && (
            <button type="button" className="small-button" onClick={() => (onReload ? onReload() : location.reload())}>
              Show them here
            </button>
          )}
        </>
      ) : (
        <>
          {compact ? <span className="muted small">Nothing to choose yet. Start with the demo bundle: {what}.</span> : <p>New here? Start with the demo bundle: {what}.</p>}
          <button type="button" className={compact ? 'small-button' : 'primary'} onClick={() => void create()}>
            Create the demo bundle
          </button>
        </>
      )}
      {job?.state === 'failed' && <div className="error-text small">The demo bundle could not be generated: {job.error?.message}</div>}
      {error && (
        <div className="error-text small" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}
