import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { WorkbenchError } from '../errors';
import type { TransformerConfig } from '../formats/transformer';

function readJson(file: string): object {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as object;
  } catch (err) {
    throw new WorkbenchError('TOKENIZER_INVALID', `${file}: not valid JSON (${(err as Error).message}).`, 'Re-download the model folder.', { cause: err });
  }
}

/**
 * Token ids for --text: the folder's tokenizer.json without special tokens, then BOS when the
 * model's prependBos default says so (TransformerLens default_prepend_bos).
 */
export function tokenizeForModel(modelDir: string, config: TransformerConfig, text: string): number[] {
  const file = join(modelDir, 'tokenizer.json');
  if (!existsSync(file)) throw new WorkbenchError('TOKENIZER_MISSING', `${file} does not exist, so --text cannot be tokenized.`, 'Download the tokenizer with the model, or pass token ids with --tokens.');
  const cfgFile = join(modelDir, 'tokenizer_config.json');
  const tokenizer = new Tokenizer(readJson(file), existsSync(cfgFile) ? readJson(cfgFile) : {});
  const ids = tokenizer.encode(text, { add_special_tokens: false }).ids;
  if (config.prependBos && config.bosTokenId !== null) return [config.bosTokenId, ...ids];
  return ids;
}
