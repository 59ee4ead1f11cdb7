import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExperimentArtifact, ExperimentListing, JobView } from '../../preload/api';
import { writeExperimentFixture } from '../experiments/testing/experimentFixture';
import { call, waitForJob } from '../testing/coreCalls';
import { makeTempDir } from '../testing/tempDirs';
import { createCore } from './core';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('experiments API', () => {
  it('runs an ablation as a queued job, writes its artifact and lists it', async () => {
    const t = makeTempDir('experiments-api');
    cleanups.push(t.cleanup);
    const fx = writeExperimentFixture(t.dir);
    const core = createCore({ home: t.dir, frontDoor: 'test' });
    cleanups.push(() => core.close());
    const job = await call<JobView>(core, 'jobs.add', { kind: 'experiment.ablate', params: { model: fx.model, sae: fx.sae, features: [4], dataset: fx.dataset, maxDocuments: 4, seeds: 2, drawsPerSeed: 1, device: 'cpu' } });
    expect(job.resource).toBe('cpu');
    // The title names the SAE by its Library identity.
    expect(job.title).toBe('Ablate feature #4 of sae · 40 features · k 4 · ce');
    // The queue stores the parsed params, defaults filled in.
    expect(job.params).toMatchObject({ mode: 'zero', metric: 'ce', nullSeed: 0 });
    await expect(call(core, 'experiments.artifact', { jobId: job.id })).rejects.toMatchObject({ code: 'EXPERIMENT_NOT_FINISHED' });
    const done = await waitForJob(core, job.id, (j) => ['completed', 'failed'].includes(j.state), 90_000);
    expect(done.error).toBeNull();
    const result = done.result as { artifact: string; verdict: string; null: { seeds: number[] } };
    expect(fs.existsSync(result.artifact)).toBe(true);
    expect(result.null.seeds).toHaveLength(2);
    const artifact = await call<ExperimentArtifact>(core, 'experiments.artifact', { jobId: job.id });
    expect(artifact).toMatchObject({ kind: 'ablate', format: 'sae-workbench.experiment' });
    expect(artifact.kind === 'ablate' && artifact.result.verdict).toBe(result.verdict);
    const listing = await call<ExperimentListing>(core, 'experiments.list', {});
    expect(listing.jobs.map((j) => j.id)).toEqual([job.id]);
    await expect(call(core, 'experiments.artifact', { jobId: '20000101-00000000' })).rejects.toMatchObject({ code: 'EXPERIMENT_NOT_FOUND' });
    await expect(call(core, 'jobs.add', { kind: 'experiment.ablate', params: { model: fx.model, sae: fx.sae, features: [], dataset: fx.dataset } })).rejects.toMatchObject({ code: 'INVALID_JOB_PARAMS' });
  });
});
