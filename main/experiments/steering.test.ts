import { describe, expect, it } from 'vitest';
import { SteerParams } from '../../preload/api';
import type { TransformerWeights } from '../formats/transformer';
import { referenceForward } from '../engine/reference/modelReference';
import { referenceSae, referenceSaeDecode } from '../engine/reference/saeReference';
import { silentContext } from './experimentContext';
import { sampleToken } from './generation';
import { runSteering } from './steering';
import { FIXTURE_HOOK, FIXTURE_WORDS, useExperimentFixture } from './testing/experimentFixture';
import { referenceMetric, type ReferenceDoc } from './testing/reference';

const fx = useExperimentFixture('steering');

const id = (w: string) => FIXTURE_WORDS.indexOf(w) + 2;
const ids = (text: string) => [1, ...text.split(' ').map(id)];
const isCond = (t: number) => t === id('the');

describe('steering', () => {
  it('add, replace and ablate panels (one carried to another model) match the float64 reference at each sweep point', async () => {
    const feature = 13;
    const params = SteerParams.parse({
      dataset: fx().dataset,
      maxDocuments: 8,
      metric: 'logit:water',
      condition: 'token-regex:^the$',
      steerAt: 'condition',
      seeds: 2,
      drawsPerSeed: 1,
      device: 'cpu',
      panels: [
        { model: fx().model, sae: fx().sae, feature, intervention: 'add', strengths: [0, 2.5] },
        { model: fx().modelB, sae: fx().sae, saeModel: fx().model, feature, intervention: 'add', strengths: [1.5] },
        { model: fx().model, sae: fx().sae, feature, intervention: 'replace' },
        { model: fx().model, sae: fx().sae, feature, intervention: 'ablate' },
      ],
    });
    const a = await runSteering(params, silentContext());
    const docs: ReferenceDoc[] = fx().documents.slice(0, 8).map((text) => {
      const tokens = ids(text);
      return { tokens, scored: tokens.map((t, p) => p > 0 && isCond(t)) };
    });
    const d = 16;
    const v = Array.from(fx().saeWeights.W_dec.data.subarray(feature * d, (feature + 1) * d));
    const norm = Math.sqrt(v.reduce((s, e) => s + e * e, 0));
    const rowsOf = (start: number, len: number, tokens: number[]) => Array.from({ length: len }, (_, r) => start + r > 0 && isCond(tokens[start + r]));
    const docOf = new Map(docs.map((doc) => [doc, doc.tokens]));
    // Edits see the window's rows; the scored flags of the document tell where the condition holds.
    const withDoc = (doc: ReferenceDoc, f: (acts: Float64Array, rows: boolean[]) => Float64Array) => (acts: Float64Array, len: number, start: number) => f(acts, rowsOf(start, len, docOf.get(doc)!));
    const metricWith = (weights: TransformerWeights, f?: (acts: Float64Array, rows: boolean[]) => Float64Array) => {
      let sum = 0;
      let count = 0;
      for (const doc of docs) {
        const m = referenceMetric(weights, [doc], FIXTURE_HOOK, 12, { kind: 'logit', token: id('water') }, f ? withDoc(doc, f) : undefined);
        const n = doc.scored.filter(Boolean).length;
        if (n === 0) continue;
        sum += m * n;
        count += n;
      }
      return sum / count;
    };
    const add = (c: number) => (acts: Float64Array, rows: boolean[]) => acts.map((x, i) => (rows[Math.floor(i / d)] ? x + c * v[i % d] : x));
    const replace = (c: number) => (acts: Float64Array, rows: boolean[]) => {
      const out = Float64Array.from(acts);
      rows.forEach((on, r) => {
        if (!on) return;
        const dot = v.reduce((s, e, i) => s + (acts[r * d + i] * e) / norm, 0);
        for (let i = 0; i < d; i++) out[r * d + i] += ((c - dot) * v[i]) / norm;
      });
      return out;
    };
    const ablate = (acts: Float64Array, rows: boolean[]) => {
      const len = rows.length;
      const ref = referenceSae(fx().saeWeights, acts, len);
      const edited = Float64Array.from(ref.featureActs);
      rows.forEach((on, r) => on && (edited[r * 40 + feature] = 0));
      const after = referenceSaeDecode(fx().saeWeights, edited, acts, len);
      return acts.map((x, i) => x + after[i] - ref.saeOut[i]);
    };
    const clean = metricWith(fx().weights);
    const [p0, p1, p2, p3] = a.panels;
    expect(p0.clean).toBeCloseTo(clean, 4);
    expect(p0.points.map((p) => p.strength)).toEqual([0, 2.5]);
    expect(p0.points[0].steered).toBeCloseTo(clean, 5);
    expect(p0.points[1].steered).toBeCloseTo(metricWith(fx().weights, add(2.5)), 4);
    expect(p1).toMatchObject({ carried: true, model: fx().model.replace('/model', '/modelB') });
    expect(p1.clean).toBeCloseTo(metricWith(fx().weightsB), 4);
    expect(p1.points[0].steered).toBeCloseTo(metricWith(fx().weightsB, add(1.5)), 4);
    expect(p2.points[0].strength).toBe(0);
    expect(p2.points[0].steered).toBeCloseTo(metricWith(fx().weights, replace(0)), 4);
    expect(p3.points[0].steered).toBeCloseTo(metricWith(fx().weights, ablate), 4);
    // Nulls: the same intervention on random features; each draw's effect recomputed by reference.
    const g = p0.points[1].null!.draws[0].features[0][0];
    const vg = Array.from(fx().saeWeights.W_dec.data.subarray(g * d, (g + 1) * d));
    const addG = (acts: Float64Array, rows: boolean[]) => acts.map((x, i) => (rows[Math.floor(i / d)] ? x + 2.5 * vg[i % d] : x));
    expect(p0.points[1].null!.draws[0].effects[0]).toBeCloseTo(metricWith(fx().weights, addG) - clean, 4);
    // The default strength of add is the feature's max activation.
    const dflt = await runSteering(SteerParams.parse({ ...params, panels: [{ model: fx().model, sae: fx().sae, feature, intervention: 'add' }] }), silentContext());
    expect(dflt.panels[0].points[0].strength).toBe(dflt.panels[0].featureMax);
    expect(dflt.panels[0].featureMax).toBeGreaterThan(0);
  });

  it('generates the same text without an intervention as greedy float64 decoding, and a different one with it', async () => {
    const params = SteerParams.parse({
      dataset: fx().dataset,
      maxDocuments: 2,
      seeds: 2,
      drawsPerSeed: 1,
      device: 'cpu',
      prompt: 'the cat sat',
      temperature: 0,
      maxNewTokens: 6,
      panels: [{ model: fx().model, sae: fx().sae, feature: 13, intervention: 'add', strengths: [40] }],
    });
    const gen = (await runSteering(params, silentContext())).panels[0].generation!;
    const tokens = ids('the cat sat');
    for (let i = 0; i < 6; i++) {
      const logits = referenceForward(fx().weights, tokens.slice(-12)).logits;
      const row = logits.subarray((Math.min(tokens.length, 12) - 1) * 22, Math.min(tokens.length, 12) * 22);
      const next = row.indexOf(Math.max(...row));
      tokens.push(next);
      if (next === 1) break;
    }
    const words = ['[UNK]', '<bos>', ...FIXTURE_WORDS];
    expect(gen.clean.split(' ')).toEqual(tokens.slice(4).map((t) => words[t]));
    expect(gen.steered).not.toBe(gen.clean);
  });

  it('samples by inverse CDF of softmax(logits / T); T = 0 is argmax', () => {
    // softmax([0, ln 3]) = [0.25, 0.75]
    expect(sampleToken([0, Math.log(3)], 1, 0.2)).toBe(0);
    expect(sampleToken([0, Math.log(3)], 1, 0.3)).toBe(1);
    // T = 0.5 sharpens: weights 1 and 9 -> P(0) = 0.1.
    expect(sampleToken([0, Math.log(3)], 0.5, 0.09)).toBe(0);
    expect(sampleToken([0, Math.log(3)], 0.5, 0.11)).toBe(1);
    expect(sampleToken([5, 1, 7], 0, 0.99)).toBe(2);
  });
});
