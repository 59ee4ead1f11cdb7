import { useCallback, useEffect, useMemo, useState } from 'react';
import { ENGINE_DEVICES, type EngineDeviceChoice, type JobView, type PromptRunResult, type PromptSaeOption, type PromptSources } from '../../../preload/api';
import { useClient, useEvent } from '../client/context';
import { ErrorBanner } from '../components/ErrorBanner';
import { ProgressBar } from '../components/ProgressBar';
import { FeatureList } from '../components/prompt/FeatureList';
import { TokenStrip } from '../components/prompt/TokenStrip';
import '../components/prompt/prompt.css';

const SAMPLE_TEXT = 'How to make tea. Step 1: Boil the water. Step 2: Pour the water quickly. The cat sat in the garden.';
const SIDES = ['a', 'b'] as const;
type SideKey = (typeof SIDES)[number];

/** SAEs that belong to a model, then the ones with no known model; never another model's. */
function saesFor(sources: PromptSources | null, modelPath: string): PromptSaeOption[] {
  if (!sources) return [];
  return [...sources.saes.filter((s) => s.modelPath === modelPath), ...sources.saes.filter((s) => s.modelPath === null)];
}

/** The hovered position on side `i`: the same position when both sides hold the same token there. */
function alignedPosition(result: PromptRunResult, hovered: { side: number; position: number } | null, i: number): number | null {
  if (!hovered) return null;
  if (hovered.side === i) return hovered.position;
  const a = result.sides[hovered.side]?.tokens[hovered.position];
  const b = result.sides[i]?.tokens[hovered.position];
  return a && b && a.text === b.text ? hovered.position : null;
}

export function PromptPage() {
  const client = useClient();
  const [sources, setSources] = useState<PromptSources | null>(null);
  const [demoJob, setDemoJob] = useState<JobView | null>(null);
  const [text, setText] = useState(SAMPLE_TEXT);
  const [models, setModels] = useState<Record<SideKey, string>>({ a: '', b: '' });
  const [saes, setSaes] = useState<Record<SideKey, string>>({ a: '', b: '' });
  const [result, setResult] = useState<PromptRunResult | null>(null);
  const [hovered, setHovered] = useState<{ side: number; position: number } | null>(null);
  const [running, setRunning] = useState(false);
  const [device, setDevice] = useState<EngineDeviceChoice>('auto');
  const [error, setError] = useState<unknown>(null);

  const loadSources = useCallback(() => {
    client.call('prompt.sources', {}).then((s) => {
      setSources(s);
      if (s.demoJobId) client.call('jobs.get', { id: s.demoJobId }).then(setDemoJob, setError);
      else setDemoJob(null);
      const pair = s.defaultPair ?? (s.models.length > 0 ? [s.models[0].path, s.models[Math.min(1, s.models.length - 1)].path] : null);
      if (!pair) return;
      setModels((m) => (m.a ? m : { a: pair[0], b: pair[1] }));
      setSaes((cur) => {
        if (cur.a) return cur;
        const a = saesFor(s, pair[0])[0];
        // Same layer by default, so the two columns compare like with like.
        const bOptions = saesFor(s, pair[1]);
        const b = bOptions.find((x) => a && x.layer === a.layer) ?? bOptions[0];
        return { a: a?.path ?? '', b: b?.path ?? '' };
      });
    }, setError);
  }, [client]);

  useEffect(loadSources, [loadSources]);
  useEvent(
    'job.updated',
    (job) => {
      if (!sources?.demoJobId || job.id !== sources.demoJobId) return;
      setDemoJob(job);
      if (job.state === 'completed') loadSources();
    },
    [sources?.demoJobId, loadSources],
  );

  const chooseModel = (side: SideKey, path: string) => {
    setModels((m) => ({ ...m, [side]: path }));
    const other = side === 'a' ? 'b' : 'a';
    const otherSae = sources?.saes.find((x) => x.path === saes[other]);
    const options = saesFor(sources, path);
    const pick = options.find((x) => otherSae && x.layer === otherSae.layer) ?? options[0];
    setSaes((s) => ({ ...s, [side]: pick?.path ?? '' }));
  };

  const ready = SIDES.every((k) => models[k] && saes[k]) && text.trim().length > 0;
  const run = async () => {
    if (!ready) return;
    setRunning(true);
    setError(null);
    setHovered(null);
    try {
      setResult(
        await client.call('prompt.run', {
          text,
          sides: SIDES.map((k) => ({ modelPath: models[k], saePath: saes[k] })),
          device,
        }),
      );
    } catch (e) {
      setError(e);
    } finally {
      setRunning(false);
    }
  };

  const maxActivation = useMemo(() => Math.max(0, ...(result?.sides.map((s) => s.maxActivation) ?? [])), [result]);
  const maxChars = sources?.maxChars ?? 2000;
  const generating = demoJob && !['completed', 'failed', 'cancelled'].includes(demoJob.state);

  return (
    <section className="page">
      <h1>Prompt</h1>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      {generating && (
        <div className="panel" aria-label="Demo bundle generation">
          <div>Generating the demo bundle (tiny "standard" and "adhd" models with their SAEs), a few seconds on first use…</div>
          <ProgressBar value={demoJob.progress} label="Demo bundle progress" />
        </div>
      )}
      {demoJob?.state === 'failed' && (
        <ErrorBanner error={new Error(`The demo bundle could not be generated: ${demoJob.error?.message ?? 'unknown error'}`)} />
      )}
      {sources && sources.models.length === 0 && !generating && <p className="muted">No models yet: add one in the Library, or wait for the demo bundle.</p>}

      <div className="prompt-controls">
        {SIDES.map((k) => (
          <div key={k}>
            <label>
              {k === 'a' ? 'Model A' : 'Model B'}
              <select aria-label={k === 'a' ? 'Model A' : 'Model B'} value={models[k]} onChange={(e) => chooseModel(k, e.target.value)}>
                <option value="">Choose a model…</option>
                {sources?.models.map((m) => (
                  <option key={m.path} value={m.path}>
                    {m.label}
                    {m.origin === 'demo' ? ' (demo)' : ''}
                  </option>
                ))}
              </select>
            </label>
            <label>
              SAE
              <select aria-label={k === 'a' ? 'SAE for model A' : 'SAE for model B'} value={saes[k]} onChange={(e) => setSaes((s) => ({ ...s, [k]: e.target.value }))}>
                <option value="">Choose an SAE…</option>
                {saesFor(sources, models[k]).map((s) => (
                  <option key={s.path} value={s.path}>
                    {s.label}
                    {s.dSae ? ` · ${s.dSae} features` : ''}
                  </option>
                ))}
              </select>
            </label>
          </div>
        ))}
      </div>

      <div className="field" style={{ maxWidth: 1100 }}>
        <textarea
          className="prompt-text"
          aria-label="Prompt text"
          value={text}
          maxLength={maxChars}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void run();
          }}
        />
        <div className="muted small">
          {text.length} / {maxChars} characters (short prompts run right away; text past a model's context is cut). Ctrl+Enter runs.
        </div>
      </div>
      <div className="prompt-run-row">
        <button className="primary" onClick={() => void run()} disabled={!ready || running}>
          {running ? 'Running…' : 'Run'}
        </button>
        <label className="small muted">
          Device{' '}
          <select aria-label="Device" value={device} onChange={(e) => setDevice(e.target.value as EngineDeviceChoice)}>
            {ENGINE_DEVICES.map((d) => (
              <option key={d} value={d}>
                {d === 'auto' ? 'auto (GPU if available)' : d.toUpperCase()}
              </option>
            ))}
          </select>
        </label>
      </div>

      {result && (
        <>
          <p className="muted small">
            Each token is coloured by its strongest feature (hue = feature, intensity = activation relative to the strongest in view, {maxActivation.toFixed(2)}). Hover a token to list
            its top features in both models. {result.elapsedMs} ms.
          </p>
          <div className="prompt-sides">
            {result.sides.map((side, i) => (
              <div key={i} className={`prompt-side side-${SIDES[i]}`} data-side={SIDES[i]}>
                <h2>{side.modelName}</h2>
                <div className="muted small">
                  {side.hookName} · {side.dSae} features · {side.tokens.length} tokens · {side.executionProvider.toUpperCase()}
                </div>
                <TokenStrip side={side} maxActivation={maxActivation} hovered={alignedPosition(result, hovered, i)} onHover={(p) => p !== null && setHovered({ side: i, position: p })} />
                {hovered !== null &&
                  (alignedPosition(result, hovered, i) === null ? (
                    <p className="muted small">The two models tokenize this text differently; hover this model's own tokens.</p>
                  ) : (
                    <FeatureList side={side} position={hovered.position} />
                  ))}
              </div>
            ))}
          </div>
        </>
      )}
    </section>
  );
}
