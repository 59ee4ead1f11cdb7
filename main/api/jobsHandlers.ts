import os from 'node:os';
import { jobKinds } from '../jobKinds';
import { paramsJsonSchema } from '../jobs/paramsSchema';
import type { HandlerTable } from './handlers';
import { WorkbenchError } from '../errors';

export const CPU_CONCURRENCY_KEY = 'jobs.cpuConcurrency';

export function defaultCpuConcurrency(): number {
  return Math.max(2, Math.floor(os.cpus().length / 2));
}

type JobsMethods = 'jobs.kinds' | 'jobs.list' | 'jobs.get' | 'jobs.add' | 'jobs.cancel' | 'jobs.pause' | 'jobs.resume' | 'jobs.retry' | 'jobs.remove' | 'jobs.clearFinished' | 'jobs.move' | 'jobs.logs' | 'jobs.settings';

export const jobsHandlers: HandlerTable<JobsMethods> = {
  'jobs.kinds': () =>
    jobKinds.all().map((k) => ({
      kind: k.kind,
      title: k.kind,
      description: k.description,
      resource: typeof k.resource === 'function' ? 'cpu' : k.resource,
      pausable: k.pausable,
      paramsSchema: paramsJsonSchema(k.params),
    })),
  'jobs.list': (_p, s) => s.jobStore.list(),
  'jobs.get': ({ id }, s) => {
    const job = s.jobStore.get(id);
    if (!job) throw new WorkbenchError('JOB_NOT_FOUND', `There is no job ${id}.`);
    return job;
  },
  'jobs.add': ({ kind, params, priority }, s) => s.jobs.add(kind, params, priority ?? 0),
  'jobs.cancel': ({ id }, s) => s.jobs.cancel(id),
  'jobs.pause': ({ id }, s) => s.jobs.pause(id),
  'jobs.resume': ({ id }, s) => s.jobs.resume(id),
  'jobs.retry': ({ id }, s) => s.jobs.retry(id),
  'jobs.remove': ({ id }, s) => {
    s.jobs.remove(id);
    return { removed: true as const };
  },
  'jobs.clearFinished': ({ ids }, s) => ({ removed: s.jobs.clearFinished(ids) }),
  'jobs.move': ({ id, direction }, s) => s.jobs.move(id, direction),
  'jobs.logs': ({ id, afterSeq, limit }, s) => s.jobStore.logs(id, afterSeq ?? 0, limit ?? 1000),
  'jobs.settings': ({ cpuConcurrency }, s) => {
    if (cpuConcurrency !== undefined) {
      s.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(CPU_CONCURRENCY_KEY, String(cpuConcurrency));
      s.jobs.setCpuConcurrency(cpuConcurrency);
    }
    return { cpuConcurrency: readCpuConcurrency(s.db) };
  },
};

export function readCpuConcurrency(db: CoreServicesDb): number {
  const row = db.prepare('SELECT value FROM settings WHERE key = ?').get(CPU_CONCURRENCY_KEY) as { value: string } | undefined;
  return row ? Number(row.value) : defaultCpuConcurrency();
}
type CoreServicesDb = import('../db/connection').Db;
