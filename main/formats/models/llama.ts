/**
 * Hugging Face Llama and Mistral (LlamaForCausalLM / MistralForCausalLM): config.json model_type
 * "llama" or "mistral" + safetensors with the `model.` prefix. Linear weights are [out, in] and are
 * transposed to [in, out]; q_proj rows are already head-major (row h*dHead + j), and k_proj/v_proj
 * hold num_key_value_heads heads (grouped-query attention). RMSNorm, rotary over the whole head
 * (rotate_half, base rope_theta) and the SwiGLU MLP (gate_proj activated, times up_proj) are
 * recorded in the config for the engine. Llama has no biases, so they are zeros here.
 */
import { WorkbenchError } from '../../errors';
import { tensor32, type Tensor32 } from '../tensor';
import type { TransformerBlockWeights, TransformerConfig, TransformerWeights } from '../transformer';
import { ConfigFields, configPath, modelNameFor, readJsonObject, tryReadJsonObject } from './configFields';
import type { ModelDescription, ModelLoader } from './modelLoader';
import { transpose2d } from './tensorOps';
import { openWeightSource } from './weightSource';

const MODEL_TYPES = ['llama', 'mistral'];

function unsupported(file: string, what: string, hint: string): never {
  throw new WorkbenchError('MODEL_UNSUPPORTED', `${file}: ${what} is not supported.`, hint);
}

export function llamaConfig(dir: string): TransformerConfig {
  const file = configPath(dir);
  const f = new ConfigFields(file, readJsonObject(file));
  const dModel = f.positiveInt('hidden_size');
  const nHeads = f.positiveInt('num_attention_heads');
  if (f.cfg.head_dim == null && dModel % nHeads !== 0) f.fail('num_attention_heads', nHeads, `a divisor of hidden_size (${dModel})`);
  const dHead = f.optionalPositiveInt(dModel / nHeads, 'head_dim');
  if (dHead % 2 !== 0) f.fail('head_dim', dHead, 'an even head size (rotary pairs dimension i with i + d_head/2)');
  const nKvHeads = f.optionalPositiveInt(nHeads, 'num_key_value_heads');
  if (nHeads % nKvHeads !== 0) f.fail('num_key_value_heads', nKvHeads, `a divisor of num_attention_heads (${nHeads})`);
  const rs = f.cfg.rope_scaling as { rope_type?: unknown; type?: unknown } | null | undefined;
  if (rs != null && !(typeof rs === 'object' && (rs.rope_type ?? rs.type) === 'default')) {
    unsupported(file, `rope_scaling ${JSON.stringify(rs)}`, 'Use a checkpoint without RoPE scaling (e.g. Llama 2, Llama 3 8B, Mistral 7B v0.1), or remove rope_scaling for sequences within the original context.');
  }
  if (f.bool(false, 'mlp_bias')) unsupported(file, 'mlp_bias true', 'Use a checkpoint without MLP biases (standard Llama and Mistral have none).');
  const positions = f.positiveInt('max_position_embeddings');
  // Mistral's sliding window limits how far back a token attends; windows of at most that many
  // tokens make full causal attention exact, so the context is capped at it.
  const slidingWindow = f.cfg.sliding_window == null ? positions : f.positiveInt('sliding_window');
  return {
    sourceFormat: f.cfg.model_type as string,
    nLayers: f.positiveInt('num_hidden_layers'),
    dModel,
    nHeads,
    nKvHeads,
    dHead,
    dMlp: f.positiveInt('intermediate_size'),
    dVocab: f.positiveInt('vocab_size'),
    nCtx: Math.min(positions, slidingWindow),
    normalization: 'RMS',
    lnEps: f.positiveNumber(1e-6, 'rms_norm_eps'),
    activation: f.activation('hidden_act', f.cfg.hidden_act ?? 'silu'),
    positional: 'rotary',
    rotary: { dims: dHead, base: f.positiveNumber(10000, 'rope_theta') },
    gatedMlp: true,
    attnScale: Math.sqrt(dHead),
    bosTokenId: f.tokenId('bos_token_id'),
    eosTokenId: f.tokenId('eos_token_id'),
    prependBos: true,
    name: modelNameFor(dir, f.optionalString('_name_or_path')),
  };
}

function loadLlama(dir: string): TransformerWeights {
  const config = llamaConfig(dir);
  const cfg = tryReadJsonObject(configPath(dir)) ?? {};
  const w = openWeightSource(dir);
  const { dModel: d, dMlp, dVocab, nCtx } = config;
  const hd = config.nHeads * config.dHead;
  const kvd = config.nKvHeads! * config.dHead;
  const p = w.has('model.embed_tokens.weight') ? 'model.' : '';
  const zeros = (n: number) => tensor32(new Float32Array(n), [n]);
  const attnBias = cfg.attention_bias === true;
  const bias = (name: string, n: number) => (attnBias ? w.tensor(name, [n]) : zeros(n));
  const norm = (name: string) => ({ w: w.tensor(`${p}${name}.weight`, [d]), b: null });
  const linear = (name: string, out: number, inp: number): Tensor32 => transpose2d(w.tensor(`${name}.weight`, [out, inp]));
  const blocks: TransformerBlockWeights[] = [];
  for (let i = 0; i < config.nLayers; i++) {
    const l = `${p}layers.${i}.`;
    blocks.push({
      ln1: norm(`layers.${i}.input_layernorm`),
      W_Q: linear(`${l}self_attn.q_proj`, hd, d),
      W_K: linear(`${l}self_attn.k_proj`, kvd, d),
      W_V: linear(`${l}self_attn.v_proj`, kvd, d),
      b_Q: bias(`${l}self_attn.q_proj.bias`, hd),
      b_K: bias(`${l}self_attn.k_proj.bias`, kvd),
      b_V: bias(`${l}self_attn.v_proj.bias`, kvd),
      W_O: linear(`${l}self_attn.o_proj`, d, hd),
      b_O: bias(`${l}self_attn.o_proj.bias`, d),
      ln2: norm(`layers.${i}.post_attention_layernorm`),
      W_gate: linear(`${l}mlp.gate_proj`, dMlp, d),
      W_in: linear(`${l}mlp.up_proj`, dMlp, d),
      b_in: zeros(dMlp),
      W_out: linear(`${l}mlp.down_proj`, d, dMlp),
      b_out: zeros(d),
    });
  }
  const W_E = w.tensor(`${p}embed_tokens.weight`, [dVocab, d]);
  // As HF: tie_word_embeddings defaults to false, and then lm_head.weight must be stored.
  const tied = cfg.tie_word_embeddings === true;
  return {
    config,
    W_E,
    W_pos: tensor32(new Float32Array(nCtx * d), [nCtx, d]),
    blocks,
    lnFinal: norm('norm'),
    W_U: transpose2d(tied ? W_E : w.tensor('lm_head.weight', [dVocab, d])),
    b_U: zeros(dVocab),
  };
}

function describeLlama(dir: string): ModelDescription {
  const config = llamaConfig(dir);
  const cfg = tryReadJsonObject(configPath(dir)) ?? {};
  const w = openWeightSource(dir);
  const fallback = config.sourceFormat === 'mistral' ? 'MistralForCausalLM' : 'LlamaForCausalLM';
  const architecture = Array.isArray(cfg.architectures) && typeof cfg.architectures[0] === 'string' ? (cfg.architectures[0] as string) : fallback;
  return { format: 'hf-llama', architecture, config, weightFiles: w.files, paramCount: w.paramCount, weightDtypes: w.dtypes };
}

export const llamaLoader: ModelLoader = {
  format: 'hf-llama',
  label: 'Hugging Face Llama / Mistral (config.json model_type "llama" or "mistral" + safetensors)',
  detect: (dir) => MODEL_TYPES.includes(tryReadJsonObject(configPath(dir))?.model_type as string),
  describe: describeLlama,
  load: loadLlama,
};
