import { WorkbenchError } from '../errors';
import type { JobKind } from './kind';
import { parseJobParams } from './paramsSchema';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each kind checks its own params
export type AnyJobKind = JobKind<any>;

/**
 * The job kinds one process knows, handed to the scheduler and the worker entry from above
 * (main/jobKinds.ts), so jobs/ stays generic and imports no feature.
 */
export class JobKindTable {
  private readonly byName: Map<string, AnyJobKind>;

  constructor(private readonly kinds: readonly AnyJobKind[]) {
    this.byName = new Map(kinds.map((k) => [k.kind, k]));
  }

  all(): readonly AnyJobKind[] {
    return this.kinds;
  }

  find(kind: string): AnyJobKind {
    const found = this.byName.get(kind);
    if (!found) {
      throw new WorkbenchError('UNKNOWN_JOB_KIND', `There is no job kind "${kind}".`, `Known kinds: ${this.kinds.map((k) => k.kind).join(', ')}.`);
    }
    return found;
  }

  /**
   * Validated params for a kind, or an INVALID_JOB_PARAMS error naming the valid keys; then the
   * kind's own checks (checkParams: output paths), so a job is refused before it is queued.
   */
  parseParams(kind: string, raw: unknown): unknown {
    const k = this.find(kind);
    const params = parseJobParams(kind, k.params, raw);
    k.checkParams?.(params);
    return params;
  }

  /** A kind may be sent to a cluster only when it says how (JobKind.remote); the others only touch local files. */
  requireRemote(kind: string, target: string): void {
    if (this.find(kind).remote) return;
    const able = this.kinds.filter((k) => k.remote).map((k) => k.kind);
    throw new WorkbenchError('KIND_RUNS_LOCALLY', `${kind} jobs only touch files on this machine, so they run here, not on cluster "${target}".`, `Leave out --on (the "Run on" choice) for this kind; ${able.join(', ')} can run on a cluster.`);
  }

  /** Unknown kinds (rows written by a newer version) count as not pausable. */
  isPausable(kind: string): boolean {
    return this.byName.get(kind)?.pausable ?? false;
  }
}
