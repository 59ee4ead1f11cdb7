import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkbenchError } from '../../errors';
import { writeSafetensors, type TensorToWrite } from '../safetensors';
import type { Tensor32 } from '../tensor';
import type { TransformerWeights } from '../transformer';
import { flattenWeights, randomTransformer, tinyConfig } from '../testing/transformerFixture';
import { splitNeoxQkv } from './gptNeox';
import { detectModelLoader, loadModel, readModelConfig } from './registry';
import { transpose2d } from './tensorOps';

const root = mkdtempSync(join(tmpdir(), 'neox-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function errorOf(fn: () => unknown): WorkbenchError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WorkbenchError);
    return err as WorkbenchError;
  }
  throw new Error('expected a WorkbenchError');
}

/** Canonical weights in GPTNeoXForCausalLM layout (Linear [out, in], per-head fused QKV rows). */
function writeNeox(dir: string, w: TransformerWeights, configOver: Record<string, unknown> = {}): void {
  const c = w.config;
  const d = c.dModel;
  const t: Record<string, TensorToWrite> = {};
  const put = (name: string, x: Tensor32) => (t[name] = { dtype: 'F32', shape: x.shape, data: x.data });
  put('gpt_neox.embed_in.weight', w.W_E);
  w.blocks.forEach((b, i) => {
    const l = `gpt_neox.layers.${i}.`;
    const qkv = new Float32Array(3 * d * d);
    const bias = new Float32Array(3 * d);
    [b.W_Q, b.W_K, b.W_V].forEach((W, s) => {
      for (let h = 0; h < c.nHeads; h++)
        for (let j = 0; j < c.dHead; j++) {
          const row = h * 3 * c.dHead + s * c.dHead + j;
          for (let m = 0; m < d; m++) qkv[row * d + m] = W.data[m * d + h * c.dHead + j];
          bias[row] = [b.b_Q, b.b_K, b.b_V][s].data[h * c.dHead + j];
        }
    });
    put(`${l}input_layernorm.weight`, b.ln1.w!);
    put(`${l}input_layernorm.bias`, b.ln1.b!);
    put(`${l}post_attention_layernorm.weight`, b.ln2.w!);
    put(`${l}post_attention_layernorm.bias`, b.ln2.b!);
    put(`${l}attention.query_key_value.weight`, { data: qkv, shape: [3 * d, d] });
    put(`${l}attention.query_key_value.bias`, { data: bias, shape: [3 * d] });
    put(`${l}attention.dense.weight`, transpose2d(b.W_O));
    put(`${l}attention.dense.bias`, b.b_O);
    put(`${l}attention.rotary_emb.inv_freq`, { data: new Float32Array(1), shape: [1] });
    put(`${l}mlp.dense_h_to_4h.weight`, transpose2d(b.W_in));
    put(`${l}mlp.dense_h_to_4h.bias`, b.b_in);
    put(`${l}mlp.dense_4h_to_h.weight`, transpose2d(b.W_out));
    put(`${l}mlp.dense_4h_to_h.bias`, b.b_out);
  });
  put('gpt_neox.final_layer_norm.weight', w.lnFinal.w!);
  put('gpt_neox.final_layer_norm.bias', w.lnFinal.b!);
  put('embed_out.weight', transpose2d(w.W_U));
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, 'model.safetensors'), t);
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      architectures: ['GPTNeoXForCausalLM'],
      model_type: 'gpt_neox',
      hidden_size: d,
      num_attention_heads: c.nHeads,
      num_hidden_layers: c.nLayers,
      intermediate_size: c.dMlp,
      vocab_size: c.dVocab,
      max_position_embeddings: c.nCtx,
      rotary_pct: 0.5,
      rotary_emb_base: 10000,
      layer_norm_eps: 1e-5,
      hidden_act: 'gelu',
      use_parallel_residual: true,
      tie_word_embeddings: false,
      bos_token_id: 0,
      eos_token_id: 0,
      ...configOver,
    }),
  );
}

describe('GPT-NeoX loader', () => {
  it('splits the per-head fused query_key_value by the documented row map (hand-built)', () => {
    const H = 2;
    const dh = 2;
    const d = 4;
    const weight = new Float32Array(3 * d * d);
    for (let r = 0; r < 3 * d; r++) for (let m = 0; m < d; m++) weight[r * d + m] = 100 * r + m;
    const bias = Float32Array.from({ length: 3 * d }, (_, r) => r);
    const { W, b } = splitNeoxQkv({ data: weight, shape: [3 * d, d] }, { data: bias, shape: [3 * d] }, H, dh);
    for (let s = 0; s < 3; s++)
      for (let h = 0; h < H; h++)
        for (let j = 0; j < dh; j++) {
          const row = h * 3 * dh + s * dh + j;
          expect(b[s].data[h * dh + j]).toBe(row);
          for (let m = 0; m < d; m++) expect(W[s].data[m * H * dh + h * dh + j]).toBe(100 * row + m);
        }
    // Head 1's query is rows 6 and 7, so W_Q column 2 (head 1, j 0) reads row 6.
    expect(Array.from({ length: d }, (_, m) => W[0].data[m * 4 + 2])).toEqual([600, 601, 602, 603]);
  });

  it('loads a Pythia-style folder into canonical weights with rotary and parallel settings', () => {
    const w = randomTransformer(tinyConfig({ sourceFormat: 'gpt-neox', activation: 'gelu', positional: 'rotary' }), 21, false);
    w.b_U = { data: new Float32Array(w.config.dVocab), shape: [w.config.dVocab] };
    const dir = join(root, 'pythia');
    writeNeox(dir, w);
    expect(detectModelLoader(dir)!.format).toBe('hf-gpt-neox');
    const m = loadModel(dir);
    const want = flattenWeights(w);
    want.W_pos = { shape: [6, 8], values: new Array(48).fill(0) };
    expect(flattenWeights(m)).toEqual(want);
    expect(m.config).toMatchObject({ sourceFormat: 'gpt-neox', positional: 'rotary', rotary: { dims: 2, base: 10000 }, parallelAttnMlp: true, activation: 'gelu', attnScale: 2, bosTokenId: 0 });
    expect(readModelConfig(dir)).toMatchObject({ format: 'hf-gpt-neox', architecture: 'GPTNeoXForCausalLM', weightDtypes: ['F32'] });
  });

  it('rejects settings it cannot represent', () => {
    const w = randomTransformer(tinyConfig(), 22, false);
    writeNeox(join(root, 'fast'), w, { hidden_act: 'gelu_fast' });
    expect(errorOf(() => loadModel(join(root, 'fast'))).message).toMatch(/field "hidden_act" is "gelu_fast"/);
    writeNeox(join(root, 'pct'), w, { rotary_pct: 0.3 });
    expect(errorOf(() => loadModel(join(root, 'pct'))).message).toMatch(/field "rotary_pct" is 0\.3/);
    writeNeox(join(root, 'scaled'), w, { rope_scaling: { type: 'linear', factor: 2 } });
    expect(errorOf(() => loadModel(join(root, 'scaled'))).code).toBe('MODEL_UNSUPPORTED');
  });
});
