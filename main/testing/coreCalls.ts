import type { JobView } from '../../preload/api';
import type { Core } from '../api/core';

/** Call the core and unwrap: an `{ ok: false }` answer becomes a thrown Error carrying code and hint. */
export async function call<T>(core: Core, method: string, params: unknown): Promise<T> {
  const res = await core.call(method, params);
  if (!res.ok) throw Object.assign(new Error(res.error.message), res.error);
  return res.result as T;
}

/** States a job leaves only when someone retries it: a condition still false there will never hold by itself. */
const FINAL_STATES = new Set<JobView['state']>(['completed', 'failed', 'cancelled']);

function describeJob(j: JobView | null): string {
  if (!j) return 'not seen yet';
  const progress = j.progress == null ? '' : `, progress ${j.progress.toFixed(3)}`;
  return `${j.state}${progress}${j.progressMessage ? ` ("${j.progressMessage}")` : ''}${j.error ? `, error ${j.error.code}: ${j.error.message}` : ''}`;
}

/**
 * Resolve with the job once `predicate` holds, checking its current state first and then every
 * update. Rejects at once, naming the state, when the job ends (completed, failed, cancelled)
 * without the predicate holding: waiting longer could only end in the timeout. Progress is
 * throttled (at most one write per 250 ms, the newest wins), so a predicate on a passing progress
 * value may never see it; wait on states, or on something the job cannot skip.
 */
export function waitForJob(core: Core, id: string, predicate: (j: JobView) => boolean, timeoutMs = 60_000): Promise<JobView> {
  return new Promise((resolve, reject) => {
    let last: JobView | null = null;
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      unsubscribe();
      settle();
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`timed out waiting for job ${id} (last seen: ${describeJob(last)})`))), timeoutMs);
    const check = (j: JobView) => {
      if (j.id !== id) return;
      last = j;
      if (predicate(j)) finish(() => resolve(j));
      else if (FINAL_STATES.has(j.state)) finish(() => reject(new Error(`job ${id} ended ${describeJob(j)} before the awaited condition held`)));
    };
    const unsubscribe = core.subscribe((event, payload) => event === 'job.updated' && check(payload as JobView));
    void call<JobView>(core, 'jobs.get', { id }).then(check, () => {});
  });
}
