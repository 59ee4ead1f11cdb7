/**
 * What script and notebook clients (the Python client in python/) need beyond the views: the
 * CLI's `acts` and `encode` as tensors, an index's sparse store as a long table, and a finished
 * job's result in the exact shape its CLI command prints. Tensors cross the WebSocket as binary
 * frames (contract/tensors.ts).
 */
import { z } from 'zod';
import { method } from './define';
import { ENGINE_DEVICES, type EngineExecutionProvider } from './engine';
import { IndexIdSchema, JobIdSchema } from './ids';
import { TensorSchema, type Tensor } from './tensors';

const Path = z.string().min(1).max(4096);

export const ActsParamsSchema = z
  .object({
    model: Path.describe('Model folder'),
    text: z.string().max(8_000_000).optional().describe("Text, tokenized as the model's tokenizer does (BOS per the model's default)"),
    tokens: TensorSchema.refine((t) => t.shape.length === 1 && (t.dtype === 'I64' || t.dtype === 'I32'), 'a 1-D I64 or I32 tensor of token ids')
      .optional()
      .describe('Token ids, taken as they are (no BOS added)'),
    hooks: z.array(z.string().min(1).max(200)).max(64).default([]).describe('TransformerLens hook names'),
    logits: z.boolean().default(false),
    device: z.enum(ENGINE_DEVICES).default('auto'),
  })
  .strict()
  .refine((p) => (p.text === undefined) !== (p.tokens === undefined), 'give exactly one of text and tokens')
  .refine((p) => p.hooks.length > 0 || p.logits, 'give hooks, logits or both');
export type ActsParams = z.output<typeof ActsParamsSchema>;

/** `acts --out`'s tensors: one float32 [n_tokens, d] per hook (named by the hook), `logits` when asked, `tokens` int64. */
export interface ActsResult {
  model: string;
  executionProvider: EngineExecutionProvider;
  /** Execution providers that were tried and not used, and why (the CLI's "Note:" lines). */
  notes: string[];
  tensors: Record<string, Tensor>;
}

export const EncodeParamsSchema = z
  .object({
    sae: Path.describe('SAE folder (sae_lens)'),
    acts: TensorSchema.refine((t) => t.dtype === 'F32' && t.shape.length >= 1, 'a float32 tensor [..., d_in]').describe('Activations at the SAE\'s hook, [n, d_in] (leading dimensions are flattened)'),
    format: z.enum(['dense', 'sparse']).default('dense').describe('feature_acts as a dense [n, d_sae] tensor, or as its nonzero entries'),
    device: z.enum(ENGINE_DEVICES).default('auto'),
  })
  .strict();
export type EncodeParams = z.output<typeof EncodeParamsSchema>;

/** `encode --out`'s tensors (sae_lens v6 semantics); feature_acts dense, or sparse as COO indices [2, nnz] (row, feature) and values [nnz]. */
export interface EncodeResult {
  sae: string;
  hookName: string;
  executionProvider: EngineExecutionProvider;
  /** [rows, d_sae]: the shape of feature_acts, dense or not. */
  shape: [number, number];
  sae_out: Tensor;
  feature_acts: Tensor | null;
  feature_acts_sparse: { indices: Tensor; values: Tensor } | null;
}

export const MAX_ACTIVATION_ROWS = 50_000_000;

export const IndexActivationsParamsSchema = z
  .object({
    id: IndexIdSchema,
    features: z.array(z.number().int().min(0)).max(1_000_000).optional().describe('Only these features (all when left out)'),
    documents: z.array(z.number().int().min(0)).max(10_000_000).optional().describe('Only these documents (all when left out)'),
    maxRows: z.number().int().min(1).max(MAX_ACTIVATION_ROWS).default(20_000_000).describe('Refuse (rather than cut) a table longer than this'),
  })
  .strict();

/** The sparse store as a long table, in store order (document, position, then the order the latents were stored), as `index export`'s activations.parquet. */
export interface IndexActivations {
  indexId: string;
  rows: number;
  document: Tensor;
  position: Tensor;
  feature: Tensor;
  activation: Tensor;
}

export const notebookContract = {
  /** The CLI's `acts`: hook activations (and logits) of a model on text or token ids, as tensors. */
  'engine.acts': method<ActsResult>()(ActsParamsSchema),
  /** The CLI's `encode`: SAE feature activations and reconstruction of given activations. */
  'engine.encode': method<EncodeResult>()(EncodeParamsSchema),
  /** Every fired latent of an index's sparse store (filtered by features and documents) as columns. */
  'index.activations': method<IndexActivations>()(IndexActivationsParamsSchema),
  /** A completed job's result exactly as its CLI command prints it (the --json object / final JSON line). */
  'jobs.output': method<unknown>()(z.object({ id: JobIdSchema }).strict()),
};
