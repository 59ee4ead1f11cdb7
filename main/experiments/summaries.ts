/**
 * The one-object summaries the CLI prints with --json and a job returns as its result. The
 * ablation summary is an exact contract (scripts depend on it):
 *   {"metric", "clean", "ablated", "effect", "null": {"seeds": [...], "mean", "sem", "draws": [...]},
 *    "z", "p_value", ["margin", "within_margin",] "verdict"}
 * "draws" is every single random draw's effect e_i in draw order (seed by seed), so p_value =
 * (1 + #{i : |e_i - m| >= |effect - m|}) / (N + 1), m = mean(draws), is recomputable from the
 * summary; "margin" and "within_margin" (|effect - m| <= margin) appear when a margin was given.
 * Each steering point and the swap summary carry the same fields. Every number is also in the
 * artifact, with what it came from.
 */
import type { AblateArtifact, EffectWithNull, ProbeArtifact, SteerArtifact, SwapArtifact } from '../../preload/api';

function nullSummary(r: EffectWithNull) {
  return r.null ? { seeds: r.null.seeds, mean: r.null.mean, sem: r.null.sem, draws: r.null.draws.flatMap((d) => d.effects) } : null;
}

/** z, p_value, margin and within_margin (the last two only with a margin), then the verdict. */
function judgement(r: EffectWithNull) {
  return { z: r.z, p_value: r.pValue, ...(r.margin === null ? {} : { margin: r.margin, within_margin: r.withinMargin }), verdict: r.verdict };
}

export function ablationSummary(a: AblateArtifact) {
  return { metric: a.metric.spec, clean: a.clean, ablated: a.ablated, effect: a.result.effect, null: nullSummary(a.result), ...judgement(a.result) };
}

export function steeringSummary(a: SteerArtifact) {
  return {
    metric: a.metric.spec,
    panels: a.panels.map((p) => ({
      label: p.label,
      clean: p.clean,
      points: p.points.map((pt) => ({ strength: pt.strength, steered: pt.steered, effect: pt.effect, null: nullSummary(pt), ...judgement(pt) })),
      generation: p.generation,
    })),
  };
}

export function swapSummary(a: SwapArtifact) {
  return { metric: a.metric.spec, a: a.a, b: a.b, swapped: a.swapped, effect: a.result.effect, gap_fraction: a.gapFraction, null: nullSummary(a.result), ...judgement(a.result) };
}

export function probeSummary(a: ProbeArtifact) {
  return {
    condition: a.condition,
    probes: a.probes.map((p) => ({
      label: p.label,
      source: p.source,
      hook: p.hook,
      accuracy: p.accuracy,
      auroc: p.auroc,
      baseline: p.baseline.accuracy,
      train_positions: p.trainPositions,
      test_positions: p.testPositions,
      verdict: p.verdict,
    })),
  };
}
