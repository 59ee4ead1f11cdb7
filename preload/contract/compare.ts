import { z } from 'zod';
import { method } from './define';
import { IndexIdSchema, JobIdSchema, LibraryItemIdSchema } from './ids';
import { ENGINE_DEVICES } from './engine';
import type { JobView } from './jobs';

export const COMPARE_MATCH_JOB_KIND = 'compare.match';
export const COMPARE_DIFF_JOB_KIND = 'compare.diff';

export const MATCH_METHODS = ['auto', 'activation', 'decoder'] as const;
export type MatchMethodChoice = (typeof MATCH_METHODS)[number];


/** What "Outside diff" accepts, in words: the Compare page says it, and the core's refusal of a file repeats it. */
export const OVERLAY_ACCEPTS =
  'a JSON file with a table of feature records: a list of at least 2 objects, each with an integer feature id (feature, feature_id, latent, idx, id, ...) and a number to rank by (an asymmetry, ratio, fold change, score, ...), or an object keyed by feature id ({"2504": {...}} or {"2504": 3.1}), at most 4 levels below the top';

/** A table of feature records found in a result JSON (e.g. the seed's feature_diff.json). */
export interface ArtifactTable {
  /** Keys from the top of the JSON down to the table ([] for a top-level array). */
  path: string[];
  rows: number;
  columns: { name: string; kind: 'int' | 'number' | 'other' }[];
  /** An object keyed by feature id ({"2504": {...}}): its key became the "feature" column. */
  keyedById?: boolean;
  guessedId?: string | null;
  guessedValue?: string | null;
}

/** A diff computed here laid next to an artifact's ranking. */
export interface ArtifactOverlay {
  path: string[];
  idField: string;
  valueField: string;
  ours: number;
  theirs: number;
  /** Features in both lists, and Spearman's rho of the two values over them. */
  shared: number;
  spearman: number | null;
  topN: number;
  /** Features in both top-N lists. */
  topOverlap: number;
  /** Top-N features of one list that the other list does not have at all. */
  onlyOurs: number[];
  onlyTheirs: number[];
}

export const MatchParamsSchema = z
  .object({
    a: IndexIdSchema.describe('Index of model A (the reference, e.g. "standard").'),
    b: IndexIdSchema.describe('Index of model B (the one whose features are explained, e.g. "adhd").'),
    method: z
      .enum(MATCH_METHODS)
      .default('auto')
      .describe('activation: Pearson of activations over shared tokens (any bases); decoder: decoder cosine (shared residual basis only); auto: decoder when the models share a residual basis, else activation.'),
    device: z.enum(ENGINE_DEVICES).default('auto').describe('Execution provider for the decoder products.'),
  })
  .strict();
export type MatchParams = z.output<typeof MatchParamsSchema>;

export const DiffParamsSchema = MatchParamsSchema.extend({
  condition: z.string().min(1).max(2000).describe('Token condition, e.g. token-regex:^Step$, context-regex:\\nStep \\d+:$, ids:5,9, position:first, named:step-onset; join with " && ".'),
  minRate: z.number().min(0).max(1).default(0).describe('Keep B features whose rate at the condition reaches this.'),
  threshold: z.number().min(-1).max(1).optional().describe('A B feature whose best match scores below this has no counterpart in A; default 0.3 for activation Pearson, 0.7 for decoder cosine.'),
  floor: z.number().positive().max(1).optional().describe("Floor of the asymmetry's denominator; default 1 / the number of condition tokens."),
}).strict();
export type DiffParams = z.output<typeof DiffParamsSchema>;

/** What a compare result records about each index it read: enough to rebuild and recheck it. */
export interface IndexRef {
  id: string;
  finishedAt: number | null;
  labels: { model: string; sae: string; dataset: string };
  modelPath: string;
  saePath: string;
  datasetPath: string;
  hookName: string;
  dSae: number;
  sha256: { model: string; sae: string; dataset: string; tokenizer: string };
}

export interface FeatureMatchRow {
  feature: number;
  match: number | null;
  match_score: number | null;
  runner_up: number | null;
  runner_up_score: number | null;
  /** The one-to-one partner in A, or null. */
  assigned: number | null;
}

export interface MatchResult {
  method: 'activation' | 'decoder';
  requested: MatchMethodChoice;
  a: IndexRef;
  b: IndexRef;
  /** Activation: shared non-BOS tokens the correlations are over. */
  tokens: number | null;
  /** Mean cosine of the two models' embeddings of the same token (null when shapes differ). */
  embeddingAgreement: number | null;
  warnings: string[];
  /** Candidate edges dropped to keep assignment components solvable (0: exact over candidates). */
  prunedEdges: number;
  createdAt: number;
  features: FeatureMatchRow[];
}

export interface DiffRow {
  feature: number;
  rate_b: number;
  rate_b_elsewhere: number;
  mean_b: number;
  match: number | null;
  match_score: number | null;
  rate_a_match: number | null;
  asymmetry: number;
  /**
   * What the difference comes from: no counterpart in A; "input differs" (matched, yet it fires
   * more in B: B's encoder reads B's activations, which differ at the condition); as in A; less than in A.
   */
  why: 'no counterpart' | 'input differs' | 'as in A' | 'less than in A';
}

export interface DiffResult {
  /** The condition as run (named conditions expanded), and as asked. */
  condition: string;
  requestedCondition: string;
  n_condition_tokens: number;
  n_other_tokens: number;
  floor: number;
  minRate: number;
  threshold: number;
  method: 'activation' | 'decoder';
  sentence: string;
  a: IndexRef;
  b: IndexRef;
  matchWarnings: string[];
  createdAt: number;
  features: DiffRow[];
  /** Where the JSON and CSV exports were written. */
  files: { json: string; csv: string } | null;
}

/** A feature's counterpart in another index, from the newest match of the two (either direction). */
export interface FeatureCounterpart {
  /** Whether the two indexes were matched (and neither was rebuilt since). */
  matched: boolean;
  /** The best-matching feature there (null: not matched, or nothing co-fires with it). */
  feature: number | null;
  score: number | null;
  method: 'activation' | 'decoder' | null;
  /** The default "no counterpart below" score of that method. */
  threshold: number | null;
  createdAt: number | null;
}

export interface SavedCondition {
  name: string;
  spec: string;
  description: string;
}

export interface ConditionPreview {
  spec: string;
  documents: { document: number; tokens: string[]; mask: number[] }[];
  matches: number;
  tokens: number;
}

export const compareContract = {
  /** Queue a Match job for two indexes (result cached; read it with compare.matchResult). */
  'compare.match': method<JobView>()(MatchParamsSchema),
  /** The counterpart of one feature in another index, from their newest match (the side-by-side pane's suggestion). */
  'compare.counterpart': method<FeatureCounterpart>()(z.object({ index: IndexIdSchema, feature: z.number().int().min(0), other: IndexIdSchema }).strict()),
  'compare.matchResult': method<MatchResult | null>()(z.object({ a: IndexIdSchema, b: IndexIdSchema, method: z.enum(MATCH_METHODS).default('auto') }).strict()),
  /** Queue a condition diff (matches first when needed). */
  'compare.diff': method<JobView>()(DiffParamsSchema),
  'compare.diffResult': method<DiffResult>()(z.object({ jobId: JobIdSchema }).strict()),
  /** A finished diff's export file (JSON or CSV with every parameter), for download. */
  'compare.diffFile': method<{ name: string; text: string }>()(z.object({ jobId: JobIdSchema, format: z.enum(['json', 'csv']) }).strict()),
  'compare.conditions': method<SavedCondition[]>()(z.object({}).strict()),
  'compare.saveCondition': method<SavedCondition>()(
    z.object({ name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, - and _'), spec: z.string().min(1).max(2000), description: z.string().max(500).default('') }).strict(),
  ),
  'compare.removeCondition': method<{ removed: true }>()(z.object({ name: z.string().min(1).max(64) }).strict()),
  /** Tables of feature records in a Library result file, with guessed id and value columns. */
  'compare.artifactTables': method<ArtifactTable[]>()(z.object({ artifactId: LibraryItemIdSchema }).strict()),
  /** Compare a finished diff's ranking with an artifact's table. */
  'compare.overlay': method<ArtifactOverlay>()(
    z
      .object({
        jobId: JobIdSchema,
        artifactId: LibraryItemIdSchema,
        path: z.array(z.string().max(256)).max(8),
        keyedById: z.boolean().optional(),
        idField: z.string().min(1).max(256),
        valueField: z.string().min(1).max(256),
        topN: z.number().int().min(1).max(10000).default(50),
      })
      .strict(),
  ),
  /** Highlight where a condition holds in the first documents of an index's corpus. */
  'compare.previewCondition': method<ConditionPreview>()(z.object({ indexId: IndexIdSchema, spec: z.string().min(1).max(2000), documents: z.number().int().min(1).max(50).default(8) }).strict()),
};
