import { describe, expect, it } from 'vitest';
import { prepareEdit, runWithEdit, saeSpliceEdit } from './intervention';
import { randomSae, randomTransformer, seededRandom } from './randomWeights';
import { referenceForward } from './reference/modelReference';
import { referenceSae } from './reference/saeReference';
import { runModel } from './runner';
import { relativeError } from './testing';

const model = randomTransformer({ nLayers: 3, dModel: 32, nHeads: 4, nCtx: 16, seed: 41 });
const rand = seededRandom(2);
const tokens = [9, 14, 5].map((len) => Array.from({ length: len }, () => Math.floor(rand() * 50)));

describe('runWithEdit', () => {
  for (const hook of ['hook_embed', 'blocks.1.hook_resid_pre', 'blocks.1.hook_attn_out', 'blocks.1.hook_resid_mid', 'blocks.2.hook_mlp_out', 'blocks.2.hook_resid_post']) {
    it(`an identity edit at ${hook} reproduces the clean logits`, async () => {
      const clean = await runModel(model, tokens, [], { logits: true, device: 'cpu' });
      const run = await runWithEdit(model, tokens, hook, (a) => a, [], { logits: true, device: 'cpu' });
      tokens.forEach((_, s) => expect(relativeError(run.logits![s].data, clean.logits![s].data)).toBeLessThan(1e-5));
    });
  }

  it('zero-ablating attn_out of layer 1 matches the float64 reference with that output removed', async () => {
    const run = await runWithEdit(model, tokens, 'blocks.1.hook_attn_out', (a) => a.map((t) => ({ data: new Float32Array(t.data.length), shape: t.shape })), [], { logits: true, device: 'cpu' });
    tokens.forEach((seq, s) => {
      const ref = referenceForward(model, seq);
      const residMid = ref.hooks.get('blocks.1.hook_resid_pre')!; // resid_mid = resid_pre + 0
      const expected = referenceForward(model, [], { hook: 'blocks.1.hook_resid_mid', activation: residMid }).logits;
      expect(relativeError(run.logits![s].data, expected)).toBeLessThan(1e-4);
      expect(relativeError(run.logits![s].data, ref.logits)).toBeGreaterThan(1e-3);
    });
  });

  it('splices an SAE reconstruction at a residual hook, windows longer than nCtx included', async () => {
    const sae = randomSae({ dIn: 32, dSae: 96, k: 6, hookName: 'blocks.1.hook_resid_post', seed: 4 });
    const long = Array.from({ length: 20 }, () => Math.floor(rand() * 50));
    const run = await runWithEdit(model, [long], 'blocks.1.hook_resid_post', saeSpliceEdit(sae, { device: 'cpu' }), ['blocks.2.hook_resid_post'], { logits: true, device: 'cpu' });
    expect(run.logits![0].shape).toEqual([20, 50]);
    for (const [a, b] of [[0, 16], [16, 20]]) {
      const clean = referenceForward(model, long.slice(a, b)).hooks.get('blocks.1.hook_resid_post')!;
      const spliced = referenceSae(sae, clean, b - a).saeOut;
      const expected = referenceForward(model, [], { hook: 'blocks.1.hook_resid_post', activation: spliced });
      expect(relativeError(run.logits![0].data.subarray(a * 50, b * 50), expected.logits)).toBeLessThan(1e-4);
      expect(relativeError(run.hooks['blocks.2.hook_resid_post'][0].data.subarray(a * 32, b * 32), expected.hooks.get('blocks.2.hook_resid_post')!)).toBeLessThan(1e-4);
    }
  });

  it('returns next-token loss with the edit applied (CE with an SAE spliced in, across windows)', async () => {
    const sae = randomSae({ dIn: 32, dSae: 96, k: 6, hookName: 'blocks.0.hook_resid_post', seed: 9 });
    const long = Array.from({ length: 21 }, () => Math.floor(rand() * 50));
    const clean = await runModel(model, [long], [], { loss: true, device: 'cpu' });
    const same = await runWithEdit(model, [long], 'blocks.0.hook_resid_post', (a) => a, [], { loss: true, device: 'cpu' });
    expect(same.loss![0].shape).toEqual([20]);
    expect(relativeError(same.loss![0].data, clean.loss![0].data)).toBeLessThan(1e-5);
    const spliced = await runWithEdit(model, [long], 'blocks.0.hook_resid_post', saeSpliceEdit(sae, { device: 'cpu' }), [], { loss: true, device: 'cpu' });
    const expected: number[] = [];
    for (let o = 0; o < 21; o += 16) {
      const w = long.slice(o, o + 16);
      const act = referenceForward(model, w).hooks.get('blocks.0.hook_resid_post')!;
      const logits = referenceForward(model, [], { hook: 'blocks.0.hook_resid_post', activation: referenceSae(sae, act, w.length).saeOut }).logits;
      long.slice(o + 1, o + 17).forEach((t, p) => {
        const row = logits.subarray(p * 50, (p + 1) * 50);
        const max = Math.max(...row);
        expected.push(max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0)) - row[t]);
      });
    }
    expect(relativeError(spliced.loss![0].data, expected)).toBeLessThan(1e-4);
    expect(relativeError(spliced.loss![0].data, clean.loss![0].data)).toBeGreaterThan(1e-3);
  });

  it('rejects edits that change the shape and hooks it cannot splice at', async () => {
    await expect(runWithEdit(model, tokens, 'blocks.0.hook_resid_post', (a) => a.slice(1))).rejects.toMatchObject({ code: 'ENGINE_EDIT_SHAPE' });
    await expect(runWithEdit(model, tokens, 'ln_final.hook_normalized', (a) => a)).rejects.toMatchObject({ code: 'ENGINE_EDIT_HOOK' });
  });
});

describe('prepareEdit', () => {
  it('runs several edits on one clean prefix, each as runWithEdit would', async () => {
    const hook = 'blocks.1.hook_resid_post';
    const session = await prepareEdit(model, tokens, hook, { device: 'cpu' });
    expect(session.activations.map((t) => t.shape)).toEqual(tokens.map((t) => [t.length, 32]));
    const scaled = (f: number) => session.activations.map((t) => ({ data: t.data.map((v) => v * f), shape: t.shape }));
    for (const f of [0.5, 2]) {
      const viaSession = await session.run(scaled(f), [], { logits: true, device: 'cpu' });
      const direct = await runWithEdit(model, tokens, hook, (a) => a.map((t) => ({ data: t.data.map((v) => v * f), shape: t.shape })), [], { logits: true, device: 'cpu' });
      tokens.forEach((_, s) => expect(relativeError(viaSession.logits![s].data, direct.logits![s].data)).toBeLessThan(1e-6));
    }
  });

  it('scores given targets at every position, the last one included', async () => {
    const seq = [3, 7, 1, 9, 4];
    const targets = [[7, 1, 9, 4, 12]];
    const run = await runWithEdit(model, [seq], 'blocks.0.hook_resid_post', (a) => a, [], { loss: true, logits: true, device: 'cpu', targets });
    expect(run.loss![0].shape).toEqual([5]);
    const logits = referenceForward(model, seq).logits;
    const expected = targets[0].map((t, p) => {
      const row = logits.subarray(p * 50, (p + 1) * 50);
      const max = Math.max(...row);
      return max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0)) - row[t];
    });
    expect(relativeError(run.loss![0].data, expected)).toBeLessThan(1e-4);
    await expect(runWithEdit(model, [seq], 'blocks.0.hook_resid_post', (a) => a, [], { loss: true, targets: [[1, 2]] })).rejects.toMatchObject({ code: 'ENGINE_LOSS_TARGETS' });
  });
});
