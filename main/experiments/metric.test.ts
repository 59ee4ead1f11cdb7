import { describe, expect, it } from 'vitest';
import { conditionMasks, loadDocumentSlice, sliceContextSize } from './documentSlice';
import { loadExperimentModel } from './experimentInputs';
import { accumulatorScale, logSumExp, metricValue, parseMetric, scoredPositions } from './metric';
import { FIXTURE_WORDS, useExperimentFixture } from './testing/experimentFixture';

const fx = useExperimentFixture('metric');

describe('metrics', () => {
  it('parse specs and resolve tokens by text or #id', () => {
    const tok = loadExperimentModel(fx().model).tokenizer;
    const quickly = FIXTURE_WORDS.indexOf('quickly') + 2;
    expect(parseMetric('ce', tok, 22)).toMatchObject({ kind: 'ce', tokenIds: [] });
    expect(parseMetric('logit:quickly', tok, 22)).toMatchObject({ kind: 'logit', tokenIds: [quickly], label: 'logit of "quickly"' });
    expect(parseMetric('prob:#5', tok, 22)).toMatchObject({ kind: 'prob', tokenIds: [5] });
    expect(parseMetric('logit-diff:quickly,slowly', tok, 22)).toMatchObject({ kind: 'logit-diff', tokenIds: [quickly, FIXTURE_WORDS.indexOf('slowly') + 2] });
    expect(() => parseMetric('logit:#22', tok, 22)).toThrow(/outside the vocabulary/);
    expect(() => parseMetric('logit:zebra', tok, 22)).toThrow(/does not know it/);
    expect(() => parseMetric('logit:the cat', tok, 22)).toThrow(/makes 2 tokens/);
    expect(() => parseMetric('logit-diff:the', tok, 22)).toThrow(/two tokens/);
    expect(() => parseMetric('kl', tok, 22)).toThrow(/is not a metric/);
  });

  it('take values from a logits row as defined (hand-computed)', () => {
    const row = [0, Math.log(3), 1];
    // logsumexp = ln(1 + 3 + e)
    const lse = Math.log(4 + Math.E);
    expect(logSumExp(row)).toBeCloseTo(lse, 12);
    const m = (spec: string, ids: number[]) => ({ spec, kind: spec.split(':')[0] as 'logit', tokenIds: ids, label: '' });
    expect(metricValue(m('logit', [2]), row)).toBe(1);
    expect(metricValue({ ...m('prob', [1]), kind: 'prob' }, row)).toBeCloseTo(3 / (4 + Math.E), 12);
    expect(metricValue({ ...m('logprob', [1]), kind: 'logprob' }, row)).toBeCloseTo(Math.log(3) - lse, 12);
    expect(metricValue({ ...m('logit-diff', [1, 2]), kind: 'logit-diff' }, row)).toBeCloseTo(Math.log(3) - 1, 12);
  });

  it('cut documents into windows whose targets cross window edges, and score non-BOS (and, for CE, predicting) positions', async () => {
    const model = loadExperimentModel(fx().model);
    const slice = await loadDocumentSlice(model.tokenizer, { dataset: fx().dataset, maxDocuments: 3, contextSize: 5, nCtx: 12, prependBos: true });
    const doc = slice.documents[0];
    expect(doc.tokens[0]).toBe(1);
    const windows = slice.windows.filter((w) => w.doc === 0);
    expect(windows.map((w) => w.start)).toEqual(Array.from({ length: Math.ceil(doc.tokens.length / 5) }, (_, i) => i * 5));
    expect(windows[0].targets[4]).toBe(doc.tokens[5]);
    expect(windows.at(-1)!.targets.at(-1)).toBe(-1);
    const { masks } = conditionMasks(slice.documents, model.tokenizer, null);
    const ce = scoredPositions({ spec: 'ce', kind: 'ce', tokenIds: [], label: '' }, slice.windows, masks);
    const logit = scoredPositions({ spec: 'logit:#2', kind: 'logit', tokenIds: [2], label: '' }, slice.windows, masks);
    const total = (s: Int32Array[]) => s.reduce((a, x) => a + x.length, 0);
    const tokens = slice.documents.reduce((a, d) => a + d.tokens.length, 0);
    expect(total(logit)).toBe(tokens - 3);
    expect(total(ce)).toBe(tokens - 6);
    expect(sliceContextSize({ contextSize: null, saeContextSize: 64, nCtx: 12 })).toBe(12);
    expect(sliceContextSize({ contextSize: null, saeContextSize: null, nCtx: 1024 })).toBe(128);
  });

  it("the scale of a verdict's resolution is the mean |value|; a checkpoint without that sum falls back to |mean|", () => {
    expect(accumulatorScale({ sum: -1, count: 4, absSum: 3 })).toBe(0.75);
    expect(accumulatorScale({ sum: -1, count: 4, absSum: NaN })).toBe(0.25);
    expect(accumulatorScale({ sum: 0, count: 0, absSum: 0 })).toBeNaN();
  });
});
