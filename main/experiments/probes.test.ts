import { describe, expect, it } from 'vitest';
import { ProbeParams } from '../../preload/api';
import { referenceForward } from '../engine/reference/modelReference';
import { referenceSae } from '../engine/reference/saeReference';
import { accuracy, auroc } from '../stats/classification';
import { silentContext } from './experimentContext';
import { sigmoid } from './logisticRegression';
import { probeVerdict, runProbes, splitDocuments } from './probes';
import { FIXTURE_HOOK, FIXTURE_WORDS, useExperimentFixture } from './testing/experimentFixture';
import { newtonReference } from './testing/reference';

const fx = useExperimentFixture('probes', { documents: 30 });

describe('probes', () => {
  it('split documents by a seeded shuffle, holding out round(D x fraction), at least one each side', () => {
    const s = splitDocuments(10, 0.2, 3);
    expect(s.test).toHaveLength(2);
    expect([...s.train, ...s.test].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(splitDocuments(10, 0.2, 3)).toEqual(s);
    expect(splitDocuments(10, 0.2, 4)).not.toEqual(s);
    expect(splitDocuments(3, 0.05, 0).test).toHaveLength(1);
    expect(splitDocuments(3, 0.95, 0).train).toHaveLength(1);
    expect(() => splitDocuments(1, 0.2, 0)).toThrow(/at least two documents/);
  });

  it('a hook probe and an SAE-latent probe match the float64 reference fit and scores', async () => {
    const params = ProbeParams.parse({
      dataset: fx().dataset,
      condition: 'token-regex:^(the|cat)$',
      l2: 0.05,
      device: 'cpu',
      probes: [
        { model: fx().model, source: 'hook', hook: FIXTURE_HOOK },
        { model: fx().model, source: 'sae', sae: fx().sae },
      ],
    });
    const a = await runProbes(params, silentContext());
    const docs = fx().documents.map((text) => [1, ...text.split(' ').map((w) => FIXTURE_WORDS.indexOf(w) + 2)]);
    const isTest = new Set(a.testDocuments);
    const label = (t: number) => (t === FIXTURE_WORDS.indexOf('the') + 2 || t === FIXTURE_WORDS.indexOf('cat') + 2 ? 1 : 0);
    // Rows: every position that counts (not a window's first: BOS or a continuation window's first token), from the float64 forward (and SAE), in document order.
    const rows: { doc: number; acts: number[]; latents: number[]; y: number }[] = [];
    docs.forEach((tokens, doc) => {
      for (let start = 0; start < tokens.length; start += 12) {
        const w = tokens.slice(start, start + 12);
        const acts = referenceForward(fx().weights, w).hooks.get(FIXTURE_HOOK)!;
        const lat = referenceSae(fx().saeWeights, acts, w.length).featureActs;
        for (let p = 1; p < w.length; p++) rows.push({ doc, acts: Array.from(acts.subarray(p * 16, (p + 1) * 16)), latents: Array.from(lat.subarray(p * 40, (p + 1) * 40)), y: label(w[p]) });
      }
    });
    const train = rows.filter((r) => !isTest.has(r.doc));
    const test = rows.filter((r) => isTest.has(r.doc));
    const check = (result: (typeof a.probes)[number], pick: (r: (typeof rows)[number]) => number[], dense: boolean) => {
      const d = pick(rows[0]).length;
      const mean = Array.from({ length: d }, (_, j) => (dense ? train.reduce((s, r) => s + pick(r)[j], 0) / train.length : 0));
      const scale = Array.from({ length: d }, (_, j) => {
        const v = train.reduce((s, r) => s + (pick(r)[j] - mean[j]) ** 2, 0) / train.length;
        return v > 0 ? Math.sqrt(v) : 1;
      });
      const z = (r: (typeof rows)[number]) => pick(r).map((v, j) => (v - mean[j]) / scale[j]);
      const theta = newtonReference(train.map(z), train.map((r) => r.y), 0.05);
      const scores = test.map((r) => sigmoid(z(r).reduce((s, v, j) => s + v * theta[j], theta[d])));
      expect(result.trainPositions).toBe(train.length);
      expect(result.testPositions).toBe(test.length);
      expect(result.converged).toBe(true);
      expect(result.accuracy).toBeCloseTo(accuracy(scores, test.map((r) => r.y))!, 10);
      expect(result.auroc).toBeCloseTo(auroc(scores, test.map((r) => r.y))!, 4);
    };
    check(a.probes[0], (r) => r.acts, true);
    // Latents are only scaled (to unit RMS), not centred: the reference scales about 0 the same way.
    check(a.probes[1], (r) => r.latents, false);
    expect(a.probes[0].baseline.majorityClass).toBe(0);
    expect(a.probes[0].verdict).toBe(probeVerdict(a.probes[0].label, a.probes[0]));
  });

  it('names what is wrong with a probe before running', async () => {
    const base = { dataset: fx().dataset, condition: 'token-regex:^the$', device: 'cpu' as const };
    await expect(runProbes(ProbeParams.parse({ ...base, probes: [{ model: fx().model, source: 'hook' }] }), silentContext())).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await expect(runProbes(ProbeParams.parse({ ...base, probes: [{ model: fx().model, source: 'hook', hook: 'blocks.9.hook_resid_post' }] }), silentContext())).rejects.toMatchObject({ code: 'EXPERIMENT_HOOK' });
  });
});
