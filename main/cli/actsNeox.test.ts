import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { randomTransformer } from '../engine/randomWeights';
import { referenceForward } from '../engine/reference/modelReference';
import { relativeError } from '../engine/testing';
import { loadModel } from '../formats/models/registry';
import { readSafetensors, readTensor32 } from '../formats/safetensors';
import { writeNeoxDirectory } from '../formats/testing/neoxFixture';
import { makeTempDir } from '../testing/tempDirs';
import { runCliCaptured as cli } from '../testing/cliRun';

const tmp = makeTempDir('acts-neox');
afterAll(() => tmp.cleanup());

// Canonical weights in memory, written as a GPTNeoXForCausalLM folder: the reference runs on
// the in-memory weights, the CLI on what the NeoX loader reads back, so loader and engine are
// checked together. Pythia-like settings, with a non-default base and eps that must reach the engine.
const model = randomTransformer({
  nLayers: 2, dModel: 32, nHeads: 4, dVocab: 50, nCtx: 64, activation: 'gelu', lnEps: 1e-3,
  positional: 'rotary', rotary: { dims: 2, base: 1000 }, parallelAttnMlp: true, seed: 41, name: 'tiny-pythia',
});
model.b_U.data.fill(0); // GPTNeoXForCausalLM's embed_out has no bias
const modelDir = path.join(tmp.dir, 'tiny-pythia');
writeNeoxDirectory(modelDir, model, { rotary_pct: 0.25, rotary_emb_base: 1000, layer_norm_eps: 1e-3 });

describe('sae-workbench acts on a GPT-NeoX folder', () => {
  it('the loader hands the engine rotary and parallel settings', () => {
    expect(loadModel(modelDir).config).toMatchObject({ positional: 'rotary', rotary: { dims: 2, base: 1000 }, parallelAttnMlp: true, lnEps: 1e-3, activation: 'gelu' });
  });

  it('--tokens 1,2,3: resid_post, attn_out and logits match the float64 reference', async () => {
    const out = path.join(tmp.dir, 'acts.safetensors');
    const tokens = [1, 2, 3];
    const hooks = ['blocks.0.hook_resid_post', 'blocks.1.hook_attn_out', 'blocks.1.hook_resid_post'];
    const r = await cli(['acts', '--model', modelDir, '--tokens', tokens.join(','), '--hooks', hooks.join(','), '--logits', '--device', 'cpu', '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const st = readSafetensors(out);
    const ref = referenceForward(model, tokens);
    for (const h of hooks) {
      expect(readTensor32(st, h).shape).toEqual([3, 32]);
      expect(relativeError(readTensor32(st, h).data, ref.hooks.get(h)!), h).toBeLessThan(1e-4);
    }
    expect(relativeError(readTensor32(st, 'logits').data, ref.logits)).toBeLessThan(1e-4);
  });

  it('a longer sequence (positions up to 19) matches too', async () => {
    const out = path.join(tmp.dir, 'long.safetensors');
    const tokens = Array.from({ length: 20 }, (_, i) => (i * 7 + 3) % 50);
    const r = await cli(['acts', '--model', modelDir, '--tokens', tokens.join(','), '--logits', '--device', 'cpu', '--out', out]);
    expect(r.code, r.err).toBe(0);
    expect(relativeError(readTensor32(readSafetensors(out), 'logits').data, referenceForward(model, tokens).logits)).toBeLessThan(1e-4);
  });

  it('hook_resid_mid fails with the reason', async () => {
    const r = await cli(['acts', '--model', modelDir, '--tokens', '1,2', '--hooks', 'blocks.0.hook_resid_mid', '--device', 'cpu', '--out', path.join(tmp.dir, 'x.safetensors')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/"blocks.0.hook_resid_mid" does not exist in this model: .*in parallel[\s\S]*Hint: Use blocks.0.hook_resid_pre/);
  });
});
