import { useMemo, useState } from 'react';
import { SeriesPlot } from '../charts/SeriesPlot';
import { describeValue, formatScalar, isCellValue, sortRows, toTables, type JsonTable } from './jsonTables';
import { formatBytes } from '../../../../preload/api';

const PAGE_ROWS = 100;

/** Any JSON value as tables; nested values open in place, as tables again. */
export function JsonTableView({ value, title = '' }: { value: unknown; title?: string }) {
  const tables = useMemo(() => toTables(value, title), [value, title]);
  return (
    <div className="json-tables">
      {tables.map((t, i) => (
        <JsonTableBlock key={`${t.title}-${i}`} table={t} />
      ))}
    </div>
  );
}

/** A long numeric list: a small plot and its summary; the values as a table on request. */
function SeriesBlock({ table, series }: { table: JsonTable; series: number[] }) {
  const [showValues, setShowValues] = useState(false);
  const stats = useMemo(() => {
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const v of series) {
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
    }
    return { min, max, mean: sum / series.length };
  }, [series]);
  return (
    <div className="json-table-block series-block">
      <div className="series-head">
        {table.title ? <h3 className="json-table-title">{table.title}</h3> : <span />}
        <span className="muted small">
          {series.length} values · min {formatScalar(stats.min)} · mean {formatScalar(stats.mean)} · max {formatScalar(stats.max)}
        </span>
      </div>
      <SeriesPlot values={series} label={`Plot of ${table.title || 'values'}`} />
      <button className="link" aria-expanded={showValues} onClick={() => setShowValues((v) => !v)}>
        {showValues ? 'Hide values' : 'Show values'}
      </button>
      {showValues && <JsonTableBlock table={{ ...table, series: undefined, title: '' }} />}
    </div>
  );
}

function JsonTableBlock({ table }: { table: JsonTable }) {
  if (table.series) return <SeriesBlock table={table} series={table.series} />;
  return <RowsTable table={table} />;
}

function RowsTable({ table }: { table: JsonTable }) {
  const [sort, setSort] = useState<{ column: number; direction: 1 | -1 } | null>(null);
  const [showAll, setShowAll] = useState(false);
  const rows = useMemo(() => (sort ? sortRows(table.rows, sort.column, sort.direction) : table.rows), [table.rows, sort]);
  const visible = showAll ? rows : rows.slice(0, PAGE_ROWS);
  const toggleSort = (column: number) => setSort((s) => (s?.column === column ? (s.direction === 1 ? { column, direction: -1 } : null) : { column, direction: 1 }));
  return (
    <div className="json-table-block">
      {table.title && <h3 className="json-table-title">{table.title}</h3>}
      <table className="json-table" aria-label={table.title || 'values'}>
        <thead>
          <tr>
            {table.columns.map((c, i) => (
              <th key={`${c}-${i}`} onClick={() => toggleSort(i)} title="Sort by this column" aria-sort={sort?.column === i ? (sort.direction === 1 ? 'ascending' : 'descending') : undefined}>
                {c}
                {sort?.column === i ? (sort.direction === 1 ? ' ▲' : ' ▼') : ''}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {visible.map((row, r) => (
            <tr key={r}>
              {row.map((cell, c) => (
                <td key={c} className={typeof cell === 'number' ? 'num' : undefined}>
                  <JsonCell value={cell} field={table.columns[c] === 'value' && c > 0 ? String(row[0]) : table.columns[c]} title={`${table.title ? `${table.title}.` : ''}${String(row[0])}.${table.columns[c]}`} />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length > PAGE_ROWS && (
        <button className="link" onClick={() => setShowAll((v) => !v)}>
          {showAll ? `Show the first ${PAGE_ROWS} rows` : `Show all ${rows.length} rows`}
        </button>
      )}
    </div>
  );
}

/** Fields that hold byte counts (totalBytes, size, sizeBytes): shown in the app's one size unit, exact count on hover. */
const BYTE_FIELD = /bytes$|^size$/i;

function JsonCell({ value, title, field }: { value: unknown; title: string; field: string }) {
  const [open, setOpen] = useState(false);
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && BYTE_FIELD.test(field)) return <span title={`${value.toLocaleString('en-US')} bytes`}>{formatBytes(value)}</span>;
  if (value === undefined || isCellValue(value)) return <>{formatScalar(value)}</>;
  return (
    <div className="json-nested">
      <button className="link" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        {open ? '▾' : '▸'} {describeValue(value)}
      </button>
      {open && <JsonTableView value={value} title={title} />}
    </div>
  );
}
