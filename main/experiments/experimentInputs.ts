/**
 * Loading what an experiment runs on, with the checks that belong before any work: the SAE reads
 * the model's width at a hook the model has, features exist, the tokenizer loads. Loaded models
 * and SAEs are cached per process by folder (a job runs one experiment; the CLI one command).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ExperimentInput } from '../../preload/api';
import { checkHookInModel, parseHook } from '../engine/hooks';
import { checkFeatures } from '../engine/saeLatentEdit';
import { WorkbenchError } from '../errors';
import { loadModel, readModelConfig } from '../formats/models/registry';
import type { SaeWeights } from '../formats/sae';
import { loadSae } from '../formats/saeLoader';
import { CROSSCODER_WEIGHTS_FILE, loadCrosscoder, looksLikeCrosscoderFolder, type CrosscoderWeights } from '../formats/crosscoder';
import { crosscoderDecoderView } from '../engine/crosscoderSae';
import { SAE_CFG_FILE, SAE_WEIGHTS_FILE } from '../formats/saeConfig';
import { identityLabel, saeLabelOfFolder } from '../library/identity';
import { identifyInput } from '../provenance/inputFiles';
import { TOKENIZER_CONFIG_FILE, TOKENIZER_FILE } from '../tokenize/tokenizer';
import type { TransformerWeights } from '../formats/transformer';
import { loadTokenizer, type WorkbenchTokenizer } from '../tokenize/tokenizer';

export interface ExperimentModel {
  dir: string;
  weights: TransformerWeights;
  tokenizer: WorkbenchTokenizer;
}

export interface ExperimentSae {
  dir: string;
  /** For a crosscoder: the chosen decoder as an SAE of that model (crosscoderDecoderView: decoder rows only). */
  weights: SaeWeights;
  /** Set when `dir` is a crosscoder: its weights and the side whose decoder `weights` holds. */
  crosscoder?: { weights: CrosscoderWeights; side: 0 | 1 };
}

const models = new Map<string, ExperimentModel>();
const saes = new Map<string, ExperimentSae>();

export function loadExperimentModel(dir: string): ExperimentModel {
  const resolved = path.resolve(dir);
  let hit = models.get(resolved);
  if (!hit) {
    const weights = loadModel(resolved);
    const tokenizer = loadTokenizer(resolved, { prependBos: weights.config.prependBos, bosTokenId: weights.config.bosTokenId, eosTokenId: weights.config.eosTokenId });
    hit = { dir: resolved, weights, tokenizer };
    models.set(resolved, hit);
  }
  return hit;
}

export function loadExperimentSae(dir: string, crosscoder?: { decoder?: 'a' | 'b'; model: ExperimentModel }): ExperimentSae {
  const resolved = path.resolve(dir);
  if (looksLikeCrosscoderFolder(resolved)) {
    if (!crosscoder) {
      throw new WorkbenchError('CROSSCODER_NOT_SUPPORTED', `${resolved} is a crosscoder: this experiment encodes with an SAE of one model, and a crosscoder's latents need both models' activations at once.`, 'Steer with a crosscoder latent (add or replace, choosing its decoder), or use an SAE here.');
    }
    const cc = loadCrosscoder(resolved);
    const side = crosscoderSide(cc, crosscoder.decoder, crosscoder.model);
    const key = `${resolved}|${side}`;
    let hit = saes.get(key);
    if (!hit) {
      hit = { dir: resolved, weights: crosscoderDecoderView(cc, side), crosscoder: { weights: cc, side } };
      saes.set(key, hit);
    }
    return hit;
  }
  let hit = saes.get(resolved);
  if (!hit) {
    hit = { dir: resolved, weights: loadSae(resolved) };
    saes.set(resolved, hit);
  }
  return hit;
}

/** Which decoder of a crosscoder: the one asked for, else the panel model's side (by folder, then name). */
function crosscoderSide(cc: CrosscoderWeights, decoder: 'a' | 'b' | undefined, model: ExperimentModel): 0 | 1 {
  if (decoder) return decoder === 'a' ? 0 : 1;
  const raw = cc.config.raw;
  for (const [side, pathKey, name] of [[0, 'model_a_path', cc.config.modelA], [1, 'model_b_path', cc.config.modelB]] as const) {
    if ((typeof raw[pathKey] === 'string' && path.resolve(raw[pathKey] as string) === model.dir) || model.weights.config.name === name) return side;
  }
  throw new WorkbenchError('CROSSCODER_DECODER', `The crosscoder reads ${cc.config.modelA} (A) and ${cc.config.modelB} (B); ${model.dir} is neither, so which decoder to steer with is not clear.`, 'Choose the decoder (a or b): its direction is in that model\'s units.');
}

/** The hook must exist in the model; an SAE must read the model's width there. */
export function checkHook(model: ExperimentModel, hook: string): void {
  try {
    checkHookInModel(model.weights.config, parseHook(hook, model.weights.config.nLayers));
  } catch (err) {
    throw new WorkbenchError('EXPERIMENT_HOOK', `The model ${model.dir} has no hook "${hook}" (${(err as Error).message}).`, 'Use a TransformerLens hook of this model, e.g. blocks.0.hook_resid_post.');
  }
}

export function checkSaeOnModel(sae: ExperimentSae, model: ExperimentModel, what = 'The SAE'): void {
  const c = sae.weights.config;
  if (c.dIn !== model.weights.config.dModel) {
    throw new WorkbenchError(
      'SAE_MODEL_MISMATCH',
      `${what} ${sae.dir} reads ${c.dIn}-wide activations but the model ${model.dir} has d_model ${model.weights.config.dModel}.`,
      'Choose an SAE trained on this model (or on a model with the same residual basis).',
    );
  }
  checkHook(model, c.hookName);
}

export function checkFeatureIds(sae: ExperimentSae, features: readonly number[]): void {
  checkFeatures(sae.weights, features);
  if (new Set(features).size !== features.length) throw new WorkbenchError('BAD_ARGUMENT', `The feature list ${features.join(',')} repeats a feature.`, 'Name each feature once.');
}

/** Two models whose tokenizers differ cannot be compared token by token. */
export function checkSameVocabulary(a: ExperimentModel, b: ExperimentModel): void {
  if (a.weights.config.dVocab !== b.weights.config.dVocab || a.tokenizer.vocabSize !== b.tokenizer.vocabSize) {
    throw new WorkbenchError('EXPERIMENT_VOCAB_MISMATCH', `The models ${a.dir} and ${b.dir} have different vocabularies (${a.weights.config.dVocab} vs ${b.weights.config.dVocab}).`, 'Compare models that share a tokenizer (e.g. a model and its fine-tune).');
  }
}

/** The files that make a model (config, weights, tokenizer), an SAE (cfg, weights) or a dataset. */
function inputFiles(role: 'model' | 'sae' | 'dataset', root: string, datasetFiles: string[] = []): string[] {
  if (role === 'dataset') return datasetFiles;
  const names = role === 'model' ? ['config.json', ...readModelConfig(root).weightFiles, TOKENIZER_FILE, TOKENIZER_CONFIG_FILE] : [SAE_CFG_FILE, SAE_WEIGHTS_FILE, CROSSCODER_WEIGHTS_FILE];
  return names.map((n) => path.join(root, n)).filter((f) => fs.existsSync(f));
}

/**
 * Identities of an experiment's inputs for its artifact (each input once, in order), hashed by
 * the same provenance module the index records its inputs with.
 */
export async function identifyInputs(inputs: { role: 'model' | 'sae' | 'dataset'; root: string; files?: string[] }[]): Promise<ExperimentInput[]> {
  const out: ExperimentInput[] = [];
  const seen = new Set<string>();
  for (const i of inputs) {
    if (seen.has(i.root)) continue;
    seen.add(i.root);
    out.push({ role: i.role, ...(await identifyInput(i.root, inputFiles(i.role, i.root, i.files))) });
  }
  return out;
}

/** The Library's display identity of a model or SAE (the same name every page shows). */
export function modelLabel(m: ExperimentModel): string {
  return identityLabel('model', m.dir, { configName: m.weights.config.name });
}

export function saeLabel(s: ExperimentSae): string {
  return saeLabelOfFolder(s.dir);
}
