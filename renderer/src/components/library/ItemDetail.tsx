import { useState } from 'react';
import type { LibraryItem } from '../../../../preload/api';
import { useClient } from '../../client/context';
import { formatBytes, formatCount } from '../../format';
import { routeHref } from '../../router';
import { DetailList, type DetailRow } from '../DetailList';
import { ErrorBanner } from '../ErrorBanner';

/** What can be done with an item, as links to the page that does it. */
function actionLinks(item: LibraryItem): { label: string; href: string; title: string }[] {
  const verify = { label: 'Verify files', href: routeHref('queue', { new: 'files.verify', params: JSON.stringify({ paths: [item.path] }) }), title: 'Queue a sha256 check of its files' };
  if (item.kind === 'sae') {
    const model = item.sae?.link.modelPath;
    return [
      { label: 'Open in Prompt', href: routeHref('prompt', { a: model, as: item.path }), title: model ? 'Run text through its model and this SAE' : 'Run text through this SAE (pick a model of its width)' },
      { label: 'Feature index', href: routeHref('features', { sae: item.path }), title: 'Its features, from the index of this SAE (built on request)' },
      { label: 'Evaluate', href: routeHref('training', { evalSae: item.path, evalModel: model }), title: 'Reconstruction quality (FVE, L0, dead %, CE-loss and KL scores) on a dataset, against the quality gates' },
      verify,
    ];
  }
  if (item.kind === 'crosscoder') {
    return [
      { label: 'Analyse on Compare', href: routeHref('compare', { tab: 'crosscoder', crosscoder: item.path }), title: 'Relative decoder norms (A-only, shared, B-only latents), latent scaling and the agreement with the SAE-based diff' },
      verify,
    ];
  }
  if (item.kind === 'model') return [{ label: 'Open in Prompt', href: routeHref('prompt', { a: item.path }), title: 'Run text through this model and one of its SAEs' }, verify];
  if (item.kind === 'dataset') return [verify];
  return [];
}

/** The facts the Library holds about one item, its actions, and (for SAEs) its model link. */
export function ItemDetail({ item, models, onClose }: { item: LibraryItem; models: LibraryItem[]; onClose: () => void }) {
  const src = item.source;
  const rows: DetailRow[] = [
    ['kind', item.kind],
    ['name', item.identity.label],
    ...(item.identity.bundle
      ? ([['bundle', `${item.identity.bundle.label}: ${item.identity.bundle.member}`], ['also at', item.identity.bundle.alsoAt.join('\n') || undefined, { mono: true }]] as DetailRow[])
      : ([['from', item.identity.detail]] as DetailRow[])),
    ['path', item.path, { mono: true }],
    ...(src.type === 'hub'
      ? ([
          ['repo', `${src.repoType === 'dataset' ? 'datasets/' : ''}${src.repoId}`, { mono: true }],
          ['path in repo', src.pathInRepo || '(root)', { mono: true }],
          ['commit', src.commit, { mono: true }],
          ['refs', src.refs.join(', ') || '(none)'],
        ] as DetailRow[])
      : ([['added folder', item.identity.bundle ? undefined : src.root, { mono: true }]] as DetailRow[])),
    ['files', item.fileCount],
    ['size', formatBytes(item.sizeBytes)],
  ];
  if (item.sae) {
    const s = item.sae;
    rows.push(
      ['model', s.link.modelLabel ?? (s.groupModel || null)],
      ['link', s.link.reason],
      ['architecture', s.architecture],
      ['d_in', s.dIn],
      ['d_sae', s.dSae],
      ['k', s.k],
      ['hook', s.hookName, { mono: true }],
      ['layer', s.layer],
      ['cfg model_name', s.modelName, { mono: true }],
      ['cfg generation', s.cfgGeneration],
      ['dtype', s.dtype],
      ['normalize_activations', s.normalizeActivations],
      ['sparsity.safetensors', s.hasSparsity ? 'yes' : 'no'],
    );
  }
  if (item.crosscoder) {
    const c = item.crosscoder;
    rows.push(
      ['model A', c.linkA.modelLabel ?? c.modelNameA],
      ['link A', c.linkA.reason],
      ['hook A', c.hookNameA, { mono: true }],
      ['model B', c.linkB.modelLabel ?? c.modelNameB],
      ['link B', c.linkB.reason],
      ['hook B', c.hookNameB, { mono: true }],
      ['d_in', c.dIn],
      ['d_sae', c.dSae],
      ['k', c.k],
    );
  }
  if (item.model) {
    const m = item.model;
    rows.push(
      ['architecture', m.architecture],
      ['config name', m.configName ?? undefined, { mono: true }],
      ['layers', m.nLayers],
      ['d_model', m.dModel],
      ['heads', m.nHeads],
      ['vocab', m.dVocab],
      ['context', m.nCtx],
      ['parameters', m.params == null ? null : `${formatCount(m.params)} (${m.params.toLocaleString('en-US')})`],
      ['weights', m.weightFormat],
    );
  }
  if (item.dataset) rows.push(['formats', item.dataset.formats.join(', ')], ['rows', item.dataset.rows?.toLocaleString('en-US') ?? 'unknown'], ['data files', item.dataset.dataFiles.join('\n'), { mono: true }]);
  const actions = actionLinks(item);
  return (
    <div className="item-detail">
      <div className="md-head">
        <h2>{item.identity.label}</h2>
        <button className="link" onClick={onClose} aria-label="Close details">
          Close
        </button>
      </div>
      {actions.length > 0 && (
        <nav className="actions-row" aria-label="Actions">
          {actions.map((a) => (
            <a key={a.label} className="button" href={a.href} title={a.title}>
              {a.label}
            </a>
          ))}
        </nav>
      )}
      {item.problems.length > 0 && (
        <div className="warning-note" role="note">
          {item.problems.map((p) => (
            <div key={p}>⚠ {p}</div>
          ))}
        </div>
      )}
      <DetailList label="Details" rows={rows} />
      {item.kind === 'sae' && item.sae && <LinkByHand item={item} models={models} />}
    </div>
  );
}

/** Tie an SAE to a model of its width by hand (kept across scans), or forget that link. */
function LinkByHand({ item, models }: { item: LibraryItem; models: LibraryItem[] }) {
  const client = useClient();
  const sae = item.sae!;
  const fitting = models.filter((m) => sae.dIn == null || m.model?.dModel == null || m.model.dModel === sae.dIn);
  const [model, setModel] = useState(sae.link.modelPath ?? fitting[0]?.path ?? '');
  const [error, setError] = useState<unknown>(null);
  const link = (modelPath: string | null) => client.call('library.linkSae', { saePath: item.path, modelPath }).then(() => setError(null), setError);
  return (
    <div>
      <h3>Link to a model by hand</h3>
      {fitting.length === 0 ? (
        <p className="muted small">No model in the Library has d_model {sae.dIn}.</p>
      ) : (
        <div className="link-form">
          <select aria-label="Model to link" value={model} onChange={(e) => setModel(e.target.value)}>
            {fitting.map((m) => (
              <option key={m.id} value={m.path}>
                {m.identity.label}
              </option>
            ))}
          </select>
          <button onClick={() => void link(model)} disabled={!model || (sae.link.evidence === 'manual' && sae.link.modelPath === model)}>
            Link
          </button>
          {sae.link.evidence === 'manual' && <button onClick={() => void link(null)}>Unlink</button>}
        </div>
      )}
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
    </div>
  );
}
