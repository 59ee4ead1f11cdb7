/**
 * tokenizer.json (+ tokenizer_config.json) through @huggingface/tokenizers, with BOS handled here
 * the way TransformerLens does it: text is encoded without the tokenizer's own special tokens, then
 * BOS is prepended when the model config says so. That keeps Llama-style tokenizers (whose
 * post-processor adds BOS) and GPT-2 (whose does not) consistent and never doubles BOS.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WorkbenchError } from '../errors';
import { readTextFile } from '../formats/openedFile';
import { byteLevelBytes } from './byteLevel';

export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';

export interface TokenizerOptions {
  /** Prepend BOS by default (the model's prependBos; TransformerLens default true). */
  prependBos?: boolean;
  /** The model config's BOS id; otherwise tokenizer_config.json's bos_token is looked up. */
  bosTokenId?: number | null;
  eosTokenId?: number | null;
}

type JsonObject = Record<string, unknown>;

function readJson(file: string, what: string): JsonObject {
  let text: string;
  try {
    text = readTextFile(file);
  } catch (err) {
    if ((err as WorkbenchError).code === 'NOT_A_FILE') throw err;
    throw new WorkbenchError('TOKENIZER_MISSING', `Cannot read ${file}: ${(err as Error).message}`, `Download the model's ${what} with its weights.`, { cause: err });
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new WorkbenchError('TOKENIZER_INVALID', `${file}: is not valid JSON (${(err as Error).message}).`, 'The file is damaged; download the model again.');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new WorkbenchError('TOKENIZER_INVALID', `${file}: is not a JSON object.`, 'The file is damaged; download the model again.');
  return v as JsonObject;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function strictUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/** tokenizer_config.json writes special tokens as strings or as {content: "..."} objects. */
function specialTokenText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return null;
}

export class WorkbenchTokenizer {
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly prependBos: boolean;
  readonly vocabSize: number;
  private readonly unkId: number | null;
  private readonly byteLevel: boolean;

  constructor(
    private readonly inner: Tokenizer,
    private readonly source: string,
    tokenizerJson: JsonObject,
    config: JsonObject,
    options: TokenizerOptions,
  ) {
    const idOf = (v: unknown) => {
      const text = specialTokenText(v);
      return text === null ? null : (inner.token_to_id(text) ?? null);
    };
    this.bosTokenId = options.bosTokenId ?? idOf(config.bos_token);
    this.eosTokenId = options.eosTokenId ?? idOf(config.eos_token);
    this.prependBos = options.prependBos ?? true;
    this.vocabSize = inner.get_vocab(true).size;
    const model = (tokenizerJson.model ?? {}) as JsonObject;
    this.unkId = idOf(model.unk_token) ?? idOf(config.unk_token);
    const decoder = tokenizerJson.decoder as JsonObject | null | undefined;
    this.byteLevel = decoder?.type === 'ByteLevel';
  }

  /** Token ids for text; BOS first when `prependBos` (default: the model's setting). */
  encode(text: string, options: { prependBos?: boolean } = {}): number[] {
    const prepend = options.prependBos ?? this.prependBos;
    const raw = this.guard('encode', () => this.inner.encode(text, { add_special_tokens: false }));
    const ids = raw.ids.map((id, i) => {
      if (typeof id === 'number') return id;
      // The JS WordLevel model returns undefined for out-of-vocabulary words instead of unk.
      if (this.unkId !== null) return this.unkId;
      throw new WorkbenchError('TOKENIZER_ENCODE', `${this.source}: "${raw.tokens[i]}" is not in the vocabulary and the tokenizer has no unk token.`, 'Use text the tokenizer covers, or a tokenizer with an unk token.');
    });
    if (!prepend) return ids;
    if (this.bosTokenId === null) {
      throw new WorkbenchError('TOKENIZER_NO_BOS', `${this.source}: BOS was requested but neither the model config (bos_token_id) nor tokenizer_config.json (bos_token) names a BOS token.`, 'Turn off "prepend BOS", or add bos_token_id to the model config.json.');
    }
    return [this.bosTokenId, ...ids];
  }

  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    // The library refuses an empty list; an empty sequence is simply empty text.
    if (ids.length === 0) return '';
    return this.guard('decode', () => this.inner.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? false, clean_up_tokenization_spaces: false }));
  }

  /** Library failures on a tokenizer.json it accepted at load time become WorkbenchErrors naming the file. */
  private guard<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof WorkbenchError) throw err;
      throw new WorkbenchError('TOKENIZER_FAILED', `${this.source}: ${what} failed (${(err as Error).message}).`, 'The tokenizer.json uses a feature @huggingface/tokenizers does not support, or it is damaged; re-download it.', { cause: err });
    }
  }

  idToToken(id: number): string | null {
    return this.inner.id_to_token(id) ?? null;
  }

  tokenToId(token: string): number | null {
    return this.inner.token_to_id(token) ?? null;
  }

  private reference: { id: number; text: string } | null | undefined;

  private decodeOne(ids: number[]): string {
    return this.guard('decode', () => this.inner.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false }));
  }

  /**
   * One display string per token, with the spaces it carries (" world", "<|endoftext|>").
   * Decoders that strip a leading space from the whole text (SentencePiece) would drop it from a
   * token decoded alone, so each token is decoded after a fixed reference token and the
   * reference's own text is cut off. A token holding only part of a UTF-8 character (byte-level BPE
   * or <0xNN> byte fallback) shows its bytes as \xNN instead of U+FFFD.
   */
  tokenStrings(ids: readonly number[]): string[] {
    if (this.reference === undefined) {
      const id = this.guard('encode', () => this.inner.encode('a', { add_special_tokens: false })).ids[0];
      this.reference = typeof id === 'number' ? { id, text: this.decodeOne([id]) } : null;
    }
    const ref = this.reference;
    const added = this.guard('token strings', () => this.inner.get_added_tokens_decoder());
    return ids.map((id) => {
      // Added tokens (<bos>, <|endoftext|>) show as themselves, never with a joining space.
      if (added.has(id)) return this.decodeOne([id]);
      const withRef = ref ? this.decodeOne([ref.id, id]) : null;
      const text = ref && withRef !== null && withRef.startsWith(ref.text) ? withRef.slice(ref.text.length) : this.decodeOne([id]);
      return text.includes('\uFFFD') ? this.rawBytesText(id, text) : text;
    });
  }

  private rawBytesText(id: number, text: string): string {
    const token = this.inner.id_to_token(id);
    if (token === undefined) return text;
    const fallback = /^<0x([0-9A-Fa-f]{2})>$/.exec(token);
    const bytes = fallback ? Uint8Array.of(parseInt(fallback[1], 16)) : this.byteLevel ? byteLevelBytes(token) : null;
    if (!bytes) return text;
    let out = '';
    let i = 0;
    while (i < bytes.length) {
      // Keep whole UTF-8 characters readable; escape only the stray bytes.
      const lead = bytes[i];
      const n = lead < 0x80 ? 1 : lead >= 0xf0 && lead < 0xf8 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0;
      const char = n > 0 && i + n <= bytes.length ? strictUtf8(bytes.subarray(i, i + n)) : null;
      if (char !== null) {
        out += char;
        i += n;
      } else {
        out += `\\x${lead.toString(16).toUpperCase().padStart(2, '0')}`;
        i++;
      }
    }
    return out;
  }
}

/** Build from already-parsed JSON (a Hub download in memory, or a test fixture). */
export function createTokenizer(tokenizerJson: unknown, tokenizerConfig: unknown = {}, options: TokenizerOptions = {}, source = TOKENIZER_FILE): WorkbenchTokenizer {
  if (tokenizerJson === null || typeof tokenizerJson !== 'object' || Array.isArray(tokenizerJson)) {
    throw new WorkbenchError('TOKENIZER_INVALID', `${source}: is not a JSON object.`, 'Choose the model\'s tokenizer.json.');
  }
  const config = tokenizerConfig && typeof tokenizerConfig === 'object' && !Array.isArray(tokenizerConfig) ? (tokenizerConfig as JsonObject) : {};
  try {
    return new WorkbenchTokenizer(new Tokenizer(tokenizerJson, config), source, tokenizerJson as JsonObject, config, options);
  } catch (err) {
    const model = (tokenizerJson as { model?: { type?: unknown } }).model?.type;
    throw new WorkbenchError('TOKENIZER_INVALID', `${source}: cannot be loaded (${(err as Error).message}; model type ${JSON.stringify(model)}).`, 'The tokenizer uses a feature @huggingface/tokenizers does not support, or the file is damaged.', { cause: err });
  }
}

/** Load <dir>/tokenizer.json and, if present, <dir>/tokenizer_config.json. */
export function loadTokenizer(dir: string, options: TokenizerOptions = {}): WorkbenchTokenizer {
  const file = join(dir, TOKENIZER_FILE);
  if (!existsSync(file)) {
    throw new WorkbenchError('TOKENIZER_MISSING', `${dir}: has no ${TOKENIZER_FILE}.`, 'SAE Workbench needs the fast-tokenizer file tokenizer.json; download it with the model (older repos may only have vocab.json + merges.txt).');
  }
  const configFile = join(dir, TOKENIZER_CONFIG_FILE);
  const config = existsSync(configFile) ? readJson(configFile, TOKENIZER_CONFIG_FILE) : {};
  return createTokenizer(readJson(file, TOKENIZER_FILE), config, options, file);
}
