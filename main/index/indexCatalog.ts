/**
 * The indexes a data directory holds, as the API and the CLI see them: listed with staleness
 * (an input changed since the build), opened for reading (a few readers kept open), removed
 * with their files (and their corpus once no index uses it).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FeatureIndexInfo } from '../../preload/api';
import type { Db } from '../db/connection';
import { WorkbenchError } from '../errors';
import { saeLabelOfFolder } from '../library/identity';
import { inputChange } from '../provenance/inputFiles';
import { corpusFile } from './corpusStore';
import { indexFile, removeIndexFiles } from './indexDatabase';
import { FeatureIndexReader } from './indexReader';
import { IndexRegistry, type IndexRecord } from './indexRegistry';

const OPEN_READERS = 6;
const readers = new Map<string, FeatureIndexReader>();

/** Why an index no longer matches its inputs, or null. */
export async function staleness(rec: IndexRecord): Promise<string | null> {
  if (rec.state !== 'ready') return null;
  const p = rec.provenance;
  for (const [what, identity] of [['model', p.model], ['SAE', p.sae], ['dataset', p.dataset], ['tokenizer', p.tokenizer], ...(p.modelA ? [['model A', p.modelA] as const] : [])] as const) {
    const change = await inputChange(identity);
    if (change) return `The ${what} changed: ${change}.`;
  }
  return null;
}

export class IndexCatalog {
  readonly registry: IndexRegistry;

  constructor(
    readonly home: string,
    private readonly db: Db,
  ) {
    this.registry = new IndexRegistry(db);
  }

  /** Whether the job that builds an index may still write it (queued, running, paused, ...). */
  private builderActive(jobId: string): boolean {
    const row = this.db.prepare('SELECT state FROM jobs WHERE id = ?').get(jobId) as { state: string } | undefined;
    return row !== undefined && !['completed', 'failed', 'cancelled'].includes(row.state);
  }

  async list(): Promise<FeatureIndexInfo[]> {
    const out: FeatureIndexInfo[] = [];
    for (const rec of this.registry.list()) {
      const { params: _params, provenance: _provenance, ...info } = rec;
      // The SAE's label by today's rule (origin, width, k), also for indexes built before it said them.
      out.push({ ...info, labels: { ...info.labels, sae: saeLabelOfFolder(rec.saePath) }, stale: await staleness(rec) });
    }
    return out;
  }

  /**
   * A reader of a ready index (kept open for the next request). One whose reads found damage is
   * closed and opened again, which refuses the same unchanged file at once (sqliteFile.ts).
   */
  reader(id: string): FeatureIndexReader {
    const rec = this.registry.require(id);
    // The file's identity is part of the key: a file replaced on disk (restored, copied over) is opened anew.
    const key = `${this.home}|${id}|${rec.finishedAt}|${fileIdentity(indexFile(this.home, id))}`;
    const hit = readers.get(key);
    if (hit?.failed) closeReader(key, hit);
    else if (hit) {
      readers.delete(key);
      readers.set(key, hit);
      return hit;
    }
    for (const [k, r] of readers) if (k.startsWith(`${this.home}|${id}|`)) closeReader(k, r);
    const reader = new FeatureIndexReader(this.home, rec);
    readers.set(key, reader);
    while (readers.size > OPEN_READERS) {
      const [k, r] = readers.entries().next().value as [string, FeatureIndexReader];
      closeReader(k, r);
    }
    return reader;
  }

  remove(id: string): void {
    const rec = this.registry.require(id);
    // A build that died before it could mark its index failed leaves 'building' behind: removable once its job is over.
    if (rec.state === 'building' && rec.jobId && this.builderActive(rec.jobId)) {
      throw new WorkbenchError('INDEX_BUILDING', `The index ${id} is still being built by job ${rec.jobId}.`, 'Cancel that job in the Queue first, then remove the index.');
    }
    for (const [k, r] of readers) if (k.startsWith(`${this.home}|${id}|`)) closeReader(k, r);
    removeIndexFiles(indexFile(this.home, id));
    this.registry.delete(id);
    if (!this.registry.corpusIds().has(rec.corpusId)) {
      const file = corpusFile(this.home, rec.corpusId);
      for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
    }
  }

  /** The newest ready index of an SAE folder (on a dataset, when given). */
  newestFor(saePath: string, datasetPath?: string): IndexRecord | null {
    const sae = path.resolve(saePath);
    const dataset = datasetPath ? path.resolve(datasetPath) : null;
    return this.registry.list().find((r) => r.state === 'ready' && r.saePath === sae && (dataset === null || r.datasetPath === dataset)) ?? null;
  }
}

function closeReader(key: string, reader: FeatureIndexReader): void {
  readers.delete(key);
  try {
    reader.close();
  } catch {
    // already closed
  }
}

function fileIdentity(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return 'missing';
  }
}
