/**
 * Everything a crosscoder run needs, resolved and checked before any work: both models (their
 * tokenizers must tokenize alike, their hooks must exist and have the same width), the dataset
 * plan, the derived sizes, and the inputs a resume must find unchanged. Bad input fails here,
 * naming the model, the hook or what differs.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { planDataset, type DatasetPlan } from '../datasets/documentReader';
import { WorkbenchError } from '../errors';
import { loadModel, readModelConfig } from '../formats/models/registry';
import type { TransformerWeights } from '../formats/transformer';
import { loadTokenizer, TOKENIZER_FILE, type WorkbenchTokenizer } from '../tokenize/tokenizer';
import { tokenizerDifferences } from '../tokenize/tokenizerDifferences';
import type { TrainCrosscoderParams } from '../../preload/contract/crosscoder';
import type { SaeShape } from './saeParams';
import { checkHooks, defaultDeadWindowSteps } from './trainSetup';

export interface CrosscoderSetup {
  params: TrainCrosscoderParams;
  modelA: TransformerWeights;
  modelB: TransformerWeights;
  dirA: string;
  dirB: string;
  tokenizer: WorkbenchTokenizer;
  plan: DatasetPlan;
  hookA: string;
  hookB: string;
  /** Width of each model's activations at its hook. */
  d: number;
  /** The training layout: d_in = 2 d (the pair side by side). */
  shape: SaeShape;
  contextSize: number;
  prependBos: boolean;
  totalSteps: number;
  deadWindowSteps: number;
  /** What a resume must find again, by name (a mismatch names the parts that changed). */
  inputs: Record<string, unknown>;
  fingerprint: string;
}

/** Files that define a model's numbers: config and weights, by size (a changed file almost always changes size). */
function modelIdentity(dir: string, model: TransformerWeights): Record<string, unknown> {
  const described = readModelConfig(dir);
  const files = ['config.json', ...described.weightFiles, TOKENIZER_FILE].map((f) => {
    const st = fs.statSync(path.join(dir, f), { throwIfNoEntry: false });
    return `${f}:${st?.size ?? 'missing'}`;
  });
  return { name: model.config.name, dModel: model.config.dModel, nLayers: model.config.nLayers, files };
}

function checkHookOf(which: 'A' | 'B', dir: string, model: TransformerWeights, hook: string): void {
  try {
    checkHooks(model, [hook]);
  } catch (err) {
    if (!(err instanceof WorkbenchError)) throw err;
    throw new WorkbenchError(err.code, `Model ${which} (${model.config.name}, ${dir}): ${err.message}`, err.hint);
  }
}

export async function prepareCrosscoderTraining(params: TrainCrosscoderParams): Promise<CrosscoderSetup> {
  const dirA = path.resolve(params.modelA);
  const dirB = path.resolve(params.modelB);
  const modelA = loadModel(dirA);
  const modelB = loadModel(dirB);
  const a = modelA.config;
  const b = modelB.config;
  const differences = tokenizerDifferences(dirA, a, dirB, b);
  if (differences.length > 0) {
    throw new WorkbenchError(
      'CROSSCODER_TOKENIZERS_DIFFER',
      `Model A (${a.name}) and model B (${b.name}) do not tokenize alike: ${differences.join('; ')}. A crosscoder pairs both models' activations token by token, so both must read the same token ids.`,
      'Choose two models with the same tokenizer (a base model and its fine-tune), or train one SAE per model and compare them on the Compare page.',
    );
  }
  const hookA = params.hookA;
  const hookB = params.hookB ?? params.hookA;
  checkHookOf('A', dirA, modelA, hookA);
  checkHookOf('B', dirB, modelB, hookB);
  // Every hook of the canonical transformer is d_model wide.
  if (a.dModel !== b.dModel) {
    throw new WorkbenchError(
      'CROSSCODER_WIDTH_MISMATCH',
      `Model A (${a.name}) is ${a.dModel} wide at ${hookA} but model B (${b.name}) is ${b.dModel} wide at ${hookB}: this crosscoder needs the same d_in at both hooks.`,
      'Choose models (or hooks) of the same width; crosscoders with per-model widths are not supported.',
    );
  }
  const d = a.dModel;
  const tokenizer = loadTokenizer(dirA, { prependBos: a.prependBos, bosTokenId: a.bosTokenId, eosTokenId: a.eosTokenId });
  const plan = await planDataset(params.dataset, params.textColumn ?? null);
  const maxContext = Math.min(a.nCtx, b.nCtx);
  if (params.contextSize !== undefined && params.contextSize > maxContext) {
    throw new WorkbenchError('TRAIN_CONTEXT_SIZE', `contextSize ${params.contextSize} is longer than the shorter model's context (n_ctx ${maxContext}).`, `Use at most ${maxContext}.`);
  }
  const contextSize = Math.min(params.contextSize ?? 128, maxContext);
  const dSae = params.dSae ?? params.expansionFactor * d;
  if (params.k > dSae) throw new WorkbenchError('TRAIN_K', `k ${params.k} is more than d_sae ${dSae}.`, 'Choose k well below d_sae (about 1% of it is usual).');
  const totalSteps = Math.floor(params.tokens / params.batchSize);
  if (totalSteps < 1) throw new WorkbenchError('TRAIN_TOKENS', `${params.tokens} training tokens is less than one batch of ${params.batchSize}.`, 'Train on more tokens or use a smaller batch size.');
  if (params.lrWarmupSteps + params.lrDecaySteps > totalSteps) {
    throw new WorkbenchError('TRAIN_SCHEDULE', `Warm-up (${params.lrWarmupSteps}) plus decay (${params.lrDecaySteps}) steps exceed the run's ${totalSteps} steps.`, 'Shorten the warm-up or the decay.');
  }
  const deadWindowSteps = params.deadWindowTokens !== undefined ? Math.max(1, Math.ceil(params.deadWindowTokens / params.batchSize)) : defaultDeadWindowSteps(totalSteps);
  const datasetSize = plan.files.reduce((n, f) => n + (fs.statSync(f.file, { throwIfNoEntry: false })?.size ?? 0), 0);
  const inputs: Record<string, unknown> = {
    'model A': modelIdentity(dirA, modelA),
    'model B': modelIdentity(dirB, modelB),
    'hook A': hookA,
    'hook B': hookB,
    dataset: { path: plan.path, textColumn: plan.textColumn, bytes: datasetSize },
    sizes: { k: params.k, dSae, batchSize: params.batchSize, tokens: params.tokens, contextSize, evalTokens: params.evalTokens, bufferBatches: params.bufferBatches, normTokens: params.normTokens },
    seed: params.seed,
  };
  const fingerprint = createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 16);
  return { params, modelA, modelB, dirA, dirB, tokenizer, plan, hookA, hookB, d, shape: { dIn: 2 * d, dSae }, contextSize, prependBos: a.prependBos, totalSteps, deadWindowSteps, inputs, fingerprint };
}
