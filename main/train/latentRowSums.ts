/**
 * The sparse step's weight gradients are row scatter-adds: out[j] = sum over the (token, slot)
 * entries that selected latent j of coef * source[token]. ORT's CPU ScatterND with reduction
 * "add" runs its index rows on the intra-op thread pool with no synchronisation: with more than
 * one thread, two tokens that selected the same latent race on that row, so a row's sum depends
 * on thread timing and updates can be lost outright (run to run, the step-1 gradient norm of the
 * same batch differed in the third digit). These sums are built from order-fixed ops instead:
 *  1. sort the N = B x K' entries by latent (TopK over the latent ids: ties keep entry order),
 *     entries known to add nothing (not fired) last, out of every sum;
 *  2. cut each latent's run of entries into groups of `groupSize`, padded with a zero entry, and
 *     sum each group with one small MatMul (coefficients [1, L] x gathered source rows [L, w]);
 *  3. add up each latent's groups exactly enough: an exclusive CumSum in float64 over the groups,
 *     differenced at the latent's first and one-past-last group;
 *  4. place each latent's row with ScatterND without reduction (every latent once).
 * Every sum has a fixed order that depends only on the batch, never on threads: a run repeats bit
 * for bit on any thread count. The work stays O(N w) like the scatter it replaces.
 */
import { WorkbenchError } from '../errors';
import type { GraphBuilder, Value } from '../engine/onnx/graphBuilder';

const ONNX_DOUBLE = 11;

/** Sorted-entry bookkeeping shared by every sum over one selection. */
export interface LatentRuns {
  /** Entries N = tokens x slots. */
  entries: number;
  dSae: number;
  /** Entry ids in latent order [N]. */
  order: Value;
  /** Distinct latents selected, ascending [U]. */
  latents: Value;
  /** Each latent's first and one-past-last sorted entry [U]. */
  runStart: Value;
  runEnd: Value;
  /** Each latent's first and one-past-last group [U]. */
  groupStart: Value;
  groupEnd: Value;
  /** For each group (plus one trailing all-padding group) its L entries: sorted positions, N = padding [G + 1, L]. */
  groupEntries: Value;
  /** The token of each of those entries (padding: token 0 with coefficient 0) [G + 1, L]. */
  groupTokens: Value;
  groupSize: number;
}

/**
 * Entries per group: about sqrt(8 N / d_sae), a power of two in [1, 32]. Bigger groups pad more
 * (half a group per latent), smaller ones leave more float64 partial sums for step 3.
 */
export function latentGroupSize(entries: number, dSae: number): number {
  const ideal = Math.sqrt((8 * entries) / Math.max(1, dSae));
  return Math.min(32, Math.max(1, 2 ** Math.round(Math.log2(Math.max(1, ideal)))));
}

/**
 * `idx` [B, slots] int64 latent ids; entry e is token floor(e / slots), slot e mod slots. `keep`
 * [B, slots] bool, optional: where false, the entry is left out of every sum (its terms must be
 * zero: a latent selected but not fired). BatchTopK fires about a quarter of its candidates, so
 * this saves most of its work.
 */
export function latentRuns(g: GraphBuilder, idx: Value, tokens: number, slots: number, dSae: number, keep?: Value): LatentRuns {
  const N = tokens * slots;
  // Latent ids (and d_sae, the key of entries left out) are exact in float32 below 2^24; TopK
  // keeps equal values in index order (ONNX spec), so each latent's entries stay in batch order.
  if (dSae >= 2 ** 24) throw new WorkbenchError('TRAIN_SHAPE', `d_sae ${dSae} is too large: the train step sorts latent ids as float32, exact below 2^24.`, 'Choose d_sae below 16,777,216.');
  const L = latentGroupSize(N, dSae);
  const ids = g.reshape(idx, g.ints([-1]));
  const kept = keep ? g.reshape(keep, g.ints([-1])) : null;
  const key = g.cast(kept ? g.where(kept, ids, g.intScalar(dSae)) : ids, 'float32');
  const [sortedIds, order] = g.op('TopK', [key, g.ints([N])], { axis: { int: -1 }, largest: { int: 0 }, sorted: { int: 1 } }, 2);
  const lat = g.cast(sortedIds, 'int64');
  // Entries kept: the first nKept sorted ones (the left-out ones sort last, under key d_sae).
  const nKept = kept ? g.op('ReduceSum', [g.cast(kept, 'int64'), g.ints([0])], { keepdims: { int: 1 } })[0] : g.ints([N]); // [1]
  const previous = g.concat([g.ints([-1]), g.slice(lat, g.ints([0]), g.ints([N - 1]), g.ints([0]))], 0);
  let isStart = g.op('Not', [g.op('Equal', [lat, previous])[0]])[0];
  if (kept) isStart = g.op('And', [isStart, g.op('Less', [lat, g.intScalar(dSae)])[0]])[0];
  const runStart = g.reshape(g.op('NonZero', [isStart])[0], g.ints([-1])); // [U], U may be 0
  const latents = g.gather(lat, runStart);
  const runEnd = g.slice(g.concat([runStart, nKept], 0), g.ints([1]), g.ints([N + 1]), g.ints([0]));
  const groups = g.div(g.add(g.sub(runEnd, runStart), g.intScalar(L - 1)), g.intScalar(L));
  // One more run, empty, at nKept, with one group: the all-padding group G (its row of sums is
  // zero, step 3 reads it). It also gives every group a run when no entry is kept.
  const runStartX = g.concat([runStart, nKept], 0);
  const runEndX = g.concat([runEnd, nKept], 0);
  const groupsX = g.concat([groups, g.ints([1])], 0);
  const groupEndX = g.op('CumSum', [groupsX, g.intScalar(0)])[0];
  const groupStartX = g.sub(groupEndX, groupsX);
  const groupCount = g.op('ReduceSum', [groupsX], { keepdims: { int: 1 } })[0]; // [1] = G + 1
  const firstOfRun = g.op('ScatterND', [g.expand(g.intScalar(0), groupCount), g.unsqueeze(groupStartX, [1]), g.expand(g.intScalar(1), g.shape(groupStartX))])[0];
  const run = g.sub(g.op('CumSum', [firstOfRun, g.intScalar(0)])[0], g.intScalar(1)); // [G + 1], in 0..U
  const q = g.range(g.intScalar(0), g.reshape(groupCount, g.ints([])), g.intScalar(1));
  const within = g.sub(q, g.gather(groupStartX, run));
  const base = g.add(g.gather(runStartX, run), g.mul(within, g.intScalar(L)));
  const candidates = g.add(g.unsqueeze(base, [1]), g.ints(Array.from({ length: L }, (_, i) => i))); // [G + 1, L]
  const inRun = g.op('Less', [candidates, g.unsqueeze(g.gather(runEndX, run), [1])])[0];
  const groupEntries = g.where(inRun, candidates, g.intScalar(N));
  const tokenOf = g.concat([g.div(order, g.intScalar(slots)), g.ints([0])], 0); // [N + 1]
  const firstU = (v: Value) => g.slice(v, g.ints([0]), g.ints([-1]), g.ints([0]));
  return { entries: N, dSae, order, latents, runStart, runEnd, groupStart: firstU(groupStartX), groupEnd: firstU(groupEndX), groupEntries, groupTokens: g.gather(tokenOf, groupEntries), groupSize: L };
}

/**
 * Per latent, the sum of `partials` rows [from, to) as the difference of a float64 exclusive
 * running sum (`to` may be the last row, which must be zero), placed at the latent's row [d_sae, w].
 */
function placeRuns(g: GraphBuilder, r: LatentRuns, partials: Value, from: Value, to: Value, width: number): Value {
  const running = g.op('CumSum', [g.op('Cast', [partials], { to: { int: ONNX_DOUBLE } })[0], g.intScalar(0)], { exclusive: { int: 1 } })[0];
  const sums = g.cast(g.sub(g.gather(running, to), g.gather(running, from)), 'float32'); // [U, w]
  return g.op('ScatterND', [g.constantOfShape(g.ints([r.dSae, width])), g.unsqueeze(r.latents, [1]), sums])[0];
}

/** Gathered source floats per column chunk: bounds the step's largest intermediates (see latentRowSums). */
export const ROW_SUM_CHUNK_FLOATS = 2 ** 24;

/**
 * Columns per chunk: the gathered rows of one chunk, [G + 1, L, columns], stay under
 * ROW_SUM_CHUNK_FLOATS for the most groups a batch can have (G <= N / L + distinct latents).
 */
export function latentChunkColumns(r: Pick<LatentRuns, 'entries' | 'dSae' | 'groupSize'>, width: number, chunkFloats = ROW_SUM_CHUNK_FLOATS): number {
  const maxGroups = Math.floor(r.entries / r.groupSize) + Math.min(r.dSae, r.entries) + 1;
  const fit = Math.max(1, Math.floor(chunkFloats / (maxGroups * r.groupSize)));
  // Chunks of about equal width.
  return Math.ceil(width / Math.ceil(width / fit));
}

/**
 * For each term t: out_t[j] = sum over the entries e of latent j of coef_t[e] * source_t[token(e)],
 * [d_sae, w] (`coef` [B, slots], `source` [B, w]). The source is taken a chunk of columns at a
 * time (gather the groups' rows, one batched [1, L] x [L, columns] MatMul, float64 running sums,
 * placed rows): the gathered rows of a whole term would be N x w floats plus padding (800 MB at
 * B 4096, k 40, d_in 512 for two terms), and fresh memory is what the first step pays for most.
 */
export function latentRowSums(g: GraphBuilder, r: LatentRuns, terms: { coef: Value; source: Value }[], width: number, chunkFloats = ROW_SUM_CHUNK_FLOATS): Value[] {
  const cols = latentChunkColumns(r, width, chunkFloats);
  return terms.map((t) => {
    const coef = g.unsqueeze(g.gather(g.concat([g.gather(g.reshape(t.coef, g.ints([-1])), r.order), g.constantOfShape(g.ints([1]))], 0), r.groupEntries), [1]); // [G + 1, 1, L], padding 0
    const chunks: Value[] = [];
    for (let from = 0; from < width; from += cols) {
      const to = Math.min(width, from + cols);
      const part = to - from === width ? t.source : g.slice(t.source, g.ints([from]), g.ints([to]), g.ints([1])); // [B, c]
      const partials = g.reshape(g.matmul(coef, g.gather(part, r.groupTokens)), g.ints([-1, to - from])); // [G + 1, c]
      chunks.push(placeRuns(g, r, partials, r.groupStart, r.groupEnd, to - from));
    }
    return chunks.length === 1 ? chunks[0] : g.concat(chunks, 1);
  });
}

/** out[j, c] = sum over entries e of latent j of values[e, c]: [d_sae, w]. `values` [B, slots, w] or [N, w]. */
export function latentValueSums(g: GraphBuilder, r: LatentRuns, values: Value, width: number): Value {
  const sorted = g.concat([g.gather(g.reshape(values, g.ints([r.entries, width])), r.order), g.constantOfShape(g.ints([1, width]))], 0); // [N + 1, w]
  return placeRuns(g, r, sorted, r.runStart, r.runEnd, width);
}
