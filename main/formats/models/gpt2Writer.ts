/**
 * Canonical weights -> a Hugging Face GPT-2 folder (config.json + model.safetensors), the inverse of
 * gpt2Loader: used by the demo bundle and by tests that need a model on disk.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkbenchError } from '../../errors';
import { writeSafetensors, type SafetensorsDtype, type TensorToWrite } from '../safetensors';
import type { Tensor32 } from '../tensor';
import type { TransformerWeights } from '../transformer';
import { transpose2d } from './tensorOps';

function concatColumns(parts: Tensor32[]): Float32Array {
  const rows = parts[0].shape[0];
  const widths = parts.map((p) => p.shape[1]);
  const total = widths.reduce((a, b) => a + b, 0);
  const out = new Float32Array(rows * total);
  for (let r = 0; r < rows; r++) {
    let c = 0;
    parts.forEach((p, k) => {
      out.set(p.data.subarray(r * widths[k], (r + 1) * widths[k]), r * total + c);
      c += widths[k];
    });
  }
  return out;
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

export interface Gpt2WriteOptions {
  /** Stored dtype (F32 default; F16/BF16 round to nearest even). */
  dtype?: Extract<SafetensorsDtype, 'F32' | 'F16' | 'BF16'>;
  /** Prefix keys with `transformer.` like GPT2LMHeadModel.save_pretrained (default true). */
  prefixed?: boolean;
  /** Extra config.json fields (e.g. _name_or_path). */
  extraConfig?: Record<string, unknown>;
}

export function writeGpt2Directory(dir: string, weights: TransformerWeights, options: Gpt2WriteOptions = {}): void {
  const c = weights.config;
  const problems: string[] = [];
  if (c.normalization !== 'LN') problems.push('normalization must be LN (GPT-2 has LayerNorm weights)');
  if (c.nHeads * c.dHead !== c.dModel) problems.push(`nHeads*dHead (${c.nHeads * c.dHead}) must equal dModel (${c.dModel})`);
  if (c.attnScale !== 1 && Math.abs(c.attnScale - Math.sqrt(c.dHead)) > 1e-12) problems.push(`attnScale ${c.attnScale} must be sqrt(dHead) or 1`);
  if (weights.b_U.data.some((v) => v !== 0)) problems.push('b_U must be zero (GPT2LMHeadModel has no output bias)');
  if (problems.length) throw new WorkbenchError('MODEL_WRITE', `Cannot write ${dir} as GPT-2: ${problems.join('; ')}.`, 'Write it as a TransformerLens directory instead.');

  const dtype = options.dtype ?? 'F32';
  const p = options.prefixed === false ? '' : 'transformer.';
  const t: Record<string, TensorToWrite> = {};
  const put = (name: string, x: Tensor32 | Float32Array, shape?: number[]) => {
    const data = x instanceof Float32Array ? x : x.data;
    t[name] = { dtype, shape: shape ?? (x as Tensor32).shape, data };
  };
  put(`${p}wte.weight`, weights.W_E);
  put(`${p}wpe.weight`, weights.W_pos);
  weights.blocks.forEach((b, i) => {
    const h = `${p}h.${i}.`;
    put(`${h}ln_1.weight`, b.ln1.w!);
    put(`${h}ln_1.bias`, b.ln1.b!);
    put(`${h}attn.c_attn.weight`, concatColumns([b.W_Q, b.W_K, b.W_V]), [c.dModel, 3 * c.dModel]);
    put(`${h}attn.c_attn.bias`, Float32Array.of(...b.b_Q.data, ...b.b_K.data, ...b.b_V.data), [3 * c.dModel]);
    put(`${h}attn.c_proj.weight`, b.W_O);
    put(`${h}attn.c_proj.bias`, b.b_O);
    put(`${h}ln_2.weight`, b.ln2.w!);
    put(`${h}ln_2.bias`, b.ln2.b!);
    put(`${h}mlp.c_fc.weight`, b.W_in);
    put(`${h}mlp.c_fc.bias`, b.b_in);
    put(`${h}mlp.c_proj.weight`, b.W_out);
    put(`${h}mlp.c_proj.bias`, b.b_out);
  });
  put(`${p}ln_f.weight`, weights.lnFinal.w!);
  put(`${p}ln_f.bias`, weights.lnFinal.b!);
  const unembedT = transpose2d(weights.W_U);
  if (!sameValues(unembedT.data, weights.W_E.data)) put('lm_head.weight', unembedT);

  const config = {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    n_layer: c.nLayers,
    n_embd: c.dModel,
    n_head: c.nHeads,
    n_inner: c.dMlp === 4 * c.dModel ? null : c.dMlp,
    n_positions: c.nCtx,
    n_ctx: c.nCtx,
    vocab_size: c.dVocab,
    layer_norm_epsilon: c.lnEps,
    activation_function: c.activation,
    scale_attn_weights: c.attnScale !== 1,
    bos_token_id: c.bosTokenId,
    eos_token_id: c.eosTokenId,
    tie_word_embeddings: !t['lm_head.weight'],
    torch_dtype: { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[dtype],
    ...options.extraConfig,
  };
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, 'model.safetensors'), t, { format: 'pt' });
  const tmp = join(dir, `.config.json.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(config, null, 2) + '\n');
  renameSync(tmp, join(dir, 'config.json'));
}
