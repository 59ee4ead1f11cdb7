/**
 * Hugging Face GPT-NeoX (Pythia): config.json model_type "gpt_neox" + safetensors with the
 * `gpt_neox.` prefix. Linear weights are [out, in] and are transposed to [in, out].
 * query_key_value fuses Q, K and V per head: output row h*3*dHead + s*dHead + j holds head h,
 * part s (0 Q, 1 K, 2 V), dimension j; it is split into head-major Q, K, V columns here.
 * Positions are rotary (rotary_pct of each head) and attention and MLP run in parallel when
 * use_parallel_residual is set; both are recorded in the config for the engine.
 */
import { WorkbenchError } from '../../errors';
import { tensor32, type Tensor32 } from '../tensor';
import type { TransformerBlockWeights, TransformerConfig, TransformerWeights } from '../transformer';
import { ConfigFields, configPath, modelNameFor, readJsonObject, tryReadJsonObject } from './configFields';
import type { ModelDescription, ModelLoader } from './modelLoader';
import { transpose2d } from './tensorOps';
import { openWeightSource } from './weightSource';

export function gptNeoxConfig(dir: string): TransformerConfig {
  const file = configPath(dir);
  const f: ConfigFields = new ConfigFields(file, readJsonObject(file));
  const dModel = f.positiveInt('hidden_size');
  const nHeads = f.positiveInt('num_attention_heads');
  if (dModel % nHeads !== 0) f.fail('num_attention_heads', nHeads, `a divisor of hidden_size (${dModel})`);
  const dHead = dModel / nHeads;
  const act = f.cfg.hidden_act ?? 'gelu';
  const activation = f.activation('hidden_act', act);
  const pct = f.cfg.rotary_pct ?? 1;
  if (typeof pct !== 'number' || !(pct > 0 && pct <= 1)) f.fail('rotary_pct', pct, 'a number in (0, 1]');
  const dims = Math.floor(dHead * pct);
  if (dims % 2 !== 0 || dims === 0) f.fail('rotary_pct', pct, `a fraction giving an even, non-zero number of rotary dims per head (d_head ${dHead})`);
  if (f.cfg.rope_scaling != null) {
    throw new WorkbenchError('MODEL_UNSUPPORTED', `${file}: rope_scaling ${JSON.stringify(f.cfg.rope_scaling)} is not supported.`, 'Use a checkpoint without RoPE scaling (the Pythia models have none).');
  }
  if (f.bool(true, 'attention_bias') === false) {
    throw new WorkbenchError('MODEL_UNSUPPORTED', `${file}: attention_bias false is not supported.`, 'Use a GPT-NeoX checkpoint with attention biases (the Pythia models have them).');
  }
  return {
    sourceFormat: 'gpt-neox',
    nLayers: f.positiveInt('num_hidden_layers'),
    dModel,
    nHeads,
    dHead,
    dMlp: f.positiveInt('intermediate_size'),
    dVocab: f.positiveInt('vocab_size'),
    nCtx: f.positiveInt('max_position_embeddings'),
    normalization: 'LN',
    lnEps: f.positiveNumber(1e-5, 'layer_norm_eps'),
    activation,
    positional: 'rotary',
    rotary: { dims, base: f.positiveNumber(10000, 'rotary_emb_base', 'rope_theta') },
    parallelAttnMlp: f.bool(true, 'use_parallel_residual'),
    attnScale: Math.sqrt(dHead),
    bosTokenId: f.tokenId('bos_token_id'),
    eosTokenId: f.tokenId('eos_token_id'),
    prependBos: true,
    name: modelNameFor(dir, f.optionalString('_name_or_path')),
  };
}

/** query_key_value [3d, d] (per-head interleaved rows) -> Q, K, V as [d, nHeads*dHead] head-major. */
export function splitNeoxQkv(weight: Tensor32, bias: Tensor32, nHeads: number, dHead: number): { W: Tensor32[]; b: Tensor32[] } {
  const d = weight.shape[1];
  const width = nHeads * dHead;
  const W = [0, 1, 2].map(() => new Float32Array(d * width));
  const b = [0, 1, 2].map(() => new Float32Array(width));
  for (let h = 0; h < nHeads; h++) {
    for (let s = 0; s < 3; s++) {
      for (let j = 0; j < dHead; j++) {
        const row = h * 3 * dHead + s * dHead + j;
        const col = h * dHead + j;
        const src = weight.data.subarray(row * d, (row + 1) * d);
        const dst = W[s];
        for (let m = 0; m < d; m++) dst[m * width + col] = src[m];
        b[s][col] = bias.data[row];
      }
    }
  }
  return { W: W.map((x) => tensor32(x, [d, width])), b: b.map((x) => tensor32(x, [width])) };
}

function loadGptNeox(dir: string): TransformerWeights {
  const config = gptNeoxConfig(dir);
  const w = openWeightSource(dir);
  const { dModel: d, dMlp, dVocab, nCtx, nHeads, dHead } = config;
  const p = w.has('gpt_neox.embed_in.weight') ? 'gpt_neox.' : '';
  const ln = (name: string) => ({ w: w.tensor(`${p}${name}.weight`, [d]), b: w.tensor(`${p}${name}.bias`, [d]) });
  const blocks: TransformerBlockWeights[] = [];
  for (let i = 0; i < config.nLayers; i++) {
    const l = `${p}layers.${i}.`;
    const qkv = splitNeoxQkv(w.tensor(`${l}attention.query_key_value.weight`, [3 * d, d]), w.tensor(`${l}attention.query_key_value.bias`, [3 * d]), nHeads, dHead);
    blocks.push({
      ln1: ln(`layers.${i}.input_layernorm`),
      W_Q: qkv.W[0],
      W_K: qkv.W[1],
      W_V: qkv.W[2],
      b_Q: qkv.b[0],
      b_K: qkv.b[1],
      b_V: qkv.b[2],
      W_O: transpose2d(w.tensor(`${l}attention.dense.weight`, [d, d])),
      b_O: w.tensor(`${l}attention.dense.bias`, [d]),
      ln2: ln(`layers.${i}.post_attention_layernorm`),
      W_in: transpose2d(w.tensor(`${l}mlp.dense_h_to_4h.weight`, [dMlp, d])),
      b_in: w.tensor(`${l}mlp.dense_h_to_4h.bias`, [dMlp]),
      W_out: transpose2d(w.tensor(`${l}mlp.dense_4h_to_h.weight`, [d, dMlp])),
      b_out: w.tensor(`${l}mlp.dense_4h_to_h.bias`, [d]),
    });
  }
  const W_E = w.tensor(`${p}embed_in.weight`, [dVocab, d]);
  return {
    config,
    W_E,
    W_pos: tensor32(new Float32Array(nCtx * d), [nCtx, d]),
    blocks,
    lnFinal: ln('final_layer_norm'),
    W_U: transpose2d(w.has('embed_out.weight') ? w.tensor('embed_out.weight', [dVocab, d]) : W_E),
    b_U: tensor32(new Float32Array(dVocab), [dVocab]),
  };
}

function describeGptNeox(dir: string): ModelDescription {
  const config = gptNeoxConfig(dir);
  const cfg = tryReadJsonObject(configPath(dir)) ?? {};
  const w = openWeightSource(dir);
  const architecture = Array.isArray(cfg.architectures) && typeof cfg.architectures[0] === 'string' ? (cfg.architectures[0] as string) : 'GPTNeoXForCausalLM';
  return { format: 'hf-gpt-neox', architecture, config, weightFiles: w.files, paramCount: w.paramCount, weightDtypes: w.dtypes };
}

export const gptNeoxLoader: ModelLoader = {
  format: 'hf-gpt-neox',
  label: 'Hugging Face GPT-NeoX / Pythia (config.json model_type "gpt_neox" + safetensors)',
  detect: (dir) => tryReadJsonObject(configPath(dir))?.model_type === 'gpt_neox',
  describe: describeGptNeox,
  load: loadGptNeox,
};
