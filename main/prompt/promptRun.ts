import fs from 'node:fs';
import path from 'node:path';
import type { PromptFeature, PromptSideResult } from '../../preload/api';
import type { DeviceChoice } from '../engine/executionProviders';
import { parseHook } from '../engine/hooks';
import { requireFiniteOutputs } from '../engine/finiteOutputs';
import { runModel, runSae } from '../engine/runner';
import { WorkbenchError } from '../errors';
import { loadModel } from '../formats/models/registry';
import type { SaeWeights } from '../formats/sae';
import { loadSae } from '../formats/saeLoader';
import type { Tensor32 } from '../formats/tensor';
import type { TransformerWeights } from '../formats/transformer';
import { loadTokenizer, type WorkbenchTokenizer } from '../tokenize/tokenizer';
import { trackedActivations } from './trackedFeatures';

const DEFAULT_TOP_FEATURES = 8;

interface LoadedModel {
  weights: TransformerWeights;
  tokenizer: WorkbenchTokenizer;
}

/**
 * Labels are the user's (the app database, added by the api layer), never read from files next to
 * the SAE: the demo's feature_labels.json names the planted feature the demo teaches one to find.
 */
interface LoadedSae {
  weights: SaeWeights;
}

/** What changes when any file of a folder is replaced or rewritten in place: names, sizes, mtimes. */
function folderFingerprint(dir: string): string {
  const parts: string[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    try {
      const st = fs.statSync(path.join(dir, name));
      parts.push(`${name}:${st.size}:${st.mtimeMs}:${st.ino}`);
    } catch {
      parts.push(`${name}:missing`);
    }
  }
  return parts.join('|');
}

/**
 * Per-process caches (the interactive worker keeps them between requests) keyed by directory and
 * the fingerprint of its files: loading a model reads every weight, so repeated prompts reuse
 * it, and a folder whose files were replaced or rewritten is reloaded. Small LRU bounds.
 */
class DirectoryCache<T> {
  private readonly entries = new Map<string, T>();
  constructor(private readonly limit: number) {}

  get(dir: string, load: () => T): T {
    const key = `${dir}|${folderFingerprint(dir)}`;
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    for (const k of this.entries.keys()) if (k.startsWith(`${dir}|`)) this.entries.delete(k);
    const value = load();
    this.entries.set(key, value);
    while (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value as string);
    return value;
  }
}

const models = new DirectoryCache<LoadedModel>(4);
const saes = new DirectoryCache<LoadedSae>(8);

function requireDirectory(dir: string, what: 'model' | 'SAE'): string {
  const resolved = path.resolve(dir);
  let ok = false;
  try {
    ok = fs.statSync(resolved).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new WorkbenchError(
      what === 'model' ? 'MODEL_NOT_FOUND' : 'SAE_NOT_FOUND',
      `The ${what} folder ${resolved} does not exist.`,
      'Pick another one in the Prompt view, or rescan the Library if files were moved.',
    );
  }
  return resolved;
}

export function loadPromptModel(dir: string): LoadedModel {
  const resolved = requireDirectory(dir, 'model');
  return models.get(resolved, () => {
    const weights = loadModel(resolved);
    const tokenizer = loadTokenizer(resolved, { prependBos: weights.config.prependBos, bosTokenId: weights.config.bosTokenId, eosTokenId: weights.config.eosTokenId });
    return { weights, tokenizer };
  });
}

export function loadPromptSae(dir: string): LoadedSae {
  const resolved = requireDirectory(dir, 'SAE');
  return saes.get(resolved, () => ({ weights: loadSae(resolved) }));
}

export interface PromptSideRequest {
  modelPath: string;
  saePath: string;
  /** Features whose activation is wanted at every token. */
  features?: number[];
}

/** One side as the engine computes it; the api layer adds the Library's names and pairing warnings. */
export type PromptSideRun = Omit<PromptSideResult, 'modelLabel' | 'saeLabel' | 'warnings'>;
export interface PromptRun {
  sides: PromptSideRun[];
  elapsedMs: number;
}

/**
 * The Prompt view's work for one text: per side, tokenize with the model's tokenizer, run the
 * model to its SAE's hook (ONNX engine), encode with the SAE, and keep each token's strongest
 * features. Callable from a request handler (short texts) or, later, a job.
 */
export async function runPrompt(request: { text: string; sides: PromptSideRequest[]; topFeatures?: number; device?: DeviceChoice }): Promise<PromptRun> {
  const started = Date.now();
  const sides: PromptSideRun[] = [];
  for (const side of request.sides) sides.push(await runSide(request.text, side, request.topFeatures ?? DEFAULT_TOP_FEATURES, request.device ?? 'auto'));
  return { sides, elapsedMs: Date.now() - started };
}

async function runSide(text: string, side: PromptSideRequest, topFeatures: number, device: DeviceChoice): Promise<PromptSideRun> {
  const model = loadPromptModel(side.modelPath);
  const sae = loadPromptSae(side.saePath);
  const mc = model.weights.config;
  const sc = sae.weights.config;
  if (sc.dIn !== mc.dModel) {
    throw new WorkbenchError(
      'SAE_MODEL_MISMATCH',
      `The SAE ${side.saePath} reads ${sc.dIn}-wide activations but the model ${mc.name} has d_model ${mc.dModel}.`,
      'Pick an SAE trained on this model.',
    );
  }
  try {
    parseHook(sc.hookName, mc.nLayers);
  } catch (err) {
    throw new WorkbenchError(
      'SAE_HOOK_UNSUPPORTED',
      `The SAE ${side.saePath} reads hook "${sc.hookName}", which the model ${mc.name} (${mc.nLayers} layers) cannot provide: ${(err as Error).message}`,
      'Pick an SAE on a residual, attention-output or MLP-output hook of this model.',
    );
  }
  const all = model.tokenizer.encode(text);
  if (all.length === 0) throw new WorkbenchError('PROMPT_EMPTY', 'The text has no tokens.', 'Type some text.');
  const tokens = all.slice(0, mc.nCtx);
  const run = await runModel(model.weights, [tokens], [sc.hookName], { device });
  const acts: Tensor32 = run.hooks[sc.hookName][0];
  // NaN here would show as "no features" (NaN > 0 is false): say what happened instead.
  requireFiniteOutputs({ [sc.hookName]: acts }, `${mc.name} on this text`);
  const k = sc.architecture === 'topk' && sc.k !== null ? sc.k : topFeatures;
  const encoded = await runSae(sae.weights, acts, ['feature_indices', 'feature_values'], { device, sparseK: k });
  requireFiniteOutputs({ feature_values: encoded.outputs.feature_values }, `the SAE ${side.saePath} on this text`);
  const idx = encoded.outputs.feature_indices!.data as BigInt64Array;
  const vals = encoded.outputs.feature_values!.data as Float32Array;
  const width = encoded.outputs.feature_values!.shape[1];
  const strings = model.tokenizer.tokenStrings(tokens);
  let maxActivation = 0;
  const out = tokens.map((id, position) => {
    const features: PromptFeature[] = [];
    for (let j = 0; j < width; j++) {
      const activation = vals[position * width + j];
      if (!(activation > 0)) continue;
      const feature = Number(idx[position * width + j]);
      features.push({ feature, activation, label: null });
    }
    features.sort((a, b) => b.activation - a.activation);
    if (features.length > 0) maxActivation = Math.max(maxActivation, features[0].activation);
    return { position, id, text: strings[position], bos: position === 0 && model.tokenizer.prependBos && id === model.tokenizer.bosTokenId, features: features.slice(0, topFeatures) };
  });
  const wanted = [...new Set(side.features ?? [])];
  const outOfRange = wanted.find((f) => f >= sc.dSae);
  if (outOfRange !== undefined) throw new WorkbenchError('PROMPT_FEATURE_RANGE', `Feature ${outOfRange} does not exist in the SAE ${side.saePath} (d_sae ${sc.dSae}).`, `Choose a feature from 0 to ${sc.dSae - 1}.`);
  const tracked = wanted.length ? await trackedActivations(sae.weights, acts, { indices: idx, values: vals, width }, wanted, device) : [];
  return {
    modelPath: side.modelPath,
    modelName: mc.name,
    saePath: side.saePath,
    hookName: sc.hookName,
    dSae: sc.dSae,
    tokens: out,
    maxActivation,
    truncatedTokens: all.length - tokens.length,
    executionProvider: encoded.report.running,
    tracked,
  };
}
