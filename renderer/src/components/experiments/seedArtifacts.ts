/**
 * The seed's own result files (causal_nulls_per_seed.json, deepdive_steering.json,
 * three_probes.json), whatever their exact keys: recognised by shape and key names so they can
 * be drawn beside the experiments computed here. Anything not recognised stays a table.
 */
export type Scalar = string | number | boolean | null;

export interface SeedNullRow {
  seed: string;
  effect: number;
  nullMean: number | null;
  /** The spread the file records around its null mean (its sd or std), as recorded. */
  nullSpread: number | null;
  z: number | null;
}

export interface SeedSweep {
  xKey: string;
  series: { key: string; points: { x: number; y: number }[] }[];
}

export interface SeedProbeRow {
  name: string;
  accuracy: number;
  auroc: number | null;
}

export type SeedArtifactShape = { kind: 'nulls'; rows: SeedNullRow[] } | { kind: 'sweep'; sweep: SeedSweep } | { kind: 'probes'; rows: SeedProbeRow[] } | { kind: 'unknown' };

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function findKey(rec: Record<string, unknown>, pattern: RegExp, exclude?: RegExp): string | undefined {
  return Object.keys(rec).find((k) => pattern.test(k) && (!exclude || !exclude.test(k)) && isNum(rec[k]));
}

/** Keyed records: a dict of records, or an array of records (keyed by a name/seed field or index). */
function keyedRecords(v: unknown): [string, Record<string, unknown>][] | null {
  if (Array.isArray(v) && v.length > 0 && v.every(isRecord)) {
    return v.map((r, i) => {
      const k = ['seed', 'name', 'probe', 'label', 'id'].find((f) => f in r);
      return [k ? String(r[k]) : String(i), r];
    });
  }
  if (isRecord(v)) {
    const entries = Object.entries(v);
    if (entries.length > 0 && entries.every(([, r]) => isRecord(r))) return entries as [string, Record<string, unknown>][];
  }
  return null;
}

function asNulls(v: unknown): SeedNullRow[] | null {
  const recs = keyedRecords(v);
  if (!recs) return null;
  const rows: SeedNullRow[] = [];
  for (const [seed, r] of recs) {
    const effect = findKey(r, /effect|delta|diff|ablat/i, /null/i);
    const mean = findKey(r, /null.*mean|mean.*null|^null$/i);
    if (!effect || !mean) return null;
    const spread = findKey(r, /null.*(std|sd|sem|err)|(std|sd|sem).*null/i);
    const z = findKey(r, /^z$|z_?score/i);
    rows.push({ seed, effect: r[effect] as number, nullMean: r[mean] as number, nullSpread: spread ? (r[spread] as number) : null, z: z ? (r[z] as number) : null });
  }
  return rows;
}

const X_KEYS = /^(alpha|alphas|strength|strengths|coef|coeff|scale|c|steering_strength|multiplier)$/i;

function asSweep(v: unknown): SeedSweep | null {
  if (isRecord(v)) {
    const arrays = Object.entries(v).filter(([, a]) => Array.isArray(a) && a.length > 1 && a.every(isNum)) as [string, number[]][];
    const x = arrays.find(([k]) => X_KEYS.test(k));
    if (!x) return null;
    const series = arrays
      .filter(([k, a]) => k !== x[0] && a.length === x[1].length && new Set(a).size > 1)
      .map(([key, a]) => ({ key, points: a.map((y, i) => ({ x: x[1][i], y })) }));
    return series.length ? { xKey: x[0], series } : null;
  }
  if (Array.isArray(v) && v.length > 1 && v.every(isRecord)) {
    const xKey = Object.keys(v[0]).find((k) => X_KEYS.test(k) && v.every((r) => isNum(r[k])));
    if (!xKey) return null;
    const keys = Object.keys(v[0]).filter((k) => k !== xKey && v.every((r) => isNum(r[k])));
    const series = keys.map((key) => ({ key, points: v.map((r) => ({ x: r[xKey] as number, y: r[key] as number })) })).filter((s) => new Set(s.points.map((p) => p.y)).size > 1);
    return series.length ? { xKey, series } : null;
  }
  return null;
}

function asProbes(v: unknown): SeedProbeRow[] | null {
  const recs = keyedRecords(v);
  if (!recs) return null;
  const rows: SeedProbeRow[] = [];
  for (const [name, r] of recs) {
    const acc = findKey(r, /^(acc|accuracy|test_acc|test_accuracy|heldout_acc.*)$/i);
    if (!acc) return null;
    const auc = findKey(r, /auc|auroc/i);
    rows.push({ name, accuracy: r[acc] as number, auroc: auc ? (r[auc] as number) : null });
  }
  return rows;
}

/** The value itself, then its fields one level down (e.g. {"task": ..., "probes": {...}}). */
function candidates(value: unknown): unknown[] {
  return [value, ...(isRecord(value) ? Object.values(value) : [])];
}

export function detectSeedArtifact(value: unknown): SeedArtifactShape {
  for (const c of candidates(value)) {
    const nulls = asNulls(c);
    if (nulls) return { kind: 'nulls', rows: nulls };
  }
  for (const c of candidates(value)) {
    const sweep = asSweep(c);
    if (sweep) return { kind: 'sweep', sweep };
  }
  for (const c of candidates(value)) {
    const probes = asProbes(c);
    if (probes) return { kind: 'probes', rows: probes };
  }
  return { kind: 'unknown' };
}
