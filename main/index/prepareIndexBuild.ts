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
}

export async function prepareIndexBuild(params: IndexBuildParams): Promise<IndexBuildPlan> {
  const modelPath = path.resolve(params.modelPath);
  const described = readModelConfig(modelPath);
  const model = described.config;
  if (!existsSync(path.join(modelPath, TOKENIZER_FILE))) {
    throw new WorkbenchError('TOKENIZER_MISSING', `${modelPath}: has no ${TOKENIZER_FILE}; the index needs the model's tokenizer.`, 'Download the model with its tokenizer.json.');
  }
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
  };
}
