/**
 * FeatureIndexWriter: streams one SAE's sparse activations into its index file. Each window of
 * a document becomes a block of the sparse store, and the per-feature accumulators (stats, top-N
 * heaps) follow every fired latent. `commit` writes the pending blocks, the accumulators and the
 * document cursor in ONE transaction, so after a crash the file holds exactly the documents
 * before its cursor: a resumed build neither duplicates nor misses a row.
 */
import type { Db } from '../db/connection';
import { describeSystemError, WorkbenchError } from '../errors';
import { FeatureAccumulator } from './featureAccumulator';
import { createIndexDb, openIndexDb, readMeta } from './indexDatabase';
import { blockCrc, encodeBlock, SparseBlockBuilder, type SparseBlock } from './sparseBlocks';
import { isUncountedPosition } from '../datasets/tokenWindows';

/** What the index file records about its shape at creation. */
export interface IndexShape {
  dSae: number;
  topN: number;
}

export interface BuildCursor {
  /** The first document not yet in the index. */
  nextDocument: number;
  /** Documents indexed so far (usable rows only). */
  documents: number;
  /** Rows skipped so far (blank, broken, no text). */
  skipped: number;
}

/** The SAE's sparse output for a run of tokens: per row `width` ids and activations, strongest first. */
export interface SparseRows {
  /** int64 ids as ORT returns them, read through their low 32-bit words. */
  ids: BigInt64Array;
  values: Float32Array;
  width: number;
}

export class FeatureIndexWriter {
  readonly acc: FeatureAccumulator;
  private pending: SparseBlock[] = [];
  private pendingTokens = 0;
  private cursor: BuildCursor;
  private readonly insertBlock;
  private readonly saveState;
  private readonly scratchIds: Uint32Array;
  private readonly scratchValues: Float32Array;

  private constructor(
    readonly db: Db,
    readonly shape: IndexShape,
    acc: FeatureAccumulator,
    cursor: BuildCursor,
  ) {
    this.acc = acc;
    this.cursor = cursor;
    this.insertBlock = db.prepare('INSERT INTO blocks (document, start, n, counts, features, vals, crc) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.saveState = db.prepare(
      'INSERT INTO build_state (id, next_document, documents, skipped, accumulator) VALUES (1, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET next_document = excluded.next_document, documents = excluded.documents, skipped = excluded.skipped, accumulator = excluded.accumulator',
    );
    this.scratchIds = new Uint32Array(Math.max(1, shape.dSae));
    this.scratchValues = new Float32Array(Math.max(1, shape.dSae));
  }

  static create(file: string, shape: IndexShape, meta: Record<string, unknown>): FeatureIndexWriter {
    const db = createIndexDb(file, { ...meta, shape });
    return new FeatureIndexWriter(db, shape, new FeatureAccumulator(shape.dSae, shape.topN), { nextDocument: 0, documents: 0, skipped: 0 });
  }

  /** Reopen a build: the accumulators and cursor of its last commit; anything later is gone. */
  static resume(file: string): FeatureIndexWriter {
    const db = openIndexDb(file);
    const shape = readMeta<IndexShape>(db, 'shape');
    const row = db.prepare('SELECT next_document, documents, skipped, accumulator FROM build_state WHERE id = 1').get() as
      | { next_document: number; documents: number; skipped: number; accumulator: Buffer }
      | undefined;
    if (!row) {
      // Created but never committed: start from nothing.
      db.prepare('DELETE FROM blocks').run();
      return new FeatureIndexWriter(db, shape, new FeatureAccumulator(shape.dSae, shape.topN), { nextDocument: 0, documents: 0, skipped: 0 });
    }
    // Blocks are committed with the state, so none can lie past the cursor; this only guards it.
    db.prepare('DELETE FROM blocks WHERE document >= ?').run(row.next_document);
    const acc = FeatureAccumulator.deserialize(row.accumulator, shape.dSae, shape.topN);
    return new FeatureIndexWriter(db, shape, acc, { nextDocument: row.next_document, documents: row.documents, skipped: row.skipped });
  }

  get committed(): BuildCursor {
    return { ...this.cursor };
  }

  get uncommittedTokens(): number {
    return this.pendingTokens;
  }

  /**
   * One window of a document: rows `rowOffset ..` of `sparse` hold positions start .. start+n-1.
   * Position 0 of the window is not indexed when `bosAtZero` (tokenWindows' isUncountedPosition:
   * the document's BOS, or a continuation window's first token, which runs without one): it
   * counts as no token, as in training and evals.
   */
  addWindow(document: number, start: number, n: number, sparse: SparseRows, rowOffset: number, bosAtZero: boolean): void {
    const { width } = sparse;
    const ids32 = new Int32Array(sparse.ids.buffer, sparse.ids.byteOffset, sparse.ids.length * 2);
    const builder = new SparseBlockBuilder(document, start, n, this.shape.dSae, Math.min(width, 64));
    for (let p = 0; p < n; p++) {
      const position = start + p;
      if (isUncountedPosition(bosAtZero, p)) {
        builder.push(this.scratchIds, this.scratchValues, 0);
        continue;
      }
      this.acc.tokens++;
      let c = 0;
      const row = (rowOffset + p) * width;
      for (let j = 0; j < width; j++) {
        const v = sparse.values[row + j];
        if (v > 0) {
          const id = ids32[2 * (row + j)];
          this.acc.add(id, v, document, position);
          this.scratchIds[c] = id;
          this.scratchValues[c] = v;
          c++;
        } else if (v !== v || v === Infinity) {
          throw new WorkbenchError(
            'INDEX_NON_FINITE',
            `The SAE produced a non-finite activation (${v}) at document ${document}, position ${position}.`,
            'The model or SAE weights hold NaN/Inf, or the activations overflow; check them with `sae-workbench inspect`.',
          );
        }
      }
      builder.push(this.scratchIds, this.scratchValues, c);
    }
    this.pending.push(builder.finish());
    this.pendingTokens += n;
  }

  /**
   * A block as another build of the same index stored it (a shard being merged): kept as it is,
   * and its latents fed to the accumulators exactly as addWindow fed them there, in order.
   */
  addBlock(block: SparseBlock, bosAtZero: boolean): void {
    let j = 0;
    for (let p = 0; p < block.counts.length; p++) {
      const position = block.start + p;
      const count = block.counts[p];
      // A block is one window (addWindow's): its position 0 counts as no token, by the same rule.
      if (!isUncountedPosition(bosAtZero, p)) this.acc.tokens++;
      for (let c = 0; c < count; c++, j++) this.acc.add(block.features[j], block.values[j], block.document, position);
    }
    this.pending.push(block);
    this.pendingTokens += block.counts.length;
  }

  /** Make everything added so far durable, with the cursor that follows it. */
  commit(cursor: BuildCursor): void {
    const blocks = this.pending;
    const state = this.acc.serialize();
    try {
      this.db.transaction(() => {
        for (const b of blocks) {
          const e = encodeBlock(b);
          this.insertBlock.run(b.document, b.start, b.counts.length, e.counts, e.features, e.values, blockCrc(b.document, b.start, e));
        }
        this.saveState.run(cursor.nextDocument, cursor.documents, cursor.skipped, state);
      })();
    } catch (err) {
      // The transaction rolled back: the file still holds the previous commit, whole.
      throw describeSystemError(err) ?? err;
    }
    this.pending = [];
    this.pendingTokens = 0;
    this.cursor = { ...cursor };
  }

  close(): void {
    this.db.close();
  }
}
