/**
 * Hugging Face GPT-2 (config.json with model_type "gpt2" + safetensors, keys with or without the
 * `transformer.` prefix). GPT-2 uses Conv1D, whose weights are stored input-first [in, out], so
 * they are already in the canonical layout; c_attn [d, 3d] holds Q | K | V side by side, each
 * head-major. lm_head is tied to wte unless stored.
 */
import { WorkbenchError } from '../../errors';
import { tensor32 } from '../tensor';
import type { TransformerBlockWeights, TransformerConfig, TransformerWeights } from '../transformer';
import { ConfigFields, configPath, modelNameFor, readJsonObject, tryReadJsonObject } from './configFields';
import type { ModelDescription, ModelLoader } from './modelLoader';
import { columns, slice1d, transpose2d } from './tensorOps';
import { openWeightSource, type WeightSource } from './weightSource';

export function gpt2Config(dir: string): TransformerConfig {
  const file = configPath(dir);
  const f: ConfigFields = new ConfigFields(file, readJsonObject(file));
  const nLayers = f.positiveInt('n_layer', 'num_hidden_layers');
  const dModel = f.positiveInt('n_embd', 'hidden_size');
  const nHeads = f.positiveInt('n_head', 'num_attention_heads');
  if (dModel % nHeads !== 0) f.fail('n_head', nHeads, `a divisor of n_embd (${dModel})`);
  const dHead = dModel / nHeads;
  const act = f.cfg.activation_function ?? 'gelu_new';
  const activation = f.activation('activation_function', act);
  if (f.bool(false, 'scale_attn_by_inverse_layer_idx')) {
    throw new WorkbenchError('MODEL_UNSUPPORTED', `${file}: scale_attn_by_inverse_layer_idx is true, which SAE Workbench does not implement.`, 'Use a GPT-2 checkpoint trained without it (the standard OpenAI GPT-2 models are fine).');
  }
  const name = modelNameFor(dir, f.optionalString('_name_or_path'));
  return {
    sourceFormat: 'gpt2',
    nLayers,
    dModel,
    nHeads,
    dHead,
    dMlp: f.optionalPositiveInt(4 * dModel, 'n_inner'),
    dVocab: f.positiveInt('vocab_size'),
    nCtx: f.positiveInt('n_positions', 'n_ctx', 'max_position_embeddings'),
    normalization: 'LN',
    lnEps: f.positiveNumber(1e-5, 'layer_norm_epsilon'),
    activation,
    positional: 'learned',
    attnScale: f.bool(true, 'scale_attn_weights') ? Math.sqrt(dHead) : 1,
    bosTokenId: f.tokenId('bos_token_id'),
    eosTokenId: f.tokenId('eos_token_id'),
    // TransformerLens prepends BOS by default and sae_lens SAEs are trained that way.
    prependBos: true,
    name,
  };
}

function keyPrefix(w: WeightSource): string {
  if (w.has('transformer.wte.weight')) return 'transformer.';
  if (w.has('wte.weight')) return '';
  throw new WorkbenchError('MODEL_WEIGHTS_INVALID', `${w.dir}: GPT-2 weights need "wte.weight" or "transformer.wte.weight"; found ${[...w.entries.keys()].slice(0, 8).join(', ')}...`, 'The weights are not a GPT-2 state dict; check the model format.');
}

function loadGpt2(dir: string): TransformerWeights {
  const config = gpt2Config(dir);
  const w = openWeightSource(dir);
  const p = keyPrefix(w);
  const { dModel: d, dMlp, dVocab, nCtx } = config;
  const ln = (name: string) => ({ w: w.tensor(`${p}${name}.weight`, [d]), b: w.tensor(`${p}${name}.bias`, [d]) });
  const blocks: TransformerBlockWeights[] = [];
  for (let i = 0; i < config.nLayers; i++) {
    const h = `${p}h.${i}.`;
    const qkv = w.tensor(`${h}attn.c_attn.weight`, [d, 3 * d]);
    const qkvBias = w.tensor(`${h}attn.c_attn.bias`, [3 * d]);
    blocks.push({
      ln1: ln(`h.${i}.ln_1`),
      W_Q: columns(qkv, 0, d),
      W_K: columns(qkv, d, 2 * d),
      W_V: columns(qkv, 2 * d, 3 * d),
      b_Q: slice1d(qkvBias, 0, d),
      b_K: slice1d(qkvBias, d, 2 * d),
      b_V: slice1d(qkvBias, 2 * d, 3 * d),
      W_O: w.tensor(`${h}attn.c_proj.weight`, [d, d]),
      b_O: w.tensor(`${h}attn.c_proj.bias`, [d]),
      ln2: ln(`h.${i}.ln_2`),
      W_in: w.tensor(`${h}mlp.c_fc.weight`, [d, dMlp]),
      b_in: w.tensor(`${h}mlp.c_fc.bias`, [dMlp]),
      W_out: w.tensor(`${h}mlp.c_proj.weight`, [dMlp, d]),
      b_out: w.tensor(`${h}mlp.c_proj.bias`, [d]),
    });
  }
  const W_E = w.tensor(`${p}wte.weight`, [dVocab, d]);
  // lm_head is nn.Linear ([out, in]); without it the head is tied to the embedding.
  const W_U = transpose2d(w.has('lm_head.weight') ? w.tensor('lm_head.weight', [dVocab, d]) : W_E);
  return {
    config,
    W_E,
    W_pos: w.tensor(`${p}wpe.weight`, [nCtx, d]),
    blocks,
    lnFinal: ln('ln_f'),
    W_U,
    b_U: w.has('lm_head.bias') ? w.tensor('lm_head.bias', [dVocab]) : tensor32(new Float32Array(dVocab), [dVocab]),
  };
}

function describeGpt2(dir: string): ModelDescription {
  const config = gpt2Config(dir);
  const cfg = tryReadJsonObject(configPath(dir)) ?? {};
  const w = openWeightSource(dir);
  const architectures = Array.isArray(cfg.architectures) && typeof cfg.architectures[0] === 'string' ? (cfg.architectures[0] as string) : 'GPT2LMHeadModel';
  return { format: 'hf-gpt2', architecture: architectures, config, weightFiles: w.files, paramCount: w.paramCount, weightDtypes: w.dtypes };
}

export const gpt2Loader: ModelLoader = {
  format: 'hf-gpt2',
  label: 'Hugging Face GPT-2 (config.json model_type "gpt2" + safetensors)',
  detect: (dir) => tryReadJsonObject(configPath(dir))?.model_type === 'gpt2',
  describe: describeGpt2,
  load: loadGpt2,
};
