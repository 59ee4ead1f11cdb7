/**
 * Turn any JSON value into tables a person can read, whatever its schema: arrays of records
 * become one row per record, dicts of records one row per key, dicts of equal-length arrays one
 * row per index, scalars key/value rows. What does not fit a table cell stays a nested value the
 * viewer can expand (and tables again when it is).
 */
export type Scalar = string | number | boolean | null;

export interface JsonTable {
  title: string;
  /** The first column names the row: "#" for arrays, "key" for dicts. */
  columns: string[];
  rows: unknown[][];
  /** A long list of numbers: drawn as a small plot, its rows shown on request. */
  series?: number[];
}

/** Nested objects with at most this many leaves flatten into dotted columns (stats.t, stats.p). */
const MAX_FLAT_LEAVES = 12;
/** Arrays of scalars up to this length are shown inline in a cell. */
export const MAX_INLINE_ARRAY = 8;

export function isScalar(v: unknown): v is Scalar {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** A value that fits in one cell: a scalar or a short array of scalars. */
export function isCellValue(v: unknown): boolean {
  return isScalar(v) || (Array.isArray(v) && v.length <= MAX_INLINE_ARRAY && v.every(isScalar));
}

/** Flatten nested records into dotted keys while they stay small; bigger nests stay as values. */
export function flattenRecord(rec: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isRecord(v) && Object.keys(v).length > 0 && countLeaves(v) <= MAX_FLAT_LEAVES) Object.assign(out, flattenRecord(v, key));
    else out[key] = v;
  }
  return out;
}

function countLeaves(v: unknown): number {
  if (isRecord(v)) return Object.values(v).reduce<number>((n, x) => n + countLeaves(x), 0);
  return 1;
}

function unionColumns(records: Record<string, unknown>[]): string[] {
  const seen = new Set<string>();
  for (const r of records) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

function recordsTable(title: string, keyColumn: string, entries: [string, Record<string, unknown>][]): JsonTable {
  const flat = entries.map(([k, r]) => [k, flattenRecord(r)] as const);
  const columns = unionColumns(flat.map(([, r]) => r));
  return { title, columns: [keyColumn, ...columns], rows: flat.map(([k, r]) => [k, ...columns.map((c) => (c in r ? r[c] : undefined))]) };
}

const join = (title: string, key: string) => (title ? `${title}.${key}` : key);

export function toTables(value: unknown, title = ''): JsonTable[] {
  if (Array.isArray(value) && value.length === 0) return [{ title, columns: ['key', 'value'], rows: [[title || 'value', '(empty list)']] }];
  if (isCellValue(value)) return [{ title, columns: ['key', 'value'], rows: [[title || 'value', value]] }];

  if (Array.isArray(value) && value.length > MAX_INLINE_ARRAY && value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    return [{ title, columns: ['#', 'value'], rows: value.map((v, i) => [String(i), v]), series: value as number[] }];
  }

  if (Array.isArray(value)) {
    const records = value.filter(isRecord).length;
    if (records >= value.length * 0.8) {
      return [recordsTable(title, '#', value.map((v, i) => [String(i), isRecord(v) ? v : { value: v }]))];
    }
    if (value.every((v) => Array.isArray(v) && v.every(isScalar))) {
      const width = Math.max(...value.map((v) => (v as unknown[]).length));
      return [{ title, columns: ['#', ...Array.from({ length: width }, (_, j) => String(j))], rows: value.map((row, i) => [String(i), ...Array.from({ length: width }, (_, j) => (row as unknown[])[j])]) }];
    }
    return [{ title, columns: ['#', 'value'], rows: value.map((v, i) => [String(i), v]) }];
  }

  const rec = value as Record<string, unknown>;
  const entries = Object.entries(rec);
  if (entries.length === 0) return [{ title, columns: ['key', 'value'], rows: [[title || 'value', '(empty object)']] }];

  // A dict of records (one per seed, per feature...): one row per key.
  if (entries.length >= 2 && entries.every(([, v]) => isRecord(v)) && sharesKeys(entries.map(([, v]) => v as Record<string, unknown>))) {
    return [recordsTable(title, 'key', entries as [string, Record<string, unknown>][])];
  }
  // Columns: a dict of equal-length arrays of scalars.
  const lengths = entries.map(([, v]) => (Array.isArray(v) && v.every(isScalar) ? v.length : -1));
  if (entries.length >= 2 && lengths[0] > 1 && lengths.every((n) => n === lengths[0])) {
    const cols = entries.map(([k]) => k);
    return [{ title, columns: ['#', ...cols], rows: Array.from({ length: lengths[0] }, (_, i) => [String(i), ...entries.map(([, v]) => (v as unknown[])[i])]) }];
  }
  // Mixed: the simple values in one key/value table, each structured value its own section.
  const simple = entries.filter(([, v]) => isCellValue(v) || (isRecord(v) && Object.keys(v).length > 0 && Object.keys(v).length <= MAX_FLAT_LEAVES && Object.values(v).every(isCellValue)));
  const tables: JsonTable[] = [];
  if (simple.length > 0) {
    const rows: unknown[][] = [];
    for (const [k, v] of simple) {
      if (isRecord(v)) for (const [fk, fv] of Object.entries(flattenRecord(v, k))) rows.push([fk, fv]);
      else rows.push([k, v]);
    }
    tables.push({ title, columns: ['key', 'value'], rows });
  }
  for (const [k, v] of entries) if (!simple.some(([sk]) => sk === k)) tables.push(...toTables(v, join(title, k)));
  return tables;
}

/** Records "share keys" when most of their keys are common: then a table beats nested sections. */
function sharesKeys(records: Record<string, unknown>[]): boolean {
  const sets = records.map((r) => new Set(Object.keys(r)));
  const all = new Set(sets.flatMap((s) => [...s]));
  const common = [...all].filter((k) => sets.every((s) => s.has(k)));
  return common.length > 0 && common.length >= all.size / 2;
}

/** One line describing a nested value, for the collapsed cell. */
export function describeValue(v: unknown): string {
  if (Array.isArray(v)) return `list of ${v.length}`;
  if (isRecord(v)) return `object, ${Object.keys(v).length} keys`;
  return String(v);
}

/** Cell text for scalars and inline arrays; floats keep 6 significant digits. */
export function formatScalar(v: unknown): string {
  if (v === undefined) return '';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (Array.isArray(v)) return `[${v.map(formatScalar).join(', ')}]`;
  return String(v);
}

/** Sort rows by a column: numbers numerically, then strings, missing values last. */
export function sortRows(rows: unknown[][], column: number, direction: 1 | -1): unknown[][] {
  const rank = (v: unknown) => (typeof v === 'number' ? 0 : typeof v === 'string' || typeof v === 'boolean' ? 1 : 2);
  return [...rows].sort((a, b) => {
    const x = a[column];
    const y = b[column];
    const r = rank(x) - rank(y);
    if (r !== 0) return r;
    if (typeof x === 'number' && typeof y === 'number') return (x - y) * direction;
    if (rank(x) === 1) return String(x).localeCompare(String(y), undefined, { numeric: true }) * direction;
    return 0;
  });
}
