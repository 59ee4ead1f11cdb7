/**
 * Do two models tokenize alike? Paired activations need both models to read the very same token
 * ids at the same positions, so a crosscoder refuses models whose tokenizers differ, and says how:
 * the vocabulary (size, the first ids that differ), merges, added/special tokens, the normaliser,
 * pre-tokenizer and post-processor, and the BOS/EOS ids and prepend-BOS rule of their configs.
 */
import path from 'node:path';
import { WorkbenchError } from '../errors';
import { readTextFile } from '../formats/openedFile';
import type { TransformerConfig } from '../formats/transformer';
import { TOKENIZER_FILE } from './tokenizer';

type Json = Record<string, unknown>;

function readTokenizerJson(dir: string): { text: string; json: Json } {
  const file = path.join(dir, TOKENIZER_FILE);
  let text: string;
  try {
    text = readTextFile(file, 512 * 1024 * 1024);
  } catch (err) {
    throw new WorkbenchError('TOKENIZER_MISSING', `Cannot read ${file}: ${(err as Error).message}`, 'Both models need their tokenizer.json: download the models with their tokenizers.', { cause: err });
  }
  try {
    return { text, json: JSON.parse(text) as Json };
  } catch (err) {
    throw new WorkbenchError('TOKENIZER_INVALID', `${file}: is not valid JSON (${(err as Error).message}).`, 'The file is damaged; download the model again.');
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});

function vocabDifference(a: Json, b: Json): string | null {
  const va = obj(a.vocab);
  const vb = obj(b.vocab);
  const na = Object.keys(va).length;
  const nb = Object.keys(vb).length;
  if (na !== nb) return `vocabulary size ${na} vs ${nb}`;
  const byIdB = new Map(Object.entries(vb).map(([t, id]) => [id, t]));
  const diffs: string[] = [];
  for (const [tok, id] of Object.entries(va)) {
    if (vb[tok] === id) continue;
    diffs.push(`id ${String(id)} is ${JSON.stringify(tok)} vs ${JSON.stringify(byIdB.get(id) ?? null)}`);
    if (diffs.length === 3) break;
  }
  return diffs.length ? `vocabulary: ${diffs.join('; ')}` : null;
}

/** Every way the two models' tokenization differs, in words; [] when they tokenize alike. */
export function tokenizerDifferences(dirA: string, configA: TransformerConfig, dirB: string, configB: TransformerConfig): string[] {
  const out: string[] = [];
  const a = readTokenizerJson(dirA);
  const b = readTokenizerJson(dirB);
  if (a.text !== b.text) {
    const ma = obj(a.json.model);
    const mb = obj(b.json.model);
    if (ma.type !== mb.type) out.push(`tokenizer model ${String(ma.type)} vs ${String(mb.type)}`);
    const vocab = vocabDifference(ma, mb);
    if (vocab) out.push(vocab);
    if (!same(ma.merges, mb.merges)) out.push(`merges (${Array.isArray(ma.merges) ? ma.merges.length : 0} vs ${Array.isArray(mb.merges) ? mb.merges.length : 0})`);
    for (const key of ['added_tokens', 'normalizer', 'pre_tokenizer', 'post_processor', 'decoder'] as const) if (!same(a.json[key], b.json[key])) out.push(key.replace('_', ' '));
    const rest = Object.keys(ma).filter((k) => !['type', 'vocab', 'merges'].includes(k) && !same(ma[k], mb[k]));
    if (rest.length) out.push(`tokenizer model settings (${rest.join(', ')})`);
  }
  if (configA.dVocab !== configB.dVocab) out.push(`d_vocab ${configA.dVocab} vs ${configB.dVocab}`);
  if (configA.bosTokenId !== configB.bosTokenId) out.push(`BOS token id ${configA.bosTokenId} vs ${configB.bosTokenId}`);
  if (configA.eosTokenId !== configB.eosTokenId) out.push(`EOS token id ${configA.eosTokenId} vs ${configB.eosTokenId}`);
  if (configA.prependBos !== configB.prependBos) out.push(`prepend BOS ${configA.prependBos} vs ${configB.prependBos}`);
  return out;
}
