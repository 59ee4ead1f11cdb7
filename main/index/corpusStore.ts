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
import Database from 'better-sqlite3';
import type { Db } from '../db/connection';
import { WorkbenchError } from '../errors';
import { idPath } from '../idPath';
import type { WorkbenchTokenizer } from '../tokenize/tokenizer';
import { indexRoot } from './indexDatabase';

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

export class CorpusStore {
  private readonly putDoc;
  private readonly getDoc;
  private vocabCache: string[] | null = null;

  private constructor(
    readonly file: string,
    readonly db: Db,
  ) {
    // A document is stored whole (builds share the corpus whatever their token limits); a copy cut
    // short by an older build's --max-tokens is replaced by the whole one.
    this.putDoc = db.prepare('INSERT INTO documents (document, tokens) VALUES (?, ?) ON CONFLICT(document) DO UPDATE SET tokens = excluded.tokens WHERE length(excluded.tokens) > length(documents.tokens)');
    this.getDoc = db.prepare('SELECT tokens FROM documents WHERE document = ?');
  }

  /** Open (creating if needed) the corpus file; the vocabulary is written once from `tokenizer`. */
  static openForWriting(file: string, identity: CorpusIdentity, tokenizer: WorkbenchTokenizer, vocabSize: number): CorpusStore {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 10000');
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS vocab (id INTEGER PRIMARY KEY, text TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS documents (document INTEGER PRIMARY KEY, tokens BLOB NOT NULL);
    `);
    const store = new CorpusStore(file, db);
    const hasVocab = (db.prepare('SELECT count(*) AS n FROM vocab').get() as { n: number }).n > 0;
    if (!hasVocab) {
      const texts = tokenizer.tokenStrings(Array.from({ length: vocabSize }, (_, i) => i));
      const put = db.prepare('INSERT OR IGNORE INTO vocab (id, text) VALUES (?, ?)');
      const meta = db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)');
      db.transaction(() => {
        texts.forEach((t, i) => put.run(i, t));
        meta.run('identity', JSON.stringify(identity));
      })();
    }
    return store;
  }

  static openForReading(file: string): CorpusStore {
    if (!fs.existsSync(file)) throw new WorkbenchError('CORPUS_MISSING', `The token store ${file} of this index is missing.`, 'Rebuild the index: its documents\' tokens were removed.');
    return new CorpusStore(file, new Database(file, { readonly: true, fileMustExist: true }));
  }

  /** Tokens of documents (BOS first when prepended); a rerun of the same documents is ignored. */
  putDocuments(docs: { document: number; tokens: readonly number[] }[]): void {
    this.db.transaction(() => {
      for (const d of docs) this.putDoc.run(d.document, int32Bytes(d.tokens));
    })();
  }

  tokens(document: number): Int32Array | null {
    const row = this.getDoc.get(document) as { tokens: Buffer } | undefined;
    return row ? idsOf(row.tokens) : null;
  }

  /** Display strings of every token id (with the spaces they carry, e.g. " Step"). */
  vocab(): string[] {
    if (!this.vocabCache) this.vocabCache = (this.db.prepare('SELECT text FROM vocab ORDER BY id').all() as { text: string }[]).map((r) => r.text);
    return this.vocabCache;
  }

  /** Every stored document in order, for passes over the whole corpus (probes, condition scans). */
  *documents(from = 0, to = Number.MAX_SAFE_INTEGER): Generator<{ document: number; tokens: Int32Array }> {
    for (const row of this.db.prepare('SELECT document, tokens FROM documents WHERE document >= ? AND document < ? ORDER BY document').iterate(from, to) as Iterable<{ document: number; tokens: Buffer }>) {
      yield { document: row.document, tokens: idsOf(row.tokens) };
    }
  }

  close(): void {
    this.db.close();
  }
}
