import * as Plot from '@observablehq/plot';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ENGINE_DEVICES, type EngineDeviceChoice, type JobView, type PromptRunResult, type PromptSources } from '../../../preload/api';
import { useClient, useEvent } from '../client/context';
import { PlotFigure, themeColor } from '../components/charts/PlotFigure';
import { DemoBundleOffer } from '../components/demo/DemoBundleOffer';
import { ErrorBanner } from '../components/ErrorBanner';
import { FeatureLink } from '../components/FeatureLink';
import { LabelTag } from '../components/labels/LabelTag';
import '../components/labels/labels.css';
import { ProgressBar } from '../components/ProgressBar';
import { activationScale, divergingBackground, displayToken, tokenBackground } from '../components/prompt/featureColor';
import { FeatureList } from '../components/prompt/FeatureList';
import { alignedPosition, bestSaeFor, featureDifference, parseTokenParam, saeChoicesFor, strongestFeature } from '../components/prompt/promptChoices';
import { TokenStrip } from '../components/prompt/TokenStrip';
import { usePageParams, type RouteParams } from '../router';
import { useShortcuts } from '../shortcuts';
import '../components/prompt/prompt.css';

const SAMPLE_TEXT = 'How to make tea. Step 1: Boil the water. Step 2: Pour the water quickly. The cat sat in the garden.';
/** Texts up to this long run as you type (debounced); longer ones on Run / Ctrl+Enter. */
const AUTO_RUN_CHARS = 400;
const DEBOUNCE_MS = 350;
const SIDES = [
  { key: 'a', sae: 'as', name: 'Model A', colour: '--model-a' },
  { key: 'b', sae: 'bs', name: 'Model B', colour: '--model-b' },
] as const;

function intParam(p: URLSearchParams, key: string): number | null {
  const v = p.get(key);
  return v !== null && /^\d+$/.test(v) ? Number(v) : null;
}

/**
 * Text through two models and their SAEs, side by side. Everything a researcher would share is
 * in the URL (`#/prompt?text=…&a=<model>&as=<sae>&b=…&bs=…&device=…&tok=<side>:<pos>&mode=diff&fa=&fb=`),
 * so reload, back/forward and links reproduce the view. Diff mode colours tokens by one chosen
 * feature's activation in B minus one chosen feature's in A, on one scale.
 */
export function PromptPage() {
  const client = useClient();
  const [params, setParams] = usePageParams('prompt');
  const [sources, setSources] = useState<PromptSources | null>(null);
  const [demoJob, setDemoJob] = useState<JobView | null>(null);
  const [result, setResult] = useState<{ key: string; value: PromptRunResult } | null>(null);
  const [failure, setFailure] = useState<{ key: string; error: unknown } | null>(null);
  const [running, setRunning] = useState(false);
  const [hovered, setHovered] = useState<{ side: number; position: number } | null>(null);
  const inflight = useRef<string | null>(null);
  const firstRun = useRef(true);

  const text = params.get('text') ?? SAMPLE_TEXT;
  const chosen = { a: params.get('a') ?? '', as: params.get('as') ?? '', b: params.get('b') ?? '', bs: params.get('bs') ?? '' };
  const deviceParam = params.get('device');
  const device: EngineDeviceChoice = (ENGINE_DEVICES as readonly string[]).includes(deviceParam ?? '') ? (deviceParam as EngineDeviceChoice) : 'auto';
  const diff = params.get('mode') === 'diff';
  const fa = intParam(params, 'fa');
  const fb = intParam(params, 'fb');
  const selected = parseTokenParam(params.get('tok'));

  const loadSources = useCallback(() => {
    client.call('prompt.sources', {}).then((s) => {
      setSources(s);
      if (s.demoJobId) client.call('jobs.get', { id: s.demoJobId }).then(setDemoJob, (e) => setFailure({ key: '', error: e }));
      else setDemoJob(null);
    }, (e) => setFailure({ key: '', error: e }));
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

  // First visit (or a link naming only some sides): fill in the defaults, without a history entry.
  useEffect(() => {
    if (!sources) return;
    const fill: RouteParams = {};
    for (const [i, side] of SIDES.entries()) {
      const d = sources.defaults?.[side.key];
      const model = chosen[side.key] || d?.modelPath || sources.models[Math.min(i, sources.models.length - 1)]?.path || '';
      if (!chosen[side.key] && model) fill[side.key] = model;
      if (!chosen[side.sae] && model) fill[side.sae] = (d && d.modelPath === model ? d.saePath : bestSaeFor(sources, model)?.path) ?? null;
    }
    if (Object.values(fill).some((v) => v)) setParams(fill);
    // Only when the sources arrive: later changes are the user's.
  }, [sources]);

  const generating = !!demoJob && !['completed', 'failed', 'cancelled'].includes(demoJob.state);
  const ready = !!sources && !generating && SIDES.every((s) => chosen[s.key] && chosen[s.sae]) && text.trim().length > 0;
  const key = JSON.stringify({ text, ...chosen, device, fa: diff ? fa : null, fb: diff ? fb : null });

  const run = useCallback(async () => {
    if (!ready) return;
    const k = key;
    inflight.current = k;
    setRunning(true);
    try {
      const value = await client.call('prompt.run', {
        text,
        sides: SIDES.map((s, i) => {
          const feature = i === 0 ? fa : fb;
          return { modelPath: chosen[s.key], saePath: chosen[s.sae], ...(diff && feature !== null ? { features: [feature] } : {}) };
        }),
        device,
      });
      if (inflight.current === k) {
        setResult({ key: k, value });
        setFailure(null);
      }
    } catch (e) {
      if (inflight.current === k) setFailure({ key: k, error: e });
    } finally {
      if (inflight.current === k) {
        inflight.current = null;
        setRunning(false);
      }
    }
    // `key` names everything the request reads.
  }, [client, ready, key]);

  // Short texts run as you type; the first view after load (or reload) runs whatever the URL holds.
  useEffect(() => {
    if (!ready || result?.key === key || failure?.key === key || inflight.current === key) return;
    if (text.length > AUTO_RUN_CHARS && !firstRun.current) return;
    const t = setTimeout(() => {
      firstRun.current = false;
      void run();
    }, firstRun.current ? 0 : DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [ready, key, result?.key, failure?.key, text.length, run]);

  const shown = result?.value ?? null;
  const stale = !!result && result.key !== key;
  const scale = useMemo(() => activationScale(shown?.sides.flatMap((s) => s.tokens.filter((t) => !t.bos).map((t) => t.features[0]?.activation ?? 0)) ?? []), [shown]);
  const maxActivation = useMemo(() => Math.max(0, ...(shown?.sides.map((s) => s.maxActivation) ?? [])), [shown]);
  const difference = useMemo(() => (shown && diff ? featureDifference(shown) : null), [shown, diff]);
  const focus = hovered ?? selected;

  const selectToken = (side: number, position: number) => setParams({ tok: `${side}:${position}` });
  const moveToken = (d: number) => {
    if (!shown) return;
    const at = selected ?? { side: 0, position: -1 };
    const n = shown.sides[at.side]?.tokens.length ?? 0;
    const position = Math.min(n - 1, Math.max(0, at.position + d));
    selectToken(at.side, position);
    focusToken(at.side, position);
  };
  const switchSide = () => {
    if (!shown || !selected) return;
    const other = 1 - selected.side;
    const p = alignedPosition(shown, selected, other) ?? Math.min(selected.position, (shown.sides[other]?.tokens.length ?? 1) - 1);
    selectToken(other, p);
    focusToken(other, p);
  };
  const setDiff = (on: boolean) => {
    if (!on) return setParams({ mode: null, fa: null, fb: null });
    const at = (i: number) => (shown && selected ? alignedPosition(shown, selected, i) : null);
    setParams({ mode: 'diff', fa: fa ?? (shown ? strongestFeature(shown.sides[0], at(0)) : null), fb: fb ?? (shown && shown.sides[1] ? strongestFeature(shown.sides[1], at(1)) : null) });
  };

  useShortcuts('Prompt', [
    { keys: 'Ctrl+Enter', description: 'Run now', run: () => void run(), inFields: true },
    { keys: 'ArrowRight', description: 'Next token', run: () => moveToken(1) },
    { keys: 'ArrowLeft', description: 'Previous token', run: () => moveToken(-1) },
    { keys: 'ArrowDown', description: 'Same token in the other model', run: switchSide },
    { keys: 'ArrowUp', description: 'Same token in the other model', run: switchSide },
    { keys: 'd', description: 'Diff mode on / off', run: () => setDiff(!diff) },
    { keys: 'Escape', description: 'Clear the token selection', run: () => setParams({ tok: null }) },
  ]);

  const chooseModel = (i: number, path: string) => {
    const side = SIDES[i];
    const other = SIDES[1 - i];
    const otherLayer = sources?.saes.find((x) => x.path === chosen[other.sae])?.layer;
    setParams({ [side.key]: path, [side.sae]: bestSaeFor(sources, path, otherLayer)?.path ?? null, tok: null, [i === 0 ? 'fa' : 'fb']: null }, { push: true });
  };
  const maxChars = sources?.maxChars ?? 2000;
  const error = failure && (failure.key === '' || failure.key === key) ? failure.error : null;

  return (
    <section className="page prompt-page">
      <h1>Prompt</h1>
      <ErrorBanner error={error} onDismiss={() => setFailure(null)} />
      {generating && (
        <div className="panel" aria-label="Demo bundle generation">
          <div>Generating the demo bundle (tiny "standard" and "adhd" models with their SAEs), a few seconds on first use…</div>
          <ProgressBar value={demoJob.progress} label="Demo bundle progress" />
        </div>
      )}
      {demoJob?.state === 'failed' && <ErrorBanner error={new Error(`The demo bundle could not be generated: ${demoJob.error?.message ?? 'unknown error'}`)} />}
      {sources && sources.models.length === 0 && !generating && <DemoBundleOffer />}

      <div className="prompt-controls">
        {SIDES.map((side, i) => (
          <SideControls key={side.key} index={i} sources={sources} model={chosen[side.key]} sae={chosen[side.sae]} onModel={(p) => chooseModel(i, p)} onSae={(p) => setParams({ [side.sae]: p, [i === 0 ? 'fa' : 'fb']: null }, { push: true })} />
        ))}
      </div>

      <label className="field prompt-text-field">
        <span className="muted small">Text</span>
        <textarea className="prompt-text" aria-label="Prompt text" data-shortcut-focus value={text} maxLength={maxChars} onChange={(e) => setParams({ text: e.target.value })} />
        <span className="muted small">
          {text.length} / {maxChars} characters · up to {AUTO_RUN_CHARS} run as you type; longer texts with Run or Ctrl+Enter; text past a model's context is cut.
        </span>
      </label>
      <div className="prompt-run-row">
        <button className="primary" onClick={() => void run()} disabled={!ready}>
          {running ? 'Running…' : 'Run'}
        </button>
        <label className="small muted">
          Device{' '}
          <select aria-label="Device" value={device} onChange={(e) => setParams({ device: e.target.value === 'auto' ? null : e.target.value })}>
            {ENGINE_DEVICES.map((d) => (
              <option key={d} value={d}>
                {d === 'auto' ? 'auto (GPU if available)' : d.toUpperCase()}
              </option>
            ))}
          </select>
        </label>
        <button aria-pressed={diff} onClick={() => setDiff(!diff)} title="Colour by one chosen feature's activation in B minus A (d)">
          Diff mode
        </button>
        <span className="muted small" role="status">
          {running ? 'running…' : shown ? `${shown.elapsedMs} ms${stale ? ' · showing the previous run' : ''}` : ''}
        </span>
      </div>

      {shown && (
        <div className={stale ? 'prompt-result stale' : 'prompt-result'}>
          {diff ? (
            <DiffPanel result={shown} fa={fa} fb={fb} onFeature={(side, f) => setParams({ [side === 0 ? 'fa' : 'fb']: f })} difference={difference} />
          ) : (
            <p className="muted small">
              Tint: each token's strongest feature activation, one scale for both models from {scale.lo.toFixed(2)} (lightest) to {scale.hi.toFixed(2)} (deepest), BOS left out. Feature ids of two SAEs are
              unrelated, so colour never encodes the id. Click a token (or ← →, ↑ ↓) to list its features; a feature id opens its page. Diff mode compares one chosen feature per side.
            </p>
          )}
          <div className="prompt-sides">
            {shown.sides.map((side, i) => {
              const tracked = side.tracked[0];
              const at = alignedPosition(shown, focus, i);
              const sel = alignedPosition(shown, selected, i);
              return (
                <div key={i} className={`prompt-side side-${SIDES[i].key}`} data-side={SIDES[i].key}>
                  <h2>{side.modelLabel}</h2>
                  {/* One line in both columns (cut with its full text in the title), so the token strips stay level. */}
                  <div className="muted small prompt-side-meta" title={`SAE ${side.saeLabel}${side.saeLabel.includes(side.hookName) ? '' : ` · ${side.hookName}`} · ${side.tokens.length} tokens · ${side.executionProvider.toUpperCase()}`}>
                    SAE {side.saeLabel}
                    {side.saeLabel.includes(side.hookName) ? '' : ` · ${side.hookName}`} · {side.tokens.length} tokens · {side.executionProvider.toUpperCase()}
                  </div>
                  {side.warnings.map((w) => (
                    <div key={w} className="warning-note" role="note">
                      {w}
                    </div>
                  ))}
                  <TokenStrip
                    side={side}
                    label={`Tokens of ${side.modelLabel}`}
                    background={(p) => (diff && tracked && difference ? tokenBackground(tracked.activations[p], { lo: 0, hi: difference.max }, SIDES[i].colour) : tokenBackground(side.tokens[p].features[0]?.activation ?? 0, scale, SIDES[i].colour))}
                    titleOf={(p) => {
                      const top = side.tokens[p].features[0];
                      if (diff && tracked) return `#${tracked.feature}: ${tracked.activations[p].toFixed(3)}`;
                      return top ? `#${top.feature}${top.label ? ` ${top.label}` : ''}: ${top.activation.toFixed(2)}` : 'no feature fires';
                    }}
                    selected={sel}
                    hovered={hovered?.side === i ? hovered.position : null}
                    onHover={(p) => setHovered(p === null ? null : { side: i, position: p })}
                    onSelect={(p) => selectToken(i, p)}
                  />
                  {focus !== null &&
                    (at === null ? (
                      <p className="muted small">The two models tokenize this text differently; choose this model's own tokens.</p>
                    ) : (
                      <FeatureList side={side} position={at} maxActivation={maxActivation} onCompare={diff ? (f) => setParams({ [i === 0 ? 'fa' : 'fb']: f }) : undefined} compared={diff ? (i === 0 ? fa : fb) : undefined} />
                    ))}
                </div>
              );
            })}
          </div>
        </div>
      )}
    </section>
  );
}

function focusToken(side: number, position: number): void {
  requestAnimationFrame(() => document.querySelector<HTMLElement>(`[data-side="${SIDES[side].key}"] .prompt-token[data-position="${position}"]`)?.focus());
}

/** One side's model and SAE pickers: only SAEs of the model's width, linked ones first. */
function SideControls({ index, sources, model, sae, onModel, onSae }: { index: number; sources: PromptSources | null; model: string; sae: string; onModel: (p: string) => void; onSae: (p: string) => void }) {
  const side = SIDES[index];
  const choices = saeChoicesFor(sources, model);
  const modelOption = sources?.models.find((m) => m.path === model);
  const known = [...choices.linked, ...choices.others].some((s) => s.path === sae);
  const groups = [...new Set(sources?.models.map((m) => m.group) ?? [])];
  const labelOf = (path: string | null) => sources?.models.find((m) => m.path === path)?.label ?? path;
  return (
    <fieldset className={`side-${side.key}`}>
      <legend>{side.name}</legend>
      <label>
        Model
        <select aria-label={side.name} value={model} onChange={(e) => onModel(e.target.value)}>
          <option value="">Choose a model…</option>
          {model && !modelOption && <option value={model}>{sources ? `${model} (not in the Library)` : model}</option>}
          {groups.map((g) => (
            <optgroup key={g} label={g}>
              {sources!.models
                .filter((m) => m.group === g)
                .map((m) => (
                  <option key={m.path} value={m.path} title={m.detail}>
                    {m.label}
                    {m.dModel ? ` · d_model ${m.dModel}` : ''}
                  </option>
                ))}
            </optgroup>
          ))}
        </select>
      </label>
      <label>
        SAE
        <select aria-label={`SAE for model ${side.key.toUpperCase()}`} value={sae} onChange={(e) => onSae(e.target.value)}>
          <option value="">{model && choices.linked.length + choices.others.length === 0 ? `No SAE reads d_model ${modelOption?.dModel ?? '?'}` : 'Choose an SAE…'}</option>
          {sae && !known && <option value={sae}>{sources ? `${sae} (does not fit this model)` : sae}</option>}
          {choices.linked.length > 0 && (
            <optgroup label="Linked to this model">
              {choices.linked.map((s) => (
                <option key={s.path} value={s.path} title={s.linkReason}>
                  {s.label}
                </option>
              ))}
            </optgroup>
          )}
          {choices.others.length > 0 && (
            <optgroup label={`Other SAEs of width ${modelOption?.dModel ?? '?'} (not this model's)`}>
              {choices.others.map((s) => (
                <option key={s.path} value={s.path} title={s.linkReason}>
                  {s.label} · {s.modelPath ? `linked to ${labelOf(s.modelPath)}` : 'no linked model'}
                </option>
              ))}
            </optgroup>
          )}
        </select>
      </label>
    </fieldset>
  );
}

/** Diff mode: the feature compared on each side, the B − A strip and both activations over the text. */
function DiffPanel({ result, fa, fb, onFeature, difference }: { result: PromptRunResult; fa: number | null; fb: number | null; onFeature: (side: number, f: number | null) => void; difference: ReturnType<typeof featureDifference> }) {
  const [a, b] = result.sides;
  const tokens = a.tokens;
  return (
    <div className="panel prompt-diff" role="region" aria-label="Diff">
      <div className="diff-controls">
        {[fa, fb].map((f, i) => (
          <label key={i}>
            Feature in {i === 0 ? 'A' : 'B'} ({result.sides[i]?.saeLabel})
            <span>
              <input type="number" min={0} max={(result.sides[i]?.dSae ?? 1) - 1} aria-label={`Diff feature in ${i === 0 ? 'A' : 'B'}`} value={f ?? ''} onChange={(e) => onFeature(i, e.target.value === '' ? null : Math.max(0, Math.floor(Number(e.target.value))))} />{' '}
              {f !== null && result.sides[i] && <FeatureLink sae={result.sides[i].saePath} feature={f} label={result.sides[i].tracked.find((t) => t.feature === f)?.label ?? undefined} />}
              {f !== null && <LabelTag label={result.sides[i]?.tracked.find((t) => t.feature === f)?.label} />}
            </span>
          </label>
        ))}
        <span className="muted small">
          <span className="legend-swatch low" />A higher <span className="legend-swatch high" />B higher · one scale, max |B − A| {difference ? difference.maxAbs.toFixed(2) : '–'}
        </span>
      </div>
      {!difference ? (
        <p className="muted small">{fa === null || fb === null ? 'Choose a feature on each side (or "compare" in a token\'s feature list).' : 'The two models tokenize this text differently, so positions do not line up for a difference.'}</p>
      ) : (
        <>
          <div className="muted small">
            Per token: B #{fb} − A #{fa}
          </div>
          <div className="prompt-tokens" role="group" aria-label="Difference B minus A">
            {tokens.map((t, p) => (
              <span key={p} className="prompt-token" data-position={p} data-difference={difference.difference[p].toFixed(4)} style={{ background: divergingBackground(difference.difference[p], difference.maxAbs) }} title={`B ${difference.b[p].toFixed(3)} − A ${difference.a[p].toFixed(3)} = ${difference.difference[p].toFixed(3)}`}>
                {displayToken(t.text)}
              </span>
            ))}
          </div>
          <PlotFigure
            label="Chosen features' activations along the text"
            deps={[difference, tokens]}
            minHeight={170}
            options={() => {
              const rows = tokens.flatMap((t, p) => [
                { p, side: `A #${fa}`, v: difference.a[p], token: displayToken(t.text) },
                { p, side: `B #${fb}`, v: difference.b[p], token: displayToken(t.text) },
              ]);
              return {
                height: 170,
                marginBottom: 44,
                x: { label: null, ticks: tokens.length <= 60 ? tokens.map((_, p) => p) : undefined, tickFormat: (p: number) => (tokens.length <= 60 ? displayToken(tokens[p]?.text ?? '').trim().slice(0, 8) : String(p)), tickRotate: -45 },
                y: { label: 'activation', grid: true },
                color: { domain: [`A #${fa}`, `B #${fb}`], range: [themeColor('--model-a'), themeColor('--model-b')], legend: true },
                marks: [Plot.ruleY([0], { stroke: themeColor('--border-strong') }), Plot.lineY(rows, { x: 'p', y: 'v', stroke: 'side' }), Plot.dot(rows, { x: 'p', y: 'v', fill: 'side', r: 2, tip: true, title: (d: { token: string; side: string; v: number }) => `${d.token}: ${d.side} ${d.v.toFixed(3)}` })],
              };
            }}
          />
        </>
      )}
      {b === undefined && <p className="muted small">Diff mode needs both models.</p>}
    </div>
  );
}
