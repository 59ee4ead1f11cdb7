import { describe, expect, it } from 'vitest';
import type { JobView } from '../preload/api';
import type { Db } from './db/connection';
import { jobOutput } from './jobOutputs';

const ctx = { home: '/nowhere', db: null as unknown as Db };
const job = (over: Partial<JobView>): JobView => ({ id: '20260101-0000abcd', kind: 'files.verify', title: '', params: {}, summarised: false, state: 'completed', priority: 0, position: 0, resource: 'cpu', progress: 1, progressMessage: null, progressDetail: null, etaSeconds: null, createdAt: 0, startedAt: 0, finishedAt: 0, elapsedMs: 0, attemptStartedAt: null, attempts: 1, error: null, result: null, pausable: false, executionProvider: null, cpuFallbackPct: null, target: null, remote: null, ...over });

describe('job outputs (what the CLI prints, for jobs.output)', () => {
  it('gives the CLI objects: an experiment summary without the artifact path, an index build in snake_case, other kinds as they are', () => {
    const summary = { metric: 'ce', clean: 1, ablated: 2, effect: 1, null: { seeds: [0, 0], mean: 0, sem: 0 }, z: 3, verdict: 'v' };
    expect(jobOutput(job({ kind: 'experiment.ablate', result: { ...summary, artifact: '/h/runs/x/experiment.json' } }), ctx)).toEqual(summary);
    expect(jobOutput(job({ kind: 'index.build', result: { indexIds: ['ix-0123456789'], tokens: 5, documents: 2, skippedRows: 0, tokensPerSecond: 9.5, dbBytes: 100 } }), ctx)).toEqual({ index_ids: ['ix-0123456789'], tokens: 5, documents: 2, skipped_rows: 0, tokens_per_s: 9.5, db_bytes: 100 });
    expect(jobOutput(job({ kind: 'files.verify', result: { files: 3 } }), ctx)).toEqual({ files: 3 });
  });

  it('refuses jobs that did not complete, naming their state and error', () => {
    expect(() => jobOutput(job({ state: 'running' }), ctx)).toThrow(expect.objectContaining({ code: 'JOB_NOT_FINISHED', message: expect.stringContaining('is running') }));
    expect(() => jobOutput(job({ state: 'cancelled' }), ctx)).toThrow(expect.objectContaining({ code: 'JOB_CANCELLED' }));
    expect(() => jobOutput(job({ state: 'failed', error: { code: 'DISK_FULL', message: 'no space', hint: 'free some' } }), ctx)).toThrow(expect.objectContaining({ code: 'JOB_FAILED', message: expect.stringContaining('DISK_FULL: no space'), hint: 'free some' }));
  });
});
