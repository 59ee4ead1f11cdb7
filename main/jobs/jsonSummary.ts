/**
 * A bounded stand-in for a JSON value, for job lists and events: small values pass whole; long
 * arrays, long strings, objects with many keys and deep nesting are replaced by marker objects
 * ({"$summary": "array", length, first}) that say what was left out. Scalars beside them stay
 * as they are, so `params.repoId`, `params.keepPartialOnCancel` or `result.verdict` read the same
 * from a summary (top-level scalars survive even when everything else is cut).
 */

export interface JsonSummary {
  value: unknown;
  /** Whether anything was left out (the whole value is then only on jobs.get). */
  cut: boolean;
}

const ARRAY_ITEMS = 20;
const ARRAY_HEAD = 5;
const STRING_CHARS = 1024;
const STRING_HEAD = 200;
const OBJECT_KEYS = 50;
const OBJECT_HEAD = 10;
const DEPTH = 8;
/** Above this (after the cuts above), the summary is only the value's size. */
const SUMMARY_BYTES = 16 * 1024;

export function summariseJson(value: unknown): JsonSummary {
  let cut = false;
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') {
      if (v.length <= STRING_CHARS) return v;
      cut = true;
      return { $summary: 'string', length: v.length, start: v.slice(0, STRING_HEAD) };
    }
    if (v === null || typeof v !== 'object') return v;
    if (depth >= DEPTH) {
      cut = true;
      return { $summary: Array.isArray(v) ? 'array' : 'object', depth };
    }
    if (Array.isArray(v)) {
      if (v.length <= ARRAY_ITEMS) return v.map((x) => walk(x, depth + 1));
      cut = true;
      return { $summary: 'array', length: v.length, first: v.slice(0, ARRAY_HEAD).map((x) => walk(x, depth + 1)) };
    }
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length <= OBJECT_KEYS) return Object.fromEntries(entries.map(([k, x]) => [k, walk(x, depth + 1)]));
    cut = true;
    // At the top, the scalars stay readable by name (params.repoId, result.verdict) however many keys there are.
    return { $summary: 'object', keys: entries.length, first: Object.fromEntries(entries.slice(0, OBJECT_HEAD).map(([k, x]) => [k, walk(x, depth + 1)])), ...(depth === 0 ? topScalars(v) : {}) };
  };
  const summary = walk(value, 0);
  const bytes = JSON.stringify(summary ?? null).length;
  if (bytes <= SUMMARY_BYTES) return { value: summary, cut };
  // Still too large: keep the top-level scalars (a verdict, an id, a flag) and say how big the rest is.
  return { value: { $summary: 'value', bytes: JSON.stringify(value ?? null).length, ...topScalars(value) }, cut: true };
}

/** The first OBJECT_KEYS scalar fields of an object (short strings, numbers, booleans, null). */
function topScalars(value: unknown): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  const scalars = Object.entries(value).filter(([k, v]) => !k.startsWith('$') && (v === null || ['number', 'boolean'].includes(typeof v) || (typeof v === 'string' && v.length <= STRING_CHARS)));
  return Object.fromEntries(scalars.slice(0, OBJECT_KEYS));
}
