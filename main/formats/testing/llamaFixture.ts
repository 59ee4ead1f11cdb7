import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { transpose2d } from '../models/tensorOps';
import { writeSafetensors, type SafetensorsDtype, type TensorToWrite } from '../safetensors';
import type { Tensor32 } from '../tensor';
import type { TransformerWeights } from '../transformer';

/**
 * Canonical Llama-shaped weights (RMS, gated MLP, zero biases) in LlamaForCausalLM layout: Linear
 * weights [out, in], k_proj/v_proj with nKvHeads heads; no lm_head when `tie_word_embeddings`.
 * `dtype` BF16 stores them as released Llama checkpoints do (rounded to nearest even).
 */
export function writeLlamaDirectory(dir: string, w: TransformerWeights, configOver: Record<string, unknown> = {}, dtype: Extract<SafetensorsDtype, 'F32' | 'BF16'> = 'F32'): void {
  const c = w.config;
  const tied = configOver.tie_word_embeddings === true;
  const t: Record<string, TensorToWrite> = {};
  const put = (name: string, x: Tensor32) => (t[name] = { dtype, shape: x.shape, data: x.data });
  const linear = (name: string, x: Tensor32) => put(`${name}.weight`, transpose2d(x));
  put('model.embed_tokens.weight', w.W_E);
  w.blocks.forEach((b, i) => {
    const l = `model.layers.${i}.`;
    put(`${l}input_layernorm.weight`, b.ln1.w!);
    linear(`${l}self_attn.q_proj`, b.W_Q);
    linear(`${l}self_attn.k_proj`, b.W_K);
    linear(`${l}self_attn.v_proj`, b.W_V);
    linear(`${l}self_attn.o_proj`, b.W_O);
    put(`${l}post_attention_layernorm.weight`, b.ln2.w!);
    linear(`${l}mlp.gate_proj`, b.W_gate!);
    linear(`${l}mlp.up_proj`, b.W_in);
    linear(`${l}mlp.down_proj`, b.W_out);
  });
  put('model.norm.weight', w.lnFinal.w!);
  if (!tied) linear('lm_head', w.W_U);
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, 'model.safetensors'), t);
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      hidden_size: c.dModel,
      intermediate_size: c.dMlp,
      num_hidden_layers: c.nLayers,
      num_attention_heads: c.nHeads,
      num_key_value_heads: c.nKvHeads ?? c.nHeads,
      hidden_act: 'silu',
      max_position_embeddings: c.nCtx,
      rms_norm_eps: c.lnEps,
      rope_theta: c.rotary?.base ?? 10000,
      rope_scaling: null,
      attention_bias: false,
      mlp_bias: false,
      tie_word_embeddings: false,
      vocab_size: c.dVocab,
      bos_token_id: 1,
      eos_token_id: 2,
      torch_dtype: 'float32',
      ...configOver,
    }),
  );
}
