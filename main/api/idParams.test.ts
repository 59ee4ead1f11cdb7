import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INDEX_ID_PATTERN, JOB_ID_PATTERN, LIBRARY_ITEM_ID_PATTERN, type JobView } from '../../preload/api';
import { newIndexId } from '../index/indexRegistry';
import { itemId } from '../library/recognizeItems';
import { call } from '../testing/coreCalls';
import { makeTempDir } from '../testing/tempDirs';
import { createCore, type Core } from './core';

// <parent>/home is the data directory; <parent>/secret holds what a traversal would reach.
const parent = makeTempDir('id-params');
const home = path.join(parent.dir, 'home');
let core: Core;
beforeAll(() => {
  const secret = path.join(parent.dir, 'secret');
  fs.mkdirSync(secret, { recursive: true });
  fs.writeFileSync(path.join(secret, 'metrics.jsonl'), `${JSON.stringify({ step: 1, tokens: 256, loss: 0.5, mse: 0.5, auxLoss: 0, l0: 4, dead: 0, lr: 1e-3 })}\n`);
  fs.writeFileSync(path.join(secret, 'diff.json'), '{"secret": true}');
  core = createCore({ home, frontDoor: 'test' });
});
afterAll(async () => {
  await core?.close();
  parent.cleanup();
});

const BAD_IDS = ['../../secret', '..', '/etc/passwd', path.join(parent.dir, 'secret'), 'a/b', '20261205-e8a7b5c3\0', '20261205-e8a7b5c3/../../../secret', 'x'.repeat(100_000)];

// Every request whose id names a job, an index or a Library item.
const REQUESTS: { method: string; params: (id: string) => unknown }[] = [
  { method: 'train.metrics', params: (jobId) => ({ jobId }) },
  { method: 'compare.diffResult', params: (jobId) => ({ jobId }) },
  { method: 'compare.diffFile', params: (jobId) => ({ jobId, format: 'json' }) },
  { method: 'experiments.artifact', params: (jobId) => ({ jobId }) },
  { method: 'jobs.get', params: (id) => ({ id }) },
  { method: 'jobs.logs', params: (id) => ({ id }) },
  { method: 'jobs.remove', params: (id) => ({ id }) },
  { method: 'index.features', params: (id) => ({ id }) },
  { method: 'index.activations', params: (id) => ({ id }) },
  { method: 'jobs.output', params: (id) => ({ id }) },
  { method: 'index.remove', params: (id) => ({ id }) },
  { method: 'compare.previewCondition', params: (indexId) => ({ indexId, spec: 'token:x' }) },
  { method: 'library.readArtifact', params: (id) => ({ id }) },
  { method: 'compare.artifactTables', params: (artifactId) => ({ artifactId }) },
  { method: 'compare.counterpart', params: (index) => ({ index, feature: 0, other: 'ix-0000000000' }) },
];

describe('ids are not paths', () => {
  it('train.metrics {"jobId": "../../secret"} is refused, not read from <home>/../secret/metrics.jsonl', async () => {
    const res = await core.call('train.metrics', { jobId: '../../secret' });
    expect(res).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS', message: expect.stringContaining('not a job id') } });
  });

  it.each(REQUESTS)('$method refuses ids that are paths, empty or huge with INVALID_PARAMS', async ({ method, params }) => {
    for (const id of BAD_IDS) {
      const res = await core.call(method, params(id));
      expect(res, `${method} ${JSON.stringify(id.slice(0, 60))}`).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS' } });
      if (!res.ok) expect(res.error.message.length).toBeLessThan(300);
    }
  });

  it('well-formed ids that name nothing are "not found", not invalid', async () => {
    expect(await core.call('train.metrics', { jobId: '20000101-00000000' })).toMatchObject({ ok: true, result: { points: [] } });
    expect(await core.call('jobs.get', { id: '20000101-00000000' })).toMatchObject({ ok: false, error: { code: 'JOB_NOT_FOUND' } });
    expect(await core.call('compare.diffResult', { jobId: '20000101-00000000' })).toMatchObject({ ok: false, error: { code: 'DIFF_NOT_FOUND' } });
    expect(await core.call('index.features', { id: 'ix-0000000000' })).toMatchObject({ ok: false, error: { code: 'INDEX_NOT_FOUND' } });
    expect(await core.call('index.activations', { id: 'ix-0000000000' })).toMatchObject({ ok: false, error: { code: 'INDEX_NOT_FOUND' } });
    expect(await core.call('jobs.output', { id: '20000101-00000000' })).toMatchObject({ ok: false, error: { code: 'JOB_NOT_FOUND' } });
    expect(await core.call('library.readArtifact', { id: '0000000000000000' })).toMatchObject({ ok: false, error: { code: 'ITEM_NOT_FOUND' } });
  });

  it('the patterns are the shapes the core generates', async () => {
    const job = await call<JobView>(core, 'jobs.add', { kind: 'files.verify', params: { paths: [home] } });
    expect(job.id).toMatch(JOB_ID_PATTERN);
    expect(await core.call('jobs.get', { id: job.id })).toMatchObject({ ok: true });
    for (let i = 0; i < 50; i++) expect(newIndexId()).toMatch(INDEX_ID_PATTERN);
    expect(itemId('hub', '/some/where/model')).toMatch(LIBRARY_ITEM_ID_PATTERN);
  });
});
