import type { z } from 'zod';
import type { ResourceClass } from '../../preload/api';

export type StopReason = 'pause' | 'cancel';

/** Thrown inside a job's run() when the user paused or cancelled it; the worker reports it as a stop. */
export class JobStopped extends Error {
  constructor(readonly reason: StopReason) {
    super(`job ${reason === 'pause' ? 'paused' : 'cancelled'}`);
    this.name = 'JobStopped';
  }
}

/** What a running job sees of the world. It runs in its own worker process. */
export interface JobContext {
  readonly jobId: string;
  readonly home: string;
  /** runs/<job-id>/: checkpoints, logs, artifacts of this job. Created before run(). */
  readonly runDir: string;
  /** The last checkpoint this job saved (from an earlier attempt), or null on a fresh start. */
  readonly checkpoint: unknown;
  /** Aborted when the user pauses or cancels; `stopReason` tells which. */
  readonly signal: AbortSignal;
  stopReason(): StopReason | null;
  /** Throws JobStopped if a stop was requested: call it between units of work. */
  throwIfStopped(): void;
  /**
   * fraction in 0..1 (null: unknown); the host derives the ETA from the rate. `detail` is
   * structured progress the UI knows how to draw for this kind (JSON-serialisable).
   */
  progress(fraction: number | null, message?: string, detail?: unknown): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
  /** Persist resumable state; resolves once the core has committed it to the database. */
  saveCheckpoint(state: unknown): Promise<void>;
}

export interface TitleEnv {
  readonly home: string;
}

export interface JobKind<P = unknown> {
  kind: string;
  description: string;
  /** The parameters as the user or a caller supplies them, validated before the job is queued. */
  params: z.ZodType<P>;
  /** The Queue's name for the job, written when it is queued; `env.home` lets a title read the data directory (feature labels). */
  title(params: P, env: TitleEnv): string;
  resource: ResourceClass | ((params: P) => ResourceClass);
  /** True when run() checkpoints and can continue from ctx.checkpoint (pause, resume after crash). */
  pausable: boolean;
  /**
   * Checks beyond the schema that need the file system (an output path, say), run when the job is
   * added, so a bad value is refused then and not after the work; throws a WorkbenchError.
   */
  checkParams?(params: P): void;
  /** Attempts allowed before a crashing job is marked failed (default 1: no automatic retry). */
  maxAttempts?: number;
  /** Runs in the worker process. Returns the job's result (JSON-serialisable). */
  run(ctx: JobContext, params: P): Promise<unknown>;
}

export function defineJobKind<P>(kind: JobKind<P>): JobKind<P> {
  return kind;
}
