/**
 * A BatchTopK crosscoder folder (issue 19): ONE dictionary over the paired activations of two
 * models at one hook each. Files:
 *  - cfg.json: "architecture": "batchtopk_crosscoder", d_in, d_sae, k, hook_name_a, hook_name_b,
 *    model_a, model_b, dataset_path, context_size, norm_scale_a, norm_scale_b (+ prepend_bos,
 *    format_version, trained_with and held-out metrics);
 *  - crosscoder_weights.safetensors: exactly W_enc [2, d_in, d_sae], b_enc [d_sae],
 *    W_dec [2, d_sae, d_in], b_dec [2, d_in], threshold [d_sae] (index 0 = model A, 1 = model B;
 *    the weights act on normalised inputs x_m / norm_scale_m);
 *  - README.md: the encoding below, in words a reader of the folder needs.
 * Encoding, exactly:
 *   pre = (x_A / s_A) @ W_enc[0] + (x_B / s_B) @ W_enc[1] + b_enc;  f = relu(pre);
 *   a_j = f_j where f_j * (||W_dec[0][j]|| + ||W_dec[1][j]||) > threshold_j, else 0;
 *   x_hat_m = s_m * (a @ W_dec[m] + b_dec[m]).
 * Every field and tensor is checked on load: a wrong shape, NaN weights, a missing key or a cfg
 * of another format version fail with a WorkbenchError naming the file, the field and the fix.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WorkbenchError } from '../errors';
import { requireFiniteWeights } from './finiteValues';
import { readTextFile } from './openedFile';
import { readSafetensors, toFloat32, writeSafetensors } from './safetensors';
import { rowNorms, type Tensor32 } from './tensor';

export const CROSSCODER_ARCHITECTURE = 'batchtopk_crosscoder';
export const CROSSCODER_CFG_FILE = 'cfg.json';
export const CROSSCODER_WEIGHTS_FILE = 'crosscoder_weights.safetensors';
export const CROSSCODER_README_FILE = 'README.md';
/** The cfg layout this code writes and reads; a folder of a newer one is refused, not guessed at. */
export const CROSSCODER_FORMAT_VERSION = 1;
/** Model index 0 and 1 in every [2, ...] tensor. */
export const CROSSCODER_MODELS = ['a', 'b'] as const;
export type CrosscoderModel = (typeof CROSSCODER_MODELS)[number];

export interface CrosscoderConfig {
  dIn: number;
  dSae: number;
  k: number;
  hookNameA: string;
  hookNameB: string;
  /** The models' names (their config names, as sae_lens' model_name). */
  modelA: string;
  modelB: string;
  datasetPath: string | null;
  contextSize: number;
  /** s_m: inputs are divided by it so that E||x_m / s_m||^2 = d_in on the training data. */
  normScaleA: number;
  normScaleB: number;
  prependBos: boolean | null;
  formatVersion: number;
  /** Everything cfg.json holds, untouched. */
  raw: Record<string, unknown>;
}

export interface CrosscoderWeights {
  config: CrosscoderConfig;
  /** [2, d_in, d_sae] */
  W_enc: Tensor32;
  /** [d_sae] */
  b_enc: Tensor32;
  /** [2, d_sae, d_in] */
  W_dec: Tensor32;
  /** [2, d_in] */
  b_dec: Tensor32;
  /** [d_sae], compared with f_j * (||W_dec[0][j]|| + ||W_dec[1][j]||). */
  threshold: Tensor32;
}

/** The tensors of crosscoder_weights.safetensors and their shapes, in file order. */
export function crosscoderTensorShapes(dIn: number, dSae: number): Record<'W_enc' | 'b_enc' | 'W_dec' | 'b_dec' | 'threshold', number[]> {
  return { W_enc: [2, dIn, dSae], b_enc: [dSae], W_dec: [2, dSae, dIn], b_dec: [2, dIn], threshold: [dSae] };
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** cfg.json names this architecture (cheap test for the Library and `inspect`). */
export function isCrosscoderCfg(cfg: unknown): boolean {
  return isObject(cfg) && cfg.architecture === CROSSCODER_ARCHITECTURE;
}

/** A folder holds a crosscoder: its cfg.json says so, or (cfg damaged) the weights file is there. */
export function looksLikeCrosscoderFolder(dir: string): boolean {
  if (existsSync(path.join(dir, CROSSCODER_WEIGHTS_FILE))) return true;
  try {
    return isCrosscoderCfg(JSON.parse(readTextFile(path.join(dir, CROSSCODER_CFG_FILE), 1 << 20)));
  } catch {
    return false;
  }
}

const HINT = 'The crosscoder folder is damaged or was written by another tool: train it again with `sae-workbench crosscoder`, or fix cfg.json by its README.md.';

export function parseCrosscoderConfig(raw: unknown, file: string): CrosscoderConfig {
  if (!isObject(raw)) throw new WorkbenchError('CROSSCODER_CONFIG_INVALID', `${file}: is not a JSON object.`, HINT);
  const fail = (field: string, expected: string): never => {
    const v = raw[field];
    throw new WorkbenchError('CROSSCODER_CONFIG_INVALID', `${file}: field "${field}" is ${v === undefined ? 'missing' : JSON.stringify(v)}; expected ${expected}.`, HINT);
  };
  if (raw.architecture !== CROSSCODER_ARCHITECTURE) {
    throw new WorkbenchError(
      'CROSSCODER_CONFIG_INVALID',
      `${file}: architecture is ${JSON.stringify(raw.architecture)}, not "${CROSSCODER_ARCHITECTURE}".`,
      'This folder is not a crosscoder: an SAE folder opens with --sae (sae_weights.safetensors); a crosscoder folder holds crosscoder_weights.safetensors.',
    );
  }
  const version = raw.format_version ?? CROSSCODER_FORMAT_VERSION;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) fail('format_version', 'a positive integer');
  if ((version as number) > CROSSCODER_FORMAT_VERSION) {
    throw new WorkbenchError('CROSSCODER_CONFIG_VERSION', `${file}: format_version ${version} is newer than this app reads (${CROSSCODER_FORMAT_VERSION}).`, 'Update SAE Workbench to open this crosscoder.');
  }
  const positiveInt = (field: string): number => {
    const v = raw[field];
    return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : fail(field, 'a positive integer');
  };
  const text = (field: string): string => {
    const v = raw[field];
    return typeof v === 'string' && v.length > 0 ? v : fail(field, 'a non-empty string');
  };
  const scale = (field: string): number => {
    const v = raw[field];
    return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : fail(field, 'a finite number > 0 (the input is divided by it)');
  };
  const dIn = positiveInt('d_in');
  const dSae = positiveInt('d_sae');
  const k = positiveInt('k');
  if (k > dSae) fail('k', `at most d_sae (${dSae})`);
  const datasetPath = raw.dataset_path === undefined || raw.dataset_path === null ? null : text('dataset_path');
  const prependBos = typeof raw.prepend_bos === 'boolean' ? raw.prepend_bos : null;
  return {
    dIn,
    dSae,
    k,
    hookNameA: text('hook_name_a'),
    hookNameB: text('hook_name_b'),
    modelA: text('model_a'),
    modelB: text('model_b'),
    datasetPath,
    contextSize: positiveInt('context_size'),
    normScaleA: scale('norm_scale_a'),
    normScaleB: scale('norm_scale_b'),
    prependBos,
    formatVersion: version as number,
    raw,
  };
}

export function readCrosscoderConfig(dir: string): CrosscoderConfig {
  const file = path.join(dir, CROSSCODER_CFG_FILE);
  if (!existsSync(file)) throw new WorkbenchError('CROSSCODER_CONFIG_MISSING', `${dir}: has no ${CROSSCODER_CFG_FILE}.`, 'Choose the folder `sae-workbench crosscoder` wrote (the one holding cfg.json and crosscoder_weights.safetensors).');
  let raw: unknown;
  try {
    raw = JSON.parse(readTextFile(file, 1 << 20));
  } catch (err) {
    if (err instanceof WorkbenchError) throw err;
    throw new WorkbenchError('CROSSCODER_CONFIG_INVALID', `${file}: is not valid JSON (${(err as Error).message}).`, HINT);
  }
  return parseCrosscoderConfig(raw, file);
}

/** A crosscoder folder, every tensor checked against cfg.json (names, shapes, finiteness). */
export function loadCrosscoder(dir: string): CrosscoderWeights {
  const config = readCrosscoderConfig(dir);
  const file = path.join(dir, CROSSCODER_WEIGHTS_FILE);
  if (!existsSync(file)) throw new WorkbenchError('CROSSCODER_WEIGHTS_MISSING', `${dir}: has cfg.json but no ${CROSSCODER_WEIGHTS_FILE}.`, 'The folder is incomplete: copy it again, or train the crosscoder again.');
  const st = readSafetensors(file);
  const shapes = crosscoderTensorShapes(config.dIn, config.dSae);
  const extra = [...st.tensors.keys()].filter((n) => !(n in shapes));
  if (extra.length > 0) {
    throw new WorkbenchError('CROSSCODER_WEIGHTS_INVALID', `${file}: holds tensors a crosscoder does not have: ${extra.join(', ')} (expected exactly ${Object.keys(shapes).join(', ')}).`, HINT);
  }
  const get = (name: keyof typeof shapes): Tensor32 => {
    const want = shapes[name];
    if (!st.has(name)) throw new WorkbenchError('CROSSCODER_WEIGHTS_INVALID', `${file}: has no tensor "${name}" (needs [${want.join(', ')}] for d_in ${config.dIn}, d_sae ${config.dSae}).`, HINT);
    const t = st.get(name);
    if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
      throw new WorkbenchError('CROSSCODER_WEIGHTS_INVALID', `${file}: tensor "${name}" has shape [${t.shape.join(', ')}] but cfg.json (d_in ${config.dIn}, d_sae ${config.dSae}) needs [${want.join(', ')}].`, 'cfg.json and the weights belong to different crosscoders: train it again, or restore the matching cfg.json.');
    }
    return { data: toFloat32(t), shape: [...want] };
  };
  const weights = { config, W_enc: get('W_enc'), b_enc: get('b_enc'), W_dec: get('W_dec'), b_dec: get('b_dec'), threshold: get('threshold') };
  requireFiniteWeights(file, 'crosscoder');
  return weights;
}

/** ||W_dec[m][j]|| per latent for both models (float64): [A norms, B norms]. */
export function crosscoderDecoderNorms(cc: { W_dec: Tensor32; config: Pick<CrosscoderConfig, 'dIn' | 'dSae'> }): [Float64Array, Float64Array] {
  const { dIn, dSae } = cc.config;
  const n = dSae * dIn;
  return [rowNorms(cc.W_dec.data.subarray(0, n), dSae, dIn), rowNorms(cc.W_dec.data.subarray(n, 2 * n), dSae, dIn)];
}

/** The folder's README.md: what it is and the exact encoding. */
export function crosscoderReadme(cfg: Pick<CrosscoderConfig, 'dIn' | 'dSae' | 'k' | 'hookNameA' | 'hookNameB' | 'modelA' | 'modelB' | 'normScaleA' | 'normScaleB'>): string {
  return `# BatchTopK crosscoder

One dictionary of ${cfg.dSae} latents over the paired activations of two models at the same token
positions: model A = ${cfg.modelA} at \`${cfg.hookNameA}\`, model B = ${cfg.modelB} at
\`${cfg.hookNameB}\` (d_in ${cfg.dIn} each). Written by SAE Workbench (\`sae-workbench crosscoder\`).

## Files

- \`cfg.json\`: \`architecture\` = "${CROSSCODER_ARCHITECTURE}", \`d_in\`, \`d_sae\`, \`k\`, \`hook_name_a\`,
  \`hook_name_b\`, \`model_a\`, \`model_b\`, \`dataset_path\`, \`context_size\`, \`norm_scale_a\`,
  \`norm_scale_b\` (and \`prepend_bos\`, \`format_version\`, training facts).
- \`crosscoder_weights.safetensors\` (float32), exactly: \`W_enc\` [2, d_in, d_sae], \`b_enc\` [d_sae],
  \`W_dec\` [2, d_sae, d_in], \`b_dec\` [2, d_in], \`threshold\` [d_sae]. Index 0 is model A, 1 is
  model B. The weights act on normalised inputs.

## Encoding (exactly)

With s_A = norm_scale_a (${cfg.normScaleA}) and s_B = norm_scale_b (${cfg.normScaleB}), for one token
with activations x_A (model A) and x_B (model B):

    pre = (x_A / s_A) @ W_enc[0] + (x_B / s_B) @ W_enc[1] + b_enc
    f   = relu(pre)
    a_j = f_j  if  f_j * (||W_dec[0][j]|| + ||W_dec[1][j]||) > threshold_j,  else 0
    x_hat_m = s_m * (a @ W_dec[m] + b_dec[m])      for m = A (0), B (1)

The scales make E||x_m / s_m||^2 = d_in on the training data. The threshold is the running
estimate, learned in training, of the batch's k-th selected value of f_j * (||W_dec[0][j]|| +
||W_dec[1][j]||) (BatchTopK selects the k x batch largest of those), so the saved crosscoder
encodes each token on its own (JumpReLU-style), about k latents per token on average.

## Reading the decoders

Relative decoder norm per latent: delta_norm = 0.5 * ((||W_dec[1][j]|| - ||W_dec[0][j]||) /
max(||W_dec[0][j]||, ||W_dec[1][j]||) + 1): near 0 the latent writes only into A, near 1 only into
B, near 0.5 into both (bands: A-only <= 0.1, shared 0.4-0.6, B-only >= 0.9).
`;
}

/** What cfg.json holds, in its field names: the config plus `extra` (training facts), format fields last. */
export function crosscoderCfgJson(c: Omit<CrosscoderConfig, 'raw' | 'formatVersion'>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    architecture: CROSSCODER_ARCHITECTURE,
    d_in: c.dIn,
    d_sae: c.dSae,
    k: c.k,
    hook_name_a: c.hookNameA,
    hook_name_b: c.hookNameB,
    model_a: c.modelA,
    model_b: c.modelB,
    dataset_path: c.datasetPath,
    context_size: c.contextSize,
    norm_scale_a: c.normScaleA,
    norm_scale_b: c.normScaleB,
    prepend_bos: c.prependBos,
    dtype: 'float32',
    format_version: CROSSCODER_FORMAT_VERSION,
    ...extra,
  };
}

/**
 * cfg.json, crosscoder_weights.safetensors and README.md into `dir` (which must exist). The
 * caller writes through the output rule (a staging folder), cfg.json last marks it complete.
 */
export function writeCrosscoderFiles(dir: string, w: Omit<CrosscoderWeights, 'config'> & { config: Omit<CrosscoderConfig, 'raw' | 'formatVersion'> }, extra: Record<string, unknown> = {}): void {
  const { dIn, dSae } = w.config;
  const shapes = crosscoderTensorShapes(dIn, dSae);
  const tensor = (name: keyof typeof shapes, t: Tensor32) => {
    const n = shapes[name].reduce((a, b) => a * b, 1);
    if (t.data.length !== n) throw new Error(`writeCrosscoderFiles: ${name} has ${t.data.length} values, [${shapes[name].join(', ')}] needs ${n}`);
    return { dtype: 'F32' as const, shape: shapes[name], data: t.data };
  };
  writeSafetensors(path.join(dir, CROSSCODER_WEIGHTS_FILE), {
    W_enc: tensor('W_enc', w.W_enc),
    b_enc: tensor('b_enc', w.b_enc),
    W_dec: tensor('W_dec', w.W_dec),
    b_dec: tensor('b_dec', w.b_dec),
    threshold: tensor('threshold', w.threshold),
  });
  writeFileSync(path.join(dir, CROSSCODER_README_FILE), crosscoderReadme(w.config));
  writeFileSync(path.join(dir, CROSSCODER_CFG_FILE), `${JSON.stringify(crosscoderCfgJson(w.config, extra), null, 2)}\n`);
}
