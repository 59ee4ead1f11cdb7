import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { IndexBuildParams, JobView } from '../../preload/api';
import { createCore } from '../api/core';
import { openDatabase } from '../db/connection';
import { prepareHome } from '../home';
import { call, waitForJob } from '../testing/coreCalls';
import { sharedDemoBundle } from '../testing/sharedDemoBundle';
import { makeTempDir } from '../testing/tempDirs';
import { buildIndexes } from './buildIndex';
import { indexFile, openIndexDb } from './indexDatabase';

const tmp = makeTempDir('index-job');
afterAll(() => tmp.cleanup());

function tables(file: string): string {
  const db = openIndexDb(file, { readonly: true });
  const parts = ['blocks ORDER BY document, start', 'feature_stats', 'examples', 'neighbours', 'logit_effects', 'histograms'].map((t) =>
    JSON.stringify(db.prepare(`SELECT * FROM ${t}`).all().map((r) => ({ ...(r as object), id: undefined }))),
  );
  db.close();
  return parts.join('\n');
}

describe('index.build as a queued job', () => {
  it('survives kill -9 of its worker: requeued, resumed from the last commit, same rows as an uninterrupted build', { timeout: 180_000 }, async () => {
    const demo = sharedDemoBundle();
    const params: IndexBuildParams = { modelPath: demo.models.adhd, saePaths: [demo.saes.adhd], datasetPath: demo.dataset, topN: 10, contextBefore: 10, contextAfter: 5, seed: 3, device: 'cpu', contextSize: 32, maxDocuments: 1200 };
    const home = path.join(tmp.dir, 'killed');
    const core = createCore({ home, frontDoor: 'test' });
    try {
      const job = await call<JobView>(core, 'index.build', params);
      expect(job.resource).toBe('cpu');
      // Past the first commit (every 32k tokens or 3 s; 1200 documents are ~44k tokens).
      const mid = await waitForJob(core, job.id, (j) => ((j.progressDetail as { tokens?: number } | null)?.tokens ?? 0) > 34_000, 120_000);
      expect(mid.state).toBe('running');
      const logs = await call<{ message: string }[]>(core, 'jobs.logs', { id: job.id });
      const pid = Number(/worker pid (\d+)/.exec(logs.map((l) => l.message).join('\n'))![1]);
      process.kill(pid, 'SIGKILL');
      const done = await waitForJob(core, job.id, (j) => j.state === 'completed' || j.state === 'failed', 150_000);
      expect(done.state, JSON.stringify(done.error)).toBe('completed');
      expect(done.attempts).toBe(2);
      const after = (await call<{ message: string }[]>(core, 'jobs.logs', { id: job.id })).map((l) => l.message).join('\n');
      expect(after).toMatch(/Resuming at document [1-9]\d*/);
      const killedId = (done.result as { indexIds: string[] }).indexIds[0];

      const straightHome = path.join(tmp.dir, 'straight');
      prepareHome(straightHome);
      openDatabase(straightHome).close();
      const straight = await buildIndexes({ home: straightHome, jobId: null, resumeState: null, saveState: async () => {}, progress: () => {}, log: () => {}, throwIfStopped: () => {} }, params);
      expect((done.result as { tokens: number }).tokens).toBe(straight.tokens);
      expect(tables(indexFile(home, killedId))).toBe(tables(indexFile(straightHome, straight.indexIds[0])));
      const listed = await call<{ id: string; state: string }[]>(core, 'index.list', {});
      expect(listed).toEqual([expect.objectContaining({ id: killedId, state: 'ready' })]);
    } finally {
      await core.close();
    }
  });

  it('refuses bad input at index.build without queueing anything', async () => {
    const demo = sharedDemoBundle();
    const home = path.join(tmp.dir, 'refused');
    const core = createCore({ home, frontDoor: 'test' });
    try {
      const res = await core.call('index.build', { modelPath: demo.models.adhd, saePaths: [demo.saes.adhd], datasetPath: path.join(tmp.dir, 'nope.jsonl') });
      expect(res.ok).toBe(false);
      expect(!res.ok && res.error.code).toBe('DATASET_NOT_FOUND');
      expect(await call<JobView[]>(core, 'jobs.list', {})).toEqual([]);
    } finally {
      await core.close();
    }
  });
});
