/**
 * The condition diff: which features of B fire at the positions a token condition selects
 * (e.g. step-onset tokens), how often elsewhere, and how often their match in A fires there.
 *
 * Definitions (one place; the export records every input):
 *   n_condition_tokens  non-BOS positions of the shared documents where the condition holds
 *   rate_b              firings of the B feature at those positions / n_condition_tokens
 *   rate_b_elsewhere    firings at the other non-BOS positions / their count
 *   mean_b              sum of its activations at condition positions / n_condition_tokens
 *                       (non-firing positions count as 0)
 *   rate_a_match        the same rate for its best match in A (0 when it has none)
 *   asymmetry           rate_b / max(rate_a_match, floor); the floor defaults to
 *                       1 / n_condition_tokens, the smallest rate the data can show
 *   why                 what the difference comes from: "no counterpart" (no match, or a match
 *                       scoring under the threshold); "input differs" (a matched feature, the
 *                       same feature in both SAEs, that still fires more in B: each SAE's encoder
 *                       reads its own model's activations, and B's differ at the condition);
 *                       "as in A" / "less than in A" otherwise
 *
 * Ranking: asymmetry, then (ties, e.g. every feature that never fires in A sits at 1 / floor)
 * no counterpart first, then the larger mean activation at the condition, then rate_b, then id.
 */
import type { CompiledCondition } from '../conditions/tokenCondition';
import type { AlignedDocument } from './alignedPositions';

export type DiffReason = 'no counterpart' | 'input differs' | 'as in A' | 'less than in A';

export interface ConditionDiffRow {
  feature: number;
  rate_b: number;
  rate_b_elsewhere: number;
  mean_b: number;
  match: number | null;
  match_score: number | null;
  rate_a_match: number | null;
  asymmetry: number;
  why: DiffReason;
}

export interface ConditionCounts {
  nCondition: number;
  nOther: number;
  fireB: Float64Array;
  fireBElsewhere: Float64Array;
  sumB: Float64Array;
  fireA: Float64Array;
}

/** One pass: per feature, firings at condition positions and elsewhere, in B and in A. */
export function countByCondition(documents: Iterable<AlignedDocument>, tokensOf: (document: number) => Int32Array, vocab: readonly string[], condition: CompiledCondition, dA: number, dB: number, bos: boolean): ConditionCounts {
  const c: ConditionCounts = { nCondition: 0, nOther: 0, fireB: new Float64Array(dB), fireBElsewhere: new Float64Array(dB), sumB: new Float64Array(dB), fireA: new Float64Array(dA) };
  for (const doc of documents) {
    const ids = tokensOf(doc.document).subarray(0, doc.length);
    const texts = Array.from(ids, (t) => vocab[t] ?? '');
    const mask = condition.mask({ ids, texts, bos });
    for (let p = bos ? 1 : 0; p < doc.length; p++) {
      const { a, b } = doc;
      if (mask[p]) {
        c.nCondition++;
        for (let j = b.offsets[p]; j < b.offsets[p + 1]; j++) {
          c.fireB[b.ids[j]]++;
          c.sumB[b.ids[j]] += b.values[j];
        }
        for (let i = a.offsets[p]; i < a.offsets[p + 1]; i++) c.fireA[a.ids[i]]++;
      } else {
        c.nOther++;
        for (let j = b.offsets[p]; j < b.offsets[p + 1]; j++) c.fireBElsewhere[b.ids[j]]++;
      }
    }
  }
  return c;
}

export interface DiffOptions {
  /** Keep B features with rate_b >= minRate (and never one that does not fire at the condition at all). */
  minRate: number;
  /** A best match scoring below this is no counterpart. */
  threshold: number;
  /** Floor of the asymmetry's denominator; default 1 / n_condition_tokens. */
  floor?: number;
}

function reasonOf(rateB: number, rateA: number | null, score: number | null, threshold: number): DiffReason {
  if (rateA === null || score === null || !(score >= threshold)) return 'no counterpart';
  if (rateB > rateA) return 'input differs';
  return rateB === rateA ? 'as in A' : 'less than in A';
}

/** Rows ranked by asymmetry; ties: no counterpart first, then mean activation at the condition, rate_b, id. */
export function diffRows(counts: ConditionCounts, matches: { best: Int32Array; bestScore: Float64Array }, options: DiffOptions): { rows: ConditionDiffRow[]; floor: number } {
  const { nCondition, nOther } = counts;
  const floor = options.floor ?? (nCondition > 0 ? 1 / nCondition : 1);
  const rows: ConditionDiffRow[] = [];
  for (let f = 0; f < counts.fireB.length; f++) {
    const rateB = nCondition > 0 ? counts.fireB[f] / nCondition : 0;
    // A feature that never fires at the condition says nothing about it, whatever minRate (0 included).
    if (counts.fireB[f] === 0 || rateB < options.minRate) continue;
    const m = matches.best[f];
    const rateA = m >= 0 && nCondition > 0 ? counts.fireA[m] / nCondition : null;
    const score = m >= 0 ? matches.bestScore[f] : null;
    rows.push({
      feature: f,
      rate_b: rateB,
      rate_b_elsewhere: nOther > 0 ? counts.fireBElsewhere[f] / nOther : 0,
      mean_b: nCondition > 0 ? counts.sumB[f] / nCondition : 0,
      match: m >= 0 ? m : null,
      match_score: score,
      rate_a_match: rateA,
      asymmetry: rateB / Math.max(rateA ?? 0, floor),
      why: reasonOf(rateB, rateA, score, options.threshold),
    });
  }
  const unmatched = (r: ConditionDiffRow) => (r.why === 'no counterpart' ? 1 : 0);
  rows.sort((x, y) => y.asymmetry - x.asymmetry || unmatched(y) - unmatched(x) || y.mean_b - x.mean_b || y.rate_b - x.rate_b || x.feature - y.feature);
  return { rows, floor };
}

/** Default "no counterpart" thresholds: Pearson per Lan et al. (2024); cosine as used for decoder universality. */
export const DEFAULT_THRESHOLD = { activation: 0.3, decoder: 0.7 } as const;

/**
 * The result as a sentence: how many B features fire at the condition (rate >= r) with no
 * counterpart in A (no match, or match score < t), and the strongest of them.
 */
export function diffSentence(rows: ConditionDiffRow[], p: { labelA: string; labelB: string; condition: string; rate: number; threshold: number; nCondition: number }): string {
  if (p.nCondition === 0) return `No position of the shared documents matches ${p.condition}.`;
  const unmatched = rows.filter((r) => r.rate_b > 0 && r.rate_b >= p.rate && (r.match_score === null || r.match_score < p.threshold));
  const n = unmatched.length;
  const over = `over ${p.nCondition.toLocaleString('en-US')} condition tokens`;
  if (n === 0) {
    // Every feature at that rate has a counterpart here (the others are the unmatched ones above).
    const top = rows.find((r) => r.rate_b > 0 && r.rate_b >= p.rate);
    if (!top) return `No feature of ${p.labelB} fires at ${p.condition} at rate ≥ ${p.rate}, ${over}.`;
    const largest = `; the largest asymmetry is #${top.feature} (${formatRatio(top.asymmetry)}), matched to #${top.match} (score ${(top.match_score ?? 0).toFixed(2)}) which fires at rate ${(top.rate_a_match ?? 0).toFixed(3)} there`;
    return `No feature of ${p.labelB} fires at ${p.condition} (rate ≥ ${p.rate}) without a counterpart in ${p.labelA} (match ≥ ${p.threshold})${largest}, ${over}.`;
  }
  const s = unmatched[0];
  const named = unmatched.slice(0, 5).map((r) => `#${r.feature}`).join(', ') + (n > 5 ? ', …' : '');
  return (
    `${n} feature${n === 1 ? '' : 's'} of ${p.labelB} fire${n === 1 ? 's' : ''} at ${p.condition} (rate ≥ ${p.rate}) and ${p.labelA} has no counterpart (match < ${p.threshold}): ${named}. ` +
    `The strongest, #${s.feature}, fires ${formatRatio(s.asymmetry)} more in ${p.labelB} (rate ${s.rate_b.toFixed(3)} vs ${(s.rate_a_match ?? 0).toFixed(3)} for ${s.match === null ? 'no match' : `its best match #${s.match}, score ${(s.match_score ?? 0).toFixed(2)}`}), ${over}.`
  );
}

function formatRatio(x: number): string {
  return x >= 100 ? `${Math.round(x).toLocaleString('en-US')}×` : `${x.toFixed(1)}×`;
}
