/**
 * Everything an index build decides before it touches a weight: the model's shape, each SAE's
 * hook and width, one BOS rule and context size for the shared model pass, and the dataset's
 * files and text column. Called when a build is asked for (so bad input is refused before a job
 * is queued) and again when the job starts (the files may have changed since).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { IndexBuildParams } from '../../preload/api';
import { planDataset, type DatasetPlan } from '../datasets/documentReader';
import { checkHookInModel, parseHook } from '../engine/hooks';
import { WorkbenchError } from '../errors';
import { readModelConfig } from '../formats/models/registry';
import type { SaeConfig } from '../formats/sae';
import { readSaeConfig } from '../formats/saeConfig';
import { looksLikeCrosscoderFolder, readCrosscoderConfig, type CrosscoderConfig } from '../formats/crosscoder';
import { crosscoderSaeConfig } from '../engine/crosscoderSae';
import { tokenizerDifferences } from '../tokenize/tokenizerDifferences';
import type { TransformerConfig } from '../formats/transformer';
import { TOKENIZER_FILE } from '../tokenize/tokenizer';

export const DEFAULT_CONTEXT_SIZE = 128;

export interface IndexBuildPlan {
  model: TransformerConfig;
  modelWeightFiles: string[];
  saes: { path: string; config: SaeConfig }[];
  /** Hooks the one model pass returns (deduplicated, in SAE order). */
  hooks: string[];
  bos: boolean;
  contextSize: number;
  dataset: DatasetPlan;
  /** A crosscoder build: the one "SAE" is the crosscoder over [x_A | x_B]; the plan's model is B. */
  crosscoder: { path: string; config: CrosscoderConfig; modelA: { path: string; config: TransformerConfig; weightFiles: string[] } } | null;
}

/**
 * A crosscoder indexed as an SAE over the pair: model B is the index's model (its pass gives
 * x_B), model A runs on the same windows for x_A. Refused unless both models fit the crosscoder
 * and tokenize alike.
 */
async function prepareCrosscoderIndex(params: IndexBuildParams, modelB: { config: TransformerConfig; weightFiles: string[] }, modelBPath: string): Promise<IndexBuildPlan> {
  if (params.saePaths.length !== 1) throw new WorkbenchError('INDEX_CROSSCODER_ALONE', `A crosscoder is indexed on its own, not with other SAEs (${params.saePaths.length} folders given).`, 'Build the crosscoder\'s index in a build of its own.');
  const ccPath = path.resolve(params.saePaths[0]);
  const cc = readCrosscoderConfig(ccPath);
  const recorded = typeof cc.raw.model_a_path === 'string' ? cc.raw.model_a_path : null;
  const modelAPath = params.modelAPath ? path.resolve(params.modelAPath) : recorded;
  if (!modelAPath || !existsSync(path.join(modelAPath, 'config.json'))) {
    throw new WorkbenchError('INDEX_CROSSCODER_MODEL_A', `The crosscoder ${ccPath} reads model A (${cc.modelA}) too, and ${modelAPath ? `${modelAPath} holds no model` : 'no model A folder was given'}.`, 'Give model A\'s folder (modelAPath, or --model-a), with modelPath = model B.');
  }
  const modelA = readModelConfig(modelAPath);
  for (const [side, m, hook] of [['A', modelA.config, cc.hookNameA], ['B', modelB.config, cc.hookNameB]] as const) {
    if (m.dModel !== cc.dIn) {
      throw new WorkbenchError('SAE_MODEL_MISMATCH', `The crosscoder ${ccPath} reads ${cc.dIn}-wide activations but model ${side} (${m.name}) has d_model ${m.dModel}.`, `Index it with model A = ${cc.modelA} and model B (modelPath) = ${cc.modelB}.`);
    }
    checkHookInModel(m, parseHook(hook, m.nLayers));
  }
  const differ = tokenizerDifferences(modelAPath, modelA.config, modelBPath, modelB.config);
  if (differ.length) throw new WorkbenchError('CROSSCODER_TOKENIZERS_DIFFER', `Model A (${modelA.config.name}) and model B (${modelB.config.name}) do not tokenize alike: ${differ.join('; ')}.`, 'Index the crosscoder with the two models it was trained on.');
  const config = crosscoderSaeConfig(cc);
  return {
    model: modelB.config,
    modelWeightFiles: modelB.weightFiles.map((f) => path.join(modelBPath, f)),
    saes: [{ path: ccPath, config }],
    hooks: [cc.hookNameB],
    bos: cc.prependBos ?? modelB.config.prependBos,
    contextSize: Math.min(params.contextSize ?? cc.contextSize, modelA.config.nCtx, modelB.config.nCtx),
    dataset: await planDataset(params.datasetPath, params.textColumn ?? null),
    crosscoder: { path: ccPath, config: cc, modelA: { path: modelAPath, config: modelA.config, weightFiles: modelA.weightFiles.map((f) => path.join(modelAPath, f)) } },
  };
}

export async function prepareIndexBuild(params: IndexBuildParams): Promise<IndexBuildPlan> {
  const modelPath = path.resolve(params.modelPath);
  const described = readModelConfig(modelPath);
  const model = described.config;
  if (!existsSync(path.join(modelPath, TOKENIZER_FILE))) {
    throw new WorkbenchError('TOKENIZER_MISSING', `${modelPath}: has no ${TOKENIZER_FILE}; the index needs the model's tokenizer.`, 'Download the model with its tokenizer.json.');
  }
  if (params.saePaths.some((p) => looksLikeCrosscoderFolder(path.resolve(p)))) return prepareCrosscoderIndex(params, described, modelPath);
  const saes = params.saePaths.map((p) => ({ path: path.resolve(p), config: readSaeConfig(path.resolve(p)) }));
  const names = new Map<string, string>();
  for (const s of saes) {
    const c = s.config;
    if (c.dIn !== model.dModel) {
      throw new WorkbenchError(
        'SAE_MODEL_MISMATCH',
        `The SAE ${s.path} reads ${c.dIn}-wide activations (d_in) but the model ${model.name} has d_model ${model.dModel}.`,
        `Choose SAEs trained on ${model.name} (d_in ${model.dModel}), or the model this SAE was trained on${c.modelName ? ` (${c.modelName})` : ''}.`,
      );
    }
    const hook = parseHook(c.hookName, model.nLayers);
    checkHookInModel(model, hook);
    if (c.modelName) names.set(c.modelName, s.path);
  }
  if (names.size > 1) {
    const list = [...names.entries()].map(([n, p]) => `${n} (${p})`).join(', ');
    throw new WorkbenchError('SAES_FROM_DIFFERENT_MODELS', `These SAEs were trained on different models: ${list}.`, 'Index the SAEs of each model in a separate build, each with its own model.');
  }
  const bosRules = new Set(saes.map((s) => s.config.prependBos ?? model.prependBos));
  if (bosRules.size > 1) {
    throw new WorkbenchError('SAES_DISAGREE_ON_BOS', 'Some of these SAEs were trained with a BOS token prepended and some without, so one model pass cannot serve them all.', 'Index the SAEs with prepend_bos true and those with false in separate builds.');
  }
  const fromSaes = saes.map((s) => s.config.contextSize).filter((n): n is number => n !== null);
  const contextSize = Math.min(params.contextSize ?? (fromSaes.length ? Math.min(...fromSaes) : DEFAULT_CONTEXT_SIZE), model.nCtx);
  const dataset = await planDataset(params.datasetPath, params.textColumn ?? null);
  return {
    model,
    modelWeightFiles: described.weightFiles.map((f) => path.join(modelPath, f)),
    saes,
    hooks: [...new Set(saes.map((s) => s.config.hookName))],
    bos: [...bosRules][0],
    contextSize,
    dataset,
    crosscoder: null,
  };
}
