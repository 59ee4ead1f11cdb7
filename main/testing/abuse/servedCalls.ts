/** API calls and job waits against a served core (`serve` in a child), for the abuse classes. */
import type { JobView } from '../../../preload/api';
import { ApiSocket } from '../serverAbuse';

export interface ServedAnswer {
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string; hint?: string; errorId?: string };
}

let nextId = 1;

/** One request; null when no answer came within `timeoutMs`. */
export async function servedCall(socket: ApiSocket, method: string, params: unknown, timeoutMs = 60_000): Promise<ServedAnswer | null> {
  const id = nextId++;
  return (await socket.send(JSON.stringify({ id, method, params }), id, timeoutMs)) as ServedAnswer | null;
}

/** Poll jobs.get until the job is over (completed, failed or cancelled); null on timeout. */
export async function waitForServedJob(socket: ApiSocket, id: string, timeoutMs = 90_000): Promise<JobView | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await servedCall(socket, 'jobs.get', { id });
    const job = r?.ok ? (r.result as JobView) : null;
    if (job && ['completed', 'failed', 'cancelled'].includes(job.state)) return job;
    await new Promise((res) => setTimeout(res, 200));
  }
  return null;
}
