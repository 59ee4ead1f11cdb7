/**
 * What the Prompt view offers for a chosen model, from prompt.sources: only SAEs whose width fits
 * the model (d_in = d_model), the ones linked to it first, then the others of that width (linked
 * to another model, or to none: running those is allowed, and the result says so).
 */
import type { PromptRunResult, PromptSaeOption, PromptSources } from '../../../../preload/api';

export interface SaeChoices {
  linked: PromptSaeOption[];
  others: PromptSaeOption[];
}

export function saeChoicesFor(sources: PromptSources | null, modelPath: string): SaeChoices {
  if (!sources || !modelPath) return { linked: [], others: [] };
  const model = sources.models.find((m) => m.path === modelPath);
  // A model the Library does not list has no known width: nothing can be offered as fitting.
  if (!model) return { linked: [], others: [] };
  const fits = (s: PromptSaeOption) => s.dIn == null || model.dModel == null || s.dIn === model.dModel;
  const byLayer = (a: PromptSaeOption, b: PromptSaeOption) => (a.layer ?? 1e9) - (b.layer ?? 1e9) || a.label.localeCompare(b.label);
  return {
    linked: sources.saes.filter((s) => s.modelPath === modelPath && fits(s)).sort(byLayer),
    others: sources.saes.filter((s) => s.modelPath !== modelPath && fits(s)).sort(byLayer),
  };
}

/** The SAE to pick for a model: a linked one, at `layer` when one is there. */
export function bestSaeFor(sources: PromptSources | null, modelPath: string, layer?: number | null): PromptSaeOption | null {
  const { linked, others } = saeChoicesFor(sources, modelPath);
  const pool = linked.length ? linked : others;
  return pool.find((s) => layer != null && s.layer === layer) ?? pool[0] ?? null;
}

/** A token selected in the URL: "1:6" is side B (index 1), position 6. */
export function parseTokenParam(v: string | null): { side: number; position: number } | null {
  const m = v ? /^([01]):(\d+)$/.exec(v) : null;
  return m ? { side: Number(m[1]), position: Number(m[2]) } : null;
}

/** The same position on side `i` when both sides hold the same token there (else null: tokenised differently). */
export function alignedPosition(result: PromptRunResult, at: { side: number; position: number } | null, i: number): number | null {
  if (!at) return null;
  if (at.side === i) return at.position;
  const a = result.sides[at.side]?.tokens[at.position];
  const b = result.sides[i]?.tokens[at.position];
  return a && b && a.text === b.text ? at.position : null;
}

/** Whether both sides split the text into the same tokens, so positions line up. */
export function tokensAlign(result: PromptRunResult): boolean {
  const [a, b] = result.sides;
  return !!a && !!b && a.tokens.length === b.tokens.length && a.tokens.every((t, i) => t.text === b.tokens[i].text);
}

/**
 * Diff mode: per token, the chosen feature's activation in B minus the chosen feature's
 * activation in A (each SAE's own feature), or null where the sides do not line up.
 */
export function featureDifference(result: PromptRunResult): { a: number[]; b: number[]; difference: number[]; maxAbs: number; max: number } | null {
  const ta = result.sides[0]?.tracked[0];
  const tb = result.sides[1]?.tracked[0];
  if (!ta || !tb || !tokensAlign(result)) return null;
  const difference = tb.activations.map((v, i) => v - ta.activations[i]);
  return {
    a: ta.activations,
    b: tb.activations,
    difference,
    maxAbs: Math.max(0, ...difference.map(Math.abs)),
    max: Math.max(0, ...ta.activations, ...tb.activations),
  };
}

/** The strongest feature on a side: at a position when given, else over the whole text. */
export function strongestFeature(side: PromptRunResult['sides'][number], position: number | null): number | null {
  if (position !== null) return side.tokens[position]?.features[0]?.feature ?? null;
  let best: { feature: number; activation: number } | null = null;
  for (const t of side.tokens) for (const f of t.features) if (!best || f.activation > best.activation) best = f;
  return best?.feature ?? null;
}
