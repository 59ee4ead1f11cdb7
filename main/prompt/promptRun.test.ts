import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDemoBundle, type DemoBundlePaths, type DemoGroundTruth } from '../demo/demoBundle';
import { forward64 } from '../demo/transformerForward64';
import { loadModel } from '../formats/models/registry';
import { loadSae } from '../formats/saeLoader';
import type { SaeWeights } from '../formats/sae';
import { randomSaeTensors, v6TopkCfg, writeSaeDir } from '../formats/testing/saeFixture';
import { makeTempDir } from '../testing/tempDirs';
import { runPrompt } from './promptRun';

/** Float64 TopK encode from the sae_lens definition, for comparison with the ONNX path. */
function topkReference(sae: SaeWeights, x: ArrayLike<number>): { feature: number; activation: number }[] {
  const { dIn, dSae, k } = sae.config;
  const pre = Array.from({ length: dSae }, (_, j) => {
    let s = sae.b_enc.data[j];
    for (let i = 0; i < dIn; i++) s += (x[i] - sae.b_dec.data[i]) * sae.W_enc.data[i * dSae + j];
    return { feature: j, activation: s };
  });
  return pre.sort((a, b) => b.activation - a.activation).slice(0, k!).filter((p) => p.activation > 0);
}

describe('runPrompt on the demo bundle', () => {
  const tmp = makeTempDir('prompt');
  let bundle: DemoBundlePaths;
  let truth: DemoGroundTruth;
  const text = 'How to make tea. Step 1: Boil the water. The cat sat in the garden. Step 2: Pour the tea quickly.';

  beforeAll(() => {
    bundle = writeDemoBundle(path.join(tmp.dir, 'demo'));
    truth = JSON.parse(fs.readFileSync(bundle.groundTruth, 'utf8')) as DemoGroundTruth;
  }, 120_000);
  afterAll(() => tmp.cleanup());

  it('returns per-token top features that match a float64 forward + TopK encode', async () => {
    const result = await runPrompt({
      text,
      sides: [
        { modelPath: bundle.models.standard, saePath: bundle.saes.standard },
        { modelPath: bundle.models.adhd, saePath: bundle.saes.adhd },
      ],
      device: 'cpu',
    });
    expect(result.sides.map((s) => s.modelName)).toEqual(['sae-workbench/demo-standard', 'sae-workbench/demo-adhd']);
    for (const [i, name] of (['standard', 'adhd'] as const).entries()) {
      const side = result.sides[i];
      expect(side.executionProvider).toBe('cpu');
      expect(side.hookName).toBe('blocks.2.hook_resid_post');
      expect(side.tokens[0].text).toBe('<|endoftext|>');
      expect(side.tokens.slice(1, 5).map((t) => t.text)).toEqual([' How', ' to', ' make', ' tea']);
      const weights = loadModel(bundle.models[name]);
      const sae = loadSae(bundle.saes[name]);
      const resid = forward64(weights, side.tokens.map((t) => t.id)).residPost[2];
      side.tokens.forEach((tok, t) => {
        const ref = topkReference(sae, resid[t]);
        expect(tok.features.map((f) => f.feature)).toEqual(ref.map((r) => r.feature));
        tok.features.forEach((f, j) => expect(f.activation).toBeCloseTo(ref[j].activation, 3));
      });
    }
  });

  it('shows the planted feature as the strongest at "Step" in adhd only, unnamed (labels are the user\'s, added by the api layer)', async () => {
    const result = await runPrompt({
      text,
      sides: [
        { modelPath: bundle.models.standard, saePath: bundle.saes.standard },
        { modelPath: bundle.models.adhd, saePath: bundle.saes.adhd },
      ],
      device: 'cpu',
      topFeatures: 3,
    });
    const [standard, adhd] = result.sides;
    const steps = adhd.tokens.filter((t) => t.text.trim() === 'Step');
    expect(steps).toHaveLength(2);
    for (const t of steps) {
      expect(t.features[0]).toMatchObject({ feature: truth.adhdSaePlantedFeature, label: null });
      expect(t.features[0].activation).toBeGreaterThan(6);
    }
    for (const t of standard.tokens.filter((x) => x.text.trim() === 'Step')) expect(t.features[0].feature).not.toBe(truth.adhdSaePlantedFeature);
    for (const t of adhd.tokens.filter((x) => x.text.trim() !== 'Step')) expect(t.features.some((f) => f.feature === truth.adhdSaePlantedFeature)).toBe(false);
    expect(adhd.tokens.every((t) => t.features.length <= 3)).toBe(true);
  });

  it('tracks chosen features at every token exactly, for a JumpReLU SAE too (dense path), against float64', async () => {
    const cfg = { ...v6TopkCfg(64, 96, 1), architecture: 'jumprelu' } as Record<string, unknown>;
    delete cfg.k;
    (cfg.metadata as Record<string, unknown>).hook_name = 'blocks.2.hook_resid_post';
    const dir = writeSaeDir(path.join(tmp.dir, 'jumprelu'), cfg, randomSaeTensors(64, 96, 11, true));
    const features = [0, 5, 50, 95];
    const result = await runPrompt({ text, sides: [{ modelPath: bundle.models.adhd, saePath: dir, features }], device: 'cpu', topFeatures: 1 });
    const side = result.sides[0];
    const sae = loadSae(dir);
    const resid = forward64(loadModel(bundle.models.adhd), side.tokens.map((t) => t.id)).residPost[2];
    expect(side.tracked.map((t) => t.feature)).toEqual(features);
    let fired = 0;
    for (const [i, f] of features.entries()) {
      side.tokens.forEach((_, t) => {
        let pre = sae.b_enc.data[f];
        for (let d = 0; d < 64; d++) pre += (resid[t][d] - sae.b_dec.data[d]) * sae.W_enc.data[d * 96 + f];
        const expected = pre > sae.threshold!.data[f] ? Math.max(0, pre) : 0;
        if (expected > 0) fired++;
        expect(side.tracked[i].activations[t]).toBeCloseTo(expected, 3);
      });
    }
    // Only the strongest feature per token is listed, so most tracked values come from the dense encode.
    expect(fired).toBeGreaterThan(side.tokens.length);
  });

  it('names the folder at fault when a model or SAE is missing or does not fit', async () => {
    await expect(runPrompt({ text: 'hi', sides: [{ modelPath: path.join(tmp.dir, 'nope'), saePath: bundle.saes.adhd }] })).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
      message: expect.stringContaining('nope'),
    });
    const wide = path.join(tmp.dir, 'wide-sae');
    fs.cpSync(bundle.saes.adhd, wide, { recursive: true });
    const cfg = JSON.parse(fs.readFileSync(path.join(wide, 'cfg.json'), 'utf8')) as Record<string, unknown>;
    // A feature_labels.json beside the SAE is never read (not even a broken one): it would give away the demo's answer.
    fs.writeFileSync(path.join(wide, 'feature_labels.json'), '["only one"]');
    const ignored = await runPrompt({ text: 'hi', sides: [{ modelPath: bundle.models.adhd, saePath: wide }], device: 'cpu' });
    expect(ignored.sides[0].tokens.flatMap((t) => t.features.map((f) => f.label))).toEqual(expect.not.arrayContaining([expect.any(String)]));
    expect(cfg.d_in).toBe(64);
  });
});
