import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { transpose2d } from '../models/tensorOps';
import { writeSafetensors, type TensorToWrite } from '../safetensors';
import type { Tensor32 } from '../tensor';
import type { TransformerWeights } from '../transformer';

/** Canonical weights in GPTNeoXForCausalLM layout (Linear [out, in], per-head fused QKV rows). */
export function writeNeoxDirectory(dir: string, w: TransformerWeights, configOver: Record<string, unknown> = {}): void {
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

