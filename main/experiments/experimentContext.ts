/**
 * What an experiment sees of the world: a job's context, or the CLI's stand-in. Long runs report
 * progress and save checkpoints between units (a group of documents); a resumed job continues
 * from its last checkpoint with the same accumulated sums, so its numbers equal an unbroken run's.
 */
export interface ExperimentContext {
  /** The data directory, where feature indexes are looked up (null: none, as in tests). */
  readonly home?: string | null;
  progress(fraction: number | null, message?: string): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
  throwIfStopped(): void;
  /** The last checkpoint of an earlier attempt, or null. */
  readonly checkpoint: unknown;
  saveCheckpoint(state: unknown): Promise<void>;
  /** Least time between two progress checkpoints (default 2 s). */
  readonly checkpointIntervalMs?: number;
}

/**
 * Checkpoint state as named phases: finished phases keep their output, the running one its
 * partial state. Phases are keyed by name so a resumed run skips what it already did.
 */
export class PhaseCheckpoints {
  private readonly state: { done: Record<string, unknown>; partial: Record<string, unknown> };
  private lastSave = 0;

  private readonly minIntervalMs: number;

  constructor(private readonly ctx: ExperimentContext) {
    this.minIntervalMs = ctx.checkpointIntervalMs ?? 2000;
    const prev = ctx.checkpoint as { done?: Record<string, unknown>; partial?: Record<string, unknown> } | null;
    this.state = { done: { ...(prev?.done ?? {}) }, partial: { ...(prev?.partial ?? {}) } };
  }

  done<T>(phase: string): T | undefined {
    return this.state.done[phase] as T | undefined;
  }

  partial<T>(phase: string): T | undefined {
    return this.state.partial[phase] as T | undefined;
  }

  async complete(phase: string, value: unknown): Promise<void> {
    this.state.done[phase] = value;
    delete this.state.partial[phase];
    this.lastSave = Date.now();
    await this.ctx.saveCheckpoint(this.state);
  }

  /** Saves at most every minIntervalMs: checkpoints are cheap but not free. */
  async progress(phase: string, value: unknown): Promise<void> {
    this.state.partial[phase] = value;
    if (Date.now() - this.lastSave < this.minIntervalMs) return;
    this.lastSave = Date.now();
    await this.ctx.saveCheckpoint(this.state);
  }
}

/** A context that reports nowhere and keeps no checkpoints (tests, the bench). */
export function silentContext(): ExperimentContext {
  return { home: null, progress: () => {}, log: () => {}, throwIfStopped: () => {}, checkpoint: null, saveCheckpoint: async () => {} };
}
