import pkg from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import type { TransformerWeights } from '../formats/transformer';
import { validHookNames } from './hooks';
import { buildForwardGraph } from './modelGraph';
import { randomTransformer } from './randomWeights';
import { referenceForward } from './reference/modelReference';
import { runFromHook, runModel } from './runner';
import { randomTokens, relativeError, worstForwardError } from './testing';

const TOL = 1e-4;

const variants: { label: string; model: TransformerWeights }[] = [
  { label: 'LN gelu_new 3 layers', model: randomTransformer({ nLayers: 3, dModel: 32, nHeads: 4, activation: 'gelu_new', seed: 11 }) },
  { label: 'LNPre gelu 2 layers', model: randomTransformer({ nLayers: 2, dModel: 24, nHeads: 3, activation: 'gelu', normalization: 'LNPre', seed: 12 }) },
  { label: 'LN relu 2 layers', model: randomTransformer({ nLayers: 2, dModel: 16, nHeads: 2, activation: 'relu', lnEps: 1e-3, seed: 13 }) },
  { label: 'LN silu 2 layers', model: randomTransformer({ nLayers: 2, dModel: 16, nHeads: 2, activation: 'silu', seed: 14 }) },
];

describe('model forward graph vs float64 reference', () => {
  for (const { label, model } of variants) {
    it(`${label}: every hook and logits, padded batch`, async () => {
      const tokens = randomTokens(3, [7, 12, 4], model.config.dVocab);
      const hooks = validHookNames(model.config.nLayers);
      const { worst, where } = await worstForwardError(model, tokens, hooks);
      expect(worst, where).toBeLessThan(TOL);
    });
  }

  it('padded batches match unpadded single runs', async () => {
    const model = variants[0].model;
    const tokens = randomTokens(5, [9, 3, 16, 1], model.config.dVocab);
    const hooks = ['blocks.2.hook_resid_post', 'blocks.0.hook_attn_out'];
    const batched = await runModel(model, tokens, hooks, { logits: true, device: 'cpu' });
    for (let s = 0; s < tokens.length; s++) {
      const single = await runModel(model, [tokens[s]], hooks, { logits: true, device: 'cpu' });
      for (const h of hooks) expect(relativeError(batched.hooks[h][s].data, single.hooks[h][0].data)).toBeLessThan(1e-5);
      expect(relativeError(batched.logits![s].data, single.logits![0].data)).toBeLessThan(1e-5);
    }
  });

  it('batches smaller than the input give the same result', async () => {
    const model = variants[1].model;
    const tokens = randomTokens(6, [5, 8, 2, 7, 3], model.config.dVocab);
    const a = await runModel(model, tokens, ['blocks.1.hook_mlp_out'], { device: 'cpu', batchSize: 2 });
    const b = await runModel(model, tokens, ['blocks.1.hook_mlp_out'], { device: 'cpu', batchSize: 8 });
    tokens.forEach((_, s) => expect(relativeError(a.hooks['blocks.1.hook_mlp_out'][s].data, b.hooks['blocks.1.hook_mlp_out'][s].data)).toBeLessThan(1e-5));
  });

  it('splits sequences longer than nCtx into non-overlapping windows', async () => {
    const model = randomTransformer({ nLayers: 2, dModel: 16, nHeads: 2, nCtx: 16, seed: 21 });
    const [long] = randomTokens(8, [40], model.config.dVocab);
    const run = await runModel(model, [long], ['blocks.1.hook_resid_post'], { logits: true, device: 'cpu' });
    expect(run.hooks['blocks.1.hook_resid_post'][0].shape).toEqual([40, 16]);
    for (const [start, end] of [[0, 16], [16, 32], [32, 40]]) {
      const ref = referenceForward(model, long.slice(start, end));
      const got = run.logits![0].data.subarray(start * 50, end * 50);
      expect(relativeError(got, ref.logits)).toBeLessThan(TOL);
    }
  });
});

/** Float64 -ln softmax(logits[p])[seq[p+1]] for every p with a next token. */
function referenceLoss(logits: Float64Array, next: number[], vocab: number): number[] {
  return next.map((t, p) => {
    const row = logits.subarray(p * vocab, (p + 1) * vocab);
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
    return lse - row[t];
  });
}

describe('next-token loss in the graph', () => {
  it('matches the float64 log-softmax at the next token, padded batch, without returning logits', async () => {
    const model = variants[0].model;
    const tokens = randomTokens(17, [9, 4, 13], model.config.dVocab);
    const run = await runModel(model, tokens, [], { loss: true, device: 'cpu' });
    expect(run.logits).toBeNull();
    tokens.forEach((seq, s) => {
      expect(run.loss![s].shape).toEqual([seq.length - 1]);
      const ref = referenceLoss(referenceForward(model, seq).logits, seq.slice(1), 50);
      expect(relativeError(run.loss![s].data, ref)).toBeLessThan(1e-4);
      expect(Math.min(...ref)).toBeGreaterThan(0);
    });
  });

  it('predicts across nCtx window edges from each window\'s own context', async () => {
    const model = randomTransformer({ nLayers: 2, dModel: 16, nHeads: 2, nCtx: 8, seed: 22 });
    const [seq] = randomTokens(19, [20], 50);
    const run = await runModel(model, [seq], [], { loss: true, device: 'cpu' });
    expect(run.loss![0].shape).toEqual([19]);
    const expected: number[] = [];
    for (let o = 0; o < 20; o += 8) {
      const window = seq.slice(o, o + 8);
      const next = seq.slice(o + 1, o + 9);
      expected.push(...referenceLoss(referenceForward(model, window).logits, next, 50));
    }
    expect(relativeError(run.loss![0].data, expected)).toBeLessThan(1e-4);
  });
});

describe('segment graphs', () => {
  const model = variants[0].model;
  const tokens = randomTokens(9, [10, 6], model.config.dVocab);

  for (const start of ['blocks.1.hook_resid_pre', 'blocks.1.hook_resid_mid', 'blocks.0.hook_resid_post', 'blocks.2.hook_resid_post']) {
    it(`from ${start} with the unedited activation reproduces the full forward`, async () => {
      const later = ['blocks.2.hook_mlp_out', 'ln_final.hook_normalized'];
      const full = await runModel(model, tokens, [start, ...later], { logits: true, device: 'cpu' });
      const seg = await runFromHook(model, start, full.hooks[start], start === 'blocks.2.hook_resid_post' ? [] : later, { logits: true, device: 'cpu' });
      tokens.forEach((_, s) => {
        expect(relativeError(seg.logits![s].data, full.logits![s].data)).toBeLessThan(1e-5);
        if (start !== 'blocks.2.hook_resid_post') for (const h of later) expect(relativeError(seg.hooks[h][s].data, full.hooks[h][s].data)).toBeLessThan(1e-5);
      });
    });
  }

  it('an edited activation changes the output as the reference says', async () => {
    const start = 'blocks.1.hook_resid_pre';
    const full = await runModel(model, tokens, [start], { logits: true, device: 'cpu' });
    const edited = full.hooks[start].map((t) => ({ data: t.data.map((v, i) => (i % model.config.dModel === 3 ? v + 2 : v)), shape: t.shape }));
    const seg = await runFromHook(model, start, edited, [], { logits: true, device: 'cpu' });
    edited.forEach((t, s) => {
      const ref = referenceForward(model, [], { hook: start, activation: Float64Array.from(t.data) });
      expect(relativeError(seg.logits![s].data, ref.logits)).toBeLessThan(TOL);
      expect(relativeError(seg.logits![s].data, full.logits![s].data)).toBeGreaterThan(1e-2);
    });
  });

  it('rejects hooks before the start and non-residual starts', async () => {
    const acts = [{ data: new Float32Array(3 * 32), shape: [3, 32] }];
    await expect(runFromHook(model, 'blocks.1.hook_resid_mid', acts, ['blocks.1.hook_attn_out'])).rejects.toMatchObject({ code: 'ENGINE_HOOK_BEFORE_START' });
    await expect(runFromHook(model, 'blocks.1.hook_attn_out', acts, [])).rejects.toMatchObject({ code: 'ENGINE_START_HOOK' });
    await expect(runFromHook(model, 'blocks.1.hook_resid_pre', [{ data: new Float32Array(3 * 8), shape: [3, 8] }], [], { logits: true })).rejects.toMatchObject({ code: 'ENGINE_ACTIVATION_SHAPE' });
    await expect(runFromHook(model, 'blocks.1.hook_resid_pre', acts, [], { loss: true, device: 'cpu' })).rejects.toMatchObject({ code: 'ENGINE_LOSS_TARGETS' });
    await expect(runFromHook(model, 'blocks.1.hook_resid_pre', acts, [], { loss: true, targets: [[1, 2]] })).rejects.toMatchObject({ code: 'ENGINE_LOSS_TARGETS' });
    await expect(runFromHook(model, 'blocks.1.hook_resid_pre', acts, [], { loss: true, targets: [[1, 2, 77]] })).rejects.toThrow(/Target id 77/);
  });
});

describe('graph pruning', () => {
  const model = variants[0].model; // 3 layers
  const decode = (bytes: Uint8Array) => pkg.onnx.ModelProto.decode(bytes).graph!;
  const count = (bytes: Uint8Array, op: string) => decode(bytes).node!.filter((n) => n.opType === op || (op === 'MatMul' && n.opType === 'Gemm')).length;

  it('computes only the layers the outputs need', () => {
    // Per block: 4 MatMul/Gemm in attention (qkv, scores, mix, W_O) and 2 in the MLP.
    expect(count(buildForwardGraph(model, { hooks: ['hook_embed'], logits: false }), 'MatMul')).toBe(0);
    expect(count(buildForwardGraph(model, { hooks: ['blocks.0.hook_resid_post'], logits: false }), 'MatMul')).toBe(6);
    expect(count(buildForwardGraph(model, { hooks: ['blocks.1.hook_attn_out'], logits: false }), 'MatMul')).toBe(10);
    expect(count(buildForwardGraph(model, { hooks: [], logits: true }), 'MatMul')).toBe(19);
    expect(count(buildForwardGraph(model, { start: 'blocks.1.hook_resid_mid', hooks: ['blocks.2.hook_resid_post'], logits: false }), 'MatMul')).toBe(8);
    const g = decode(buildForwardGraph(model, { hooks: ['blocks.0.hook_resid_pre'], logits: false }));
    expect(g.initializer!.some((t) => t.name!.startsWith('W_U'))).toBe(false);
    expect(g.input!.map((i) => i.name)).toEqual(['tokens']);
  });

  it('uses opset 17 and IR version 8', () => {
    const m = pkg.onnx.ModelProto.decode(buildForwardGraph(model, { hooks: ['hook_embed'], logits: false }));
    expect(Number(m.irVersion)).toBe(8);
    expect(Number(m.opsetImport![0].version)).toBe(17);
  });
});

describe('runModel errors', () => {
  const model = variants[2].model;
  it('names an unknown hook and lists the valid ones', async () => {
    await expect(runModel(model, [[1, 2]], ['blocks.0.hook_resid_prex'])).rejects.toMatchObject({ code: 'ENGINE_UNKNOWN_HOOK', hint: expect.stringContaining('hook_resid_pre') });
    await expect(runModel(model, [[1, 2]], ['blocks.5.hook_resid_pre'])).rejects.toThrow(/layer 5.*2 layers/);
  });
  it('names an out-of-vocab token id and the vocab size', async () => {
    await expect(runModel(model, [[1, 2], [3, 50]], ['hook_embed'])).rejects.toThrow(/Token id 50 \(sequence 1, position 1\).*d_vocab 50/);
  });
  it('rejects an unknown architecture', async () => {
    const odd = { ...model, config: { ...model.config, activation: 'swiglu' as never } };
    await expect(runModel(odd, [[1]], ['hook_embed'])).rejects.toMatchObject({ code: 'ENGINE_UNKNOWN_ARCHITECTURE' });
  });
});
