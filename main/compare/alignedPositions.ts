/**
 * Two indexes built on the same corpus (same tokenizer, dataset, text column and BOS) hold the
 * same documents and the same token at every (document, position). This walks their sparse
 * stores together, document by document, over the documents and positions both cover, handing
 * each position's fired latents of A and of B to the caller: the one pass behind activation
 * matching and the condition diff. Neither store is ever densified.
 */
import type { Db } from '../db/connection';
import { WorkbenchError } from '../errors';
import { decodeBlock, type BlockRow, type SparseBlock } from '../index/sparseBlocks';
import type { IndexRecord } from '../index/indexRegistry';

/**
 * A sparse store's blocks in (document, position) order: a FeatureIndexReader (every block
 * checked, damage reported with the file's name), or rawStoreBlocks for a store being written.
 */
export interface BlockSource {
  blocks(): Iterable<SparseBlock>;
}

/** The blocks of an index file as they are (stores written by tests and benches, not yet sealed). */
export function rawStoreBlocks(db: Db, dSae: number): BlockSource {
  return {
    *blocks() {
      for (const row of db.prepare('SELECT document, start, counts, features, vals, crc FROM blocks ORDER BY document, start').iterate() as Iterable<BlockRow>) yield decodeBlock(row, dSae, true);
    },
  };
}

/** One document's latents as flat arrays: position p's latents are ids[offsets[p] .. offsets[p+1]). */
export interface DocumentLatents {
  length: number;
  offsets: Uint32Array;
  ids: Uint32Array;
  values: Float32Array;
}

/** A store's blocks grouped by document, in document order. */
function* documentsOf(source: BlockSource): Generator<{ document: number; latents: DocumentLatents }> {
  let current: SparseBlock[] = [];
  const flush = () => {
    const length = current.reduce((n, b) => n + b.counts.length, 0);
    const total = current.reduce((n, b) => n + b.values.length, 0);
    const out: DocumentLatents = { length, offsets: new Uint32Array(length + 1), ids: new Uint32Array(total), values: new Float32Array(total) };
    let p = 0;
    let at = 0;
    for (const b of current) {
      for (let i = 0; i < b.counts.length; i++) {
        out.offsets[p + 1] = out.offsets[p] + b.counts[i];
        p++;
      }
      out.ids.set(b.features, at);
      out.values.set(b.values, at);
      at += b.values.length;
    }
    return out;
  };
  for (const block of source.blocks()) {
    if (current.length > 0 && current[0].document !== block.document) {
      yield { document: current[0].document, latents: flush() };
      current = [];
    }
    current.push(block);
  }
  if (current.length > 0) yield { document: current[0].document, latents: flush() };
}

/** Refuses two indexes whose positions do not line up. */
export function requireSameCorpus(a: IndexRecord, b: IndexRecord): void {
  if (a.corpusId !== b.corpusId) {
    throw new WorkbenchError(
      'INDEXES_NOT_ALIGNED',
      `The indexes ${a.id} (${a.labels.model} on ${a.labels.dataset}) and ${b.id} (${b.labels.model} on ${b.labels.dataset}) were not built on the same documents with the same tokenizer, so their positions do not line up.`,
      'Index both models on the same dataset (same text column); models must share a tokenizer. Decoder-cosine matching compares SAEs without shared positions.',
    );
  }
}

export interface AlignedDocument {
  document: number;
  /** Positions both indexes cover: 0 .. length-1 (BOS, when prepended, is position 0 and has no latents). */
  length: number;
  a: DocumentLatents;
  b: DocumentLatents;
}

/** Documents both stores hold, with their positions cut to what both cover. */
export function* alignedDocuments(a: BlockSource, b: BlockSource): Generator<AlignedDocument> {
  const ia = documentsOf(a);
  const ib = documentsOf(b);
  // Whoever stops early (a damaged block, a consumer that throws) ends both reads: a statement
  // left mid-iteration keeps its connection busy for every later query.
  try {
    let x = ia.next();
    let y = ib.next();
    while (!x.done && !y.done) {
      if (x.value.document < y.value.document) x = ia.next();
      else if (x.value.document > y.value.document) y = ib.next();
      else {
        yield { document: x.value.document, length: Math.min(x.value.latents.length, y.value.latents.length), a: x.value.latents, b: y.value.latents };
        x = ia.next();
        y = ib.next();
      }
    }
  } finally {
    ia.return(undefined);
    ib.return(undefined);
  }
}
