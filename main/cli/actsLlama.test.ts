import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { randomTransformer } from '../engine/randomWeights';
import { referenceForward } from '../engine/reference/modelReference';
import { relativeError } from '../engine/testing';
import { loadModel } from '../formats/models/registry';
import { readSafetensors, readTensor32 } from '../formats/safetensors';
import { writeLlamaDirectory } from '../formats/testing/llamaFixture';
import { makeTempDir } from '../testing/tempDirs';
import { runCliCaptured as cli } from '../testing/cliRun';

const tmp = makeTempDir('acts-llama');
afterAll(() => tmp.cleanup());

// Canonical weights in memory, written as a LlamaForCausalLM folder: the reference runs on the
// in-memory weights, the CLI on what the Llama loader reads back, so loader and engine are checked
// together. GQA (4 query heads, 2 KV heads), rotary over the whole head with a non-default
// rope_theta, and an eps that must reach the engine.
const model = randomTransformer({
  nLayers: 2, dModel: 32, nHeads: 4, nKvHeads: 2, dMlp: 48, dVocab: 50, nCtx: 64, normalization: 'RMS', lnEps: 1e-4,
  activation: 'silu', positional: 'rotary', rotary: { dims: 8, base: 500000 }, gatedMlp: true, biases: false, seed: 71, name: 'tiny-llama',
});
const modelDir = path.join(tmp.dir, 'tiny-llama');
writeLlamaDirectory(modelDir, model);

describe('sae-workbench acts on a Llama folder', () => {
  it('the loader hands the engine RMSNorm, GQA, SwiGLU and rotary settings', () => {
    expect(loadModel(modelDir).config).toMatchObject({ normalization: 'RMS', lnEps: 1e-4, nKvHeads: 2, gatedMlp: true, rotary: { dims: 8, base: 500000 }, activation: 'silu' });
  });

  it('--tokens: resid_mid, attn_out, mlp_out, resid_post and logits match the float64 reference', async () => {
    const out = path.join(tmp.dir, 'acts.safetensors');
    const tokens = [1, 7, 3, 42, 9];
    const hooks = ['hook_embed', 'blocks.0.hook_resid_mid', 'blocks.1.hook_attn_out', 'blocks.1.hook_mlp_out', 'blocks.1.hook_resid_post', 'ln_final.hook_normalized'];
    const r = await cli(['acts', '--model', modelDir, '--tokens', tokens.join(','), '--hooks', hooks.join(','), '--logits', '--device', 'cpu', '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const st = readSafetensors(out);
    const ref = referenceForward(model, tokens);
    let worst = 0;
    for (const h of hooks) {
      expect(readTensor32(st, h).shape).toEqual([5, 32]);
      const err = relativeError(readTensor32(st, h).data, ref.hooks.get(h)!);
      worst = Math.max(worst, err);
      expect(err, h).toBeLessThan(1e-4);
    }
    const err = relativeError(readTensor32(st, 'logits').data, ref.logits);
    expect(err).toBeLessThan(1e-4);
    console.log(`acts on a Llama folder: max relative error ${Math.max(worst, err).toExponential(2)}`);
  });

  it('a longer sequence (positions up to 29) matches too', async () => {
    const out = path.join(tmp.dir, 'long.safetensors');
    const tokens = Array.from({ length: 30 }, (_, i) => (i * 7 + 3) % 50);
    const r = await cli(['acts', '--model', modelDir, '--tokens', tokens.join(','), '--logits', '--device', 'cpu', '--out', out]);
    expect(r.code, r.err).toBe(0);
    expect(relativeError(readTensor32(readSafetensors(out), 'logits').data, referenceForward(model, tokens).logits)).toBeLessThan(1e-4);
  });

  it('hook_pos_embed fails with the reason', async () => {
    const r = await cli(['acts', '--model', modelDir, '--tokens', '1,2', '--hooks', 'hook_pos_embed', '--device', 'cpu', '--out', path.join(tmp.dir, 'x.safetensors')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/"hook_pos_embed" does not exist in this model: .*rotary positions/);
  });
});
