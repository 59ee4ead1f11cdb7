/**
 * "Evaluate an SAE": any SAE of the Library (downloaded, constructed, trained) judged by the same
 * held-out metrics and gates as training runs, as eval.sae jobs; their results in one table, each
 * with its dictionary (duplicate groups linking to feature pages, density histogram) under it.
 */
import { Fragment, useEffect, useRef, useState } from 'react';
import { EVAL_SAE_KIND, EvalSaeParamsSchema, type EvalRunResult, type JobView, type TrainSources } from '../../../../preload/api';
import { useClient } from '../../client/context';
import { DatasetPicker } from '../DatasetPicker';
import { ProgressBar } from '../ProgressBar';
import { RunOnPicker } from '../jobs/RunOnPicker';
import { DictionaryPanel } from './DictionaryPanel';

const DEFAULT_TOKENS = EvalSaeParamsSchema.shape.tokens.parse(undefined);

/** `initial` prefills the form (the Library's "Evaluate" link passes an SAE and its linked model). */
export function EvalPanel({ sources, evaluations, onError, initial }: { sources: TrainSources | null; evaluations: JobView[]; onError: (e: unknown) => void; initial?: { model?: string; sae?: string } }) {
  const client = useClient();
  const [model, setModel] = useState(initial?.model ?? '');
  const [sae, setSae] = useState(initial?.sae ?? '');
  const panel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (initial?.sae) panel.current?.scrollIntoView({ block: 'start' });
  }, [initial?.sae]);
  const [dataset, setDataset] = useState('');
  // The demo's dataset (else the Library's first) until the user picks one, as the other forms do.
  useEffect(() => {
    if (sources) setDataset((d) => d || sources.demo?.dataset || sources.datasets[0]?.path || '');
  }, [sources]);
  const [tokens, setTokens] = useState(String(DEFAULT_TOKENS));
  const [target, setTarget] = useState('');
  const saes = (sources?.saes ?? []).filter((s) => !model || s.modelPath === model || s.modelPath === null);
  const params = { model, sae, dataset, tokens: Number(tokens) };
  const ok = EvalSaeParamsSchema.safeParse(params).success;
  return (
    <div className="panel" aria-label="Evaluations" ref={panel}>
      <h2>Evaluate an SAE</h2>
      <p className="muted small">Held-out FVE, L0, dead %, L2 ratio, CE-loss / KL scores with the SAE spliced into the model, and the dictionary's near-duplicates and dense latents, against the quality gates: the yardstick training runs are judged by.</p>
      <div className="eval-form">
        <select aria-label="Evaluation model" value={model} onChange={(e) => setModel(e.target.value)}>
          <option value="">Model…</option>
          {sources?.models.map((m) => (
            <option key={m.path} value={m.path}>
              {m.label}
            </option>
          ))}
        </select>
        <select aria-label="Evaluation SAE" value={sae} onChange={(e) => setSae(e.target.value)}>
          <option value="">SAE…</option>
          {saes.map((s) => (
            <option key={s.path} value={s.path}>
              {s.label}
            </option>
          ))}
        </select>
        <DatasetPicker label="Evaluation dataset" value={dataset} options={sources?.datasets ?? []} onChange={setDataset} />
        <label className="small">
          held-out tokens <input aria-label="Evaluation tokens" value={tokens} onChange={(e) => setTokens(e.target.value)} title={EvalSaeParamsSchema.shape.tokens.description} style={{ width: 90 }} />
        </label>
        <RunOnPicker className="small" compact name="Evaluation run on" value={target} onChange={setTarget} />
        <button className="primary" disabled={!ok} onClick={() => client.call('jobs.add', { kind: EVAL_SAE_KIND, params, ...(target ? { target } : {}) }).catch(onError)}>
          Evaluate
        </button>
      </div>
      {evaluations.length > 0 && (
        <table aria-label="Evaluation results">
          <thead>
            <tr>
              <th>SAE</th>
              <th>State</th>
              <th>FVE</th>
              <th>L0</th>
              <th>Dead %</th>
              <th title="Live latents with another live latent at decoder cosine ≥ 0.9">Duplicates %</th>
              <th title="Latents firing on more than 10 % of tokens">Dense %</th>
              <th>CE-loss score</th>
              <th>KL score</th>
              <th>Gates</th>
            </tr>
          </thead>
          <tbody>
            {evaluations.map((j) => {
              const r = j.state === 'completed' ? (j.result as EvalRunResult) : null;
              return (
                <Fragment key={j.id}>
                <tr data-job-id={j.id}>
                  <td>
                    <div>{j.title}</div>
                    <div className="muted small">{r?.eval.hook ?? ''}</div>
                  </td>
                  <td>
                    <span className={`state state-${j.state}`}>{j.state}</span>
                    {j.state === 'running' && <ProgressBar value={j.progress} label={`Progress of ${j.title}`} />}
                    {j.error && <div className="small error-text">{j.error.message}</div>}
                  </td>
                  <td className="num">{r ? r.eval.fve.toFixed(4) : '–'}</td>
                  <td className="num">{r ? r.eval.l0.toFixed(2) : '–'}</td>
                  <td className="num">{r ? r.eval.dead_pct.toFixed(2) : '–'}</td>
                  <td className={`num${r?.dictionary && r.dictionary.duplicates > 0 ? ' warn-text' : ''}`} data-metric="duplicate_pct">
                    {typeof r?.eval.duplicate_pct === 'number' ? r.eval.duplicate_pct.toFixed(2) : '–'}
                  </td>
                  <td className="num" data-metric="dense_pct">
                    {typeof r?.eval.dense_pct === 'number' ? r.eval.dense_pct.toFixed(2) : '–'}
                  </td>
                  <td className="num">{r ? r.eval.ce_loss_score.toFixed(4) : '–'}</td>
                  <td className="num">{r ? r.eval.kl_score.toFixed(4) : '–'}</td>
                  <td className={r ? (r.passed ? 'gate-pass' : 'gate-fail') : ''}>
                    {r ? (r.passed ? '✓ pass' : '✗ fail') : '–'}
                    {r?.gates.some((g) => !g.pass && g.blocking === false) && <div className="gate-warn small">⚠ {r.gates.filter((g) => !g.pass && g.blocking === false).map((g) => g.name).join(', ')}</div>}
                    {r?.constructed && <div className="muted small">constructed, not trained</div>}
                  </td>
                </tr>
                {r?.constructed && (
                  <tr className="eval-note" data-note-for={j.id}>
                    <td colSpan={10} className="small" role="note" aria-label={`Note on ${j.title}`}>
                      {r.constructed.note}
                    </td>
                  </tr>
                )}
                {r?.dictionary && (
                  <tr className="eval-dictionary" data-dictionary-for={j.id}>
                    <td colSpan={10}>
                      <details open={r.dictionary.groups.length > 0}>
                        <summary className="small">
                          Dictionary: {r.dictionary.group_count} duplicate group{r.dictionary.group_count === 1 ? '' : 's'}, {r.dictionary.dense_pct.toFixed(1)} % dense
                        </summary>
                        <DictionaryPanel sae={r.sae} dictionary={r.dictionary} label={j.title} />
                      </details>
                    </td>
                  </tr>
                )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
