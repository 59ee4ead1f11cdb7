import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { EXPERIMENT_JOB_KINDS, type ExperimentArtifact, type ExperimentKind, type ExperimentListing, type JobView } from '../../../preload/api';
import { useClient, useEvent } from '../client/context';
import { ErrorBanner } from '../components/ErrorBanner';
import { ExperimentForm, type ExperimentPrefill } from '../components/experiments/ExperimentForm';
import { ExperimentResult } from '../components/experiments/ExperimentResult';
import { SeedArtifactView } from '../components/experiments/SeedArtifactView';
import { ProgressBar } from '../components/ProgressBar';
import { CopyAsPython } from '../components/python/CopyAsPython';
import { experimentStatements } from '../components/python/pythonSnippet';
import { formatTime } from '../format';
import { routeHref, usePageParams } from '../router';
import '../components/experiments/experiments.css';

const KIND_OF_JOB = Object.fromEntries(Object.entries(EXPERIMENT_JOB_KINDS).map(([k, v]) => [v, k])) as Record<string, ExperimentKind>;
const FINISHED = new Set(['completed', 'failed', 'cancelled']);

function prefillOf(params: URLSearchParams): ExperimentPrefill | null {
  const kind = params.get('new');
  if (!kind || !(kind in EXPERIMENT_JOB_KINDS)) return null;
  const get = (k: string) => params.get(k) ?? undefined;
  return { kind: kind as ExperimentKind, model: get('model'), sae: get('sae'), saeModel: get('saeModel'), modelB: get('modelB'), features: get('features'), dataset: get('dataset'), condition: get('condition'), metric: get('metric'), decoder: get('decoder') };
}

function JobItem({ job, selected }: { job: JobView; selected: boolean }) {
  // A list row carries a summary: a very long verdict may have become a marker object.
  const verdict = (job.result as { verdict?: unknown } | null)?.verdict;
  const result = { verdict: typeof verdict === 'string' ? verdict : undefined };
  return (
    <a className={`experiment-item${selected ? ' selected' : ''}`} href={routeHref('experiments', { job: job.id })} data-job-id={job.id} data-state={job.state} aria-current={selected || undefined}>
      <div className="title">{job.title}</div>
      <div className="meta">
        <span className={`state state-${job.state}`}>{job.state}</span> {formatTime(job.createdAt)}
      </div>
      {!FINISHED.has(job.state) && <ProgressBar value={job.progress} label={`Progress of ${job.title}`} />}
      {!FINISHED.has(job.state) && job.progressMessage && <div className="meta">{job.progressMessage}</div>}
      {job.state === 'failed' && <div className="meta error-text">{job.error?.message}</div>}
      {job.state === 'completed' && result?.verdict && <div className="meta">{result.verdict.length > 140 ? `${result.verdict.slice(0, 140)}…` : result.verdict}</div>}
    </a>
  );
}

function JobResult({ job }: { job: JobView }) {
  const client = useClient();
  const [artifact, setArtifact] = useState<ExperimentArtifact | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setArtifact(null);
    setError(null);
    if (job.state === 'completed') client.call('experiments.artifact', { jobId: job.id }).then(setArtifact, setError);
  }, [client, job.id, job.state]);
  if (job.state !== 'completed') {
    return (
      <article className="experiment-result" aria-label="Experiment in progress">
        <h2>{job.title}</h2>
        <div className="muted small">
          {job.kind} · {job.state}
          {job.progressMessage ? ` · ${job.progressMessage}` : ''}
        </div>
        {!FINISHED.has(job.state) && <ProgressBar value={job.progress} label="Experiment progress" />}
        {job.error && <ErrorBanner error={job.error} />}
        <p className="muted small">
          The plot, the verdict and every parameter appear here when it finishes; the <a href={routeHref('queue')}>Queue</a> has its log, pause and cancel.
        </p>
      </article>
    );
  }
  return (
    <>
      <ErrorBanner error={error} />
      {artifact && <div className="result-python"><CopyAsPython statements={experimentStatements(job.id, job.kind, artifact.params as unknown as Record<string, unknown>)} /></div>}
      {artifact && <ExperimentResult artifact={artifact} name={`${KIND_OF_JOB[job.kind] ?? 'experiment'}-${job.id}`} />}
    </>
  );
}

export function ExperimentsPage() {
  const client = useClient();
  const [params, setParams] = usePageParams('experiments');
  const [listing, setListing] = useState<ExperimentListing | null>(null);
  const [error, setError] = useState<unknown>(null);
  const prefill = useMemo(() => prefillOf(params), [params]);
  // The form remounts for a new prefill (a link from a feature or a Compare pair), not when the
  // prefill leaves the URL because a result was opened: edits in progress survive browsing results.
  const formSeed = useRef<{ key: string; prefill: ExperimentPrefill | null }>({ key: 'blank', prefill: null });
  if (prefill && JSON.stringify(prefill) !== formSeed.current.key) formSeed.current = { key: JSON.stringify(prefill), prefill };
  const jobId = params.get('job');
  const fileId = params.get('file');

  const reload = useCallback(() => client.call('experiments.list', {}).then(setListing, setError), [client]);
  useEffect(() => void reload(), [reload]);
  useEvent('job.updated', (job) => {
    if (!(job.kind in KIND_OF_JOB)) return;
    setListing((l) => (l ? { ...l, jobs: l.jobs.some((j) => j.id === job.id) ? l.jobs.map((j) => (j.id === job.id ? job : j)) : [...l.jobs, job] } : l));
  });
  useEvent('job.removed', ({ id }) => setListing((l) => (l ? { ...l, jobs: l.jobs.filter((j) => j.id !== id) } : l)));
  useEvent('library.changed', () => void reload(), [reload]);

  const jobs = useMemo(() => [...(listing?.jobs ?? [])].sort((a, b) => b.createdAt - a.createdAt), [listing]);
  const job = jobs.find((j) => j.id === jobId) ?? null;
  const file = listing?.resultFiles.find((f) => f.id === fileId) ?? null;

  return (
    <section className="page">
      <h1>Experiments</h1>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      <div className="experiments-layout">
        <nav className="experiment-list" aria-label="Experiment results">
          <h2>Run here</h2>
          {jobs.length === 0 && <p className="muted small">None yet: start one with the form, or from a feature's page (ablate, steer).</p>}
          {jobs.map((j) => (
            <JobItem key={j.id} job={j} selected={j.id === jobId} />
          ))}
          <h2>Result files</h2>
          {(listing?.resultFiles ?? []).length === 0 && <p className="muted small">JSON result files you add in the Library (e.g. the seed's causal_nulls_per_seed.json) open here.</p>}
          {(listing?.resultFiles ?? []).map((f) => (
            <a key={f.id} className={`experiment-item${f.id === fileId ? ' selected' : ''}`} href={routeHref('experiments', { file: f.id })} aria-current={f.id === fileId || undefined}>
              <div className="title">{f.name}</div>
              <div className="meta">{f.source.type === 'hub' ? f.source.repoId : f.path}</div>
            </a>
          ))}
        </nav>
        <div className="experiment-main">
          <ExperimentForm key={formSeed.current.key} prefill={formSeed.current.prefill} onQueued={(j) => setParams({ job: j.id, file: null, new: null, model: null, sae: null, saeModel: null, modelB: null, features: null, dataset: null, condition: null, metric: null, decoder: null }, { push: true })} />
          {job && <JobResult job={job} />}
          {!job && jobId && listing && <p className="muted">There is no experiment {jobId} (it may have been removed in the Queue).</p>}
          {file && <SeedArtifactView item={file} />}
        </div>
      </div>
    </section>
  );
}
