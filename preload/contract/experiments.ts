/**
 * Causal experiments (ablation against seeded nulls, steering panels, layer swaps, probes): the
 * parameter schemas the job kinds, the CLI and the Experiments page's forms share, and the JSON
 * artifact each run writes to runs/<job-id>/experiment.json. An artifact records every parameter
 * (defaults filled in), the input files' identities, the feature sets drawn per seed and every
 * per-draw value, so each number a view shows can be recomputed from it.
 */
import { z } from 'zod';
import { method } from './define';
import { JobIdSchema } from './ids';
import { ENGINE_DEVICES } from './engine';
import type { JobView } from './jobs';
import type { LibraryItem } from './library';

export const EXPERIMENT_JOB_KINDS = {
  ablate: 'experiment.ablate',
  steer: 'experiment.steer',
  swap: 'experiment.swap',
  probe: 'experiment.probe',
} as const;
export type ExperimentKind = keyof typeof EXPERIMENT_JOB_KINDS;
export const EXPERIMENT_ARTIFACT_FILE = 'experiment.json';
export const EXPERIMENT_ARTIFACT_FORMAT = 'sae-workbench.experiment';

const Path = z.string().min(1).max(4096);
const FeatureId = z.number().int().min(0).max(10_000_000);

/** The documents a metric is measured on: the first N of a dataset, numbered as the index numbers them. */
export const SliceParams = z.object({
  dataset: Path.describe('Dataset file or folder (.txt, .jsonl, .json, .parquet) whose documents are measured'),
  textColumn: z.string().min(1).max(200).optional().describe('Column holding the text (detected when left out)'),
  maxDocuments: z.number().int().min(1).max(1_000_000).default(200).describe('Use the first N documents, in dataset order (skipped rows keep their numbers)'),
  contextSize: z
    .number()
    .int()
    .min(2)
    .max(1_000_000)
    .optional()
    .describe("Tokens per context window; longer documents continue in the next window (default: the SAE's context_size, else 128; at most the model's n_ctx)"),
  device: z.enum(ENGINE_DEVICES).default('auto').describe('Where the model runs: auto tries CUDA, then WebGPU, then CPU'),
});

const MetricField = z
  .string()
  .min(1)
  .max(500)
  .default('ce')
  .describe('What is measured at each scored position: ce (next-token cross-entropy, nats), logit:<token>, prob:<token>, logprob:<token> or logit-diff:<token>,<token> (a token is its text, or #<id>)');
const ConditionField = z
  .string()
  .min(1)
  .max(2000)
  .optional()
  .describe('Score only positions matching this token condition, e.g. token-regex:^Step$ (all non-BOS positions when left out)');
const NullFields = {
  seeds: z.number().int().min(2).max(100).default(5).describe('Null seeds S: each seed is a fresh draw of random, density-matched feature sets'),
  drawsPerSeed: z.number().int().min(1).max(1000).default(4).describe('Random feature sets drawn per seed; a seed\'s value is the mean effect over its draws'),
  nullSeed: z.number().int().min(0).max(2 ** 31 - 1).default(0).describe('Base of the null seeds: the same value draws the same feature sets'),
  margin: z
    .number()
    .min(0)
    .max(1e6)
    .optional()
    .describe("Equivalence margin in the metric's units (e.g. 0.025): the verdict says whether |effect - mean of the random draws| <= margin"),
};

export const AblateParams = SliceParams.extend({
  model: Path.describe('Model folder'),
  sae: Path.describe('SAE folder (sae_lens); it is spliced in at its hook'),
  features: z.array(FeatureId).min(1).max(4096).describe('Features of the SAE to ablate together'),
  mode: z.enum(['zero', 'mean']).default('zero').describe('zero: set the features to 0; mean: to their mean activation over the measured tokens'),
  metric: MetricField,
  condition: ConditionField,
  ...NullFields,
}).strict();
export type AblateParams = z.input<typeof AblateParams>;
export type AblateSettings = z.output<typeof AblateParams>;

export const STEER_INTERVENTIONS = ['add', 'replace', 'ablate'] as const;
export const SteerPanel = z
  .object({
    label: z.string().max(200).optional().describe('Panel title (default: model, feature and intervention)'),
    model: Path.describe('Model folder the intervention runs in'),
    sae: Path.describe('SAE folder whose feature gives the direction (from this model or, when the residual bases are shared, another one)'),
    saeModel: Path.optional().describe("The model the SAE was trained on, when it is not this panel's model (the direction is then carried over)"),
    feature: FeatureId.describe('Feature of the SAE'),
    decoder: z.enum(['a', 'b']).optional().describe("When `sae` is a crosscoder: which of its decoders gives the direction, W_dec[A] or W_dec[B] in that model's units (default: the side of the panel's model). Crosscoders steer by add or replace; ablating a latent needs both models at once."),
    intervention: z
      .enum(STEER_INTERVENTIONS)
      .default('add')
      .describe("add: x + c * W_dec[f] (Neuronpedia's steering); replace: set the component along W_dec[f] to c (c = 0 projects it out); ablate: zero the feature's latent by SAE splice"),
    strengths: z
      .array(z.number().min(-1e6).max(1e6))
      .max(32)
      .optional()
      .describe("Strength c in activation units, one per sweep point (default: the feature's max activation for add, 0 for replace)"),
  })
  .strict();
export type SteerPanel = z.input<typeof SteerPanel>;

export const SteerParams = SliceParams.extend({
  panels: z.array(SteerPanel).min(1).max(4).describe('Up to four panels (model x feature x intervention), each with its own null'),
  steerAt: z.enum(['all', 'condition']).default('all').describe('Intervene at every non-BOS position, or only where the condition holds'),
  metric: MetricField,
  condition: ConditionField,
  ...NullFields,
  prompt: z.string().max(2000).optional().describe('Generate text from this prompt with and without the intervention, side by side'),
  maxNewTokens: z.number().int().min(1).max(256).default(24).describe('Tokens to generate per text'),
  temperature: z.number().min(0).max(10).default(0.8).describe('Sampling temperature (0: greedy)'),
  sampleSeed: z.number().int().min(0).max(2 ** 31 - 1).default(0).describe('Sampling seed: both texts use the same random numbers, so they differ only through the intervention'),
}).strict();
export type SteerParams = z.input<typeof SteerParams>;
export type SteerSettings = z.output<typeof SteerParams>;

export const SwapParams = SliceParams.extend({
  modelA: Path.describe('Model A: runs up to the hook (its behaviour is the baseline)'),
  modelB: Path.describe('Model B: supplies what is swapped in'),
  mode: z
    .enum(['layers', 'latents'])
    .default('layers')
    .describe("layers: A's activations at the hook continue through B's later layers; latents: B's SAE latents (on B's activations) are spliced into A, A continues"),
  hook: z.string().min(1).max(200).optional().describe("Residual hook to swap at, e.g. blocks.2.hook_resid_post (default: the SAE's hook)"),
  sae: Path.optional().describe("B's SAE (needed for latents mode; its densities give the null)"),
  features: z.array(FeatureId).max(4096).optional().describe('Latents to swap (latents mode; all when left out, which has no null)'),
  metric: MetricField,
  condition: ConditionField,
  ...NullFields,
}).strict();
export type SwapParams = z.input<typeof SwapParams>;
export type SwapSettings = z.output<typeof SwapParams>;

export const ProbeSpec = z
  .object({
    label: z.string().max(200).optional().describe('Row title (default: model and source)'),
    model: Path.describe('Model folder'),
    source: z.enum(['hook', 'sae']).describe('hook: the activations at a hook; sae: the latents of an SAE at its hook'),
    hook: z.string().min(1).max(200).optional().describe('Hook for source hook, e.g. blocks.2.hook_resid_post'),
    sae: Path.optional().describe('SAE folder for source sae'),
  })
  .strict();
export type ProbeSpec = z.input<typeof ProbeSpec>;

export const ProbeParams = SliceParams.extend({
  condition: z.string().min(1).max(2000).describe('The label: positions matching this token condition are positives, e.g. token-regex:^Step$'),
  probes: z.array(ProbeSpec).min(1).max(8).describe('Probes to train and compare in one table'),
  testFraction: z.number().min(0.05).max(0.95).default(0.2).describe('Share of documents held out (the split is by document)'),
  splitSeed: z.number().int().min(0).max(2 ** 31 - 1).default(0).describe('Seed of the document split'),
  l2: z.number().min(0).max(100).default(0.001).describe('L2 penalty on the weights (standardised inputs); the bias is not penalised'),
}).strict();
export type ProbeParams = z.input<typeof ProbeParams>;
export type ProbeSettings = z.output<typeof ProbeParams>;

// ---------------------------------------------------------------- artifacts

/** An input an experiment read (model, SAE, dataset), file by file: enough to tell later whether it changed. */
export interface ExperimentInput {
  role: string;
  root: string;
  files: { file: string; size: number; mtimeMs: number; sha256: string }[];
  /** sha256 over the files' relative paths and hashes: the input's content. */
  sha256: string;
}

/** The documents measured and how they were cut. */
export interface SliceInfo {
  dataset: string;
  textColumn: string | null;
  documents: number;
  /** Document numbers of the first and last measured document (rows skipped before them keep their numbers). */
  firstDocument: number | null;
  lastDocument: number | null;
  skippedRows: number;
  tokens: number;
  prependBos: boolean;
  contextSize: number;
  windows: number;
}

export interface MetricInfo {
  spec: string;
  /** Human reading, e.g. 'logit of "quickly"'. */
  label: string;
  tokenIds: number[];
  condition: string | null;
  /** Positions the mean is taken over. */
  positions: number;
}

export interface DensityInfo {
  /** index: the SAE's feature index on this dataset; pass: one pass over the measured documents. */
  source: 'index' | 'pass';
  indexId: string | null;
  tokens: number;
  /** Density decile (0 = rarest) of each real feature, and the decile edges (density at ranks d/10). */
  featureDeciles: { feature: number; density: number; decile: number }[];
  decileEdges: number[];
}

/** Random feature sets of one null seed and the effect of each. */
export interface NullSeedDraws {
  seed: number;
  /** The PRNG seed this null seed used (derived from nullSeed and seed). */
  prngSeed: number;
  features: number[][];
  effects: number[];
}

/** The null of one effect and where the effect falls; recomputable from `draws`. */
export interface NullComparison {
  /** Per seed: the mean effect over that seed's draws. */
  seeds: number[];
  mean: number | null;
  /** Sample sd of `seeds`. */
  sd: number | null;
  /** sd / sqrt(S). */
  sem: number | null;
  draws: NullSeedDraws[];
  /** Over every single draw: how many effects were below / equal to / above the real one. */
  drawsBelow: number;
  drawsEqual: number;
  drawsAbove: number;
  drawMin: number | null;
  drawMax: number | null;
  /** m: the mean of every single draw (equal to `mean` when every seed has as many draws). */
  drawMean: number | null;
  /** #{i : |e_i - m| >= |effect - m|} over every single draw e_i. */
  drawsAsFar: number;
}

/**
 * How a verdict reads its numbers (main/stats/verdict.ts): no-effect (|effect| within the
 * metric's numerical resolution), no-null (a measurable effect without random alternatives),
 * like-random (p > 0.05, or within resolution of the draws' mean), unusual (p <= 0.05 with some
 * draws as far), beyond-all (further from the draws' mean than every draw).
 */
export type VerdictReading = 'no-effect' | 'no-null' | 'like-random' | 'unusual' | 'beyond-all';

export interface EffectWithNull {
  effect: number;
  null: NullComparison | null;
  /** (effect - null.mean) / null.sd. */
  z: number | null;
  /** The 2-SEM test: whether |effect - null.mean| >= 2 SEM. */
  outsideNull: boolean | null;
  /** Empirical two-sided p = (1 + null.drawsAsFar) / (N + 1), N single draws; null without a null. */
  pValue: number | null;
  /** The equivalence margin asked for, or null. */
  margin: number | null;
  /** |effect - null.drawMean| <= margin; null without a margin or without a null. */
  withinMargin: boolean | null;
  /** The metric's scale: the mean |value| over the scored positions of the unedited run. */
  scale: number;
  /** The smallest |effect| read as measurable: 1e-5 x scale (float32 rounding lies below it). */
  resolution: number;
  reading: VerdictReading;
  verdict: string;
}

/** What every artifact starts with. */
export interface ArtifactBase<K extends ExperimentKind, P> {
  format: typeof EXPERIMENT_ARTIFACT_FORMAT;
  version: 1;
  kind: K;
  createdAt: number;
  elapsedMs: number;
  appVersion: string;
  executionProvider: string;
  params: P;
  inputs: ExperimentInput[];
  slice: SliceInfo;
}

export interface AblateArtifact extends ArtifactBase<'ablate', AblateSettings> {
  hook: string;
  metric: MetricInfo;
  densities: DensityInfo;
  /** Mean-ablation values per feature (mode mean), in feature order. */
  meanValues: number[] | null;
  clean: number;
  ablated: number;
  result: EffectWithNull;
}

export interface SteerPoint extends EffectWithNull {
  strength: number;
  steered: number;
}

export interface SteerPanelResult {
  label: string;
  model: string;
  sae: string;
  saeModel: string;
  feature: number;
  intervention: (typeof STEER_INTERVENTIONS)[number];
  hook: string;
  /** Whether the direction came from another model's SAE. */
  carried: boolean;
  /** Max activation of the feature (default strength) and its decoder norm. */
  featureMax: number;
  decoderNorm: number;
  densities: DensityInfo;
  clean: number;
  points: SteerPoint[];
  generation: { strength: number; prompt: string; clean: string; steered: string } | null;
}

export interface SteerArtifact extends ArtifactBase<'steer', SteerSettings> {
  metric: MetricInfo;
  panels: SteerPanelResult[];
}

export interface SwapArtifact extends ArtifactBase<'swap', SwapSettings> {
  hook: string;
  metric: MetricInfo;
  densities: DensityInfo | null;
  /** The metric in A, in B, and in A with the swap. */
  a: number;
  b: number;
  swapped: number;
  /** (swapped - a) / (b - a): the share of the A-to-B difference the swap carries; null when a = b. */
  gapFraction: number | null;
  result: EffectWithNull;
}

export interface ProbeResult {
  label: string;
  model: string;
  source: 'hook' | 'sae';
  hook: string;
  sae: string | null;
  inputs: number;
  trainPositions: number;
  testPositions: number;
  trainPositives: number;
  testPositives: number;
  trainAccuracy: number | null;
  accuracy: number | null;
  auroc: number | null;
  baseline: { majorityClass: 0 | 1; accuracy: number | null };
  iterations: number;
  converged: boolean;
  verdict: string;
}

export interface ProbeArtifact extends ArtifactBase<'probe', ProbeSettings> {
  condition: string;
  trainDocuments: number[];
  testDocuments: number[];
  probes: ProbeResult[];
}

export type ExperimentArtifact = AblateArtifact | SteerArtifact | SwapArtifact | ProbeArtifact;

/** Models, SAEs and datasets the forms offer: the demo bundle first, then the Library. */
export interface ExperimentSources {
  /** Labels are the Library's identities (contract/identity.ts). */
  models: { path: string; label: string; detail: string }[];
  saes: { path: string; label: string; detail: string; modelPath: string | null; hookName: string | null; dSae: number | null }[];
  datasets: { path: string; label: string; detail: string }[];
  /** The demo bundle's paths and planted feature, when it is ready. */
  demo: { standard: string; adhd: string; standardSae: string; adhdSae: string; dataset: string; plantedFeature: number; stepToken: string; targetToken: string } | null;
  /** While the demo bundle is being generated (first use): the job doing it. */
  demoJobId: string | null;
}

export interface ExperimentListing {
  jobs: JobView[];
  /** JSON result files in the Library (e.g. the seed's causal_nulls_per_seed.json) to open beside them. */
  resultFiles: LibraryItem[];
}


export const experimentsContract = {
  /** Experiment jobs (any state) and the Library's JSON result files. */
  'experiments.list': method<ExperimentListing>()(z.object({}).strict()),
  /** A finished experiment's artifact (runs/<job-id>/experiment.json). */
  'experiments.artifact': method<ExperimentArtifact>()(z.object({ jobId: JobIdSchema }).strict()),
  'experiments.sources': method<ExperimentSources>()(z.object({}).strict()),
};
