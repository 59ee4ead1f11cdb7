/**
 * Training batches from the activation stream, mixed across documents: the stream is cut into
 * blocks of `blockBatches` batches (rows from many documents), each block's rows are permuted
 * with a PRNG seeded by (seed, block) and served batch by batch. Mixing is within a block (as
 * sae_lens' mixing buffer mixes within its buffer); a block is a deterministic function of where
 * it starts, so the buffer's state is three numbers and a cursor, and a resumed run recomputes
 * (or reads from the activation cache) exactly the block it stopped in.
 */
import { mulberry32 } from '../random/seededRandom';
import type { ActivationCache } from './activationCache';
import type { ActivationRows, ActivationStream, DataCursor } from './activationStream';

export interface BufferCursor {
  /** Index of the current block (blocks count from 0 over the whole run). */
  block: number;
  blockStart: DataCursor;
  blockEnd: DataCursor;
  /** Batches of the current block already served. */
  batch: number;
}

export interface BufferOptions {
  hooks: string[];
  dIn: number;
  batchSize: number;
  blockBatches: number;
  seed: number;
  cache?: ActivationCache | null;
}

/** A permutation of 0..n-1 from (seed, block), Fisher-Yates. */
export function blockPermutation(n: number, seed: number, block: number): Uint32Array {
  const rand = mulberry32((seed ^ Math.imul(block + 1, 0x9e3779b1)) >>> 0);
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return perm;
}

export class ShufflingBuffer {
  private rows: ActivationRows | null = null;
  private perm: Uint32Array | null = null;
  private state: BufferCursor;
  private readonly blockRows: number;

  constructor(
    private readonly stream: ActivationStream,
    private readonly o: BufferOptions,
    resume?: BufferCursor,
  ) {
    this.blockRows = o.batchSize * o.blockBatches;
    const start = stream.cursor;
    // A fresh buffer: "block -1, fully served", so the first batch loads block 0 from here.
    this.state = resume ?? { block: -1, blockStart: start, blockEnd: start, batch: o.blockBatches };
  }

  /** Where the next batch comes from (saved in checkpoints). */
  get cursor(): BufferCursor {
    return { ...this.state };
  }

  private async load(block: number, start: DataCursor): Promise<void> {
    let rows = this.o.cache?.read(block, start, this.blockRows) ?? null;
    if (!rows) {
      this.stream.seek(start);
      rows = await this.stream.take(this.blockRows);
      this.o.cache?.write(block, start, rows);
    } else {
      this.stream.seek(rows.end);
    }
    this.rows = rows;
    this.perm = blockPermutation(this.blockRows, this.o.seed, block);
  }

  /**
   * Serve the current block again from its first batch: the run's statistics (trainRun's starting
   * point) read the first batches of block 0, and training then starts on the same rows without a
   * second model pass. The state is then exactly that of a buffer that has just loaded the block.
   */
  rewindBlock(): void {
    this.state = { ...this.state, batch: 0 };
  }

  async next(): Promise<Record<string, Float32Array>> {
    if (this.state.batch >= this.o.blockBatches) {
      const block = this.state.block + 1;
      const start = this.state.blockEnd;
      await this.load(block, start);
      this.state = { block, blockStart: start, blockEnd: this.rows!.end, batch: 0 };
    } else if (!this.rows) {
      // Resumed mid-block: produce the block again, then continue where it stopped.
      await this.load(this.state.block, this.state.blockStart);
    }
    const { dIn, batchSize } = this.o;
    const first = this.state.batch * batchSize;
    const out: Record<string, Float32Array> = {};
    for (const h of this.o.hooks) {
      const src = this.rows!.hooks[h];
      const dst = new Float32Array(batchSize * dIn);
      for (let r = 0; r < batchSize; r++) {
        const from = this.perm![first + r] * dIn;
        dst.set(src.subarray(from, from + dIn), r * dIn);
      }
      out[h] = dst;
    }
    this.state = { ...this.state, batch: this.state.batch + 1 };
    return out;
  }
}
