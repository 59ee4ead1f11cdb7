import type { JobView } from '../../preload/api';
import type { Core } from '../api/core';

/** Call the core and unwrap: an `{ ok: false }` answer becomes a thrown Error carrying code and hint. */
export async function call<T>(core: Core, method: string, params: unknown): Promise<T> {
  const res = await core.call(method, params);
  if (!res.ok) throw Object.assign(new Error(res.error.message), res.error);
  return res.result as T;
}

/** Resolve with the job once `predicate` holds, checking its current state first and then every update. */
export function waitForJob(core: Core, id: string, predicate: (j: JobView) => boolean, timeoutMs = 60_000): Promise<JobView> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for job ${id}`)), timeoutMs);
    const check = (j: JobView) => {
      if (j.id === id && predicate(j)) {
        clearTimeout(timer);
        unsubscribe();
        resolve(j);
      }
    };
    const unsubscribe = core.subscribe((event, payload) => event === 'job.updated' && check(payload as JobView));
    void call<JobView>(core, 'jobs.get', { id }).then(check, () => {});
  });
}
