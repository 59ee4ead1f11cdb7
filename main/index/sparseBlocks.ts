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
import { StoreDamage } from '../db/sqliteFile';
import { crcOfValues, requireBlob, requireCrc } from './storeChecksums';

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

/** A block as its table row holds it; `crc` is null in files written before blocks had one. */
export interface BlockRow {
  document: number;
  start: number;
  counts: Buffer;
  features: Buffer;
  vals: Buffer;
  crc?: number | null;
}

/** The CRC-32 a block's row carries: over its position and its three blobs. */
export function blockCrc(document: number, start: number, blobs: { counts: Uint8Array; features: Uint8Array; values: Uint8Array }): number {
  return crcOfValues([document, start, blobs.counts, blobs.features, blobs.values]);
}

/**
 * A stored block, checked before use: its checksum when `checked` (every index written since
 * checksums exist), and always that its blobs agree with each other (counts sum to the number
 * of ids and values, ids below d_sae, activations positive and finite). Damage is StoreDamage.
 */
export function decodeBlock(row: BlockRow, dSae: number, checked = false): SparseBlock {
  const where = `the sparse block of document ${row.document} at position ${row.start}`;
  const counts = requireBlob(row.counts, `${where}: counts`);
  const features = requireBlob(row.features, `${where}: features`);
  const vals = requireBlob(row.vals, `${where}: values`);
  if (checked) requireCrc(row.crc, blockCrc(row.document, row.start, { counts, features, values: vals }), where);
  const idBytes = dSae > 65536 ? 4 : 2;
  if (counts.byteLength % 2 !== 0 || features.byteLength % idBytes !== 0 || vals.byteLength % 4 !== 0) throw new StoreDamage(`${where} has blobs of impossible lengths`);
  const block: SparseBlock = {
    document: row.document,
    start: row.start,
    counts: view(Uint16Array, counts),
    features: dSae > 65536 ? view(Uint32Array, features) : view(Uint16Array, features),
    values: view(Float32Array, vals),
  };
  let total = 0;
  for (let i = 0; i < block.counts.length; i++) total += block.counts[i];
  if (total !== block.features.length || total !== block.values.length) throw new StoreDamage(`${where}: its counts add up to ${total} latents but it holds ${block.features.length} ids and ${block.values.length} values`);
  for (let j = 0; j < total; j++) {
    const v = block.values[j];
    if (block.features[j] >= dSae || !(v > 0) || v === Infinity) throw new StoreDamage(`${where} holds feature ${block.features[j]} with activation ${v}, impossible for a d_sae ${dSae} SAE`);
  }
  return block;
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
