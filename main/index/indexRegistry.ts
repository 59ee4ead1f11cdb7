/**
 * The app database's list of feature indexes (migration 300): what each index was built from,
 * its state and summary, and the provenance its staleness is judged by. The index data itself
 * lives in <home>/index/<id>.sqlite (indexDatabase.ts).
 */
import { randomBytes } from 'node:crypto';
import type { FeatureIndexInfo, FeatureIndexState, IndexBuildParams } from '../../preload/api';
import type { Db } from '../db/connection';
import { damageError, StoreDamage } from '../db/sqliteFile';
import { WorkbenchError } from '../errors';
import { hookLayerOf } from '../formats/saeConfig';
import type { InputIdentity } from '../provenance/inputFiles';
import { crcOfRows, requireCrc } from './storeChecksums';

export interface IndexProvenance {
  appVersion: string;
  model: InputIdentity;
  sae: InputIdentity;
  dataset: InputIdentity;
  tokenizer: InputIdentity;
  textColumn: string | null;
  bos: boolean;
  contextSize: number;
  /** Crosscoder indexes: model A (the index's model is B). */
  modelA?: InputIdentity;
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
  /** Null for rows written before checksums (migration 301). */
  crc: number | null;
}

const COLUMNS = ['id', 'job_id', 'state', 'model_path', 'sae_path', 'dataset_path', 'hook_name', 'd_sae', 'corpus_id', 'labels', 'params', 'provenance', 'summary', 'error', 'created_at', 'finished_at'] as const;

function rowCrc(r: Row): number {
  return crcOfRows([r as unknown as Record<string, unknown>], COLUMNS);
}

export function newIndexId(): string {
  return `ix-${randomBytes(5).toString('hex')}`;
}

/** A row checked against its checksum; a damaged row is the app database's damage, named. */
function toRecord(db: Db, r: Row): IndexRecord {
  try {
    if (r.crc !== null) requireCrc(r.crc, rowCrc(r), `the registry row of index ${r.id}`);
    return parseRow(r);
  } catch (err) {
    throw damageError({ role: 'app', file: db.name }, err instanceof SyntaxError ? new StoreDamage(`the registry row of index ${r.id} holds invalid JSON`) : err);
  }
}

function parseRow(r: Row): IndexRecord {
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
    this.write(rec.id, () => this.db
      .prepare(
        `INSERT INTO feature_indexes (id, job_id, state, model_path, sae_path, dataset_path, hook_name, d_sae, corpus_id, labels, params, provenance, created_at)
         VALUES (?, ?, 'building', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(rec.id, rec.jobId, rec.modelPath, rec.saePath, rec.datasetPath, rec.hookName, rec.dSae, rec.corpusId, JSON.stringify(rec.labels), JSON.stringify(rec.params), JSON.stringify(rec.provenance), rec.createdAt));
    return this.get(rec.id)!;
  }

  /** A change to a row and its new checksum, in one transaction (every write of this class goes here). */
  private write(id: string, change: () => unknown): void {
    this.db.transaction(() => {
      change();
      const row = this.db.prepare('SELECT * FROM feature_indexes WHERE id = ?').get(id) as Row | undefined;
      if (row) this.db.prepare('UPDATE feature_indexes SET crc = ? WHERE id = ?').run(rowCrc(row), id);
    })();
  }

  get(id: string): IndexRecord | null {
    const row = this.db.prepare('SELECT * FROM feature_indexes WHERE id = ?').get(id) as Row | undefined;
    return row ? toRecord(this.db, row) : null;
  }

  require(id: string): IndexRecord {
    const rec = this.get(id);
    if (!rec) throw new WorkbenchError('INDEX_NOT_FOUND', `There is no feature index "${id}".`, 'See `sae-workbench index list`, or the index picker on the Features page.');
    return rec;
  }

  list(): IndexRecord[] {
    // Newest first in queue order: two indexes queued together ("Index both models") start in
    // either order, and pages that pair "the older as A" must not depend on which hashed first.
    const sql = `SELECT fi.* FROM feature_indexes fi LEFT JOIN jobs j ON j.id = fi.job_id
                 ORDER BY (j.position IS NULL) ASC, j.position DESC, fi.created_at DESC, fi.id`;
    return (this.db.prepare(sql).all() as Row[]).map((r) => toRecord(this.db, r));
  }

  markReady(id: string, summary: NonNullable<IndexRecord['summary']>): void {
    this.write(id, () => this.db.prepare("UPDATE feature_indexes SET state = 'ready', summary = ?, error = NULL, finished_at = ? WHERE id = ?").run(JSON.stringify(summary), Date.now(), id));
  }

  markFailed(id: string, error: NonNullable<IndexRecord['error']>): void {
    this.write(id, () => this.db.prepare("UPDATE feature_indexes SET state = 'failed', error = ?, finished_at = ? WHERE id = ?").run(JSON.stringify(error), Date.now(), id));
  }

  /** A build resumed (after a pause, crash or retry) is building again. */
  markBuilding(id: string): void {
    this.write(id, () => this.db.prepare("UPDATE feature_indexes SET state = 'building', error = NULL, finished_at = NULL WHERE id = ?").run(id));
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM feature_indexes WHERE id = ?').run(id);
  }

  /** Corpora still referenced by some index (the others can be deleted). */
  corpusIds(): Set<string> {
    return new Set((this.db.prepare('SELECT DISTINCT corpus_id FROM feature_indexes').all() as { corpus_id: string }[]).map((r) => r.corpus_id));
  }
}
