import { z } from 'zod';
import { method } from './define';
import { IndexIdSchema, JobIdSchema } from './ids';
import type { JobView } from './jobs';
import { TrainSaeParamsSchema, type LrSweepTrial } from './train';
import { ENGINE_DEVICES } from './engine';

/**
 * BatchTopK crosscoders (issue 19): one dictionary over the paired activations of two models.
 * The `train.crosscoder` job kind (and `sae-workbench crosscoder`), the `crosscoder.analyse` kind
 * (relative decoder norms, bands, decoder cosines, latent scaling; `crosscoder-latents`), and the
 * methods the Training and Compare pages read them with. One schema per kind serves the job, the
 * CLI and the forms; the training knobs shared with SAE training are the SAE schema's own fields.
 */

export const TRAIN_CROSSCODER_KIND = 'train.crosscoder';
export const CROSSCODER_ANALYSE_KIND = 'crosscoder.analyse';

const path = z.string().min(1).max(4096);
const hook = z.string().min(1).max(200);

/** Training knobs that mean the same for a crosscoder as for an SAE (same defaults, same words). */
const shared = TrainSaeParamsSchema.pick({
  dataset: true,
  textColumn: true,
  dSae: true,
  expansionFactor: true,
  tokens: true,
  batchSize: true,
  lrWarmupSteps: true,
  lrDecaySteps: true,
  lrEnd: true,
  lrSweep: true,
  auxCoefficient: true,
  deadWindowTokens: true,
  contextSize: true,
  bufferBatches: true,
  evalTokens: true,
  seed: true,
  device: true,
  loopDataset: true,
  checkpointEverySteps: true,
  checkpointEveryMinutes: true,
  topkThresholdLr: true,
});

export const TrainCrosscoderParamsSchema = shared
  .extend({
    lr: z.number().positive().max(1).default(1e-3).describe('Adam learning rate. Default 1e-3: the rate the crosscoder was checked at (the demo pair\'s planted latent, the tests); the SAE shape rule (bench/lrStudy.ts) has not been studied for crosscoders. Tick the lr sweep when unsure.'),
    modelA: path.describe('Model A (e.g. the base model): its activations are index 0 of every [2, ...] tensor.'),
    modelB: path.describe('Model B (e.g. the fine-tuned model): index 1. It must share model A\'s tokenizer: both read the same token windows.'),
    hookA: hook.describe('TransformerLens hook of model A, e.g. blocks.2.hook_resid_post.'),
    hookB: hook.optional().describe('Hook of model B. When not given: the same name as model A\'s.'),
    k: z.number().int().min(1).max(4096).default(40).describe('Latents per token on average (BatchTopK keeps k x batch per batch over both models\' pair). Default 40, as SAE training.'),
    normTokens: z.number().int().min(1).default(65_536).describe('Training tokens the per-model input scales are estimated on (E||x_m / s_m||^2 = d_in), before training; saved in cfg.json. Default 65536: the scale settles to three digits well before that.'),
    out: path.optional().describe('Folder for the crosscoder (cfg.json, crosscoder_weights.safetensors, README.md, training_config.json, sparsity.safetensors), an absolute path outside the models and dataset. Default: the run\'s folder, runs/<job-id>/crosscoder.'),
    overwrite: z.boolean().default(false).describe('Replace crosscoder files already in the output folder (only the files it writes). Default off.'),
  })
  .strict();
export type TrainCrosscoderParams = z.output<typeof TrainCrosscoderParamsSchema>;
export type TrainCrosscoderParamsInput = z.input<typeof TrainCrosscoderParamsSchema>;

/** Where Δnorm puts a latent (bands editable, DESIGN.md section 10). */
export const CROSSCODER_CATEGORIES = ['a-only', 'shared', 'b-only', 'other'] as const;
export type CrosscoderCategory = (typeof CROSSCODER_CATEGORIES)[number];

export const CrosscoderBandsSchema = z
  .object({
    aOnlyMax: z.number().min(0).max(1).default(0.1).describe('A-only when Δnorm <= this. Default 0.1 (Minder et al. 2025).'),
    sharedMin: z.number().min(0).max(1).default(0.4).describe('Shared when Δnorm is in [sharedMin, sharedMax]. Default 0.4.'),
    sharedMax: z.number().min(0).max(1).default(0.6).describe('Default 0.6.'),
    bOnlyMin: z.number().min(0).max(1).default(0.9).describe('B-only when Δnorm >= this. Default 0.9.'),
  })
  .strict()
  .refine((b) => b.aOnlyMax < b.sharedMin && b.sharedMin <= b.sharedMax && b.sharedMax < b.bOnlyMin, { message: 'bands must be ordered: aOnlyMax < sharedMin <= sharedMax < bOnlyMin' });
export type CrosscoderBands = z.output<typeof CrosscoderBandsSchema>;
export const DEFAULT_CROSSCODER_BANDS: CrosscoderBands = { aOnlyMax: 0.1, sharedMin: 0.4, sharedMax: 0.6, bOnlyMin: 0.9 };

export const CrosscoderAnalyseParamsSchema = z
  .object({
    crosscoder: path.describe('Crosscoder folder (cfg.json + crosscoder_weights.safetensors).'),
    modelA: path.optional().describe('Model A folder, for densities and latent scaling. When not given: the Library model linked to the crosscoder\'s model A.'),
    modelB: path.optional().describe('Model B folder, likewise.'),
    dataset: path.optional().describe('Dataset for densities and latent scaling. When not given: the cfg\'s dataset_path, if it exists; without one only the decoder figures are computed.'),
    textColumn: z.string().min(1).max(200).optional(),
    maxTokens: z.number().int().min(1).default(32_768).describe('Tokens (BOS not counted, from the start of the dataset) for densities and latent scaling. Default 32768.'),
    bands: CrosscoderBandsSchema.default(DEFAULT_CROSSCODER_BANDS).describe('Δnorm bands.'),
    nuMax: z.number().positive().max(10).default(0.3).describe('A latent\'s "only in one model" status is confirmed when both nu_r and nu_eps are below this. Default 0.3 (Minder et al. 2025).'),
    device: z.enum(ENGINE_DEVICES).default('auto'),
  })
  .strict();
export type CrosscoderAnalyseParams = z.output<typeof CrosscoderAnalyseParamsSchema>;

/** One latent of `crosscoder-latents --json` (exact keys) and of the analysis artifact. */
export interface CrosscoderLatentRow {
  latent: number;
  /** null where both decoders are zero (the latent writes nothing). */
  delta_norm: number | null;
  category: CrosscoderCategory;
  /** Cosine of W_dec[0][j] and W_dec[1][j]; null where a decoder is zero. */
  cos_ab: number | null;
  /** Share of analysed tokens it fired on; null without a dataset. */
  density: number | null;
  /** Latent scaling (A-only and B-only latents with a dataset): null where not computed. */
  nu_r: number | null;
  nu_eps: number | null;
}

export interface CrosscoderAnalysis {
  crosscoder: string;
  dIn: number;
  dSae: number;
  k: number;
  modelA: string;
  modelB: string;
  hookA: string;
  hookB: string;
  bands: CrosscoderBands;
  nuMax: number;
  counts: Record<CrosscoderCategory, number> & { dead: number; live: number };
  /** Latents whose decoders are both zero, or that never fired on the analysed tokens. */
  deadLatents: number[];
  /** Δnorm histogram over live latents: 50 bins over [0, 1]. */
  histogram: { edges: number[]; counts: number[] };
  /** Decoder cosine of the shared latents: 20 bins over [-1, 1]. */
  sharedCosine: { edges: number[]; counts: number[]; mean: number | null };
  latents: CrosscoderLatentRow[];
  /** A-only/B-only latents whose status latent scaling confirmed (nu_r and nu_eps < nuMax). */
  confirmed: { aOnly: number[]; bOnly: number[] };
  tokens: number | null;
  dataset: string | null;
  /** The model folders the densities were computed with (null without a dataset). */
  modelPathA: string | null;
  modelPathB: string | null;
  executionProvider: string | null;
}

/** What `train.crosscoder` returns (also the CLI's JSON line, by snake_case keys). */
export interface CrosscoderTrainResult {
  out: string;
  fve_a: number;
  fve_b: number;
  l0: number;
  dead_pct: number;
  n_a_only: number;
  n_shared: number;
  n_b_only: number;
  heldOutTokens: number;
  normScales: [number, number];
  steps: number;
  tokens: number;
  tokensPerSecond: number;
  stepTokensPerSecond: number;
  lr: number;
  sweep: LrSweepTrial[] | null;
  executionProvider: string;
  runDir: string;
}

export interface CrosscoderRunView {
  job: JobView;
  params: TrainCrosscoderParams;
  result: CrosscoderTrainResult | null;
}

export interface CrosscoderAnalysisView {
  /** The newest crosscoder.analyse job of this crosscoder (any state), or null. */
  job: JobView | null;
  /** Its result once finished. */
  analysis: CrosscoderAnalysis | null;
}

/** One crosscoder latent beside the SAE-based condition diff (crosscoderAgreement.ts). */
export interface CrosscoderAgreementRow {
  latent: number;
  delta_norm: number | null;
  category: CrosscoderCategory;
  rate_at_condition: number;
  rate_elsewhere: number;
  /** The SAE-B feature co-firing with it most at the condition (Jaccard), and that feature's diff figures. */
  sae_feature: number | null;
  jaccard: number | null;
  sae_rate_b: number | null;
  sae_asymmetry: number | null;
  sae_why: string | null;
  crosscoder_says_b: boolean;
  diff_says_b: boolean;
  agreement: 'both' | 'crosscoder only' | 'diff only' | 'neither';
}

export interface CrosscoderAgreement {
  crosscoderIndex: string;
  saeIndex: string;
  condition: string;
  n_condition_tokens: number;
  bands: CrosscoderBands;
  rows: CrosscoderAgreementRow[];
  /** Rows where both methods say the same (both or neither). */
  agree: number;
  sentence: string;
}

export const crosscoderContract = {
  /** Crosscoder training runs (train.crosscoder jobs), newest first. Curves: train.metrics with the job id. */
  'crosscoder.runs': method<CrosscoderRunView[]>()(z.object({}).strict()),
  /** The newest analysis of a crosscoder folder (and its job while it runs). */
  'crosscoder.analysis': method<CrosscoderAnalysisView>()(z.object({ crosscoder: path, job: JobIdSchema.optional().describe('One analysis of it (e.g. the one with bands the user picked); default the newest.') }).strict()),
  /** Queue an analysis (crosscoder.analyse), or return the finished one asked for with the same params. */
  'crosscoder.analyse': method<JobView>()(CrosscoderAnalyseParamsSchema),
  /** The crosscoder's latents at a finished condition diff's condition, beside the diff's B features: do the two methods agree? */
  'crosscoder.agreement': method<CrosscoderAgreement>()(z.object({ crosscoderIndex: IndexIdSchema, diffJobId: JobIdSchema, bands: CrosscoderBandsSchema.optional() }).strict()),
};
