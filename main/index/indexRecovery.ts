/**
 * Index files the app database does not list, registered again from the files themselves: after
 * an app database was lost (moved aside when damaged or emptied), the indexes in <home>/index are
 * not lost with it. A finished index file says what it was built from (its meta: parameters,
 * provenance, labels, shape) and what it holds (its summary, or for files from before summaries,
 * its build state). Files whose build never finished are left alone and reported.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { IndexBuildParams } from '../../preload/api';
import type { Db } from '../db/connection';
import { WorkbenchError } from '../errors';
import { FeatureAccumulator } from './featureAccumulator';
import { indexFileBytes, indexRoot, IndexStore } from './indexDatabase';
import { IndexRegistry, type IndexProvenance, type IndexRecord } from './indexRegistry';

export interface RecoveryReport {
  /** Ids registered again. */
  registered: string[];
  /** Index files left unregistered, and why. */
  skipped: { file: string; why: string }[];
}

/** Register every finished index file of the home that the registry does not list. */
export function registerIndexFiles(home: string, db: Db): RecoveryReport {
  const registry = new IndexRegistry(db);
  const known = new Set(registry.list().map((r) => r.id));
  const report: RecoveryReport = { registered: [], skipped: [] };
  let names: string[];
  try {
    names = fs.readdirSync(indexRoot(home)).filter((n) => /^ix-[0-9a-f]+\.sqlite$/.test(n)).sort();
  } catch {
    return report;
  }
  for (const name of names) {
    const id = name.slice(0, -'.sqlite'.length);
    if (known.has(id)) continue;
    const file = path.join(indexRoot(home), name);
    try {
      registerOne(registry, id, file);
      report.registered.push(id);
    } catch (err) {
      report.skipped.push({ file, why: err instanceof Error ? err.message : String(err) });
    }
  }
  return report;
}

function registerOne(registry: IndexRegistry, id: string, file: string): void {
  const store = IndexStore.open(file);
  try {
    const meta = <T>(key: string) => store.meta<T>(key);
    if (meta<string>('indexId') !== id) throw new WorkbenchError('INDEX_RECOVERY', `${file} holds the index ${meta<string>('indexId')}, not ${id}.`, 'Rename it back to its id, or remove it.');
    const provenance = meta<IndexProvenance>('provenance');
    const shape = meta<{ dSae: number; topN: number }>('shape');
    const summary = summaryOf(store, shape);
    if (!summary) throw new WorkbenchError('INDEX_RECOVERY', `${file} is an index whose build never finished.`, 'Remove the file, or build the index again.');
    const params = meta<IndexBuildParams>('params');
    const { mtimeMs } = fs.statSync(file);
    registry.insert({
      id,
      jobId: null,
      modelPath: provenance.model.root,
      saePath: provenance.sae.root,
      datasetPath: provenance.dataset.root,
      hookName: meta<string>('hookName'),
      dSae: shape.dSae,
      corpusId: meta<string>('corpusId'),
      labels: meta<IndexRecord['labels']>('labels'),
      params,
      provenance,
      createdAt: Math.round(mtimeMs),
    });
    registry.markReady(id, { ...summary, dbBytes: indexFileBytes(file) });
  } finally {
    store.close();
  }
}

/** What a finished file holds: its summary (written when sealed), or from an older file's build state. */
function summaryOf(store: IndexStore, shape: { dSae: number; topN: number }): { tokens: number; documents: number; skippedRows: number; tokensPerSecond: number } | null {
  if (store.checked) {
    try {
      return store.meta('summary');
    } catch {
      return null;
    }
  }
  return store.read(() => {
    const stats = (store.db.prepare('SELECT count(*) AS n FROM feature_stats').get() as { n: number }).n;
    const state = store.db.prepare('SELECT documents, skipped, accumulator FROM build_state WHERE id = 1').get() as { documents: number; skipped: number; accumulator: Buffer } | undefined;
    if (!state || stats !== shape.dSae) return null;
    const tokens = FeatureAccumulator.deserialize(state.accumulator, shape.dSae, shape.topN).tokens;
    return { tokens, documents: state.documents, skippedRows: state.skipped, tokensPerSecond: 0 };
  });
}
