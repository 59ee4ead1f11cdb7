/**
 * One training run: state and actions, live curves (overlaid with the runs chosen for comparison)
 * under the core's warnings, the quality gates as pass / warn / fail with their numbers, the
 * held-out evals per SAE, each dictionary's duplicates and density, the lr sweep and where the SAEs
 * were written.
 */
import type { GateOutcome, SaeEvalSummary, TrainRunView } from '../../../../preload/api';
import { useClient, useTicker } from '../../client/context';
import { formatDuration } from '../../format';
import { ProgressBar } from '../ProgressBar';
import { DictionaryPanel } from './DictionaryPanel';
import { reproducibilityNote } from './reproducibility';
import { RunCharts } from './TrainingCharts';
import { remoteJobText, shownState } from '../jobs/remoteJob';

export function runLabel(r: TrainRunView): string {
  const name = r.params.model.split(/[/\\]/).filter(Boolean).pop() ?? r.params.model;
  return `${name} · d_sae ${r.params.dSae ?? `${r.params.expansionFactor}x`} · k ${r.params.k} · ${r.job.id.slice(-8)}`;
}

export function GatesTable({ gates }: { gates: GateOutcome[] }) {
  return (
    <table className="gates-table" aria-label="Quality gates">
      <thead>
        <tr>
          <th>Gate</th>
          <th>Value</th>
          <th>Threshold</th>
          <th>Result</th>
        </tr>
      </thead>
      <tbody>
        {gates.map((g) => {
          // A gate that only warns (duplicates, by default) does not fail the SAE; older results have no `blocking`.
          const warnOnly = !g.pass && g.blocking === false;
          return (
            <tr key={g.name} data-gate={g.name} data-pass={g.pass} data-blocking={g.blocking !== false}>
              <td>{g.name}</td>
              <td>{g.name === 'FVE' ? g.value.toFixed(4) : g.value.toFixed(2)}</td>
              <td>
                {g.comparison} {g.threshold}
              </td>
              <td className={g.pass ? 'gate-pass' : warnOnly ? 'gate-warn' : 'gate-fail'}>{g.pass ? '✓ pass' : warnOnly ? '⚠ warning' : '✗ fail'}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

const EVAL_ROWS: { key: keyof SaeEvalSummary; label: string; digits: number; why: string }[] = [
  { key: 'fve', label: 'FVE', digits: 4, why: '1 - Σ‖x - x̂‖² / Σ‖x - mean x‖², pooled over the held-out tokens' },
  { key: 'l0', label: 'L0', digits: 2, why: 'mean nonzero latents per token' },
  { key: 'dead_pct', label: 'Dead %', digits: 2, why: 'latents that never fired on the held-out tokens' },
  { key: 'duplicate_pct', label: 'Duplicates %', digits: 2, why: 'live latents with another live latent at decoder cosine ≥ 0.9' },
  { key: 'max_cosine', label: 'Max cosine', digits: 3, why: 'largest decoder cosine between two live latents' },
  { key: 'mean_max_cosine', label: 'Mean max cosine', digits: 3, why: "mean over live latents of each one's largest cosine" },
  { key: 'dense_pct', label: 'Dense %', digits: 2, why: 'latents firing on more than 10 % of tokens' },
  { key: 'l2_ratio', label: 'L2 ratio', digits: 4, why: 'mean ‖x̂‖ / ‖x‖' },
  { key: 'ce_loss_score', label: 'CE-loss score', digits: 4, why: '(CE zero-abl. - CE with SAE) / (CE zero-abl. - CE clean)' },
  { key: 'ce_clean', label: 'CE clean', digits: 4, why: 'next-token loss, nats' },
  { key: 'ce_with_sae', label: 'CE with SAE', digits: 4, why: 'the SAE spliced in at the hook' },
  { key: 'ce_zero_ablation', label: 'CE zero-ablation', digits: 4, why: 'the hook set to zero' },
  { key: 'kl_score', label: 'KL score', digits: 4, why: '(KL zero-abl. - KL with SAE) / KL zero-abl.' },
  { key: 'kl_with_sae', label: 'KL with SAE', digits: 4, why: 'KL(clean ‖ spliced), mean over tokens' },
  { key: 'kl_zero_ablation', label: 'KL zero-ablation', digits: 4, why: 'KL(clean ‖ zero-ablated)' },
  { key: 'tokens', label: 'Held-out tokens', digits: 0, why: 'BOS excluded' },
];

export function EvalTable({ evals }: { evals: SaeEvalSummary[] }) {
  return (
    <table className="eval-table" aria-label="Held-out evaluation">
      <thead>
        <tr>
          <th>Metric</th>
          {evals.map((e) => (
            <th key={e.hook}>{e.hook}</th>
          ))}
          <th>Definition</th>
        </tr>
      </thead>
      <tbody>
        {EVAL_ROWS.map((r) => (
          <tr key={r.key} data-metric={r.key}>
            <td>{r.label}</td>
            {evals.map((e) => (
              <td key={e.hook} className="num">
                {typeof e[r.key] === 'number' ? (e[r.key] as number).toFixed(r.digits) : '–'}
              </td>
            ))}
            <td className="muted small">{r.why}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Whether a repeat of this run is bit-identical (CPU) or only close (a GPU provider). */
function ReproducibilityLine({ run }: { run: TrainRunView }) {
  const note = reproducibilityNote(run.result?.executionProvider ?? null, run.params.device);
  return (
    <div className={note.kind === 'exact' ? 'muted small run-reproducibility' : 'warning-note run-reproducibility'} role="note" aria-label="Reproducibility" data-kind={note.kind}>
      {note.kind === 'exact' ? '' : '⚠ '}
      {note.text}
    </div>
  );
}

export function RunDetail({ run, overlay, onError }: { run: TrainRunView; overlay: TrainRunView[]; onError: (e: unknown) => void }) {
  const client = useClient();
  const j = run.job;
  const live = ['running', 'pausing', 'cancelling'].includes(j.state);
  const now = useTicker(live);
  const elapsed = (j.elapsedMs + (j.attemptStartedAt != null ? Math.max(0, now - j.attemptStartedAt) : 0)) / 1000;
  const act = (fn: () => Promise<unknown>) => void fn().catch(onError);
  const r = run.result;
  const charted = [{ jobId: j.id, label: runLabel(run) }, ...overlay.filter((o) => o.job.id !== j.id).map((o) => ({ jobId: o.job.id, label: runLabel(o) }))];
  return (
    <div className="panel run-detail" aria-label="Training run">
      <div className="run-header">
        <div>
          <h2>{j.title}</h2>
          <div className="muted small">
            {j.id} · <span className={shownState(j).className}>{shownState(j).label}</span>
            {j.target ? ` · ${remoteJobText(j)}` : ''} · elapsed {formatDuration(elapsed)}
            {live && j.etaSeconds != null ? ` · ETA ${formatDuration(j.etaSeconds)}` : ''}
            {r ? ` · ${Math.round(r.tokensPerSecond).toLocaleString()} tokens/s whole job (${Math.round(r.stepTokensPerSecond).toLocaleString()} for the step alone) on ${r.executionProvider.toUpperCase()}` : ''}
          </div>
        </div>
        <div className="actions">
          {(j.state === 'running' || j.state === 'queued') && <button onClick={() => act(() => client.call('jobs.pause', { id: j.id }))}>Pause</button>}
          {(j.state === 'paused' || j.state === 'interrupted') && <button onClick={() => act(() => client.call('jobs.resume', { id: j.id }))}>Resume</button>}
          {['queued', 'running', 'pausing', 'paused', 'interrupted'].includes(j.state) && <button onClick={() => act(() => client.call('jobs.cancel', { id: j.id }))}>Cancel</button>}
          {(j.state === 'failed' || j.state === 'cancelled') && <button onClick={() => act(() => client.call('jobs.retry', { id: j.id }))}>Retry</button>}
        </div>
      </div>
      {j.state !== 'completed' && (
        <div className="run-progress">
          <ProgressBar value={j.progress} label="Training progress" />
          <span className="muted small">{j.progressMessage ?? ''}</span>
        </div>
      )}
      {j.error && (
        <div className="error-banner" role="alert">
          <div>
            <strong>{j.error.message}</strong>
            {j.error.hint && <div className="hint">{j.error.hint}</div>}
          </div>
        </div>
      )}
      <div className="muted small run-params">
        {run.params.hooks.join(', ')} · {run.params.architecture} · k {run.params.k} · d_sae {run.params.dSae ?? `${run.params.expansionFactor} x d_in`} · {run.params.tokens.toLocaleString()} tokens · batch {run.params.batchSize} · lr{' '}
        {r ? r.lr.toPrecision(3) : (run.params.lr ?? 'default for the shape')}
        {run.params.lrSweep ? ' (sweep)' : ''} · seed {run.params.seed} · dataset {run.params.dataset}
      </div>
      <ReproducibilityLine run={run} />
      <RunCharts runs={charted} />
      {r && (
        <>
          <h3>Quality gates (held-out tokens)</h3>
          {r.saes.map((s) => (
            <div key={s.hook} className="gates-block" data-hook={s.hook}>
              <div className="small">
                <strong>{s.hook}</strong> · <span className={s.passed ? 'gate-pass' : 'gate-fail'}>{s.passed ? 'gates pass' : 'gates fail'}</span>
                {s.gates.some((g) => !g.pass && g.blocking === false) ? <span className="gate-warn"> · with a warning</span> : null} · written to <code>{s.out}</code>
              </div>
              <GatesTable gates={s.gates} />
            </div>
          ))}
          <h3>Held-out evaluation</h3>
          <EvalTable evals={r.saes.map((s) => s.eval)} />
          {r.saes.some((s) => s.dictionary) && <h3>Dictionary: duplicates and density</h3>}
          {r.saes.map((s) =>
            s.dictionary ? (
              <div key={s.hook} className="dictionary-block" data-hook={s.hook}>
                <div className="small">
                  <strong>{s.hook}</strong>
                </div>
                <DictionaryPanel sae={s.out} dictionary={s.dictionary} label={s.hook} />
              </div>
            ) : null,
          )}
          {r.sweep && (
            <>
              <h3>lr sweep</h3>
              <table className="sweep-table" aria-label="lr sweep">
                <thead>
                  <tr>
                    <th>lr</th>
                    <th>Held-out FVE after the trial</th>
                  </tr>
                </thead>
                <tbody>
                  {r.sweep.map((t) => (
                    <tr key={t.lr} className={t.lr === r.lr ? 'selected' : ''}>
                      <td>{t.lr.toPrecision(3)}</td>
                      <td>
                        {t.fve === null ? 'diverged' : t.fve.toFixed(4)}
                        {t.lr === r.lr ? ' (chosen)' : ''}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </>
      )}
    </div>
  );
}
