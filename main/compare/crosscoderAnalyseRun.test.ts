import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoBundlePaths } from '../demo/demoBundle';
import { encodeCrosscoder64 } from '../engine/reference/crosscoderReference';
import { loadCrosscoder, writeCrosscoderFiles } from '../formats/crosscoder';
import { crosscoderLatentsCommand } from '../cli/crosscoderLatentsCommand';
import { makeTempDir } from '../testing/tempDirs';
import { asyncErrorOf } from '../testing/workbenchErrors';
import { CrosscoderAnalyseParamsSchema, TrainCrosscoderParamsSchema } from '../../preload/contract/crosscoder';
import { ActivationStream } from '../train/activationStream';
import { runTrainCrosscoder } from '../train/crosscoderRun';
import { prepareCrosscoderTraining } from '../train/crosscoderSetup';
import { sharedDemoBundle } from '../train/testing/demoFixture';
import { analyseCrosscoder } from './crosscoderAnalyseRun';

let demo: DemoBundlePaths;
const tmp = makeTempDir('crosscoder-analyse');
const HOOK = 'blocks.2.hook_resid_post';
let dir: string;
const B_ONLY = 3;
const A_ONLY = 5;

beforeAll(async () => {
  demo = sharedDemoBundle();
  const params = TrainCrosscoderParamsSchema.parse({ modelA: demo.models.standard, modelB: demo.models.adhd, hookA: HOOK, dataset: demo.dataset, k: 4, dSae: 48, tokens: 256 * 20, batchSize: 256, lr: 3e-3, evalTokens: 512, normTokens: 2048, bufferBatches: 4, device: 'cpu' });
  const runDir = path.join(tmp.dir, 'run');
  const res = await runTrainCrosscoder(params, { runDir, outDir: path.join(runDir, 'cc'), home: tmp.dir, log: () => {}, progress: () => {}, stopRequested: () => null });
  // Make one latent B-only and one A-only by zeroing a decoder, so latent scaling has work.
  const cc = loadCrosscoder(res.out);
  const { dIn: d, dSae } = cc.config;
  cc.W_dec.data.fill(0, B_ONLY * d, (B_ONLY + 1) * d);
  cc.W_dec.data.fill(0, (dSae + A_ONLY) * d, (dSae + A_ONLY + 1) * d);
  dir = path.join(tmp.dir, 'edited');
  fs.mkdirSync(dir);
  writeCrosscoderFiles(dir, cc, { model_a_path: demo.models.standard, model_b_path: demo.models.adhd });
}, 300_000);
afterAll(tmp.cleanup);

const quiet = { log: () => {}, progress: () => {} };

describe('crosscoder analysis of a folder', () => {
  it('gives every latent its band, and latent scaling equal to a float64 recomputation from the folder', async () => {
    const a = await analyseCrosscoder(CrosscoderAnalyseParamsSchema.parse({ crosscoder: dir, dataset: demo.dataset, maxTokens: 1024, device: 'cpu' }), quiet);
    expect(a.latents).toHaveLength(48);
    expect(a.latents[B_ONLY]).toMatchObject({ delta_norm: 1, category: 'b-only', cos_ab: null });
    expect(a.latents[A_ONLY]).toMatchObject({ delta_norm: 0, category: 'a-only' });
    expect(a.tokens).toBe(1024);
    expect(a.counts.live + a.counts.dead).toBe(48);
    expect(a.histogram.counts.reduce((x, y) => x + y, 0)).toBe(a.counts.live);

    // Recompute: the same tokens, the float64 encoding, betas by their definition.
    const cc = loadCrosscoder(dir);
    const { dIn: d, dSae, normScaleA: sA, normScaleB: sB } = cc.config;
    const setup = await prepareCrosscoderTraining(TrainCrosscoderParamsSchema.parse({ modelA: demo.models.standard, modelB: demo.models.adhd, hookA: HOOK, dataset: demo.dataset, device: 'cpu' }));
    const rows = await new ActivationStream({ model: setup.modelA, tokenizer: setup.tokenizer, plan: setup.plan, hooks: [HOOK], contextSize: cc.config.contextSize, prependBos: true, device: 'cpu', partner: { model: setup.modelB, hooks: [HOOK], keys: ['B'] } }, { document: 0, window: 0, row: 0, epoch: 0 }, null, 'test').take(1024);
    const xA = rows.hooks[HOOK];
    const xB = rows.hooks.B;
    const enc = encodeCrosscoder64(cc, xA, xB);
    for (const [j, own] of [[B_ONLY, 1], [A_ONLY, 0]] as const) {
      const num = { r: [0, 0], e: [0, 0] };
      let den = 0;
      let fired = 0;
      for (let t = 0; t < 1024; t++) {
        const f = enc.acts[t * dSae + j];
        if (f === 0) continue;
        fired++;
        const dir0 = (i: number) => cc.W_dec.data[(own * dSae + j) * d + i];
        for (let m = 0; m < 2; m++) {
          const x = m === 0 ? xA : xB;
          const h = m === 0 ? enc.xhatA : enc.xhatB;
          const s = m === 0 ? sA : sB;
          for (let i = 0; i < d; i++) {
            num.r[m] += f * dir0(i) * (h[t * d + i] / s);
            num.e[m] += f * dir0(i) * ((x[t * d + i] - h[t * d + i]) / s + f * cc.W_dec.data[(m * dSae + j) * d + i]);
          }
        }
        for (let i = 0; i < d; i++) den += f * f * dir0(i) ** 2;
      }
      const row = a.latents[j];
      if (fired === 0) {
        expect(row.nu_r).toBeNull();
        continue;
      }
      expect(den).toBeGreaterThan(0);
      expect(row.density).toBeCloseTo(fired / 1024, 3);
      expect(row.nu_r!).toBeCloseTo(num.r[1 - own] / num.r[own], 3);
      expect(row.nu_eps!).toBeCloseTo(num.e[1 - own] / num.e[own], 3);
    }
    expect(a.latents[B_ONLY].nu_r !== null || a.latents[A_ONLY].nu_r !== null).toBe(true);
  });

  it('without a dataset gives the decoder figures alone (nu and density null)', async () => {
    fs.copyFileSync(path.join(dir, 'cfg.json'), path.join(tmp.dir, 'cfg.bak'));
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'cfg.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'cfg.json'), JSON.stringify({ ...cfg, dataset_path: '/nowhere/data.jsonl' }));
    try {
      const a = await analyseCrosscoder(CrosscoderAnalyseParamsSchema.parse({ crosscoder: dir }), quiet);
      expect(a.tokens).toBeNull();
      expect(a.latents.every((l) => l.density === null && l.nu_r === null && l.nu_eps === null)).toBe(true);
      expect(a.latents[B_ONLY].category).toBe('b-only');
    } finally {
      fs.copyFileSync(path.join(tmp.dir, 'cfg.bak'), path.join(dir, 'cfg.json'));
    }
  });

  it('crosscoder-latents --json prints exactly the contract keys for every latent', async () => {
    const out: string[] = [];
    const code = await crosscoderLatentsCommand.run({ values: { crosscoder: dir, 'max-tokens': '256', device: 'cpu', json: true }, positionals: [] }, { home: path.join(tmp.dir, 'home'), stdout: (l) => out.push(l), stderr: () => {} });
    expect(code).toBe(0);
    const parsed = JSON.parse(out.at(-1)!) as { latents: Record<string, unknown>[] };
    expect(Object.keys(parsed)).toEqual(['latents']);
    expect(parsed.latents).toHaveLength(48);
    for (const l of parsed.latents) expect(Object.keys(l)).toEqual(['latent', 'delta_norm', 'category', 'cos_ab', 'density', 'nu_r', 'nu_eps']);
  });

  it('names the missing model when neither the params, cfg.json nor the Library find it', async () => {
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'cfg.json'), 'utf8'));
    const lost = path.join(tmp.dir, 'lost');
    fs.cpSync(dir, lost, { recursive: true });
    fs.writeFileSync(path.join(lost, 'cfg.json'), JSON.stringify({ ...cfg, model_b_path: '/gone/adhd' }));
    const err = await asyncErrorOf(() => analyseCrosscoder(CrosscoderAnalyseParamsSchema.parse({ crosscoder: lost, dataset: demo.dataset, maxTokens: 64 }), quiet));
    expect(err.code).toBe('CROSSCODER_MODELS_UNKNOWN');
    expect(err.message).toContain('model B (sae-workbench/demo-adhd)');
  });
});
