import { afterAll, describe, expect, it } from 'vitest';
import { compileCondition } from '../conditions/tokenCondition';
import { SeededRandom } from '../random/seededRandom';
import { makeTempDir } from '../testing/tempDirs';
import { alignedDocuments, rawStoreBlocks } from './alignedPositions';
import { assignOneToOne } from './assignment';
import { countByCondition, diffRows, diffSentence } from './conditionDiff';
import { embeddingAgreement, matchByActivation } from './featureMatching';
import { writeSparseStore, type DocumentSpec } from './testing/sparseStoreFixture';

const tmp = makeTempDir('compare');
afterAll(() => tmp.cleanup());

/** Dense float64 Pearson, straight from the definition. */
function pearson(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

// Two documents of 1 BOS + 6 tokens. A: features 0..3 (3 never fires); B: features 0..2.
const A: DocumentSpec[] = [
  [[], [[0, 1]], [], [[0, 2], [1, 1]], [], [[0, 1]], [[1, 3]]],
  [[], [], [[1, 2]], [[2, 1]], [[0, 1], [2, 2]], [], []],
];
const B: DocumentSpec[] = [
  [[], [[1, 2]], [[2, 1]], [[1, 4]], [], [[1, 2], [0, 1]], [[0, 5]]],
  [[], [[2, 1]], [[0, 3]], [], [[1, 2]], [], []],
];
/** The same latents as dense [position][feature] rows (BOS dropped), for the references. */
function dense(spec: DocumentSpec[], d: number): number[][] {
  return spec.flatMap((doc) => doc.slice(1).map((latents) => Array.from({ length: d }, (_, f) => latents.find(([g]) => g === f)?.[1] ?? 0)));
}

describe('compare: matching, assignment, condition diff (hand-computed)', () => {
  const a = writeSparseStore(tmp.dir, 'a', 4, A);
  const b = writeSparseStore(tmp.dir, 'b', 3, B);
  const docs = () => alignedDocuments(rawStoreBlocks(a.db, 4), rawStoreBlocks(b.db, 3));

  it('activation matching: best and runner-up by Pearson over shared positions; never-co-firing pairs are no match', () => {
    const m = matchByActivation(docs, 4, 3, true, { budgetBytes: 16 });
    const da = dense(A, 4);
    const db = dense(B, 3);
    expect(m.tokens).toBe(12);
    for (let fb = 0; fb < 3; fb++) {
      const scores = [0, 1, 2, 3]
        .filter((fa) => da.some((row, i) => row[fa] > 0 && db[i][fb] > 0))
        .map((fa) => ({ fa, r: pearson(da.map((r) => r[fa]), db.map((r) => r[fb])) }))
        // Co-firing less than chance (r <= 0) is no counterpart.
        .filter((x) => x.r > 0)
        .sort((x, y) => y.r - x.r);
      if (scores.length === 0) {
        // Co-fires with no A feature (or only below chance): no match.
        expect(m.best[fb]).toBe(-1);
        continue;
      }
      expect(m.best[fb]).toBe(scores[0].fa);
      expect(m.bestScore[fb]).toBeCloseTo(scores[0].r, 6);
      if (scores[1]) expect(m.runnerUpScore[fb]).toBeCloseTo(scores[1].r, 6);
      else expect(m.runnerUp[fb]).toBe(-1);
    }
    // Feature 3 of A never fires: it is nobody's candidate.
    expect(m.candidates.some((c) => c.a === 3)).toBe(false);
    // Bands (budget of 16 bytes forces one A feature per pass) give the same answer as one pass.
    const one = matchByActivation(docs, 4, 3, true);
    expect(Array.from(one.best)).toEqual(Array.from(m.best));
    expect(Array.from(one.bestScore)).toEqual(Array.from(m.bestScore));
  });

  it('cache tiling (small tiles, chunks that end mid-document) gives bit-identical sums to the plain token-by-token loop', () => {
    const rng = new SeededRandom(11);
    const spec = (d: number): DocumentSpec[] =>
      Array.from({ length: 12 }, () => [[], ...Array.from({ length: 25 }, () => {
        const ids = [...new Set(Array.from({ length: rng.int(6) }, () => rng.int(d)))];
        return ids.map((f): [number, number] => [f, Math.fround(0.1 + rng.next() * 3)]);
      })]);
    const sa = writeSparseStore(tmp.dir, 'tiling-a', 40, spec(40));
    const sb = writeSparseStore(tmp.dir, 'tiling-b', 30, spec(30));
    const pairs = () => alignedDocuments(rawStoreBlocks(sa.db, 40), rawStoreBlocks(sb.db, 30));
    const plain = matchByActivation(pairs, 40, 30, true, { tiling: { rows: 40, tokens: 1 } });
    const tiled = matchByActivation(pairs, 40, 30, true, { tiling: { rows: 3, tokens: 7 } });
    const banded = matchByActivation(pairs, 40, 30, true, { tiling: { rows: 2, tokens: 64 }, budgetBytes: 30 * 4 * 9 });
    expect(plain.candidates.length).toBeGreaterThan(100);
    for (const m of [tiled, banded]) {
      expect(Array.from(m.best)).toEqual(Array.from(plain.best));
      expect(Array.from(m.bestScore)).toEqual(Array.from(plain.bestScore));
      expect(Array.from(m.runnerUpScore)).toEqual(Array.from(plain.runnerUpScore));
      expect(m.candidates).toEqual(plain.candidates);
    }
  });

  it('one-to-one assignment maximises the total score, not each best match greedily', () => {
    // Greedy would give B0 -> A0 (0.6) and leave B1 with nothing; the optimum is 0.9 + 0.5.
    const r = assignOneToOne([{ a: 0, b: 0, score: 0.6 }, { a: 1, b: 0, score: 0.5 }, { a: 0, b: 1, score: 0.9 }], 3, 3);
    expect(Array.from(r.partnerOfB)).toEqual([1, 0, -1]);
    expect(r.prunedEdges).toBe(0);
    // Non-positive scores are never pairs.
    expect(Array.from(assignOneToOne([{ a: 0, b: 0, score: -0.2 }], 1, 1).partnerOfB)).toEqual([-1]);
  });

  it('condition diff: rates at condition tokens, elsewhere, mean, the match rate and the asymmetry floor', () => {
    // Tokens: ids 10 + position; the condition selects ids 12 and 13 (positions 2 and 3).
    const tokensOf = () => Int32Array.from({ length: 7 }, (_, p) => 10 + p);
    const vocab = Array.from({ length: 20 }, (_, i) => `t${i}`);
    const counts = countByCondition(docs(), tokensOf, vocab, compileCondition('ids:12,13'), 4, 3, true);
    expect([counts.nCondition, counts.nOther]).toEqual([4, 8]);
    // B1 fires at doc0 pos3 (4.0): 1 of 4 condition tokens; elsewhere doc0 pos1, pos5, doc1 pos4: 3 of 8.
    expect(counts.fireB[1]).toBe(1);
    expect(counts.fireBElsewhere[1]).toBe(3);
    expect(counts.sumB[1]).toBe(4);
    const matches = { best: Int32Array.of(1, 0, -1), bestScore: Float64Array.of(0.8, 0.7, Number.NaN) };
    const { rows, floor } = diffRows(counts, matches, { minRate: 0, threshold: 0.3 });
    expect(floor).toBe(0.25);
    const byFeature = Object.fromEntries(rows.map((r) => [r.feature, r]));
    // B0 fires at doc1 pos2 (condition): rate 1/4; its match A1 fires at doc0 pos3, doc1 pos2: rate 2/4.
    expect(byFeature[0]).toEqual({ feature: 0, rate_b: 0.25, rate_b_elsewhere: 2 / 8, mean_b: 3 / 4, match: 1, match_score: 0.8, rate_a_match: 0.5, asymmetry: 0.5, why: 'less than in A' });
    // B2 fires at doc0 pos2 (condition) and doc1 pos1: no match, so the floor divides.
    expect(byFeature[2]).toMatchObject({ rate_b: 0.25, rate_a_match: null, match: null, asymmetry: 1, why: 'no counterpart' });
    // B1's match A0 fires at 1 of 4 condition tokens: asymmetry 1, tied with B2, which has no counterpart and so ranks first
    // (B1's larger mean, 4 against B2's 1 / 4, and smaller id do not count before that).
    expect(byFeature[1]).toMatchObject({ rate_a_match: 0.25, asymmetry: 1, mean_b: 1, why: 'as in A' });
    expect(rows.map((r) => r.feature)).toEqual([2, 1, 0]);
    expect(diffRows(counts, matches, { minRate: 0.3, threshold: 0.3 }).rows).toEqual([]);
    // A match under the threshold is no counterpart either: B1 (score 0.7) under 0.75 ties B2 as unmatched, and its larger mean wins.
    expect(diffRows(counts, matches, { minRate: 0, threshold: 0.75 }).rows.map((r) => [r.feature, r.why])).toEqual([
      [1, 'no counterpart'],
      [2, 'no counterpart'],
      [0, 'less than in A'],
    ]);
    expect(diffSentence(rows, { labelA: 'std', labelB: 'adhd', condition: 'ids:12,13', rate: 0.2, threshold: 0.3, nCondition: 4 })).toBe(
      '1 feature of adhd fires at ids:12,13 (rate ≥ 0.2) and std has no counterpart (match < 0.3): #2. The strongest, #2, fires 1.0× more in adhd (rate 0.250 vs 0.000 for no match), over 4 condition tokens.',
    );
    expect(diffSentence(rows, { labelA: 'std', labelB: 'adhd', condition: 'ids:12,13', rate: 0.3, threshold: 0.3, nCondition: 4 })).toBe('No feature of adhd fires at ids:12,13 at rate ≥ 0.3, over 4 condition tokens.');
    expect(diffSentence(rows.filter((r) => r.feature !== 2), { labelA: 'std', labelB: 'adhd', condition: 'ids:12,13', rate: 0.2, threshold: 0.5, nCondition: 4 })).toMatch(/^No feature of adhd .* the largest asymmetry is #1 \(1\.0×\), matched to #0 \(score 0\.70\)/);
  });

  it('embedding agreement is 1 for identical embeddings and near 0 for unrelated ones', () => {
    const w = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i * 1.3));
    expect(embeddingAgreement(w, w, 10, 4)).toBeCloseTo(1, 12);
    const v = Float32Array.from({ length: 40 }, (_, i) => ((i % 4) - 1.5) * (i % 2 ? 1 : -1));
    expect(Math.abs(embeddingAgreement(w, v, 10, 4))).toBeLessThan(0.5);
  });
});

describe('laying an outside diff next to ours', () => {
  it('ranks with ties averaged, and Spearman from hand-computed ranks', async () => {
    const { averageRanks, spearman } = await import('./artifactOverlay');
    expect(averageRanks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
    // Ranks x: 1 2 3 4 5, y: 2 1 4 3 5 -> d^2 = 1+1+1+1+0 = 4, rho = 1 - 6*4/(5*24) = 0.8.
    expect(spearman([1, 2, 3, 4, 5], [20, 10, 40, 30, 50])).toBeCloseTo(0.8, 12);
    expect(spearman([1, 2], [1, 2])).toBeNull();
  });

  it('finds feature tables whatever their keys, guesses id and value columns, and overlays rankings', async () => {
    const { findRecordTables, overlayRankings, tableRows } = await import('./artifactOverlay');
    const seed = { meta: { layer: 2 }, results: { step_onset: [{ latent: 2504, fold_change: 2000.5, n: 3 }, { latent: 7, fold_change: 3.2, n: 1 }, { latent: 9, fold_change: 40, n: 2 }] }, by_id: { '2504': { asym: 1 }, '12': { asym: 2 } } };
    const tables = findRecordTables(seed);
    expect(tables.map((t) => [t.path.join('.'), t.guessedId, t.guessedValue])).toEqual([
      ['results.step_onset', 'latent', 'fold_change'],
      ['by_id', 'feature', 'asym'],
    ]);
    const rows = tableRows(seed, tables[0]);
    const theirs = rows.map((r) => ({ feature: r.latent as number, value: r.fold_change as number }));
    const o = overlayRankings(
      [
        { feature: 2504, value: 900 },
        { feature: 9, value: 50 },
        { feature: 7, value: 1 },
        { feature: 11, value: 30 },
      ],
      theirs,
      2,
    );
    expect(o).toEqual({ ours: 4, theirs: 3, shared: 3, topN: 2, topOverlap: 2, spearman: 1, onlyOurs: [], onlyTheirs: [] });
    expect(overlayRankings([{ feature: 11, value: 5 }], theirs, 1)).toMatchObject({ shared: 0, onlyOurs: [11], onlyTheirs: [2504], spearman: null });
  });
});

/** Issue 17: the demo's ground_truth.json failed with only "No table of feature records found". */
describe('an artifact with no table of feature records', () => {
  it('says what was looked for, what the file holds key by key, and the single features it names', async () => {
    const { explainNoTable, findRecordTables } = await import('./artifactOverlay');
    const { OVERLAY_ACCEPTS } = await import('../../preload/api');
    const truth = { version: 1, seed: 7, hookName: 'blocks.2.hook_resid_post', neuron: 3, direction: [0.5, -0.25, 0.125], adhdSaePlantedFeature: 255, figures: { a: 1, b: 2 }, notes: [{ only: 'one' }] };
    expect(findRecordTables(truth)).toEqual([]);
    const err = explainNoTable(truth, 'ground_truth.json');
    expect(err.code).toBe('ARTIFACT_NO_TABLE');
    expect(err.message).toBe(
      'ground_truth.json has no table of feature records (no list of 2 or more objects, and no object keyed by feature ids, down to 4 levels). It holds an object with 8 keys: version (integer 1), seed (integer 7), hookName (text), neuron (integer 3), direction (list of 3 numbers), adhdSaePlantedFeature (integer 255), figures (object with 2 keys), notes (list of 1 object).',
    );
    expect(OVERLAY_ACCEPTS).toMatch(/integer feature id \(feature, feature_id, latent/);
    expect(err.hint).toBe(`It names single features (adhdSaePlantedFeature = 255): facts to check, not a ranking to lay next to the diff; find them in the diff's table or open them on the Features page. The overlay reads ${OVERLAY_ACCEPTS}, e.g. the seed's feature_diff.json.`);
    const list = explainNoTable([1, 2, 'x'], 'values.json');
    expect(list.message).toContain('It holds list of 3 mixed values.');
    expect(list.hint).toBe(`The overlay reads ${OVERLAY_ACCEPTS}, e.g. the seed's feature_diff.json.`);
  });
});
