import { WorkbenchError } from '../errors';
import type { TransformerConfig } from '../formats/transformer';

export type BlockHookPoint = 'hook_resid_pre' | 'hook_attn_out' | 'hook_resid_mid' | 'hook_mlp_out' | 'hook_resid_post';
export const BLOCK_HOOK_POINTS: readonly BlockHookPoint[] = ['hook_resid_pre', 'hook_attn_out', 'hook_resid_mid', 'hook_mlp_out', 'hook_resid_post'];
export const LN_FINAL_HOOK = 'ln_final.hook_normalized';

export type ParsedHook =
  | { kind: 'embed' | 'pos_embed' | 'ln_final'; name: string }
  | { kind: 'block'; name: string; layer: number; point: BlockHookPoint };

/** Hooks a graph may start from: points on the residual stream. */
export type ResidualStartPoint = 'hook_resid_pre' | 'hook_resid_mid' | 'hook_resid_post';

/** Every hook name a model with `nLayers` blocks offers, in forward order. */
export function validHookNames(nLayers: number): string[] {
  const names = ['hook_embed', 'hook_pos_embed'];
  for (let l = 0; l < nLayers; l++) for (const p of BLOCK_HOOK_POINTS) names.push(`blocks.${l}.${p}`);
  names.push(LN_FINAL_HOOK);
  return names;
}

type HookArchitecture = Pick<TransformerConfig, 'name' | 'positional' | 'parallelAttnMlp'>;

/**
 * Why a model of this architecture has no such hook, with what to use instead (null when it has
 * it), following TransformerLens: parallel attention+MLP blocks have no hook_resid_mid (both
 * read resid_pre); rotary models have no hook_pos_embed (positions act inside attention).
 */
export function missingHook(c: HookArchitecture, h: ParsedHook): { reason: string; hint: string } | null {
  if (h.kind === 'block' && h.point === 'hook_resid_mid' && c.parallelAttnMlp) {
    return {
      reason: `"${c.name}" runs attention and MLP in parallel (both read hook_resid_pre), so no residual stream exists between them.`,
      hint: `Use blocks.${h.layer}.hook_resid_pre, hook_attn_out, hook_mlp_out or hook_resid_post (here resid_post = resid_pre + attn_out + mlp_out).`,
    };
  }
  if (h.kind === 'pos_embed' && c.positional === 'rotary') {
    return {
      reason: `"${c.name}" uses rotary positions, applied to queries and keys inside attention, so no positional embedding enters the residual stream.`,
      hint: 'Use hook_embed (equal to blocks.0.hook_resid_pre in this model).',
    };
  }
  return null;
}

/** Throws ENGINE_HOOK_NOT_IN_MODEL when this architecture has no such hook. */
export function checkHookInModel(c: HookArchitecture, h: ParsedHook): void {
  const missing = missingHook(c, h);
  if (missing) throw new WorkbenchError('ENGINE_HOOK_NOT_IN_MODEL', `Hook "${h.name}" does not exist in this model: ${missing.reason}`, missing.hint);
}

/** The hooks this particular model offers, in forward order. */
export function modelHookNames(c: HookArchitecture & Pick<TransformerConfig, 'nLayers'>): string[] {
  return validHookNames(c.nLayers).filter((name) => missingHook(c, parseHook(name, c.nLayers)) === null);
}

function describeValid(nLayers: number): string {
  const last = nLayers - 1;
  return `Valid hooks: hook_embed, hook_pos_embed, blocks.L.{${BLOCK_HOOK_POINTS.join(',')}} for L in 0..${last}, ${LN_FINAL_HOOK}.`;
}

export function parseHook(name: string, nLayers: number): ParsedHook {
  if (name === 'hook_embed') return { kind: 'embed', name };
  if (name === 'hook_pos_embed') return { kind: 'pos_embed', name };
  if (name === LN_FINAL_HOOK) return { kind: 'ln_final', name };
  const m = /^blocks\.(\d+)\.(hook_\w+)$/.exec(name);
  if (m && (BLOCK_HOOK_POINTS as readonly string[]).includes(m[2])) {
    const layer = Number(m[1]);
    if (layer < nLayers) return { kind: 'block', name, layer, point: m[2] as BlockHookPoint };
    throw new WorkbenchError('ENGINE_UNKNOWN_HOOK', `Hook "${name}" names layer ${layer}, but the model has ${nLayers} layers (0..${nLayers - 1}).`, describeValid(nLayers));
  }
  throw new WorkbenchError('ENGINE_UNKNOWN_HOOK', `Unknown hook "${name}".`, describeValid(nLayers));
}

/**
 * The forward is a chain of phases: 0 = embeddings, 2L+1 = attention of block L, 2L+2 = MLP of
 * block L, 2n+1 = final LayerNorm + unembed. A hook's phase is the one that computes it.
 */
export function hookPhase(h: ParsedHook, nLayers: number): number {
  if (h.kind !== 'block') return h.kind === 'ln_final' ? 2 * nLayers + 1 : 0;
  switch (h.point) {
    case 'hook_resid_pre':
      return 2 * h.layer;
    case 'hook_attn_out':
    case 'hook_resid_mid':
      return 2 * h.layer + 1;
    default:
      return 2 * h.layer + 2;
  }
}

export const LOGITS_PHASE = (nLayers: number): number => 2 * nLayers + 1;

/** Parses a start hook: it must sit on the residual stream so the rest of the forward can follow. */
export function parseStartHook(name: string, nLayers: number): ParsedHook & { kind: 'block'; point: ResidualStartPoint } {
  const h = parseHook(name, nLayers);
  if (h.kind !== 'block' || (h.point !== 'hook_resid_pre' && h.point !== 'hook_resid_mid' && h.point !== 'hook_resid_post')) {
    throw new WorkbenchError('ENGINE_START_HOOK', `A segment cannot start at "${name}": only residual-stream hooks carry the whole state.`, 'Start at blocks.L.hook_resid_pre, blocks.L.hook_resid_mid or blocks.L.hook_resid_post.');
  }
  return h as ParsedHook & { kind: 'block'; point: ResidualStartPoint };
}
