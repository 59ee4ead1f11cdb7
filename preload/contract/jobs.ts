import { z } from 'zod';
import { method, type ApiError } from './define';
import { JobIdSchema } from './ids';
import { CLUSTER_NAME_PATTERN, type RemoteJobInfo } from './cluster';

export const JobStates = ['queued', 'running', 'pausing', 'paused', 'cancelling', 'completed', 'failed', 'cancelled', 'interrupted'] as const;
export type JobState = (typeof JobStates)[number];
/**
 * The scheduler's slot class: at most one 'gpu' job runs at a time, 'cpu' jobs up to the CPU
 * concurrency. A kind that runs a model asks for 'gpu' unless told device "cpu"; on a machine
 * where no GPU execution provider works the scheduler gives it a 'cpu' slot instead.
 */
export type ResourceClass = 'gpu' | 'cpu';

/** What the UI knows about a job; `progress` is 0..1 or null when the kind cannot tell. */
export interface JobView {
  id: string;
  kind: string;
  title: string;
  /**
   * The job's parameters. In jobs.list, job.updated and the other job-returning calls, large
   * parts are summarised (long arrays and strings become {"$summary": ...} markers; scalars stay):
   * see `summarised`. jobs.get returns params and result whole.
   */
  params: unknown;
  /** True when params or result here are summaries; fetch jobs.get for the whole values. */
  summarised: boolean;
  state: JobState;
  priority: number;
  position: number;
  resource: ResourceClass;
  /**
   * The execution provider the job's model sessions actually ran on: "cpu", "webgpu" or "cuda"
   * (each EP in the order first used, joined by "+", when sessions fell back part-way, e.g.
   * "cuda+cpu"); null for a job that ran no model (yet). `jobs list --json` prints it as
   * "execution_provider".
   */
  executionProvider: string | null;
  /**
   * The largest share (percent) of a GPU session's nodes that onnxruntime ran on the CPU instead
   * (profiled on each GPU session's first run); null when no GPU session ran. `jobs list --json`:
   * "cpu_fallback_pct".
   */
  cpuFallbackPct: number | null;
  progress: number | null;
  progressMessage: string | null;
  /** Structured progress for kinds that report more than a fraction (e.g. per-file download state). */
  progressDetail: unknown;
  etaSeconds: number | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** Milliseconds spent running in finished attempts (excludes time queued or paused). */
  elapsedMs: number;
  /** When the current attempt started, while one runs: elapsed = elapsedMs + (now - this). */
  attemptStartedAt: number | null;
  attempts: number;
  error: ApiError | null;
  result: unknown;
  /** Whether the kind can checkpoint, so pause and resume-after-crash keep its work. */
  pausable: boolean;
  /** Where it runs: null for this machine, else the name of a cluster profile (cluster.list). */
  target: string | null;
  /** For a job on a cluster: its Slurm job id, state, reason and node (null before it is submitted, and for local jobs). */
  remote: RemoteJobInfo | null;
}

export interface JobLogLine {
  jobId: string;
  seq: number;
  ts: number;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

/** A JSON Schema node, as much of it as forms need (zod 4 toJSONSchema output). */
export interface JsonSchemaNode {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  items?: JsonSchemaNode;
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
  additionalProperties?: boolean | JsonSchemaNode;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  anyOf?: JsonSchemaNode[];
}

/** A kind's params: an object schema whose properties are the parameters. */
export interface JobParamsSchema extends JsonSchemaNode {
  type: 'object';
  properties: Record<string, JsonSchemaNode>;
}

export interface JobKindView {
  kind: string;
  title: string;
  description: string;
  resource: ResourceClass;
  pausable: boolean;
  /** The params as JSON Schema (from the kind's zod schema): fields, defaults and each field's description. */
  paramsSchema: JobParamsSchema;
  /** Whether jobs of this kind can be sent to a cluster (jobs.add `target`); kinds that only touch local files cannot. */
  runsOnClusters: boolean;
}


export const jobsContract = {
  'jobs.kinds': method<JobKindView[]>()(z.object({}).strict()),
  /** Every job, params and result summarised when large. */
  'jobs.list': method<JobView[]>()(z.object({}).strict()),
  /** One job with its params and result whole. */
  'jobs.get': method<JobView>()(z.object({ id: JobIdSchema }).strict()),
  'jobs.add': method<JobView>()(
    z
      .object({
        kind: z.string().min(1),
        params: z.unknown(),
        priority: z.number().int().min(-100).max(100).optional(),
        /** A cluster profile's name (cluster.list): the job runs there; left out, on this machine. */
        target: z.string().regex(CLUSTER_NAME_PATTERN, 'not a cluster profile name').optional(),
      })
      .strict(),
  ),
  'jobs.cancel': method<JobView>()(z.object({ id: JobIdSchema }).strict()),
  'jobs.pause': method<JobView>()(z.object({ id: JobIdSchema }).strict()),
  'jobs.resume': method<JobView>()(z.object({ id: JobIdSchema }).strict()),
  'jobs.retry': method<JobView>()(z.object({ id: JobIdSchema }).strict()),
  'jobs.remove': method<{ removed: true }>()(z.object({ id: JobIdSchema }).strict()),
  /**
   * Remove finished jobs (completed, failed, cancelled) from the list: those of `ids`, or all when
   * omitted. Only the queue's records go; files the jobs wrote (runs/<id>/, trained SAEs, indexes,
   * exports) stay on disk. Jobs in `ids` that are not finished are left alone.
   */
  'jobs.clearFinished': method<{ removed: string[] }>()(z.object({ ids: z.array(JobIdSchema).max(100_000).optional() }).strict()),
  /** Move a queued job up (-1) or down (+1) among queued jobs. */
  'jobs.move': method<JobView[]>()(z.object({ id: JobIdSchema, direction: z.union([z.literal(-1), z.literal(1)]) }).strict()),
  'jobs.logs': method<JobLogLine[]>()(
    z.object({ id: JobIdSchema, afterSeq: z.number().int().min(0).optional(), limit: z.number().int().min(1).max(5000).optional() }).strict(),
  ),
  'jobs.settings': method<{ cpuConcurrency: number }>()(
    z.object({ cpuConcurrency: z.number().int().min(1).max(64).optional() }).strict(),
  ),
};

export interface JobsEvents {
  'job.updated': JobView;
  'job.removed': { id: string };
  'job.log': JobLogLine;
}
