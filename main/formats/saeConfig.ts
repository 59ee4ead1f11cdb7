/**
 * sae_lens cfg.json, every generation, normalised to the canonical SaeConfig (DESIGN.md section 5).
 *
 * Generations seen in the wild:
 *  - v6: sae_lens_version >= 6 or a nested `metadata` (or `meta`) object holding hook_name,
 *    model_name, context_size, prepend_bos...; `k` at the top for TopK; rescale_acts_by_decoder_norm.
 *  - v4-v5 flat: architecture "topk" (k in activation_fn_kwargs), or "standard" with
 *    activation_fn_str "topk"; "jumprelu"; hook_name + hook_layer.
 *  - older flat: hook_point / hook_point_layer, no architecture (standard ReLU), and
 *    normalize_activations as a boolean (true meant expected_average_only_in).
 * Defaults follow sae_lens's own pre-6.0 upgrade path (apply_b_dec_to_input and prepend_bos true).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WorkbenchError } from '../errors';
import { readTextFile } from './openedFile';
import type { SaeArchitecture, SaeConfig, SaeNormalization } from './sae';

export const SAE_CFG_FILE = 'cfg.json';
export const SAE_WEIGHTS_FILE = 'sae_weights.safetensors';
export const SAE_SPARSITY_FILE = 'sparsity.safetensors';
/** Written by sae_lens training checkpoints before the norm scaling factor is folded in. */
export const SAE_ACTIVATION_SCALER_FILE = 'activation_scaler.json';

const NORMALIZATIONS: readonly SaeNormalization[] = ['none', 'constant_norm_rescale', 'layer_norm', 'expected_average_only_in'];
const DTYPES = ['float32', 'float64', 'float16', 'bfloat16'];
export const SUPPORTED_SAE_ARCHITECTURES = 'topk, standard (ReLU, or activation_fn "topk"), jumprelu';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

class CfgReader {
  constructor(
    readonly file: string,
    readonly top: Json,
    readonly meta: Json | null,
  ) {}

  fail(field: string, value: unknown, expected: string): never {
    throw new WorkbenchError(
      'SAE_CONFIG_INVALID',
      `${this.file}: field "${field}" is ${value === undefined ? 'missing' : JSON.stringify(value)}; expected ${expected}.`,
      'The SAE config is damaged or from an unsupported tool; compare it with a sae_lens cfg.json, or re-export the SAE with sae_lens.',
    );
  }

  /** Metadata first (v6 keeps run facts there), then the top level (flat generations). */
  pick(...names: string[]): { name: string; value: unknown } | null {
    for (const n of names) {
      if (this.meta && this.meta[n] !== undefined && this.meta[n] !== null) return { name: n, value: this.meta[n] };
      if (this.top[n] !== undefined && this.top[n] !== null) return { name: n, value: this.top[n] };
    }
    return null;
  }

  positiveInt(name: string): number {
    const v = this.top[name];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) this.fail(name, v, 'a positive integer');
    return v;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.top[name];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(name, v, 'true or false');
    return v;
  }

  optionalString(...names: string[]): string | null {
    const p = this.pick(...names);
    if (!p) return null;
    if (typeof p.value !== 'string') this.fail(p.name, p.value, 'a string');
    return p.value;
  }
}

function majorVersion(v: unknown): number | null {
  if (typeof v !== 'string') return null;
  const m = /^v?(\d+)\./.exec(v.trim());
  return m ? Number(m[1]) : null;
}

function generationOf(top: Json, meta: Json | null): { generation: string; v6: boolean } {
  const version = majorVersion(top.sae_lens_version) ?? majorVersion(meta?.sae_lens_version) ?? majorVersion(top.sae_lens_training_version) ?? majorVersion(meta?.sae_lens_training_version);
  if (meta || (version !== null && version >= 6)) return { generation: version !== null && version >= 6 ? `v${version}` : 'v6', v6: true };
  if (version !== null) return { generation: `v${version}`, v6: false };
  return { generation: 'architecture' in top ? 'v4-v5' : 'pre-v4', v6: false };
}

function architectureOf(r: CfgReader, v6: boolean): { architecture: SaeArchitecture; k: number | null } {
  const arch = r.top.architecture ?? 'standard';
  const actField = 'activation_fn_str' in r.top ? 'activation_fn_str' : 'activation_fn';
  const act = r.top[actField] ?? 'relu';
  const dSae = r.positiveInt('d_sae');
  const readK = (): number => {
    const fromTop = r.top.k;
    const kwargs = r.top.activation_fn_kwargs;
    const fromKwargs = isObject(kwargs) ? kwargs.k : undefined;
    const [field, k] = v6 && fromTop !== undefined ? ['k', fromTop] : fromKwargs !== undefined ? ['activation_fn_kwargs.k', fromKwargs] : ['k', fromTop];
    if (typeof k !== 'number' || !Number.isInteger(k) || k <= 0 || k > dSae) r.fail(field, k, `an integer k with 0 < k <= d_sae (${dSae})`);
    return k;
  };
  if (arch === 'topk') return { architecture: 'topk', k: readK() };
  if (arch === 'jumprelu') return { architecture: 'jumprelu', k: null };
  if (arch === 'standard') {
    if (act === 'topk') return { architecture: 'topk', k: readK() };
    if (act === 'relu') return { architecture: 'standard', k: null };
    r.fail(actField, act, '"relu" or "topk" (other activation functions are not supported)');
  }
  throw new WorkbenchError(
    'SAE_ARCHITECTURE_UNSUPPORTED',
    `${r.file}: architecture ${JSON.stringify(arch)} is not supported (supported: ${SUPPORTED_SAE_ARCHITECTURES}).`,
    'BatchTopK and Matryoshka SAEs load when saved by sae_lens (it saves them as jumprelu); gated SAEs and transcoders are not supported yet.',
  );
}

function normalizationOf(r: CfgReader): SaeNormalization {
  const v = r.top.normalize_activations;
  if (v === undefined || v === null || v === false) return 'none';
  // Before sae_lens 3 this was a boolean, and true meant today's expected_average_only_in.
  if (v === true) return 'expected_average_only_in';
  if (typeof v === 'string' && (NORMALIZATIONS as readonly string[]).includes(v)) return v as SaeNormalization;
  r.fail('normalize_activations', v, NORMALIZATIONS.map((n) => `"${n}"`).join(', '));
}

function dtypeOf(r: CfgReader): string {
  const v = r.top.dtype;
  if (v === undefined || v === null) return 'float32';
  const s = typeof v === 'string' ? v.replace(/^torch\./, '') : null;
  if (s === null || !DTYPES.includes(s)) r.fail('dtype', v, DTYPES.map((d) => `"${d}"`).join(', ') + ' (optionally with a "torch." prefix)');
  return s;
}

export function hookLayerOf(hookName: string): number | null {
  const m = /blocks\.(\d+)\./.exec(hookName);
  return m ? Number(m[1]) : null;
}

/**
 * Parse a cfg.json object. `scaler` is the content of activation_scaler.json, if the directory has
 * one (a checkpoint saved before the expected-average norm factor was folded into the weights).
 */
export function parseSaeConfig(json: unknown, file = SAE_CFG_FILE, scaler?: unknown): SaeConfig {
  if (!isObject(json)) {
    throw new WorkbenchError('SAE_CONFIG_INVALID', `${file}: is ${Array.isArray(json) ? 'an array' : JSON.stringify(json)}, not a JSON object.`, 'A sae_lens cfg.json is a JSON object with d_in, d_sae and hook_name; check that the right file was chosen.');
  }
  const metaRaw = json.metadata ?? json.meta;
  if (metaRaw !== undefined && metaRaw !== null && !isObject(metaRaw)) {
    new CfgReader(file, json, null).fail('metadata' in json ? 'metadata' : 'meta', metaRaw, 'an object');
  }
  const meta = isObject(metaRaw) ? metaRaw : null;
  const r: CfgReader = new CfgReader(file, json, meta);
  const { generation, v6 } = generationOf(json, meta);

  const dIn = r.positiveInt('d_in');
  const dSae = r.positiveInt('d_sae');
  const { architecture, k } = architectureOf(r, v6);
  const hook = r.pick('hook_name', 'hook_point');
  if (!hook || typeof hook.value !== 'string' || hook.value.length === 0) r.fail(hook?.name ?? 'hook_name', hook?.value, 'a TransformerLens hook name such as "blocks.6.hook_resid_post"');
  const hookName = hook.value as string;

  const contextPick = r.pick('context_size');
  if (contextPick && (typeof contextPick.value !== 'number' || !Number.isSafeInteger(contextPick.value) || contextPick.value <= 0)) r.fail('context_size', contextPick.value, 'a positive integer');
  const bosPick = r.pick('prepend_bos');
  if (bosPick && typeof bosPick.value !== 'boolean') r.fail('prepend_bos', bosPick.value, 'true or false');

  const normalizeActivations = normalizationOf(r);
  let inputScalingFactor: number | null = null;
  if (normalizeActivations === 'expected_average_only_in' && isObject(scaler) && scaler.scaling_factor !== null && scaler.scaling_factor !== undefined) {
    const f = scaler.scaling_factor;
    if (typeof f !== 'number' || !Number.isFinite(f) || f <= 0) {
      throw new WorkbenchError('SAE_CONFIG_INVALID', `${SAE_ACTIVATION_SCALER_FILE}: scaling_factor is ${JSON.stringify(f)}; expected a positive number.`, 'Delete the file if the factor was already folded into the weights, or fix the value.');
    }
    inputScalingFactor = f;
  }

  return {
    architecture,
    dIn,
    dSae,
    k,
    hookName,
    hookLayer: hookLayerOf(hookName),
    modelName: r.optionalString('model_name'),
    dtype: dtypeOf(r),
    applyBDecToInput: r.bool('apply_b_dec_to_input', true),
    normalizeActivations,
    rescaleActsByDecoderNorm: r.bool('rescale_acts_by_decoder_norm', false),
    contextSize: (contextPick?.value as number | undefined) ?? null,
    prependBos: (bosPick?.value as boolean | undefined) ?? (v6 ? null : true),
    inputScalingFactor,
    cfgGeneration: generation,
    raw: json,
  };
}

/** A cfg.json is a few KB; anything this large is not one (and is not read whole). */
const MAX_CONFIG_BYTES = 16 << 20;

function readJsonFile(file: string, code: string): unknown {
  const text = readTextFile(file, MAX_CONFIG_BYTES);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new WorkbenchError(code, `${file}: is not valid JSON (${(err as Error).message}).`, 'The file is damaged; re-download or re-export it.');
  }
}

/** Read <dir>/cfg.json (and activation_scaler.json when present). */
export function readSaeConfig(dir: string): SaeConfig {
  const cfgFile = join(dir, SAE_CFG_FILE);
  if (!existsSync(cfgFile)) {
    throw new WorkbenchError('SAE_CONFIG_MISSING', `${dir}: has no ${SAE_CFG_FILE}.`, 'A sae_lens SAE directory holds cfg.json and sae_weights.safetensors; choose that folder.');
  }
  const scalerFile = join(dir, SAE_ACTIVATION_SCALER_FILE);
  const scaler = existsSync(scalerFile) ? readJsonFile(scalerFile, 'SAE_CONFIG_INVALID') : undefined;
  return parseSaeConfig(readJsonFile(cfgFile, 'SAE_CONFIG_INVALID'), cfgFile, scaler);
}
