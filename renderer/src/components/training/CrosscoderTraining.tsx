/**
 * Crosscoders on the Training page: the "New crosscoder" form (two models with the same tokenizer,
 * a hook each, the train.crosscoder schema's fields with their one-line whys), the runs list, and
 * the open run (URL `ccRun`): live curves with each model's FVE, the held-out figures and the
 * Δnorm bands, and the way on to the Compare page's Crosscoder tab.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { ENGINE_DEVICES, TRAIN_CROSSCODER_KIND, TrainCrosscoderParamsSchema, type CrosscoderRunView, type JobView, type TrainCrosscoderParamsInput, type TrainSources } from '../../../../preload/api';
import { ApiCallError } from '../../client/client';
import { useClient, useEvent } from '../../client/context';
import { routeHref, usePageParams } from '../../router';
import { DatasetPicker } from '../DatasetPicker';
import { ProgressBar } from '../ProgressBar';
import { RunCharts } from './TrainingCharts';

type Shape = typeof TrainCrosscoderParamsSchema.shape;
const DEFAULTS = TrainCrosscoderParamsSchema.parse({ modelA: '.', modelB: '.', hookA: '.', dataset: '.' });
const why = (name: keyof Shape): string => TrainCrosscoderParamsSchema.shape[name].description ?? '';

interface FormState {
  modelA: string;
  modelB: string;
  hookA: string;
  hookB: string;
  dataset: string;
  k: string;
  dSae: string;
  tokens: string;
  batchSize: string;
  lr: string;
  evalTokens: string;
  lrSweep: boolean;
  loopDataset: boolean;
  device: (typeof ENGINE_DEVICES)[number];
  seed: string;
  normTokens: string;
  out: string;
}

const initial: FormState = {
  modelA: '',
  modelB: '',
  hookA: '',
  hookB: '',
  dataset: '',
  k: String(DEFAULTS.k),
  dSae: '',
  tokens: String(DEFAULTS.tokens),
  batchSize: String(DEFAULTS.batchSize),
  lr: String(DEFAULTS.lr),
  evalTokens: String(DEFAULTS.evalTokens),
  lrSweep: false,
  loopDataset: false,
  device: DEFAULTS.device,
  seed: String(DEFAULTS.seed),
  normTokens: String(DEFAULTS.normTokens),
  out: '',
};

/** The demo pair at layer 2: about half a minute on two CPU cores (the acceptance test's settings, fewer tokens). */
export const CROSSCODER_DEMO_PRESET: Partial<FormState> = { hookA: 'blocks.2.hook_resid_post', hookB: '', k: '32', dSae: '128', tokens: '300000', batchSize: '1024', lr: '0.005', evalTokens: '8192', loopDataset: true };

function toParams(f: FormState): TrainCrosscoderParamsInput {
  const num = (s: string) => (s.trim() === '' ? undefined : Number(s));
  return {
    modelA: f.modelA,
    modelB: f.modelB,
    hookA: f.hookA,
    ...(f.hookB && f.hookB !== f.hookA ? { hookB: f.hookB } : {}),
    dataset: f.dataset,
    k: num(f.k),
    ...(num(f.dSae) !== undefined ? { dSae: num(f.dSae) } : {}),
    tokens: num(f.tokens),
    batchSize: num(f.batchSize),
    lr: num(f.lr),
    evalTokens: num(f.evalTokens),
    lrSweep: f.lrSweep,
    loopDataset: f.loopDataset,
    device: f.device,
    seed: num(f.seed),
    normTokens: num(f.normTokens),
    ...(f.out.trim() ? { out: f.out.trim() } : {}),
  };
}

export function crosscoderRunLabel(r: CrosscoderRunView): string {
  const name = (p: string) => p.split(/[/\\]/).filter(Boolean).pop() ?? p;
  return `${name(r.params.modelA)} ↔ ${name(r.params.modelB)} · d_sae ${r.params.dSae ?? `${r.params.expansionFactor}x`} · k ${r.params.k} · ${r.job.id.slice(-8)}`;
}

function CrosscoderForm({ sources, onStarted, onError }: { sources: TrainSources | null; onStarted: (job: JobView) => void; onError: (e: unknown) => void }) {
  const client = useClient();
  const [f, setF] = useState<FormState>(initial);
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<{ message: string; hint?: string } | null>(null);
  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => setF((s) => ({ ...s, [key]: value }));
  const modelA = sources?.models.find((m) => m.path === f.modelA) ?? null;
  const modelB = sources?.models.find((m) => m.path === f.modelB) ?? null;
  const check = useMemo(() => TrainCrosscoderParamsSchema.safeParse(toParams(f)), [f]);
  const problem = !check.success ? `${check.error.issues[0]?.path.join('.') || 'params'}: ${check.error.issues[0]?.message}` : modelA && modelB && modelA.dModel !== modelB.dModel ? `model A is ${modelA.dModel} wide, model B ${modelB.dModel}: a crosscoder needs the same width` : null;
  const preset = () => sources?.demo && setF((s) => ({ ...s, ...CROSSCODER_DEMO_PRESET, modelA: sources.demo!.standard, modelB: sources.demo!.adhd, dataset: sources.demo!.dataset }));
  const submit = async () => {
    if (!check.success) return;
    setBusy(true);
    setRefusal(null);
    try {
      onStarted(await client.call('jobs.add', { kind: TRAIN_CROSSCODER_KIND, params: toParams(f) }));
    } catch (e) {
      // Refusals that name what to fix (tokenizers, widths, hooks, output) stay beside the form.
      if (e instanceof ApiCallError) setRefusal({ message: e.message, hint: e.hint });
      else onError(e);
    } finally {
      setBusy(false);
    }
  };
  const text = (key: keyof FormState, label: string, help: string, placeholder?: string) => (
    <label className="train-field">
      <span className="train-label">{label}</span>
      <input aria-label={label} value={f[key] as string} placeholder={placeholder} onChange={(e) => set(key, e.target.value as never)} />
      <span className="muted small">{help}</span>
    </label>
  );
  const model = (key: 'modelA' | 'modelB', label: string) => (
    <label className="train-field">
      <span className="train-label">{label}</span>
      <select aria-label={label} value={f[key]} onChange={(e) => set(key, e.target.value)}>
        <option value="">Choose a model…</option>
        {sources?.models.map((m) => (
          <option key={m.path} value={m.path}>
            {m.label} (d_model {m.dModel})
          </option>
        ))}
      </select>
      <span className="muted small">{why(key)}</span>
    </label>
  );
  const hook = (key: 'hookA' | 'hookB', label: string, hooks: string[], help: string) => (
    <label className="train-field">
      <span className="train-label">{label}</span>
      <select aria-label={label} value={f[key]} onChange={(e) => set(key, e.target.value)}>
        <option value="">{key === 'hookB' ? 'Same as model A' : 'Choose a hook…'}</option>
        {hooks.map((h) => (
          <option key={h} value={h}>
            {h}
          </option>
        ))}
      </select>
      <span className="muted small">{help}</span>
    </label>
  );
  const check1 = (key: 'lrSweep' | 'loopDataset', label: string) => (
    <label className="train-field train-check">
      <span>
        <input type="checkbox" aria-label={label} checked={f[key]} onChange={(e) => set(key, e.target.checked)} /> {label}
      </span>
      <span className="muted small">{why(key)}</span>
    </label>
  );
  return (
    <div className="train-form" aria-label="New crosscoder">
      {sources?.demo && (
        <div className="train-presets small">
          Preset: <button onClick={preset}>Demo pair · layer 2</button>
          <span className="muted">standard as A, adhd as B at blocks.2.hook_resid_post (where adhd adds its planted direction at every "Step"); k 32, d_sae 128, 300k tokens, lr 5e-3.</span>
        </div>
      )}
      <div className="train-grid">
        {model('modelA', 'Model A')}
        {model('modelB', 'Model B')}
        {hook('hookA', 'Hook A', modelA?.hooks ?? [], why('hookA'))}
        {hook('hookB', 'Hook B', modelB?.hooks ?? [], why('hookB'))}
        <div className="train-field">
          <span className="train-label">Dataset</span>
          <DatasetPicker label="Crosscoder dataset" value={f.dataset} options={sources?.datasets ?? []} onChange={(d) => set('dataset', d)} />
          <span className="muted small">{why('dataset')}</span>
        </div>
        {text('k', 'k (crosscoder)', why('k'))}
        {text('dSae', 'd_sae (crosscoder)', why('dSae'), modelA ? `${DEFAULTS.expansionFactor * modelA.dModel} (${DEFAULTS.expansionFactor} x d_in)` : `${DEFAULTS.expansionFactor} x d_in`)}
        {text('tokens', 'Training tokens (crosscoder)', why('tokens'))}
        {text('batchSize', 'Batch size (crosscoder)', why('batchSize'))}
        {text('lr', 'Learning rate (crosscoder)', why('lr'))}
        {text('evalTokens', 'Held-out tokens (crosscoder)', why('evalTokens'))}
        {check1('lrSweep', 'lr sweep (crosscoder)')}
        {check1('loopDataset', 'Loop over the dataset (crosscoder)')}
        <label className="train-field">
          <span className="train-label">Device</span>
          <select aria-label="Crosscoder device" value={f.device} onChange={(e) => set('device', e.target.value as FormState['device'])}>
            {ENGINE_DEVICES.map((d) => (
              <option key={d} value={d}>
                {d === 'auto' ? 'auto (GPU if available)' : d.toUpperCase()}
              </option>
            ))}
          </select>
          <span className="muted small">{why('device')}</span>
        </label>
      </div>
      <details className="train-advanced">
        <summary>Advanced</summary>
        <div className="train-grid">
          {text('seed', 'Seed (crosscoder)', why('seed'))}
          {text('normTokens', 'Input-scale tokens', why('normTokens'))}
          {text('out', 'Output folder (crosscoder)', why('out'), 'runs/<job-id>/crosscoder')}
        </div>
      </details>
      {refusal && (
        <div className="error-banner" role="alert" aria-label="Crosscoder refused">
          <div>
            <strong>{refusal.message}</strong>
            {refusal.hint && <div className="hint">{refusal.hint}</div>}
          </div>
        </div>
      )}
      <div className="train-submit">
        <button className="primary" disabled={!check.success || problem !== null || busy} onClick={() => void submit()}>
          Train crosscoder
        </button>
        {problem && f.modelA && <span className="muted small">{problem}</span>}
      </div>
    </div>
  );
}

function CrosscoderRunDetail({ run }: { run: CrosscoderRunView }) {
  const r = run.result;
  const fmt = (v: number, d = 4) => v.toFixed(d);
  return (
    <section className="panel run-detail" aria-label="Crosscoder run">
      <h2>{crosscoderRunLabel(run)}</h2>
      <div className="muted small">
        A: {run.params.modelA} @ {run.params.hookA} · B: {run.params.modelB} @ {run.params.hookB ?? run.params.hookA}
      </div>
      {r && (
        <>
          <table className="gates-table cc-figures" aria-label="Crosscoder held-out figures">
            <tbody>
              <tr><th>FVE model A (held out)</th><td className="num">{fmt(r.fve_a)}</td><th>FVE model B (held out)</th><td className="num">{fmt(r.fve_b)}</td></tr>
              <tr><th>L0</th><td className="num">{fmt(r.l0, 2)}</td><th>Dead %</th><td className="num">{fmt(r.dead_pct, 2)}</td></tr>
              <tr><th>Live latents A-only / shared / B-only</th><td className="num" colSpan={3}>{r.n_a_only} / {r.n_shared} / {r.n_b_only}</td></tr>
              <tr><th>Input scales s_A, s_B</th><td className="num" colSpan={3}>{r.normScales[0].toPrecision(5)}, {r.normScales[1].toPrecision(5)}</td></tr>
              <tr><th>Throughput</th><td className="num" colSpan={3}>{Math.round(r.tokensPerSecond).toLocaleString('en-US')} tok/s whole job · {Math.round(r.stepTokensPerSecond).toLocaleString('en-US')} tok/s train step alone</td></tr>
            </tbody>
          </table>
          <p className="small">
            Saved to <code>{r.out}</code> ·{' '}
            <a className="button" href={routeHref('compare', { tab: 'crosscoder', crosscoder: r.out })}>
              Analyse on Compare
            </a>
          </p>
        </>
      )}
      {run.job.state === 'failed' && <div className="error-text small">{run.job.error?.message}</div>}
      <RunCharts runs={[{ jobId: run.job.id, label: crosscoderRunLabel(run) }]} />
    </section>
  );
}

/** The Training page's crosscoder section. */
export function CrosscoderTraining({ sources, onError }: { sources: TrainSources | null; onError: (e: unknown) => void }) {
  const client = useClient();
  const [params, setParams] = usePageParams('training');
  const [runs, setRuns] = useState<CrosscoderRunView[]>([]);
  const [open, setOpen] = useState(params.get('crosscoder') === '1');
  const reload = useCallback(() => client.call('crosscoder.runs', {}).then(setRuns, onError), [client, onError]);
  useEffect(() => void reload(), [reload]);
  useEvent('job.updated', (job) => job.kind === TRAIN_CROSSCODER_KIND && void reload(), [reload]);
  const selected = runs.find((r) => r.job.id === params.get('ccRun')) ?? null;
  return (
    <>
      <details className="panel" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
        <summary>New crosscoder (two models, one dictionary)</summary>
        <CrosscoderForm
          sources={sources}
          onError={onError}
          onStarted={(job) => {
            setOpen(false);
            void reload();
            setParams({ ccRun: job.id, crosscoder: null }, { push: true });
          }}
        />
      </details>
      {runs.length > 0 && (
        <table className="runs-table" aria-label="Crosscoder runs">
          <thead>
            <tr>
              <th>Crosscoder</th>
              <th>State</th>
              <th style={{ width: '20%' }}>Progress</th>
              <th>FVE A / B</th>
              <th>L0</th>
              <th>B-only</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.job.id} data-job-id={r.job.id} data-state={r.job.state} className={r.job.id === selected?.job.id ? 'selected' : ''} onClick={() => setParams({ ccRun: r.job.id }, { push: true })}>
                <td>
                  <div className="job-title">{crosscoderRunLabel(r)}</div>
                  <div className="muted small">{r.params.hookA}{r.params.hookB ? ` / ${r.params.hookB}` : ''}</div>
                </td>
                <td>
                  <span className={`state state-${r.job.state}`}>{r.job.state}</span>
                </td>
                <td>
                  <ProgressBar value={r.job.state === 'completed' ? 1 : r.job.progress} label={`Progress of ${crosscoderRunLabel(r)}`} />
                  <div className="muted small">{r.job.state === 'completed' ? 'done' : (r.job.progressMessage ?? '')}</div>
                </td>
                <td className="num">{r.result ? `${r.result.fve_a.toFixed(3)} / ${r.result.fve_b.toFixed(3)}` : '–'}</td>
                <td className="num">{r.result ? r.result.l0.toFixed(1) : '–'}</td>
                <td className="num">{r.result ? r.result.n_b_only : '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selected && <CrosscoderRunDetail run={selected} />}
    </>
  );
}
