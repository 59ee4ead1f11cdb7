import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { byteLevelBytes, byteLevelChar } from './byteLevel';
import { byteLevelBpeJson, sentencePieceJson, wordLevelJson } from './testing/tinyTokenizers';
import { createTokenizer, loadTokenizer } from './tokenizer';
import { errorOf } from '../testing/workbenchErrors';

const root = mkdtempSync(join(tmpdir(), 'tok-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('byte-level alphabet', () => {
  it('maps all 256 bytes to distinct characters and back, matching GPT-2', () => {
    expect(byteLevelChar(0x20)).toBe('Ġ');
    expect(byteLevelChar(0x0a)).toBe('Ċ');
    expect(byteLevelChar(0x41)).toBe('A');
    const all = Array.from({ length: 256 }, (_, b) => byteLevelChar(b));
    expect(new Set(all).size).toBe(256);
    expect(Array.from(byteLevelBytes(all.join(''))!)).toEqual(Array.from({ length: 256 }, (_, b) => b));
    expect(byteLevelBytes('\u4e00')).toBeNull();
  });
});

describe('WorkbenchTokenizer', () => {
  const { json, vocab, eot } = byteLevelBpeJson();

  it('encodes and decodes a byte-level BPE round trip, with BOS from the model config', () => {
    const tok = createTokenizer(json, {}, { bosTokenId: eot, prependBos: true });
    const ids = tok.encode('hello world');
    expect(ids).toEqual([eot, vocab.hello, vocab['Ġwo'], 'r'.charCodeAt(0), 'l'.charCodeAt(0), 'd'.charCodeAt(0)]);
    expect(tok.decode(ids)).toBe('<|endoftext|>hello world');
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe('hello world');
    expect(tok.decode([])).toBe('');
    expect(tok.encode('', { prependBos: false })).toEqual([]);
    expect(tok.encode('hello world', { prependBos: false })).toEqual(ids.slice(1));
    expect(tok.tokenStrings(ids)).toEqual(['<|endoftext|>', 'hello', ' wo', 'r', 'l', 'd']);
    expect(tok.vocabSize).toBe(Object.keys(vocab).length);
    expect(tok.idToToken(vocab['Ġw'])).toBe('Ġw');
    expect(tok.tokenToId('hello')).toBe(vocab.hello);
  });

  it('shows partial UTF-8 byte tokens as \\xNN and whole characters as text', () => {
    const tok = createTokenizer(json, {}, { prependBos: false });
    const ids = tok.encode('é!');
    expect(ids).toEqual([0xc3, 0xa9, 0x21]);
    expect(tok.tokenStrings(ids)).toEqual(['\\xC3', '\\xA9', '!']);
    expect(tok.decode(ids)).toBe('é!');
  });

  it('never doubles BOS and takes bos_token from tokenizer_config.json', () => {
    const tok = createTokenizer(json, { bos_token: { content: '<|endoftext|>' }, eos_token: '<|endoftext|>' });
    expect(tok.bosTokenId).toBe(eot);
    expect(tok.eosTokenId).toBe(eot);
    expect(tok.encode('hello')).toEqual([eot, vocab.hello]);
    const noBos = createTokenizer(json, {}, {}, 'x/tokenizer.json');
    expect(noBos.encode('hello', { prependBos: false })).toEqual([vocab.hello]);
    const err = errorOf(() => noBos.encode('hello'));
    expect(err.code).toBe('TOKENIZER_NO_BOS');
    expect(err.message).toMatch(/^x\/tokenizer\.json: BOS was requested/);
  });

  it('loads a WordLevel tokenizer from a folder and maps unknown words to [UNK]', () => {
    const dir = join(root, 'wordlevel');
    mkdirSync(dir);
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(wordLevelJson(['the', 'cat', 'sat'])));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<bos>', unk_token: '[UNK]' }));
    const tok = loadTokenizer(dir);
    expect(tok.encode('the cat sat on')).toEqual([1, 2, 3, 4, 0]);
    expect(tok.tokenStrings([1, 2, 3])).toEqual(['<bos>', ' the', ' cat']);
    expect(loadTokenizer(dir, { prependBos: false }).encode('cat the')).toEqual([3, 2]);
  });

  it('keeps SentencePiece leading spaces in token strings and never doubles its BOS', () => {
    // Its post-processor adds <s> itself; encode() leaves that to prependBos.
    const tok = createTokenizer(sentencePieceJson(), { bos_token: '<s>' });
    const ids = tok.encode('hi é');
    expect(ids).toEqual([1, 263, 259, 0xc3 + 3, 0xa9 + 3]);
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe('hi é');
    expect(tok.tokenStrings(ids)).toEqual(['<s>', ' hi', ' ', '\\xC3', '\\xA9']);
  });

  it('explains a missing or damaged tokenizer', () => {
    expect(errorOf(() => loadTokenizer(root)).code).toBe('TOKENIZER_MISSING');
    const dir = join(root, 'bad');
    mkdirSync(dir);
    writeFileSync(join(dir, 'tokenizer.json'), '{"model": ');
    expect(errorOf(() => loadTokenizer(dir)).message).toMatch(/tokenizer\.json: is not valid JSON/);
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({ model: { type: 'NoSuchModel' } }));
    expect(errorOf(() => loadTokenizer(dir)).code).toBe('TOKENIZER_INVALID');
    expect(errorOf(() => createTokenizer([1])).code).toBe('TOKENIZER_INVALID');
  });
});
