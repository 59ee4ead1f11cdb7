import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { randomTransformer } from '../engine/randomWeights';
import { referenceForward } from '../engine/reference/modelReference';
import { relativeError } from '../engine/testing';
import { writeGpt2Directory } from '../formats/models/gpt2Writer';
import { readSafetensors, readTensor32 } from '../formats/safetensors';
import { makeTempDir } from '../testing/tempDirs';
import { runCliCaptured as cli } from '../testing/cliRun';
import { runCli } from './main';

const projectRoot = path.resolve(import.meta.dirname, '../..');

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
    expect((await cli(base)).err).toMatch(/One of --text, --text-file, --tokens or --tokens-file is required/);
    expect((await cli([...base, '--text', 'a', '--tokens', '1'])).err).toMatch(/Give one input, not --text and --tokens/);
    expect((await cli([...base, '--tokens', '1,x'])).err).toMatch(/"x" is not a token id/);
    expect((await cli([...base, '--tokens', '1', '--device', 'tpu'])).err).toMatch(/--device "tpu"/);
  });

  it('--tokens-file and --text-file (or - for standard input) give what --tokens and --text give', async () => {
    const idsFile = path.join(tmp.dir, 'ids.txt');
    writeFileSync(idsFile, '5, 17 3\n44,0\t9\n');
    const fromFile = path.join(tmp.dir, 'from-file.safetensors');
    const fromArgs = path.join(tmp.dir, 'from-args.safetensors');
    expect((await cli(['acts', '--model', modelDir, '--tokens-file', idsFile, '--hooks', 'blocks.1.hook_resid_post', '--device', 'cpu', '--out', fromFile])).code).toBe(0);
    expect((await cli(['acts', '--model', modelDir, '--tokens', '5,17,3,44,0,9', '--hooks', 'blocks.1.hook_resid_post', '--device', 'cpu', '--out', fromArgs])).code).toBe(0);
    expect(readTensor32(readSafetensors(fromFile), 'blocks.1.hook_resid_post').data).toEqual(readTensor32(readSafetensors(fromArgs), 'blocks.1.hook_resid_post').data);
    const textFile = path.join(tmp.dir, 'prompt.txt');
    writeFileSync(textFile, 'he a\n');
    const text = path.join(tmp.dir, 'text-file.safetensors');
    expect((await cli(['acts', '--model', modelDir, '--text-file', textFile, '--hooks', 'hook_embed', '--device', 'cpu', '--out', text])).code).toBe(0);
    expect(Array.from(readTensor32(readSafetensors(text), 'tokens').data)).toEqual([0, 28, 29]);
    const stdin = path.join(tmp.dir, 'stdin.safetensors');
    const piped = await runCli(['acts', '--model', modelDir, '--tokens-file', '-', '--hooks', 'hook_embed', '--device', 'cpu', '--out', stdin], {
      stdout: () => {},
      stderr: () => {},
      stdin: async function* () {
        yield Buffer.from('7,8,');
        yield Buffer.from('9');
      },
    });
    expect(piped).toBe(0);
    expect(Array.from(readTensor32(readSafetensors(stdin), 'tokens').data)).toEqual([7, 8, 9]);
  });

  it('input files that are not regular files are refused by name, with - offered instead', async () => {
    const fifo = path.join(tmp.dir, 'ids.fifo');
    execFileSync('mkfifo', [fifo]);
    const base = ['acts', '--model', modelDir, '--hooks', 'hook_embed', '--out', path.join(tmp.dir, 'never.safetensors')];
    const fromFifo = await cli([...base, '--tokens-file', fifo]);
    expect(fromFifo.code).toBe(1);
    expect(fromFifo.err).toMatch(/--tokens-file: .*ids\.fifo is a named pipe \(FIFO\), not a regular file[\s\S]*Hint: .*"--tokens-file -"/);
    const fromDir = await cli([...base, '--text-file', tmp.dir]);
    expect(fromDir.err).toMatch(/is a folder, not a regular file/);
    expect(existsSync(path.join(tmp.dir, 'never.safetensors'))).toBe(false);
  });

  it('16,000 token ids: refused on the command line before the engine starts, run from a file or stdin in a real process', async () => {
    const ids = Array.from({ length: 16_000 }, (_, i) => (i * 7) % 50);
    const out = path.join(tmp.dir, 'long.safetensors');
    const argv = await cli(['acts', '--model', modelDir, '--tokens', ids.join(','), '--hooks', 'hook_embed', '--device', 'cpu', '--out', out]);
    expect(argv.code).toBe(1);
    expect(argv.err).toMatch(/command line is \d+ bytes[\s\S]*Hint: Put long inputs in a file: --tokens-file/);
    // A real process: what segfaulted (exit 139) with the ids in argv runs with them on stdin.
    const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'main/cli/main.ts'), 'acts', '--model', modelDir, '--tokens-file', '-', '--hooks', 'hook_embed', '--device', 'cpu', '--out', out], {
      cwd: projectRoot,
      input: ids.join(','),
      encoding: 'utf8',
    });
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout).toMatch(/16000 tokens/);
    expect(readTensor32(readSafetensors(out), 'hook_embed').shape).toEqual([16_000, 32]);
    const crashed = spawnSync(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'main/cli/main.ts'), 'acts', '--model', modelDir, '--tokens', ids.join(','), '--hooks', 'hook_embed', '--out', out], { cwd: projectRoot, encoding: 'utf8' });
    expect(crashed.status).toBe(1);
    expect(crashed.stderr).toMatch(/ARGUMENTS|command line is/);
  }, 120_000);
});
