/**
 * An effect against its null: per-seed values (each the mean effect over that seed's random
 * draws), their mean, sample sd and SEM = sd / sqrt(S), z = (effect - mean) / sd, where the effect
 * falls among every single draw, and a verdict sentence computed from exactly those numbers. The
 * effect is "outside the null" when |effect - mean| >= 2 SEM. An effect or a draw that is NaN or
 * infinite (an overflowing model) is refused with NONFINITE_OUTPUT: no verdict comes from it.
 */
import type { EffectWithNull, NullComparison, NullSeedDraws } from '../../preload/api';
import { labelSuffix } from '../../preload/api';
import { mean, range, sampleSd, sem, zScore } from '../stats/descriptive';
import { requireFinite } from '../stats/finiteInputs';
import type { Metric } from './metric';

export function nullComparison(effect: number, draws: NullSeedDraws[], what = 'the null'): NullComparison {
  requireFinite(effect, `the effect compared with ${what}`);
  const seeds = draws.map((d) => mean(d.effects, `the random draws of ${what}, seed ${d.seed}`) ?? NaN);
  const all = draws.flatMap((d) => d.effects);
  const r = range(all, `the random draws of ${what}`);
  return {
    seeds,
    mean: mean(seeds, `the per-seed means of ${what}`),
    sd: sampleSd(seeds, `the per-seed means of ${what}`),
    sem: sem(seeds, `the per-seed means of ${what}`),
    draws,
    drawsBelow: all.filter((v) => v < effect).length,
    drawsEqual: all.filter((v) => v === effect).length,
    drawsAbove: all.filter((v) => v > effect).length,
    drawMin: r?.min ?? null,
    drawMax: r?.max ?? null,
  };
}

/** Three significant digits, without exponent noise for ordinary sizes. */
export function fmt(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000 || a < 0.001) return v.toExponential(2);
  return String(Number(v.toPrecision(3)));
}

/** Where the effect falls among all null draws, in words. */
function placement(n: NullComparison): string {
  const total = n.drawsBelow + n.drawsEqual + n.drawsAbove;
  if (total === 0) return '';
  if (n.drawsBelow === total) return `above all ${total} random draws`;
  if (n.drawsAbove === total) return `below all ${total} random draws`;
  return `above ${n.drawsBelow} of ${total} random draws`;
}

/**
 * `subject` says what was done ("Zero-ablating feature 255"), `measure` what was measured ('the
 * logit of "quickly" at token-regex:^Step$').
 */
export function compareEffect(effect: number, draws: NullSeedDraws[] | null, subject: string, measure: string): EffectWithNull {
  const what = `${subject.charAt(0).toLowerCase()}${subject.slice(1)} on ${measure}`;
  requireFinite(effect, `The effect of ${what}`);
  const change = `${subject} changes ${measure} by ${fmt(effect)}`;
  if (!draws || draws.length === 0) return { effect, null: null, z: null, outsideNull: null, verdict: `${change} (no null: there is no random alternative of the same size).` };
  const n = nullComparison(effect, draws, `the null of ${what}`);
  const S = draws.length;
  const perSeed = draws[0]?.effects.length ?? 0;
  if (n.mean === null || n.sem === null) return { effect, null: n, z: null, outsideNull: null, verdict: `${change}; the null needs at least two seeds to have an SEM.` };
  const diff = effect - n.mean;
  const z = zScore(effect, n.mean, n.sd, `the z-score of ${what}`);
  const outside = n.sem === 0 ? diff !== 0 : Math.abs(diff) >= 2 * n.sem;
  const band = `null mean ${fmt(n.mean)} ± ${fmt(n.sem)} SEM over ${S} seeds × ${perSeed} random draws`;
  const where = placement(n);
  let verdict: string;
  if (!outside) {
    verdict = `${change}: within ±${fmt(Math.abs(diff))} of the null (${band}), below 2 SEM: no different from random features of matched density.`;
  } else {
    const away = n.sem === 0 ? 'the null has no spread' : `${fmt(Math.abs(diff) / n.sem)} SEM away, z = ${fmt(z)}`;
    verdict = `${change}: ${fmt(Math.abs(diff))} from the null (${band}; ${away}), outside the 2 SEM band${where ? `, ${where}` : ''}.`;
  }
  return { effect, null: n, z, outsideNull: outside, verdict };
}

/** "feature 255", "feature 255 \"step onset\"", "features 1, 2, 3": each id with its label (contract labelSuffix) when it has one. */
export function describeFeatures(features: readonly number[], labels?: ReadonlyMap<number, string>): string {
  const shown = features
    .slice(0, 6)
    .map((f) => `${f}${labelSuffix(labels?.get(f))}`)
    .join(', ');
  return `${features.length === 1 ? 'feature' : 'features'} ${shown}${features.length > 6 ? `, … (${features.length})` : ''}`;
}

export function measureLabel(metric: Metric, condition: string | null): string {
  return `the ${metric.label}${condition ? ` at ${condition}` : ''}`;
}
