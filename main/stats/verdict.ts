/**
 * The verdict of an intervention against its null, defined once for ablations, steering panels
 * and swaps. One sentence in four parts, each computed from numbers the artifact records:
 *
 *  1. the effect e in the metric's units, and whether it is measurable at all: |e| above the
 *     metric's numerical resolution, RELATIVE_RESOLUTION x the metric's scale (its mean |value|
 *     over the scored positions of the unedited run). float32 keeps about 7 significant digits and
 *     a forward pass loses one or two, so an effect below 1e-5 of the values it is the mean of is
 *     rounding: "no measurable effect", never a difference, whatever the null does;
 *  2. its place among the N individual random draws e_i: the empirical two-sided p-value centred
 *     on the draws' mean m, p = (1 + #{i : |e_i - m| >= |e - m|}) / (N + 1) (exact float64
 *     comparisons, so a tie counts as "as far"). Further than every draw reads "larger than all N
 *     random draws" (p = 1 / (N + 1), the least N draws allow, said with it: 1/7 with 6 draws is
 *     no evidence); otherwise p <= 0.05 reads "unusual", p > 0.05 "indistinguishable from random
 *     features", as does an effect within the resolution of the draws' mean;
 *  3. the 2-SEM test of the seed's artifacts, kept for continuity: per-seed means, their mean,
 *     SEM = sd / sqrt(S), outside when |e - mean| >= 2 SEM, and z = (e - mean) / sd;
 *  4. with an equivalence margin (the seed's "within ±0.025 of null"): whether |e - m| <= margin.
 *
 * NaN or infinite inputs are refused with NONFINITE_OUTPUT: no verdict comes from them.
 */
import type { EffectWithNull, NullComparison, NullSeedDraws, VerdictReading } from '../../preload/contract/experiments';
import { formatPValue, formatStat } from '../../preload/contract/units';
import { mean, range, sampleSd, sem, zScore } from './descriptive';
import { requireFinite } from './finiteInputs';

/** An effect below this share of the metric's scale is float32 rounding, not an effect. */
export const RELATIVE_RESOLUTION = 1e-5;
/** The p-value at or below which an effect reads as unusual among random draws. */
export const P_UNUSUAL = 0.05;

export interface VerdictInput {
  effect: number;
  /** Every null seed's random draws, in draw order; null or empty: no random alternative exists. */
  draws: readonly NullSeedDraws[] | null;
  /** What was done, capitalised: "Zero-ablating feature 255 in sae-workbench/demo-adhd". */
  subject: string;
  /** What was measured: 'the logit of "quickly" at token-regex:^Step$'. */
  measure: string;
  /** Mean |metric| over the scored positions of the unedited run. */
  scale: number;
  margin?: number | null;
}

const f = formatStat;

/** Per-seed means, their mean, sd and SEM, where the effect falls among every draw, and p. */
export function nullComparison(effect: number, draws: readonly NullSeedDraws[], what = 'the null'): NullComparison {
  requireFinite(effect, `the effect compared with ${what}`);
  const seeds = draws.map((d) => mean(d.effects, `the random draws of ${what}, seed ${d.seed}`) ?? NaN);
  const all = draws.flatMap((d) => d.effects);
  const r = range(all, `the random draws of ${what}`);
  const m = mean(all, `the random draws of ${what}`);
  const distance = m === null ? 0 : Math.abs(effect - m);
  return {
    seeds,
    mean: mean(seeds, `the per-seed means of ${what}`),
    sd: sampleSd(seeds, `the per-seed means of ${what}`),
    sem: sem(seeds, `the per-seed means of ${what}`),
    draws: [...draws],
    drawsBelow: all.filter((v) => v < effect).length,
    drawsEqual: all.filter((v) => v === effect).length,
    drawsAbove: all.filter((v) => v > effect).length,
    drawMin: r?.min ?? null,
    drawMax: r?.max ?? null,
    drawMean: m,
    drawsAsFar: m === null ? 0 : all.filter((v) => Math.abs(v - m) >= distance).length,
  };
}

/** p = (1 + #{i : |e_i - m| >= |e - m|}) / (N + 1); null without draws. */
export function empiricalPValue(n: Pick<NullComparison, 'drawsAsFar' | 'draws'>): number | null {
  const N = n.draws.reduce((a, d) => a + d.effects.length, 0);
  return N === 0 ? null : (1 + n.drawsAsFar) / (N + 1);
}

/** What p counts, in words: "2 of the 20 random draws are at least as far from their mean". */
function asFarClause(k: number, N: number): string {
  if (k === 0) return 'no random draw is as far from their mean';
  if (k === N) return `all ${N} random draws are at least as far from their mean`;
  return `${k} of the ${N} random draws ${k === 1 ? 'is' : 'are'} at least as far from their mean`;
}

/** Beyond every draw: larger / smaller in the words a reader of signed effects expects. */
function beyondAll(effect: number, above: boolean, N: number): string {
  if (above) return effect > 0 ? `larger than all ${N} random draws` : `a smaller decrease than all ${N} random draws`;
  return effect < 0 ? `a larger decrease than all ${N} random draws` : `smaller than all ${N} random draws`;
}

function semClause(effect: number, n: NullComparison, z: number | null, outside: boolean | null): string {
  const S = n.seeds.length;
  const perSeed = n.draws[0]?.effects.length ?? 0;
  if (n.mean === null || n.sem === null || outside === null) return `no 2-SEM test (it needs at least two null seeds; there ${S === 1 ? 'is' : 'are'} ${S})`;
  const band = `${f(Math.abs(effect - n.mean))} from the null mean ${f(n.mean)} ± ${f(n.sem)} SEM (${S} seeds × ${perSeed} draws)`;
  // z is in sds of the per-seed means, not SEMs: say so, or "outside 2 SEM (z = 0.97)" reads as a contradiction.
  const spread = n.sem === 0 ? 'the null has no spread' : `z = ${f(z)} in sds of the per-seed means`;
  return `2-SEM test: ${band}, ${outside ? 'outside' : 'within'} 2 SEM (${spread})`;
}

function marginClause(margin: number, distance: number | null, within: boolean | null): string {
  if (within === null || distance === null) return `no equivalence test: the ±${f(margin)} margin needs random draws`;
  return `${within ? 'within' : 'outside'} the ±${f(margin)} equivalence margin (|effect − mean of the draws| = ${f(distance)})`;
}

export function judgeEffect(input: VerdictInput): EffectWithNull {
  const { effect, subject, measure } = input;
  const what = `${subject.charAt(0).toLowerCase()}${subject.slice(1)} on ${measure}`;
  requireFinite(effect, `The effect of ${what}`);
  requireFinite(input.scale, `The scale of ${measure}`);
  const margin = input.margin ?? null;
  const scale = Math.abs(input.scale);
  const resolution = RELATIVE_RESOLUTION * scale;
  const measurable = Math.abs(effect) > resolution;
  const change = `${subject} changes ${measure} by ${f(effect)}`;
  const nil = `no measurable effect (the metric's float32 resolution here is ±${f(resolution)})`;
  const base = { effect, scale, resolution, margin };

  if (!input.draws || input.draws.length === 0 || input.draws.every((d) => d.effects.length === 0)) {
    const tail = margin === null ? '' : `; ${marginClause(margin, null, null)}`;
    const verdict = `${change}${measurable ? '' : `: ${nil}`} (no null: there is no random alternative of the same size)${tail}.`;
    return { ...base, null: null, z: null, outsideNull: null, pValue: null, withinMargin: null, reading: measurable ? 'no-null' : 'no-effect', verdict };
  }

  const n = nullComparison(effect, input.draws, `the null of ${what}`);
  const N = n.drawsBelow + n.drawsEqual + n.drawsAbove;
  const m = n.drawMean!;
  const distance = Math.abs(effect - m);
  const k = n.drawsAsFar;
  const p = empiricalPValue(n)!;
  const pText = `p = ${formatPValue(p)}`;
  const z = n.mean === null ? null : zScore(effect, n.mean, n.sd, `the z-score of ${what}`);
  const outside = n.mean === null || n.sem === null ? null : n.sem === 0 ? effect !== n.mean : Math.abs(effect - n.mean) >= 2 * n.sem;
  const withinMargin = margin === null ? null : distance <= margin;

  // Random draws all within the resolution of zero: say they do nothing, not that they "move it by 4e-7".
  const nullNil = Math.abs(m) <= resolution && Math.max(Math.abs(n.drawMin!), Math.abs(n.drawMax!)) <= resolution;
  const randomMove = (aside: string) => (nullNil ? `which have no measurable effect (mean ${f(m)}; ${aside})` : `which move it by ${f(m)} on average (${aside})`);
  let reading: VerdictReading;
  let head: string;
  if (!measurable) {
    reading = 'no-effect';
    head = nullNil
      ? `${nil}; random features of matched density have none either (mean ${f(m)} over ${N} draws; ${pText})`
      : `${nil}; random features of matched density move it by ${f(m)} on average (${pText}: ${asFarClause(k, N)})`;
  } else if (distance > resolution && k === 0) {
    reading = 'beyond-all';
    head = `${beyondAll(effect, effect > m, N)}, ${randomMove(`${pText}, the least ${N} draws allow`)}`;
  } else if (distance > resolution && p <= P_UNUSUAL) {
    reading = 'unusual';
    head = `unusual among random features of matched density, ${randomMove(`${pText}: ${asFarClause(k, N)}`)}`;
  } else {
    reading = 'like-random';
    head = `indistinguishable from random features of matched density, ${randomMove(`${pText}: ${asFarClause(k, N)}`)}`;
  }
  const parts = [`${change}: ${head}`, semClause(effect, n, z, outside)];
  if (margin !== null) parts.push(marginClause(margin, distance, withinMargin));
  return { ...base, null: n, z, outsideNull: outside, pValue: p, withinMargin, reading, verdict: `${parts.join('; ')}.` };
}
