/**
 * Canonical weights -> a TransformerLens folder (config.json as HookedTransformerConfig fields +
 * model.safetensors state dict), the inverse of hookedTransformerLoader.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkbenchError } from '../../errors';
import { writeSafetensors, type TensorToWrite } from '../safetensors';
import type { Tensor32 } from '../tensor';
import type { TransformerWeights } from '../transformer';
import { columnsToHeads } from './tensorOps';

export function writeHookedTransformerDirectory(dir: string, weights: TransformerWeights, extraConfig: Record<string, unknown> = {}): void {
  const c = weights.config;
  // The TransformerLens layout written here has no RMSNorm, gated MLP or grouped KV heads.
  if (c.normalization === 'RMS' || c.gatedMlp || (c.nKvHeads ?? c.nHeads) !== c.nHeads) {
    throw new WorkbenchError('MODEL_WRITE', `Cannot write "${c.name}" to ${dir} as a TransformerLens folder: RMSNorm, gated MLPs and grouped-query attention are not written yet.`, 'Keep the model in its original Hugging Face folder; the Library and engine read it from there.');
  }
  const H = c.nHeads;
  const dh = c.dHead;
  const t: Record<string, TensorToWrite> = {};
  const put = (name: string, x: Tensor32, shape = x.shape) => {
    t[name] = { dtype: 'F32', shape, data: x.data };
  };
  const putLn = (name: string, ln: { w: Tensor32 | null; b: Tensor32 | null }) => {
    if (c.normalization === 'LN') {
      put(`${name}.w`, ln.w!);
      put(`${name}.b`, ln.b!);
    }
  };
  put('embed.W_E', weights.W_E);
  put('pos_embed.W_pos', weights.W_pos);
  weights.blocks.forEach((b, i) => {
    const a = `blocks.${i}.attn.`;
    putLn(`blocks.${i}.ln1`, b.ln1);
    put(`${a}W_Q`, columnsToHeads(b.W_Q, H));
    put(`${a}W_K`, columnsToHeads(b.W_K, H));
    put(`${a}W_V`, columnsToHeads(b.W_V, H));
    put(`${a}b_Q`, b.b_Q, [H, dh]);
    put(`${a}b_K`, b.b_K, [H, dh]);
    put(`${a}b_V`, b.b_V, [H, dh]);
    put(`${a}W_O`, b.W_O, [H, dh, c.dModel]);
    put(`${a}b_O`, b.b_O);
    putLn(`blocks.${i}.ln2`, b.ln2);
    put(`blocks.${i}.mlp.W_in`, b.W_in);
    put(`blocks.${i}.mlp.b_in`, b.b_in);
    put(`blocks.${i}.mlp.W_out`, b.W_out);
    put(`blocks.${i}.mlp.b_out`, b.b_out);
  });
  putLn('ln_final', weights.lnFinal);
  put('unembed.W_U', weights.W_U);
  put('unembed.b_U', weights.b_U);
  const config = {
    model_name: c.name,
    n_layers: c.nLayers,
    d_model: c.dModel,
    n_ctx: c.nCtx,
    d_head: dh,
    n_heads: H,
    d_mlp: c.dMlp,
    d_vocab: c.dVocab,
    d_vocab_out: c.dVocab,
    act_fn: c.activation,
    eps: c.lnEps,
    normalization_type: c.normalization,
    positional_embedding_type: 'standard',
    use_attn_scale: c.attnScale !== 1,
    attn_scale: c.attnScale,
    default_prepend_bos: c.prependBos,
    original_architecture: c.sourceFormat === 'gpt2' ? 'GPT2LMHeadModel' : null,
    bos_token_id: c.bosTokenId,
    eos_token_id: c.eosTokenId,
    ...extraConfig,
  };
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, 'model.safetensors'), t);
  const tmp = join(dir, `.config.json.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(config, null, 2) + '\n');
  renameSync(tmp, join(dir, 'config.json'));
}
