import type { ReactNode } from 'react';
import type { LibraryItem } from '../../../../preload/api';
import { formatBytes, formatCount } from '../../format';
import { Breakable } from '../Breakable';

/** Where it comes from, without repeating the repo its name already starts with. */
function sourceLine(i: LibraryItem): string {
  const s = i.source;
  if (s.type === 'hub' && i.identity.label.startsWith(s.repoId)) return `HF ${s.repoType} @ ${s.refs.length ? s.refs.join(', ') : s.commit.slice(0, 8)}`;
  return i.identity.detail;
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

interface Column {
  header: string;
  cell: (item: LibraryItem) => ReactNode;
  /** Right-aligned figures. */
  numeric?: boolean;
  className?: string;
  title?: (item: LibraryItem) => string | undefined;
}

/** The item's name, where it came from, and what is wrong with it: the first cell of every table. */
const nameColumn = (header: string): Column => ({
  header,
  cell: (i) => (
    <>
      <div className="item-name">
        <Breakable text={i.identity.label} />
      </div>
      {/* Inside the demo bundle's group its origin goes without saying. */}
      {!i.identity.bundle && (
        <div className="muted small item-detail-line">
          <Breakable text={sourceLine(i)} />
        </div>
      )}
      <Problems item={i} />
    </>
  ),
});
const sizeColumn: Column = { header: 'Size', numeric: true, cell: (i) => formatBytes(i.sizeBytes) };

/** One Library table: a row per item, click to select. Every section is this with its own columns. */
function ItemTable({ label, columns, items, onSelect, selectedId, clickable = true }: { label: string; columns: Column[]; items: LibraryItem[]; onSelect: (item: LibraryItem) => void; selectedId: string | null; clickable?: boolean }) {
  return (
    <div className="table-scroll">
    <table className="library-table" aria-label={label}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c.header} className={c.numeric ? 'num' : undefined}>
              {c.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {items.map((i) => (
          <tr key={i.id} data-item-id={i.id} className={[i.id === selectedId ? 'selected' : '', clickable ? 'clickable' : ''].filter(Boolean).join(' ')} onClick={() => onSelect(i)}>
            {columns.map((c) => (
              <td key={c.header} className={[c.numeric ? 'num' : '', c.className ?? ''].filter(Boolean).join(' ') || undefined} title={c.title?.(i)}>
                {c.cell(i)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
    </div>
  );
}

type TableProps = { items: LibraryItem[]; onSelect: (item: LibraryItem) => void; selectedId: string | null };

const modelColumns: Column[] = [
  nameColumn('Model'),
  { header: 'Architecture', cell: (i) => i.model?.architecture ?? '–' },
  { header: 'Layers', numeric: true, cell: (i) => num(i.model?.nLayers) },
  { header: 'd_model', numeric: true, cell: (i) => num(i.model?.dModel) },
  { header: 'Heads', numeric: true, cell: (i) => num(i.model?.nHeads) },
  { header: 'Vocab', numeric: true, cell: (i) => num(i.model?.dVocab) },
  { header: 'Params', numeric: true, cell: (i) => formatCount(i.model?.params), title: (i) => (i.model?.params != null ? num(i.model.params) : undefined) },
  sizeColumn,
];

export function ModelsTable(props: TableProps) {
  return <ItemTable label="Models" columns={modelColumns} {...props} />;
}

const saeColumns: Column[] = [
  { header: 'Layer', numeric: true, cell: (i) => i.sae?.layer ?? '–' },
  nameColumn('SAE'),
  { header: 'Architecture', cell: (i) => i.sae?.architecture ?? '–' },
  { header: 'd_in', numeric: true, cell: (i) => num(i.sae?.dIn) },
  { header: 'd_sae', numeric: true, cell: (i) => num(i.sae?.dSae) },
  { header: 'k', numeric: true, cell: (i) => num(i.sae?.k) },
  { header: 'Hook', className: 'mono', cell: (i) => i.sae?.hookName ?? '–' },
  sizeColumn,
];

/** How a group's SAEs are tied to its model, in words: "linked by model_name", or why not. */
function linkSummary(saes: LibraryItem[]): string {
  const reasons = [...new Set(saes.map((i) => i.sae!.link.reason))];
  if (saes[0].sae!.link.modelItemId === null) return reasons.length === 1 ? reasons[0] : 'not linked to a model in the Library';
  const evidences = [...new Set(saes.map((i) => i.sae!.link.reason.split(':')[0]))];
  return evidences.join('; ');
}

/** SAEs grouped by the model they are linked to (or name), then by layer. */
export function SaeGroups({ items, onSelect, selectedId }: TableProps) {
  const groups = new Map<string, LibraryItem[]>();
  for (const i of items) {
    const key = i.sae?.link.modelItemId ?? `name:${i.sae?.groupModel || 'unknown model'}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  }
  const sorted = [...groups.values()].sort((a, b) => a[0].sae!.groupModel.localeCompare(b[0].sae!.groupModel));
  return (
    <>
      {sorted.map((saes) => {
        const model = saes[0].sae!.groupModel;
        return (
          <div key={model} className="sae-group" role="group" aria-label={`SAEs of ${model}`}>
            <h3>
              {model} <span className="muted small">· {linkSummary(saes)}</span>
            </h3>
            <ItemTable
              label={`SAEs for ${model}`}
              columns={saeColumns}
              items={[...saes].sort((a, b) => (a.sae?.layer ?? 1e9) - (b.sae?.layer ?? 1e9) || a.identity.label.localeCompare(b.identity.label))}
              onSelect={onSelect}
              selectedId={selectedId}
            />
          </div>
        );
      })}
    </>
  );
}

const crosscoderColumns: Column[] = [
  nameColumn('Crosscoder'),
  { header: 'Model A', cell: (i) => i.crosscoder?.linkA.modelLabel ?? i.crosscoder?.modelNameA ?? '–', title: (i) => i.crosscoder?.linkA.reason },
  { header: 'Model B', cell: (i) => i.crosscoder?.linkB.modelLabel ?? i.crosscoder?.modelNameB ?? '–', title: (i) => i.crosscoder?.linkB.reason },
  { header: 'Hook', className: 'mono', cell: (i) => (i.crosscoder?.hookNameA === i.crosscoder?.hookNameB ? i.crosscoder?.hookNameA : `${i.crosscoder?.hookNameA} / ${i.crosscoder?.hookNameB}`) ?? '–' },
  { header: 'd_in', numeric: true, cell: (i) => num(i.crosscoder?.dIn) },
  { header: 'd_sae', numeric: true, cell: (i) => num(i.crosscoder?.dSae) },
  { header: 'k', numeric: true, cell: (i) => num(i.crosscoder?.k) },
  sizeColumn,
];

/** Crosscoders: one dictionary over two models, each side linked to its Library model. */
export function CrosscodersTable(props: TableProps) {
  return <ItemTable label="Crosscoders" columns={crosscoderColumns} {...props} />;
}

const datasetColumns: Column[] = [
  nameColumn('Dataset'),
  { header: 'Formats', cell: (i) => i.dataset?.formats.join(', ') },
  { header: 'Files', cell: (i) => i.dataset?.dataFiles.length, title: (i) => i.dataset?.dataFiles.join('\n') },
  { header: 'Rows', numeric: true, cell: (i) => num(i.dataset?.rows) },
  sizeColumn,
];

export function DatasetsTable(props: TableProps) {
  return <ItemTable label="Datasets" columns={datasetColumns} {...props} />;
}

export function ResultsTable({ items, onOpen, openId }: { items: LibraryItem[]; onOpen: (item: LibraryItem) => void; openId: string | null }) {
  const columns: Column[] = [
    nameColumn('Result file'),
    { header: 'Content', cell: (i) => i.result?.shape },
    sizeColumn,
    {
      header: '',
      cell: (i) => (
        <button onClick={(e) => (e.stopPropagation(), onOpen(i))} aria-label={`Open ${i.name}`}>
          Open
        </button>
      ),
    },
  ];
  return <ItemTable label="Results" columns={columns} items={items} onSelect={onOpen} selectedId={openId} clickable={false} />;
}
