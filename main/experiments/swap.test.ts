import { beforeAll, describe, expect, it } from 'vitest';
import { SwapParams } from '../../preload/api';
import { referenceForward } from '../engine/reference/modelReference';
import { referenceSae, referenceSaeDecode } from '../engine/reference/saeReference';
import { silentContext } from './experimentContext';
import { runSwap } from './swap';
import { FIXTURE_HOOK, FIXTURE_WORDS, useExperimentFixture, type ExperimentFixture } from './testing/experimentFixture';
import { referenceMetric, type ReferenceDoc } from './testing/reference';

const fixture = useExperimentFixture('swap');
let fx: ExperimentFixture;
let docs: ReferenceDoc[];
beforeAll(() => {
  fx = fixture();
  docs = fx.documents.slice(0, 6).map((text) => {
    const tokens = [1, ...text.split(' ').map((w) => FIXTURE_WORDS.indexOf(w) + 2)];
    // Windows of 12: positions 0, 12, ... do not count (BOS, then continuation windows' first tokens).
    return { tokens, scored: tokens.map((_, p) => p % 12 !== 0 && p < tokens.length - 1) };
  });
});

describe('swap', () => {
  it("layers: A's activations continue through B's later layers, against both models", async () => {
    const a = await runSwap(SwapParams.parse({ modelA: fx.model, modelB: fx.modelB, hook: FIXTURE_HOOK, dataset: fx.dataset, maxDocuments: 6, metric: 'ce', device: 'cpu' }), silentContext());
    expect(a.a).toBeCloseTo(referenceMetric(fx.weights, docs, FIXTURE_HOOK, 12, { kind: 'ce' }), 4);
    expect(a.b).toBeCloseTo(referenceMetric(fx.weightsB, docs, FIXTURE_HOOK, 12, { kind: 'ce' }), 4);
    // B from A's hook: the reference runs B's later layers on A's activations.
    let sum = 0;
    let count = 0;
    for (const doc of docs) {
      for (let start = 0; start < doc.tokens.length; start += 12) {
        const w = doc.tokens.slice(start, start + 12);
        const acts = referenceForward(fx.weights, w).hooks.get(FIXTURE_HOOK)!;
        const logits = referenceForward(fx.weightsB, [], { hook: FIXTURE_HOOK, activation: acts }).logits;
        w.forEach((_, p) => {
          if (!doc.scored[start + p]) return;
          const row = logits.subarray(p * 22, (p + 1) * 22);
          const max = Math.max(...row);
          sum += max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0)) - row[doc.tokens[start + p + 1]];
          count++;
        });
      }
    }
    expect(a.swapped).toBeCloseTo(sum / count, 4);
    expect(a.gapFraction).toBeCloseTo((a.swapped - a.a) / (a.b - a.a), 10);
    expect(a.result.null).toBeNull();
    expect(a.result.verdict).toContain('of the way from');
    await expect(runSwap(SwapParams.parse({ modelA: fx.model, modelB: fx.modelB, hook: 'blocks.1.hook_mlp_out', dataset: fx.dataset, device: 'cpu' }), silentContext())).rejects.toMatchObject({ code: 'EXPERIMENT_SWAP_HOOK' });
  });

  it("latents: B's SAE latents of B's activations spliced into A, with a density-matched null", async () => {
    const features = [4, 22];
    const a = await runSwap(SwapParams.parse({ modelA: fx.model, modelB: fx.modelB, mode: 'latents', sae: fx.sae, features, dataset: fx.dataset, maxDocuments: 6, metric: 'ce', seeds: 2, drawsPerSeed: 1, device: 'cpu' }), silentContext());
    const swapEdit = (set: number[]) => (doc: ReferenceDoc) => (actsA: Float64Array, len: number, start: number) => {
      const actsB = referenceForward(fx.weightsB, doc.tokens.slice(start, start + len)).hooks.get(FIXTURE_HOOK)!;
      const ra = referenceSae(fx.saeWeights, actsA, len);
      const rb = referenceSae(fx.saeWeights, actsB, len);
      const edited = Float64Array.from(ra.featureActs);
      for (let r = 1; r < len; r++) for (const f of set) edited[r * 40 + f] = rb.featureActs[r * 40 + f];
      const after = referenceSaeDecode(fx.saeWeights, edited, actsA, len);
      return actsA.map((x, i) => x + after[i] - ra.saeOut[i]);
    };
    const metric = (edit: ReturnType<typeof swapEdit>) => {
      let sum = 0;
      let n = 0;
      for (const doc of docs) {
        const k = doc.scored.filter(Boolean).length;
        sum += referenceMetric(fx.weights, [doc], FIXTURE_HOOK, 12, { kind: 'ce' }, edit(doc)) * k;
        n += k;
      }
      return sum / n;
    };
    expect(a.swapped).toBeCloseTo(metric(swapEdit(features)), 4);
    const draw = a.result.null!.draws[1];
    expect(draw.effects[0]).toBeCloseTo(metric(swapEdit(draw.features[0])) - a.a, 4);
    expect(a.densities?.source).toBe('pass');
  });
});
