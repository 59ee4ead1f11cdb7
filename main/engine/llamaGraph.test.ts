import { describe, expect, it } from 'vitest';
import type { TransformerWeights } from '../formats/transformer';
import { modelHookNames } from './hooks';
import { randomTransformer, type RandomModelOptions } from './randomWeights';
import { referenceForward } from './reference/modelReference';
import { runFromHook, runModel } from './runner';
import { randomTokens, relativeError, worstForwardError } from './testing';

const TOL = 1e-4;

/** Llama-shaped: RMSNorm, rotary on the whole head, SwiGLU, no biases. */
function llama(opts: RandomModelOptions & { tied?: boolean }): TransformerWeights {
  const dModel = opts.dModel ?? 32;
  const nHeads = opts.nHeads ?? 4;
  const w = randomTransformer({ normalization: 'RMS', lnEps: 1e-5, activation: 'silu', positional: 'rotary', rotary: { dims: dModel / nHeads, base: 10000 }, gatedMlp: true, biases: false, dMlp: 48, name: 'tiny-llama', ...opts });
  if (opts.tied) {
    const { dVocab } = w.config;
    for (let v = 0; v < dVocab; v++) for (let i = 0; i < dModel; i++) w.W_U.data[i * dVocab + v] = w.W_E.data[v * dModel + i];
  }
  return w;
}

const gqa = llama({ nLayers: 3, dModel: 32, nHeads: 4, nKvHeads: 2, seed: 51 });
const variants: { label: string; model: TransformerWeights }[] = [
  { label: 'GQA 4 query / 2 KV heads, untied', model: gqa },
  { label: 'GQA 4 query / 1 KV head, tied embeddings, base 500000', model: llama({ nLayers: 2, dModel: 32, nHeads: 4, nKvHeads: 1, rotary: { dims: 8, base: 500000 }, tied: true, seed: 52 }) },
  { label: 'MHA (n_kv_heads = n_heads = 2), tied, eps 1e-6', model: llama({ nLayers: 2, dModel: 24, nHeads: 2, nKvHeads: 2, lnEps: 1e-6, tied: true, seed: 53 }) },
  { label: 'GQA with biases (engine path only: Llama has none)', model: llama({ nLayers: 2, dModel: 24, nHeads: 6, nKvHeads: 3, biases: true, seed: 54 }) },
];

describe('Llama-style forward (RMSNorm, GQA, SwiGLU) vs float64 reference', () => {
  for (const { label, model } of variants) {
    it(`${label}: every hook and logits, padded batch`, async () => {
      const tokens = randomTokens(6, [7, 12, 4], model.config.dVocab);
      const hooks = modelHookNames(model.config);
      expect(hooks).toContain('blocks.0.hook_resid_mid');
      expect(hooks).not.toContain('hook_pos_embed');
      const { worst, where } = await worstForwardError(model, tokens, hooks);
      expect(worst, where).toBeLessThan(TOL);
      console.log(`${label}: max relative error over hooks and logits ${worst.toExponential(2)}`);
    });
  }

  it('each Llama part is visible at this tolerance (LayerNorm, full KV, plain MLP differ by far more)', () => {
    const seq = randomTokens(7, [10], gqa.config.dVocab)[0];
    const base = referenceForward(gqa, seq).logits;
    const c = gqa.config;
    // Query head 1 reading KV head 1 instead of 0 (heads not grouped consecutively).
    const interleaved: TransformerWeights = { ...gqa, config: { ...c, nKvHeads: 4 }, blocks: gqa.blocks.map((b) => ({ ...b, W_K: repeatInterleaved(b.W_K, 2, c.dHead), W_V: repeatInterleaved(b.W_V, 2, c.dHead), b_K: repeatInterleaved(b.b_K, 2, c.dHead), b_V: repeatInterleaved(b.b_V, 2, c.dHead) })) };
    const alternatives = {
      layerNorm: { ...gqa, config: { ...c, normalization: 'LN' as const } },
      ungated: { ...gqa, config: { ...c, gatedMlp: false } },
      kvTiled: interleaved,
    };
    for (const [name, w] of Object.entries(alternatives)) {
      const err = relativeError(referenceForward(w, seq).logits, base);
      console.log(`Llama logits vs ${name}: relative difference ${err.toExponential(2)}`);
      expect(err, name).toBeGreaterThan(100 * TOL);
    }
  });

  it('from a resid_mid segment start reproduces the full forward', async () => {
    const tokens = randomTokens(8, [9, 5], gqa.config.dVocab);
    const start = 'blocks.1.hook_resid_mid';
    const full = await runModel(gqa, tokens, [start, 'blocks.2.hook_mlp_out'], { logits: true, device: 'cpu' });
    const seg = await runFromHook(gqa, start, full.hooks[start], ['blocks.2.hook_mlp_out'], { logits: true, device: 'cpu' });
    tokens.forEach((_, s) => {
      expect(relativeError(seg.logits![s].data, full.logits![s].data)).toBeLessThan(1e-5);
      expect(relativeError(seg.hooks['blocks.2.hook_mlp_out'][s].data, full.hooks['blocks.2.hook_mlp_out'][s].data)).toBeLessThan(1e-5);
    });
  });

  it('rejects a KV head count that does not divide the query heads, and a gated model without W_gate', async () => {
    await expect(runModel({ ...gqa, config: { ...gqa.config, nKvHeads: 3 } }, [[1, 2]], [], { logits: true })).rejects.toMatchObject({ code: 'ENGINE_UNKNOWN_ARCHITECTURE', message: expect.stringMatching(/nKvHeads 3 does not divide nHeads 4/) });
    const noGate = { ...gqa, blocks: gqa.blocks.map((b) => ({ ...b, W_gate: undefined })) };
    await expect(runModel(noGate, [[1, 2]], [], { logits: true })).rejects.toMatchObject({ code: 'ENGINE_WEIGHTS', message: expect.stringMatching(/block 0 has no W_gate/) });
  });
});

/**
 * [rows, kv*dHead] -> [rows, kv*group*dHead] with KV head j copied to heads j, j+kv, ...: the
 * wrong (tiled) grouping, so the test shows the consecutive one is what the forward uses.
 */
function repeatInterleaved(t: { data: Float32Array; shape: number[] }, group: number, dHead: number): { data: Float32Array; shape: number[] } {
  const rows = t.shape.length === 1 ? 1 : t.shape[0];
  const width = t.shape[t.shape.length - 1];
  const kv = width / dHead;
  const outW = width * group;
  const out = new Float32Array(rows * outW);
  for (let r = 0; r < rows; r++)
    for (let h = 0; h < kv * group; h++) out.set(t.data.subarray(r * width + (h % kv) * dHead, r * width + (h % kv + 1) * dHead), r * outW + h * dHead);
  return { data: out, shape: t.shape.length === 1 ? [outW] : [rows, outW] };
}
