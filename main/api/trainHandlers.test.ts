import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalRunResult, JobLogLine, JobView, LibraryListing, TrainMetricsPage, TrainRunView, TrainSources } from '../../preload/api';
import { demoBundleDir, readyDemoBundle, type DemoBundlePaths } from '../demo/demoBundle';
import { call, waitForJob } from '../testing/coreCalls';
import { makeTempDir } from '../testing/tempDirs';
import { readCheckpointStep } from '../train/checkpoint';
import { sharedDemoBundle } from '../train/testing/demoFixture';
import { runTrainSae } from '../train/trainRun';
import { TrainSaeParamsSchema } from '../../preload/contract/train';
import { createCore, type Core } from './core';

const home = makeTempDir('train-jobs');
const outside = makeTempDir('train-out');
let demo: DemoBundlePaths;
let core: Core;
beforeAll(() => {
  // The demo bundle already in this home, as after its first use.
  fs.cpSync(sharedDemoBundle().root, demoBundleDir(home.dir), { recursive: true });
  demo = readyDemoBundle(home.dir)!;
  core = createCore({ home: home.dir, frontDoor: 'test' });
}, 180_000);
afterAll(async () => {
  await core?.close();
  home.cleanup();
  outside.cleanup();
});

const params = () => ({ model: demo.models.adhd, hooks: ['blocks.2.hook_resid_post'], dataset: demo.dataset, k: 4, dSae: 48, tokens: 256 * 40, batchSize: 256, lr: 3e-3, evalTokens: 512, bufferBatches: 4, checkpointEverySteps: 1000, device: 'cpu' as const });

describe('train.sae and eval.sae jobs through the core', () => {
  it('a queued run pauses (checkpoint and stop), resumes to the uninterrupted curve, and its SAE joins the Library', async () => {
    // An output folder outside the data directory: it joins the Library through the interactive worker.
    // Pause at the step-10 checkpoint, whatever the machine's load: the job logs the checkpoint and then
    // waits for the core to acknowledge it, and the pause requested on reading that line (in the same
    // tick: core.call runs the handler synchronously) reaches the worker first. Waiting for a progress
    // value instead is a race: progress is written at most every 250 ms, so a busy core can skip
    // from step 5 to the end of the run (this test timed out so, at 120 s, on a loaded machine).
    let pauseRequested: Promise<unknown> | null = null;
    let jobId = '';
    const stopWatching = core.subscribe((event, payload) => {
      const line = payload as JobLogLine;
      if (event === 'job.log' && line.jobId === jobId && !pauseRequested && line.message.startsWith('Checkpoint at step 10 of')) pauseRequested = call(core, 'jobs.pause', { id: jobId });
    });
    const added = await call<JobView>(core, 'jobs.add', { kind: 'train.sae', params: { ...params(), checkpointEverySteps: 10, out: path.join(outside.dir, 'my-saes') } });
    jobId = added.id;
    expect(added.pausable).toBe(true);
    await waitForJob(core, added.id, (j) => j.state === 'paused', 120_000);
    stopWatching();
    await pauseRequested;
    const runDir = path.join(home.dir, 'runs', added.id);
    expect(readCheckpointStep(runDir)).toBe(10);
    await call(core, 'jobs.resume', { id: added.id });
    const done = await waitForJob(core, added.id, (j) => j.state === 'completed' || j.state === 'failed', 180_000);
    expect(done.error).toBeNull();

    // Live metrics API: every point, then only newer ones.
    const page = await call<TrainMetricsPage>(core, 'train.metrics', { jobId: added.id });
    expect(page.points.map((p) => p.step)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect((await call<TrainMetricsPage>(core, 'train.metrics', { jobId: added.id, after: page.next })).points).toEqual([]);
    expect(page.warnings).toEqual([]);

    // The same run uninterrupted, in process.
    const refDir = path.join(home.dir, 'reference');
    await runTrainSae(TrainSaeParamsSchema.parse(params()), { runDir: refDir, outDir: path.join(refDir, 'saes'), home: home.dir, log: () => {}, progress: () => {}, stopRequested: () => null });
    const ref = (await import('../train/metricsLog')).readMetrics(refDir).points;
    page.points.forEach((p, i) => {
      expect(Math.abs(p.loss - ref[i].loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, ref[i].loss));
      expect(p.l0).toBeCloseTo(ref[i].l0, 6);
    });

    // The warning's wiring: this run's curve with a dead share rising after warm-up (written over its
    // log) is judged from the job's own params and model, on the whole curve even when asked `after`.
    const metricsFile = path.join(runDir, 'metrics.jsonl');
    const kept = fs.readFileSync(metricsFile, 'utf8');
    fs.writeFileSync(metricsFile, page.points.map((p) => `${JSON.stringify({ ...p, dead_pct: p.step / 2 })}\n`).join(''));
    const warned = await call<TrainMetricsPage>(core, 'train.metrics', { jobId: added.id, after: 30 });
    expect(warned.points).toHaveLength(10);
    expect(warned.warnings).toHaveLength(1);
    // 40 steps: dead window 4, warm-up 8 steps; judged 9..40: first half 9..24 (mean 8.25 %), last quarter 33..40 (18.25 %).
    expect(warned.warnings[0]).toMatchObject({ kind: 'dead-rising', hook: 'blocks.2.hook_resid_post', fromPct: 8.25, toPct: 18.25, sinceStep: 8, cause: 'lr' });
    expect(warned.warnings[0].message).toContain('set by hand');
    fs.writeFileSync(metricsFile, kept);

    const runs = await call<TrainRunView[]>(core, 'train.runs', {});
    const run = runs.find((r) => r.job.id === added.id)!;
    expect(run.result!.saes[0].out).toBe(path.join(outside.dir, 'my-saes', 'blocks.2.hook_resid_post'));
    expect(run.params.dSae).toBe(48);

    // The output folder became a Library root, its SAE an item.
    const deadline = Date.now() + 30_000;
    let listing: LibraryListing;
    do {
      listing = await call<LibraryListing>(core, 'library.list', {});
      if (listing.items.some((i) => i.kind === 'sae' && i.path === run.result!.saes[0].out)) break;
      await new Promise((r) => setTimeout(r, 200));
    } while (Date.now() < deadline);
    expect(listing.items.find((i) => i.kind === 'sae' && i.path === run.result!.saes[0].out)?.sae).toMatchObject({ hookName: 'blocks.2.hook_resid_post', dSae: 48 });
    // Its label says it was trained here, in which run, and its width and k (issue 17: told apart
    // from the demo's constructed SAE of the same model and hook by more than a prefix).
    expect(listing.items.find((i) => i.kind === 'sae' && i.path === run.result!.saes[0].out)?.identity.label).toBe(
      'sae-workbench/demo-adhd/blocks.2.hook_resid_post (trained with SAE Workbench, run my-saes) · 48 features · k 4',
    );
    expect(listing.roots.map((r) => r.path)).toContain(path.join(outside.dir, 'my-saes'));

    // Evaluate SAE: the same yardstick gives the run's own held-out numbers.
    const ev = await call<JobView>(core, 'jobs.add', { kind: 'eval.sae', params: { model: demo.models.adhd, sae: run.result!.saes[0].out, dataset: demo.dataset, tokens: 512, device: 'cpu' } });
    const evDone = await waitForJob(core, ev.id, (j) => j.state === 'completed' || j.state === 'failed', 120_000);
    const result = evDone.result as EvalRunResult;
    expect(result.eval.fve).toBeCloseTo(run.result!.saes[0].eval.fve, 5);
    expect(result.eval.kl_score).toBeCloseTo(run.result!.saes[0].eval.kl_score, 5);
    expect((await call<JobView[]>(core, 'train.evaluations', {})).map((j) => j.id)).toEqual([ev.id]);
  }, 300_000);

  it('lists the demo models with their hooks, the demo dataset and SAEs as training sources', async () => {
    const sources = await call<TrainSources>(core, 'train.sources', {});
    expect(sources.demo?.hooks).toEqual(['blocks.2.hook_resid_post', 'blocks.2.hook_mlp_out']);
    const adhd = sources.models.find((m) => m.path === sources.demo!.adhd)!;
    expect(adhd.dModel).toBe(64);
    expect(adhd.hooks).toContain('blocks.3.hook_resid_post');
    expect(adhd.hooks[0]).toBe('hook_embed');
    expect(sources.datasets.some((d) => d.path === sources.demo!.dataset)).toBe(true);
    // One identity everywhere (issue 17): the Library's labels, not "demo adhd".
    expect(adhd.label).toBe('sae-workbench/demo-adhd');
    expect(sources.saes.find((s) => s.path === demo.saes.adhd)?.label).toBe('demo-adhd/blocks.2.hook_resid_post (demo, constructed) · 256 features · k 8');
  });

  it('a bad `out` is refused at jobs.add (relative, /proc, inside the model, over an SAE), and no job is queued', async () => {
    const hook = 'blocks.2.hook_resid_post';
    const existing = path.join(outside.dir, 'has-an-sae');
    fs.cpSync(demo.saes.adhd, path.join(existing, hook), { recursive: true });
    const before = (await call<JobView[]>(core, 'jobs.list', {})).length;
    const started = Date.now();
    for (const [out, code, pattern] of [
      ['relative/saes', 'OUTPUT_PATH_INVALID', /relative path/],
      ['/proc/x', 'OUTPUT_PATH_INVALID', /special file system/],
      ['/proc/x/y', 'OUTPUT_PATH_INVALID', /special file system/],
      [path.join(demo.models.adhd, 'saes'), 'OUTPUT_INSIDE_INPUT', /lies inside the model/],
      [existing, 'OUTPUT_EXISTS', /files it would write exist/],
    ] as const) {
      const res = await core.call('jobs.add', { kind: 'train.sae', params: { ...params(), out } });
      expect(res.ok, out).toBe(false);
      if (!res.ok) {
        expect(res.error.code, out).toBe(code);
        expect(res.error.message).toMatch(pattern);
        expect(res.error.hint).toBeTruthy();
      }
    }
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await call<JobView[]>(core, 'jobs.list', {})).length).toBe(before);
  });

  it('with "overwrite": true a run replaces only its SAE files in `out`: a thesis in out/<hook>/notes survives', async () => {
    const hook = 'blocks.2.hook_resid_post';
    const out = path.join(outside.dir, 'thesis');
    fs.cpSync(demo.saes.adhd, path.join(out, hook), { recursive: true });
    fs.mkdirSync(path.join(out, hook, 'notes'));
    fs.writeFileSync(path.join(out, hook, 'notes', 'thesis.txt'), 'three years of work');
    const added = await call<JobView>(core, 'jobs.add', { kind: 'train.sae', params: { ...params(), tokens: 256 * 8, out, overwrite: true } });
    const done = await waitForJob(core, added.id, (j) => j.state === 'completed' || j.state === 'failed', 180_000);
    expect(done.error).toBeNull();
    expect(fs.readFileSync(path.join(out, hook, 'notes', 'thesis.txt'), 'utf8')).toBe('three years of work');
    expect(JSON.parse(fs.readFileSync(path.join(out, hook, 'cfg.json'), 'utf8')).d_sae).toBe(48);
  }, 240_000);

  it('an output that appears while a run works is found right before writing: OUTPUT_EXISTS, not INTERNAL, nothing replaced', async () => {
    const hook = 'blocks.2.hook_resid_post';
    const out = path.join(outside.dir, 'appears');
    const runDir = path.join(home.dir, 'appears-run');
    let planted = false;
    const run = runTrainSae(TrainSaeParamsSchema.parse({ ...params(), tokens: 256 * 8 }), {
      runDir,
      outDir: out,
      output: { origin: { surface: 'api' }, overwrite: false, option: 'out' },
      home: home.dir,
      log: () => {},
      // Someone puts an SAE there while the held-out evaluation runs.
      progress: (fraction) => {
        if (fraction >= 0.95 && !planted) {
          planted = true;
          fs.mkdirSync(path.join(out, hook), { recursive: true });
          fs.writeFileSync(path.join(out, hook, 'cfg.json'), '{"theirs": true}');
        }
      },
      stopRequested: () => null,
    });
    await expect(run).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    expect(planted).toBe(true);
    expect(fs.readdirSync(path.join(out, hook))).toEqual(['cfg.json']);
    expect(fs.readFileSync(path.join(out, hook, 'cfg.json'), 'utf8')).toBe('{"theirs": true}');
    // The trained state is kept in the run's checkpoint: removing the file and running again only redoes the evaluation.
    expect(readCheckpointStep(runDir)).toBe(8);
  }, 120_000);
});
