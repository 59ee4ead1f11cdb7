import { z } from 'zod';
import { method } from './define';
import { JobIdSchema } from './ids';
import { ENGINE_DEVICES } from './engine';
import type { JobView } from './jobs';

/**
 * SAE training and evaluation: the parameters of the `train.sae` and `eval.sae` job kinds (one
 * schema for the job kind, the CLI and the Training form; every field says what it is and why its
 * default), and the `train.*` methods the Training page reads its runs and live metrics from.
 */

export const TRAIN_SAE_KIND = 'train.sae';
export const EVAL_SAE_KIND = 'eval.sae';

/** Multipliers of the base lr an lr sweep tries (short trials; the best held-out FVE wins). */
export const LR_SWEEP_MULTIPLIERS = [0.25, 0.5, 1, 2, 4] as const;

/** The lr before issue 18 (bench/lrStudy.ts compares against it). */
export const OLD_DEFAULT_LR = 1e-3;

/**
 * The default lr, from bench/lrStudy.ts (12 shapes x budgets, d_in 64-768): 0.12 x sqrt(k / d_sae)
 * / d_in^(1/4), two significant digits. A latent fires on k / d_sae of the tokens, so its share of
 * the gradient signal shrinks with width and grows with k; wider inputs want a little less. The
 * study's best lrs sit within a factor 1.4 of it on every shape (1 / sqrt(d_sae) alone: a factor 3).
 */
export function defaultLr(shape: { dIn: number; dSae: number; k: number }): number {
  return Number(((0.12 * Math.sqrt(shape.k / shape.dSae)) / shape.dIn ** 0.25).toPrecision(2));
}

/** sae_lens' names: `expected_average_only_in` scales inputs so E||x|| = sqrt(d_in) (the factor is folded into the exported weights). */
export const NORMALIZE_ACTIVATIONS = ['none', 'expected_average_only_in'] as const;
export type NormalizeActivations = (typeof NORMALIZE_ACTIVATIONS)[number];

/** How b_dec starts: sae_lens 6.x zeros, or from a sample of the training rows. */
export const DECODER_BIAS_INITS = ['zeros', 'mean', 'geometric_median'] as const;
export type DecoderBiasInit = (typeof DECODER_BIAS_INITS)[number];

const path = z.string().min(1).max(4096);

export const QualityGatesSchema = z
  .object({
    minFve: z.number().min(0).max(1).default(0.87).describe('Pass when explained variance on held-out tokens is at least this. Default 0.87: the floor the seed workflow accepted SAEs at.'),
    maxDeadPct: z.number().min(0).max(100).default(2).describe('Pass when at most this % of latents never fire on the held-out tokens. Default 2 %: the seed workflow\'s limit.'),
    maxDuplicatePct: z.number().min(0).max(100).default(5).describe('Pass when at most this % of live latents have another live latent at decoder cosine >= 0.9 (a near-copy). Default 5 %: a few pairs can be real (a feature split), a tenth of the dictionary is degenerate.'),
    duplicateGate: z.enum(['warn', 'fail', 'off']).default('warn').describe('What a failed duplicate gate does: warn (shown, the run still passes), fail (the run fails its gates) or off. Default warn: duplicates waste latents but do not make the others wrong.'),
  })
  .strict();
export type QualityGates = z.infer<typeof QualityGatesSchema>;
export const DEFAULT_GATES: QualityGates = { minFve: 0.87, maxDeadPct: 2, maxDuplicatePct: 5, duplicateGate: 'warn' };

export const TrainSaeParamsSchema = z
  .object({
    model: path.describe('Model folder (Hugging Face GPT-2 / NeoX / Llama, or TransformerLens) whose activations the SAEs learn.'),
    hooks: z.array(z.string().min(1).max(200)).min(1).max(64).describe('TransformerLens hook names, e.g. blocks.2.hook_resid_post. One SAE per hook, all fed from one model pass.'),
    dataset: path.describe('Dataset file or folder (.txt lines, .jsonl/.json/.parquet rows with a text column, or a folder of shards).'),
    textColumn: z.string().min(1).max(200).optional().describe('Column holding the text; detected from the first rows when not given.'),
    architecture: z.enum(['topk', 'batchtopk']).default('topk').describe('TopK keeps k latents per token; BatchTopK keeps k per token on average over the batch and is saved as JumpReLU with its learned threshold. Default TopK: what the seed workflow trained.'),
    k: z.number().int().min(1).max(4096).default(40).describe('Latents per token (BatchTopK: on average). Default 40: the seed workflow\'s k, about 1% of 4096 latents.'),
    dSae: z.number().int().min(1).max(1 << 20).optional().describe('Number of latents. When not given: expansion factor x the hook width.'),
    expansionFactor: z.number().int().min(1).max(256).default(8).describe('d_sae = this x d_in when d_sae is not given. Default 8: the seed workflow\'s 4096 latents on 512-wide activations.'),
    tokens: z.number().int().min(1).max(1e12).default(20_000_000).describe('Training tokens (BOS not counted). Default 20M: about 5,000 steps of 4096, several of sae_lens\' 1000-step dead windows; hours on 2 CPU cores at d_in 512 (the model forward dominates, bench (j)), minutes on a GPU.'),
    batchSize: z.number().int().min(1).max(1 << 16).default(4096).describe('Tokens per optimizer step. Default 4096: sae_lens\' train_batch_size_tokens.'),
    lr: z.number().positive().max(1).optional().describe('Adam learning rate. When not given: 0.12 x sqrt(k / d_sae) / d_in^(1/4) (e.g. 2.5e-3 at d_in 512, d_sae 4096, k 40), within 0.006 FVE of the best of an lr sweep on every shape of bench/lrStudy.ts (d_in 64-768), where the old fixed 1e-3 fell up to 0.26 FVE short and left up to 87 % of latents dead. Tick the lr sweep when unsure.'),
    normalizeActivations: z
      .enum(NORMALIZE_ACTIVATIONS)
      .default('expected_average_only_in')
      .describe('Scale the inputs by one constant, estimated on training rows before the first step, so E||x|| = sqrt(d_in) (sae_lens\' expected_average_only_in; folded into the saved weights, so the SAE reads raw activations). Default on: the same activations at 1/100 of their size train identically with it and diverge without it at the default lr (bench/lrStudy.ts).'),
    bDecInit: z
      .enum(DECODER_BIAS_INITS)
      .default('geometric_median')
      .describe('Initial decoder bias b_dec: zeros (sae_lens 6.x), or the mean or geometric median of a sample of training rows (sparsify). Default geometric median: the encoder starts centred on the data; with zeros, 1 to 47 points more of the latents were dead on every shape of bench/lrStudy.ts.'),
    lrWarmupSteps: z.number().int().min(0).default(0).describe('Linear warm-up steps from lr/steps to lr. Default 0: sae_lens\' default; Adam\'s bias correction already tames the first steps.'),
    lrDecaySteps: z.number().int().min(0).default(0).describe('Linear decay over the last steps from lr to lr_end. Default 0 (constant lr): sae_lens\' default.'),
    lrEnd: z.number().min(0).default(0).describe('The lr at the end of the decay. Default 0: sae_lens\' constant schedule decays to zero.'),
    lrSweep: z.boolean().default(false).describe('Before training, run trials (a quarter of the steps each: shorter ones favour large lrs) at lr x 0.25, 0.5, 1, 2, 4, and x2 further (up to 3 more) while the best sits at an edge; train with the one of best held-out FVE. Default off: it more than doubles the run time.'),
    auxCoefficient: z.number().min(0).default(1).describe('Weight of the AuxK loss (dead latents reconstruct the residual). Default 1: sae_lens\' default with a plain MSE (Gao et al. use 1/32 with a variance-normalised MSE).'),
    deadWindowTokens: z.number().int().min(1).optional().describe('A latent that has not fired for this many tokens counts as dead (and joins AuxK). When not given: sae_lens\' 1000 steps, at most a tenth of the run so short runs revive dead latents too.'),
    contextSize: z.number().int().min(2).max(1 << 20).optional().describe('Tokens per context window. When not given: 128 (sae_lens\' default) or the model\'s n_ctx if smaller.'),
    bufferBatches: z.number().int().min(1).max(1024).default(16).describe('Batches mixed together in the shuffling buffer (rows from many documents). Default 16: about sae_lens\' buffer (20 x 32 prompts x 128 tokens).'),
    evalTokens: z.number().int().min(1).default(32_768).describe('Held-out tokens (the dataset\'s first documents, never trained on) for the final evals and quality gates. Default 32768: tight FVE estimates at a few seconds of model time.'),
    gates: QualityGatesSchema.default(DEFAULT_GATES).describe('Quality gates checked on the held-out tokens at the end.'),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(42).describe('Seed for the initialisation and the shuffling: the same seed and data give the same run.'),
    device: z.enum(ENGINE_DEVICES).default('auto').describe('Execution provider: auto tries CUDA, then WebGPU, then CPU.'),
    loopDataset: z.boolean().default(false).describe('When the dataset runs out before the token budget, start over (after the held-out documents) instead of stopping. Default off: repeating data is a choice.'),
    cacheActivations: z.boolean().default(false).describe('Keep the activations on disk (safetensors shards under <home>/activation-cache) so repeated runs on the same model, hooks and data skip the model. Default off: it costs tokens x d_in x 4 bytes per hook.'),
    checkpointEverySteps: z.number().int().min(1).default(500).describe('Checkpoint every this many steps (and on pause). Default 500: a few minutes of work at most is redone after a crash.'),
    checkpointEveryMinutes: z.number().min(0.1).default(10).describe('Also checkpoint when this much time passed since the last one. Default 10 minutes.'),
    topkThresholdLr: z.number().positive().max(1).default(0.01).describe('BatchTopK: rate of the moving average of the smallest kept activation, saved as the JumpReLU threshold. Default 0.01: sae_lens\' default.'),
    out: path.optional().describe('Folder for the trained SAEs (one sae_lens folder per hook), an absolute path outside the model and dataset. Default: the run\'s folder, runs/<job-id>/saes.'),
    overwrite: z.boolean().default(false).describe('Replace SAE files already in the output folder (cfg.json, sae_weights.safetensors, sparsity.safetensors, training_config.json of each hook; nothing else there is touched). Default off: an existing SAE is never replaced unless asked.'),
  })
  .strict();
export type TrainSaeParams = z.output<typeof TrainSaeParamsSchema>;
export type TrainSaeParamsInput = z.input<typeof TrainSaeParamsSchema>;

export const EvalSaeParamsSchema = z
  .object({
    model: path.describe('Model folder the SAE reads.'),
    sae: path.describe('sae_lens SAE folder (cfg.json + sae_weights.safetensors), e.g. from the Library.'),
    dataset: path.describe('Dataset file or folder to evaluate on.'),
    textColumn: z.string().min(1).max(200).optional().describe('Column holding the text; detected when not given.'),
    tokens: z.number().int().min(1).default(32_768).describe('Tokens to evaluate on (BOS not counted), from the start of the dataset. Default 32768: the training runs\' held-out size, so numbers compare.'),
    contextSize: z.number().int().min(2).optional().describe('Tokens per context window. When not given: the SAE\'s context_size, else 128, at most the model\'s n_ctx.'),
    gates: QualityGatesSchema.default(DEFAULT_GATES).describe('Quality gates to judge the SAE by.'),
    device: z.enum(ENGINE_DEVICES).default('auto').describe('Execution provider: auto tries CUDA, then WebGPU, then CPU.'),
  })
  .strict();
export type EvalSaeParams = z.output<typeof EvalSaeParamsSchema>;

/** One point of a training curve, per hook (metrics.jsonl in the run folder). */
export interface TrainMetricPoint {
  hook: string;
  step: number;
  tokens: number;
  loss: number;
  mse: number;
  aux: number;
  fve: number;
  l0: number;
  dead_pct: number;
  lr: number;
  grad_norm: number;
  /** Whole-job throughput (model forward + training) over the logging interval. */
  tokens_per_s: number;
  /** The train step alone over the interval. */
  step_tokens_per_s: number;
  elapsed_s: number;
  /** Which part of the run: an lr-sweep trial ("sweep lr=...") or the run itself ("train"). */
  phase: string;
  /** Crosscoders (one point for the pair): each model's FVE over the interval; `fve` pools both. */
  fve_a?: number;
  fve_b?: number;
}

export interface GateOutcome {
  name: string;
  value: number;
  threshold: number;
  comparison: '>=' | '<=';
  pass: boolean;
  /** False for a gate that only warns (duplicates by default): failing it does not fail the SAE. */
  blocking: boolean;
}

/** One group of near-duplicate latents (connected by decoder cosine >= 0.9), main/evals/dictionaryMetrics.ts. */
export interface DuplicateGroup {
  latents: number[];
  max_cosine: number;
  /** Its most similar pairs (at most 40), each with the co-firing Pearson r of the two latents over the evaluated tokens. */
  pairs: { a: number; b: number; cosine: number; co_firing_r: number }[];
  pair_count: number;
}

/** What the dictionary looks like beyond reconstruction (main/evals/dictionaryMetrics.ts). */
export interface DictionaryReport {
  /** Latents that fired on the evaluated tokens. */
  live: number;
  duplicate_pct: number;
  duplicates: number;
  max_cosine: number;
  mean_max_cosine: number;
  dense_pct: number;
  duplicate_cosine: number;
  dense_density: number;
  /** log10(firing density) of the live latents: bin i covers [log10_min + i w, log10_min + (i+1) w). */
  density_histogram: { log10_min: number; bin_width: number; counts: number[]; dead: number };
  /** The largest groups (at most 50), largest first. */
  groups: DuplicateGroup[];
  group_count: number;
}

export interface SaeEvalSummary {
  hook: string;
  tokens: number;
  fve: number;
  mse: number;
  l0: number;
  dead_pct: number;
  l2_ratio: number;
  ce_clean: number;
  ce_with_sae: number;
  ce_zero_ablation: number;
  ce_loss_score: number;
  kl_with_sae: number;
  kl_zero_ablation: number;
  kl_score: number;
  /** Percent of live latents with another live latent at decoder cosine >= 0.9 (dictionaryMetrics.ts). */
  duplicate_pct: number;
  /** Percent of latents with firing density > 10 %. */
  dense_pct: number;
  max_cosine: number;
  mean_max_cosine: number;
}

/** What a finished training run returns per SAE (also printed by the CLI). */
export interface TrainedSae {
  hook: string;
  out: string;
  eval: SaeEvalSummary;
  dictionary: DictionaryReport;
  gates: GateOutcome[];
  passed: boolean;
}

export interface LrSweepTrial {
  lr: number;
  /** Mean held-out FVE over the hooks after the trial; null when the trial diverged (NaN/Inf loss). */
  fve: number | null;
}

export interface TrainRunResult {
  saes: TrainedSae[];
  steps: number;
  tokens: number;
  tokensPerSecond: number;
  stepTokensPerSecond: number;
  lr: number;
  sweep: LrSweepTrial[] | null;
  executionProvider: string;
  runDir: string;
}

export interface EvalRunResult {
  sae: string;
  model: string;
  eval: SaeEvalSummary;
  dictionary: DictionaryReport;
  gates: GateOutcome[];
  passed: boolean;
  executionProvider: string;
  /** Set for the demo bundle's SAEs (by its manifest): constructed to plant a mechanism, so the gates are not theirs to pass. */
  constructed?: { bundleVersion: number; note: string } | null;
}

/** A training run as the Training page lists it. */
export interface TrainRunView {
  job: JobView;
  params: TrainSaeParams;
  result: TrainRunResult | null;
}

export interface TrainMetricsPage {
  points: TrainMetricPoint[];
  /** Pass back as `after` to get only newer points. */
  next: number;
  /** Judged on the whole curve so far (main/train/deadLatentTrend.ts), whatever `after` was. */
  warnings: TrainRunWarning[];
}

/** The dead share still rising after warm-up, with its likely cause and the knob to turn. */
export interface TrainRunWarning {
  kind: 'dead-rising';
  hook: string;
  /** Mean dead % over the first half of the judged steps, and over their last quarter. */
  fromPct: number;
  toPct: number;
  /** Steps before this are warm-up (not judged); the latest step judged. */
  sinceStep: number;
  atStep: number;
  cause: 'lr' | 'aux' | 'window';
  message: string;
  knob: string;
}

export interface TrainSourceOption {
  path: string;
  label: string;
  origin: 'demo' | 'library';
}

export interface TrainModelOption extends TrainSourceOption {
  /** The hooks this model offers, in forward order. */
  hooks: string[];
  dModel: number;
  nCtx: number;
}

export interface TrainSaeOption extends TrainSourceOption {
  modelPath: string | null;
  hookName: string | null;
}

/** What the Training page's forms choose from: the demo bundle and the Library. */
export interface TrainSources {
  models: TrainModelOption[];
  datasets: TrainSourceOption[];
  saes: TrainSaeOption[];
  /**
   * The demo bundle once generated, with its layer-2 hooks: resid_post (where its constructed SAEs
   * sit) and mlp_out (where the planted neuron writes its direction).
   */
  demo: { standard: string; adhd: string; dataset: string; hooks: string[] } | null;
  /** While the demo bundle is generated on first use: that job. */
  demoJobId: string | null;
}

export const trainContract = {
  /** Models (with their hooks), datasets and SAEs to train or evaluate on. */
  'train.sources': method<TrainSources>()(z.object({}).strict()),
  /** Training runs (train.sae jobs), newest first. */
  'train.runs': method<TrainRunView[]>()(z.object({}).strict()),
  /** Metric points of a run from line `after` of its metrics log (0: from the start). */
  'train.metrics': method<TrainMetricsPage>()(z.object({ jobId: JobIdSchema, after: z.number().int().min(0).optional() }).strict()),
  /** Evaluations (eval.sae jobs), newest first. */
  'train.evaluations': method<JobView[]>()(z.object({}).strict()),
};
