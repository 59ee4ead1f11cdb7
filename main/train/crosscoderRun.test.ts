import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoBundlePaths } from '../demo/demoBundle';
import { randomTransformer } from '../engine/randomWeights';
import { encodeCrosscoder64 } from '../engine/reference/crosscoderReference';
import { loadCrosscoder } from '../formats/crosscoder';
import { loadModel } from '../formats/models/registry';
import { writeGpt2Directory } from '../formats/models/gpt2Writer';
import { JobStopped } from '../jobs/kind';
import { crosscoderSummary } from '../jobOutputs';
import { makeTempDir } from '../testing/tempDirs';
import { asyncErrorOf } from '../testing/workbenchErrors';
import { TrainCrosscoderParamsSchema, type TrainCrosscoderParamsInput } from '../../preload/contract/crosscoder';
import type { TrainMetricPoint } from '../../preload/contract/train';
import { ActivationStream } from './activationStream';
import { readCheckpoint } from './checkpoint';
import { runTrainCrosscoder } from './crosscoderRun';
import { prepareCrosscoderTraining } from './crosscoderSetup';
import { readMetrics } from './metricsLog';
import { bestTrial, nextSweepLr } from './lrSweep';
import { sharedDemoBundle } from './testing/demoFixture';
import type { TrainRunContext } from './trainRun';

let demo: DemoBundlePaths;
const tmp = makeTempDir('crosscoder-run');
beforeAll(() => {
  demo = sharedDemoBundle();
}, 180_000);
afterAll(tmp.cleanup);

const HOOK = 'blocks.2.hook_resid_post';

/** A tiny crosscoder on the demo pair: 20 steps of 256 tokens. */
function tinyParams(over: Partial<TrainCrosscoderParamsInput> = {}) {
  return TrainCrosscoderParamsSchema.parse({
    modelA: demo.models.standard,
    modelB: demo.models.adhd,
    hookA: HOOK,
    dataset: demo.dataset,
    k: 4,
    dSae: 48,
    tokens: 256 * 20,
    batchSize: 256,
    lr: 3e-3,
    evalTokens: 512,
    normTokens: 2048,
    bufferBatches: 4,
    checkpointEverySteps: 4,
    device: 'cpu',
    ...over,
  });
}

function context(name: string, over: Partial<TrainRunContext> = {}): TrainRunContext {
  const runDir = path.join(tmp.dir, name);
  return { runDir, outDir: path.join(runDir, 'crosscoder'), home: tmp.dir, log: () => {}, progress: () => {}, stopRequested: () => null, ...over };
}

function curve(runDir: string): Omit<TrainMetricPoint, 'tokens_per_s' | 'step_tokens_per_s' | 'elapsed_s'>[] {
  return readMetrics(runDir).points.map(({ tokens_per_s: _a, step_tokens_per_s: _b, elapsed_s: _c, ...rest }) => rest);
}

function expectSameRun(a: TrainRunContext, b: TrainRunContext): void {
  const ca = curve(a.runDir);
  const cb = curve(b.runDir);
  expect(cb.length).toBe(ca.length);
  ca.forEach((p, i) => {
    for (const key of ['loss', 'mse', 'aux', 'fve', 'fve_a', 'fve_b', 'l0', 'dead_pct', 'grad_norm'] as const) {
      expect(Math.abs(cb[i][key]! - p[key]!), `${key} at step ${p.step}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(p[key]!)));
    }
  });
  const x = loadCrosscoder(a.outDir);
  const y = loadCrosscoder(b.outDir);
  for (const t of ['W_enc', 'W_dec', 'b_enc', 'b_dec', 'threshold'] as const) {
    let worst = 0;
    x[t].data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - y[t].data[i]))));
    expect(worst, t).toBeLessThan(1e-5);
  }
  expect(y.config.normScaleA).toBe(x.config.normScaleA);
}

let reference: TrainRunContext;

describe('a crosscoder run on the demo pair', () => {
  it('trains on paired activations, logs per-model curves, saves the folder and reports what a float64 recomputation gives', async () => {
    reference = context('reference');
    const res = await runTrainCrosscoder(tinyParams(), reference);
    expect(Object.keys(crosscoderSummary(res))).toEqual(['fve_a', 'fve_b', 'l0', 'dead_pct', 'n_a_only', 'n_shared', 'n_b_only', 'out']);
    expect(res.out).toBe(reference.outDir);
    expect(res.steps).toBe(20);
    const cc = loadCrosscoder(res.out);
    expect(cc.config).toMatchObject({ dIn: 64, dSae: 48, k: 4, hookNameA: HOOK, hookNameB: HOOK, modelA: 'sae-workbench/demo-standard', modelB: 'sae-workbench/demo-adhd', normScaleA: res.normScales[0], normScaleB: res.normScales[1] });
    expect(cc.threshold.data[0]).toBeGreaterThan(0);
    for (const f of ['README.md', 'sparsity.safetensors', 'training_config.json']) expect(fs.existsSync(path.join(res.out, f)), f).toBe(true);

    // The input scales make E||x_m / s_m||^2 = d_in on the rows they were estimated on.
    const setup = await prepareCrosscoderTraining(tinyParams());
    const stream = (from: { document: number; window: number }) => new ActivationStream({ model: setup.modelA, tokenizer: setup.tokenizer, plan: setup.plan, hooks: [HOOK], contextSize: setup.contextSize, prependBos: true, device: 'cpu', partner: { model: setup.modelB, hooks: [HOOK], keys: ['B'] } }, { ...from, row: 0, epoch: 0 }, null, 'test');

    // Reported per-model FVE = a float64 recomputation from the saved weights on the held-out tokens.
    const held = await stream({ document: 0, window: 0 }).take(res.heldOutTokens);
    const xA = held.hooks[HOOK];
    const xB = held.hooks.B;
    const enc = encodeCrosscoder64(cc, xA, xB);
    const fve = (x: Float32Array, h: Float64Array) => {
      const d = 64;
      const n = x.length / d;
      const mean = new Float64Array(d);
      for (let i = 0; i < x.length; i++) mean[i % d] += x[i] / n;
      let res2 = 0;
      let tot = 0;
      for (let i = 0; i < x.length; i++) {
        res2 += (x[i] - h[i]) ** 2;
        tot += (x[i] - mean[i % d]) ** 2;
      }
      return 1 - res2 / tot;
    };
    expect(Math.abs(fve(xA, enc.xhatA) - res.fve_a)).toBeLessThan(1e-4);
    expect(Math.abs(fve(xB, enc.xhatB) - res.fve_b)).toBeLessThan(1e-4);
    expect(res.fve_a).toBeGreaterThan(0.1);
    expect(res.fve_b).toBeGreaterThan(0.1);
    let fired = 0;
    enc.acts.forEach((v) => (fired += v > 0 ? 1 : 0));
    expect(Math.abs(fired / res.heldOutTokens - res.l0)).toBeLessThan(0.05);
    expect(res.n_a_only + res.n_shared + res.n_b_only).toBeLessThanOrEqual(48);

    const pts = readMetrics(reference.runDir).points;
    expect(pts.map((p) => p.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(pts.every((p) => p.hook === 'crosscoder' && Number.isFinite(p.fve_a) && Number.isFinite(p.fve_b))).toBe(true);
    expect(pts.at(-1)!.mse).toBeLessThan(pts[0].mse / 2);
  });

  it('a paused run and a run killed between checkpoints, resumed, end as the uninterrupted one', async () => {
    let stop = false;
    const paused = context('paused', { progress: (_f, _m, d) => void ((d as { step?: number } | undefined)?.step === 10 && (stop = true)), stopRequested: () => (stop ? 'pause' : null) });
    expect(await runTrainCrosscoder(tinyParams(), paused).catch((e: unknown) => e)).toBeInstanceOf(JobStopped);
    expect(readCheckpoint(paused.runDir, [{ dIn: 128, dSae: 48 }])!.step).toBe(10);
    stop = false;
    await runTrainCrosscoder(tinyParams(), paused);
    expectSameRun(reference, paused);

    // A crash (as kill -9) at step 15: the checkpoint of step 12 is on disk, the rest is lost.
    const crashed = context('crashed', { progress: (_f, _m, d) => { if ((d as { step?: number } | undefined)?.step === 15) throw new Error('killed'); } });
    await expect(runTrainCrosscoder(tinyParams(), crashed)).rejects.toThrow('killed');
    expect(readCheckpoint(crashed.runDir, [{ dIn: 128, dSae: 48 }])!.step).toBe(12);
    await runTrainCrosscoder(tinyParams(), { ...crashed, progress: () => {} });
    expectSameRun(reference, crashed);
  });

  it('an lr sweep runs short trials and trains with the best mean held-out FVE of the two models', async () => {
    const ctx = context('sweep');
    const res = await runTrainCrosscoder(tinyParams({ lrSweep: true, lr: 1e-3 }), ctx);
    const lrs = res.sweep!.map((t) => t.lr);
    expect(lrs.slice(0, 5)).toEqual([0.25e-3, 0.5e-3, 1e-3, 2e-3, 4e-3]);
    // Trials past the first five only while the best sits at an edge (the SAE trainer's plan, lrSweep.ts).
    for (let i = 5; i < lrs.length; i++) expect(bestTrial(res.sweep!.slice(0, i))!.lr).toBe(lrs[i] > 1e-3 ? Math.max(...lrs.slice(0, i)) : Math.min(...lrs.slice(0, i)));
    expect(nextSweepLr(res.sweep!, 1e-3)).toBeNull();
    expect(res.lr).toBe(bestTrial(res.sweep!)!.lr);
    expect([...new Set(readMetrics(ctx.runDir).points.map((p) => p.phase))]).toEqual([...lrs.map((lr) => `sweep lr=${lr.toPrecision(3)}`), 'train']);
  });

  it('refuses to resume with changed inputs, naming what changed', async () => {
    const err = await asyncErrorOf(() => runTrainCrosscoder(tinyParams({ hookB: 'blocks.1.hook_resid_post' }), context('reference', { output: { origin: { surface: 'api' }, overwrite: true, option: 'out' } })));
    expect(err.code).toBe('CHECKPOINT_MISMATCH');
    expect(err.message).toContain('hook B (was "blocks.2.hook_resid_post", now "blocks.1.hook_resid_post")');
  });

  it('refuses models that tokenize differently, naming what differs', async () => {
    const other = path.join(tmp.dir, 'other-tokenizer');
    fs.cpSync(demo.models.adhd, other, { recursive: true });
    const tok = JSON.parse(fs.readFileSync(path.join(other, 'tokenizer.json'), 'utf8'));
    const vocab = tok.model.vocab as Record<string, number>;
    const [w1, w2] = Object.keys(vocab).filter((w) => vocab[w] === 7 || vocab[w] === 8);
    [vocab[w1], vocab[w2]] = [vocab[w2], vocab[w1]];
    fs.writeFileSync(path.join(other, 'tokenizer.json'), JSON.stringify(tok));
    const err = await asyncErrorOf(() => prepareCrosscoderTraining(tinyParams({ modelB: other })));
    expect(err.code).toBe('CROSSCODER_TOKENIZERS_DIFFER');
    expect(err.message).toMatch(/vocabulary: id [78] is "[^"]+" vs "[^"]+"/);
  });

  it('refuses a hook missing in one model, and models of other widths', async () => {
    const hook = await asyncErrorOf(() => prepareCrosscoderTraining(tinyParams({ hookB: 'blocks.6.hook_resid_post' })));
    expect(hook.code).toBe('ENGINE_UNKNOWN_HOOK');
    expect(hook.message).toMatch(/^Model B \(sae-workbench\/demo-adhd/);
    expect(hook.hint).toContain('blocks.3.hook_resid_post');
    const adhd = loadModel(demo.models.adhd).config;
    const narrow = path.join(tmp.dir, 'narrow');
    const weights = randomTransformer({ dModel: 32, nHeads: 4, nLayers: 4, dVocab: adhd.dVocab, nCtx: adhd.nCtx, bosTokenId: adhd.bosTokenId, eosTokenId: adhd.eosTokenId, prependBos: adhd.prependBos, name: 'narrow' });
    weights.b_U.data.fill(0);
    writeGpt2Directory(narrow, weights);
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(demo.models.adhd, f), path.join(narrow, f));
    const width = await asyncErrorOf(() => prepareCrosscoderTraining(tinyParams({ modelB: narrow })));
    expect(width.code).toBe('CROSSCODER_WIDTH_MISMATCH');
    expect(width.message).toMatch(/64 wide at blocks\.2\.hook_resid_post but model B \(narrow\) is 32 wide/);
  });
});
