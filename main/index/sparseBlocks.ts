/**
 * The sparse per-token store: every latent that fired, kept as one row per context window
 * ("block") of one document, in three little-endian blobs:
 *
 *   counts    uint16 x n            latents that fired at positions start .. start+n-1
 *                                   (0 at BOS, which is never stored)
 *   features  uint16 x sum(counts)  feature ids, position by position, strongest first
 *             (uint32 when d_sae > 65536)
 *   values    float32 x sum(counts) their activations, exactly as the SAE produced them
 *
 * So a fired latent costs 6 bytes (8 past 65536 features) and a token 2 more; a window is one
 * SQLite row keyed by (document, start). Values stay float32 (not f16) so every statistic read
 * back from the store equals the one computed while streaming.
 */

export interface SparseBlock {
  document: number;
  /** Position (within the document) of the first row. */
  start: number;
  /** Per position: how many latents fired. */
  counts: Uint16Array;
  features: Uint16Array | Uint32Array;
  values: Float32Array;
}

export function featureIdArray(dSae: number, n: number): Uint16Array | Uint32Array {
  return dSae > 65536 ? new Uint32Array(n) : new Uint16Array(n);
}

function bytesOf(a: Uint16Array | Uint32Array | Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** The three blobs of a block, as SQLite stores them (views, no copies). */
export function encodeBlock(block: SparseBlock): { counts: Buffer; features: Buffer; values: Buffer } {
  return { counts: bytesOf(block.counts), features: bytesOf(block.features), values: bytesOf(block.values) };
}

/** Typed arrays need aligned offsets; SQLite's Buffers may not be, so copy when they are not. */
function aligned(buf: Buffer, bytesPerElement: number): ArrayBuffer {
  if (buf.byteOffset % bytesPerElement === 0) return buf.buffer as ArrayBuffer;
  return Uint8Array.prototype.slice.call(buf).buffer as ArrayBuffer;
}

function view<T extends Uint16Array | Uint32Array | Float32Array>(Ctor: { new (b: ArrayBuffer, o: number, n: number): T; BYTES_PER_ELEMENT: number }, buf: Buffer): T {
  const buffer = aligned(buf, Ctor.BYTES_PER_ELEMENT);
  const offset = buffer === buf.buffer ? buf.byteOffset : 0;
  return new Ctor(buffer, offset, buf.byteLength / Ctor.BYTES_PER_ELEMENT);
}

export function decodeBlock(row: { document: number; start: number; counts: Buffer; features: Buffer; vals: Buffer }, dSae: number): SparseBlock {
  return {
    document: row.document,
    start: row.start,
    counts: view(Uint16Array, row.counts),
    features: dSae > 65536 ? view(Uint32Array, row.features) : view(Uint16Array, row.features),
    values: view(Float32Array, row.vals),
  };
}

/** Offsets into features/values where each position's latents begin (length n + 1). */
export function blockOffsets(counts: Uint16Array): Uint32Array {
  const offsets = new Uint32Array(counts.length + 1);
  for (let i = 0; i < counts.length; i++) offsets[i + 1] = offsets[i] + counts[i];
  return offsets;
}

/** The activation of `feature` at each position of the block (0 where it did not fire). */
export function featureTrace(block: SparseBlock, feature: number, offsets = blockOffsets(block.counts)): Float32Array {
  const out = new Float32Array(block.counts.length);
  for (let p = 0; p < block.counts.length; p++) {
    for (let j = offsets[p]; j < offsets[p + 1]; j++) {
      if (block.features[j] === feature) {
        out[p] = block.values[j];
        break;
      }
    }
  }
  return out;
}

/** Builds one block position by position. */
export class SparseBlockBuilder {
  private readonly counts: Uint16Array;
  private features: Uint16Array | Uint32Array;
  private values: Float32Array;
  private used = 0;
  private row = 0;

  constructor(
    readonly document: number,
    readonly start: number,
    readonly length: number,
    private readonly dSae: number,
    expectedPerPosition: number,
  ) {
    this.counts = new Uint16Array(length);
    this.features = featureIdArray(dSae, Math.max(16, length * expectedPerPosition));
    this.values = new Float32Array(this.features.length);
  }

  /** Appends the next position's fired latents (ids and activations, strongest first). */
  push(ids: ArrayLike<number>, acts: ArrayLike<number>, count: number): void {
    if (this.used + count > this.features.length) {
      const size = Math.max(this.features.length * 2, this.used + count);
      const f = featureIdArray(this.dSae, size);
      f.set(this.features.subarray(0, this.used));
      const v = new Float32Array(size);
      v.set(this.values.subarray(0, this.used));
      this.features = f;
      this.values = v;
    }
    for (let j = 0; j < count; j++) {
      this.features[this.used + j] = ids[j];
      this.values[this.used + j] = acts[j];
    }
    this.counts[this.row++] = count;
    this.used += count;
  }

  finish(): SparseBlock {
    if (this.row !== this.length) throw new Error(`SparseBlockBuilder: ${this.row} of ${this.length} positions pushed`);
    return { document: this.document, start: this.start, counts: this.counts, features: this.features.subarray(0, this.used), values: this.values.subarray(0, this.used) };
  }
}
