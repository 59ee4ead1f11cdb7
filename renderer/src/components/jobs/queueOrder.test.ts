import { describe, expect, it } from 'vitest';
import type { JobView } from '../../../../preload/api';
import { filterJobs, queueOrder } from './queueOrder';

let n = 0;
function job(over: Partial<JobView>): JobView {
  n++;
  return {
    id: `j${n}`, kind: 'files.verify', title: `job ${n}`, params: {}, summarised: false, state: 'queued', priority: 0, position: n, resource: 'cpu', executionProvider: null, cpuFallbackPct: null,
    progress: null, progressMessage: null, progressDetail: null, etaSeconds: null, createdAt: n * 1000, startedAt: null, finishedAt: null, elapsedMs: 0, attemptStartedAt: null,
    attempts: 0, error: null, result: null, pausable: false, target: null, remote: null, ...over,
  };
}

describe('the Queue order (issue 17: newest or running first)', () => {
  it('running first (newest start first), then waiting in run order, then finished newest first', () => {
    const oldDone = job({ id: 'old-done', state: 'completed', finishedAt: 5_000 });
    const newDone = job({ id: 'new-done', state: 'failed', finishedAt: 9_000 });
    const queuedLow = job({ id: 'queued-1', position: 1 });
    const queuedUrgent = job({ id: 'queued-urgent', position: 7, priority: 20 });
    const paused = job({ id: 'paused-2', state: 'paused', position: 2 });
    const runningOld = job({ id: 'run-old', state: 'running', attemptStartedAt: 1_000 });
    const runningNew = job({ id: 'run-new', state: 'cancelling', attemptStartedAt: 2_000 });
    expect(queueOrder([oldDone, queuedLow, runningOld, newDone, paused, queuedUrgent, runningNew]).map((j) => j.id)).toEqual([
      'run-new', 'run-old', 'queued-urgent', 'queued-1', 'paused-2', 'new-done', 'old-done',
    ]);
  });

  it('filters by state group, single state and kind', () => {
    const jobs = [job({ id: 'a', state: 'running', kind: 'index.build' }), job({ id: 'b', state: 'completed' }), job({ id: 'c', state: 'failed', kind: 'index.build' }), job({ id: 'd', state: 'interrupted' })];
    expect(filterJobs(jobs, { state: '', kind: '' }).map((j) => j.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(filterJobs(jobs, { state: 'finished', kind: '' }).map((j) => j.id)).toEqual(['b', 'c']);
    expect(filterJobs(jobs, { state: 'waiting', kind: '' }).map((j) => j.id)).toEqual(['d']);
    expect(filterJobs(jobs, { state: 'failed', kind: '' }).map((j) => j.id)).toEqual(['c']);
    expect(filterJobs(jobs, { state: 'finished', kind: 'index.build' }).map((j) => j.id)).toEqual(['c']);
  });
});
