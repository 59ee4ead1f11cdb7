import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kvHeadFor } from '../../engine/groupedQuery';
import { randomTransformer } from '../../engine/randomWeights';
import { describeInspection } from '../../cli/inspectCommand';
import { describeModelDirectory } from '../../library/describeModel';
import { inspectDirectory } from '../inspect';
import { errorOf } from '../../testing/workbenchErrors';
import { decodeBF16, encodeBF16 } from '../halfFloat';
import { writeSafetensors, type TensorToWrite } from '../safetensors';
import { writeLlamaDirectory } from '../testing/llamaFixture';
import { flattenWeights } from '../testing/transformerFixture';
import { detectModelLoader, loadModel, readModelConfig } from './registry';

const root = mkdtempSync(join(tmpdir(), 'llama-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A [rows, cols] nn.Linear weight whose entry (r, c) is base + 100 r + c, so any transpose slip shows. */
function marked(base: number, rows: number, cols: number): TensorToWrite {
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[r * cols + c] = base + 100 * r + c;
  return { dtype: 'F32', shape: [rows, cols], data };
}

const tinyLlama = (over: Record<string, unknown> = {}) => randomTransformer({ nLayers: 2, dModel: 16, nHeads: 4, nKvHeads: 2, dMlp: 24, dVocab: 20, nCtx: 32, normalization: 'RMS', activation: 'silu', positional: 'rotary', rotary: { dims: 4, base: 10000 }, gatedMlp: true, biases: false, lnEps: 1e-5, seed: 61, ...over });

describe('Llama loader', () => {
  it('transposes every nn.Linear [out, in] to [in, out] and keeps GQA heads head-major (hand-built)', () => {
    // d_model 4, 2 query heads and 1 KV head of size 2, d_mlp 3, vocab 5, one layer.
    const dir = join(root, 'hand');
    mkdirSync(dir, { recursive: true });
    const ones = (n: number): TensorToWrite => ({ dtype: 'F32', shape: [n], data: new Float32Array(n).fill(1) });
    writeSafetensors(join(dir, 'model.safetensors'), {
      'model.embed_tokens.weight': marked(0, 5, 4),
      'model.layers.0.input_layernorm.weight': ones(4),
      'model.layers.0.self_attn.q_proj.weight': marked(10000, 4, 4),
      'model.layers.0.self_attn.k_proj.weight': marked(20000, 2, 4),
      'model.layers.0.self_attn.v_proj.weight': marked(30000, 2, 4),
      'model.layers.0.self_attn.o_proj.weight': marked(40000, 4, 4),
      'model.layers.0.post_attention_layernorm.weight': ones(4),
      'model.layers.0.mlp.gate_proj.weight': marked(50000, 3, 4),
      'model.layers.0.mlp.up_proj.weight': marked(60000, 3, 4),
      'model.layers.0.mlp.down_proj.weight': marked(70000, 4, 3),
      'model.norm.weight': ones(4),
      'lm_head.weight': marked(80000, 5, 4),
    });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'llama', hidden_size: 4, intermediate_size: 3, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, vocab_size: 5, max_position_embeddings: 8, rms_norm_eps: 1e-5, rope_theta: 500000, hidden_act: 'silu' }));
    const m = loadModel(dir);
    const b = m.blocks[0];
    const at = (t: { data: Float32Array; shape: number[] }, i: number, j: number) => t.data[i * t.shape[1] + j];
    expect(b.W_Q.shape).toEqual([4, 4]);
    expect(b.W_K.shape).toEqual([4, 2]);
    expect(b.W_V.shape).toEqual([4, 2]);
    expect(b.W_gate!.shape).toEqual([4, 3]);
    expect(b.W_out.shape).toEqual([3, 4]);
    expect(m.W_U.shape).toEqual([4, 5]);
    // Canonical (input i, output o) = Linear row o, column i.
    for (let i = 0; i < 4; i++) {
      for (let o = 0; o < 4; o++) expect(at(b.W_Q, i, o)).toBe(10000 + 100 * o + i);
      for (let o = 0; o < 2; o++) expect([at(b.W_K, i, o), at(b.W_V, i, o)]).toEqual([20000 + 100 * o + i, 30000 + 100 * o + i]);
      for (let o = 0; o < 3; o++) expect([at(b.W_gate!, i, o), at(b.W_in, i, o)]).toEqual([50000 + 100 * o + i, 60000 + 100 * o + i]);
      for (let v = 0; v < 5; v++) expect(at(m.W_U, i, v)).toBe(80000 + 100 * v + i);
    }
    for (let j = 0; j < 3; j++) for (let o = 0; o < 4; o++) expect(at(b.W_out, j, o)).toBe(70000 + 100 * o + j);
    // Query head 1 is q_proj rows 2..3 (W_Q columns 2..3); both query heads read the single KV head.
    expect([0, 1, 2, 3].map((i) => at(b.W_Q, i, 2))).toEqual([10200, 10201, 10202, 10203]);
    expect([kvHeadFor(0, 2, 1), kvHeadFor(1, 2, 1)]).toEqual([0, 0]);
    expect(b.b_Q.data.every((v) => v === 0) && b.b_K.shape[0] === 2 && m.lnFinal.b === null).toBe(true);
    expect(m.config).toMatchObject({ sourceFormat: 'llama', nHeads: 2, nKvHeads: 1, dHead: 2, normalization: 'RMS', gatedMlp: true, activation: 'silu', positional: 'rotary', rotary: { dims: 2, base: 500000 }, lnEps: 1e-5, attnScale: Math.SQRT2 });
  });

  for (const tied of [false, true]) {
    it(`round-trips a written LlamaForCausalLM folder (${tied ? 'tied' : 'untied'} embeddings)`, () => {
      const w = tinyLlama({ seed: tied ? 62 : 63 });
      if (tied) for (let v = 0; v < 20; v++) for (let i = 0; i < 16; i++) w.W_U.data[i * 20 + v] = w.W_E.data[v * 16 + i];
      const dir = join(root, tied ? 'tied' : 'untied');
      writeLlamaDirectory(dir, w, tied ? { tie_word_embeddings: true } : {});
      expect(detectModelLoader(dir)!.format).toBe('hf-llama');
      const m = loadModel(dir);
      expect(flattenWeights(m)).toEqual(flattenWeights(w));
      expect(m.config).toMatchObject({ nKvHeads: 2, nCtx: 32, bosTokenId: 1, eosTokenId: 2, prependBos: true });
      const d = readModelConfig(dir);
      expect(d).toMatchObject({ format: 'hf-llama', architecture: 'LlamaForCausalLM', weightDtypes: ['F32'], weightFiles: ['model.safetensors'] });
      // Per layer: q, o [16x16], k, v [8x16], gate, up, down [24x16], two norms; plus embed, norm, lm_head.
      expect(d.paramCount).toBe(2 * (2 * 256 + 2 * 128 + 3 * 384 + 32) + 320 + 16 + (tied ? 0 : 320));
      // The Library lists it as runnable, from the loader's description.
      expect(describeModelDirectory(dir, ['config.json', 'model.safetensors'])).toEqual({
        model: { architecture: 'LlamaForCausalLM', configName: null, nLayers: 2, dModel: 16, nHeads: 4, dVocab: 20, nCtx: 32, params: d.paramCount, weightFormat: 'safetensors' },
        problems: [],
      });
      const x = inspectDirectory(dir);
      expect(x).toMatchObject({ kind: 'model', format: 'hf-llama', heads: 4, kvHeads: 2, dHead: 4, normalization: 'RMS', activation: 'silu', gatedMlp: true });
      expect(describeInspection(x)).toContain('Blocks      RMS, silu (gated MLP), 2 key/value heads (grouped-query)');
    });
  }

  it('reads BF16 checkpoints: every weight is the bf16 rounding of the original', () => {
    const w = tinyLlama({ seed: 64 });
    const dir = join(root, 'bf16');
    writeLlamaDirectory(dir, w, {}, 'BF16');
    const m = loadModel(dir);
    const rounded = (x: Float32Array) => Array.from(decodeBF16(encodeBF16(x)));
    expect(readModelConfig(dir).weightDtypes).toEqual(['BF16']);
    expect(Array.from(m.blocks[1].W_K.data)).toEqual(rounded(w.blocks[1].W_K.data));
    expect(Array.from(m.blocks[0].W_gate!.data)).toEqual(rounded(w.blocks[0].W_gate!.data));
    expect(Array.from(m.W_U.data)).toEqual(rounded(w.W_U.data));
  });

  it('reads Mistral configs, capping the context at the sliding window', () => {
    const dir = join(root, 'mistral');
    writeLlamaDirectory(dir, tinyLlama(), { model_type: 'mistral', architectures: ['MistralForCausalLM'], sliding_window: 16, eos_token_id: [2, 3] });
    expect(readModelConfig(dir)).toMatchObject({ architecture: 'MistralForCausalLM', config: { sourceFormat: 'mistral', nCtx: 16, eosTokenId: 2 } });
  });

  it('rejects what it cannot represent, naming the field', () => {
    const w = tinyLlama();
    const write = (name: string, over: Record<string, unknown>) => {
      writeLlamaDirectory(join(root, name), w, over);
      return errorOf(() => loadModel(join(root, name)));
    };
    expect(write('scaled', { rope_scaling: { rope_type: 'llama3', factor: 8 } })).toMatchObject({ code: 'MODEL_UNSUPPORTED', message: expect.stringMatching(/rope_scaling/) });
    expect(write('kv3', { num_key_value_heads: 3 }).message).toMatch(/field "num_key_value_heads" is 3; expected a divisor of num_attention_heads \(4\)/);
    expect(write('mlpbias', { mlp_bias: true }).code).toBe('MODEL_UNSUPPORTED');
    expect(write('gelu', { hidden_act: 'gelu_fast' }).message).toMatch(/field "hidden_act" is "gelu_fast"/);
    // As in HF, a config without tie_word_embeddings is untied and needs lm_head.weight.
    writeLlamaDirectory(join(root, 'nohead'), w, { tie_word_embeddings: true });
    writeFileSync(join(root, 'nohead', 'config.json'), JSON.stringify({ model_type: 'llama', hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 20, max_position_embeddings: 32 }));
    expect(errorOf(() => loadModel(join(root, 'nohead')))).toMatchObject({ code: 'MODEL_WEIGHTS_INVALID', message: expect.stringMatching(/no tensor "lm_head.weight"/) });
  });
});
