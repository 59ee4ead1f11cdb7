import { expect } from 'vitest';
import type { Db } from '../../db/connection';
import { indexFile, openIndexDb } from '../indexDatabase';

/** Every table of an index file as rows (row ids left out, blobs as hex), for comparing two indexes table by table. */
export function indexTables(home: string, id: string): Record<string, unknown[]> {
  const db: Db = openIndexDb(indexFile(home, id), { readonly: true });
  try {
    const out: Record<string, unknown[]> = {};
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('meta', 'build_state', 'checksums') ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['blocks', 'examples', 'feature_stats', 'histograms', 'intervals', 'logit_effects', 'neighbours']));
    for (const t of tables) {
      out[t] = db.prepare(`SELECT * FROM ${t}`).all().map((r) => {
        const row = { ...(r as Record<string, unknown>) };
        delete row.id;
        for (const [k, v] of Object.entries(row)) if (Buffer.isBuffer(v)) row[k] = v.toString('hex');
        return row;
      });
    }
    return out;
  } finally {
    db.close();
  }
}
