/**
 * THE definitions of what a dictionary looks like beyond its reconstruction (issue 18: a dictionary
 * can pass FVE and dead % while a dozen latents are copies of one direction), computed on the
 * evaluated tokens with the SAE's exported (folded) decoder:
 *  - live latents: those that fired on at least one evaluated token;
 *  - max cosine of a live latent: its largest decoder cosine with another LIVE latent; the
 *    dictionary's max_cosine is the largest of these, mean_max_cosine their mean;
 *  - duplicate_pct = percent of live latents whose max cosine is >= DUPLICATE_COSINE (0.9);
 *    duplicate groups are the connected components of the "cosine >= 0.9" graph, each pair shown
 *    with its cosine and the co-firing Pearson r of the two latents' activations over the tokens
 *    (zeros included: r near 1 means they fire together, at proportional strength);
 *  - density of a latent = tokens it fired on / tokens; dense_pct = percent of ALL latents with
 *    density > DENSE_DENSITY (10 %); the histogram bins log10(density) of the live latents.
 * Cosines come from one ORT product over the live latents' unit decoder rows (top neighbours per
 * row), not JS loops; sums are float64.
 */
import type { DeviceChoice } from '../engine/executionProviders';
import { topOfProduct, unitRows } from '../index/decoderGeometry';
import type { DictionaryReport, DuplicateGroup } from '../../preload/contract/train';

export const DUPLICATE_COSINE = 0.9;
export const DENSE_DENSITY = 0.1;
/** Neighbours kept per live latent: every pair at cosine >= 0.9 up to this many per latent (groups stay connected through chains). */
const NEIGHBOURS = 32;
/** Width of a log10-density histogram bin. */
export const DENSITY_BIN_WIDTH = 0.25;
/** Groups and pairs per group carried in a result (the counts are always exact). */
const MAX_GROUPS = 50;
const MAX_PAIRS_PER_GROUP = 40;

/** The evaluated tokens' sparse codes: per token, the latents that fired and their activations. */
export class SparseCodes {
  private latents = new Int32Array(1024);
  private values = new Float32Array(1024);
  private rowStart: number[] = [0];
  private used = 0;

  addRow(latents: ArrayLike<number>, values: ArrayLike<number>, count = latents.length): void {
    if (this.used + count > this.latents.length) {
      const size = Math.max(this.latents.length * 2, this.used + count);
      const l = new Int32Array(size);
      const v = new Float32Array(size);
      l.set(this.latents.subarray(0, this.used));
      v.set(this.values.subarray(0, this.used));
      this.latents = l;
      this.values = v;
    }
    for (let i = 0; i < count; i++) {
      this.latents[this.used + i] = latents[i];
      this.values[this.used + i] = values[i];
    }
    this.used += count;
    this.rowStart.push(this.used);
  }

  get rows(): number {
    return this.rowStart.length - 1;
  }

  /** Calls visit(latent, value) for each nonzero of row r. */
  forEachInRow(r: number, visit: (latent: number, value: number) => void): void {
    for (let i = this.rowStart[r]; i < this.rowStart[r + 1]; i++) visit(this.latents[i], this.values[i]);
  }
}

/** Pearson r of two latents' activations over all rows (zeros included), float64; 0 when either is constant. */
export function coFiringPearson(codes: SparseCodes, pairs: readonly [number, number][]): number[] {
  const n = codes.rows;
  const wanted = new Map<number, number[]>();
  const sums = new Map<number, { s: number; ss: number }>();
  pairs.forEach(([a, b], p) => {
    for (const l of [a, b]) {
      if (!wanted.has(l)) wanted.set(l, []);
      sums.set(l, { s: 0, ss: 0 });
    }
    wanted.get(a)!.push(p);
  });
  const cross = new Float64Array(pairs.length);
  const rowValues = new Map<number, number>();
  for (let r = 0; r < n; r++) {
    rowValues.clear();
    codes.forEachInRow(r, (l, v) => {
      const s = sums.get(l);
      if (!s) return;
      s.s += v;
      s.ss += v * v;
      rowValues.set(l, v);
    });
    for (const [l, va] of rowValues) {
      for (const p of wanted.get(l) ?? []) {
        const vb = rowValues.get(pairs[p][1]);
        if (vb !== undefined) cross[p] += va * vb;
      }
    }
  }
  return pairs.map(([a, b], p) => {
    const A = sums.get(a)!;
    const B = sums.get(b)!;
    const cov = cross[p] - (A.s * B.s) / n;
    const va = A.ss - (A.s * A.s) / n;
    const vb = B.ss - (B.s * B.s) / n;
    return va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : 0;
  });
}

/** Bins of log10(density) for the live latents, from the lowest possible density (1 / tokens) up to 0. */
export function densityHistogram(fireCounts: ArrayLike<number>, tokens: number): DictionaryReport['density_histogram'] {
  const lo = Math.floor(Math.log10(1 / Math.max(1, tokens)) / DENSITY_BIN_WIDTH) * DENSITY_BIN_WIDTH;
  const bins = Math.max(1, Math.round(-lo / DENSITY_BIN_WIDTH));
  const counts = new Array<number>(bins).fill(0);
  let dead = 0;
  for (let j = 0; j < fireCounts.length; j++) {
    if (fireCounts[j] === 0) {
      dead++;
      continue;
    }
    const x = Math.log10(fireCounts[j] / tokens);
    counts[Math.min(bins - 1, Math.max(0, Math.floor((x - lo) / DENSITY_BIN_WIDTH + 1e-9)))]++;
  }
  return { log10_min: lo, bin_width: DENSITY_BIN_WIDTH, counts, dead };
}

/** Union-find over latent ids. */
function components(pairs: readonly [number, number][]): number[][] {
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    let r = x;
    while (parent.get(r)! !== r) r = parent.get(r)!;
    while (parent.get(x)! !== r) {
      const next = parent.get(x)!;
      parent.set(x, r);
      x = next;
    }
    return r;
  };
  for (const [a, b] of pairs) {
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(Math.max(ra, rb), Math.min(ra, rb));
  }
  const groups = new Map<number, number[]>();
  for (const x of parent.keys()) {
    const r = find(x);
    if (!groups.has(r)) groups.set(r, []);
    groups.get(r)!.push(x);
  }
  return [...groups.values()].map((g) => g.sort((a, b) => a - b));
}

export interface DictionaryInput {
  /** Decoder rows [dSae, dIn] of the SAE as it reads raw activations (folded). */
  W_dec: Float32Array;
  dSae: number;
  dIn: number;
  fireCounts: ArrayLike<number>;
  tokens: number;
  /** The evaluated tokens' codes, for the co-firing r of duplicate pairs. */
  codes: SparseCodes;
}

export async function dictionaryMetrics(input: DictionaryInput, device: DeviceChoice): Promise<DictionaryReport> {
  const { dSae, dIn, fireCounts, tokens } = input;
  const live: number[] = [];
  let dense = 0;
  for (let j = 0; j < dSae; j++) {
    if (fireCounts[j] > 0) live.push(j);
    if (fireCounts[j] / Math.max(1, tokens) > DENSE_DENSITY) dense++;
  }
  const histogram = densityHistogram(fireCounts, tokens);
  const base = { live: live.length, dense_pct: (100 * dense) / dSae, density_histogram: histogram, duplicate_cosine: DUPLICATE_COSINE, dense_density: DENSE_DENSITY };
  if (live.length < 2) return { ...base, duplicate_pct: 0, duplicates: 0, max_cosine: 0, mean_max_cosine: 0, groups: [], group_count: 0 };

  const n = live.length;
  const rows = new Float32Array(n * dIn);
  live.forEach((j, i) => rows.set(input.W_dec.subarray(j * dIn, (j + 1) * dIn), i * dIn));
  const unit = unitRows(rows, n, dIn);
  const transposed = new Float32Array(dIn * n);
  for (let i = 0; i < n; i++) for (let d = 0; d < dIn; d++) transposed[d * n + i] = unit[i * dIn + d];
  const [top] = await topOfProduct(unit, n, dIn, transposed, n, NEIGHBOURS + 1, ['largest'], device);

  const pairKeys = new Set<string>();
  const pairs: [number, number][] = [];
  const cosines: number[] = [];
  let maxSum = 0;
  let maxCos = -1;
  let duplicates = 0;
  for (let i = 0; i < n; i++) {
    let best = -1;
    for (let c = 0; c < top.k; c++) {
      const other = top.ids[i * top.k + c];
      if (other === i) continue;
      const cos = Math.min(1, top.values[i * top.k + c]);
      if (best < 0 || cos > best) best = cos;
      if (cos >= DUPLICATE_COSINE) {
        const a = live[Math.min(i, other)];
        const b = live[Math.max(i, other)];
        const key = `${a},${b}`;
        if (!pairKeys.has(key)) {
          pairKeys.add(key);
          pairs.push([a, b]);
          cosines.push(cos);
        }
      }
    }
    maxSum += best;
    maxCos = Math.max(maxCos, best);
    if (best >= DUPLICATE_COSINE) duplicates++;
  }
  const groupsAll = components(pairs).sort((a, b) => b.length - a.length || a[0] - b[0]);
  const shown = groupsAll.slice(0, MAX_GROUPS);
  const shownSet = new Map<number, number>();
  shown.forEach((g, gi) => g.forEach((l) => shownSet.set(l, gi)));
  const groupPairs: { pair: [number, number]; cosine: number }[][] = shown.map(() => []);
  pairs.forEach((pair, p) => {
    const gi = shownSet.get(pair[0]);
    if (gi !== undefined) groupPairs[gi].push({ pair, cosine: cosines[p] });
  });
  for (const list of groupPairs) list.sort((x, y) => y.cosine - x.cosine);
  const kept = groupPairs.map((list) => list.slice(0, MAX_PAIRS_PER_GROUP));
  const rs = coFiringPearson(input.codes, kept.flat().map((x) => x.pair));
  let at = 0;
  const groups: DuplicateGroup[] = shown.map((latents, gi) => ({
    latents,
    max_cosine: kept[gi][0]?.cosine ?? 0,
    pairs: kept[gi].map((x) => ({ a: x.pair[0], b: x.pair[1], cosine: x.cosine, co_firing_r: rs[at++] })),
    pair_count: groupPairs[gi].length,
  }));
  return {
    ...base,
    duplicate_pct: (100 * duplicates) / n,
    duplicates,
    max_cosine: maxCos,
    mean_max_cosine: maxSum / n,
    groups,
    group_count: groupsAll.length,
  };
}
