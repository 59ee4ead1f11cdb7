import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { generateCorpus } from './corpus';
import { buildVocabulary, encodeWords, tokenizerConfigJson, tokenizerJson } from './wordTokenizer';

describe('demo corpus and word tokenizer', () => {
  const docs = generateCorpus(400, 99);
  const vocab = buildVocabulary(docs.map((d) => d.text));

  it('generates the same documents for the same seed and mixes procedures with prose', () => {
    expect(generateCorpus(400, 99)).toEqual(docs);
    expect(generateCorpus(400, 100)).not.toEqual(docs);
    const procedures = docs.filter((d) => d.kind === 'procedure');
    expect(procedures.length / docs.length).toBeGreaterThan(0.35);
    expect(procedures.length / docs.length).toBeLessThan(0.65);
    expect(procedures.every((d) => /^How to .*Step 1: .* Step 2: .* Step 3: /.test(d.text))).toBe(true);
    expect(docs.filter((d) => d.kind === 'prose').some((d) => d.text.includes('Step'))).toBe(false);
  });

  it('loads in @huggingface/tokenizers and encodes exactly like the corpus statistics do', () => {
    const tok = new Tokenizer(tokenizerJson(vocab), tokenizerConfigJson());
    for (const d of docs.slice(0, 50)) expect(tok.encode(d.text).ids).toEqual(encodeWords(vocab, d.text));
    const e = tok.encode('Step 2: Knead the spaceship.');
    expect(e.tokens).toEqual(['Step', '2', ':', 'Knead', 'the', '<unk>', '.']);
    expect(tok.decode(encodeWords(vocab, 'Step 1: Mix the flour'))).toBe('Step 1 : Mix the flour');
  });

  it('reserves id 0 for <|endoftext|> and 1 for <unk>', () => {
    expect(vocab.tokens.slice(0, 2)).toEqual(['<|endoftext|>', '<unk>']);
    expect(new Set(vocab.tokens).size).toBe(vocab.tokens.length);
  });
});
