import { splitWords } from './corpus';

export const END_OF_TEXT = '<|endoftext|>';
export const UNKNOWN = '<unk>';

export interface WordVocabulary {
  /** Token strings by id: 0 is <|endoftext|> (BOS/EOS, as in GPT-2), 1 is <unk>. */
  tokens: string[];
  ids: Map<string, number>;
}

/** Vocabulary of every word in the texts, most frequent first (ties alphabetical) for stable ids. */
export function buildVocabulary(texts: string[]): WordVocabulary {
  const counts = new Map<string, number>();
  for (const text of texts) for (const w of splitWords(text)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const words = [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || (a < b ? -1 : a > b ? 1 : 0));
  const tokens = [END_OF_TEXT, UNKNOWN, ...words];
  return { tokens, ids: new Map(tokens.map((t, i) => [t, i])) };
}

/** Token ids of a text the way tokenizer.json below encodes it (for corpus statistics without a tokenizer instance). */
export function encodeWords(vocab: WordVocabulary, text: string): number[] {
  return splitWords(text).map((w) => vocab.ids.get(w) ?? 1);
}

/**
 * A Hugging Face tokenizer.json for a word-level vocabulary. @huggingface/tokenizers has no
 * WordLevel model, so this is a WordPiece model whose pieces are whole words: every corpus word is
 * one token, anything else becomes <unk>; both the JS and the Rust tokenizers load it.
 */
export function tokenizerJson(vocab: WordVocabulary): Record<string, unknown> {
  const special = (id: number) => ({ id, content: vocab.tokens[id], single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0), special(1)],
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: UNKNOWN,
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.tokens.map((t, i) => [t, i])),
    },
  };
}

/** tokenizer_config.json, which transformers (and tokenizers.js) read next to tokenizer.json. */
export function tokenizerConfigJson(): Record<string, unknown> {
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: END_OF_TEXT,
    eos_token: END_OF_TEXT,
    unk_token: UNKNOWN,
    model_max_length: 128,
    add_prefix_space: false,
  };
}
