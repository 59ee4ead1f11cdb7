import { describe, expect, it } from 'vitest';
import { AblateParams, formatPValue, type AblateArtifact } from '../../preload/api';
import { referenceSae, referenceSaeDecode } from '../engine/reference/saeReference';
import { mean, sampleSd, sem } from '../stats/descriptive';
import { makeTempDir } from '../testing/tempDirs';
import { runAblation } from './ablation';
import { silentContext, type ExperimentContext } from './experimentContext';
import { FIXTURE_HOOK, FIXTURE_WORDS, useExperimentFixture } from './testing/experimentFixture';
import { referenceMetric, type ReferenceDoc } from './testing/reference';

const fx = useExperimentFixture('ablation');

const ids = (text: string) => [1, ...text.split(' ').map((w) => FIXTURE_WORDS.indexOf(w) + 2)];

/** x' = x + x_hat(edited) - x_hat(orig): the chosen features set to `value` on every row that counts (all but each window's first: BOS or a continuation window's first token). */
function referenceAblation(features: number[], value: (f: number) => number) {
  const sae = fx().saeWeights;
  const dSae = sae.config.dSae;
  return (acts: Float64Array, len: number) => {
    const ref = referenceSae(sae, acts, len);
    const edited = Float64Array.from(ref.featureActs);
    for (let r = 1; r < len; r++) for (const f of features) edited[r * dSae + f] = value(f);
    const after = referenceSaeDecode(sae, edited, acts, len);
    return acts.map((v, i) => v + after[i] - ref.saeOut[i]);
  };
}

function checkRecomputable(a: AblateArtifact) {
  const n = a.result.null!;
  n.draws.forEach((d, s) => expect(n.seeds[s]).toBeCloseTo(mean(d.effects)!, 12));
  expect(n.mean).toBeCloseTo(mean(n.seeds)!, 12);
  expect(n.sd).toBeCloseTo(sampleSd(n.seeds)!, 12);
  expect(n.sem).toBeCloseTo(sem(n.seeds)!, 12);
  if (n.sd === 0) expect(a.result.z).toBe(a.result.effect === n.mean ? 0 : null);
  else expect(a.result.z).toBeCloseTo((a.result.effect - n.mean!) / n.sd!, 6);
  expect(a.result.effect).toBeCloseTo(a.ablated - a.clean, 12);
  expect(n.drawsBelow + n.drawsEqual + n.drawsAbove).toBe(a.params.seeds * a.params.drawsPerSeed);
  // The p-value and the margin test from the recorded draws alone, as a script would.
  const all = n.draws.flatMap((d) => d.effects);
  const m = all.reduce((s, v) => s + v, 0) / all.length;
  expect(n.drawMean).toBe(m);
  const asFar = all.filter((v) => Math.abs(v - m) >= Math.abs(a.result.effect - m)).length;
  expect(a.result.pValue).toBe((1 + asFar) / (all.length + 1));
  expect(a.result.margin).toBe(a.params.margin ?? null);
  expect(a.result.withinMargin).toBe(a.params.margin === undefined ? null : Math.abs(a.result.effect - m) <= a.params.margin);
  // The resolution is relative to the metric's scale, mean |value| >= |mean value|.
  expect(a.result.scale).toBeGreaterThanOrEqual(Math.abs(a.clean) - 1e-12);
  expect(a.result.resolution).toBe(1e-5 * a.result.scale);
  expect(a.result.verdict).toContain(`p = ${formatPValue(a.result.pValue)}`);
}

describe('ablation', () => {
  it('matches the float64 reference for the clean, ablated and every null run (logit at condition positions, windows included)', async () => {
    const params = AblateParams.parse({ model: fx().model, sae: fx().sae, features: [4, 22], dataset: fx().dataset, metric: 'logit:quickly', condition: 'token-regex:^(the|cat)$', seeds: 2, drawsPerSeed: 2, device: 'cpu' });
    const a = await runAblation(params, silentContext());
    expect(a.slice).toMatchObject({ documents: 12, contextSize: 12, prependBos: true });
    expect(a.slice.windows).toBeGreaterThan(12);
    const docs: ReferenceDoc[] = fx().documents.map((text) => {
      const tokens = ids(text);
      // Windows of 12: positions 0, 12, 24... do not count (BOS, then continuation windows' first tokens).
      return { tokens, scored: tokens.map((t, p) => p % 12 !== 0 && (t === FIXTURE_WORDS.indexOf('the') + 2 || t === FIXTURE_WORDS.indexOf('cat') + 2)) };
    });
    expect(a.metric.positions).toBe(docs.reduce((n, d) => n + d.scored.filter(Boolean).length, 0));
    const quickly = FIXTURE_WORDS.indexOf('quickly') + 2;
    const ref = (edit?: ReturnType<typeof referenceAblation>) => referenceMetric(fx().weights, docs, FIXTURE_HOOK, 12, { kind: 'logit', token: quickly }, edit);
    const clean = ref();
    expect(a.clean).toBeCloseTo(clean, 4);
    expect(a.ablated).toBeCloseTo(ref(referenceAblation([4, 22], () => 0)), 4);
    expect(Math.abs(a.ablated - a.clean)).toBeGreaterThan(1e-3);
    for (const d of a.result.null!.draws) {
      d.features.forEach((set, k) => {
        expect(set).toHaveLength(2);
        expect(d.effects[k]).toBeCloseTo(ref(referenceAblation(set, () => 0)) - clean, 4);
      });
    }
    checkRecomputable(a);
    expect(a.inputs.map((i) => i.role)).toEqual(['model', 'sae', 'dataset']);
    expect(a.inputs[2].files[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(a.inputs[0].files.map((f) => f.file.split('/').pop())).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    expect(a.densities).toMatchObject({ source: 'pass', tokens: a.slice.tokens - a.slice.windows });
  });

  it('mean-ablates to each feature\'s mean over the measured tokens; CE counts every predicted position', async () => {
    const params = AblateParams.parse({ model: fx().model, sae: fx().sae, features: [4], dataset: fx().dataset, mode: 'mean', metric: 'ce', seeds: 3, drawsPerSeed: 2, maxDocuments: 6, device: 'cpu', margin: 0.01 });
    const a = await runAblation(params, silentContext());
    const docs: ReferenceDoc[] = fx().documents.slice(0, 6).map((text) => {
      const tokens = ids(text);
      return { tokens, scored: tokens.map((_, p) => p % 12 !== 0 && p < tokens.length - 1) };
    });
    expect(a.metric.positions).toBe(docs.reduce((n, d) => n + d.scored.filter(Boolean).length, 0));
    // The mean of feature 4 over every token that counts (not a window's first), from the float64 SAE on the clean activations.
    let total = 0;
    let n = 0;
    for (const d of docs) {
      for (let start = 0; start < d.tokens.length; start += 12) {
        const w = d.tokens.slice(start, start + 12);
        const acts = (await import('../engine/reference/modelReference')).referenceForward(fx().weights, w).hooks.get(FIXTURE_HOOK)!;
        const f = referenceSae(fx().saeWeights, acts, w.length).featureActs;
        for (let r = 1; r < w.length; r++) {
          total += f[r * 40 + 4];
          n++;
        }
      }
    }
    expect(a.meanValues![0]).toBeCloseTo(total / n, 4);
    expect(a.clean).toBeCloseTo(referenceMetric(fx().weights, docs, FIXTURE_HOOK, 12, { kind: 'ce' }), 4);
    expect(a.ablated).toBeCloseTo(referenceMetric(fx().weights, docs, FIXTURE_HOOK, 12, { kind: 'ce' }, referenceAblation([4], () => total / n)), 4);
    // Cross-entropy is never negative: its scale is its mean.
    expect(a.result.scale).toBeCloseTo(a.clean, 12);
    expect(a.result.verdict).toMatch(/; (within|outside) the ±0\.0100 equivalence margin/);
    checkRecomputable(a);
  });

  it('the same null seed draws the same sets; a resumed run equals an unbroken one', async () => {
    const params = AblateParams.parse({ model: fx().model, sae: fx().sae, features: [10], dataset: fx().dataset, metric: 'logit:quickly', seeds: 3, drawsPerSeed: 2, device: 'cpu', contextSize: 2 });
    const whole = await runAblation(params, silentContext());
    expect(whole.slice.windows).toBeGreaterThan(64);
    // Stop after the first group's checkpoint, then resume from it.
    let saved: unknown = null;
    let stopAfterSave = true;
    const stopping: ExperimentContext = {
      ...silentContext(),
      checkpointIntervalMs: 0,
      throwIfStopped() {
        if ((saved as { partial?: { runs?: unknown } } | null)?.partial?.runs && stopAfterSave) throw new Error('stopped');
      },
      async saveCheckpoint(state) {
        saved = JSON.parse(JSON.stringify(state));
      },
    };
    await expect(runAblation(params, stopping)).rejects.toThrow('stopped');
    expect((saved as { partial: { runs: { nextGroup: number } } }).partial.runs.nextGroup).toBe(1);
    stopAfterSave = false;
    const resumed = await runAblation(params, { ...silentContext(), checkpoint: saved });
    expect(resumed.result.null!.draws.map((d) => d.features)).toEqual(whole.result.null!.draws.map((d) => d.features));
    expect(resumed.clean).toBeCloseTo(whole.clean, 10);
    expect(resumed.ablated).toBeCloseTo(whole.ablated, 10);
    expect(resumed.result.null!.seeds).toEqual(whole.result.null!.seeds.map((v) => expect.closeTo(v, 10)));
    // The sum of |value| rides in the checkpoint too (logits take both signs, so |mean| would differ).
    expect(Math.abs(whole.clean)).toBeLessThan(whole.result.scale * 0.999);
    expect(resumed.result.scale).toBeCloseTo(whole.result.scale, 10);
    const other = await runAblation({ ...params, nullSeed: 1 }, silentContext());
    expect(other.result.null!.draws.map((d) => d.features)).not.toEqual(whole.result.null!.draws.map((d) => d.features));
  });

  it('refuses bad input before running: unknown features, tokens and conditions that match nothing', async () => {
    const base = { model: fx().model, sae: fx().sae, dataset: fx().dataset, device: 'cpu' as const };
    await expect(runAblation(AblateParams.parse({ ...base, features: [40] }), silentContext())).rejects.toMatchObject({ code: 'SAE_FEATURE_OUT_OF_RANGE' });
    await expect(runAblation(AblateParams.parse({ ...base, features: [1], metric: 'logit:zebra' }), silentContext())).rejects.toMatchObject({ code: 'METRIC_TOKEN' });
    await expect(runAblation(AblateParams.parse({ ...base, features: [1], metric: 'logits:the' }), silentContext())).rejects.toMatchObject({ code: 'METRIC_INVALID' });
    await expect(runAblation(AblateParams.parse({ ...base, features: [1], condition: 'token-regex:^zebra$' }), silentContext())).rejects.toMatchObject({ code: 'EXPERIMENT_NO_POSITIONS' });
    await expect(runAblation(AblateParams.parse({ ...base, features: [1, 1] }), silentContext())).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
  });
});

describe('densities from the feature index', () => {
  it('come from a ready index of the SAE on this model and dataset, equal to one pass over the same documents', async () => {
    const t = makeTempDir('ablation-index');
    try {
      const { runCliCaptured } = await import('../testing/cliRun');
      const built = await runCliCaptured(['index', '--model', fx().model, '--sae', fx().sae, '--dataset', fx().dataset, '--device', 'cpu', '--home', t.dir]);
      expect(built.code).toBe(0);
      const indexId = JSON.parse(built.out.trim().split('\n').at(-1)!).index_ids[0];
      const params = AblateParams.parse({ model: fx().model, sae: fx().sae, features: [4], dataset: fx().dataset, seeds: 2, drawsPerSeed: 2, device: 'cpu' });
      const viaIndex = await runAblation(params, { ...silentContext(), home: t.dir });
      const viaPass = await runAblation(params, silentContext());
      expect(viaIndex.densities).toMatchObject({ source: 'index', indexId });
      expect(viaPass.densities).toMatchObject({ source: 'pass', indexId: null });
      expect(viaIndex.densities.tokens).toBe(viaPass.densities.tokens);
      expect(viaIndex.densities.featureDeciles).toEqual(viaPass.densities.featureDeciles);
      expect(viaIndex.result.null!.draws.map((d) => d.features)).toEqual(viaPass.result.null!.draws.map((d) => d.features));
      // Another model's run on the same SAE and dataset does not take this index.
      const other = await runAblation({ ...params, model: fx().modelB }, { ...silentContext(), home: t.dir });
      expect(other.densities.source).toBe('pass');
    } finally {
      t.cleanup();
    }
  });
});

describe('saved conditions', () => {
  it('named:<name> resolves against the data directory and the artifact records the expanded spec', async () => {
    const t = makeTempDir('ablation-named');
    try {
      const { openDatabase } = await import('../db/connection');
      const { SavedConditions } = await import('../conditions/savedConditions');
      const db = openDatabase(t.dir);
      new SavedConditions(db).save({ name: 'the-words', spec: 'token-regex:^the$', description: 'the token "the"' });
      db.close();
      const params = AblateParams.parse({ model: fx().model, sae: fx().sae, features: [4], dataset: fx().dataset, metric: 'logit:quickly', condition: 'named:the-words', seeds: 2, drawsPerSeed: 1, device: 'cpu' });
      const named = await runAblation(params, { ...silentContext(), home: t.dir });
      const spelled = await runAblation({ ...params, condition: 'token-regex:^the$' }, silentContext());
      expect(named.metric.condition).toBe('token-regex:^the$');
      expect(named.clean).toBe(spelled.clean);
      expect(named.metric.positions).toBe(spelled.metric.positions);
      await expect(runAblation(params, silentContext())).rejects.toMatchObject({ code: 'CONDITION_UNKNOWN' });
    } finally {
      t.cleanup();
    }
  });
});
