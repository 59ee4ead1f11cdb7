/**
 * Laying a diff produced elsewhere (the seed's feature_diff.json, whatever its keys) next to one
 * computed here: find the tables of feature records in the JSON, guess which column holds the
 * feature id and which the asymmetry-like value (the user can override), then compare the two
 * rankings: overlap, Spearman rank correlation on the shared features, features only one has.
 */
import { OVERLAY_ACCEPTS, type ArtifactOverlay, type ArtifactTable } from '../../preload/api';
import { WorkbenchError } from '../errors';

type Json = unknown;

const ID_NAMES = /^(feature|feature_id|feature_idx|latent|latent_id|feat|idx|index|id)$/i;
const VALUE_NAMES = /asym|ratio|fold|diff|score|rate|effect/i;

function isRecord(v: Json): v is Record<string, Json> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function columnsOf(rows: Record<string, Json>[]): ArtifactTable['columns'] {
  const names = [...new Set(rows.slice(0, 200).flatMap((r) => Object.keys(r)))];
  return names.map((name) => {
    const values = rows.slice(0, 200).map((r) => r[name]);
    const kind = values.every((v) => Number.isInteger(v)) ? 'int' : values.every((v) => typeof v === 'number' || v === null) ? 'number' : 'other';
    return { name, kind };
  });
}

/** Every array of records (or object keyed by integer ids) in the JSON, up to a few levels deep. */
export function findRecordTables(json: Json): ArtifactTable[] {
  const out: ArtifactTable[] = [];
  const visit = (v: Json, at: string[], depth: number) => {
    if (depth > 4) return;
    if (Array.isArray(v)) {
      const records = v.filter(isRecord);
      if (records.length >= 2 && records.length === v.length) out.push({ path: at, rows: records.length, columns: columnsOf(records) });
      return;
    }
    if (!isRecord(v)) return;
    const keys = Object.keys(v);
    if (keys.length >= 2 && keys.every((k) => /^\d+$/.test(k))) {
      // {"2504": {...}} or {"2504": 3.1}: the key is the feature id.
      const rows = keys.map((k) => (isRecord(v[k]) ? { feature: Number(k), ...(v[k] as Record<string, Json>) } : { feature: Number(k), value: v[k] }));
      out.push({ path: at, rows: rows.length, columns: columnsOf(rows), keyedById: true });
      return;
    }
    for (const k of keys) visit(v[k], [...at, k], depth + 1);
  };
  visit(json, [], 0);
  for (const t of out) {
    t.guessedId = t.columns.find((c) => c.kind === 'int' && ID_NAMES.test(c.name))?.name ?? t.columns.find((c) => c.kind === 'int')?.name ?? null;
    t.guessedValue = t.columns.find((c) => c.kind !== 'other' && c.name !== t.guessedId && VALUE_NAMES.test(c.name))?.name ?? t.columns.find((c) => c.kind !== 'other' && c.name !== t.guessedId)?.name ?? null;
  }
  return out;
}

/** One value in a few words: "number 255", "list of 64 numbers", "object with 9 keys". */
function shapeOf(v: Json): string {
  const kindOf = (x: Json) => (x === null ? 'null' : Array.isArray(x) ? 'list' : typeof x === 'object' ? 'object' : typeof x === 'string' ? 'text' : typeof x);
  if (Array.isArray(v)) {
    if (v.length === 0) return 'empty list';
    const kinds = new Set(v.map(kindOf));
    if (kinds.size > 1) return `list of ${v.length} mixed values`;
    return `list of ${v.length} ${[...kinds][0]}${v.length === 1 ? '' : 's'}`;
  }
  if (isRecord(v)) return `object with ${Object.keys(v).length} key${Object.keys(v).length === 1 ? '' : 's'}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `integer ${v}` : 'number';
  return kindOf(v);
}

/**
 * Why a JSON holds no table of feature records: what was looked for, what the top level holds
 * (each key and its shape), and the single features it names, if any (e.g. a ground truth's
 * adhdSaePlantedFeature: 255, which is a fact to check against, not a ranking).
 */
export function explainNoTable(json: Json, name: string): WorkbenchError {
  const MAX_KEYS = 16;
  let found: string;
  const named: string[] = [];
  if (isRecord(json)) {
    const keys = Object.keys(json);
    found = `an object with ${keys.length} key${keys.length === 1 ? '' : 's'}: ${keys.slice(0, MAX_KEYS).map((k) => `${k} (${shapeOf(json[k])})`).join(', ')}${keys.length > MAX_KEYS ? `, and ${keys.length - MAX_KEYS} more` : ''}`;
    for (const k of keys) if (/feature|latent/i.test(k) && Number.isInteger(json[k])) named.push(`${k} = ${String(json[k])}`);
  } else found = shapeOf(json);
  const single = named.length ? `It names single features (${named.join(', ')}): facts to check, not a ranking to lay next to the diff; find them in the diff's table or open them on the Features page. ` : '';
  return new WorkbenchError(
    'ARTIFACT_NO_TABLE',
    `${name} has no table of feature records (no list of 2 or more objects, and no object keyed by feature ids, down to 4 levels). It holds ${found}.`,
    `${single}The overlay reads ${OVERLAY_ACCEPTS}, e.g. the seed's feature_diff.json.`,
  );
}

export function tableRows(json: Json, table: Pick<ArtifactTable, 'path' | 'keyedById'>): Record<string, Json>[] {
  let v: Json = json;
  for (const k of table.path) v = isRecord(v) ? v[k] : undefined;
  if (table.keyedById && isRecord(v)) return Object.keys(v).map((k) => (isRecord(v[k]) ? { feature: Number(k), ...(v[k] as Record<string, Json>) } : { feature: Number(k), value: v[k] }));
  if (Array.isArray(v)) return v.filter(isRecord);
  throw new WorkbenchError('ARTIFACT_TABLE_MISSING', `The artifact has no table at ${table.path.join('.') || '(top level)'}.`, 'Pick one of the tables the artifact viewer lists.');
}

/** Ranks 1..n with ties given their average rank. */
export function averageRanks(values: number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(values.length);
  for (let s = 0; s < order.length; ) {
    let e = s;
    while (e + 1 < order.length && order[e + 1].v === order[s].v) e++;
    const rank = (s + e) / 2 + 1;
    for (let j = s; j <= e; j++) ranks[order[j].i] = rank;
    s = e + 1;
  }
  return ranks;
}

/** Spearman's rho: the Pearson correlation of the average ranks (null below 3 pairs or with no spread). */
export function spearman(x: number[], y: number[]): number | null {
  if (x.length !== y.length || x.length < 3) return null;
  const rx = averageRanks(x);
  const ry = averageRanks(y);
  const n = x.length;
  const mx = rx.reduce((s, v) => s + v, 0) / n;
  const my = ry.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) ** 2;
    syy += (ry[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : null;
}

/**
 * Ours (feature -> asymmetry, the diff's rows) against theirs (feature -> value). `topN` sets the
 * size of the two top lists whose overlap is counted.
 */
export function overlayRankings(ours: { feature: number; value: number }[], theirs: { feature: number; value: number }[], topN: number): Omit<ArtifactOverlay, 'idField' | 'valueField' | 'path'> {
  const mine = new Map(ours.map((r) => [r.feature, r.value]));
  const other = new Map(theirs.map((r) => [r.feature, r.value]));
  const shared = [...mine.keys()].filter((f) => other.has(f));
  const top = (rows: { feature: number; value: number }[]) => new Set([...rows].sort((a, b) => b.value - a.value || a.feature - b.feature).slice(0, topN).map((r) => r.feature));
  const topOurs = top(ours);
  const topTheirs = top(theirs);
  return {
    ours: ours.length,
    theirs: theirs.length,
    shared: shared.length,
    topN,
    topOverlap: [...topOurs].filter((f) => topTheirs.has(f)).length,
    spearman: spearman(
      shared.map((f) => mine.get(f)!),
      shared.map((f) => other.get(f)!),
    ),
    onlyOurs: [...topOurs].filter((f) => !other.has(f)).sort((a, b) => a - b),
    onlyTheirs: [...topTheirs].filter((f) => !mine.has(f)).sort((a, b) => a - b),
  };
}
