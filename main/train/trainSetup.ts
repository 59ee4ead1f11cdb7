/**
 * Everything a training run needs, resolved and checked before any work starts: the model and
 * its tokenizer, the hooks (an unknown one lists the valid ones), the dataset plan, and the
 * derived sizes (d_sae, context, steps, dead window). Bad input fails here with a WorkbenchError
 * naming the field and the fix.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { WorkbenchError } from '../errors';
import { checkHookInModel, modelHookNames, parseHook } from '../engine/hooks';
import { planDataset, type DatasetPlan } from '../datasets/documentReader';
import { loadModel } from '../formats/models/registry';
import type { TransformerWeights } from '../formats/transformer';
import { loadTokenizer, type WorkbenchTokenizer } from '../tokenize/tokenizer';
import { defaultLr, type TrainSaeParams } from '../../preload/contract/train';
import type { SaeShape } from './saeParams';
import { defaultDeadWindowSteps } from './deadWindow';

export interface TrainSetup {
  params: TrainSaeParams;
  model: TransformerWeights;
  modelDir: string;
  tokenizer: WorkbenchTokenizer;
  plan: DatasetPlan;
  hooks: string[];
  shape: SaeShape;
  contextSize: number;
  prependBos: boolean;
  totalSteps: number;
  deadWindowSteps: number;
  /** The lr asked for, or the default for this shape (contract defaultLr). */
  lr: number;
  /** What a resume must match. */
  fingerprint: string;
}


/** Hooks of the model, checked: the error lists the ones this model has. */
export function checkHooks(model: TransformerWeights, hooks: string[]): void {
  const seen = new Set<string>();
  for (const h of hooks) {
    if (seen.has(h)) throw new WorkbenchError('TRAIN_DUPLICATE_HOOK', `Hook "${h}" is listed twice.`, 'Give each hook once: one SAE is trained per hook.');
    seen.add(h);
    try {
      checkHookInModel(model.config, parseHook(h, model.config.nLayers));
    } catch (err) {
      if (!(err instanceof WorkbenchError)) throw err;
      throw new WorkbenchError(err.code, `${err.message}`, `Valid hooks of ${model.config.name}: ${modelHookNames(model.config).join(', ')}.`);
    }
  }
}

export { defaultDeadWindowSteps } from './deadWindow';

export async function prepareTraining(params: TrainSaeParams): Promise<TrainSetup> {
  const modelDir = path.resolve(params.model);
  const model = loadModel(modelDir);
  const c = model.config;
  checkHooks(model, params.hooks);
  const tokenizer = loadTokenizer(modelDir, { prependBos: c.prependBos, bosTokenId: c.bosTokenId, eosTokenId: c.eosTokenId });
  const plan = await planDataset(params.dataset, params.textColumn ?? null);
  const contextSize = Math.min(params.contextSize ?? 128, c.nCtx);
  if (params.contextSize !== undefined && params.contextSize > c.nCtx) {
    throw new WorkbenchError('TRAIN_CONTEXT_SIZE', `contextSize ${params.contextSize} is longer than ${c.name}'s context (n_ctx ${c.nCtx}).`, `Use at most ${c.nCtx}.`);
  }
  const dIn = c.dModel;
  const dSae = params.dSae ?? params.expansionFactor * dIn;
  if (params.k > dSae) throw new WorkbenchError('TRAIN_K', `k ${params.k} is more than d_sae ${dSae}.`, 'Choose k well below d_sae (about 1% of it is usual).');
  const totalSteps = Math.floor(params.tokens / params.batchSize);
  if (totalSteps < 1) throw new WorkbenchError('TRAIN_TOKENS', `${params.tokens} training tokens is less than one batch of ${params.batchSize}.`, 'Train on more tokens or use a smaller batch size.');
  if (params.lrWarmupSteps + params.lrDecaySteps > totalSteps) {
    throw new WorkbenchError('TRAIN_SCHEDULE', `Warm-up (${params.lrWarmupSteps}) plus decay (${params.lrDecaySteps}) steps exceed the run's ${totalSteps} steps.`, 'Shorten the warm-up or the decay.');
  }
  const deadWindowSteps = params.deadWindowTokens !== undefined ? Math.max(1, Math.ceil(params.deadWindowTokens / params.batchSize)) : defaultDeadWindowSteps(totalSteps);
  const fingerprint = createHash('sha256')
    .update(
      JSON.stringify({
        model: c.name,
        dModel: dIn,
        hooks: params.hooks,
        dataset: plan.path,
        textColumn: plan.textColumn,
        architecture: params.architecture,
        k: params.k,
        dSae,
        batchSize: params.batchSize,
        tokens: params.tokens,
        contextSize,
        evalTokens: params.evalTokens,
        bufferBatches: params.bufferBatches,
        seed: params.seed,
        normalizeActivations: params.normalizeActivations,
        bDecInit: params.bDecInit,
      }),
    )
    .digest('hex')
    .slice(0, 16);
  const lr = params.lr ?? defaultLr({ dIn, dSae, k: params.k });
  return { params, model, modelDir, tokenizer, plan, hooks: params.hooks, shape: { dIn, dSae }, contextSize, prependBos: c.prependBos, totalSteps, deadWindowSteps, lr, fingerprint };
}
