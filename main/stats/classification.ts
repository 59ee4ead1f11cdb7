/**
 * Scores of a binary classifier (probes), defined once: accuracy at a threshold, AUROC, and the
 * majority-class baseline a probe must beat. NaN or infinite scores are refused (NONFINITE_OUTPUT):
 * they sort and threshold like numbers and would give an AUROC that means nothing.
 */
import { requireFinite } from './finiteInputs';

/** Share of examples whose prediction (score >= threshold) equals the label; null for none. */
export function accuracy(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold = 0.5, what = 'the scores of an accuracy'): number | null {
  checkLengths(scores, labels);
  requireFinite(scores, what);
  if (labels.length === 0) return null;
  let right = 0;
  for (let i = 0; i < labels.length; i++) if ((scores[i] >= threshold ? 1 : 0) === (labels[i] ? 1 : 0)) right++;
  return right / labels.length;
}

/**
 * Area under the ROC curve: the probability that a random positive scores above a random
 * negative, ties counting one half (Mann-Whitney U / (n_pos n_neg), with mid-ranks). Null when
 * either class is absent.
 */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>, what = 'the scores of an AUROC'): number | null {
  checkLengths(scores, labels);
  requireFinite(scores, what);
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    // Ranks i+1..j+1 share their mid-rank.
    const midRank = (i + j + 2) / 2;
    for (let t = i; t <= j; t++) {
      if (labels[order[t]]) {
        positives++;
        rankSum += midRank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return null;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * The majority-class baseline: the class most common in `trainLabels` (ties: 0), and the accuracy
 * of always predicting it on `testLabels`.
 */
export function majorityBaseline(trainLabels: ArrayLike<number>, testLabels: ArrayLike<number>): { majorityClass: 0 | 1; accuracy: number | null } {
  let ones = 0;
  for (let i = 0; i < trainLabels.length; i++) if (trainLabels[i]) ones++;
  const majorityClass = ones * 2 > trainLabels.length ? 1 : 0;
  if (testLabels.length === 0) return { majorityClass, accuracy: null };
  let right = 0;
  for (let i = 0; i < testLabels.length; i++) if ((testLabels[i] ? 1 : 0) === majorityClass) right++;
  return { majorityClass, accuracy: right / testLabels.length };
}

function checkLengths(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new RangeError(`scores (${a.length}) and labels (${b.length}) differ in length`);
}
