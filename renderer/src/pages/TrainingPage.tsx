/**
 * Training: start SAE training runs (train.sae jobs), list them, and open one (URL-held: `run`,
 * with `overlay` runs drawn on the same charts) to follow its curves live and read its gates and
 * evals; evaluate any SAE with the same yardstick below.
 */
import { useCallback, useEffect, useState } from 'react';
import { EVAL_SAE_KIND, TRAIN_SAE_KIND, type JobView, type TrainRunView, type TrainSources } from '../../../preload/api';
import { useClient, useEvent } from '../client/context';
import { DemoBundleOffer } from '../components/demo/DemoBundleOffer';
import { ErrorBanner } from '../components/ErrorBanner';
import { ProgressBar } from '../components/ProgressBar';
import { EvalPanel } from '../components/training/EvalPanel';
import { RunDetail, runLabel } from '../components/training/RunDetail';
import { TrainForm } from '../components/training/TrainForm';
import { CrosscoderTraining } from '../components/training/CrosscoderTraining';
import { usePageParams } from '../router';
import '../components/training/training.css';

export function TrainingPage() {
  const client = useClient();
  const [params, setParams] = usePageParams('training');
  const [runs, setRuns] = useState<TrainRunView[]>([]);
  const [evaluations, setEvaluations] = useState<JobView[]>([]);
  const [sources, setSources] = useState<TrainSources | null>(null);
  const [error, setError] = useState<unknown>(null);
  const selected = params.get('run');
  const overlay = (params.get('overlay') ?? '').split(',').filter(Boolean);

  // Open while there are no runs, until the user folds or opens it (starting a run folds it); a list
  // that fills in later must not fold the form under the user's hands.
  const [formOpen, setFormOpen] = useState<boolean | null>(null);

  const reload = useCallback(() => {
    client.call('train.runs', {}).then(setRuns, setError);
    client.call('train.evaluations', {}).then(setEvaluations, setError);
  }, [client]);
  const loadSources = useCallback(() => client.call('train.sources', {}).then(setSources, setError), [client]);
  useEffect(() => {
    reload();
    void loadSources();
  }, [reload, loadSources]);
  useEvent(
    'job.updated',
    (job) => {
      // Events carry summaries; a result that was cut comes whole from train.runs / jobs.get.
      const known = runs.find((r) => r.job.id === job.id);
      if (job.kind === TRAIN_SAE_KIND && (!known || (job.summarised && job.state !== known.job.state))) reload();
      else if (job.kind === TRAIN_SAE_KIND) {
        const merged: JobView = job.summarised ? { ...job, params: known!.job.params, result: known!.job.result } : job;
        setRuns((list) => list.map((r) => (r.job.id === job.id ? { ...r, job: merged, result: job.summarised ? r.result : job.state === 'completed' ? (job.result as TrainRunView['result']) : null } : r)));
      }
      if (job.kind === EVAL_SAE_KIND) {
        const put = (whole: JobView) => setEvaluations((list) => (list.some((j) => j.id === whole.id) ? list.map((j) => (j.id === whole.id ? whole : j)) : [whole, ...list]));
        if (job.summarised) client.call('jobs.get', { id: job.id }).then(put, setError);
        else put(job);
      }
      if (sources?.demoJobId && job.id === sources.demoJobId && job.state === 'completed') void loadSources();
    },
    [runs, sources?.demoJobId, client, reload],
  );
  useEvent('library.changed', () => void loadSources(), [loadSources]);
  useEvent('job.removed', () => reload(), [reload]);

  // Opened for a crosscoder (its form below), the SAE form starts folded.
  const formShown = params.get('new') === '1' || (formOpen ?? (runs.length === 0 && !params.get('crosscoder') && !params.get('ccRun')));
  const run = runs.find((r) => r.job.id === selected) ?? null;
  const toggleOverlay = (id: string) => setParams({ overlay: (overlay.includes(id) ? overlay.filter((o) => o !== id) : [...overlay, id]).join(',') });

  return (
    <section className="page training-page">
      <h1>Training</h1>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      {sources?.demoJobId && <DemoBundleOffer compact onReload={() => void loadSources()} />}
      <details className="panel" open={formShown} onToggle={(e) => e.currentTarget.open !== formShown && setFormOpen(e.currentTarget.open)}>
        <summary>New training run</summary>
        <TrainForm
          sources={sources}
          onError={setError}
          onStarted={(job) => {
            setFormOpen(false);
            reload();
            setParams({ run: job.id, new: null }, { push: true });
          }}
        />
      </details>
      {runs.length > 0 && (
        <table className="runs-table" aria-label="Training runs">
          <thead>
            <tr>
              <th title="Overlay on the open run's charts">Compare</th>
              <th>Run</th>
              <th>State</th>
              <th style={{ width: '20%' }}>Progress</th>
              <th>FVE</th>
              <th>Dead %</th>
              <th>Gates</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => {
              const res = r.result;
              const fve = res ? res.saes.map((s) => s.eval.fve.toFixed(3)).join(' / ') : '–';
              const dead = res ? res.saes.map((s) => s.eval.dead_pct.toFixed(1)).join(' / ') : '–';
              const passed = res ? res.saes.every((s) => s.passed) : null;
              return (
                <tr key={r.job.id} data-job-id={r.job.id} data-state={r.job.state} className={r.job.id === selected ? 'selected' : ''} onClick={() => setParams({ run: r.job.id }, { push: true })}>
                  <td onClick={(e) => e.stopPropagation()}>
                    <input type="checkbox" aria-label={`Overlay ${runLabel(r)}`} checked={overlay.includes(r.job.id)} onChange={() => toggleOverlay(r.job.id)} />
                  </td>
                  <td>
                    <div className="job-title">{runLabel(r)}</div>
                    <div className="muted small">{r.params.hooks.join(', ')}</div>
                  </td>
                  <td>
                    <span className={`state state-${r.job.state}`}>{r.job.state}</span>
                  </td>
                  <td>
                    <ProgressBar value={r.job.state === 'completed' ? 1 : r.job.progress} label={`Progress of ${runLabel(r)}`} />
                    <div className="muted small">{r.job.state === 'completed' ? 'done' : (r.job.progressMessage ?? '')}</div>
                  </td>
                  <td className="num">{fve}</td>
                  <td className="num">{dead}</td>
                  <td className={passed === null ? '' : passed ? 'gate-pass' : 'gate-fail'}>{passed === null ? '–' : passed ? '✓ pass' : '✗ fail'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {run && <RunDetail run={run} overlay={runs.filter((r) => overlay.includes(r.job.id))} onError={setError} />}
      <h2 className="section-title">Crosscoders</h2>
      <CrosscoderTraining sources={sources} onError={setError} />
      <EvalPanel sources={sources} evaluations={evaluations} onError={setError} initial={{ model: params.get('evalModel') ?? undefined, sae: params.get('evalSae') ?? undefined }} />
    </section>
  );
}
