/**
 * Evaluate any sae_lens SAE on a model and dataset with the same yardstick as training's quality
 * gates: held-out windows from the start of the dataset, evaluateSaes, judgeGates. Used by the
 * eval.sae job and `sae-workbench eval`.
 */
import path from 'node:path';
import { constructedSaeNote } from '../demo/bundleManifest';
import { heldOutWindows } from './heldOutWindows';
import { evaluateSaes } from './evaluateSae';
import { planDataset } from '../datasets/documentReader';
import { lastEpReport } from '../engine/executionProviders';
import { loadModel } from '../formats/models/registry';
import { loadSae } from '../formats/saeLoader';
import { loadTokenizer } from '../tokenize/tokenizer';
import type { EvalRunResult, EvalSaeParams, GateOutcome, QualityGates, SaeEvalSummary } from '../../preload/contract/train';

export interface EvalRunContext {
  progress(fraction: number, message: string): void;
  log(level: 'info' | 'warn', message: string): void;
}

/**
 * The quality gates, judged on held-out metrics: FVE at least minFve, dead % at most maxDeadPct,
 * and duplicates % at most maxDuplicatePct, which only warns unless duplicateGate is 'fail' (and
 * is left out when 'off'). The SAE passes when every blocking gate passes.
 */
export function judgeGates(m: Pick<SaeEvalSummary, 'fve' | 'dead_pct' | 'duplicate_pct'>, gates: QualityGates): { gates: GateOutcome[]; passed: boolean } {
  const outcomes: GateOutcome[] = [
    { name: 'FVE', value: m.fve, threshold: gates.minFve, comparison: '>=', pass: m.fve >= gates.minFve, blocking: true },
    { name: 'dead %', value: m.dead_pct, threshold: gates.maxDeadPct, comparison: '<=', pass: m.dead_pct <= gates.maxDeadPct, blocking: true },
  ];
  if (gates.duplicateGate !== 'off') {
    outcomes.push({ name: 'duplicates %', value: m.duplicate_pct, threshold: gates.maxDuplicatePct, comparison: '<=', pass: m.duplicate_pct <= gates.maxDuplicatePct, blocking: gates.duplicateGate === 'fail' });
  }
  return { gates: outcomes, passed: outcomes.every((g) => g.pass || !g.blocking) };
}

export async function runEvalSae(params: EvalSaeParams, ctx: EvalRunContext): Promise<EvalRunResult> {
  const model = loadModel(params.model);
  const sae = loadSae(params.sae);
  const c = model.config;
  const tokenizer = loadTokenizer(params.model, { prependBos: c.prependBos, bosTokenId: c.bosTokenId, eosTokenId: c.eosTokenId });
  const plan = await planDataset(params.dataset, params.textColumn ?? null);
  const prependBos = sae.config.prependBos ?? c.prependBos;
  const contextSize = Math.min(params.contextSize ?? sae.config.contextSize ?? 128, c.nCtx);
  ctx.progress(0, 'reading the held-out tokens');
  const set = await heldOutWindows(plan, tokenizer, prependBos, contextSize, params.tokens);
  const [result] = await evaluateSaes(model, [sae], { windows: set.windows, bos: prependBos }, { device: params.device, onProgress: (f) => ctx.progress(f, 'evaluating') });
  const verdict = judgeGates(result.metrics, params.gates);
  const constructed = constructedSaeNote(params.sae);
  ctx.log(verdict.passed ? 'info' : 'warn', `${path.basename(params.sae)} on ${result.metrics.tokens} tokens: FVE ${result.metrics.fve.toFixed(4)}, L0 ${result.metrics.l0.toFixed(2)}, dead ${result.metrics.dead_pct.toFixed(2)} %, duplicates ${result.metrics.duplicate_pct.toFixed(2)} %, dense ${result.metrics.dense_pct.toFixed(2)} %, CE-loss score ${result.metrics.ce_loss_score.toFixed(4)}, KL score ${result.metrics.kl_score.toFixed(4)}; gates ${verdict.passed ? 'passed' : 'failed'}.${constructed ? ` ${constructed.note}` : ''}`);
  return { sae: path.resolve(params.sae), model: path.resolve(params.model), eval: { ...result.metrics }, dictionary: result.dictionary!, gates: verdict.gates, passed: verdict.passed, executionProvider: lastEpReport()?.running ?? 'cpu', constructed };
}
