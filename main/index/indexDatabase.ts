/**
 * One feature index (one model x SAE x dataset) is one SQLite file, <home>/index/<id>.sqlite,
 * beside the app database rather than inside it: a build writes hundreds of MB in batched
 * transactions without ever holding the app database's write lock (job progress, the queue and the
 * Library keep writing there), and removing an index is deleting a file, not a VACUUM. The app
 * database keeps a registry row per index (indexRegistry.ts) so lists stay instant.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Db } from '../db/connection';
import { WorkbenchError } from '../errors';
import { idPath } from '../idPath';

/** Bump when the file layout changes; older files are refused with a hint to rebuild. */
export const INDEX_FORMAT_VERSION = 1;

export function indexRoot(home: string): string {
  return path.join(home, 'index');
}

export function indexFile(home: string, id: string): string {
  return idPath(indexRoot(home), id, '.sqlite');
}

const SCHEMA = `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE blocks (
    id INTEGER PRIMARY KEY,
    document INTEGER NOT NULL,
    start INTEGER NOT NULL,
    n INTEGER NOT NULL,
    counts BLOB NOT NULL,
    features BLOB NOT NULL,
    vals BLOB NOT NULL
  );
  CREATE UNIQUE INDEX blocks_position ON blocks(document, start);
  CREATE TABLE build_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    next_document INTEGER NOT NULL,
    documents INTEGER NOT NULL,
    skipped INTEGER NOT NULL,
    accumulator BLOB NOT NULL
  );
  CREATE TABLE feature_stats (
    feature INTEGER PRIMARY KEY,
    fire_count INTEGER NOT NULL,
    sum REAL NOT NULL,
    sum_sq REAL NOT NULL,
    max REAL NOT NULL,
    decoder_norm REAL NOT NULL
  );
  -- kind -1: top examples; 0..9: examples of activation interval k of (0, max].
  CREATE TABLE examples (
    feature INTEGER NOT NULL, kind INTEGER NOT NULL, rank INTEGER NOT NULL,
    document INTEGER NOT NULL, position INTEGER NOT NULL, activation REAL NOT NULL,
    PRIMARY KEY (feature, kind, rank)
  ) WITHOUT ROWID;
  CREATE TABLE intervals (
    feature INTEGER NOT NULL, interval INTEGER NOT NULL, lower REAL NOT NULL, upper REAL NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (feature, interval)
  ) WITHOUT ROWID;
  -- 50 uint32 counts of nonzero activations in equal-width bins of (0, max].
  CREATE TABLE histograms (feature INTEGER PRIMARY KEY, counts BLOB NOT NULL);
  -- rank 0..9: most positive W_dec[f] @ W_U entries; -1..-10: most negative.
  CREATE TABLE logit_effects (
    feature INTEGER NOT NULL, rank INTEGER NOT NULL, token INTEGER NOT NULL, value REAL NOT NULL,
    PRIMARY KEY (feature, rank)
  ) WITHOUT ROWID;
  -- kind 'similar' (decoder cosine) or 'correlated' (activation Pearson over all tokens).
  CREATE TABLE neighbours (
    feature INTEGER NOT NULL, kind TEXT NOT NULL, rank INTEGER NOT NULL, other INTEGER NOT NULL, score REAL NOT NULL,
    PRIMARY KEY (feature, kind, rank)
  ) WITHOUT ROWID;
  -- Which tokens a feature's top examples peak on: search a feature by a token.
  CREATE TABLE token_features (
    token INTEGER NOT NULL, feature INTEGER NOT NULL, hits INTEGER NOT NULL, best REAL NOT NULL,
    PRIMARY KEY (token, feature)
  ) WITHOUT ROWID;
`;

function pragmas(db: Db): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
}

function describeOpenError(file: string, err: unknown): WorkbenchError {
  if (err instanceof WorkbenchError) return err;
  const message = (err as Error).message ?? String(err);
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return new WorkbenchError('DISK_FULL', `The disk is full while writing the index ${file}.`, 'Free some space and resume the job: it continues from its last committed batch.', { cause: err });
  if (code === 'SQLITE_CANTOPEN') return new WorkbenchError('INDEX_NOT_FOUND', `The index file ${file} cannot be opened (${message}).`, 'It may have been removed; rebuild the index.', { cause: err });
  if (/not a database|malformed|corrupt/i.test(message)) return new WorkbenchError('INDEX_CORRUPT', `The index file ${file} is damaged (${message}).`, 'Remove the index and build it again.', { cause: err });
  return new WorkbenchError('INDEX_OPEN_FAILED', `The index file ${file} could not be opened: ${message}`, undefined, { cause: err });
}

/** A new, empty index file with its schema and meta (fails if the file exists). */
export function createIndexDb(file: string, meta: Record<string, unknown>): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (fs.existsSync(file)) throw new WorkbenchError('INDEX_EXISTS', `The index file ${file} already exists.`, 'Remove the index first, or build under a new id.');
  try {
    const db = new Database(file);
    pragmas(db);
    db.transaction(() => {
      db.exec(SCHEMA);
      const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
      put.run('format_version', String(INDEX_FORMAT_VERSION));
      for (const [k, v] of Object.entries(meta)) put.run(k, JSON.stringify(v));
    })();
    return db;
  } catch (err) {
    throw describeOpenError(file, err);
  }
}

export function openIndexDb(file: string, options: { readonly?: boolean } = {}): Db {
  if (!fs.existsSync(file)) throw new WorkbenchError('INDEX_NOT_FOUND', `The index file ${file} does not exist.`, 'It may have been removed; rebuild the index.');
  let db: Db;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: true });
    if (!options.readonly) pragmas(db);
    else db.pragma('busy_timeout = 5000');
  } catch (err) {
    throw describeOpenError(file, err);
  }
  let version: number;
  try {
    version = Number(JSON.parse((db.prepare("SELECT value FROM meta WHERE key = 'format_version'").get() as { value: string }).value));
  } catch (err) {
    db.close();
    throw describeOpenError(file, err);
  }
  if (version !== INDEX_FORMAT_VERSION) {
    db.close();
    throw new WorkbenchError('INDEX_FORMAT', `The index file ${file} has format ${version}; this version of SAE Workbench reads format ${INDEX_FORMAT_VERSION}.`, 'Rebuild the index with this version.');
  }
  return db;
}

export function readMeta<T>(db: Db, key: string): T {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  if (!row) throw new WorkbenchError('INDEX_CORRUPT', `The index has no "${key}" in its meta table.`, 'Remove the index and build it again.');
  return JSON.parse(row.value) as T;
}

export function writeMeta(db: Db, key: string, value: unknown): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
}

/** Index file plus its WAL and shared-memory files. */
export function indexFileBytes(file: string): number {
  let bytes = 0;
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      bytes += fs.statSync(f).size;
    } catch {
      // not there
    }
  }
  return bytes;
}

export function removeIndexFiles(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
}
