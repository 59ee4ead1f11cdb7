/**
 * The "New training run" form: every field of the train.sae schema with its default and the
 * schema's one-line why under it; model, hooks and dataset from the demo bundle and the Library
 * (a dataset may also be a typed path). Presets fill in the demo's layer-2 runs.
 */
import { useMemo, useState } from 'react';
import { DECODER_BIAS_INITS, defaultLr, ENGINE_DEVICES, NORMALIZE_ACTIVATIONS, QualityGatesSchema, TRAIN_SAE_KIND, TrainSaeParamsSchema, type JobView, type TrainSaeParamsInput, type TrainSources } from '../../../../preload/api';
import { ApiCallError } from '../../client/client';
import { useClient } from '../../client/context';
import { DatasetPicker } from '../DatasetPicker';
import { RunOnPicker } from '../jobs/RunOnPicker';

type Shape = typeof TrainSaeParamsSchema.shape;
type FieldName = keyof Shape;

/** The schema's defaults (what a run gets for fields left alone). */
const DEFAULTS = TrainSaeParamsSchema.parse({ model: '.', hooks: ['.'], dataset: '.' });

function describe(name: FieldName): string {
  return TrainSaeParamsSchema.shape[name].description ?? '';
}

interface FormState {
  model: string;
  hooks: string[];
  dataset: string;
  architecture: 'topk' | 'batchtopk';
  k: string;
  dSae: string;
  tokens: string;
  batchSize: string;
  lr: string;
  normalizeActivations: (typeof NORMALIZE_ACTIVATIONS)[number];
  bDecInit: (typeof DECODER_BIAS_INITS)[number];
  lrSweep: boolean;
  loopDataset: boolean;
  evalTokens: string;
  device: (typeof ENGINE_DEVICES)[number];
  seed: string;
  lrWarmupSteps: string;
  lrDecaySteps: string;
  lrEnd: string;
  auxCoefficient: string;
  deadWindowTokens: string;
  contextSize: string;
  bufferBatches: string;
  checkpointEverySteps: string;
  minFve: string;
  maxDeadPct: string;
  maxDuplicatePct: string;
  duplicateGate: 'warn' | 'fail' | 'off';
  cacheActivations: boolean;
  out: string;
  overwrite: boolean;
}

const initial: FormState = {
  model: '',
  hooks: [],
  dataset: '',
  architecture: DEFAULTS.architecture,
  k: String(DEFAULTS.k),
  dSae: '',
  tokens: String(DEFAULTS.tokens),
  batchSize: String(DEFAULTS.batchSize),
  // Empty: the default for the shape (defaultLr), shown as the placeholder.
  lr: '',
  normalizeActivations: DEFAULTS.normalizeActivations,
  bDecInit: DEFAULTS.bDecInit,
  lrSweep: DEFAULTS.lrSweep,
  loopDataset: DEFAULTS.loopDataset,
  evalTokens: String(DEFAULTS.evalTokens),
  device: DEFAULTS.device,
  seed: String(DEFAULTS.seed),
  lrWarmupSteps: String(DEFAULTS.lrWarmupSteps),
  lrDecaySteps: String(DEFAULTS.lrDecaySteps),
  lrEnd: String(DEFAULTS.lrEnd),
  auxCoefficient: String(DEFAULTS.auxCoefficient),
  deadWindowTokens: '',
  contextSize: '',
  bufferBatches: String(DEFAULTS.bufferBatches),
  checkpointEverySteps: String(DEFAULTS.checkpointEverySteps),
  minFve: String(DEFAULTS.gates.minFve),
  maxDeadPct: String(DEFAULTS.gates.maxDeadPct),
  maxDuplicatePct: String(DEFAULTS.gates.maxDuplicatePct),
  duplicateGate: DEFAULTS.gates.duplicateGate,
  cacheActivations: DEFAULTS.cacheActivations,
  out: '',
  overwrite: DEFAULTS.overwrite,
};

/** The demo's layer-2 runs: small enough for well under a minute on a laptop CPU. */
export const DEMO_PRESET: Partial<FormState> = { k: '16', dSae: '32', tokens: '150000', batchSize: '1024', lr: '0.003', evalTokens: '8192', loopDataset: true };

function toParams(f: FormState): TrainSaeParamsInput {
  const num = (s: string) => (s.trim() === '' ? undefined : Number(s));
  return {
    model: f.model,
    hooks: f.hooks,
    dataset: f.dataset,
    architecture: f.architecture,
    k: num(f.k),
    ...(num(f.dSae) !== undefined ? { dSae: num(f.dSae) } : {}),
    tokens: num(f.tokens),
    batchSize: num(f.batchSize),
    ...(num(f.lr) !== undefined ? { lr: num(f.lr) } : {}),
    normalizeActivations: f.normalizeActivations,
    bDecInit: f.bDecInit,
    lrSweep: f.lrSweep,
    loopDataset: f.loopDataset,
    evalTokens: num(f.evalTokens),
    device: f.device,
    seed: num(f.seed),
    lrWarmupSteps: num(f.lrWarmupSteps),
    lrDecaySteps: num(f.lrDecaySteps),
    lrEnd: num(f.lrEnd),
    auxCoefficient: num(f.auxCoefficient),
    ...(num(f.deadWindowTokens) !== undefined ? { deadWindowTokens: num(f.deadWindowTokens) } : {}),
    ...(num(f.contextSize) !== undefined ? { contextSize: num(f.contextSize) } : {}),
    bufferBatches: num(f.bufferBatches),
    checkpointEverySteps: num(f.checkpointEverySteps),
    gates: { minFve: Number(f.minFve), maxDeadPct: Number(f.maxDeadPct), maxDuplicatePct: Number(f.maxDuplicatePct), duplicateGate: f.duplicateGate },
    cacheActivations: f.cacheActivations,
    ...(f.out.trim() ? { out: f.out.trim(), overwrite: f.overwrite } : {}),
  };
}

export function TrainForm({ sources, onStarted, onError }: { sources: TrainSources | null; onStarted: (job: JobView) => void; onError: (e: unknown) => void }) {
  const client = useClient();
  const [f, setF] = useState<FormState>(initial);
  const [busy, setBusy] = useState(false);
  const [target, setTarget] = useState('');
  // A refused output folder is shown under the form's fields (message and what to do) until it changes.
  const [outputRefusal, setOutputRefusal] = useState<{ message: string; hint?: string } | null>(null);
  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => {
    if (key === 'out' || key === 'overwrite') setOutputRefusal(null);
    setF((s) => ({ ...s, [key]: value }));
  };
  const model = sources?.models.find((m) => m.path === f.model) ?? null;
  const check = useMemo(() => TrainSaeParamsSchema.safeParse(toParams(f)), [f]);
  const problem = !check.success ? `${check.error.issues[0]?.path.join('.') || 'params'}: ${check.error.issues[0]?.message}` : null;
  const dIn = model?.dModel ?? null;
  const dSaeShown = f.dSae.trim() ? Number(f.dSae) : dIn ? DEFAULTS.expansionFactor * dIn : null;
  const kShown = Number(f.k);
  const lrShown = dIn && dSaeShown && Number.isFinite(kShown) && kShown > 0 ? defaultLr({ dIn, dSae: dSaeShown, k: kShown }) : null;

  const preset = (which: 'adhd' | 'standard') => {
    if (!sources?.demo) return;
    setF((s) => ({ ...s, ...DEMO_PRESET, model: sources.demo![which], hooks: sources.demo!.hooks, dataset: sources.demo!.dataset }));
  };
  const submit = async () => {
    if (!check.success) return;
    setBusy(true);
    setOutputRefusal(null);
    try {
      onStarted(await client.call('jobs.add', { kind: TRAIN_SAE_KIND, params: toParams(f), ...(target ? { target } : {}) }));
    } catch (e) {
      if (e instanceof ApiCallError && e.code.startsWith('OUTPUT_')) setOutputRefusal({ message: e.message, hint: e.hint });
      else onError(e);
    } finally {
      setBusy(false);
    }
  };

  const text = (key: keyof FormState, label: string, why: string, placeholder?: string) => (
    <label className="train-field">
      <span className="train-label">{label}</span>
      <input aria-label={label} value={f[key] as string} placeholder={placeholder} onChange={(e) => set(key, e.target.value as never)} />
      <span className="muted small">{why}</span>
    </label>
  );
  const check1 = (key: 'lrSweep' | 'loopDataset' | 'cacheActivations' | 'overwrite', label: string, field: FieldName) => (
    <label className="train-field train-check">
      <span>
        <input type="checkbox" aria-label={label} checked={f[key]} onChange={(e) => set(key, e.target.checked)} /> {label}
      </span>
      <span className="muted small">{describe(field)}</span>
    </label>
  );

  return (
    <div className="train-form" aria-label="New training run">
      {sources?.demo && (
        <div className="train-presets small">
          Presets:{' '}
          <button onClick={() => preset('adhd')}>Demo adhd · layer 2</button>
          <button onClick={() => preset('standard')}>Demo standard · layer 2</button>
          <span className="muted">
            Both layer-2 hooks from one model pass (resid_post, where the planted direction arrives together with the Step token's own embedding, and mlp_out, where the planted neuron writes it alone); k 16, d_sae 32, 150k tokens (looping the
            100k-token demo set), lr 3e-3. k is half of d_sae, so most latents fire on more than 10 % of tokens (dense by design), and mlp_out&apos;s few directions leave about 13 of its 32 latents as near-copies: the duplicate gate warns about them.
          </span>
        </div>
      )}
      <div className="train-grid">
        <label className="train-field">
          <span className="train-label">Model</span>
          <select aria-label="Model" value={f.model} onChange={(e) => setF((s) => ({ ...s, model: e.target.value, hooks: [] }))}>
            <option value="">Choose a model…</option>
            {sources?.models.map((m) => (
              <option key={m.path} value={m.path}>
                {m.label} (d_model {m.dModel})
              </option>
            ))}
          </select>
          <span className="muted small">{describe('model')}</span>
        </label>
        <label className="train-field">
          <span className="train-label">Hooks</span>
          <select aria-label="Hooks" multiple size={6} value={f.hooks} onChange={(e) => set('hooks', Array.from(e.target.selectedOptions, (o) => o.value))}>
            {(model?.hooks ?? []).map((h) => (
              <option key={h} value={h}>
                {h}
              </option>
            ))}
          </select>
          <span className="small">{f.hooks.length ? `Selected: ${f.hooks.join(', ')}` : 'None selected'}</span>
          <span className="muted small">{describe('hooks')} Ctrl/Cmd-click for several.</span>
        </label>
        <div className="train-field">
          <span className="train-label">Dataset</span>
          <DatasetPicker label="Dataset" value={f.dataset} options={sources?.datasets ?? []} onChange={(d) => set('dataset', d)} />
          <span className="muted small">{describe('dataset')}</span>
        </div>
        <label className="train-field">
          <span className="train-label">Architecture</span>
          <select aria-label="Architecture" value={f.architecture} onChange={(e) => set('architecture', e.target.value as FormState['architecture'])}>
            <option value="topk">TopK</option>
            <option value="batchtopk">BatchTopK (saved as JumpReLU)</option>
          </select>
          <span className="muted small">{describe('architecture')}</span>
        </label>
        {text('k', 'k', describe('k'))}
        {text('dSae', 'd_sae', describe('dSae'), dSaeShown ? `${dSaeShown} (${DEFAULTS.expansionFactor} x d_in)` : `${DEFAULTS.expansionFactor} x d_in`)}
        {text('tokens', 'Training tokens', describe('tokens'))}
        {text('batchSize', 'Batch size (tokens)', describe('batchSize'))}
        {text('lr', 'Learning rate', describe('lr'), lrShown !== null ? `${lrShown} (default for this shape)` : 'default for the shape')}
        <label className="train-field">
          <span className="train-label">Input normalisation</span>
          <select aria-label="Input normalisation" value={f.normalizeActivations} onChange={(e) => set('normalizeActivations', e.target.value as FormState['normalizeActivations'])}>
            <option value="expected_average_only_in" title="E‖x‖ = √d_in">expected_average_only_in</option>
            <option value="none" title="raw activations">none</option>
          </select>
          <span className="muted small">{describe('normalizeActivations')}</span>
        </label>
        {text('evalTokens', 'Held-out tokens', describe('evalTokens'))}
        {check1('lrSweep', 'lr sweep', 'lrSweep')}
        {check1('loopDataset', 'Loop over the dataset', 'loopDataset')}
        <label className="train-field">
          <span className="train-label">Device</span>
          <select aria-label="Device" value={f.device} onChange={(e) => set('device', e.target.value as FormState['device'])}>
            {ENGINE_DEVICES.map((d) => (
              <option key={d} value={d}>
                {d === 'auto' ? 'auto (GPU if available)' : d.toUpperCase()}
              </option>
            ))}
          </select>
          <span className="muted small">{describe('device')}</span>
        </label>
        <RunOnPicker className="train-field" value={target} onChange={setTarget} />
        {text('minFve', 'Gate: minimum FVE', QualityGatesSchema.shape.minFve.description ?? '')}
        {text('maxDeadPct', 'Gate: maximum dead %', QualityGatesSchema.shape.maxDeadPct.description ?? '')}
        {text('maxDuplicatePct', 'Gate: maximum duplicates %', QualityGatesSchema.shape.maxDuplicatePct.description ?? '')}
        <label className="train-field">
          <span className="train-label">Duplicate gate</span>
          <select aria-label="Duplicate gate" value={f.duplicateGate} onChange={(e) => set('duplicateGate', e.target.value as FormState['duplicateGate'])}>
            <option value="warn">warn</option>
            <option value="fail">fail</option>
            <option value="off">off</option>
          </select>
          <span className="muted small">{QualityGatesSchema.shape.duplicateGate.description}</span>
        </label>
      </div>
      <details className="train-advanced">
        <summary>Advanced</summary>
        <div className="train-grid">
          {text('seed', 'Seed', describe('seed'))}
          {text('lrWarmupSteps', 'Warm-up steps', describe('lrWarmupSteps'))}
          {text('lrDecaySteps', 'Decay steps', describe('lrDecaySteps'))}
          {text('lrEnd', 'lr at the end of decay', describe('lrEnd'))}
          {text('auxCoefficient', 'AuxK coefficient', describe('auxCoefficient'))}
          <label className="train-field">
            <span className="train-label">Initial b_dec</span>
            <select aria-label="Initial b_dec" value={f.bDecInit} onChange={(e) => set('bDecInit', e.target.value as FormState['bDecInit'])}>
              {DECODER_BIAS_INITS.map((b) => (
                <option key={b} value={b}>
                  {b.replace('_', ' ')}
                </option>
              ))}
            </select>
            <span className="muted small">{describe('bDecInit')}</span>
          </label>
          {text('deadWindowTokens', 'Dead window (tokens)', describe('deadWindowTokens'), 'auto')}
          {text('contextSize', 'Context size', describe('contextSize'), model ? String(Math.min(128, model.nCtx)) : '128')}
          {text('bufferBatches', 'Shuffle buffer (batches)', describe('bufferBatches'))}
          {text('checkpointEverySteps', 'Checkpoint every (steps)', describe('checkpointEverySteps'))}
          {check1('cacheActivations', 'Cache activations on disk', 'cacheActivations')}
          {text('out', 'Output folder', describe('out'), 'runs/<job-id>/saes')}
          {f.out.trim() !== '' && check1('overwrite', 'Overwrite existing files', 'overwrite')}
        </div>
      </details>
      {outputRefusal && (
        <div className="error-banner" role="alert" aria-label="Output folder refused">
          <div>
            <strong>{outputRefusal.message}</strong>
            {outputRefusal.hint && <div className="hint">{outputRefusal.hint}</div>}
          </div>
        </div>
      )}
      <div className="train-submit">
        <button className="primary" disabled={!check.success || busy} onClick={() => void submit()}>
          Start training
        </button>
        {problem && f.model && <span className="muted small">{problem}</span>}
      </div>
    </div>
  );
}
