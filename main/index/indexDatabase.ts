/**
 * One feature index (one model x SAE x dataset) is one SQLite file, <home>/index/<id>.sqlite,
 * beside the app database rather than inside it: a build writes hundreds of MB in batched
 * transactions without ever holding the app database's write lock (job progress, the queue and the
 * Library keep writing there), and removing an index is deleting a file, not a VACUUM. The app
 * database keeps a registry row per index (indexRegistry.ts) so lists stay instant.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db/connection';
import { CheckedStore, describeSqliteError, openSqliteFile, quickCheckOnce, StoreDamage, type SqliteTarget } from '../db/sqliteFile';
import { WorkbenchError } from '../errors';
import { idPath } from '../idPath';
import { crcOfRows, requireCrc } from './storeChecksums';

/**
 * Bump when the file layout changes. 2 added checksums (blocks.crc, feature_digests,
 * token_digests, checksums); format 1 files are still read, without those checks, and a
 * format 1 build resumed is upgraded in place.
 */
export const INDEX_FORMAT_VERSION = 2;
const READABLE_FORMATS = [1, 2];

export function indexRoot(home: string): string {
  return path.join(home, 'index');
}

export function indexFile(home: string, id: string): string {
  return idPath(indexRoot(home), id, '.sqlite');
}

/** Format 2: CRC-32s of what a reader serves (storeChecksums.ts), written when the build is sealed. */
const CHECKSUM_TABLES = `
  CREATE TABLE feature_digests (feature INTEGER PRIMARY KEY, crc INTEGER NOT NULL);
  CREATE TABLE token_digests (token INTEGER PRIMARY KEY, crc INTEGER NOT NULL);
  CREATE TABLE checksums (name TEXT PRIMARY KEY, crc INTEGER NOT NULL);
`;

const SCHEMA = `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE blocks (
    id INTEGER PRIMARY KEY,
    document INTEGER NOT NULL,
    start INTEGER NOT NULL,
    n INTEGER NOT NULL,
    counts BLOB NOT NULL,
    features BLOB NOT NULL,
    vals BLOB NOT NULL,
    crc INTEGER
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
${CHECKSUM_TABLES}`;

function pragmas(db: Db): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
}

export function indexTarget(file: string): SqliteTarget {
  return { role: 'index', file, id: path.basename(file, '.sqlite') };
}

function describeOpenError(file: string, err: unknown): WorkbenchError {
  if (err instanceof WorkbenchError) return err;
  const known = describeSqliteError(indexTarget(file), err);
  if (known) return known;
  const message = (err as Error).message ?? String(err);
  return new WorkbenchError('INDEX_OPEN_FAILED', `The index file ${file} could not be opened: ${message}`, undefined, { cause: err });
}

/** A new, empty index file with its schema and meta (fails if the file exists). */
export function createIndexDb(file: string, meta: Record<string, unknown>): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (fs.existsSync(file)) throw new WorkbenchError('INDEX_EXISTS', `The index file ${file} already exists.`, 'Remove the index first, or build under a new id.');
  let db: Db | null = null;
  try {
    db = openSqliteFile(indexTarget(file));
    pragmas(db);
    const created = db;
    created.transaction(() => {
      created.exec(SCHEMA);
      const put = created.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
      put.run('format_version', String(INDEX_FORMAT_VERSION));
      for (const [k, v] of Object.entries(meta)) put.run(k, JSON.stringify(v));
    })();
    return created;
  } catch (err) {
    db?.close();
    throw describeOpenError(file, err);
  }
}

/** The format of an open index file; a value no version wrote is damage, a larger one a newer app. */
function formatOf(db: Db, file: string): number {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'format_version'").get() as { value?: unknown } | undefined;
  const version = Number(typeof row?.value === 'string' ? row.value : Number.NaN);
  if (READABLE_FORMATS.includes(version)) return version;
  if (Number.isInteger(version) && version > INDEX_FORMAT_VERSION && version < 1000) {
    throw new WorkbenchError('INDEX_FORMAT', `The index file ${file} has format ${version}; this version of SAE Workbench reads formats ${READABLE_FORMATS.join(' and ')}.`, 'Update SAE Workbench, or rebuild the index with this version.');
  }
  throw new StoreDamage(`its format version reads ${JSON.stringify(row?.value ?? null)}`);
}

/** A format 1 build resumed by this version: the checksum column and tables are added (the seal fills them). */
function upgradeToChecksums(db: Db): void {
  db.transaction(() => {
    db.exec(`ALTER TABLE blocks ADD COLUMN crc INTEGER; ${CHECKSUM_TABLES}`);
    db.prepare("UPDATE meta SET value = ? WHERE key = 'format_version'").run(String(INDEX_FORMAT_VERSION));
  })();
}

/** Open an index file for a build (writable: a format 1 file is upgraded) or a test's look inside. */
export function openIndexDb(file: string, options: { readonly?: boolean } = {}): Db {
  let db: Db;
  try {
    db = openSqliteFile(indexTarget(file), { readonly: options.readonly ?? false, mustExist: true });
    if (!options.readonly) pragmas(db);
    else db.pragma('busy_timeout = 5000');
  } catch (err) {
    throw describeOpenError(file, err);
  }
  try {
    if (formatOf(db, file) < INDEX_FORMAT_VERSION && !options.readonly) upgradeToChecksums(db);
  } catch (err) {
    db.close();
    throw describeOpenError(file, err);
  }
  return db;
}

/**
 * A finished index opened for reading: SQLite's quick_check the first time this process opens
 * the file (when small enough to be cheap), its meta checked against its checksum, and every
 * read through the CheckedStore guard, so damage anywhere is INDEX_CORRUPT naming the file.
 */
export class IndexStore extends CheckedStore {
  /** Format 2 and later carry checksums; format 1 files are read with the structural checks only. */
  readonly checked: boolean;
  private readonly metaValues: Map<string, string>;

  private constructor(target: SqliteTarget, db: Db) {
    super(target, db);
    quickCheckOnce(this);
    const { checked, meta } = this.read(() => {
      const format = formatOf(db, target.file);
      const rows = db.prepare('SELECT key, value FROM meta ORDER BY key').all() as { key: string; value: string }[];
      if (format >= 2) {
        const stored = (db.prepare("SELECT crc FROM checksums WHERE name = 'meta'").get() as { crc?: unknown } | undefined)?.crc;
        // Not sealed yet: the build is still running, or died before it finished.
        if (stored === undefined && !rows.some((r) => r.key === 'summary')) {
          throw new WorkbenchError('INDEX_UNFINISHED', `${target.file} holds an index whose build has not finished.`, 'Wait for its build job, retry it from the Queue, or remove the index.');
        }
        requireCrc(stored, metaCrc(rows), 'the meta table');
      }
      return { checked: format >= 2, meta: new Map(rows.map((r) => [r.key, r.value])) };
    });
    this.checked = checked;
    this.metaValues = meta;
  }

  static open(file: string): IndexStore {
    let db: Db;
    try {
      db = openSqliteFile(indexTarget(file), { readonly: true, mustExist: true });
      db.pragma('busy_timeout = 5000');
    } catch (err) {
      throw describeOpenError(file, err);
    }
    try {
      return new IndexStore(indexTarget(file), db);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** A meta value only some indexes have (a crosscoder's facts), or null. */
  optionalMeta<T>(key: string): T | null {
    return this.metaValues.has(key) ? this.meta<T>(key) : null;
  }

  meta<T>(key: string): T {
    return this.read(() => {
      const value = this.metaValues.get(key);
      if (value === undefined) throw new StoreDamage(`it has no "${key}" in its meta table`);
      try {
        return JSON.parse(value) as T;
      } catch {
        throw new StoreDamage(`its meta value "${key}" is not valid JSON`);
      }
    });
  }
}

/** The checksum of the meta table (every key, in key order). */
export function metaCrc(rows: { key: string; value: string }[]): number {
  return crcOfRows(rows, ['key', 'value']);
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
