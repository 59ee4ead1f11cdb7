/**
 * TransformerLens HookedTransformer state dicts.
 *
 * How a TL directory is recognised: a `config.json` that is a HookedTransformerConfig dump
 * (cfg.to_dict(), JSON-serialisable fields) — numeric `d_model`, `n_layers`, `n_heads`, `d_head`,
 * a string `act_fn`, the key `normalization_type`, and no HF `model_type` — next to the
 * state dict in safetensors (`model.safetensors`, a sharded index, or the folder's only
 * *.safetensors file), saved with `safetensors.torch.save_file(model.state_dict(), ...)`.
 *
 * Layouts: W_Q/W_K/W_V [n_heads, d_model, d_head] -> [d_model, n_heads*d_head] head-major;
 * b_Q [n_heads, d_head] -> [n_heads*d_head]; W_O [n_heads, d_head, d_model] is already
 * [n_heads*d_head, d_model] in row-major order; mlp/unembed matrices are already [in, out].
 */
import { WorkbenchError } from '../../errors';
import type { TransformerBlockWeights, TransformerConfig, TransformerWeights } from '../transformer';
import { ConfigFields, configPath, modelNameFor, readJsonObject, tryReadJsonObject, type JsonObject } from './configFields';
import type { ModelDescription, ModelLoader } from './modelLoader';
import { headsToColumns, reshape } from './tensorOps';
import { openWeightSource } from './weightSource';

export function isHookedTransformerConfig(cfg: JsonObject | null): boolean {
  if (!cfg || 'model_type' in cfg) return false;
  return ['d_model', 'n_layers', 'n_heads', 'd_head'].every((k) => typeof cfg[k] === 'number') && typeof cfg.act_fn === 'string' && 'normalization_type' in cfg;
}

function unsupported(file: string, what: string): never {
  throw new WorkbenchError('MODEL_UNSUPPORTED', `${file}: ${what} is not supported yet (supported: LN or LNPre normalisation, standard learned positions, full MLP, sequential attention then MLP).`, 'Export a GPT-2-style HookedTransformer, or load the model from its Hugging Face directory.');
}

export function hookedTransformerConfig(dir: string): TransformerConfig {
  const file = configPath(dir);
  const f: ConfigFields = new ConfigFields(file, readJsonObject(file));
  const c = f.cfg;
  const normalization = c.normalization_type;
  if (normalization !== 'LN' && normalization !== 'LNPre') unsupported(file, `normalization_type ${JSON.stringify(normalization)}`);
  if ((c.positional_embedding_type ?? 'standard') !== 'standard') unsupported(file, `positional_embedding_type ${JSON.stringify(c.positional_embedding_type)}`);
  if (c.attn_only === true) unsupported(file, 'attn_only (no MLP)');
  if (c.gated_mlp === true) unsupported(file, 'gated_mlp');
  if (c.parallel_attn_mlp === true) unsupported(file, 'parallel_attn_mlp');
  const nHeads = f.positiveInt('n_heads');
  if (c.n_key_value_heads != null && c.n_key_value_heads !== nHeads) unsupported(file, `grouped-query attention (n_key_value_heads ${JSON.stringify(c.n_key_value_heads)})`);
  const act = f.activation('act_fn', c.act_fn);
  const dHead = f.positiveInt('d_head');
  const dVocab = f.positiveInt('d_vocab');
  const dVocabOut = c.d_vocab_out;
  if (dVocabOut != null && dVocabOut !== -1 && dVocabOut !== dVocab) unsupported(file, `d_vocab_out ${JSON.stringify(dVocabOut)} different from d_vocab ${dVocab}`);
  const useScale = f.bool(true, 'use_attn_scale');
  return {
    sourceFormat: 'hooked-transformer',
    nLayers: f.positiveInt('n_layers'),
    dModel: f.positiveInt('d_model'),
    nHeads,
    dHead,
    dMlp: f.positiveInt('d_mlp'),
    dVocab,
    nCtx: f.positiveInt('n_ctx'),
    normalization,
    lnEps: f.positiveNumber(1e-5, 'eps'),
    activation: act,
    positional: 'learned',
    attnScale: useScale ? f.positiveNumber(Math.sqrt(dHead), 'attn_scale') : 1,
    bosTokenId: f.tokenId('bos_token_id'),
    eosTokenId: f.tokenId('eos_token_id'),
    prependBos: f.bool(true, 'default_prepend_bos'),
    name: modelNameFor(dir, f.optionalString('model_name')),
  };
}

function loadHookedTransformer(dir: string): TransformerWeights {
  const config = hookedTransformerConfig(dir);
  const w = openWeightSource(dir);
  const { dModel: d, nHeads: H, dHead: dh, dMlp, dVocab, nCtx } = config;
  const ln = (name: string) => (config.normalization === 'LN' ? { w: w.tensor(`${name}.w`, [d]), b: w.tensor(`${name}.b`, [d]) } : { w: null, b: null });
  const blocks: TransformerBlockWeights[] = [];
  for (let i = 0; i < config.nLayers; i++) {
    const a = `blocks.${i}.attn.`;
    const m = `blocks.${i}.mlp.`;
    blocks.push({
      ln1: ln(`blocks.${i}.ln1`),
      W_Q: headsToColumns(w.tensor(`${a}W_Q`, [H, d, dh])),
      W_K: headsToColumns(w.tensor(`${a}W_K`, [H, d, dh])),
      W_V: headsToColumns(w.tensor(`${a}W_V`, [H, d, dh])),
      b_Q: reshape(w.tensor(`${a}b_Q`, [H, dh]), [H * dh]),
      b_K: reshape(w.tensor(`${a}b_K`, [H, dh]), [H * dh]),
      b_V: reshape(w.tensor(`${a}b_V`, [H, dh]), [H * dh]),
      W_O: reshape(w.tensor(`${a}W_O`, [H, dh, d]), [H * dh, d]),
      b_O: w.tensor(`${a}b_O`, [d]),
      ln2: ln(`blocks.${i}.ln2`),
      W_in: w.tensor(`${m}W_in`, [d, dMlp]),
      b_in: w.tensor(`${m}b_in`, [dMlp]),
      W_out: w.tensor(`${m}W_out`, [dMlp, d]),
      b_out: w.tensor(`${m}b_out`, [d]),
    });
  }
  return {
    config,
    W_E: w.tensor('embed.W_E', [dVocab, d]),
    W_pos: w.tensor('pos_embed.W_pos', [nCtx, d]),
    blocks,
    lnFinal: ln('ln_final'),
    W_U: w.tensor('unembed.W_U', [d, dVocab]),
    b_U: w.tensor('unembed.b_U', [dVocab]),
  };
}

function describeHookedTransformer(dir: string): ModelDescription {
  const config = hookedTransformerConfig(dir);
  const w = openWeightSource(dir);
  const original = tryReadJsonObject(configPath(dir))?.original_architecture;
  return {
    format: 'hooked-transformer',
    architecture: typeof original === 'string' ? `HookedTransformer (${original})` : 'HookedTransformer',
    config,
    weightFiles: w.files,
    paramCount: w.paramCount,
    weightDtypes: w.dtypes,
  };
}

export const hookedTransformerLoader: ModelLoader = {
  format: 'hooked-transformer',
  label: 'TransformerLens HookedTransformer (config.json with d_model, n_layers, act_fn, normalization_type + safetensors state dict)',
  detect: (dir) => isHookedTransformerConfig(tryReadJsonObject(configPath(dir))),
  describe: describeHookedTransformer,
  load: loadHookedTransformer,
};
