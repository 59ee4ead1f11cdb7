import type { JobView } from '../../../../preload/api';

/** Time spent running, over all attempts: finished attempts plus the one running now. */
export function jobElapsedSeconds(j: JobView, now: number): number | null {
  if (j.startedAt == null) return null;
  return (j.elapsedMs + (j.attemptStartedAt != null ? Math.max(0, now - j.attemptStartedAt) : 0)) / 1000;
}
