import fs from 'node:fs';
import path from 'node:path';
import type { TransformerWeights } from '../formats/transformer';
import { writeSafetensors, type TensorToWrite } from '../formats/safetensors';

/**
 * Canonical TransformerWeights as a Hugging Face GPT-2 directory (what GPT2LMHeadModel.
 * save_pretrained writes with untied embeddings): config.json + model.safetensors with Conv1D
 * [in, out] layouts and an explicit lm_head, since the demo unembedding is not W_E^T.
 */
export function gpt2Tensors(w: TransformerWeights): Record<string, TensorToWrite> {
  const c = w.config;
  const d = c.dModel;
  const f32 = (data: Float32Array, shape: number[]): TensorToWrite => ({ dtype: 'F32', shape, data });
  const out: Record<string, TensorToWrite> = {
    'transformer.wte.weight': f32(w.W_E.data, [c.dVocab, d]),
    'transformer.wpe.weight': f32(w.W_pos.data, [c.nCtx, d]),
    'transformer.ln_f.weight': f32(layerNormWeight(w.lnFinal.w, d), [d]),
    'transformer.ln_f.bias': f32(layerNormBias(w.lnFinal.b, d), [d]),
    'lm_head.weight': f32(transpose(w.W_U.data, d, c.dVocab), [c.dVocab, d]),
  };
  w.blocks.forEach((b, i) => {
    const p = `transformer.h.${i}`;
    const hd = c.nHeads * c.dHead;
    out[`${p}.ln_1.weight`] = f32(layerNormWeight(b.ln1.w, d), [d]);
    out[`${p}.ln_1.bias`] = f32(layerNormBias(b.ln1.b, d), [d]);
    out[`${p}.attn.c_attn.weight`] = f32(concatColumns([b.W_Q.data, b.W_K.data, b.W_V.data], d, hd), [d, 3 * hd]);
    out[`${p}.attn.c_attn.bias`] = f32(Float32Array.from([...b.b_Q.data, ...b.b_K.data, ...b.b_V.data]), [3 * hd]);
    out[`${p}.attn.c_proj.weight`] = f32(b.W_O.data, [hd, d]);
    out[`${p}.attn.c_proj.bias`] = f32(b.b_O.data, [d]);
    out[`${p}.ln_2.weight`] = f32(layerNormWeight(b.ln2.w, d), [d]);
    out[`${p}.ln_2.bias`] = f32(layerNormBias(b.ln2.b, d), [d]);
    out[`${p}.mlp.c_fc.weight`] = f32(b.W_in.data, [d, c.dMlp]);
    out[`${p}.mlp.c_fc.bias`] = f32(b.b_in.data, [c.dMlp]);
    out[`${p}.mlp.c_proj.weight`] = f32(b.W_out.data, [c.dMlp, d]);
    out[`${p}.mlp.c_proj.bias`] = f32(b.b_out.data, [d]);
  });
  return out;
}

export function gpt2ConfigJson(w: TransformerWeights): Record<string, unknown> {
  const c = w.config;
  return {
    _name_or_path: `sae-workbench/${c.name}`,
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: c.dVocab,
    n_positions: c.nCtx,
    n_ctx: c.nCtx,
    n_embd: c.dModel,
    n_layer: c.nLayers,
    n_head: c.nHeads,
    n_inner: c.dMlp,
    activation_function: c.activation,
    layer_norm_epsilon: c.lnEps,
    bos_token_id: c.bosTokenId,
    eos_token_id: c.eosTokenId,
    tie_word_embeddings: false,
    scale_attn_weights: true,
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    initializer_range: 0.02,
    torch_dtype: 'float32',
  };
}

/** Writes config.json and model.safetensors into `dir` (created). */
export function writeGpt2Directory(dir: string, w: TransformerWeights): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), `${JSON.stringify(gpt2ConfigJson(w), null, 2)}\n`);
  writeSafetensors(path.join(dir, 'model.safetensors'), gpt2Tensors(w), { format: 'pt' });
}

function layerNormWeight(t: { data: Float32Array } | null, d: number): Float32Array {
  return t ? t.data : new Float32Array(d).fill(1);
}

function layerNormBias(t: { data: Float32Array } | null, d: number): Float32Array {
  return t ? t.data : new Float32Array(d);
}

function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c];
  return out;
}

function concatColumns(mats: Float32Array[], rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols * mats.length);
  for (let r = 0; r < rows; r++) mats.forEach((m, i) => out.set(m.subarray(r * cols, (r + 1) * cols), r * cols * mats.length + i * cols));
  return out;
}
