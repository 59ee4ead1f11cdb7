import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoBundlePaths } from '../demo/demoBundle';
import { loadCrosscoder } from '../formats/crosscoder';
import { makeTempDir } from '../testing/tempDirs';
import { asyncErrorOf } from '../testing/workbenchErrors';
import { SteerParams, TrainCrosscoderParamsSchema } from '../../preload/api';
import { runTrainCrosscoder } from '../train/crosscoderRun';
import { sharedDemoBundle } from '../train/testing/demoFixture';
import { silentContext } from './experimentContext';
import { runSteering } from './steering';

const tmp = makeTempDir('crosscoder-steer');
let demo: DemoBundlePaths;
let cc: string;
afterAll(tmp.cleanup);
beforeAll(async () => {
  demo = sharedDemoBundle();
  const runDir = path.join(tmp.dir, 'run');
  const res = await runTrainCrosscoder(
    TrainCrosscoderParamsSchema.parse({ modelA: demo.models.standard, modelB: demo.models.adhd, hookA: 'blocks.2.hook_resid_post', dataset: demo.dataset, k: 4, dSae: 48, tokens: 256 * 20, batchSize: 256, lr: 3e-3, evalTokens: 512, normTokens: 2048, bufferBatches: 4, device: 'cpu' }),
    { runDir, outDir: runDir, home: tmp.dir, log: () => {}, progress: () => {}, stopRequested: () => null },
  );
  cc = res.out;
}, 300_000);

const steer = (panel: Record<string, unknown>) =>
  SteerParams.parse({ dataset: demo.dataset, maxDocuments: 6, metric: 'logit:quickly', seeds: 2, drawsPerSeed: 1, device: 'cpu', panels: [{ sae: cc, feature: 5, strengths: [2], ...panel }] });

describe('a crosscoder latent as a steering direction', () => {
  it('steers along either decoder in that model\'s units, with density-matched crosscoder latents as the null', async () => {
    const w = loadCrosscoder(cc);
    const { dIn: d, dSae, normScaleA, normScaleB } = w.config;
    const norm = (side: number) => Math.sqrt(Array.from(w.W_dec.data.subarray((side * dSae + 5) * d, (side * dSae + 6) * d)).reduce((a, v) => a + v * v, 0));
    // The panel's model picks the decoder (adhd is model B); an explicit one carries A's decoder into B.
    const a = await runSteering(steer({ model: demo.models.adhd, intervention: 'add' }), silentContext());
    expect(a.panels[0].decoderNorm).toBeCloseTo(normScaleB * norm(1), 4);
    expect(a.panels[0].densities.tokens).toBeGreaterThan(0);
    expect(a.panels[0].points[0].null!.draws.length).toBe(2);
    const b = await runSteering(steer({ model: demo.models.adhd, decoder: 'a', intervention: 'replace', strengths: [0] }), silentContext());
    expect(b.panels[0].decoderNorm).toBeCloseTo(normScaleA * norm(0), 4);
    expect(b.panels[0].hook).toBe('blocks.2.hook_resid_post');
  }, 300_000);

  it('refuses to ablate a crosscoder latent, and experiments that encode with one model\'s SAE', async () => {
    const ablate = await asyncErrorOf(() => runSteering(steer({ model: demo.models.adhd, intervention: 'ablate' }), silentContext()));
    expect(ablate.code).toBe('CROSSCODER_NOT_SUPPORTED');
    expect(ablate.hint).toMatch(/add or replace/);
    const { runAblation } = await import('./ablation');
    const { AblateParams } = await import('../../preload/api');
    const err = await asyncErrorOf(() => runAblation(AblateParams.parse({ model: demo.models.adhd, sae: cc, features: [5], dataset: demo.dataset, maxDocuments: 4, device: 'cpu' }), silentContext()));
    expect(err.code).toBe('CROSSCODER_NOT_SUPPORTED');
  });
});
