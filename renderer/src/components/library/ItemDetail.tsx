import type { LibraryItem } from '../../../../preload/api';
import { formatBytes } from '../../format';

type Row = [string, string | number | boolean | null | undefined];

/** The facts the Library holds about one model, SAE or dataset, as key/value rows. */
export function ItemDetail({ item, onClose }: { item: LibraryItem; onClose: () => void }) {
  const src = item.source;
  const rows: Row[] = [
    ['kind', item.kind],
    ['path', item.path],
    ...(src.type === 'hub'
      ? ([
          ['repo', `${src.repoType === 'dataset' ? 'datasets/' : ''}${src.repoId}`],
          ['path in repo', src.pathInRepo || '(root)'],
          ['commit', src.commit],
          ['refs', src.refs.join(', ') || '(none)'],
        ] as Row[])
      : ([['added folder', src.root]] as Row[])),
    ['files', item.fileCount],
    ['size', formatBytes(item.sizeBytes)],
  ];
  if (item.sae) {
    const s = item.sae;
    rows.push(
      ['architecture', s.architecture],
      ['d_in', s.dIn],
      ['d_sae', s.dSae],
      ['k', s.k],
      ['hook', s.hookName],
      ['layer', s.layer],
      ['model (cfg model_name)', s.modelName],
      ['belongs to', s.modelItemId ? s.groupModel : `${s.groupModel} (not in the Library)`],
      ['folder variant', s.variant],
      ['cfg generation', s.cfgGeneration],
      ['dtype', s.dtype],
      ['normalize_activations', s.normalizeActivations],
      ['sparsity.safetensors', s.hasSparsity],
    );
  }
  if (item.model) {
    const m = item.model;
    rows.push(['architecture', m.architecture], ['layers', m.nLayers], ['d_model', m.dModel], ['heads', m.nHeads], ['vocab', m.dVocab], ['context', m.nCtx], ['parameters', m.params?.toLocaleString('en-US')], ['weights', m.weightFormat]);
  }
  if (item.dataset) rows.push(['formats', item.dataset.formats.join(', ')], ['rows', item.dataset.rows?.toLocaleString('en-US') ?? 'unknown'], ['data files', item.dataset.dataFiles.join('\n')]);
  return (
    <div className="panel item-detail" role="region" aria-label={`Details of ${item.name}`}>
      <div className="artifact-head">
        <h2>{item.name}</h2>
        <button className="link" onClick={onClose} aria-label="Close details">
          Close
        </button>
      </div>
      <table className="json-table" aria-label="Details">
        <tbody>
          {rows
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => (
              <tr key={k}>
                <th scope="row">{k}</th>
                <td className="detail-value">{v === null ? '–' : String(v)}</td>
              </tr>
            ))}
        </tbody>
      </table>
      {item.problems.length > 0 && (
        <div className="warn-text small" role="note">
          {item.problems.map((p) => (
            <div key={p}>⚠ {p}</div>
          ))}
        </div>
      )}
    </div>
  );
}
