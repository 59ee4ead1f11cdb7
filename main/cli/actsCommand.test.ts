import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { randomTransformer } from '../engine/randomWeights';
import { referenceForward } from '../engine/reference/modelReference';
import { relativeError } from '../engine/testing';
import { writeGpt2Directory } from '../formats/models/gpt2Writer';
import { readSafetensors, readTensor32 } from '../formats/safetensors';
import { makeTempDir } from '../testing/tempDirs';
import { runCliCaptured as cli } from '../testing/cliRun';

const tmp = makeTempDir('acts');
afterAll(() => tmp.cleanup());

/** A byte-level BPE tokenizer.json over a 50-token vocab: letters, space marker, two merges. */
function writeTinyTokenizer(dir: string): void {
  const vocab: Record<string, number> = { '<|endoftext|>': 0 };
  'abcdefghijklmnopqrstuvwxyz'.split('').forEach((ch, i) => (vocab[ch] = i + 1));
  vocab['Ġ'] = 27;
  vocab['he'] = 28;
  vocab['Ġa'] = 29;
  const tokenizer = {
    version: '1.0',
    added_tokens: [{ id: 0, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges: ['h e', 'Ġ a'] },
  };
  writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', model_max_length: 64 }));
}

const model = randomTransformer({ nLayers: 2, dModel: 32, nHeads: 4, dVocab: 50, nCtx: 64, seed: 31, name: 'tiny-gpt2' });
model.b_U.data.fill(0); // GPT2LMHeadModel has no output bias
const modelDir = path.join(tmp.dir, 'tiny-gpt2');
writeGpt2Directory(modelDir, model);
writeTinyTokenizer(modelDir);

describe('sae-workbench acts', () => {
  it('--tokens: one tensor per hook, logits and tokens, matching the float64 reference', async () => {
    const out = path.join(tmp.dir, 'acts.safetensors');
    const tokens = [5, 17, 3, 44, 0, 9];
    const hooks = ['hook_embed', 'blocks.0.hook_attn_out', 'blocks.1.hook_resid_post'];
    const r = await cli(['acts', '--model', modelDir, '--tokens', tokens.join(','), '--hooks', hooks.join(','), '--logits', '--device', 'cpu', '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/6 tokens.*execution provider: cpu/);
    const st = readSafetensors(out);
    expect(st.entries.map((e) => e.name).sort()).toEqual([...hooks, 'logits', 'tokens'].sort());
    const ref = referenceForward(model, tokens);
    for (const h of hooks) {
      const t = readTensor32(st, h);
      expect(st.get(h).dtype).toBe('F32');
      expect(t.shape).toEqual([6, 32]);
      expect(relativeError(t.data, ref.hooks.get(h)!)).toBeLessThan(1e-4);
    }
    expect(readTensor32(st, 'logits').shape).toEqual([6, 50]);
    expect(relativeError(readTensor32(st, 'logits').data, ref.logits)).toBeLessThan(1e-4);
    expect(st.get('tokens').dtype).toBe('I64');
    expect(Array.from(readTensor32(st, 'tokens').data)).toEqual(tokens);
  });

  it('--text: tokenizes with the model tokenizer and prepends BOS', async () => {
    const out = path.join(tmp.dir, 'text.safetensors');
    const r = await cli(['acts', '--model', modelDir, '--text', 'he a', '--hooks', 'blocks.1.hook_resid_pre', '--device', 'cpu', '--out', out]);
    expect(r.code, r.err).toBe(0);
    const st = readSafetensors(out);
    expect(Array.from(readTensor32(st, 'tokens').data)).toEqual([0, 28, 29]);
    const ref = referenceForward(model, [0, 28, 29]);
    expect(relativeError(readTensor32(st, 'blocks.1.hook_resid_pre').data, ref.hooks.get('blocks.1.hook_resid_pre')!)).toBeLessThan(1e-4);
  });

  it('fails with the valid hooks listed for an unknown hook', async () => {
    const r = await cli(['acts', '--model', modelDir, '--tokens', '1,2', '--hooks', 'blocks.0.resid', '--out', path.join(tmp.dir, 'x.safetensors')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Unknown hook "blocks.0.resid"[\s\S]*Hint: Valid hooks: hook_embed/);
  });

  it('names an out-of-vocab token and the vocab size', async () => {
    const r = await cli(['acts', '--model', modelDir, '--tokens', '1,50', '--hooks', 'hook_embed', '--out', path.join(tmp.dir, 'x.safetensors')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Token id 50 .*d_vocab 50/);
  });

  it('needs exactly one of --text and --tokens, and a known device', async () => {
    const base = ['acts', '--model', modelDir, '--hooks', 'hook_embed', '--out', path.join(tmp.dir, 'x.safetensors')];
    expect((await cli(base)).err).toMatch(/One of --text or --tokens is required/);
    expect((await cli([...base, '--text', 'a', '--tokens', '1'])).err).toMatch(/not both/);
    expect((await cli([...base, '--tokens', '1,x'])).err).toMatch(/"x" is not a token id/);
    expect((await cli([...base, '--tokens', '1', '--device', 'tpu'])).err).toMatch(/--device "tpu"/);
  });
});
