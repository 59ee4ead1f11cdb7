/**
 * Random feature sets for nulls: the same size as the real set, each real feature replaced by a
 * random feature of the same density decile (deciles by rank of density over all features of the
 * SAE, ties broken by feature id), never one of the real features and never twice in one set. A
 * null seed s draws its sets from its own PRNG, seeded from (nullSeed, s): the same seeds give
 * the same draws on every machine.
 */
import { WorkbenchError } from '../errors';
import { SeededRandom } from '../random/seededRandom';

export const DECILES = 10;

export interface DensityDeciles {
  /** Decile (0 = rarest) of each feature. */
  decileOf: Uint8Array;
  /** Features of each decile, ascending id. */
  members: number[][];
  /** The lowest density in each decile. */
  edges: number[];
}

export function densityDeciles(density: ArrayLike<number>): DensityDeciles {
  const n = density.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => density[a] - density[b] || a - b);
  const decileOf = new Uint8Array(n);
  const members: number[][] = Array.from({ length: DECILES }, () => []);
  const edges: number[] = new Array(DECILES).fill(NaN);
  order.forEach((f, rank) => {
    const d = Math.min(DECILES - 1, Math.floor((rank * DECILES) / n));
    decileOf[f] = d;
    if (members[d].length === 0) edges[d] = density[f];
    members[d].push(f);
  });
  for (const m of members) m.sort((a, b) => a - b);
  return { decileOf, members, edges };
}

/** The PRNG seed of null seed `seed` under base `nullSeed` (a fixed integer mix). */
export function nullPrngSeed(nullSeed: number, seed: number): number {
  return (Math.imul(nullSeed + 1, 0x9e3779b1) ^ Math.imul(seed + 1, 0x85ebca77)) >>> 0;
}

/** A random feature of decile `d` (widening to neighbouring deciles when it has none free) not in `taken`. */
function drawFrom(deciles: DensityDeciles, d: number, taken: Set<number>, rng: SeededRandom): number {
  for (let spread = 0; spread < DECILES; spread++) {
    for (const dd of spread === 0 ? [d] : [d - spread, d + spread]) {
      const pool = deciles.members[dd];
      if (!pool || pool.length === 0) continue;
      // Rejection first (sets are usually far smaller than a decile), then an exact filter.
      for (let tries = 0; tries < 32; tries++) {
        const f = pool[rng.int(pool.length)];
        if (!taken.has(f)) return f;
      }
      const free = pool.filter((f) => !taken.has(f));
      if (free.length > 0) return free[rng.int(free.length)];
    }
  }
  throw new WorkbenchError('NULL_TOO_FEW_FEATURES', `The SAE has too few features to draw a random set of this size that avoids the real features.`, 'Ablate fewer features, or use an SAE with more features.');
}

/** `draws` random feature sets matched to `real` by density decile, for one null seed. */
export function drawNullSets(real: readonly number[], deciles: DensityDeciles, draws: number, prngSeed: number): number[][] {
  const rng = new SeededRandom(prngSeed);
  const exclude = new Set(real);
  return Array.from({ length: draws }, () => {
    const taken = new Set(exclude);
    return real.map((f) => {
      const g = drawFrom(deciles, deciles.decileOf[f], taken, rng);
      taken.add(g);
      return g;
    });
  });
}

/** Every seed's draws: seed s in 0..seeds-1 with its PRNG seed. */
export function drawAllNullSets(real: readonly number[], deciles: DensityDeciles, seeds: number, drawsPerSeed: number, nullSeed: number): { seed: number; prngSeed: number; features: number[][] }[] {
  return Array.from({ length: seeds }, (_, seed) => {
    const prngSeed = nullPrngSeed(nullSeed, seed);
    return { seed, prngSeed, features: drawNullSets(real, deciles, drawsPerSeed, prngSeed) };
  });
}
