import { useEffect, useMemo, useState } from 'react';
import { ENGINE_DEVICES, INDEX_BUILD_JOB_KIND, type EngineDeviceChoice, type JobView, type LibraryItem, type PromptSources } from '../../../../preload/api';
import { useClient, useEvent } from '../../client/context';
import { routeHref } from '../../router';
import { DemoBundleOffer } from '../demo/DemoBundleOffer';
import { ErrorBanner } from '../ErrorBanner';
import { RunOnPicker } from '../jobs/RunOnPicker';

interface Side {
  model: string;
  saes: string[];
}

/** The dataset the demo bundle ships, when its models are the ones offered. */
function demoDataset(sources: PromptSources | null, datasets: LibraryItem[]): string {
  const model = sources?.defaults?.a.modelPath;
  if (!model) return datasets[0]?.path ?? '';
  const root = model.replace(/[/\\]models[/\\][^/\\]+$/, '');
  return datasets.find((d) => d.path.startsWith(root))?.path ?? datasets[0]?.path ?? '';
}

/**
 * Index one model or a pair on one dataset: one `index.build` job per model (each model pass
 * serves all its chosen SAEs). Two models indexed on the same dataset with the same tokenizer
 * line up position by position, which Compare needs.
 */
export function NewIndexForm({ onQueued, prefill }: { onQueued: (jobs: JobView[]) => void; prefill?: { saePath?: string } }) {
  const client = useClient();
  const [sources, setSources] = useState<PromptSources | null>(null);
  const [datasets, setDatasets] = useState<LibraryItem[]>([]);
  const [sides, setSides] = useState<[Side, Side]>([
    { model: '', saes: [] },
    { model: '', saes: [] },
  ]);
  const [dataset, setDataset] = useState('');
  const [maxDocuments, setMaxDocuments] = useState(2000);
  const [device, setDevice] = useState<EngineDeviceChoice>('auto');
  const [target, setTarget] = useState('');
  const [advanced, setAdvanced] = useState({ textColumn: '', maxTokens: '', contextSize: '', topN: '20' });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const [generation, setGeneration] = useState(0);
  // The demo bundle is generated on first use; its models and dataset join the Library when done.
  useEvent('job.updated', (job) => job.kind === 'demo.generate' && job.state === 'completed' && setGeneration((g) => g + 1));
  useEvent('library.changed', () => setGeneration((g) => g + 1));
  useEffect(() => {
    Promise.all([client.call('prompt.sources', {}), client.call('library.list', {})]).then(([s, l]) => {
      setSources(s);
      const ds = l.items.filter((i) => i.kind === 'dataset');
      setDatasets(ds);
      setDataset((cur) => cur || demoDataset(s, ds));
      const wanted = prefill?.saePath ? s.saes.find((x) => x.path === prefill.saePath) : undefined;
      setSides((cur) => {
        if (cur[0].model) return cur;
        // The SAE asked for (a link from the Library or Prompt), with its model when it is linked to one; else the user picks the model.
        if (wanted) return [{ model: wanted.modelPath ?? '', saes: [wanted.path] }, { model: '', saes: [] }];
        if (!s.defaults) return cur;
        const { a, b } = s.defaults;
        return [
          { model: a.modelPath, saes: [a.saePath] },
          { model: b.modelPath, saes: [b.saePath] },
        ];
      });
    }, setError);
  }, [client, prefill?.saePath, generation]);

  const saeOptions = useMemo(() => (model: string) => (sources?.saes ?? []).filter((x) => x.modelPath === model || x.modelPath === null), [sources]);
  const setSide = (i: 0 | 1, side: Side) => setSides((cur) => (i === 0 ? [side, cur[1]] : [cur[0], side]));
  const chosen = sides.filter((s) => s.model && s.saes.length > 0);
  const ready = chosen.length > 0 && dataset !== '' && !busy;

  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      const jobs: JobView[] = [];
      const extra = {
        ...(advanced.textColumn.trim() ? { textColumn: advanced.textColumn.trim() } : {}),
        ...(Number(advanced.maxTokens) > 0 ? { maxTokens: Number(advanced.maxTokens) } : {}),
        ...(Number(advanced.contextSize) > 1 ? { contextSize: Number(advanced.contextSize) } : {}),
        ...(Number(advanced.topN) > 0 ? { topN: Number(advanced.topN) } : {}),
      };
      for (const s of chosen) {
        const params = { modelPath: s.model, saePaths: s.saes, datasetPath: dataset, maxDocuments, device, ...extra };
        // On a cluster, the same index.build job with a target (index.build itself runs here).
        jobs.push(await (target ? client.call('jobs.add', { kind: INDEX_BUILD_JOB_KIND, params, target }) : client.call('index.build', params)));
      }
      onQueued(jobs);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (sources && sources.models.length === 0) {
    return (
      <div>
        <p className="muted">
          No models yet: add one in the <a href={routeHref('library')}>Library</a>, or start with the demo bundle.
        </p>
        <DemoBundleOffer compact />
      </div>
    );
  }
  return (
    <div className="new-index" aria-label="New index">
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      <div className="new-index-sides">
        {([0, 1] as const).map((i) => (
          <fieldset key={i} className="new-index-side">
            <legend>{i === 0 ? 'Model A' : 'Model B (optional)'}</legend>
            <select
              aria-label={i === 0 ? 'Index model A' : 'Index model B'}
              value={sides[i].model}
              onChange={(e) => {
                const model = e.target.value;
                // Keep the SAEs already chosen that can run on this model (an unlinked one asked for by a link); else its first own SAE.
                const kept = sides[i].saes.filter((p) => saeOptions(model).some((x) => x.path === p));
                setSide(i, { model, saes: kept.length > 0 ? kept : saeOptions(model).filter((x) => x.modelPath === model).slice(0, 1).map((x) => x.path) });
              }}
            >
              <option value="">{i === 0 ? 'Choose a model…' : 'None'}</option>
              {sources?.models.map((m) => (
                <option key={m.path} value={m.path}>
                  {m.label}
                </option>
              ))}
            </select>
            {sides[i].model &&
              saeOptions(sides[i].model).map((x) => (
                <label key={x.path} className="check">
                  <input
                    type="checkbox"
                    checked={sides[i].saes.includes(x.path)}
                    onChange={(e) => setSide(i, { ...sides[i], saes: e.target.checked ? [...sides[i].saes, x.path] : sides[i].saes.filter((p) => p !== x.path) })}
                  />
                  <span>
                    {x.label}
                    {x.modelPath === null && <span className="muted small"> (not linked to this model: checked by width)</span>}
                  </span>
                </label>
              ))}
          </fieldset>
        ))}
      </div>
      <div className="new-index-row">
        <label>
          Dataset
          <select aria-label="Index dataset" value={dataset} onChange={(e) => setDataset(e.target.value)}>
            <option value="">Choose a dataset…</option>
            {datasets.map((d) => (
              <option key={d.id} value={d.path}>
                {d.name}
                {d.dataset?.rows != null ? ` · ${d.dataset.rows.toLocaleString('en-US')} rows` : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          Max documents
          <input type="number" aria-label="Max documents" min={1} value={maxDocuments} onChange={(e) => setMaxDocuments(Math.max(1, Number(e.target.value) || 1))} />
        </label>
        <label>
          Device
          <select aria-label="Index device" value={device} onChange={(e) => setDevice(e.target.value as EngineDeviceChoice)}>
            {ENGINE_DEVICES.map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </label>
        <RunOnPicker className="" compact name="Index run on" value={target} onChange={setTarget} />
        <button className="primary" disabled={!ready} onClick={() => void submit()}>
          {busy ? 'Queueing…' : chosen.length === 2 ? 'Index both models' : 'Index'}
        </button>
      </div>
      <details className="new-index-advanced">
        <summary className="small">Advanced</summary>
        <div className="new-index-row">
          <label>
            Text column
            <input aria-label="Text column" placeholder="detected (text, content, …)" value={advanced.textColumn} onChange={(e) => setAdvanced({ ...advanced, textColumn: e.target.value })} />
          </label>
          <label>
            Max tokens
            <input type="number" aria-label="Max tokens" min={1} placeholder="no limit" value={advanced.maxTokens} onChange={(e) => setAdvanced({ ...advanced, maxTokens: e.target.value })} />
          </label>
          <label>
            Context size
            <input type="number" aria-label="Context size" min={2} placeholder="SAE's, else 128" value={advanced.contextSize} onChange={(e) => setAdvanced({ ...advanced, contextSize: e.target.value })} />
          </label>
          <label>
            Top examples
            <input type="number" aria-label="Top examples" min={1} max={200} value={advanced.topN} onChange={(e) => setAdvanced({ ...advanced, topN: e.target.value })} />
          </label>
        </div>
      </details>
      <p className="muted small">
        Each model runs once over the dataset for all its chosen SAEs; progress shows in the <a href={routeHref('queue')}>Queue</a>. Indexes of two models on the same dataset and tokenizer line up token by token.
      </p>
    </div>
  );
}
