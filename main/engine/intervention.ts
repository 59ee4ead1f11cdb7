import { WorkbenchError } from '../errors';
import type { SaeWeights } from '../formats/sae';
import type { Tensor32 } from '../formats/tensor';
import type { TransformerConfig, TransformerWeights } from '../formats/transformer';
import { checkHookInModel, parseHook } from './hooks';
import { runFromHook, runModel, runSae, trimLastLoss, type ModelRun, type RunOptions } from './runner';

/** Replaces the activations at a hook (one [len, d] tensor per sequence) with edited ones. */
export type ActivationEdit = (activations: Tensor32[]) => Tensor32[] | Promise<Tensor32[]>;

/**
 * Where an edit at `hook` re-enters the residual stream: the segment start, and the hook whose
 * value must be corrected (residual' = residual - original + edited) when `hook` is a component
 * output rather than the stream itself. In parallel blocks nothing inside the block reads
 * attn_out, so it re-enters at resid_post like mlp_out.
 */
function spliceSite(hook: string, c: TransformerConfig): { start: string; residual: string } {
  const h = parseHook(hook, c.nLayers);
  checkHookInModel(c, h);
  if (h.kind !== 'block') {
    if (h.kind === 'ln_final') throw new WorkbenchError('ENGINE_EDIT_HOOK', `Edits at "${hook}" are not supported: it feeds only the unembedding.`, 'Edit blocks.L.hook_resid_post of the last layer instead.');
    return { start: 'blocks.0.hook_resid_pre', residual: 'blocks.0.hook_resid_pre' };
  }
  switch (h.point) {
    case 'hook_attn_out':
      if (c.parallelAttnMlp) return { start: `blocks.${h.layer}.hook_resid_post`, residual: `blocks.${h.layer}.hook_resid_post` };
      return { start: `blocks.${h.layer}.hook_resid_mid`, residual: `blocks.${h.layer}.hook_resid_mid` };
    case 'hook_mlp_out':
      return { start: `blocks.${h.layer}.hook_resid_post`, residual: `blocks.${h.layer}.hook_resid_post` };
    default:
      return { start: hook, residual: hook };
  }
}

/** Cuts sequences into non-overlapping nCtx windows, remembering where each came from. */
function windowed(tokens: number[][], nCtx: number): { windows: number[][]; owner: number[]; targets: number[][] } {
  const windows: number[][] = [];
  const owner: number[] = [];
  const targets: number[][] = [];
  tokens.forEach((seq, s) => {
    for (let o = 0; o < seq.length; o += nCtx) {
      windows.push(seq.slice(o, o + nCtx));
      owner.push(s);
      // Each position predicts the next token of the whole sequence, across window edges too.
      targets.push(Array.from({ length: Math.min(nCtx, seq.length - o) }, (_, p) => seq[o + p + 1] ?? -1));
    }
  });
  return { windows, owner, targets };
}

function stitch(parts: Tensor32[], owner: number[], count: number): Tensor32[] {
  return Array.from({ length: count }, (_, s) => {
    const mine = parts.filter((_, i) => owner[i] === s);
    const d = mine[0].shape[1];
    const len = mine.reduce((a, t) => a + t.shape[0], 0);
    if (mine.length === 1) return mine[0];
    const data = new Float32Array(len * d);
    let off = 0;
    for (const t of mine) {
      data.set(t.data, off);
      off += t.data.length;
    }
    return { data, shape: [len, d] };
  });
}

/** Options of an edited run: `targets` replaces the default next-token targets of the loss. */
export interface EditRunOptions extends RunOptions {
  /**
   * Per input sequence, the token id each position should predict (-1: none), e.g. the next
   * token of a document the sequence is one window of. Without it each position predicts the
   * sequence's own next token and the loss comes back [len - 1]; with it, [len] (0 where -1).
   */
  targets?: number[][];
}

/**
 * The clean forward of some sequences up to `hook`, kept so that many edits of the same
 * activations (an ablation and its nulls, a steering sweep) pay for the layers before the hook
 * once. `activations` holds one [len, d] tensor per window of at most nCtx tokens (one per
 * sequence when every sequence fits in nCtx); `run` continues the forward from edited ones.
 */
export interface EditSession {
  readonly hook: string;
  readonly activations: Tensor32[];
  /** Which input sequence each window (entry of `activations`) belongs to. */
  readonly owner: number[];
  run(edited: Tensor32[], hooks?: string[], opts?: EditRunOptions): Promise<ModelRun>;
}

export async function prepareEdit(weights: TransformerWeights, tokens: number[][], hook: string, opts: RunOptions = {}): Promise<EditSession> {
  const c = weights.config;
  const site = spliceSite(hook, c);
  const { windows, owner, targets } = windowed(tokens, c.nCtx);
  const clean = await runModel(weights, windows, [...new Set([hook, site.residual])], { ...opts, logits: false, loss: false });
  const original = clean.hooks[hook];
  return {
    hook,
    activations: original,
    owner,
    async run(edited, hooks = [], runOpts = {}) {
      if (edited.length !== original.length) {
        throw new WorkbenchError('ENGINE_EDIT_SHAPE', `The edit at "${hook}" returned ${edited.length} tensors for ${original.length} windows.`, 'Return one tensor per input tensor, same shape.');
      }
      const residual = edited.map((e, i) => {
        const o = original[i];
        if (e.shape.join() !== o.shape.join()) {
          throw new WorkbenchError('ENGINE_EDIT_SHAPE', `The edit at "${hook}" returned shape [${e.shape.join(', ')}] for [${o.shape.join(', ')}].`, 'Keep the shape of the activations you were given.');
        }
        if (site.residual === hook) return e;
        const base = clean.hooks[site.residual][i].data;
        return { data: base.map((v, j) => v - o.data[j] + e.data[j]), shape: o.shape };
      });
      const given = runOpts.targets;
      if (given && (given.length !== tokens.length || given.some((t, s) => t.length !== tokens[s].length))) {
        throw new WorkbenchError('ENGINE_LOSS_TARGETS', 'Targets must give one id (or -1) per position of every input sequence.', 'Pass targets shaped like the token sequences.');
      }
      // Given targets are cut into windows exactly as the tokens were.
      const windowTargets = given ? windowed(given, c.nCtx).windows : targets;
      const run = await runFromHook(weights, site.start, residual, hooks, { ...runOpts, targets: runOpts.loss ? windowTargets : undefined });
      const stitched: ModelRun = {
        hooks: Object.fromEntries(Object.entries(run.hooks).map(([h, ts]) => [h, stitch(ts, owner, tokens.length)])),
        logits: run.logits ? stitch(run.logits, owner, tokens.length) : null,
        loss: run.loss ? stitch(run.loss.map((t) => ({ data: t.data, shape: [t.shape[0], 1] })), owner, tokens.length).map((t) => ({ data: t.data, shape: [t.shape[0]] })) : null,
        report: run.report,
      };
      return given ? stitched : trimLastLoss(stitched);
    },
  };
}

/**
 * Runs the model with the activations at `hook` replaced by `edit(original)`: the clean forward
 * up to the hook, then a segment graph from the residual stream onwards. Returns later `hooks`
 * and (optionally) logits, per input sequence. The basis of ablation, steering and SAE splicing.
 */
export async function runWithEdit(weights: TransformerWeights, tokens: number[][], hook: string, edit: ActivationEdit, hooks: string[] = [], opts: EditRunOptions = {}): Promise<ModelRun> {
  const session = await prepareEdit(weights, tokens, hook, opts);
  return session.run(await edit(session.activations), hooks, opts);
}

/** Splices an SAE's reconstruction in at its hook (for CE-loss / KL scores and feature edits). */
export function saeSpliceEdit(sae: SaeWeights, opts: { device?: RunOptions['device'] } = {}): ActivationEdit {
  return async (acts) => {
    const n = acts.reduce((a, t) => a + t.shape[0], 0);
    const d = sae.config.dIn;
    const x = new Float32Array(n * d);
    let off = 0;
    for (const t of acts) {
      x.set(t.data, off);
      off += t.data.length;
    }
    const out = (await runSae(sae, { data: x, shape: [n, d] }, ['sae_out'], opts)).outputs.sae_out!.data as Float32Array;
    let row = 0;
    return acts.map((t) => {
      const part = { data: out.slice(row * d, (row + t.shape[0]) * d), shape: t.shape };
      row += t.shape[0];
      return part;
    });
  };
}
