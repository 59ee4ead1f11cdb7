/**
 * Issue 17: jobs that ran on CPU were labelled "GPU" in the Queue (the slot class asked for, not
 * what ran). A job's worker now reports the execution provider its model sessions ran on; the
 * scheduler gives a job that asks for the GPU a CPU slot where no GPU works.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineDeviceReport, JobView } from '../../preload/api';
import { createCore, type Core } from '../api/core';
import { jobJsonRow } from '../cli/jobsCommand';
import { mergeExecutionProvider } from '../engine/sessionProviders';
import { writeExperimentFixture, type ExperimentFixture } from '../experiments/testing/experimentFixture';
import { runCliCaptured } from '../testing/cliRun';
import { call, waitForJob } from '../testing/coreCalls';
import { makeTempDir } from '../testing/tempDirs';
import { GpuAvailability } from './gpuAvailability';

const tmp = makeTempDir('job-ep');
let fx: ExperimentFixture;
let core: Core;
const home = path.join(tmp.dir, 'home');

beforeAll(() => {
  fx = writeExperimentFixture(path.join(tmp.dir, 'fixture'));
  core = createCore({ home, frontDoor: 'test' });
});
afterAll(async () => {
  await core?.close();
  tmp.cleanup();
});

async function indexJob(device: string): Promise<JobView> {
  const job = await call<JobView>(core, 'index.build', { modelPath: fx.model, saePaths: [fx.sae], datasetPath: fx.dataset, device, topN: 3 });
  const done = await waitForJob(core, job.id, (j) => j.state === 'completed' || j.state === 'failed', 90_000);
  expect(done.state, JSON.stringify(done.error)).toBe('completed');
  return done;
}

describe('the execution provider a job ran on', () => {
  it('a job told to run on CPU says "cpu" and takes a CPU slot; a job that runs no model says null', async () => {
    const done = await indexJob('cpu');
    expect(done).toMatchObject({ resource: 'cpu', executionProvider: 'cpu' });
    const logs = await call<{ message: string }[]>(core, 'jobs.logs', { id: done.id });
    expect(logs.map((l) => l.message)).toContain('Model sessions run on CPU.');

    const verify = await call<JobView>(core, 'jobs.add', { kind: 'files.verify', params: { paths: [fx.dataset] } });
    expect((await waitForJob(core, verify.id, (j) => j.state === 'completed')).executionProvider).toBeNull();
  }, 120_000);

  it('"auto" reports what ran, and its slot follows what this machine has (never GPU without one)', async () => {
    const machine = await call<EngineDeviceReport>(core, 'engine.devices', { device: 'auto' });
    const done = await indexJob('auto');
    expect(done.executionProvider).toBe(machine.running);
    expect(done.resource).toBe(machine.running === 'cpu' ? 'cpu' : 'gpu');
    // The same value in the list and in `jobs list --json` (as "execution_provider").
    const listed = (await call<JobView[]>(core, 'jobs.list', {})).find((j) => j.id === done.id)!;
    expect(listed.executionProvider).toBe(machine.running);
    expect(jobJsonRow(listed)).toMatchObject({ id: done.id, execution_provider: machine.running });
    expect(jobJsonRow(listed)).not.toHaveProperty('executionProvider');
  }, 120_000);

  it('jobs list --json prints "execution_provider" for every row', async () => {
    // The CLI reads the shared database; the core above holds the home lock, which list does not need.
    const r = await runCliCaptured(['jobs', 'list', '--json', '--home', home]);
    expect(r.code, r.err).toBe(0);
    const rows = JSON.parse(r.out) as Record<string, unknown>[];
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const row of rows) expect(row).toHaveProperty('execution_provider');
    expect(rows.filter((row) => row.kind === 'files.verify').map((row) => row.execution_provider)).toEqual([null]);
    expect(rows.filter((row) => row.kind === 'index.build').every((row) => typeof row.execution_provider === 'string')).toBe(true);
  });
});

describe('mergeExecutionProvider', () => {
  it('keeps one EP, and lists a fallback part-way in the order first used', () => {
    expect(mergeExecutionProvider(null, 'cpu')).toBe('cpu');
    expect(mergeExecutionProvider('cpu', 'cpu')).toBe('cpu');
    expect(mergeExecutionProvider('cuda', 'cpu')).toBe('cuda+cpu');
    expect(mergeExecutionProvider('cuda+cpu', 'cuda')).toBe('cuda+cpu');
  });
});

describe('GpuAvailability', () => {
  it('probes once, answers null until then, calls every waiter once; a failed probe counts as no GPU', async () => {
    let probes = 0;
    let answer!: (ok: boolean) => void;
    const gpu = new GpuAvailability(() => {
      probes++;
      return new Promise<boolean>((r) => (answer = r));
    });
    const calls: string[] = [];
    const waiter = () => calls.push('pump');
    expect(gpu.available(waiter)).toBeNull();
    expect(gpu.available(waiter)).toBeNull();
    expect(probes).toBe(1);
    answer(true);
    await Promise.resolve();
    expect(calls).toEqual(['pump']);
    expect(gpu.available(waiter)).toBe(true);

    const failures: unknown[] = [];
    const broken = new GpuAvailability(() => Promise.reject(new Error('worker died')), (e) => failures.push(e));
    expect(broken.available(() => {})).toBeNull();
    await new Promise((r) => setTimeout(r, 0));
    expect(broken.available(() => {})).toBe(false);
    expect(failures).toHaveLength(1);
    expect(GpuAvailability.fixed(false).available(() => {})).toBe(false);
  });
});
