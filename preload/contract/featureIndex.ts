import { z } from 'zod';
import { method } from './define';
import { IndexIdSchema } from './ids';
import { ENGINE_DEVICES } from './engine';
import type { JobView } from './jobs';

export const INDEX_BUILD_JOB_KIND = 'index.build';

const Path = z.string().min(1).max(4096);

/** Parameters of an index build (the `index.build` job kind and API method share them). */
export const IndexBuildParamsSchema = z
  .object({
    modelPath: Path.describe('Model folder (HF GPT-2/NeoX/Llama or TransformerLens) whose activations are indexed.'),
    saePaths: z.array(Path).min(1).max(16).describe('sae_lens SAE folders on that model; several hooks share one model pass that stops at the deepest. Or ONE crosscoder folder: then modelPath is its model B and modelAPath its model A.'),
    modelAPath: Path.optional().describe('Crosscoders: model A\'s folder (both models run on the same windows). When not given: the folder cfg.json records (model_a_path).'),
    datasetPath: Path.describe('Dataset: a .txt (one document per line), .jsonl/.json/.parquet (one per row), or a folder of such files.'),
    textColumn: z.string().min(1).max(256).optional().describe('Column holding the text; detected when left empty ("text" first).'),
    maxTokens: z.number().int().min(1).max(1e10).optional().describe('Stop after this many indexed tokens (BOS not counted).'),
    maxDocuments: z.number().int().min(1).max(1e9).optional().describe('Stop after this many documents with text (skipped rows do not count).'),
    contextSize: z.number().int().min(2).max(131072).optional().describe("Tokens per model context; default the SAE's context_size, else 128 (capped at the model's n_ctx)."),
    topN: z.number().int().min(1).max(200).default(20).describe('Top examples kept per feature.'),
    contextBefore: z.number().int().min(0).max(64).default(10).describe('Tokens shown before an example token.'),
    contextAfter: z.number().int().min(0).max(64).default(5).describe('Tokens shown after an example token.'),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0).describe('Seed of the interval-example sampling.'),
    device: z.enum(ENGINE_DEVICES).default('auto').describe('Execution provider: auto tries CUDA, then WebGPU, then CPU.'),
  })
  .strict();
export type IndexBuildParams = z.output<typeof IndexBuildParamsSchema>;

export type FeatureIndexState = 'building' | 'ready' | 'failed';

/** One index (model x SAE x dataset) as lists show it. */
export interface FeatureIndexInfo {
  id: string;
  jobId: string | null;
  state: FeatureIndexState;
  modelPath: string;
  saePath: string;
  datasetPath: string;
  hookName: string;
  layer: number | null;
  dSae: number;
  /** Indexes with the same corpus (tokenizer, dataset, BOS) line up by (document, position). */
  corpusId: string;
  labels: { model: string; sae: string; dataset: string };
  createdAt: number;
  finishedAt: number | null;
  summary: { tokens: number; documents: number; skippedRows: number; dbBytes: number; tokensPerSecond: number } | null;
  /** Why the index no longer matches its inputs (a file changed or went missing), else null. */
  stale: string | null;
  error: { code: string; message: string; hint?: string } | null;
}

/**
 * How an index is named wherever one is shown (pickers, titles, the CLI): its model, its SAE by
 * THE SAE label (origin, width, k: which SAE, not only which hook) and its dataset.
 */
export function featureIndexLabel(i: Pick<FeatureIndexInfo, 'labels' | 'hookName'>): string {
  const sae = i.labels.sae.includes(i.hookName) ? i.labels.sae : `${i.labels.sae} · ${i.hookName}`;
  return `${i.labels.model} · ${sae} · ${i.labels.dataset}`;
}

/** Every feature's headline numbers, column by column (fast to send for 16k+ features). */
export interface FeatureListing {
  indexId: string;
  tokens: number;
  fireCount: number[];
  max: number[];
  mean: number[];
  density: number[];
  decoderNorm: number[];
}

/** An example in context: `tokens[focus]` is the example token. */
export interface FeatureExample {
  document: number;
  position: number;
  activation: number;
  tokens: string[];
  /** The feature's activation at each token shown (0 where it did not fire; BOS is never indexed). */
  activations: number[];
  focus: number;
}

export interface FeatureInterval {
  /** The interval (lower, upper] of activations. */
  lower: number;
  upper: number;
  count: number;
  /** count / fire count: the share of the feature's firings in this interval. */
  share: number;
  examples: FeatureExample[];
}

export interface LogitEntry {
  token: number;
  text: string;
  value: number;
}

export interface FeatureNeighbour {
  feature: number;
  score: number;
}

export interface FeatureDetail {
  indexId: string;
  feature: number;
  dSae: number;
  hookName: string;
  labels: FeatureIndexInfo['labels'];
  fireCount: number;
  tokens: number;
  density: number;
  max: number;
  mean: number;
  decoderNorm: number;
  top: FeatureExample[];
  intervals: FeatureInterval[];
  /** Nonzero activations in `counts.length` equal-width bins of (0, max]. */
  histogram: { lower: number; upper: number; counts: number[] };
  /** W_dec[f] @ W_U extremes (no final LayerNorm); null for hooks outside the residual stream. */
  logits: { positive: LogitEntry[]; negative: LogitEntry[] } | null;
  similar: FeatureNeighbour[];
  correlated: FeatureNeighbour[];
  /**
   * Crosscoder indexes: the latent's two decoders. `logits` above is model B's decoder @ B's W_U;
   * `logitsA` model A's @ A's W_U; Δnorm and the decoder cosine as in the analysis.
   */
  crosscoder?: CrosscoderFeatureFacts | null;
}

export interface CrosscoderFeatureFacts {
  modelA: string;
  modelB: string;
  hookA: string;
  hookB: string;
  normA: number;
  normB: number;
  /** null where both decoders are zero. */
  deltaNorm: number | null;
  cosAb: number | null;
  logitsA: { positive: LogitEntry[]; negative: LogitEntry[] } | null;
}

export interface FeatureSearchHit {
  feature: number;
  /** Why it matched: the id itself, its label or note, or how many top examples peak on a matching token. */
  reason: string;
  hits: number;
  best: number;
}


export const featureIndexContract = {
  'index.list': method<FeatureIndexInfo[]>()(z.object({}).strict()),
  /** Validate (dataset rows, SAE width vs model, one model) and queue an index build. */
  'index.build': method<JobView>()(IndexBuildParamsSchema),
  'index.remove': method<{ removed: true }>()(z.object({ id: IndexIdSchema }).strict()),
  'index.features': method<FeatureListing>()(z.object({ id: IndexIdSchema }).strict()),
  'index.feature': method<FeatureDetail>()(z.object({ id: IndexIdSchema, feature: z.number().int().min(0) }).strict()),
  /** Features with that id, whose label or note contains `query`, or whose top examples peak on a token matching it. */
  'index.search': method<FeatureSearchHit[]>()(z.object({ id: IndexIdSchema, query: z.string().min(1).max(200), limit: z.number().int().min(1).max(1000).optional() }).strict()),
};
