import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoBundlePaths } from '../demo/demoBundle';
import { THREADS_ENV } from '../engine/executionProviders';
import { loadModel } from '../formats/models/registry';
import { writeGpt2Directory } from '../formats/models/gpt2Writer';
import { loadSae } from '../formats/saeLoader';
import { JobStopped } from '../jobs/kind';
import { makeTempDir } from '../testing/tempDirs';
import { asyncErrorOf } from '../testing/workbenchErrors';
import { TrainSaeParamsSchema, type TrainMetricPoint, type TrainSaeParamsInput } from '../../preload/contract/train';
import { readCheckpoint, readCheckpointStep } from './checkpoint';
import { readMetrics } from './metricsLog';
import { PARAM_NAMES } from './saeParams';
import { sharedDemoBundle } from './testing/demoFixture';
import { runTrainSae, type TrainRunContext } from './trainRun';
import { prepareTraining } from './trainSetup';
import { bestTrial, nextSweepLr } from './lrSweep';
import { heldOutWindows } from '../evals/heldOutWindows';
import { runModel } from '../engine/runner';
import { expectedAverageScale, meanRow } from './inputStatistics';

// Several intra-op threads, as on any multi-core machine: a kernel that raced across threads
// (ScatterND "add" did) would make the runs below differ.
process.env[THREADS_ENV] = '2';

let demo: DemoBundlePaths;
const tmp = makeTempDir('train-run');
beforeAll(() => {
  demo = sharedDemoBundle();
}, 180_000);
afterAll(tmp.cleanup);

/** A tiny run on the demo: 20 steps of 256 tokens at two hooks from one model pass. */
function tinyParams(over: Partial<TrainSaeParamsInput> = {}) {
  return TrainSaeParamsSchema.parse({
    model: demo.models.adhd,
    hooks: ['blocks.1.hook_resid_post', 'blocks.2.hook_resid_post'],
    dataset: demo.dataset,
    k: 4,
    dSae: 48,
    tokens: 256 * 20,
    batchSize: 256,
    lr: 3e-3,
    evalTokens: 512,
    bufferBatches: 4,
    checkpointEverySteps: 4,
    device: 'cpu',
    ...over,
  });
}

function context(name: string, over: Partial<TrainRunContext> = {}): TrainRunContext {
  const runDir = path.join(tmp.dir, name);
  return { runDir, outDir: path.join(runDir, 'saes'), home: tmp.dir, log: () => {}, progress: () => {}, stopRequested: () => null, ...over };
}

/** The curve without wall-clock figures, which differ between runs by nature. */
function curve(runDir: string): Omit<TrainMetricPoint, 'tokens_per_s' | 'step_tokens_per_s' | 'elapsed_s'>[] {
  return readMetrics(runDir).points.map(({ tokens_per_s: _a, step_tokens_per_s: _b, elapsed_s: _c, ...rest }) => rest);
}

/** Bit for bit: every figure of every point (wall-clock figures aside). */
function expectSameCurve(a: string, b: string): void {
  expect(curve(b)).toEqual(curve(a));
}

/** Every file of every exported SAE folder, byte for byte (sha256). */
function saeDigests(outDir: string, hooks: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of hooks) {
    for (const f of fs.readdirSync(path.join(outDir, h)).sort()) out[`${h}/${f}`] = createHash('sha256').update(fs.readFileSync(path.join(outDir, h, f))).digest('hex');
  }
  return out;
}

function expectSameSaes(outA: string, outB: string, hooks: string[]): void {
  const a = saeDigests(outA, hooks);
  expect(Object.keys(a)).toContain(`${hooks[0]}/sae_weights.safetensors`);
  expect(saeDigests(outB, hooks)).toEqual(a);
}

let reference: TrainRunContext;

describe('a training run on the demo bundle', () => {
  it('trains one SAE per hook from one model pass, logs curves, evaluates and exports them', async () => {
    reference = context('reference');
    const params = tinyParams();
    const res = await runTrainSae(params, reference);
    expect(res.steps).toBe(20);
    expect(res.tokens).toBe(5120);
    expect(res.saes.map((s) => s.hook)).toEqual(params.hooks);
    for (const s of res.saes) {
      expect(s.out).toBe(path.join(reference.outDir, s.hook));
      const sae = loadSae(s.out);
      expect(sae.config).toMatchObject({ architecture: 'topk', dIn: 64, dSae: 48, k: 4, hookName: s.hook });
      expect(s.eval.tokens).toBeGreaterThanOrEqual(512);
      expect(s.eval.fve).toBeGreaterThan(0);
      expect(s.eval.l0).toBeGreaterThan(0);
      expect(s.eval.l0).toBeLessThanOrEqual(4);
      expect(s.gates.map((g) => g.name)).toEqual(['FVE', 'dead %', 'duplicates %']);
      expect(s.gates.map((g) => g.blocking)).toEqual([true, true, false]);
      expect(s.dictionary.live).toBe(Math.round(48 * (1 - s.eval.dead_pct / 100)));
      expect(s.eval.duplicate_pct).toBe(s.dictionary.duplicate_pct);
    }
    const pts = readMetrics(reference.runDir).points;
    expect(pts.filter((p) => p.hook === params.hooks[0]).map((p) => p.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const first = pts.find((p) => p.hook === params.hooks[1])!;
    const last = pts.filter((p) => p.hook === params.hooks[1]).at(-1)!;
    expect(last.mse).toBeLessThan(first.mse / 2);
    expect(readCheckpointStep(reference.runDir)).toBe(20);
    expect(JSON.parse(fs.readFileSync(path.join(reference.runDir, 'params.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(params)));
  });

  it('a paused run, resumed, ends with the same curve and SAEs as the uninterrupted one', async () => {
    let stop = false;
    const ctx = context('paused', {
      progress: (_f, _m, detail) => {
        if ((detail as { step?: number } | undefined)?.step === 10) stop = true;
      },
      stopRequested: () => (stop ? 'pause' : null),
    });
    const err = await runTrainSae(tinyParams(), ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobStopped);
    // Pause = checkpoint, then stop: the checkpoint is at the step the pause took effect.
    const cp = readCheckpoint(ctx.runDir, [0, 1].map(() => ({ dIn: 64, dSae: 48 })))!;
    expect(cp.step).toBe(10);
    expect(cp.buffer).not.toBeNull();
    for (const s of cp.saes) for (const n of PARAM_NAMES) expect(s.train.params[n].every(Number.isFinite)).toBe(true);
    stop = false;
    await runTrainSae(tinyParams(), ctx);
    expectSameCurve(reference.runDir, ctx.runDir);
    expectSameSaes(reference.outDir, ctx.outDir, tinyParams().hooks);
  });

  it('repeats bit for bit: the same seed gives byte-identical SAEs run after run and across a pause', async () => {
    // Batches big enough that ORT spreads the step's kernels over both threads; BatchTopK (its
    // threshold average) as well as TopK.
    const hooks = ['blocks.2.hook_resid_post'];
    const big = (over: Partial<TrainSaeParamsInput> = {}) => tinyParams({ hooks, batchSize: 1024, k: 8, dSae: 256, tokens: 1024 * 12, checkpointEverySteps: 100, ...over });
    const paused = async (name: string, params: ReturnType<typeof tinyParams>) => {
      let stop = false;
      const ctx = context(name, {
        progress: (_f, _m, detail) => {
          if ((detail as { step?: number } | undefined)?.step === 5) stop = true;
        },
        stopRequested: () => (stop ? 'pause' : null),
      });
      expect(await runTrainSae(params, ctx).catch((e: unknown) => e)).toBeInstanceOf(JobStopped);
      expect(readCheckpointStep(ctx.runDir)).toBe(5);
      stop = false;
      await runTrainSae(params, ctx);
      return ctx;
    };
    const runs: [TrainRunContext, TrainRunContext][] = [];
    const topkA = context('repeat-topk-a');
    await runTrainSae(big(), topkA);
    const topkB = context('repeat-topk-b');
    await runTrainSae(big(), topkB);
    runs.push([topkA, topkB], [topkA, await paused('repeat-topk-paused', big())]);
    const batchA = context('repeat-batchtopk-a');
    await runTrainSae(big({ architecture: 'batchtopk' }), batchA);
    runs.push([batchA, await paused('repeat-batchtopk-paused', big({ architecture: 'batchtopk' }))]);
    for (const [a, b] of runs) {
      expectSameCurve(a.runDir, b.runDir);
      expectSameSaes(a.outDir, b.outDir, hooks);
    }
    // The seed does matter: another one starts from another SAE.
    const seeded = context('repeat-seed-2');
    await runTrainSae(big({ seed: 2, tokens: 1024 * 2 }), seeded);
    const first = (dir: string) => readMetrics(dir).points[0];
    expect(first(seeded.runDir).grad_norm).not.toBe(first(topkA.runDir).grad_norm);
  }, 240_000);

  it('with the activation cache, a second run reads the shards and trains identically', async () => {
    const a = context('cached-a');
    const b = context('cached-b');
    const params = tinyParams({ cacheActivations: true, hooks: ['blocks.2.hook_resid_post'] });
    await runTrainSae(params, a);
    const cacheRoot = path.join(tmp.dir, 'activation-cache');
    const shards = fs.readdirSync(cacheRoot).flatMap((k) => fs.readdirSync(path.join(cacheRoot, k)).filter((f) => f.endsWith('.safetensors')));
    expect(shards.length).toBe(5); // 20 steps / 4 batches per block
    await runTrainSae(params, b);
    expectSameCurve(a.runDir, b.runDir);
  });

  it('an lr sweep runs trials at lr x 0.25 ... 4, extends past the edge the best sits at, and trains with the best held-out FVE', async () => {
    const ctx = context('sweep');
    // lr 1e-5 is far too low for 20 steps: the best trial is the largest, so the sweep goes on upward.
    const res = await runTrainSae(tinyParams({ hooks: ['blocks.2.hook_resid_post'], lrSweep: true, lr: 1e-5 }), ctx);
    const lrs = res.sweep!.map((t) => t.lr);
    expect(lrs.slice(0, 5)).toEqual([0.25e-5, 0.5e-5, 1e-5, 2e-5, 4e-5]);
    expect(lrs.length).toBeGreaterThan(5);
    // The run followed the plan: each trial is the one nextSweepLr asked for after the ones before it.
    res.sweep!.forEach((t, i) => expect(t.lr).toBe(nextSweepLr(res.sweep!.slice(0, i), 1e-5)));
    expect(nextSweepLr(res.sweep!, 1e-5)).toBeNull();
    const best = bestTrial(res.sweep!)!;
    expect(res.lr).toBe(best.lr);
    expect(best.lr).toBeGreaterThan(4e-5);
    const phases = [...new Set(readMetrics(ctx.runDir).points.map((p) => p.phase))];
    expect(phases).toEqual([...lrs.map((lr) => `sweep lr=${lr.toPrecision(3)}`), 'train']);
    expect(readMetrics(ctx.runDir).points.filter((p) => p.phase === 'train').every((p) => p.lr === best.lr)).toBe(true);
  });

  it('starts from the data: the input scale makes E||x|| = sqrt(d_in), b_dec starts at the rows\' median (or mean, or zeros)', async () => {
    const hook = 'blocks.2.hook_resid_post';
    // Activations of the held-out tokens: other documents than the training rows, the same distribution.
    const setup = await prepareTraining(tinyParams({ hooks: [hook] }));
    const held = await heldOutWindows(setup.plan, setup.tokenizer, setup.prependBos, setup.contextSize, 2048);
    const run = await runModel(setup.model, held.windows.map((w) => w.tokens), [hook], { device: 'cpu' });
    const rows = Float32Array.from(run.hooks[hook].flatMap((t) => Array.from(t.data)));
    const heldScale = expectedAverageScale(rows, 64);
    const heldMean = meanRow(rows, 64);
    const cosine = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      let ab = 0, aa = 0, bb = 0;
      for (let i = 0; i < a.length; i++) [ab, aa, bb] = [ab + a[i] * b[i], aa + a[i] ** 2, bb + b[i] ** 2];
      return ab / Math.sqrt(aa * bb);
    };
    const stepZero = async (over: Partial<TrainSaeParamsInput>, name: string) => {
      const ctx = context(name, { stopRequested: () => 'pause' });
      await expect(runTrainSae(tinyParams({ hooks: [hook], ...over }), ctx)).rejects.toBeInstanceOf(JobStopped);
      const cp = readCheckpoint(ctx.runDir, [{ dIn: 64, dSae: 48 }])!;
      expect(cp.step).toBe(0);
      return { scale: cp.inputScales![0], bDec: cp.saes[0].train.params.b_dec };
    };
    const median = await stepZero({}, 'start-median');
    expect(median.scale / heldScale).toBeGreaterThan(0.9);
    expect(median.scale / heldScale).toBeLessThan(1.1);
    // The residual stream has a large common component: its median and mean point the same way.
    expect(cosine(median.bDec, heldMean)).toBeGreaterThan(0.9);
    const mean = await stepZero({ bDecInit: 'mean' }, 'start-mean');
    expect(mean.scale).toBe(median.scale);
    expect(cosine(mean.bDec, heldMean)).toBeGreaterThan(0.95);
    expect(Array.from(mean.bDec)).not.toEqual(Array.from(median.bDec));
    // In scaled units: the mean of x * s is s x the mean of x.
    const norm = (v: ArrayLike<number>) => Math.hypot(...Array.from(v));
    expect(norm(mean.bDec) / (median.scale * norm(heldMean))).toBeGreaterThan(0.8);
    expect(norm(mean.bDec) / (median.scale * norm(heldMean))).toBeLessThan(1.25);
    const raw = await stepZero({ bDecInit: 'zeros', normalizeActivations: 'none' }, 'start-zeros');
    expect(raw.scale).toBe(1);
    expect(raw.bDec.every((v) => v === 0)).toBe(true);
  });

  it('trains BatchTopK and saves it as JumpReLU with the moving-average threshold', async () => {
    const ctx = context('batchtopk');
    const res = await runTrainSae(tinyParams({ architecture: 'batchtopk', hooks: ['blocks.2.hook_resid_post'], tokens: 256 * 60 }), ctx);
    const sae = loadSae(res.saes[0].out);
    expect(sae.config.architecture).toBe('jumprelu');
    const threshold = sae.threshold!.data[0];
    expect(threshold).toBeGreaterThan(0);
    expect(sae.threshold!.data.every((t) => t === threshold)).toBe(true);
    // The threshold keeps about k latents per token at inference, as BatchTopK did in training
    // (a little more: it averages minima of a distribution that grows as the SAE trains).
    expect(res.saes[0].eval.l0).toBeGreaterThan(2);
    expect(res.saes[0].eval.l0).toBeLessThan(3 * 4);
  });

  it('loops over a dataset too small for the budget only when asked', async () => {
    const params = tinyParams({ tokens: 1_000_000, hooks: ['blocks.0.hook_resid_post'] });
    const err = await asyncErrorOf(() => runTrainSae(params, context('too-small')));
    expect(err.code).toBe('DATASET_TOO_SMALL');
    // 3906 steps of 256 read in whole blocks of 4 batches: 977 blocks.
    expect(err.message).toMatch(/has \d+ training tokens after the \d+ held-out ones .* needs 1000448 \(3906 steps x 256, read in blocks of 4 batches\)/);
    // Refused before anything was written: the same --out can be used again at once.
    expect(fs.existsSync(path.join(tmp.dir, 'too-small'))).toBe(false);
    expect(err.hint).toContain('--loop');
    const looped = await prepareTraining({ ...params, loopDataset: true });
    expect(looped.totalSteps).toBe(3906);
  });

  it('an unknown hook is refused with the model\'s valid hooks listed', async () => {
    const err = await asyncErrorOf(() => prepareTraining(tinyParams({ hooks: ['blocks.2.hook_resid_post', 'blocks.7.hook_resid_post'] })));
    expect(err.code).toBe('ENGINE_UNKNOWN_HOOK');
    expect(err.message).toContain('blocks.7.hook_resid_post');
    expect(err.hint).toContain('blocks.3.hook_resid_post');
    expect(err.hint).toContain('hook_embed');
  });

  it('stops at a NaN/Inf loss naming the step, keeping the last good checkpoint', async () => {
    // A model whose embedding of one rare token overflows float32 once squared.
    const broken = path.join(tmp.dir, 'broken-model');
    const weights = loadModel(demo.models.adhd);
    const row = 150;
    for (let i = 0; i < 64; i++) weights.W_E.data[row * 64 + i] = 1e25;
    writeGpt2Directory(broken, weights);
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(demo.models.adhd, f), path.join(broken, f));
    const ctx = context('nan');
    // Raw inputs: normalisation would scale the outlier down with everything else.
    const err = await asyncErrorOf(() => runTrainSae(tinyParams({ model: broken, hooks: ['blocks.0.hook_resid_post'], checkpointEverySteps: 1, tokens: 256 * 200, loopDataset: true, normalizeActivations: 'none' }), ctx));
    expect(err.code).toBe('TRAIN_NONFINITE_LOSS');
    const step = Number(/at step (\d+) of 200/.exec(err.message)![1]);
    expect(err.message).toContain('blocks.0.hook_resid_post');
    expect(err.message).toContain(`last good checkpoint (step ${step - 1}) is kept`);
    const cp = readCheckpoint(ctx.runDir, [{ dIn: 64, dSae: 48 }])!;
    expect(cp.step).toBe(step - 1);
    for (const n of PARAM_NAMES) expect(cp.saes[0].train.params[n].every(Number.isFinite)).toBe(true);
  });
});
