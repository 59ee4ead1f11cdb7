/**
 * Seeded fuzzing of tokenizer.json handling: mutated tokenizer files must either work or raise a
 * WorkbenchError, from loading through encode, decode and token strings.
 */
import { describe, expect, it } from 'vitest';
import { WorkbenchError } from '../errors';
import { SeededRandom } from '../random/seededRandom';
import { byteLevelBpeJson, sentencePieceJson, wordLevelJson } from './testing/tinyTokenizers';
import { createTokenizer } from './tokenizer';

function randomValue(rng: SeededRandom): unknown {
  return rng.pick<() => unknown>([
    () => null,
    () => rng.int(300),
    () => -1,
    () => 'BPE',
    () => 'WordLevel',
    () => 'ByteLevel',
    () => 'x',
    () => true,
    () => [],
    () => ({}),
    () => ({ type: rng.pick(['BPE', 'WordLevel', 'Whitespace', 'ByteLevel', 'Sequence', 'Nope']) }),
  ])();
}

/** Replace or delete a random property somewhere in the object tree. */
function mutate(rng: SeededRandom, obj: Record<string, unknown>): void {
  let node: Record<string, unknown> = obj;
  for (let depth = 0; depth < 3; depth++) {
    const keys = Object.keys(node);
    if (!keys.length) break;
    const key = rng.pick(keys);
    const child = node[key];
    if (child && typeof child === 'object' && !Array.isArray(child) && rng.next() < 0.5 && Object.keys(child).length < 50) {
      node = child as Record<string, unknown>;
      continue;
    }
    if (rng.next() < 0.3) delete node[key];
    else node[key] = randomValue(rng);
    return;
  }
}

describe('tokenizer fuzz', () => {
  it('600 mutated tokenizer.json files only ever raise WorkbenchError', () => {
    const rng = new SeededRandom(99);
    const bases = [byteLevelBpeJson().json, sentencePieceJson(), wordLevelJson(['the', 'cat'])];
    let ok = 0;
    for (let i = 0; i < 600; i++) {
      const json = structuredClone(bases[i % bases.length]) as Record<string, unknown>;
      const edits = 1 + rng.int(2);
      for (let e = 0; e < edits; e++) mutate(rng, json);
      const config = rng.next() < 0.2 ? { bos_token: randomValue(rng) } : {};
      try {
        const tok = createTokenizer(json, config, { prependBos: false });
        const ids = tok.encode('hello the cat é');
        tok.decode(ids);
        tok.tokenStrings(ids);
        ok++;
      } catch (err) {
        if (!(err instanceof WorkbenchError)) throw new Error(`case ${i}: ${JSON.stringify(json).slice(0, 400)}\n${(err as Error).stack}`);
      }
    }
    expect(ok).toBeGreaterThan(50);
  });
});
