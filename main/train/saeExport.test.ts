import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSae } from '../engine/runner';
import { loadSae, readSaeSparsity } from '../formats/saeLoader';
import { readSafetensors } from '../formats/safetensors';
import { SeededRandom } from '../random/seededRandom';
import { makeTempDir } from '../testing/tempDirs';
import { decoderRowNorms, initSaeParams, PARAM_NAMES, type SaeTensors } from './saeParams';
import { planOutput } from '../outputs/outputPath';
import { expectedAverageScale } from './inputStatistics';
import { saeLensConfig, writeSaeLensFiles, writeSaeLensFolders, type SaeExport } from './saeExport';
import { saeFoldersOutput } from './trainOutput';

const tmp = makeTempDir('sae-export');
afterAll(tmp.cleanup);
const shape = { dIn: 12, dSae: 40 };

function trainedParams(seed: number): SaeTensors {
  const p = initSaeParams(shape, seed);
  const rng = new SeededRandom(seed);
  // Decoder rows far from unit norm, so the folding is exercised.
  for (const n of PARAM_NAMES) p[n] = p[n].map((v) => v * (n === 'W_dec' ? 3 + rng.next() * 5 : 1) + rng.normal() * 0.05);
  return p;
}

function exported(params: SaeTensors, activation: 'topk' | 'batchtopk'): SaeExport {
  return {
    shape,
    params,
    activation,
    k: 5,
    threshold: 0.04,
    inputScale: 1,
    hookName: 'blocks.1.hook_resid_post',
    modelName: 'tiny',
    contextSize: 32,
    prependBos: true,
    datasetPath: '/data/x.jsonl',
    finalL0: 4.5,
    sparsity: Float32Array.from({ length: shape.dSae }, (_, j) => -1 - j / 10),
    metadata: { training_tokens: 1000 },
    trainingConfig: { lr: 1e-3 },
  };
}

/**
 * sae_lens' training-time TopK encode (decoder-norm rescaling on), float64, from the training
 * layout, of inputs scaled by `scale` (normalize_activations) as training feeds them.
 */
function trainingEncode(p: SaeTensors, x: Float32Array, n: number, k: number, scale = 1): Float64Array {
  const norms = decoderRowNorms(p.W_dec, shape);
  const out = new Float64Array(n * shape.dSae);
  for (let r = 0; r < n; r++) {
    const hp = Array.from({ length: shape.dSae }, (_, j) => {
      let s = p.b_enc[j];
      for (let i = 0; i < shape.dIn; i++) s += (x[r * shape.dIn + i] * scale - p.b_dec[i]) * p.W_encT[j * shape.dIn + i];
      return s * norms[j];
    });
    const order = hp.map((_, j) => j).sort((a, b) => hp[b] - hp[a]);
    for (const j of order.slice(0, k)) out[r * shape.dSae + j] = Math.max(0, hp[j]);
  }
  return out;
}

/** The training-time decode of `acts` (rescaled acts / n through W_dec, + b_dec), then unscaled as sae_lens' run_time_activation_norm_fn_out. */
function trainingDecode(p: SaeTensors, acts: Float64Array, n: number, scale = 1): Float64Array {
  const norms = decoderRowNorms(p.W_dec, shape);
  const out = new Float64Array(n * shape.dIn);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < shape.dIn; i++) {
      let v = p.b_dec[i];
      for (let j = 0; j < shape.dSae; j++) v += (acts[r * shape.dSae + j] / norms[j]) * p.W_dec[j * shape.dIn + i];
      out[r * shape.dIn + i] = v / scale;
    }
  }
  return out;
}

describe('sae_lens export', () => {
  it('writes exactly the files and keys sae_lens loads, and loadSae encodes as training did', async () => {
    const dir = path.join(tmp.dir, 'topk', 'blocks.1.hook_resid_post');
    const params = trainedParams(3);
    writeSaeLensFiles(dir, exported(params, 'topk'));
    expect(fs.readdirSync(dir).sort()).toEqual(['cfg.json', 'sae_weights.safetensors', 'sparsity.safetensors', 'training_config.json']);
    const weights = readSafetensors(path.join(dir, 'sae_weights.safetensors'));
    expect([...weights.tensors.keys()].sort()).toEqual(['W_dec', 'W_enc', 'b_dec', 'b_enc']);
    expect(weights.get('W_enc').shape).toEqual([12, 40]);
    expect(weights.get('W_dec').shape).toEqual([40, 12]);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'cfg.json'), 'utf8'));
    expect(cfg).toMatchObject({ architecture: 'topk', d_in: 12, d_sae: 40, k: 5, dtype: 'float32', apply_b_dec_to_input: true, normalize_activations: 'none', rescale_acts_by_decoder_norm: true });
    expect(cfg.metadata).toMatchObject({ hook_name: 'blocks.1.hook_resid_post', model_name: 'tiny', context_size: 32, prepend_bos: true, dataset_path: '/data/x.jsonl', final_l0: 4.5 });
    // sae_lens tells a v6 cfg (nested metadata) from an older flat one by this key; without it the metadata is dropped on load.
    expect(cfg.metadata.sae_lens_version).toMatch(/^6\.\d+\.\d+$/);
    expect(Array.from(readSaeSparsity(dir, 40)!)).toEqual(Array.from(Float32Array.from({ length: 40 }, (_, j) => -1 - j / 10)));

    const sae = loadSae(dir);
    // Folded: every decoder row has unit norm.
    for (const n of decoderRowNorms(sae.W_dec.data, shape)) expect(n).toBeCloseTo(1, 5);
    const rng = new SeededRandom(9);
    const n = 50;
    const x = Float32Array.from({ length: n * 12 }, () => rng.normal());
    const acts = (await runSae(sae, { data: x, shape: [n, 12] }, ['feature_acts'], { device: 'cpu' })).outputs.feature_acts!.data as Float32Array;
    const want = trainingEncode(params, x, n, 5);
    let worst = 0;
    for (let i = 0; i < want.length; i++) {
      expect(acts[i] > 0, `latent ${i % 40} of row ${Math.floor(i / 40)} fires in one encode only`).toBe(want[i] > 0);
      worst = Math.max(worst, Math.abs(acts[i] - want[i]) / (1 + Math.abs(want[i])));
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it('folds the expected_average_only_in scale as sae_lens does: cfg says "none", and encode on RAW inputs equals training on scaled ones', async () => {
    const dir = path.join(tmp.dir, 'normalized', 'blocks.1.hook_resid_post');
    const rng = new SeededRandom(21);
    const n = 40;
    // Activations far from unit size (as a real residual stream), so the scale matters.
    const x = Float32Array.from({ length: n * 12 }, () => 30 + rng.normal() * 40);
    const scale = expectedAverageScale(x, 12);
    expect(scale).toBeLessThan(0.1);
    const params = trainedParams(7);
    writeSaeLensFiles(dir, { ...exported(params, 'topk'), inputScale: scale, metadata: { activation_norm_scaling_factor: scale } });
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'cfg.json'), 'utf8'));
    // sae_lens' fold_activation_norm_scaling_factor sets normalize_activations to "none": the weights take raw activations.
    expect(cfg.normalize_activations).toBe('none');
    expect(cfg.metadata.activation_norm_scaling_factor).toBe(scale);

    const sae = loadSae(dir);
    expect(sae.config.normalizeActivations).toBe('none');
    const run = await runSae(sae, { data: x, shape: [n, 12] }, ['feature_acts', 'sae_out'], { device: 'cpu' });
    const acts = run.outputs.feature_acts!.data as Float32Array;
    const out = run.outputs.sae_out!.data as Float32Array;
    const trained = trainingEncode(params, x, n, 5, scale);
    const recon = trainingDecode(params, trained, n, scale);
    let worstAct = 0;
    let worstOut = 0;
    for (let i = 0; i < trained.length; i++) {
      expect(acts[i] > 0, `latent ${i % 40} of row ${Math.floor(i / 40)} fires in one encode only`).toBe(trained[i] > 0);
      // Feature acts come out in raw units: the training ones / scale.
      worstAct = Math.max(worstAct, Math.abs(acts[i] - trained[i] / scale) / (1 + Math.abs(trained[i] / scale)));
    }
    for (let i = 0; i < recon.length; i++) worstOut = Math.max(worstOut, Math.abs(out[i] - recon[i]) / (1 + Math.abs(recon[i])));
    expect(worstAct).toBeLessThan(1e-4);
    expect(worstOut).toBeLessThan(1e-4);

    // BatchTopK (saved as JumpReLU): the threshold lives on scaled pre-activations, so it is divided too.
    const jdir = path.join(tmp.dir, 'normalized-batchtopk', 'blocks.1.hook_resid_post');
    writeSaeLensFiles(jdir, { ...exported(params, 'batchtopk'), inputScale: scale });
    expect(loadSae(jdir).threshold!.data[0]).toBeCloseTo(0.04 / scale, 3);
  });

  it('saves BatchTopK as JumpReLU with the learned threshold and no k', () => {
    const dir = path.join(tmp.dir, 'batchtopk', 'blocks.1.hook_resid_post');
    const e = exported(trainedParams(4), 'batchtopk');
    writeSaeLensFiles(dir, e);
    const cfg = saeLensConfig(e);
    expect(cfg.architecture).toBe('jumprelu');
    expect(cfg).not.toHaveProperty('k');
    const sae = loadSae(dir);
    expect(sae.config.architecture).toBe('jumprelu');
    expect(Array.from(sae.threshold!.data)).toEqual(new Array(40).fill(Math.fround(0.04)));
    expect([...readSafetensors(path.join(dir, 'sae_weights.safetensors')).tensors.keys()].sort()).toEqual(['W_dec', 'W_enc', 'b_dec', 'b_enc', 'threshold']);
  });

  it('into an output folder: keeps what else is there, replaces an SAE only when asked, and only its files', () => {
    const out = path.join(tmp.dir, 'user-folder');
    const hookDir = path.join(out, 'blocks.1.hook_resid_post');
    fs.mkdirSync(path.join(hookDir, 'notes'), { recursive: true });
    fs.writeFileSync(path.join(hookDir, 'notes', 'thesis.txt'), 'years of work');
    const rule = { origin: { surface: 'cli' as const, cwd: tmp.dir }, option: '--out' };
    const sources = { model: path.join(tmp.dir, 'model'), dataset: path.join(tmp.dir, 'data.jsonl'), hooks: ['blocks.1.hook_resid_post'] };
    expect(writeSaeLensFolders(planOutput(saeFoldersOutput(sources, out, { ...rule, overwrite: false })), [exported(trainedParams(5), 'topk')])).toEqual([hookDir]);
    expect(fs.readdirSync(hookDir).sort()).toEqual(['cfg.json', 'notes', 'sae_weights.safetensors', 'sparsity.safetensors', 'training_config.json']);
    // A second export onto that SAE is refused without overwrite, and replaces only its files with it.
    expect(() => planOutput(saeFoldersOutput(sources, out, { ...rule, overwrite: false }))).toThrow(/4 files it would write exist .*; nothing was changed/);
    const before = fs.readFileSync(path.join(hookDir, 'sae_weights.safetensors'));
    writeSaeLensFolders(planOutput(saeFoldersOutput(sources, out, { ...rule, overwrite: true })), [exported(trainedParams(6), 'topk')]);
    expect(fs.readFileSync(path.join(hookDir, 'sae_weights.safetensors')).equals(before)).toBe(false);
    expect(fs.readFileSync(path.join(hookDir, 'notes', 'thesis.txt'), 'utf8')).toBe('years of work');
    expect(fs.readdirSync(hookDir).sort()).toEqual(['cfg.json', 'notes', 'sae_weights.safetensors', 'sparsity.safetensors', 'training_config.json']);
    expect(fs.readdirSync(out)).toEqual(['blocks.1.hook_resid_post']);
  });
});
