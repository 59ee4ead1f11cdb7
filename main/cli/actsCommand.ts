import { encodeSafetensors } from '../formats/safetensors';
import { planOutput, writeOutputFile } from '../outputs/outputPath';
import { WorkbenchError } from '../errors';
import { parseDeviceChoice } from '../engine/executionProviders';
import { computeHookActivations, unusedProviderNotes } from '../activations/hookActivations';
import type { CliCommand } from './command';
import { commaList, outputChoice, overwriteOption, requiredString } from './cliOptions';
import { readCliInput, withoutFinalNewline } from './cliInput';

const usage =
  'sae-workbench acts --model <dir> (--text <str> | --text-file <file|-> | --tokens <id,id,...> | --tokens-file <file|->) --hooks <h1,h2,...> [--logits] [--device auto|cpu|cuda|webgpu] --out <file.safetensors> [--overwrite]';

const INPUTS = ['text', 'text-file', 'tokens', 'tokens-file'] as const;

function tokenIds(items: string[], option: string): number[] {
  return items.map((s) => {
    if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) throw new WorkbenchError('BAD_ARGUMENT', `--${option}: "${s.slice(0, 40)}" is not a token id.`, 'Token ids are non-negative integers separated by commas (or, in a file, commas or whitespace), e.g. 50256,464,3290.');
    return Number(s);
  });
}

/** Ids in a file (or standard input): separated by commas and/or whitespace. */
function parseTokenFile(text: string, option: string): number[] {
  const items = text.split(/[\s,]+/).filter((s) => s.length > 0);
  if (items.length === 0) throw new WorkbenchError('BAD_ARGUMENT', `--${option}: no token ids found.`, 'Write the ids separated by commas or whitespace.');
  return tokenIds(items, option);
}

/**
 * `acts`: run a model on one input and save the requested hooks (and logits) as safetensors,
 * one tensor per hook named exactly by the hook, [n_tokens, d] float32, plus `tokens` int64.
 */
export const actsCommand: CliCommand = {
  name: 'acts',
  summary: 'Run a model on text or token ids and save hook activations (and logits) to safetensors.',
  usage,
  startsEngine: true,
  options: {
    model: { type: 'string' },
    text: { type: 'string' },
    'text-file': { type: 'string' },
    tokens: { type: 'string' },
    'tokens-file': { type: 'string' },
    hooks: { type: 'string' },
    logits: { type: 'boolean' },
    device: { type: 'string' },
    out: { type: 'string' },
    ...overwriteOption,
  },
  async run({ values }, ctx) {
    const modelDir = requiredString(values, 'model', usage);
    requiredString(values, 'out', usage);
    const hooks = values.hooks === undefined && values.logits ? [] : commaList(requiredString(values, 'hooks', usage), 'hooks');
    const device = parseDeviceChoice(values.device as string | undefined);
    const given = INPUTS.filter((o) => typeof values[o] === 'string');
    if (given.length !== 1) throw new WorkbenchError('BAD_ARGUMENT', given.length ? `Give one input, not ${given.map((o) => `--${o}`).join(' and ')}.` : 'One of --text, --text-file, --tokens or --tokens-file is required.', `Usage: ${usage}`);
    const input = given[0];
    // Read the input before loading anything: a bad file fails fast.
    const inputText = input === 'text-file' || input === 'tokens-file' ? await readCliInput(values[input] as string, `--${input}`, ctx) : (values[input] as string);
    // The output is checked before the model is loaded or run: never onto the model or the input file.
    const inputFile = input === 'text-file' || input === 'tokens-file' ? (values[input] as string) : '-';
    const out = planOutput({
      ...outputChoice(values)!,
      kind: 'file',
      inputs: [{ label: '--model', path: modelDir }, ...(inputFile === '-' ? [] : [{ label: `--${input}`, path: inputFile }])],
    });
    // Token ids are taken verbatim (no BOS); text follows the model's prependBos default.
    const acts = await computeHookActivations(
      modelDir,
      input === 'tokens' ? { tokens: tokenIds(commaList(inputText, 'tokens'), 'tokens') } : input === 'tokens-file' ? { tokens: parseTokenFile(inputText, input) } : { text: input === 'text-file' ? withoutFinalNewline(inputText) : inputText },
      hooks,
      { logits: values.logits === true, device },
    );
    const written = writeOutputFile(out, encodeSafetensors(acts.tensors, { model: acts.model, execution_provider: acts.report.running }));
    ctx.stdout(`Wrote ${written}: ${acts.tokens.length} tokens; ${Object.keys(acts.tensors).filter((t) => t !== 'tokens').join(', ')} (execution provider: ${acts.report.running}).`);
    for (const note of unusedProviderNotes(acts.report)) ctx.stderr(`Note: ${note}`);
    return 0;
  },
};
