/**
 * Feature search over an index that also finds features by their label and note text: the id
 * first, then label matches, note matches, then features whose top examples peak on the token.
 */
import type { FeatureSearchHit } from '../../preload/api';
import type { Db } from '../db/connection';
import type { FeatureIndexReader } from '../index/indexReader';
import { FeatureLabelStore } from './featureLabelStore';
import { resolveLabelSae } from './labelService';

function snippet(text: string, query: string): string {
  const at = text.toLowerCase().indexOf(query.toLowerCase());
  const from = Math.max(0, at - 24);
  const to = Math.min(text.length, at + query.length + 24);
  return `${from > 0 ? '…' : ''}${text.slice(from, to).replace(/\s+/g, ' ')}${to < text.length ? '…' : ''}`;
}

export async function searchFeatures(db: Db, reader: FeatureIndexReader, query: string, limit = 100): Promise<FeatureSearchHit[]> {
  const q = query.trim();
  const byToken = reader.search(q, limit);
  const sae = await resolveLabelSae(db, { index: reader.record.id });
  const labelled = new FeatureLabelStore(db).search(sae.key, q, limit).map((l): FeatureSearchHit => {
    const inLabel = (l.label ?? '').toLowerCase().includes(q.toLowerCase());
    return { feature: l.feature, reason: inLabel ? `label "${l.label}"` : `note: ${snippet(l.note ?? '', q)}`, hits: 0, best: 0 };
  });
  const idHit = byToken.filter((h) => h.reason === 'feature id');
  const seen = new Set<number>();
  const out: FeatureSearchHit[] = [];
  for (const h of [...idHit, ...labelled, ...byToken]) {
    if (seen.has(h.feature)) continue;
    seen.add(h.feature);
    out.push(h);
  }
  return out.slice(0, limit);
}
