/**
 * The end of a build: one pass over the sparse store (not a second model pass) gives each
 * feature's activation histogram, its interval examples as sae_vis draws them, and the co-firing
 * sums behind activation correlations; the accumulators give stats and top examples; the
 * decoder geometry (computed by the caller with ORT) gives similar features and logit effects.
 * Everything derived is deleted and rewritten in one transaction, so a finalize interrupted by a
 * crash simply runs again.
 */
import type { Db } from '../db/connection';
import { SeededRandom } from '../random/seededRandom';
import type { CorpusStore } from './corpusStore';
import type { TopEntries } from './decoderGeometry';
import type { FeatureAccumulator } from './featureAccumulator';
import { blockOffsets, decodeBlock } from './sparseBlocks';

export const HISTOGRAM_BINS = 50;
export const INTERVALS = 10;
export const INTERVAL_EXAMPLES = 5;
export const NEIGHBOURS = 5;
/**
 * A crosscoder index keeps the logit effects of model A's decoder beside model B's: positive at
 * ranks OTHER_LOGIT_RANK + r, negative at -OTHER_LOGIT_RANK - 1 - r (same table, same checksums).
 */
export const OTHER_LOGIT_RANK = 100;
/** Memory for the co-firing sums (float64 d_sae x d_sae upper triangle, in row bands). */
const CORRELATION_BYTES = 256 * 1024 * 1024;

export interface FinalizeInputs {
  acc: FeatureAccumulator;
  dSae: number;
  seed: number;
  decoderNorms: Float64Array;
  similar: TopEntries;
  logits: { positive: TopEntries; negative: TopEntries } | null;
  /** Crosscoders: the other model's decoder @ its W_U, stored at ranks offset by OTHER_LOGIT_RANK. */
  otherLogits?: { positive: TopEntries; negative: TopEntries } | null;
  corpus: CorpusStore;
  /** Called with a fraction of the pass done (0..1), for progress. */
  onProgress?: (fraction: number) => void;
}

/** Equal-width bin of v in (0, max] with `bins` bins: (b/bins*max, (b+1)/bins*max]. */
export function binOf(v: number, max: number, bins: number): number {
  const b = Math.ceil((v / max) * bins) - 1;
  return b < 0 ? 0 : b >= bins ? bins - 1 : b;
}

/**
 * Pearson correlation of two features' activations over all N tokens (zeros included), from
 * sums: r = (N Sij - Si Sj) / sqrt((N Sii - Si^2)(N Sjj - Sj^2)); null when either is constant.
 */
export function pearsonFromSums(n: number, si: number, sj: number, sii: number, sjj: number, sij: number): number | null {
  const vi = n * sii - si * si;
  const vj = n * sjj - sj * sj;
  if (!(vi > 0) || !(vj > 0)) return null;
  return (n * sij - si * sj) / Math.sqrt(vi * vj);
}

interface BlockRow {
  document: number;
  start: number;
  counts: Buffer;
  features: Buffer;
  vals: Buffer;
}

function* blocksOf(db: Db, dSae: number) {
  for (const row of db.prepare('SELECT document, start, counts, features, vals FROM blocks ORDER BY id').iterate() as Iterable<BlockRow>) yield decodeBlock(row, dSae);
}

export function finalizeIndex(db: Db, inputs: FinalizeInputs): void {
  const { acc, dSae, seed } = inputs;
  const totalBlocks = (db.prepare('SELECT count(*) AS n FROM blocks').get() as { n: number }).n;
  // At least one row a band, and no band past the last row.
  const bandRows = Math.max(1, Math.ceil(dSae / Math.max(1, Math.ceil((dSae * dSae * 8) / CORRELATION_BYTES))));
  const bands = Math.max(1, Math.ceil(dSae / bandRows));
  const passes = bands;
  let blocksDone = 0;
  const tick = () => {
    blocksDone++;
    if (blocksDone % 256 === 0) inputs.onProgress?.(blocksDone / (totalBlocks * passes));
  };

  // Pass 1 also fills histograms and interval reservoirs.
  const histograms = new Uint32Array(dSae * HISTOGRAM_BINS);
  const intervalCounts = new Float64Array(dSae * INTERVALS);
  const resDoc = new Int32Array(dSae * INTERVALS * INTERVAL_EXAMPLES);
  const resPos = new Int32Array(dSae * INTERVALS * INTERVAL_EXAMPLES);
  const resVal = new Float32Array(dSae * INTERVALS * INTERVAL_EXAMPLES);
  const rng = new SeededRandom(seed);
  const correlated: { ids: Int32Array; scores: Float32Array; count: Uint8Array } = {
    ids: new Int32Array(dSae * NEIGHBOURS),
    scores: new Float32Array(dSae * NEIGHBOURS),
    count: new Uint8Array(dSae),
  };
  const max = acc.max;
  const sortedIds = new Uint32Array(dSae);
  const sortedVals = new Float32Array(dSae);

  for (let band = 0; band < bands; band++) {
    const lo = band * bandRows;
    const hi = Math.min(dSae, lo + bandRows);
    // float64: a float32 sum stops growing near 2^24 terms, which a 20M-token index reaches.
    const coSums = new Float64Array((hi - lo) * dSae);
    for (const block of blocksOf(db, dSae)) {
      const offsets = blockOffsets(block.counts);
      for (let p = 0; p < block.counts.length; p++) {
        const a = offsets[p];
        const c = offsets[p + 1] - a;
        if (c === 0) continue;
        if (band === 0) {
          for (let j = a; j < a + c; j++) {
            const f = block.features[j];
            const v = block.values[j];
            histograms[f * HISTOGRAM_BINS + binOf(v, max[f], HISTOGRAM_BINS)]++;
            const k = binOf(v, max[f], INTERVALS);
            const seen = ++intervalCounts[f * INTERVALS + k];
            // Reservoir sampling: each firing in the interval ends up kept with equal chance.
            const base = (f * INTERVALS + k) * INTERVAL_EXAMPLES;
            const slot = seen <= INTERVAL_EXAMPLES ? seen - 1 : rng.int(seen);
            if (slot < INTERVAL_EXAMPLES) {
              resDoc[base + slot] = block.document;
              resPos[base + slot] = block.start + p;
              resVal[base + slot] = v;
            }
          }
        }
        // Co-firing sums over pairs i < j whose i falls in this band.
        for (let j = 0; j < c; j++) {
          sortedIds[j] = block.features[a + j];
          sortedVals[j] = block.values[a + j];
        }
        sortPairs(sortedIds, sortedVals, c);
        for (let x = 0; x < c; x++) {
          const i = sortedIds[x];
          if (i < lo) continue;
          if (i >= hi) break;
          const row = (i - lo) * dSae;
          const vi = sortedVals[x];
          for (let y = x + 1; y < c; y++) coSums[row + sortedIds[y]] += vi * sortedVals[y];
        }
      }
      tick();
    }
    collectCorrelations(coSums, lo, hi, dSae, acc, correlated);
  }

  db.transaction(() => {
    for (const table of ['feature_stats', 'examples', 'intervals', 'histograms', 'logit_effects', 'neighbours', 'token_features']) db.prepare(`DELETE FROM ${table}`).run();
    const stat = db.prepare('INSERT INTO feature_stats (feature, fire_count, sum, sum_sq, max, decoder_norm) VALUES (?, ?, ?, ?, ?, ?)');
    const example = db.prepare('INSERT INTO examples (feature, kind, rank, document, position, activation) VALUES (?, ?, ?, ?, ?, ?)');
    const interval = db.prepare('INSERT INTO intervals (feature, interval, lower, upper, count) VALUES (?, ?, ?, ?, ?)');
    const histogram = db.prepare('INSERT INTO histograms (feature, counts) VALUES (?, ?)');
    const logit = db.prepare('INSERT INTO logit_effects (feature, rank, token, value) VALUES (?, ?, ?, ?)');
    const neighbour = db.prepare('INSERT INTO neighbours (feature, kind, rank, other, score) VALUES (?, ?, ?, ?, ?)');
    const tokenFeature = db.prepare('INSERT INTO token_features (token, feature, hits, best) VALUES (?, ?, ?, ?)');
    const tokenCache = new Map<number, Int32Array | null>();
    const tokenAt = (document: number, position: number): number | null => {
      if (!tokenCache.has(document)) tokenCache.set(document, inputs.corpus.tokens(document));
      const t = tokenCache.get(document);
      return t && position < t.length ? t[position] : null;
    };
    for (let f = 0; f < dSae; f++) {
      stat.run(f, acc.fireCount[f], acc.sum[f], acc.sumSq[f], acc.max[f], inputs.decoderNorms[f]);
      if (acc.fireCount[f] > 0) {
        const hits = new Map<number, { hits: number; best: number }>();
        acc.topExamples(f).forEach((e, rank) => {
          example.run(f, -1, rank, e.document, e.position, e.activation);
          const token = tokenAt(e.document, e.position);
          if (token !== null) {
            const h = hits.get(token) ?? { hits: 0, best: 0 };
            h.hits++;
            h.best = Math.max(h.best, e.activation);
            hits.set(token, h);
          }
        });
        for (const [token, h] of hits) tokenFeature.run(token, f, h.hits, h.best);
        histogram.run(f, Buffer.from(histograms.slice(f * HISTOGRAM_BINS, (f + 1) * HISTOGRAM_BINS).buffer));
        for (let k = 0; k < INTERVALS; k++) {
          const count = intervalCounts[f * INTERVALS + k];
          interval.run(f, k, (k / INTERVALS) * max[f], ((k + 1) / INTERVALS) * max[f], count);
          const base = (f * INTERVALS + k) * INTERVAL_EXAMPLES;
          const kept = Array.from({ length: Math.min(count, INTERVAL_EXAMPLES) }, (_, s) => ({ document: resDoc[base + s], position: resPos[base + s], activation: resVal[base + s] }));
          // Shown in document order: a sample, not a ranking.
          kept.sort((x, y) => x.document - y.document || x.position - y.position).forEach((e, rank) => example.run(f, k, rank, e.document, e.position, e.activation));
        }
        for (let r = 0; r < correlated.count[f]; r++) neighbour.run(f, 'correlated', r, correlated.ids[f * NEIGHBOURS + r], correlated.scores[f * NEIGHBOURS + r]);
      }
      for (let r = 0; r < inputs.similar.k; r++) neighbour.run(f, 'similar', r, inputs.similar.ids[f * inputs.similar.k + r], inputs.similar.values[f * inputs.similar.k + r]);
      if (inputs.logits) {
        const { positive, negative } = inputs.logits;
        for (let r = 0; r < positive.k; r++) logit.run(f, r, positive.ids[f * positive.k + r], positive.values[f * positive.k + r]);
        for (let r = 0; r < negative.k; r++) logit.run(f, -1 - r, negative.ids[f * negative.k + r], negative.values[f * negative.k + r]);
      }
      if (inputs.otherLogits) {
        const { positive, negative } = inputs.otherLogits;
        for (let r = 0; r < positive.k; r++) logit.run(f, OTHER_LOGIT_RANK + r, positive.ids[f * positive.k + r], positive.values[f * positive.k + r]);
        for (let r = 0; r < negative.k; r++) logit.run(f, -OTHER_LOGIT_RANK - 1 - r, negative.ids[f * negative.k + r], negative.values[f * negative.k + r]);
      }
    }
  })();
  inputs.onProgress?.(1);
}

/** Insertion sort by id (k is small: tens of latents per token). */
function sortPairs(ids: Uint32Array, vals: Float32Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const id = ids[i];
    const v = vals[i];
    let j = i - 1;
    while (j >= 0 && ids[j] > id) {
      ids[j + 1] = ids[j];
      vals[j + 1] = vals[j];
      j--;
    }
    ids[j + 1] = id;
    vals[j + 1] = v;
  }
}

/** From a band's upper-triangle sums, offer each pair's Pearson r to both features' top lists. */
function collectCorrelations(coSums: Float64Array, lo: number, hi: number, dSae: number, acc: FeatureAccumulator, out: { ids: Int32Array; scores: Float32Array; count: Uint8Array }): void {
  const n = acc.tokens;
  for (let i = lo; i < hi; i++) {
    if (acc.fireCount[i] === 0) continue;
    const row = (i - lo) * dSae;
    for (let j = i + 1; j < dSae; j++) {
      const sij = coSums[row + j];
      if (sij === 0) continue;
      const r = pearsonFromSums(n, acc.sum[i], acc.sum[j], acc.sumSq[i], acc.sumSq[j], sij);
      if (r === null || !(r > 0)) continue;
      offerNeighbour(out, i, j, r);
      offerNeighbour(out, j, i, r);
    }
  }
}

/** Keeps the NEIGHBOURS largest scores per feature, sorted descending (ties: smaller id first). */
function offerNeighbour(out: { ids: Int32Array; scores: Float32Array; count: Uint8Array }, f: number, other: number, score: number): void {
  const base = f * NEIGHBOURS;
  let n = out.count[f];
  if (n === NEIGHBOURS && !(score > out.scores[base + n - 1] || (score === out.scores[base + n - 1] && other < out.ids[base + n - 1]))) return;
  if (n < NEIGHBOURS) n = ++out.count[f];
  let i = n - 1;
  while (i > 0 && (score > out.scores[base + i - 1] || (score === out.scores[base + i - 1] && other < out.ids[base + i - 1]))) {
    out.scores[base + i] = out.scores[base + i - 1];
    out.ids[base + i] = out.ids[base + i - 1];
    i--;
  }
  out.scores[base + i] = score;
  out.ids[base + i] = other;
}
