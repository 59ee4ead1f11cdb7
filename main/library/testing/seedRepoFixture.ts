/**
 * Small look-alikes of the seed repo `connaaa/interpgpt-sae-phase5` (seven sae_lens SAE folders and
 * four JSON result files of assorted shapes) and of its two models, generated from a seed so tests
 * and e2e runs get the same bytes every time. Sizes are tiny; the layout is the real one.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { encodeSafetensors } from '../../formats/safetensors';
import { mulberry32 } from '../../random/seededRandom';

export const SEED_SAE_REPO = 'connaaa/interpgpt-sae-phase5';
export const SEED_MODEL_REPOS = { standard: 'connaaa/interpgpt-standard-23M', adhd: 'connaaa/interpgpt-adhd-23M' } as const;
export const FIXTURE_D_MODEL = 16;
export const FIXTURE_D_SAE = 64;
export const FIXTURE_K = 8;
export const FIXTURE_LAYERS = 4;
/** Which (variant, layer) SAEs the look-alike holds: seven, like the seed repo. */
export const SEED_SAES: { variant: 'standard' | 'adhd'; layer: number }[] = [
  { variant: 'standard', layer: 0 },
  { variant: 'standard', layer: 1 },
  { variant: 'standard', layer: 2 },
  { variant: 'standard', layer: 3 },
  { variant: 'adhd', layer: 1 },
  { variant: 'adhd', layer: 2 },
  { variant: 'adhd', layer: 3 },
];


function randn(rand: () => number, n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * scale;
  return out;
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

/** cfg.json in three sae_lens generations, so the Library is shown reading all of them. */
function saeCfg(variant: string, layer: number, generation: number): Record<string, unknown> {
  const model = SEED_MODEL_REPOS[variant as keyof typeof SEED_MODEL_REPOS];
  const hook = `blocks.${layer}.hook_resid_post`;
  if (generation === 6) {
    return {
      architecture: 'topk', d_in: FIXTURE_D_MODEL, d_sae: FIXTURE_D_SAE, k: FIXTURE_K, dtype: 'float32', device: 'cpu',
      apply_b_dec_to_input: true, normalize_activations: 'none', rescale_acts_by_decoder_norm: false,
      metadata: { sae_lens_version: '6.5.1', model_name: model, hook_name: hook, context_size: 128, prepend_bos: true, dataset_path: 'connaaa/tinystories-steps' },
    };
  }
  if (generation === 5) {
    return {
      architecture: 'topk', d_in: FIXTURE_D_MODEL, d_sae: FIXTURE_D_SAE, k: FIXTURE_K, dtype: 'torch.float32', model_name: model,
      hook_name: hook, hook_layer: layer, hook_head_index: null, context_size: 128, prepend_bos: true, normalize_activations: 'none',
      apply_b_dec_to_input: true, sae_lens_training_version: '5.9.0',
    };
  }
  return {
    architecture: 'standard', activation_fn_str: 'topk', activation_fn_kwargs: { k: FIXTURE_K }, d_in: FIXTURE_D_MODEL, d_sae: FIXTURE_D_SAE,
    dtype: 'float32', model_name: model, hook_point: hook, hook_point_layer: layer, context_size: 128, normalize_activations: 'none', apply_b_dec_to_input: true,
  };
}

export function saeWeights(seed: number): Buffer {
  const rand = mulberry32(seed);
  const d = FIXTURE_D_MODEL;
  const s = FIXTURE_D_SAE;
  return encodeSafetensors({
    W_enc: { dtype: 'F32', shape: [d, s], data: randn(rand, d * s, 0.25) },
    W_dec: { dtype: 'F32', shape: [s, d], data: randn(rand, s * d, 0.25) },
    b_enc: { dtype: 'F32', shape: [s], data: randn(rand, s, 0.01) },
    b_dec: { dtype: 'F32', shape: [d], data: randn(rand, d, 0.01) },
  });
}

/** The four result files, each a different JSON shape (the viewer must table all of them). */
export function seedArtifacts(seed: number): Record<string, unknown> {
  const rand = mulberry32(seed ^ 0x5eed);
  const seeds = [0, 1, 2, 3, 4];
  return {
    // Scalars + an array of records + a nested object.
    'feature_diff.json': {
      model_a: SEED_MODEL_REPOS.standard,
      model_b: SEED_MODEL_REPOS.adhd,
      layer: 2,
      n_features: FIXTURE_D_SAE,
      matching: { method: 'hungarian', mean_cosine: round(0.6 + rand() * 0.2) },
      top_diffs: Array.from({ length: 12 }, (_, i) => ({
        feature: Math.floor(rand() * FIXTURE_D_SAE),
        density_a: round(rand() * 0.05),
        density_b: round(rand() * 0.05),
        diff: round(rand() - 0.5),
        label: i % 3 === 0 ? 'step onset' : null,
        stats: { t: round(rand() * 6 - 3), p: round(rand() * 0.1) },
      })),
    },
    // A dict of dicts: one record per seed.
    'causal_nulls_per_seed.json': Object.fromEntries(
      seeds.map((sd) => [`seed_${sd}`, { effect: round(rand()), null_mean: round(rand() * 0.1), null_std: round(rand() * 0.05), n_null: 100, z: round(rand() * 10) }]),
    ),
    // A dict of equal-length arrays (columns).
    'deepdive_steering.json': {
      alpha: [-8, -4, -2, 0, 2, 4, 8],
      delta_logit: Array.from({ length: 7 }, () => round(rand() * 4 - 2)),
      kl: Array.from({ length: 7 }, () => round(rand() * 0.5)),
      feature: Array.from({ length: 7 }, () => 17),
    },
    // Nested dicts of mixed values and a list of lists.
    'three_probes.json': {
      task: 'step-onset',
      probes: Object.fromEntries(
        ['linear', 'mlp', 'sae_latents'].map((p) => [p, { accuracy: round(0.5 + rand() * 0.5), auc: round(0.5 + rand() * 0.5), per_layer: Array.from({ length: FIXTURE_LAYERS }, () => round(rand())) }]),
      ),
      confusion: [
        [Math.floor(rand() * 100), Math.floor(rand() * 10)],
        [Math.floor(rand() * 10), Math.floor(rand() * 100)],
      ],
      seeds,
    },
  };
}

/** Files of the SAE repo, path in repo -> bytes. */
export function seedSaeRepoFiles(seed = 5): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  SEED_SAES.forEach(({ variant, layer }, i) => {
    const dir = `${variant}_L${layer}_hook_resid_post`;
    const generation = [6, 5, 4][i % 3];
    files[`${dir}/cfg.json`] = Buffer.from(JSON.stringify(saeCfg(variant, layer, generation), null, 2));
    files[`${dir}/sae_weights.safetensors`] = saeWeights(seed * 100 + i);
  });
  for (const [name, value] of Object.entries(seedArtifacts(seed))) files[name] = Buffer.from(JSON.stringify(value, null, 2));
  files['README.md'] = Buffer.from('# interpgpt SAEs (test look-alike)\n');
  return files;
}

/** Shapes of the GPT-2 style tiny model, for exact parameter counts in tests. */
export function modelTensorShapes(): Record<string, number[]> {
  const d = FIXTURE_D_MODEL;
  const v = 50;
  const ctx = 32;
  const shapes: Record<string, number[]> = { 'transformer.wte.weight': [v, d], 'transformer.wpe.weight': [ctx, d], 'transformer.ln_f.weight': [d], 'transformer.ln_f.bias': [d] };
  for (let l = 0; l < FIXTURE_LAYERS; l++) {
    const p = `transformer.h.${l}`;
    Object.assign(shapes, {
      [`${p}.ln_1.weight`]: [d], [`${p}.ln_1.bias`]: [d], [`${p}.attn.c_attn.weight`]: [d, 3 * d], [`${p}.attn.c_attn.bias`]: [3 * d],
      [`${p}.attn.c_proj.weight`]: [d, d], [`${p}.attn.c_proj.bias`]: [d], [`${p}.ln_2.weight`]: [d], [`${p}.ln_2.bias`]: [d],
      [`${p}.mlp.c_fc.weight`]: [d, 4 * d], [`${p}.mlp.c_fc.bias`]: [4 * d], [`${p}.mlp.c_proj.weight`]: [4 * d, d], [`${p}.mlp.c_proj.bias`]: [d],
    });
  }
  return shapes;
}

export function seedModelRepoFiles(seed = 7): Record<string, Buffer> {
  const rand = mulberry32(seed);
  const tensors = Object.fromEntries(
    Object.entries(modelTensorShapes()).map(([name, shape]) => [name, { dtype: 'F32' as const, shape, data: randn(rand, shape.reduce((a, b) => a * b, 1), 0.02) }]),
  );
  const config = { architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', n_layer: FIXTURE_LAYERS, n_embd: FIXTURE_D_MODEL, n_head: 2, n_positions: 32, vocab_size: 50, layer_norm_epsilon: 1e-5, activation_function: 'gelu_new' };
  return {
    'config.json': Buffer.from(JSON.stringify(config, null, 2)),
    'model.safetensors': encodeSafetensors(tensors),
    'tokenizer.json': Buffer.from(JSON.stringify({ version: '1.0', model: { type: 'BPE', vocab: {}, merges: [] } })),
  };
}

export function writeTree(dir: string, files: Record<string, Buffer>): void {
  for (const [rel, bytes] of Object.entries(files)) {
    const file = path.join(dir, ...rel.split('/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, bytes);
  }
}

/**
 * Write a repo into a cache directory exactly as huggingface_hub lays it out:
 * <type>s--owner--name/blobs/<hash>, snapshots/<commit>/<path> as relative symlinks to the
 * blobs, and refs/<ref> holding the commit.
 */
export function writeHfCacheRepo(cacheDir: string, repo: { repoType: 'model' | 'dataset'; repoId: string; files: Record<string, Buffer>; commit?: string; ref?: string | null }): string {
  const commit = repo.commit ?? createHash('sha1').update(repo.repoId).update(JSON.stringify(Object.keys(repo.files))).digest('hex');
  const repoDir = path.join(cacheDir, `${repo.repoType}s--${repo.repoId.replace(/\//g, '--')}`);
  const snapshot = path.join(repoDir, 'snapshots', commit);
  fs.mkdirSync(path.join(repoDir, 'blobs'), { recursive: true });
  for (const [rel, bytes] of Object.entries(repo.files)) {
    const blob = createHash('sha256').update(bytes).digest('hex');
    fs.writeFileSync(path.join(repoDir, 'blobs', blob), bytes);
    const link = path.join(snapshot, ...rel.split('/'));
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.rmSync(link, { force: true });
    fs.symlinkSync(path.relative(path.dirname(link), path.join(repoDir, 'blobs', blob)), link);
  }
  if (repo.ref !== null) {
    fs.mkdirSync(path.join(repoDir, 'refs'), { recursive: true });
    fs.writeFileSync(path.join(repoDir, 'refs', repo.ref ?? 'main'), commit);
  }
  return snapshot;
}
