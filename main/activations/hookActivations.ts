/**
 * Hook activations of a model on one input, as `sae-workbench acts` saves them and the API's
 * engine.acts returns them: one float32 [n_tokens, d] tensor per TransformerLens hook (named by
 * the hook), `logits` when asked and `tokens` (int64). The CLI and the API both call this, so a
 * notebook's arrays and the CLI's file hold the same bytes.
 */
import type { Tensor } from '../../preload/api';
import type { DeviceChoice, EpReport } from '../engine/executionProviders';
import { requireFiniteOutputs } from '../engine/finiteOutputs';
import { LOGITS_OUTPUT } from '../engine/modelGraph';
import { runModel } from '../engine/runner';
import { loadModel } from '../formats/models/registry';
import { loadTokenizer } from '../tokenize/tokenizer';

/** Text follows the model's prepend-BOS default; token ids are taken verbatim (no BOS). */
export type ActsInput = { text: string } | { tokens: number[] };

export interface HookActivations {
  model: string;
  tokens: number[];
  /** hooks in the order asked, then `logits` when asked, then `tokens`. */
  tensors: Record<string, Tensor>;
  report: EpReport;
}

export async function computeHookActivations(modelDir: string, input: ActsInput, hooks: string[], opts: { logits: boolean; device: DeviceChoice }): Promise<HookActivations> {
  const weights = loadModel(modelDir);
  const tokens =
    'tokens' in input
      ? input.tokens
      : loadTokenizer(modelDir, { prependBos: weights.config.prependBos, bosTokenId: weights.config.bosTokenId, eosTokenId: weights.config.eosTokenId }).encode(input.text);
  const run = await runModel(weights, [tokens], hooks, { logits: opts.logits, device: opts.device });
  requireFiniteOutputs({ ...Object.fromEntries(hooks.map((h) => [h, run.hooks[h][0]])), ...(run.logits ? { [LOGITS_OUTPUT]: run.logits[0] } : {}) }, `acts on ${weights.config.name}`);
  const tensors: Record<string, Tensor> = {};
  for (const h of hooks) tensors[h] = { dtype: 'F32', shape: run.hooks[h][0].shape, data: run.hooks[h][0].data };
  if (run.logits) tensors[LOGITS_OUTPUT] = { dtype: 'F32', shape: run.logits[0].shape, data: run.logits[0].data };
  tensors.tokens = { dtype: 'I64', shape: [tokens.length], data: BigInt64Array.from(tokens, (t) => BigInt(t)) };
  return { model: weights.config.name, tokens, tensors, report: run.report };
}

/** The execution providers tried and not used, one line each (the CLI prints them as "Note: ..."). */
export function unusedProviderNotes(report: EpReport): string[] {
  return report.attempts.filter((a) => !a.ok).map((a) => `${a.ep} not used: ${a.reason}${a.notes?.length ? ` (${a.notes.join('; ')})` : ''}`);
}
