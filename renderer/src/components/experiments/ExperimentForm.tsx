/**
 * Starting an experiment: one form per kind (ablate, steer, swap, probe) that builds the job
 * kind's parameters. It opens pre-filled from the page's URL, so other pages link straight to it:
 * #/experiments?new=ablate&model=<dir>&sae=<dir>&features=<f,f>&dataset=<path>&condition=<spec>
 * (new=steer likewise; also metric, saeModel, modelB).
 */
import { useEffect, useMemo, useState } from 'react';
import { ENGINE_DEVICES, EXPERIMENT_JOB_KINDS, type EngineDeviceChoice, type ExperimentKind, type ExperimentSources, type JobView } from '../../../../preload/api';
import { useClient } from '../../client/context';
import { DemoBundleOffer } from '../demo/DemoBundleOffer';
import { ErrorBanner } from '../ErrorBanner';

export interface ExperimentPrefill {
  kind: ExperimentKind;
  model?: string;
  sae?: string;
  saeModel?: string;
  modelB?: string;
  features?: string;
  dataset?: string;
  condition?: string;
  metric?: string;
  /** A crosscoder in `sae`: which decoder gives the direction. */
  decoder?: string;
}

interface PanelDraft {
  model: string;
  sae: string;
  saeModel: string;
  feature: string;
  intervention: 'add' | 'replace' | 'ablate';
  strengths: string;
  /** '' for an SAE; 'a' or 'b' for a crosscoder latent (which decoder). */
  decoder?: '' | 'a' | 'b';
}

interface ProbeDraft {
  model: string;
  source: 'hook' | 'sae';
  hook: string;
  sae: string;
}

const KINDS: { kind: ExperimentKind; label: string; what: string }[] = [
  { kind: 'ablate', label: 'Ablate', what: 'Zero- or mean-ablate features by SAE splice; compare with density-matched random features over seeds.' },
  { kind: 'steer', label: 'Steer', what: "Add c · W_dec[f] (or replace the component along it, or ablate the latent) in up to four panels, each with its own null; text with and without." },
  { kind: 'swap', label: 'Swap', what: "Continue model A from a hook with model B's later layers, or splice B's SAE latents into A." },
  { kind: 'probe', label: 'Probe', what: 'Logistic-regression probes for a token condition on hook activations or SAE latents, split by document.' },
];

const list = (text: string, integer: boolean): number[] | null => {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) return null;
  const nums = items.map(Number);
  return nums.every((n) => Number.isFinite(n) && (!integer || Number.isInteger(n))) ? nums : null;
};

/**
 * `label` is what shows; `name` (default: the label) is the accessible name, e.g. "Panel 2 model".
 * The chosen option's full text is the select's title, so a label cut by a narrow column can still
 * be read by hovering.
 */
function Select({ label, name, value, onChange, options, placeholder, wide, half, span2 }: { label: string; name?: string; value: string; onChange: (v: string) => void; options: { value: string; label: string }[]; placeholder?: string; wide?: boolean; half?: boolean; span2?: boolean }) {
  // A prefilled path that the sources do not list is still offered (e.g. a folder outside the Library).
  const all = value && !options.some((o) => o.value === value) ? [{ value, label: value }, ...options] : options;
  const chosen = all.find((o) => o.value === value);
  return (
    <label className={wide ? 'wide' : half ? 'half' : span2 ? 'span2' : undefined}>
      {label}
      <select aria-label={name ?? label} value={value} title={chosen ? `${chosen.label}${chosen.value !== chosen.label ? `\n${chosen.value}` : ''}` : undefined} onChange={(e) => onChange(e.target.value)}>
        {placeholder !== undefined && <option value="">{placeholder}</option>}
        {all.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

function Text({ label, name, value, onChange, placeholder, wide, list: listId, type = 'text', required }: { label: string; name?: string; value: string; onChange: (v: string) => void; placeholder?: string; wide?: boolean; list?: string; type?: string; required?: boolean }) {
  return (
    <label className={wide ? 'wide' : undefined}>
      {label}
      {required ? ' (required)' : ''}
      <input aria-label={name ?? label} type={type} value={value} placeholder={placeholder} list={listId} required={required} aria-required={required || undefined} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}

type SaeSource = ExperimentSources['saes'][number];

/** The SAE a row keeps when its model changes: the current one if it belongs to the new model (or to no known model), else the new model's first. */
export function saeForModel(saes: readonly SaeSource[], model: string, current: string): string {
  const now = saes.find((x) => x.path === current);
  if (current && (!now || now.modelPath === null || now.modelPath === model)) return current;
  return saes.find((x) => x.modelPath === model)?.path ?? '';
}

/** The hook a hook-reading row or a layer swap uses when none is typed: its SAE's hook, else the model's first SAE's. */
export function defaultHook(saes: readonly SaeSource[], model: string, sae: string): string | null {
  return saes.find((x) => x.path === sae)?.hookName ?? saes.find((x) => x.modelPath === model && x.hookName)?.hookName ?? null;
}

export function ExperimentForm({ prefill, onQueued }: { prefill: ExperimentPrefill | null; onQueued: (job: JobView) => void }) {
  const client = useClient();
  const [sources, setSources] = useState<ExperimentSources | null>(null);
  const [kind, setKind] = useState<ExperimentKind>(prefill?.kind ?? 'ablate');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // Shared fields.
  const [dataset, setDataset] = useState(prefill?.dataset ?? '');
  const [maxDocuments, setMaxDocuments] = useState('200');
  const [device, setDevice] = useState<EngineDeviceChoice>('auto');
  const [metric, setMetric] = useState(prefill?.metric ?? 'ce');
  const [condition, setCondition] = useState(prefill?.condition ?? '');
  const [seeds, setSeeds] = useState('5');
  const [draws, setDraws] = useState('4');
  const [nullSeed, setNullSeed] = useState('0');
  const [margin, setMargin] = useState('');
  // Ablate.
  const [model, setModel] = useState(prefill?.model ?? '');
  const [sae, setSae] = useState(prefill?.sae ?? '');
  const [features, setFeatures] = useState(prefill?.features ?? '');
  const [mode, setMode] = useState<'zero' | 'mean'>('zero');
  // Steer.
  const firstFeature = prefill?.features?.split(',')[0]?.trim() ?? '';
  const [panels, setPanels] = useState<PanelDraft[]>([{ model: prefill?.model ?? '', sae: prefill?.sae ?? '', saeModel: prefill?.saeModel ?? '', feature: firstFeature, intervention: 'add', strengths: '', decoder: prefill?.decoder === 'a' || prefill?.decoder === 'b' ? prefill.decoder : '' }]);
  const [otherModel, setOtherModel] = useState(prefill?.modelB ?? '');
  const [steerAt, setSteerAt] = useState<'all' | 'condition'>(prefill?.condition ? 'condition' : 'all');
  const [prompt, setPrompt] = useState('');
  const [maxNewTokens, setMaxNewTokens] = useState('24');
  const [temperature, setTemperature] = useState('0.8');
  const [sampleSeed, setSampleSeed] = useState('0');
  // Swap: A is the baseline (the demo's standard), B supplies what is swapped in (adhd, with its SAE).
  const swapPrefill = prefill?.kind === 'swap' ? prefill : null;
  const [modelA, setModelA] = useState(swapPrefill?.model ?? '');
  const [modelB, setModelB] = useState(swapPrefill?.modelB ?? '');
  const [swapSae, setSwapSae] = useState(swapPrefill?.sae ?? '');
  const [swapMode, setSwapMode] = useState<'layers' | 'latents'>('latents');
  const [hook, setHook] = useState('');
  // Probe.
  const [probes, setProbes] = useState<ProbeDraft[]>(prefill?.model ? [{ model: prefill.model, source: prefill.sae ? 'sae' : 'hook', hook: '', sae: prefill.sae ?? '' }] : []);
  const [testFraction, setTestFraction] = useState('0.2');
  const [splitSeed, setSplitSeed] = useState('0');
  const [l2, setL2] = useState('0.001');
  const [saved, setSaved] = useState<{ name: string; spec: string }[]>([]);

  useEffect(() => {
    // Saved conditions (the Compare page's) are offered as named:<name>.
    client.call('compare.conditions', {}).then(setSaved, () => setSaved([]));
    client.call('experiments.sources', {}).then((s) => {
      setSources(s);
      setDataset((d) => d || s.demo?.dataset || s.datasets[0]?.path || '');
      if (!s.demo) return;
      // Without a prefill, start from the demo's planted feature, ready to run.
      setModel((m) => m || s.demo!.adhd);
      setSae((x) => x || s.demo!.adhdSae);
      setFeatures((f) => f || String(s.demo!.plantedFeature));
      setModelA((m) => m || s.demo!.standard);
      setModelB((m) => m || s.demo!.adhd);
      setSwapSae((x) => x || s.demo!.adhdSae);
      setOtherModel((m) => m || s.demo!.standard);
      setPanels((p) => (p.length === 1 && !p[0].model ? [{ ...p[0], model: s.demo!.standard, sae: s.demo!.adhdSae, saeModel: s.demo!.adhd, feature: String(s.demo!.plantedFeature) }] : p));
      setProbes((p) => (p.length ? p : [{ model: s.demo!.adhd, source: 'sae', hook: '', sae: s.demo!.adhdSae }]));
    }, setError);
  }, [client]);

  const modelOptions = useMemo(() => (sources?.models ?? []).map((m) => ({ value: m.path, label: m.label })), [sources]);
  const saeOptions = (forModel: string) => {
    const all = sources?.saes ?? [];
    // This model's SAEs first, then SAEs with no known model, then others (carried directions).
    const ordered = [...all.filter((s) => s.modelPath === forModel), ...all.filter((s) => s.modelPath === null), ...all.filter((s) => s.modelPath !== null && s.modelPath !== forModel)];
    return ordered.map((s) => ({ value: s.path, label: s.label }));
  };
  const datasetOptions = (sources?.datasets ?? []).map((d) => ({ value: d.path, label: d.label }));
  const demo = sources?.demo;
  const metricSuggestions = ['ce', ...(demo ? [`logit:${demo.targetToken}`, `prob:${demo.targetToken}`, `logprob:${demo.targetToken}`] : [])];
  const conditionSuggestions = [...(demo ? [`token-regex:^${demo.stepToken}$`] : []), ...saved.map((c) => `named:${c.name}`)];

  const num = (v: string) => (v.trim() === '' ? undefined : Number(v));
  const slice = () => ({ dataset, maxDocuments: num(maxDocuments), device });
  const nulls = () => ({ seeds: num(seeds), drawsPerSeed: num(draws), nullSeed: num(nullSeed), ...(margin.trim() ? { margin: num(margin) } : {}) });
  const saes = sources?.saes ?? [];
  const metricFields = () => ({ metric: metric.trim() || undefined, condition: condition.trim() || undefined });

  const build = (): { kind: string; params: unknown } | string => {
    if (!dataset) return 'Choose a dataset.';
    switch (kind) {
      case 'ablate': {
        const f = list(features, true);
        if (!model || !sae) return 'Choose a model and an SAE.';
        if (!f) return 'Features: one or more feature ids separated by commas.';
        return { kind: EXPERIMENT_JOB_KINDS.ablate, params: { ...slice(), ...nulls(), ...metricFields(), model, sae, features: f, mode } };
      }
      case 'steer': {
        const out = [];
        for (const [i, p] of panels.entries()) {
          if (!p.model || !p.sae || p.feature.trim() === '') return `Panel ${i + 1}: choose a model, an SAE and a feature.`;
          const strengths = p.strengths.trim() === '' ? undefined : list(p.strengths, false);
          if (strengths === null) return `Panel ${i + 1}: strengths are numbers separated by commas (or empty for the default).`;
          out.push({ model: p.model, sae: p.sae, ...(p.saeModel && p.saeModel !== p.model ? { saeModel: p.saeModel } : {}), feature: Number(p.feature), intervention: p.intervention, ...(p.decoder ? { decoder: p.decoder } : {}), ...(strengths ? { strengths } : {}) });
        }
        return {
          kind: EXPERIMENT_JOB_KINDS.steer,
          params: { ...slice(), ...nulls(), ...metricFields(), panels: out, steerAt, ...(prompt.trim() ? { prompt, maxNewTokens: num(maxNewTokens), temperature: num(temperature), sampleSeed: num(sampleSeed) } : {}) },
        };
      }
      case 'swap': {
        if (!modelA || !modelB) return 'Choose models A and B.';
        const f = features.trim() ? list(features, true) : undefined;
        if (f === null) return 'Features: feature ids separated by commas (or empty for all latents).';
        if (swapMode === 'latents' && !swapSae) return "A latent swap needs B's SAE.";
        const at = hook.trim() || (swapMode === 'layers' ? swapHookDefault : null);
        if (swapMode === 'layers' && !at) return 'A layer swap needs a hook, e.g. blocks.2.hook_resid_post.';
        return { kind: EXPERIMENT_JOB_KINDS.swap, params: { ...slice(), ...nulls(), ...metricFields(), modelA, modelB, mode: swapMode, ...(at ? { hook: at } : {}), ...(swapMode === 'latents' ? { sae: swapSae, ...(f ? { features: f } : {}) } : {}) } };
      }
      case 'probe': {
        if (!condition.trim()) return 'A probe needs a condition: the label it predicts.';
        if (probes.length === 0) return 'Add at least one probe.';
        const specs = [];
        for (const [i, p] of probes.entries()) {
          const at = p.hook.trim() || defaultHook(saes, p.model, p.sae);
          if (!p.model || (p.source === 'hook' ? !at : !p.sae)) return `Probe ${i + 1}: choose a model and ${p.source === 'hook' ? 'type a hook, e.g. blocks.2.hook_resid_post' : 'an SAE'}.`;
          specs.push({ model: p.model, source: p.source, ...(p.source === 'hook' ? { hook: at! } : { sae: p.sae }) });
        }
        return { kind: EXPERIMENT_JOB_KINDS.probe, params: { ...slice(), condition: condition.trim(), probes: specs, testFraction: num(testFraction), splitSeed: num(splitSeed), l2: num(l2) } };
      }
    }
  };

  const submit = async () => {
    const built = build();
    if (typeof built === 'string') {
      setError(new Error(built));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onQueued(await client.call('jobs.add', built));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const swapHookDefault = defaultHook(saes, modelB, swapSae) ?? defaultHook(saes, modelA, '');
  const modelName = (path: string) => sources?.models.find((m) => m.path === path)?.label ?? path.split('/').filter(Boolean).pop() ?? path;
  /**
   * A panel moved to another model keeps its direction: when the SAE belongs to a model other than
   * the new one, that model becomes "SAE trained on" (the direction is carried, as the summary says).
   */
  const panelModelChange = (p: PanelDraft, model: string): Partial<PanelDraft> => {
    const owner = saes.find((x) => x.path === p.sae)?.modelPath ?? null;
    if (p.saeModel) return { model, saeModel: p.saeModel === model ? '' : p.saeModel };
    return { model, saeModel: owner && owner !== model ? owner : '' };
  };
  const setPanel = (i: number, change: Partial<PanelDraft>) => setPanels((ps) => ps.map((p, j) => (j === i ? { ...p, ...change } : p)));
  const setProbe = (i: number, change: Partial<ProbeDraft>) => setProbes((ps) => ps.map((p, j) => (j === i ? { ...p, ...change } : p)));
  /** {this model, another model} x {amplify, ablate} of the first panel's feature, the direction carried over. */
  const fourPanels = () => {
    const p = panels[0];
    const own = p.saeModel || p.model;
    if (!p.sae || !own || !otherModel || p.feature.trim() === '') return;
    setPanels([
      { model: own, sae: p.sae, saeModel: '', feature: p.feature, intervention: 'add', strengths: '' },
      { model: own, sae: p.sae, saeModel: '', feature: p.feature, intervention: 'ablate', strengths: '' },
      { model: otherModel, sae: p.sae, saeModel: own, feature: p.feature, intervention: 'add', strengths: '' },
      { model: otherModel, sae: p.sae, saeModel: own, feature: p.feature, intervention: 'replace', strengths: '0' },
    ]);
  };

  return (
    <details className="experiment-form" open={prefill !== null || undefined} aria-label="New experiment">
      <summary>New experiment</summary>
      <div className="kind-tabs" role="group" aria-label="Experiment kind">
        {KINDS.map((k) => (
          <button key={k.kind} aria-pressed={kind === k.kind} onClick={() => setKind(k.kind)}>
            {k.label}
          </button>
        ))}
      </div>
      <p className="form-hint">{KINDS.find((k) => k.kind === kind)?.what}</p>
      {sources && sources.models.length === 0 && <DemoBundleOffer compact />}
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      <datalist id="experiment-metrics">
        {metricSuggestions.map((m) => (
          <option key={m} value={m} />
        ))}
      </datalist>
      <datalist id="experiment-conditions">
        {conditionSuggestions.map((m) => (
          <option key={m} value={m} />
        ))}
      </datalist>

      {kind === 'ablate' && (
        <div className="form-grid">
          <Select
            label="Model"
            value={model}
            onChange={(v) => {
              setModel(v);
              setSae((x) => saeForModel(saes, v, x));
            }}
            options={modelOptions}
            placeholder="Choose a model…"
          />
          <Select span2 label="SAE" value={sae} onChange={setSae} options={saeOptions(model)} placeholder="Choose an SAE…" />
          <Text label="Features" value={features} onChange={setFeatures} placeholder="e.g. 255 or 12,40" />
          <Select label="Ablation" value={mode} onChange={(v) => setMode(v as 'zero' | 'mean')} options={[{ value: 'zero', label: 'zero' }, { value: 'mean', label: 'mean (over the measured tokens)' }]} />
        </div>
      )}

      {kind === 'steer' && (
        <>
          <div className={`panel-cards${panels.length > 1 ? ' multi' : ''}`}>
            {panels.map((p, i) => (
              <div className="panel-card" key={i} role="group" aria-label={`Panel ${i + 1}`}>
                <div className="panel-card-head">
                  <strong className="panel-summary" data-testid={`panel-summary-${i + 1}`}>
                    {i + 1}. {p.model ? modelName(p.model) : 'no model yet'} · #{p.feature.trim() || '?'} {p.intervention}
                    {p.saeModel && p.saeModel !== p.model ? ` · direction from ${modelName(p.saeModel)}` : ''}
                  </strong>
                  <button className="link" disabled={panels.length === 1} onClick={() => setPanels((ps) => ps.filter((_, j) => j !== i))} aria-label={`Remove panel ${i + 1}`}>
                    Remove
                  </button>
                </div>
                <div className="panel-card-fields">
                  <Select half label="Model" name={`Panel ${i + 1} model`} value={p.model} onChange={(v) => setPanel(i, panelModelChange(p, v))} options={modelOptions} placeholder="Model…" />
                  <Select half label="SAE trained on" name={`Panel ${i + 1} SAE trained on`} value={p.saeModel} onChange={(v) => setPanel(i, { saeModel: v })} options={modelOptions} placeholder="this panel's model" />
                  <Select wide label="SAE (gives the direction)" name={`Panel ${i + 1} SAE`} value={p.sae} onChange={(v) => setPanel(i, { sae: v })} options={saeOptions(p.saeModel || p.model)} placeholder="SAE…" />
                  <Text label="Feature" name={`Panel ${i + 1} feature`} value={p.feature} onChange={(v) => setPanel(i, { feature: v })} />
                  {p.decoder && (
                    <Select
                      label="Crosscoder decoder"
                      name={`Panel ${i + 1} decoder`}
                      value={p.decoder}
                      onChange={(v) => setPanel(i, { decoder: v as PanelDraft['decoder'] })}
                      options={[
                        { value: 'a', label: 'W_dec^A (model A)' },
                        { value: 'b', label: 'W_dec^B (model B)' },
                      ]}
                    />
                  )}
                  <Select
                    label="Intervention"
                    name={`Panel ${i + 1} intervention`}
                    value={p.intervention}
                    onChange={(v) => setPanel(i, { intervention: v as PanelDraft['intervention'] })}
                    options={[
                      { value: 'add', label: 'add c · W_dec' },
                      { value: 'replace', label: 'replace component' },
                      { value: 'ablate', label: 'ablate latent' },
                    ]}
                  />
                  <Text label="Strengths" name={`Panel ${i + 1} strengths`} value={p.strengths} onChange={(v) => setPanel(i, { strengths: v })} placeholder={p.intervention === 'add' ? 'default: feature max' : p.intervention === 'replace' ? 'default: 0' : 'n/a'} />
                </div>
              </div>
            ))}
          </div>
          <div className="form-actions">
            <button disabled={panels.length >= 4} onClick={() => setPanels((ps) => [...ps, { ...ps[ps.length - 1] }])}>
              Add panel
            </button>
            <Select label="Other model" value={otherModel} onChange={setOtherModel} options={modelOptions} placeholder="Choose…" />
            <button onClick={fourPanels} disabled={!otherModel}>
              Four panels: both models × amplify / ablate
            </button>
          </div>
          <div className="form-grid">
            <Select label="Steer at" value={steerAt} onChange={(v) => setSteerAt(v as 'all' | 'condition')} options={[{ value: 'all', label: 'every position' }, { value: 'condition', label: 'condition positions' }]} />
            <Text label="Prompt (generate text with and without)" value={prompt} onChange={setPrompt} wide placeholder="optional, e.g. How to make tea. Step 1: Boil the water. Step" />
            <Text label="New tokens" value={maxNewTokens} onChange={setMaxNewTokens} type="number" />
            <Text label="Temperature" value={temperature} onChange={setTemperature} type="number" />
            <Text label="Sampling seed" value={sampleSeed} onChange={setSampleSeed} type="number" />
          </div>
        </>
      )}

      {kind === 'swap' && (
        <div className="form-grid">
          <Select label="Model A (baseline, runs to the hook)" value={modelA} onChange={setModelA} options={modelOptions} placeholder="Choose a model…" />
          <Select
            label="Model B (swapped in)"
            value={modelB}
            onChange={(v) => {
              setModelB(v);
              setSwapSae((x) => saeForModel(saes, v, x));
            }}
            options={modelOptions}
            placeholder="Choose a model…"
          />
          <Select label="Swap" value={swapMode} onChange={(v) => setSwapMode(v as 'layers' | 'latents')} options={[{ value: 'latents', label: "B's SAE latents into A" }, { value: 'layers', label: "A, then B's later layers" }]} />
          <Text
            label="Hook"
            value={hook}
            onChange={setHook}
            required={swapMode === 'layers' && !swapHookDefault}
            placeholder={swapMode === 'latents' ? "default: B's SAE's hook" : swapHookDefault ? `default: ${swapHookDefault}` : 'e.g. blocks.2.hook_resid_post'}
          />
          {swapMode === 'latents' && <Select span2 label="B's SAE" value={swapSae} onChange={setSwapSae} options={saeOptions(modelB)} placeholder="Choose an SAE…" />}
          {swapMode === 'latents' && <Text label="Latents to swap" value={features} onChange={setFeatures} placeholder="empty: all (no null)" />}
        </div>
      )}

      {kind === 'probe' && (
        <>
          <div className="panel-rows">
            {probes.map((p, i) => (
              <div className="panel-row probe-row" key={i} aria-label={`Probe ${i + 1}`}>
                <Select label="Model" name={`Probe ${i + 1} model`} value={p.model} onChange={(v) => setProbe(i, { model: v, sae: saeForModel(saes, v, p.sae) })} options={modelOptions} placeholder="Model…" />
                <Select
                  label="Reads"
                  name={`Probe ${i + 1} reads`}
                  value={p.source}
                  onChange={(v) => setProbe(i, { source: v as 'hook' | 'sae', hook: p.hook || (v === 'hook' ? (defaultHook(saes, p.model, p.sae) ?? '') : '') })}
                  options={[
                    { value: 'sae', label: 'SAE latents' },
                    { value: 'hook', label: 'hook activations' },
                  ]}
                />
                {p.source === 'hook' ? (
                  <Text label="Hook" name={`Probe ${i + 1} hook`} value={p.hook} onChange={(v) => setProbe(i, { hook: v })} required={!defaultHook(saes, p.model, p.sae)} placeholder={defaultHook(saes, p.model, p.sae) ? `default: ${defaultHook(saes, p.model, p.sae)}` : 'e.g. blocks.2.hook_resid_post'} />
                ) : (
                  <Select label="SAE" name={`Probe ${i + 1} SAE`} value={p.sae} onChange={(v) => setProbe(i, { sae: v })} options={saeOptions(p.model)} placeholder="SAE…" />
                )}
                <button className="link" onClick={() => setProbes((ps) => ps.filter((_, j) => j !== i))} aria-label={`Remove probe ${i + 1}`}>
                  Remove
                </button>
              </div>
            ))}
          </div>
          <div className="form-actions">
            <button disabled={probes.length >= 8} onClick={() => setProbes((ps) => [...ps, ps.length ? { ...ps[ps.length - 1] } : { model: '', source: 'hook', hook: '', sae: '' }])}>
              Add probe
            </button>
          </div>
          <div className="form-grid">
            <Text label="Held-out share of documents" value={testFraction} onChange={setTestFraction} type="number" />
            <Text label="Split seed" value={splitSeed} onChange={setSplitSeed} type="number" />
            <Text label="L2 penalty" value={l2} onChange={setL2} type="number" />
          </div>
        </>
      )}

      <div className="form-grid" style={{ marginTop: 8 }}>
        <Select label="Dataset" value={dataset} onChange={setDataset} options={datasetOptions} placeholder="Choose a dataset…" />
        <Text label="Documents" value={maxDocuments} onChange={setMaxDocuments} type="number" />
        {kind !== 'probe' && <Text label="Metric" value={metric} onChange={setMetric} list="experiment-metrics" placeholder="ce, logit:<token>, prob:<token>, logit-diff:<a>,<b>" />}
        <Text label={kind === 'probe' ? 'Condition (the label)' : 'Condition (scored positions)'} value={condition} onChange={setCondition} list="experiment-conditions" placeholder="e.g. token-regex:^Step$" />
        {kind !== 'probe' && (
          <>
            <Text label="Null seeds" value={seeds} onChange={setSeeds} type="number" />
            <Text label="Random sets per seed" value={draws} onChange={setDraws} type="number" />
            <Text label="Null seed base" value={nullSeed} onChange={setNullSeed} type="number" />
            <Text label="Equivalence margin" value={margin} onChange={setMargin} type="number" placeholder="optional, in metric units, e.g. 0.025" />
          </>
        )}
        <Select label="Device" value={device} onChange={(v) => setDevice(v as EngineDeviceChoice)} options={ENGINE_DEVICES.map((d) => ({ value: d, label: d }))} />
      </div>
      <div className="form-actions">
        <button className="primary" disabled={busy} onClick={() => void submit()}>
          {busy ? 'Queueing…' : 'Run experiment'}
        </button>
        <span className="muted small">Runs as a job (see the Queue); its result opens here with the plot, the verdict and every parameter.</span>
      </div>
    </details>
  );
}
