/**
 * One yardstick for every SAE (trained here, downloaded, constructed): run the model over
 * held-out token windows and compute saeMetrics.ts' metrics at each SAE's hook. CE-loss and KL
 * scores splice the SAE's reconstruction into the model with the engine's splice (runWithEdit +
 * saeSpliceEdit) and compare with zero-ablation of the hook, as sae_lens' evals do: the SAE
 * replaces every position that counts (tokenWindows' countedPositions: not BOS, not the first
 * token of a continuation window), zero-ablation replaces every position, and the averages take
 * the positions that count (CE: those whose next token is in the window). Every model and SAE output is checked
 * for NaN/Inf before it reaches a metric (NONFINITE_OUTPUT): an FVE or score computed from an
 * overflow would be NaN, which JSON turns into a silent null.
 */
import type { SaeEvalSummary } from '../../preload/api';
import { WorkbenchError } from '../errors';
import type { DeviceChoice } from '../engine/executionProviders';
import { checkHookInModel, parseHook } from '../engine/hooks';
import { requireFiniteOutputs } from '../engine/finiteOutputs';
import { runWithEdit, saeSpliceEdit, type ActivationEdit } from '../engine/intervention';
import { runModel, runSae, type ModelRun } from '../engine/runner';
import { releaseSessions, weightsId } from '../engine/session';
import { countedPositions, isUncountedPosition, type TokenWindow } from '../datasets/tokenWindows';
import type { SaeWeights } from '../formats/sae';
import type { Tensor32 } from '../formats/tensor';
import type { TransformerWeights } from '../formats/transformer';
import { ceLossScore, klFromLogits, klScore, MeanAccumulator, ReconstructionAccumulator } from './saeMetrics';
import { dictionaryMetrics, SparseCodes } from './dictionaryMetrics';
import type { DictionaryReport } from '../../preload/contract/train';

export interface EvalWindowSet {
  windows: TokenWindow[];
  /** Whether documents start with BOS (position 0 is then excluded). */
  bos: boolean;
}

/** The held-out metrics of one SAE, as the contract carries them to the Training page. */
export type SaeEvalMetrics = SaeEvalSummary;

export interface SaeEvalResult {
  metrics: SaeEvalMetrics;
  /** Tokens each latent fired on (for sparsity.safetensors). */
  fireCounts: Float64Array;
  /** Duplicates, density and the like (dictionaryMetrics.ts); null for a reconstruction-only check. */
  dictionary: DictionaryReport | null;
}

export interface EvaluateOptions {
  device?: DeviceChoice;
  /** Windows per model call. */
  chunkWindows?: number;
  /** Skip the CE/KL splices and the dictionary metrics (FVE, L0, dead, L2 ratio only): a cheaper check (lr sweep). */
  reconstructionOnly?: boolean;
  onProgress?: (fraction: number) => void;
}

/** The SAE must read this model's hook at its width; say which one does not. */
export function checkSaeFitsModel(model: TransformerWeights, sae: SaeWeights, where = 'the SAE'): void {
  const c = sae.config;
  const h = parseHook(c.hookName, model.config.nLayers);
  checkHookInModel(model.config, h);
  if (c.dIn !== model.config.dModel) {
    throw new WorkbenchError(
      'SAE_HOOK_WIDTH',
      `${where} has d_in ${c.dIn}, but "${c.hookName}" of ${model.config.name} is ${model.config.dModel} wide.`,
      'Use the model the SAE was trained on (its cfg.json metadata names it), or an SAE trained on this model.',
    );
  }
}

/**
 * The SAE's reconstruction at the positions that count; the others (BOS, and the first token of a
 * continuation window) keep their activation, as sae_lens' mask keeps BOS.
 */
function spliceCountedPositions(sae: SaeWeights, bos: boolean, device: DeviceChoice): ActivationEdit {
  const splice = saeSpliceEdit(sae, { device });
  return async (acts) => {
    const out = await splice(acts);
    return out.map((t, i) => {
      if (!isUncountedPosition(bos, 0)) return t;
      const d = t.shape[1];
      const data = Float32Array.from(t.data);
      data.set(acts[i].data.subarray(0, d), 0);
      return { data, shape: t.shape };
    });
  };
}

/** Refuse a run holding NaN/Inf in any hook, logits or loss it returned. */
function requireFiniteRun(run: ModelRun, where: string): void {
  const named: [string, Tensor32[] | null][] = [...Object.entries(run.hooks), ['logits', run.logits], ['loss', run.loss]];
  requireFiniteOutputs(Object.fromEntries(named.flatMap(([name, ts]) => (ts ?? []).map((t, i) => [`${name} (window ${i})`, t]))), where);
}

const zeroAblation: ActivationEdit = (acts) => acts.map((t) => ({ data: new Float32Array(t.data.length), shape: t.shape }));

interface DownstreamSums {
  ce: { clean: MeanAccumulator; sae: MeanAccumulator; zero: MeanAccumulator };
  kl: { sae: MeanAccumulator; zero: MeanAccumulator };
}

export async function evaluateSaes(model: TransformerWeights, saes: SaeWeights[], set: EvalWindowSet, options: EvaluateOptions = {}): Promise<SaeEvalResult[]> {
  const device = options.device ?? 'auto';
  saes.forEach((s, i) => checkSaeFitsModel(model, s, saes.length > 1 ? `SAE ${i + 1} (${s.config.hookName})` : 'The SAE'));
  if (set.windows.length === 0) throw new WorkbenchError('EVAL_NO_TOKENS', 'There are no tokens to evaluate on.', 'Give a dataset with text and a positive number of eval tokens.');
  const hooks = [...new Set(saes.map((s) => s.config.hookName))];
  const acc = saes.map((s) => new ReconstructionAccumulator(s.config.dIn, s.config.dSae));
  const codes = saes.map(() => (options.reconstructionOnly ? null : new SparseCodes()));
  const down: DownstreamSums[] = saes.map(() => ({
    ce: { clean: new MeanAccumulator(), sae: new MeanAccumulator(), zero: new MeanAccumulator() },
    kl: { sae: new MeanAccumulator(), zero: new MeanAccumulator() },
  }));
  const chunk = Math.max(1, options.chunkWindows ?? 16);
  const vocab = model.config.dVocab;
  try {
  for (let w0 = 0; w0 < set.windows.length; w0 += chunk) {
    const windows = set.windows.slice(w0, w0 + chunk);
    const tokens = windows.map((w) => w.tokens);
    const rowsOf = windows.map((w) => countedPositions(w, set.bos));
    const clean = await runModel(model, tokens, hooks, { logits: !options.reconstructionOnly, loss: !options.reconstructionOnly, device, batchSize: chunk });
    const where = `the evaluation of windows ${w0}-${w0 + windows.length - 1}`;
    requireFiniteRun(clean, `${where}, clean model`);
    for (const [i, sae] of saes.entries()) {
      const d = sae.config.dIn;
      const n = rowsOf.reduce((a, r) => a + r.length, 0);
      const x = new Float32Array(n * d);
      let row = 0;
      windows.forEach((_, wi) => {
        const src = clean.hooks[sae.config.hookName][wi].data;
        for (const p of rowsOf[wi]) x.set(src.subarray(p * d, (p + 1) * d), row++ * d);
      });
      await accumulateReconstruction(acc[i], codes[i], sae, { data: x, shape: [n, d] }, device, `${where}, SAE ${sae.config.hookName}`);
      if (options.reconstructionOnly) continue;
      const spliced = await runWithEdit(model, tokens, sae.config.hookName, spliceCountedPositions(sae, set.bos, device), [], { logits: true, loss: true, device, batchSize: chunk });
      requireFiniteRun(spliced, `${where}, model with the SAE at ${sae.config.hookName} spliced in`);
      const zeroed = await runWithEdit(model, tokens, sae.config.hookName, zeroAblation, [], { logits: true, loss: true, device, batchSize: chunk });
      requireFiniteRun(zeroed, `${where}, model with ${sae.config.hookName} zero-ablated`);
      const sums = down[i];
      windows.forEach((w, wi) => {
        const cleanLogits = clean.logits![wi].data;
        for (const p of rowsOf[wi]) {
          sums.kl.sae.add(klFromLogits(cleanLogits, spliced.logits![wi].data, p * vocab, vocab));
          sums.kl.zero.add(klFromLogits(cleanLogits, zeroed.logits![wi].data, p * vocab, vocab));
          if (p < w.tokens.length - 1) {
            sums.ce.clean.add(clean.loss![wi].data[p]);
            sums.ce.sae.add(spliced.loss![wi].data[p]);
            sums.ce.zero.add(zeroed.loss![wi].data[p]);
          }
        }
      });
    }
    options.onProgress?.(Math.min(1, (w0 + windows.length) / set.windows.length));
  }
  } finally {
    // These SAEs are often evaluated once (lr-sweep trials, a finished run): free their sessions, also when the evaluation failed.
    for (const sae of saes) await releaseSessions(`${weightsId(sae)}|`);
  }
  const dictionaries: (DictionaryReport | null)[] = [];
  for (const [i, sae] of saes.entries()) {
    const c = codes[i];
    dictionaries.push(c ? await dictionaryMetrics({ W_dec: sae.W_dec.data, dSae: sae.config.dSae, dIn: sae.config.dIn, fireCounts: acc[i].fireCounts, tokens: acc[i].tokenCount, codes: c }, device) : null);
  }
  return saes.map((sae, i) => {
    const a = acc[i];
    const s = down[i];
    const ce = { clean: s.ce.clean.mean(), sae: s.ce.sae.mean(), zero: s.ce.zero.mean() };
    const kl = { sae: s.kl.sae.mean(), zero: s.kl.zero.mean() };
    const dict = dictionaries[i];
    return {
      metrics: {
        hook: sae.config.hookName,
        tokens: a.tokenCount,
        fve: a.fve(),
        mse: a.mse(),
        l0: a.l0(),
        dead_pct: a.deadPercent(),
        l2_ratio: a.l2Ratio(),
        ce_clean: ce.clean,
        ce_with_sae: ce.sae,
        ce_zero_ablation: ce.zero,
        ce_loss_score: ceLossScore(ce.clean, ce.sae, ce.zero),
        kl_with_sae: kl.sae,
        kl_zero_ablation: kl.zero,
        kl_score: klScore(kl.sae, kl.zero),
        duplicate_pct: dict?.duplicate_pct ?? Number.NaN,
        dense_pct: dict?.dense_pct ?? Number.NaN,
        max_cosine: dict?.max_cosine ?? Number.NaN,
        mean_max_cosine: dict?.mean_max_cosine ?? Number.NaN,
      },
      fireCounts: a.fireCounts,
      dictionary: dict,
    };
  });
}

async function accumulateReconstruction(acc: ReconstructionAccumulator, codes: SparseCodes | null, sae: SaeWeights, x: Tensor32, device: DeviceChoice, where: string): Promise<void> {
  const n = x.shape[0];
  if (n === 0) return;
  if (sae.config.architecture === 'topk') {
    const k = sae.config.k as number;
    const run = await runSae(sae, x, ['sae_out', 'feature_indices', 'feature_values'], { device });
    requireFiniteOutputs({ sae_out: run.outputs.sae_out, feature_values: run.outputs.feature_values }, where);
    const idx = run.outputs.feature_indices!.data as BigInt64Array;
    const val = run.outputs.feature_values!.data as Float32Array;
    acc.addRows(x.data, run.outputs.sae_out!.data as Float32Array, n, (r, visit) => {
      for (let j = r * k; j < (r + 1) * k; j++) if (val[j] > 0) visit(Number(idx[j]));
    });
    if (codes) {
      const ids: number[] = [];
      const vals: number[] = [];
      for (let r = 0; r < n; r++) {
        ids.length = 0;
        vals.length = 0;
        for (let j = r * k; j < (r + 1) * k; j++) {
          if (val[j] <= 0) continue;
          ids.push(Number(idx[j]));
          vals.push(val[j]);
        }
        codes.addRow(ids, vals);
      }
    }
    return;
  }
  const dSae = sae.config.dSae;
  const run = await runSae(sae, x, ['sae_out', 'feature_acts'], { device });
  requireFiniteOutputs({ sae_out: run.outputs.sae_out, feature_acts: run.outputs.feature_acts }, where);
  const acts = run.outputs.feature_acts!.data as Float32Array;
  acc.addRows(x.data, run.outputs.sae_out!.data as Float32Array, n, (r, visit) => {
    for (let j = 0; j < dSae; j++) if (acts[r * dSae + j] !== 0) visit(j);
  });
  if (codes) {
    const ids: number[] = [];
    const vals: number[] = [];
    for (let r = 0; r < n; r++) {
      ids.length = 0;
      vals.length = 0;
      for (let j = 0; j < dSae; j++) {
        if (acts[r * dSae + j] === 0) continue;
        ids.push(j);
        vals.push(acts[r * dSae + j]);
      }
      codes.addRow(ids, vals);
    }
  }
}
