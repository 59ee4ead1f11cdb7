/**
 * The app database's list of feature indexes (migration 300): what each index was built from,
 * its state and summary, and the provenance its staleness is judged by. The index data itself
 * lives in <home>/index/<id>.sqlite (indexDatabase.ts).
 */
import { randomBytes } from 'node:crypto';
import type { FeatureIndexInfo, FeatureIndexState, IndexBuildParams } from '../../preload/api';
import type { Db } from '../db/connection';
import { WorkbenchError } from '../errors';
import { hookLayerOf } from '../formats/saeConfig';
import type { InputIdentity } from '../provenance/inputFiles';

export interface IndexProvenance {
  appVersion: string;
  model: InputIdentity;
  sae: InputIdentity;
  dataset: InputIdentity;
  tokenizer: InputIdentity;
  textColumn: string | null;
  bos: boolean;
  contextSize: number;
}

export interface IndexRecord extends Omit<FeatureIndexInfo, 'stale'> {
  params: IndexBuildParams;
  provenance: IndexProvenance;
}

interface Row {
  id: string;
  job_id: string | null;
  state: FeatureIndexState;
  model_path: string;
  sae_path: string;
  dataset_path: string;
  hook_name: string;
  d_sae: number;
  corpus_id: string;
  labels: string;
  params: string;
  provenance: string;
  summary: string | null;
  error: string | null;
  created_at: number;
  finished_at: number | null;
}

export function newIndexId(): string {
  return `ix-${randomBytes(5).toString('hex')}`;
}

function toRecord(r: Row): IndexRecord {
  return {
    id: r.id,
    jobId: r.job_id,
    state: r.state,
    modelPath: r.model_path,
    saePath: r.sae_path,
    datasetPath: r.dataset_path,
    hookName: r.hook_name,
    layer: hookLayerOf(r.hook_name),
    dSae: r.d_sae,
    corpusId: r.corpus_id,
    labels: JSON.parse(r.labels),
    params: JSON.parse(r.params),
    provenance: JSON.parse(r.provenance),
    summary: r.summary ? JSON.parse(r.summary) : null,
    error: r.error ? JSON.parse(r.error) : null,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  };
}

export class IndexRegistry {
  constructor(private readonly db: Db) {}

  insert(rec: Omit<IndexRecord, 'layer' | 'summary' | 'error' | 'finishedAt' | 'state'>): IndexRecord {
    this.db
      .prepare(
        `INSERT INTO feature_indexes (id, job_id, state, model_path, sae_path, dataset_path, hook_name, d_sae, corpus_id, labels, params, provenance, created_at)
         VALUES (?, ?, 'building', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(rec.id, rec.jobId, rec.modelPath, rec.saePath, rec.datasetPath, rec.hookName, rec.dSae, rec.corpusId, JSON.stringify(rec.labels), JSON.stringify(rec.params), JSON.stringify(rec.provenance), rec.createdAt);
    return this.get(rec.id)!;
  }

  get(id: string): IndexRecord | null {
    const row = this.db.prepare('SELECT * FROM feature_indexes WHERE id = ?').get(id) as Row | undefined;
    return row ? toRecord(row) : null;
  }

  require(id: string): IndexRecord {
    const rec = this.get(id);
    if (!rec) throw new WorkbenchError('INDEX_NOT_FOUND', `There is no feature index "${id}".`, 'See `sae-workbench index list`, or the index picker on the Features page.');
    return rec;
  }

  list(): IndexRecord[] {
    return (this.db.prepare('SELECT * FROM feature_indexes ORDER BY created_at DESC, id').all() as Row[]).map(toRecord);
  }

  markReady(id: string, summary: NonNullable<IndexRecord['summary']>): void {
    this.db.prepare("UPDATE feature_indexes SET state = 'ready', summary = ?, error = NULL, finished_at = ? WHERE id = ?").run(JSON.stringify(summary), Date.now(), id);
  }

  markFailed(id: string, error: NonNullable<IndexRecord['error']>): void {
    this.db.prepare("UPDATE feature_indexes SET state = 'failed', error = ?, finished_at = ? WHERE id = ?").run(JSON.stringify(error), Date.now(), id);
  }

  /** A build resumed (after a pause, crash or retry) is building again. */
  markBuilding(id: string): void {
    this.db.prepare("UPDATE feature_indexes SET state = 'building', error = NULL, finished_at = NULL WHERE id = ?").run(id);
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM feature_indexes WHERE id = ?').run(id);
  }

  /** Corpora still referenced by some index (the others can be deleted). */
  corpusIds(): Set<string> {
    return new Set((this.db.prepare('SELECT DISTINCT corpus_id FROM feature_indexes').all() as { corpus_id: string }[]).map((r) => r.corpus_id));
  }
}
