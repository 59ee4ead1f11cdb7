/**
 * Random feature sets for nulls: the same size as the real set, each real feature replaced by a
 * random feature of the same density stratum, never one of the real features and never twice in
 * one set. Strata: features that never fired (density 0) form their own, and the others are
 * split into deciles by rank of density, a run of equal densities kept together (at the decile
 * of its middle rank) so that a tie never puts equal features into different strata or unequal
 * ones into the same by accident of id. A null seed s draws its sets from its own PRNG, seeded
 * from (nullSeed, s): the same seeds and densities give the same draws on every machine (the
 * densities come from the SAE's index or one pass over the slice; the artifact records which).
 */
import { WorkbenchError } from '../errors';
import { SeededRandom } from '../random/seededRandom';

export const DECILES = 10;

export interface DensityDeciles {
  /** Stratum of each feature: 0 = never fired (when any did not), then the deciles, rarest first. */
  decileOf: Uint8Array;
  /** Features of each stratum, ascending id (empty strata stay empty). */
  members: number[][];
  /** The lowest density in each stratum (NaN when empty). */
  edges: number[];
}

export function densityDeciles(density: ArrayLike<number>): DensityDeciles {
  const n = density.length;
  const dead: number[] = [];
  const live: number[] = [];
  for (let f = 0; f < n; f++) (density[f] > 0 ? live : dead).push(f);
  const offset = dead.length > 0 ? 1 : 0;
  const strata = DECILES + offset;
  const decileOf = new Uint8Array(n);
  const members: number[][] = Array.from({ length: strata }, () => []);
  const edges: number[] = new Array(strata).fill(NaN);
  if (offset) {
    members[0] = dead;
    edges[0] = 0;
  }
  const order = live.sort((a, b) => density[a] - density[b] || a - b);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && density[order[end]] === density[order[start]]) end++;
    const middle = (start + end - 1) / 2;
    const d = offset + Math.min(DECILES - 1, Math.floor((middle * DECILES) / order.length));
    for (let r = start; r < end; r++) {
      const f = order[r];
      decileOf[f] = d;
      if (members[d].length === 0) edges[d] = density[f];
      members[d].push(f);
    }
    start = end;
  }
  for (const m of members) m.sort((a, b) => a - b);
  return { decileOf, members, edges };
}

/** The PRNG seed of null seed `seed` under base `nullSeed` (a fixed integer mix). */
export function nullPrngSeed(nullSeed: number, seed: number): number {
  return (Math.imul(nullSeed + 1, 0x9e3779b1) ^ Math.imul(seed + 1, 0x85ebca77)) >>> 0;
}

/**
 * A random feature of stratum `d` not in `taken`, widening to neighbouring strata when it has none
 * free (which side first is drawn too, so widening leans neither rarer nor denser).
 */
function drawFrom(deciles: DensityDeciles, d: number, taken: Set<number>, rng: SeededRandom): number {
  for (let spread = 0; spread < deciles.members.length; spread++) {
    const sides = spread === 0 ? [d] : rng.next() < 0.5 ? [d - spread, d + spread] : [d + spread, d - spread];
    for (const dd of sides) {
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
