import { describe, expect, it } from 'vitest';
import type { TransformerWeights } from '../formats/transformer';
import { modelHookNames } from './hooks';
import { runWithEdit } from './intervention';
import { randomTransformer } from './randomWeights';
import { referenceForward } from './reference/modelReference';
import { runFromHook, runModel } from './runner';
import { randomTokens, relativeError, worstForwardError } from './testing';

const TOL = 1e-4;

// Pythia-like: rotary on a quarter of each head, parallel attention + MLP, exact gelu.
const neox = randomTransformer({ nLayers: 3, dModel: 32, nHeads: 4, activation: 'gelu', positional: 'rotary', rotary: { dims: 2, base: 10000 }, parallelAttnMlp: true, nCtx: 32, seed: 31 });
const variants: { label: string; model: TransformerWeights }[] = [
  { label: 'NeoX: rotary 2/8 dims, parallel, gelu', model: neox },
  { label: 'rotary on the whole head, base 500, parallel, LN eps 1e-3', model: randomTransformer({ nLayers: 2, dModel: 24, nHeads: 2, activation: 'gelu_new', positional: 'rotary', rotary: { dims: 12, base: 500 }, parallelAttnMlp: true, lnEps: 1e-3, seed: 32 }) },
  { label: 'rotary 4/8 dims, sequential blocks', model: randomTransformer({ nLayers: 2, dModel: 16, nHeads: 2, activation: 'gelu', positional: 'rotary', parallelAttnMlp: false, seed: 33 }) },
];

describe('rotary / parallel-block (GPT-NeoX) forward vs float64 reference', () => {
  for (const { label, model } of variants) {
    it(`${label}: every hook and logits, padded batch`, async () => {
      const tokens = randomTokens(3, [7, 12, 4], model.config.dVocab);
      const hooks = modelHookNames(model.config);
      expect(hooks.includes('blocks.0.hook_resid_mid')).toBe(!model.config.parallelAttnMlp);
      expect(hooks).not.toContain('hook_pos_embed');
      const { worst, where } = await worstForwardError(model, tokens, hooks);
      expect(worst, where).toBeLessThan(TOL);
      console.log(`${label}: max relative error over hooks and logits ${worst.toExponential(2)}`);
    });
  }

  it('the rotation is visible at this tolerance: without it hooks differ by far more than TOL', async () => {
    const seq = randomTokens(4, [12], neox.config.dVocab)[0];
    const run = await runModel(neox, [seq], ['blocks.2.hook_resid_post'], { logits: true, device: 'cpu' });
    const unrotated = referenceForward({ ...neox, config: { ...neox.config, positional: 'learned' } }, seq);
    const err = relativeError(run.logits![0].data, unrotated.logits);
    console.log(`NeoX logits vs the same model without rotation: relative difference ${err.toExponential(2)}`);
    expect(err).toBeGreaterThan(100 * TOL);
  });

  it('padded batches match unpadded single runs', async () => {
    const tokens = randomTokens(5, [9, 3, 16, 1], neox.config.dVocab);
    const hooks = ['blocks.2.hook_resid_post', 'blocks.0.hook_attn_out', 'blocks.1.hook_mlp_out'];
    const batched = await runModel(neox, tokens, hooks, { logits: true, device: 'cpu' });
    for (let s = 0; s < tokens.length; s++) {
      const single = await runModel(neox, [tokens[s]], hooks, { logits: true, device: 'cpu' });
      for (const h of hooks) expect(relativeError(batched.hooks[h][s].data, single.hooks[h][0].data)).toBeLessThan(1e-5);
      expect(relativeError(batched.logits![s].data, single.logits![0].data)).toBeLessThan(1e-5);
    }
  });

  it('windows past nCtx restart positions at 0, like separate runs', async () => {
    const model = randomTransformer({ nLayers: 2, dModel: 16, nHeads: 2, positional: 'rotary', parallelAttnMlp: true, nCtx: 8, seed: 34 });
    const [long] = randomTokens(8, [20], model.config.dVocab);
    const run = await runModel(model, [long], [], { logits: true, device: 'cpu' });
    for (const [start, end] of [[0, 8], [8, 16], [16, 20]]) {
      const ref = referenceForward(model, long.slice(start, end));
      expect(relativeError(run.logits![0].data.subarray(start * 50, end * 50), ref.logits)).toBeLessThan(TOL);
    }
  });
});

describe('NeoX segment graphs and edits', () => {
  const tokens = randomTokens(9, [10, 6], neox.config.dVocab);

  for (const start of ['blocks.0.hook_resid_post', 'blocks.1.hook_resid_pre', 'blocks.2.hook_resid_post']) {
    it(`from ${start} reproduces the full forward's logits and later hooks`, async () => {
      const later = start === 'blocks.2.hook_resid_post' ? [] : ['blocks.2.hook_attn_out', 'blocks.2.hook_mlp_out', 'ln_final.hook_normalized'];
      const full = await runModel(neox, tokens, [start, ...later], { logits: true, device: 'cpu' });
      const seg = await runFromHook(neox, start, full.hooks[start], later, { logits: true, device: 'cpu' });
      tokens.forEach((_, s) => {
        expect(relativeError(seg.logits![s].data, full.logits![s].data)).toBeLessThan(1e-5);
        for (const h of later) expect(relativeError(seg.hooks[h][s].data, full.hooks[h][s].data)).toBeLessThan(1e-5);
      });
    });
  }

  it('an edited resid_post gives the logits the reference gives from it', async () => {
    const start = 'blocks.0.hook_resid_post';
    const full = await runModel(neox, tokens, [start], { logits: true, device: 'cpu' });
    const edited = full.hooks[start].map((t) => ({ data: t.data.map((v, i) => (i % neox.config.dModel === 5 ? v + 3 : v)), shape: t.shape }));
    const seg = await runFromHook(neox, start, edited, [], { logits: true, device: 'cpu' });
    edited.forEach((t, s) => {
      const ref = referenceForward(neox, [], { hook: start, activation: Float64Array.from(t.data) });
      expect(relativeError(seg.logits![s].data, ref.logits)).toBeLessThan(TOL);
      expect(relativeError(seg.logits![s].data, full.logits![s].data)).toBeGreaterThan(1e-2);
    });
  });

  it('an edit at attn_out re-enters at resid_post (nothing in a parallel block reads it)', async () => {
    const delta = (i: number) => (i % neox.config.dModel === 7 ? 2 : 0);
    const run = await runWithEdit(neox, tokens, 'blocks.1.hook_attn_out', (a) => a.map((t) => ({ data: t.data.map((v, i) => v + delta(i)), shape: t.shape })), [], { logits: true, device: 'cpu' });
    tokens.forEach((seq, s) => {
      const ref = referenceForward(neox, seq, undefined, (layer, _p, row) => {
        if (layer === 1) row[7] += 2;
      });
      expect(relativeError(run.logits![s].data, ref.logits)).toBeLessThan(TOL);
    });
  });

  it('rejects hook_resid_mid and hook_pos_embed with the reason', async () => {
    await expect(runModel(neox, [[1, 2]], ['blocks.1.hook_resid_mid'])).rejects.toMatchObject({ code: 'ENGINE_HOOK_NOT_IN_MODEL', message: expect.stringMatching(/attention and MLP in parallel/), hint: expect.stringContaining('blocks.1.hook_resid_pre') });
    await expect(runModel(neox, [[1, 2]], ['hook_pos_embed'])).rejects.toMatchObject({ code: 'ENGINE_HOOK_NOT_IN_MODEL', message: expect.stringMatching(/rotary positions/) });
    const acts = [{ data: new Float32Array(3 * 32), shape: [3, 32] }];
    await expect(runFromHook(neox, 'blocks.1.hook_resid_mid', acts, [], { logits: true })).rejects.toMatchObject({ code: 'ENGINE_HOOK_NOT_IN_MODEL' });
    await expect(runWithEdit(neox, [[1, 2]], 'blocks.0.hook_resid_mid', (a) => a)).rejects.toMatchObject({ code: 'ENGINE_HOOK_NOT_IN_MODEL' });
  });
});
