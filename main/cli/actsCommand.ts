import type { TensorToWrite } from '../formats/safetensors';
import { writeSafetensors } from '../formats/safetensors';
import { loadModel } from '../formats/models/registry';
import { WorkbenchError } from '../errors';
import { parseDeviceChoice } from '../engine/executionProviders';
import { runModel } from '../engine/runner';
import { LOGITS_OUTPUT } from '../engine/modelGraph';
import type { CliCommand } from './command';
import { commaList, requiredString } from './cliOptions';
import { loadTokenizer } from '../tokenize/tokenizer';

const usage =
  'sae-workbench acts --model <dir> (--text <str> | --tokens <id,id,...>) --hooks <h1,h2,...> [--logits] [--device auto|cpu|cuda|webgpu] --out <file.safetensors>';

function parseTokenList(value: string): number[] {
  return commaList(value, 'tokens').map((s) => {
    if (!/^\d+$/.test(s)) throw new WorkbenchError('BAD_ARGUMENT', `--tokens: "${s}" is not a token id.`, 'Token ids are non-negative integers separated by commas, e.g. --tokens 50256,464,3290.');
    return Number(s);
  });
}

/**
 * `acts`: run a model on one input and save the requested hooks (and logits) as safetensors,
 * one tensor per hook named exactly by the hook, [n_tokens, d] float32, plus `tokens` int64.
 */
export const actsCommand: CliCommand = {
  name: 'acts',
  summary: 'Run a model on text or token ids and save hook activations (and logits) to safetensors.',
  usage,
  options: {
    model: { type: 'string' },
    text: { type: 'string' },
    tokens: { type: 'string' },
    hooks: { type: 'string' },
    logits: { type: 'boolean' },
    device: { type: 'string' },
    out: { type: 'string' },
  },
  async run({ values }, ctx) {
    const modelDir = requiredString(values, 'model', usage);
    const out = requiredString(values, 'out', usage);
    const hooks = values.hooks === undefined && values.logits ? [] : commaList(requiredString(values, 'hooks', usage), 'hooks');
    const device = parseDeviceChoice(values.device as string | undefined);
    const hasText = typeof values.text === 'string';
    const hasTokens = typeof values.tokens === 'string';
    if (hasText === hasTokens) throw new WorkbenchError('BAD_ARGUMENT', hasText ? 'Give --text or --tokens, not both.' : 'One of --text or --tokens is required.', `Usage: ${usage}`);
    const weights = loadModel(modelDir);
    // --tokens are taken verbatim (no BOS); --text follows the model's prependBos default.
    const tokens = hasTokens
      ? parseTokenList(values.tokens as string)
      : loadTokenizer(modelDir, { prependBos: weights.config.prependBos, bosTokenId: weights.config.bosTokenId, eosTokenId: weights.config.eosTokenId }).encode(values.text as string);
    const run = await runModel(weights, [tokens], hooks, { logits: values.logits === true, device });
    const tensors: Record<string, TensorToWrite> = {};
    for (const h of hooks) tensors[h] = { dtype: 'F32', shape: run.hooks[h][0].shape, data: run.hooks[h][0].data };
    if (run.logits) tensors[LOGITS_OUTPUT] = { dtype: 'F32', shape: run.logits[0].shape, data: run.logits[0].data };
    tensors.tokens = { dtype: 'I64', shape: [tokens.length], data: BigInt64Array.from(tokens, (t) => BigInt(t)) };
    writeSafetensors(out, tensors, { model: weights.config.name, execution_provider: run.report.running });
    ctx.stdout(`Wrote ${out}: ${tokens.length} tokens; ${[...hooks, ...(run.logits ? [LOGITS_OUTPUT] : [])].join(', ')} (execution provider: ${run.report.running}).`);
    for (const a of run.report.attempts.filter((x) => !x.ok)) ctx.stderr(`Note: ${a.ep} not used: ${a.reason}${a.notes?.length ? ` (${a.notes.join('; ')})` : ''}`);
    return 0;
  },
};
