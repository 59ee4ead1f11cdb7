/**
 * Per-feature statistics gathered while activations stream past, in memory that depends only on
 * d_sae and top-N (never on the number of tokens): fire count, sum, sum of squares, max and where
 * it happened, and a bounded min-heap of the strongest examples. Serialised whole into the
 * index's build state at every commit, so a resumed build continues exactly where it stopped.
 */

export interface TopExample {
  document: number;
  position: number;
  activation: number;
}

export class FeatureAccumulator {
  /** Non-BOS tokens seen: the denominator of every density. */
  tokens = 0;
  readonly fireCount: Float64Array;
  readonly sum: Float64Array;
  readonly sumSq: Float64Array;
  readonly max: Float32Array;
  private readonly heapVal: Float32Array;
  private readonly heapDoc: Int32Array;
  private readonly heapPos: Int32Array;
  private readonly heapSize: Uint16Array;

  constructor(
    readonly dSae: number,
    readonly topN: number,
  ) {
    this.fireCount = new Float64Array(dSae);
    this.sum = new Float64Array(dSae);
    this.sumSq = new Float64Array(dSae);
    this.max = new Float32Array(dSae);
    this.heapVal = new Float32Array(dSae * topN);
    this.heapDoc = new Int32Array(dSae * topN);
    this.heapPos = new Int32Array(dSae * topN);
    this.heapSize = new Uint16Array(dSae);
  }

  /** One fired latent (activation > 0). */
  add(feature: number, value: number, document: number, position: number): void {
    this.fireCount[feature]++;
    this.sum[feature] += value;
    this.sumSq[feature] += value * value;
    if (value > this.max[feature]) this.max[feature] = value;
    this.offer(feature, value, document, position);
  }

  /** Keeps the topN largest per feature; on equal values the earlier example stays. */
  private offer(f: number, value: number, document: number, position: number): void {
    const base = f * this.topN;
    const size = this.heapSize[f];
    if (size < this.topN) {
      // A min-heap: the weakest kept example at the root. Sift the new leaf up.
      let i = size;
      this.heapSize[f] = size + 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.weaker(value, document, position, base + parent)) break;
        this.move(base + parent, base + i);
        i = parent;
      }
      this.set(base + i, value, document, position);
      return;
    }
    if (!(value > this.heapVal[base])) return;
    // Replace the root and sift down.
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const r = l + 1;
      const child = r < size && this.weaker(this.heapVal[base + r], this.heapDoc[base + r], this.heapPos[base + r], base + l) ? r : l;
      if (this.weaker(value, document, position, base + child)) break;
      this.move(base + child, base + i);
      i = child;
    }
    this.set(base + i, value, document, position);
  }

  /** Whether (value, document, position) is evicted before the entry at `slot`: smaller, or equal and later. */
  private weaker(value: number, document: number, position: number, slot: number): boolean {
    const v = this.heapVal[slot];
    if (value !== v) return value < v;
    return document > this.heapDoc[slot] || (document === this.heapDoc[slot] && position > this.heapPos[slot]);
  }

  private move(from: number, to: number): void {
    this.heapVal[to] = this.heapVal[from];
    this.heapDoc[to] = this.heapDoc[from];
    this.heapPos[to] = this.heapPos[from];
  }

  private set(slot: number, value: number, document: number, position: number): void {
    this.heapVal[slot] = value;
    this.heapDoc[slot] = document;
    this.heapPos[slot] = position;
  }

  /** The kept examples of a feature, strongest first (ties: earlier document, then position). */
  topExamples(feature: number): TopExample[] {
    const base = feature * this.topN;
    const out: TopExample[] = [];
    for (let i = 0; i < this.heapSize[feature]; i++) out.push({ document: this.heapDoc[base + i], position: this.heapPos[base + i], activation: this.heapVal[base + i] });
    return out.sort((a, b) => b.activation - a.activation || a.document - b.document || a.position - b.position);
  }

  private arrays(): ArrayBufferView[] {
    return [this.fireCount, this.sum, this.sumSq, this.max, this.heapVal, this.heapDoc, this.heapPos, this.heapSize];
  }

  /** tokens (float64) then every array, in declaration order. */
  serialize(): Buffer {
    const parts = [Buffer.from(Float64Array.of(this.tokens).buffer), ...this.arrays().map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))];
    return Buffer.concat(parts);
  }

  static deserialize(buf: Buffer, dSae: number, topN: number): FeatureAccumulator {
    const acc = new FeatureAccumulator(dSae, topN);
    const expected = 8 + acc.arrays().reduce((n, a) => n + a.byteLength, 0);
    if (buf.byteLength !== expected) throw new Error(`FeatureAccumulator: state of ${buf.byteLength} bytes, expected ${expected} (d_sae ${dSae}, top ${topN})`);
    const bytes = Uint8Array.from(buf);
    acc.tokens = new Float64Array(bytes.buffer, 0, 1)[0];
    let offset = 8;
    for (const a of acc.arrays()) {
      new Uint8Array(a.buffer, a.byteOffset, a.byteLength).set(bytes.subarray(offset, offset + a.byteLength));
      offset += a.byteLength;
    }
    return acc;
  }
}
