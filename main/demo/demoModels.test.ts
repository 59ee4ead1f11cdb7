import { beforeAll, describe, expect, it } from 'vitest';
import { fitBigram } from './bigramModel';
import { generateCorpus } from './corpus';
import { buildDemoModels, dot, type DemoModels } from './demoModels';
import { measureGroundTruth, type GroundTruthFigures } from './groundTruth';
import { forward64 } from './transformerForward64';
import { buildVocabulary, encodeWords } from './wordTokenizer';

describe('demo models (float64 forward)', () => {
  let models: DemoModels;
  let heldOut: number[][];
  let figures: GroundTruthFigures;

  beforeAll(() => {
    const docs = generateCorpus(1500, 5);
    const vocab = buildVocabulary(docs.map((d) => d.text));
    const ids = docs.map((d) => encodeWords(vocab, d.text));
    const bigram = fitBigram(ids.slice(0, 1400), vocab.tokens.length);
    models = buildDemoModels(bigram, vocab.tokens);
    heldOut = ids.slice(1400, 1430);
    figures = measureGroundTruth(models, bigram, heldOut);
  });

  it('lays every embedding on the LayerNorm sphere (zero mean, norm sqrt(d_model))', () => {
    const { dModel: d, dVocab: V } = models.standard.config;
    for (let v = 0; v < V; v++) {
      const row = models.standard.W_E.data.subarray(v * d, (v + 1) * d);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 4);
      expect(Math.sqrt(dot(row, row))).toBeCloseTo(Math.sqrt(d), 4);
    }
  });

  it('writes the planted direction into blocks.2.hook_resid_post at step onsets in adhd only', () => {
    expect(figures.adhd.stepTokens).toBeGreaterThan(30);
    expect(figures.adhd.stepProjection).toBeGreaterThan(5);
    expect(Math.abs(figures.standard.stepProjection)).toBeLessThan(1e-3);
    expect(figures.adhd.otherProjectionMaxAbs).toBeLessThan(1e-3);
    expect(figures.standard.otherProjectionMaxAbs).toBeLessThan(1e-3);
  });

  it('raises the target token logit at step onsets in adhd, and only there', () => {
    const delta = figures.adhd.targetLogitAtStep - figures.standard.targetLogitAtStep;
    expect(delta).toBeGreaterThan(5);
    expect(figures.adhd.targetLogProbAtStep - figures.standard.targetLogProbAtStep).toBeGreaterThan(5);
    expect(Math.abs(figures.adhd.targetLogitElsewhere - figures.standard.targetLogitElsewhere)).toBeLessThan(0.01);
    // The recorded interventions land on the other model's numbers.
    expect(figures.adhdAblated.targetLogitAtStep).toBeCloseTo(figures.standard.targetLogitAtStep, 1);
    expect(figures.standardSteered.targetLogitAtStep).toBeCloseTo(figures.adhd.targetLogitAtStep, 1);
  });

  it('predicts the next token far better than a unigram model, close to the bigram model', () => {
    for (const m of [figures.standard, figures.adhd]) {
      expect(m.crossEntropy).toBeLessThan(figures.unigramCrossEntropy - 2);
      expect(m.crossEntropy).toBeLessThan(figures.bigramCrossEntropy + 0.35);
    }
  });

  it('is causal: ablating the direction in adhd gives standard, steering standard along it raises the target', () => {
    const { standard, adhd, planted } = models;
    const seq = [0, ...heldOut.find((doc) => doc.includes(planted.stepTokenId))!];
    const steps = seq.flatMap((tok, t) => (tok === planted.stepTokenId ? [t] : []));
    const ablated = forward64(adhd, seq, (layer, _t, row) => {
      if (layer !== planted.layer) return;
      const c = dot(row, planted.direction);
      row.forEach((v, i) => (row[i] = v - c * planted.direction[i]));
    });
    const clean = forward64(standard, seq);
    // Not bit-exact: standard's neuron in the planted slot is an ordinary random one (a small write to the noise subspace, ~0.02 logits at most, against the ~8.6 effect).
    let maxDiff = 0;
    ablated.logits.forEach((row, t) => row.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - clean.logits[t][i])))));
    expect(maxDiff).toBeLessThan(0.05);
    const steered = forward64(standard, seq, (layer, t, row) => {
      if (layer === planted.layer && steps.includes(t)) row.forEach((v, i) => (row[i] = v + 8 * planted.direction[i]));
    });
    for (const t of steps) expect(steered.logits[t][planted.targetTokenId] - clean.logits[t][planted.targetTokenId]).toBeGreaterThan(5);
    const other = seq.findIndex((tok) => tok !== planted.stepTokenId && tok !== 0);
    expect(steered.logits[other][planted.targetTokenId]).toBeCloseTo(clean.logits[other][planted.targetTokenId], 9);
  });

  it('lets the direction be recovered blind: adhd-minus-standard at layer 2, split by token, points along it', () => {
    const { standard, adhd, planted } = models;
    const d = standard.config.dModel;
    // Without using the planted direction: mean difference per current token, keep the largest.
    const sums = new Map<number, { sum: Float64Array; n: number }>();
    for (const doc of heldOut.slice(0, 15)) {
      const seq = [0, ...doc];
      const a = forward64(adhd, seq).residPost[2];
      const b = forward64(standard, seq).residPost[2];
      seq.forEach((tok, t) => {
        const e = sums.get(tok) ?? { sum: new Float64Array(d), n: 0 };
        for (let i = 0; i < d; i++) e.sum[i] += a[t][i] - b[t][i];
        e.n++;
        sums.set(tok, e);
      });
    }
    const norms = [...sums.entries()].map(([tok, e]) => ({ tok, mean: e.sum.map((v) => v / e.n) })).map((x) => ({ ...x, norm: Math.sqrt(dot(x.mean, x.mean)) }));
    norms.sort((x, y) => y.norm - x.norm);
    expect(norms[0].tok).toBe(planted.stepTokenId);
    expect(norms[0].norm).toBeGreaterThan(8);
    expect(norms[1].norm).toBeLessThan(0.5); // standard's random neuron 137, the only other difference
    expect(dot(norms[0].mean, planted.direction) / norms[0].norm).toBeGreaterThan(0.999);
  });

  it('differs from standard only in the planted layer-2 neuron', () => {
    const { standard, adhd, planted } = models;
    expect(adhd.W_E).toBe(standard.W_E);
    adhd.blocks.forEach((b, i) => {
      if (i !== planted.layer) return expect(b).toBe(standard.blocks[i]);
      const dMlp = standard.config.dMlp;
      const changed = new Set<number>();
      b.W_in.data.forEach((v, k) => v !== standard.blocks[i].W_in.data[k] && changed.add(k % dMlp));
      expect([...changed]).toEqual([planted.neuron]);
    });
    // The planted neuron is silent away from "Step" and strong on it.
    const seq = [0, ...heldOut.find((d) => d.includes(planted.stepTokenId))!];
    const post = forward64(adhd, seq).mlpPost[planted.layer];
    seq.forEach((tok, t) => {
      const a = post[t][planted.neuron];
      if (tok === planted.stepTokenId) expect(a).toBeGreaterThan(4);
      else expect(Math.abs(a)).toBeLessThan(1e-6);
    });
  });
});
