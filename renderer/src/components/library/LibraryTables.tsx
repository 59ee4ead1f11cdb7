import type { LibraryItem } from '../../../../preload/api';
import { formatBytes } from '../../format';

function sourceLabel(i: LibraryItem): string {
  if (i.source.type === 'local') return i.source.root === i.path ? 'local' : `local: ${i.source.root}`;
  const at = i.source.refs.length ? i.source.refs.join(', ') : i.source.commit.slice(0, 8);
  return `${i.source.repoId}${i.source.pathInRepo && i.kind !== 'sae' ? `/${i.source.pathInRepo}` : ''} @ ${at}`;
}

function Problems({ item }: { item: LibraryItem }) {
  if (item.problems.length === 0) return null;
  return (
    <div className="small warn-text" title={item.problems.join('\n')}>
      ⚠ {item.problems.join('; ')}
    </div>
  );
}

const num = (n: number | null | undefined) => (n == null ? '–' : n.toLocaleString('en-US'));

function formatParams(n: number | null): string {
  if (n == null) return '–';
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

export function ModelsTable({ items, onSelect, selectedId }: { items: LibraryItem[]; onSelect: (item: LibraryItem) => void; selectedId: string | null }) {
  return (
    <table className="library-table" aria-label="Models">
      <thead>
        <tr>
          <th>Model</th>
          <th>Architecture</th>
          <th>Layers</th>
          <th>d_model</th>
          <th>Heads</th>
          <th>Vocab</th>
          <th>Params</th>
          <th>Size</th>
        </tr>
      </thead>
      <tbody>
        {items.map((i) => (
          <tr key={i.id} data-item-id={i.id} className={i.id === selectedId ? 'selected clickable' : 'clickable'} onClick={() => onSelect(i)}>
            <td>
              <div className="item-name">{i.name}</div>
              <div className="muted small">{sourceLabel(i)}</div>
              <Problems item={i} />
            </td>
            <td>{i.model?.architecture ?? '–'}</td>
            <td className="num">{num(i.model?.nLayers)}</td>
            <td className="num">{num(i.model?.dModel)}</td>
            <td className="num">{num(i.model?.nHeads)}</td>
            <td className="num">{num(i.model?.dVocab)}</td>
            <td className="num" title={i.model?.params != null ? num(i.model.params) : undefined}>
              {formatParams(i.model?.params ?? null)}
            </td>
            <td className="num">{formatBytes(i.sizeBytes)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** SAEs grouped by the model they belong to, then by layer. */
export function SaeGroups({ items, onSelect, selectedId }: { items: LibraryItem[]; onSelect: (item: LibraryItem) => void; selectedId: string | null }) {
  const groups = new Map<string, LibraryItem[]>();
  for (const i of items) {
    const key = i.sae?.groupModel || 'unknown model';
    groups.set(key, [...(groups.get(key) ?? []), i]);
  }
  const sorted = [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
  return (
    <>
      {sorted.map(([model, saes]) => (
        <div key={model} className="sae-group" role="group" aria-label={`SAEs of ${model}`}>
          <h3>
            {model} <span className="muted small">{saes[0].sae?.modelItemId ? '' : '(model not in the Library)'}</span>
          </h3>
          <table className="library-table" aria-label={`SAEs for ${model}`}>
            <thead>
              <tr>
                <th>Layer</th>
                <th>SAE</th>
                <th>Architecture</th>
                <th>d_in</th>
                <th>d_sae</th>
                <th>k</th>
                <th>Hook</th>
                <th>Size</th>
              </tr>
            </thead>
            <tbody>
              {[...saes]
                .sort((a, b) => (a.sae?.layer ?? 1e9) - (b.sae?.layer ?? 1e9) || a.name.localeCompare(b.name))
                .map((i) => (
                  <tr key={i.id} data-item-id={i.id} className={i.id === selectedId ? 'selected clickable' : 'clickable'} onClick={() => onSelect(i)}>
                    <td className="num">{i.sae?.layer ?? '–'}</td>
                    <td>
                      <div className="item-name">{i.name}</div>
                      <div className="muted small">{sourceLabel(i)}</div>
                      <Problems item={i} />
                    </td>
                    <td>{i.sae?.architecture ?? '–'}</td>
                    <td className="num">{num(i.sae?.dIn)}</td>
                    <td className="num">{num(i.sae?.dSae)}</td>
                    <td className="num">{num(i.sae?.k)}</td>
                    <td className="mono">{i.sae?.hookName ?? '–'}</td>
                    <td className="num">{formatBytes(i.sizeBytes)}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      ))}
    </>
  );
}

export function DatasetsTable({ items, onSelect, selectedId }: { items: LibraryItem[]; onSelect: (item: LibraryItem) => void; selectedId: string | null }) {
  return (
    <table className="library-table" aria-label="Datasets">
      <thead>
        <tr>
          <th>Dataset</th>
          <th>Formats</th>
          <th>Files</th>
          <th>Rows</th>
          <th>Size</th>
        </tr>
      </thead>
      <tbody>
        {items.map((i) => (
          <tr key={i.id} data-item-id={i.id} className={i.id === selectedId ? 'selected clickable' : 'clickable'} onClick={() => onSelect(i)}>
            <td>
              <div className="item-name">{i.name}</div>
              <div className="muted small">{sourceLabel(i)}</div>
            </td>
            <td>{i.dataset?.formats.join(', ')}</td>
            <td title={i.dataset?.dataFiles.join('\n')}>{i.dataset?.dataFiles.length}</td>
            <td className="num">{num(i.dataset?.rows)}</td>
            <td className="num">{formatBytes(i.sizeBytes)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ResultsTable({ items, onOpen, openId }: { items: LibraryItem[]; onOpen: (item: LibraryItem) => void; openId: string | null }) {
  return (
    <table className="library-table" aria-label="Results">
      <thead>
        <tr>
          <th>Result file</th>
          <th>Content</th>
          <th>Size</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        {items.map((i) => (
          <tr key={i.id} data-item-id={i.id} className={i.id === openId ? 'selected' : ''} onClick={() => onOpen(i)}>
            <td>
              <div className="item-name">{i.name}</div>
              <div className="muted small">{sourceLabel(i)}</div>
            </td>
            <td>{i.result?.shape}</td>
            <td className="num">{formatBytes(i.sizeBytes)}</td>
            <td>
              <button onClick={(e) => (e.stopPropagation(), onOpen(i))} aria-label={`Open ${i.name}`}>
                Open
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
