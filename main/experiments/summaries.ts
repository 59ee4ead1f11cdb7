/**
 * The one-object summaries the CLI prints with --json and a job returns as its result. The
 * ablation summary is an exact contract (scripts depend on it):
 *   {"metric", "clean", "ablated", "effect", "null": {"seeds": [...], "mean", "sem"}, "z", "verdict"}
 * The others follow its style. Every number is also in the artifact, with what it came from.
 */
import type { AblateArtifact, EffectWithNull, ProbeArtifact, SteerArtifact, SwapArtifact } from '../../preload/api';

function nullSummary(r: EffectWithNull) {
  return r.null ? { seeds: r.null.seeds, mean: r.null.mean, sem: r.null.sem } : null;
}

export function ablationSummary(a: AblateArtifact) {
  return { metric: a.metric.spec, clean: a.clean, ablated: a.ablated, effect: a.result.effect, null: nullSummary(a.result), z: a.result.z, verdict: a.result.verdict };
}

export function steeringSummary(a: SteerArtifact) {
  return {
    metric: a.metric.spec,
    panels: a.panels.map((p) => ({
      label: p.label,
      clean: p.clean,
      points: p.points.map((pt) => ({ strength: pt.strength, steered: pt.steered, effect: pt.effect, null: nullSummary(pt), z: pt.z, verdict: pt.verdict })),
      generation: p.generation,
    })),
  };
}

export function swapSummary(a: SwapArtifact) {
  return { metric: a.metric.spec, a: a.a, b: a.b, swapped: a.swapped, effect: a.result.effect, gap_fraction: a.gapFraction, null: nullSummary(a.result), z: a.result.z, verdict: a.result.verdict };
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
