/**
 * A condition diff asked for again with nothing changed answers with the finished job instead of
 * queueing a copy: the diff is a deterministic function of its two index builds, the condition as
 * it expands today (a saved condition may have been redefined), the matching method, the min rate,
 * the threshold and the asymmetry floor. Anything else (a rebuilt index, another parameter, a
 * missing result file) queues a new job as before.
 */
import fs from 'node:fs';
import path from 'node:path';
import { COMPARE_DIFF_JOB_KIND, DiffParamsSchema, type DiffParams, type DiffResult, type IndexRef, type JobView } from '../../preload/api';
import { runDir } from '../home';
import type { IndexRegistry } from '../index/indexRegistry';
import { DEFAULT_THRESHOLD } from './conditionDiff';
import { refOf } from './runCompare';

export interface FinishedJobs {
  inStates(states: ['completed']): JobView[];
  paramsOf(id: string): unknown;
}

/** The diff.json a finished diff job wrote in its run folder, or null when it is gone or unreadable. */
export function readDiffFile(home: string, jobId: string): DiffResult | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(runDir(home, jobId), 'diff.json'), 'utf8')) as DiffResult;
  } catch {
    return null;
  }
}

/** The same build of the same index: its finish time and the hashes of model, SAE, dataset and tokenizer. */
export function sameBuild(recorded: IndexRef, current: IndexRef): boolean {
  const [r, c] = [recorded.sha256, current.sha256];
  return recorded.id === current.id && recorded.finishedAt === current.finishedAt && r.model === c.model && r.sae === c.sae && r.dataset === c.dataset && r.tokenizer === c.tokenizer;
}

/**
 * The newest finished diff job that ran exactly `params` on the indexes as they are now, or null.
 * `expandedCondition` is `params.condition` with named conditions expanded (compileCondition's spec).
 */
export function findIdenticalDiff(home: string, jobs: FinishedJobs, registry: IndexRegistry, params: DiffParams, expandedCondition: string): JobView | null {
  const ra = registry.get(params.a);
  const rb = registry.get(params.b);
  if (!ra || !rb || ra.state !== 'ready' || rb.state !== 'ready') return null;
  const [refA, refB] = [refOf(ra), refOf(rb)];
  const candidates = jobs
    .inStates(['completed'])
    .filter((j) => j.kind === COMPARE_DIFF_JOB_KIND)
    .sort((x, y) => (y.finishedAt ?? 0) - (x.finishedAt ?? 0));
  for (const job of candidates) {
    const stored = DiffParamsSchema.safeParse(jobs.paramsOf(job.id));
    if (!stored.success) continue;
    const old = stored.data;
    if (old.a !== params.a || old.b !== params.b || old.method !== params.method || old.minRate !== params.minRate) continue;
    // An unset floor is 1 / the condition's token count, which the same builds and condition reproduce.
    if (params.floor === undefined && old.floor !== undefined) continue;
    const result = readDiffFile(home, job.id);
    if (!result || result.condition !== expandedCondition || result.minRate !== params.minRate) continue;
    if (params.floor !== undefined && result.floor !== params.floor) continue;
    if (result.threshold !== (params.threshold ?? DEFAULT_THRESHOLD[result.method])) continue;
    if (!sameBuild(result.a, refA) || !sameBuild(result.b, refB)) continue;
    return job;
  }
  return null;
}
