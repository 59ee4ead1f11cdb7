/**
 * The sparse step's weight gradients are row scatter-adds: out[j] = sum over the (token, slot)
 * entries that selected latent j of coef * source[token]. ORT's CPU ScatterND with reduction
 * "add" runs its index rows on the intra-op thread pool with no synchronisation: with more than
 * one thread, two tokens that selected the same latent race on that row, so a row's sum depends
 * on thread timing and updates can be lost outright (run to run, the step-1 gradient norm of the
 * same batch differed in the third digit). These sums are built from order-fixed ops instead:
 *  1. sort the N = B x K' entries by latent (TopK over the latent ids: ties keep entry order);
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

/** `idx` [B, slots] int64 latent ids; entry e is token floor(e / slots), slot e mod slots. */
export function latentRuns(g: GraphBuilder, idx: Value, tokens: number, slots: number, dSae: number): LatentRuns {
  const N = tokens * slots;
  // Latent ids are exact in float32 below 2^24; TopK keeps equal values in index order (ONNX spec).
  if (dSae >= 2 ** 24) throw new WorkbenchError('TRAIN_SHAPE', `d_sae ${dSae} is too large: the train step sorts latent ids as float32, exact below 2^24.`, 'Choose d_sae below 16,777,216.');
  const L = latentGroupSize(N, dSae);
  const flat = g.cast(g.reshape(idx, g.ints([-1])), 'float32');
  const [sortedIds, order] = g.op('TopK', [flat, g.ints([N])], { axis: { int: -1 }, largest: { int: 0 }, sorted: { int: 1 } }, 2);
  const lat = g.cast(sortedIds, 'int64');
  const previous = g.concat([g.ints([-1]), g.slice(lat, g.ints([0]), g.ints([N - 1]), g.ints([0]))], 0);
  const isStart = g.op('Not', [g.op('Equal', [lat, previous])[0]])[0];
  const runStart = g.reshape(g.op('NonZero', [isStart])[0], g.ints([-1])); // [U]
  const latents = g.gather(lat, runStart);
  const runEnd = g.concat([g.slice(runStart, g.ints([1]), g.ints([N + 1]), g.ints([0])), g.ints([N])], 0);
  const groups = g.div(g.add(g.sub(runEnd, runStart), g.intScalar(L - 1)), g.intScalar(L));
  const groupEnd = g.op('CumSum', [groups, g.intScalar(0)])[0];
  const groupStart = g.sub(groupEnd, groups);
  // Groups 0..G-1 hold entries; group G is all padding (its row of sums is zero, step 3 reads it).
  const groupCount = g.add(g.reshape(g.slice(groupEnd, g.ints([-1]), g.ints([N + 1]), g.ints([0])), g.ints([])), g.intScalar(1));
  const firstOfRun = g.op('ScatterND', [g.expand(g.intScalar(0), g.reshape(groupCount, g.ints([1]))), g.unsqueeze(groupStart, [1]), g.expand(g.intScalar(1), g.shape(groupStart))])[0];
  const run = g.sub(g.op('CumSum', [firstOfRun, g.intScalar(0)])[0], g.intScalar(1)); // [G + 1]
  const q = g.range(g.intScalar(0), groupCount, g.intScalar(1));
  const within = g.sub(q, g.gather(groupStart, run));
  const base = g.add(g.gather(runStart, run), g.mul(within, g.intScalar(L)));
  const candidates = g.add(g.unsqueeze(base, [1]), g.ints(Array.from({ length: L }, (_, i) => i))); // [G + 1, L]
  // The padding group (run = the last latent, within = its group count) starts past that run's end.
  const valid = g.op('Less', [candidates, g.unsqueeze(g.gather(runEnd, run), [1])])[0];
  const groupEntries = g.where(valid, candidates, g.intScalar(N));
  const tokenOf = g.concat([g.div(order, g.intScalar(slots)), g.ints([0])], 0); // [N + 1]
  return { entries: N, dSae, order, latents, runStart, runEnd, groupStart, groupEnd, groupEntries, groupTokens: g.gather(tokenOf, groupEntries), groupSize: L };
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

/**
 * For each term t: out_t[j] = sum over the entries e of latent j of coef_t[e] * source_t[token(e)],
 * [d_sae, w] (`coef` [B, slots], `source` [B, w]). Several terms share one gather of their
 * sources side by side and one MatMul ([T, L] coefficients x [L, T w] rows: the off-diagonal
 * blocks are wasted arithmetic, but the step is bound by memory, which this halves for T = 2).
 */
export function latentRowSums(g: GraphBuilder, r: LatentRuns, terms: { coef: Value; source: Value }[], width: number): Value[] {
  const T = terms.length;
  const coefs = terms.map((t) => g.unsqueeze(g.gather(g.concat([g.gather(g.reshape(t.coef, g.ints([-1])), r.order), g.constantOfShape(g.ints([1]))], 0), r.groupEntries), [1])); // [G + 1, 1, L], padding 0
  const c = T === 1 ? coefs[0] : g.concat(coefs, 1); // [G + 1, T, L]
  const source = T === 1 ? terms[0].source : g.concat(terms.map((t) => t.source), 1); // [B, T w]
  const products = g.matmul(c, g.gather(source, r.groupTokens)); // [G + 1, T, T w]
  // Term t's partial sums are block (t, t).
  const partials = T === 1 ? g.reshape(products, g.ints([-1, width])) : g.concat(terms.map((_, t) => g.reshape(g.slice(products, g.ints([t, t * width]), g.ints([t + 1, (t + 1) * width]), g.ints([1, 2])), g.ints([-1, width]))), 1);
  const sums = placeRuns(g, r, partials, r.groupStart, r.groupEnd, T * width); // [d_sae, T w]
  return T === 1 ? [sums] : terms.map((_, t) => g.slice(sums, g.ints([t * width]), g.ints([(t + 1) * width]), g.ints([1])));
}

/** out[j, c] = sum over entries e of latent j of values[e, c]: [d_sae, w]. `values` [B, slots, w] or [N, w]. */
export function latentValueSums(g: GraphBuilder, r: LatentRuns, values: Value, width: number): Value {
  const sorted = g.concat([g.gather(g.reshape(values, g.ints([r.entries, width])), r.order), g.constantOfShape(g.ints([1, width]))], 0); // [N + 1, w]
  return placeRuns(g, r, sorted, r.runStart, r.runEnd, width);
}
