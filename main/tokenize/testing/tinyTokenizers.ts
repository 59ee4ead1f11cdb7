import { byteLevelChar } from '../byteLevel';

/**
 * A GPT-2-style byte-level BPE tokenizer.json: the 256 byte symbols, a few merges, and
 * <|endoftext|> as a special added token (id 261 + merges).
 */
export function byteLevelBpeJson(): { json: Record<string, unknown>; vocab: Record<string, number>; eot: number } {
  const vocab: Record<string, number> = {};
  for (let b = 0; b < 256; b++) vocab[byteLevelChar(b)] = b;
  const merges: [string, string][] = [
    ['h', 'e'],
    ['l', 'l'],
    ['he', 'll'],
    ['hell', 'o'],
    ['Ġ', 'w'],
    ['Ġw', 'o'],
  ];
  for (const [a, b] of merges) vocab[a + b] = Object.keys(vocab).length;
  const eot = Object.keys(vocab).length;
  vocab['<|endoftext|>'] = eot;
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    vocab,
    eot,
    json: {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [{ id: eot, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
      normalizer: null,
      pre_tokenizer: byteLevel,
      post_processor: byteLevel,
      decoder: byteLevel,
      model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges: merges.map((m) => m.join(' ')) },
    },
  };
}

/** A whitespace WordLevel tokenizer with [UNK] = 0 and <bos> = 1. */
export function wordLevelJson(words: string[]): Record<string, unknown> {
  const vocab: Record<string, number> = { '[UNK]': 0, '<bos>': 1 };
  words.forEach((w, i) => (vocab[w] = i + 2));
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '[UNK]'), special(1, '<bos>')],
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: false },
    model: { type: 'WordLevel', vocab, unk_token: '[UNK]' },
  };
}
