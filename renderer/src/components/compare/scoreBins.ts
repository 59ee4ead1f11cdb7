/**
 * The bins of the best-match score histogram. Fixed-width bins from the lowest score (rounded down
 * to a bin edge, 0 at most) up to 1, the last bin closed so a perfect match (1.0, or a rounding
 * hair above it) lands inside the axis. Each bin counts features with a counterpart (score at or
 * above the threshold) and without, so a bin holding one unmatched feature among hundreds of
 * matched ones still says so.
 */

export interface ScoreBin {
  x1: number;
  x2: number;
  matched: number;
  unmatched: number;
}

export interface ScoreBinning {
  bins: ScoreBin[];
  /** Left end of the axis (a bin edge; 0 unless a score is negative). */
  lo: number;
  /** Features with no candidate at all (no score): no bin can hold them. */
  noCandidate: number;
  /** Features with a score below the threshold, and those with no candidate: no counterpart. */
  unmatched: number;
}

export function scoreBins(scores: readonly (number | null)[], threshold: number, binsPerUnit = 40): ScoreBinning {
  const width = 1 / binsPerUnit;
  const finite = scores.filter((s): s is number => s !== null && Number.isFinite(s));
  const min = finite.reduce((m, s) => Math.min(m, s), 0);
  // Whole bins below 0, so 0 stays a bin edge.
  const below = Math.ceil(-min / width - 1e-9);
  const lo = -below * width;
  const count = below + binsPerUnit;
  const bins: ScoreBin[] = Array.from({ length: count }, (_, i) => ({ x1: lo + i * width, x2: i === count - 1 ? 1 : lo + (i + 1) * width, matched: 0, unmatched: 0 }));
  let unmatched = scores.length - finite.length;
  for (const s of finite) {
    const i = Math.min(count - 1, Math.max(0, Math.floor((s - lo) / width + 1e-9)));
    if (s >= threshold) bins[i].matched++;
    else {
      bins[i].unmatched++;
      unmatched++;
    }
  }
  return { bins, lo, noCandidate: scores.length - finite.length, unmatched };
}
