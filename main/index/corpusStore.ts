/**
 * The token ids of indexed documents, stored once per (tokenizer, dataset, text column, BOS)
 * rather than once per index: the demo's two models share a tokenizer, so their indexes share
 * one corpus, and every cross-model view reads (document, position) -> token from here.
 * A corpus also keeps its tokenizer's display string for every id, so views need no tokenizer.
 *
 * <home>/index/corpora/<corpus id>.sqlite: documents(document, tokens int32 LE), vocab(id, text).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db/connection';
import { idPath } from '../idPath';
import { CheckedStore, describeSqliteError, openSqliteFile, quickCheckOnce, StoreDamage, type SqliteTarget } from '../db/sqliteFile';
import type { WorkbenchTokenizer } from '../tokenize/tokenizer';
import { indexRoot } from './indexDatabase';
import { crcOfValues, requireBlob, requireCrc } from './storeChecksums';

export interface CorpusIdentity {
  tokenizerSha256: string;
  datasetSha256: string;
  textColumn: string | null;
  bos: boolean;
}

export function corpusId(identity: CorpusIdentity): string {
  const h = createHash('sha256').update(JSON.stringify([identity.tokenizerSha256, identity.datasetSha256, identity.textColumn, identity.bos])).digest('hex');
  return `c-${h.slice(0, 16)}`;
}

export function corpusFile(home: string, id: string): string {
  return idPath(path.join(indexRoot(home), 'corpora'), id, '.sqlite');
}

function int32Bytes(ids: readonly number[]): Buffer {
  return Buffer.from(Int32Array.from(ids).buffer);
}

function idsOf(blob: Buffer): Int32Array {
  return new Int32Array(Uint8Array.from(blob).buffer);
}

/** A document's checksum: its number and its tokens' bytes. */
function documentCrc(document: number, tokens: Buffer): number {
  return crcOfValues([document, tokens]);
}

/** The vocabulary's checksum, over every display string in id order. */
function vocabCrc(texts: string[]): number {
  return crcOfValues([texts.length, ...texts]);
}

/**
 * Token stores written before checksums get them the first time a build opens them for writing
 * (the column, every document's CRC and the vocabulary's), in one transaction: a store with the
 * column is checked at every read.
 */
function addChecksums(db: Db): void {
  const columns = db.prepare('PRAGMA table_info(documents)').all() as { name: string }[];
  if (columns.some((c) => c.name === 'crc')) return;
  db.transaction(() => {
    db.exec('ALTER TABLE documents ADD COLUMN crc INTEGER');
    const set = db.prepare('UPDATE documents SET crc = ? WHERE document = ?');
    for (const row of db.prepare('SELECT document, tokens FROM documents').all() as { document: number; tokens: Buffer }[]) set.run(documentCrc(row.document, row.tokens), row.document);
    const texts = (db.prepare('SELECT text FROM vocab ORDER BY id').all() as { text: string }[]).map((r) => r.text);
    if (texts.length > 0) db.prepare("INSERT INTO meta (key, value) VALUES ('vocab_crc', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(vocabCrc(texts)));
  })();
}

export class CorpusStore {
  private readonly putDoc;
  private readonly getDoc;
  private vocabCache: string[] | null = null;
  /** Reads go through the guard: damage is INDEX_CORRUPT naming this file, for good. */
  private readonly store: CheckedStore;
  /** Whether the file carries checksums (every store written or opened for writing since they exist). */
  private readonly checked: boolean;

  private constructor(
    readonly file: string,
    readonly db: Db,
  ) {
    this.store = new CheckedStore(corpusTarget(file), db);
    const columns = this.store.read(() => db.prepare('PRAGMA table_info(documents)').all() as { name: string }[]);
    this.checked = columns.some((c) => c.name === 'crc');
    // A document is stored whole (builds share the corpus whatever their token limits); a copy cut
    // short by an older build's --max-tokens is replaced by the whole one.
    this.putDoc = db.readonly ? null : db.prepare('INSERT INTO documents (document, tokens, crc) VALUES (?, ?, ?) ON CONFLICT(document) DO UPDATE SET tokens = excluded.tokens, crc = excluded.crc WHERE length(excluded.tokens) > length(documents.tokens)');
    this.getDoc = this.store.read(() => db.prepare(`SELECT tokens, ${this.checked ? 'crc' : 'NULL'} AS crc FROM documents WHERE document = ?`));
  }

  /** Damage found by a read of this store (every later read throws it). */
  get failed() {
    return this.store.failed;
  }

  /** Open (creating if needed) the corpus file; the vocabulary is written once from `tokenizer`. */
  static openForWriting(file: string, identity: CorpusIdentity, tokenizer: WorkbenchTokenizer, vocabSize: number): CorpusStore {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const db = openSqliteFile(corpusTarget(file));
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 10000');
      db.exec(`
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS vocab (id INTEGER PRIMARY KEY, text TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS documents (document INTEGER PRIMARY KEY, tokens BLOB NOT NULL);
      `);
      addChecksums(db);
    } catch (err) {
      db.close();
      throw describeSqliteError(corpusTarget(file), err) ?? err;
    }
    const store = new CorpusStore(file, db);
    const hasVocab = (db.prepare('SELECT count(*) AS n FROM vocab').get() as { n: number }).n > 0;
    if (!hasVocab) {
      const texts = tokenizer.tokenStrings(Array.from({ length: vocabSize }, (_, i) => i));
      const put = db.prepare('INSERT OR IGNORE INTO vocab (id, text) VALUES (?, ?)');
      const meta = db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)');
      db.transaction(() => {
        texts.forEach((t, i) => put.run(i, t));
        meta.run('identity', JSON.stringify(identity));
        meta.run('vocab_crc', String(vocabCrc(texts)));
      })();
    }
    return store;
  }

  /** Open for reading: SQLite's quick_check the first time (when cheap), then every read checked. */
  static openForReading(file: string): CorpusStore {
    const db = openSqliteFile(corpusTarget(file), { readonly: true, mustExist: true });
    try {
      db.pragma('busy_timeout = 10000');
      const store = new CorpusStore(file, db);
      quickCheckOnce(store.store);
      return store;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** Tokens of documents (BOS first when prepended); a rerun of the same documents is ignored. */
  putDocuments(docs: { document: number; tokens: readonly number[] }[]): void {
    const put = this.putDoc!;
    this.db.transaction(() => {
      for (const d of docs) {
        const bytes = int32Bytes(d.tokens);
        put.run(d.document, bytes, documentCrc(d.document, bytes));
      }
    })();
  }

  tokens(document: number): Int32Array | null {
    return this.store.read(() => {
      const row = this.getDoc.get(document) as { tokens: unknown; crc: unknown } | undefined;
      if (!row) return null;
      const bytes = requireBlob(row.tokens, `the tokens of document ${document}`);
      if (this.checked) requireCrc(row.crc, documentCrc(document, bytes), `the tokens of document ${document}`);
      if (bytes.byteLength % 4 !== 0) throw new StoreDamage(`the tokens of document ${document} are ${bytes.byteLength} bytes, not whole int32s`);
      return idsOf(bytes);
    });
  }

  /** Display strings of every token id (with the spaces they carry, e.g. " Step"). */
  vocab(): string[] {
    this.vocabCache ??= this.store.read(() => {
      const texts = (this.db.prepare('SELECT text FROM vocab ORDER BY id').all() as { text: unknown }[]).map((r) => {
        if (typeof r.text !== 'string') throw new StoreDamage('a vocabulary entry is not text');
        return r.text;
      });
      if (this.checked) {
        const stored = (this.db.prepare("SELECT value FROM meta WHERE key = 'vocab_crc'").get() as { value?: unknown } | undefined)?.value;
        requireCrc(typeof stored === 'string' ? Number(stored) : stored, vocabCrc(texts), 'the vocabulary');
      }
      return texts;
    });
    return this.vocabCache;
  }

  /** Every stored document in order, for passes over the whole corpus (probes, condition scans). */
  documents(from = 0, to = Number.MAX_SAFE_INTEGER): Generator<{ document: number; tokens: Int32Array }> {
    const sql = `SELECT document, tokens, ${this.checked ? 'crc' : 'NULL'} AS crc FROM documents WHERE document >= ? AND document < ? ORDER BY document`;
    return this.store.rows(
      () => this.db.prepare(sql).iterate(from, to),
      (row: { document: number; tokens: unknown; crc: unknown }) => {
        const bytes = requireBlob(row.tokens, `the tokens of document ${row.document}`);
        if (this.checked) requireCrc(row.crc, documentCrc(row.document, bytes), `the tokens of document ${row.document}`);
        if (bytes.byteLength % 4 !== 0) throw new StoreDamage(`the tokens of document ${row.document} are ${bytes.byteLength} bytes, not whole int32s`);
        return { document: row.document, tokens: idsOf(bytes) };
      },
    );
  }

  close(): void {
    this.store.close();
  }
}

function corpusTarget(file: string): SqliteTarget {
  return { role: 'corpus', file };
}
