/**
 * mulberry32: one small deterministic PRNG for everything seeded (the demo bundle, fixtures,
 * fuzz cases, benches), so generated files are byte-identical on every machine. Math.random is
 * unseeded and engine-specific.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class SeededRandom {
  /** Uniform in [0, 1). */
  readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Standard normal via Box-Muller (one value per call keeps the stream easy to reason about). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Values uniform in [-scale, scale), rounded to float32. */
  floats(n: number, scale = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = (this.next() * 2 - 1) * scale;
    return out;
  }
}

/**
 * Draws index i with probability weights[i] / sum(weights), from `uniform` (a [0, 1) source such
 * as SeededRandom.next), by binary search over the cumulative sums.
 */
export function weightedSampler(weights: ArrayLike<number>, uniform: () => number): () => number {
  const cdf = new Float64Array(weights.length);
  let total = 0;
  for (let i = 0; i < weights.length; i++) cdf[i] = total += weights[i];
  return () => {
    const u = uniform() * total;
    let lo = 0;
    let hi = weights.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] <= u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}
