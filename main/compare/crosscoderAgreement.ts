/**
 * Do the crosscoder and the SAE-based condition diff agree? Both look at the same condition
 * positions of the same documents (the crosscoder's index and the diff's B index share a corpus):
 *  - each crosscoder latent's rate at the condition and elsewhere (as the diff defines rates);
 *  - for the latents that fire at the condition (top by rate) and every B-leaning latent that
 *    fires there at all: the SAE-B feature that co-fires with it most at the condition (Jaccard
 *    over condition positions; among near-ties, within 10 % of the best, the one whose decoder
 *    points most along what the latent adds in B, s_B W_dec^B[j] - s_A W_dec^A[j], or for a latent
 *    that adds little, along what it writes in B: features that fire on the same tokens tie on
 *    co-firing), and that feature's row in the diff;
 *  - the crosscoder calls a latent B-specific when Δnorm > the shared band's top; the diff calls
 *    its SAE feature B-specific when it fires at least twice as often in B as its A counterpart
 *    (asymmetry >= 2);
 *  - agreement per row: both, crosscoder only, diff only, neither.
 */
import type { Db } from '../db/connection';
import { loadCrosscoder } from '../formats/crosscoder';
import { loadSae } from '../formats/saeLoader';
import { WorkbenchError } from '../errors';
import type { CompiledCondition } from '../conditions/tokenCondition';
import { compileCondition } from '../conditions/tokenCondition';
import { SavedConditions } from '../conditions/savedConditions';
import type { CrosscoderIndexFacts } from '../index/buildIndex';
import { FeatureIndexReader } from '../index/indexReader';
import { IndexRegistry } from '../index/indexRegistry';
import type { CrosscoderAgreement, CrosscoderAgreementRow, CrosscoderBands, DiffResult } from '../../preload/api';
import { alignedDocuments, requireSameCorpus, type AlignedDocument } from './alignedPositions';
import { categoryOf, deltaNorm } from './crosscoderAnalysis';

/** A diff's SAE feature counts as B-specific from this asymmetry on. */
export const DIFF_SAYS_B_ASYMMETRY = 2;
/** Rows: at most this many latents by rate at the condition (plus B-leaning ones that fire there). */
const TOP_LATENTS = 20;

/** cos(v, W[f]) for W [*, v.length] row-major. */
function cosineWithRow(v: Float64Array, W: Float32Array, f: number): number {
  let dot = 0;
  let vv = 0;
  let ww = 0;
  for (let i = 0; i < v.length; i++) {
    const w = W[f * v.length + i];
    dot += v[i] * w;
    vv += v[i] * v[i];
    ww += w * w;
  }
  return vv > 0 && ww > 0 ? dot / Math.sqrt(vv * ww) : 0;
}

function masks(doc: AlignedDocument, tokensOf: (d: number) => Int32Array, vocab: readonly string[], condition: CompiledCondition, bos: boolean): Uint8Array | boolean[] {
  const ids = tokensOf(doc.document).subarray(0, doc.length);
  return condition.mask({ ids, texts: Array.from(ids, (t) => vocab[t] ?? ''), bos });
}

export function crosscoderAgreement(home: string, db: Db, crosscoderIndex: string, diff: DiffResult, bands: CrosscoderBands): CrosscoderAgreement {
  const registry = new IndexRegistry(db);
  const rc = registry.require(crosscoderIndex);
  const rb = registry.require(diff.b.id);
  for (const r of [rc, rb]) if (r.state !== 'ready') throw new WorkbenchError('INDEX_NOT_READY', `The index ${r.id} is ${r.state}.`, 'Wait for its build to finish.');
  requireSameCorpus(rb, rc);
  const condition = compileCondition(diff.condition, new SavedConditions(db).resolve);
  const sae = new FeatureIndexReader(home, rb);
  const cc = new FeatureIndexReader(home, rc);
  try {
    const facts = cc.store.optionalMeta<CrosscoderIndexFacts>('crosscoder');
    if (!facts) throw new WorkbenchError('NOT_A_CROSSCODER_INDEX', `The index ${rc.id} is not a crosscoder's index (${rc.labels.sae}).`, 'Choose the index of a crosscoder (built from its folder on the Compare page\'s Crosscoder tab).');
    const corpus = sae.corpus;
    const tokensOf = (d: number) => corpus.tokens(d) ?? new Int32Array(0);
    const vocab = corpus.vocab();
    const bos = sae.store.meta<boolean>('bos');
    const dC = rc.dSae;
    const dS = rb.dSae;
    // Pass 1: every latent's firings at the condition and elsewhere.
    let nCond = 0;
    let nOther = 0;
    const atCond = new Float64Array(dC);
    const elsewhere = new Float64Array(dC);
    const saeAtCond = new Float64Array(dS);
    for (const doc of alignedDocuments(sae, cc)) {
      const mask = masks(doc, tokensOf, vocab, condition, bos);
      for (let p = bos ? 1 : 0; p < doc.length; p++) {
        const { a, b } = doc;
        if (mask[p]) {
          nCond++;
          for (let j = b.offsets[p]; j < b.offsets[p + 1]; j++) atCond[b.ids[j]]++;
          for (let i = a.offsets[p]; i < a.offsets[p + 1]; i++) saeAtCond[a.ids[i]]++;
        } else {
          nOther++;
          for (let j = b.offsets[p]; j < b.offsets[p + 1]; j++) elsewhere[b.ids[j]]++;
        }
      }
    }
    const dn = facts.normA.map((na, j) => deltaNorm(na, facts.normB[j]));
    const leansB = (j: number) => dn[j] > bands.sharedMax;
    const firing = Array.from({ length: dC }, (_, j) => j).filter((j) => atCond[j] > 0);
    const byRate = [...firing].sort((x, y) => atCond[y] - atCond[x] || x - y);
    const chosen = [...new Set([...byRate.slice(0, TOP_LATENTS), ...byRate.filter(leansB)])];
    const slot = new Map(chosen.map((j, i) => [j, i]));
    // Pass 2: co-firing of the chosen latents with every SAE-B feature at the condition.
    const co = new Float64Array(chosen.length * dS);
    for (const doc of alignedDocuments(sae, cc)) {
      const mask = masks(doc, tokensOf, vocab, condition, bos);
      for (let p = bos ? 1 : 0; p < doc.length; p++) {
        if (!mask[p]) continue;
        const { a, b } = doc;
        for (let j = b.offsets[p]; j < b.offsets[p + 1]; j++) {
          const s = slot.get(b.ids[j]);
          if (s === undefined) continue;
          for (let i = a.offsets[p]; i < a.offsets[p + 1]; i++) co[s * dS + a.ids[i]]++;
        }
      }
    }
    const diffRow = new Map(diff.features.map((r) => [r.feature, r]));
    const saeWeights = loadSae(rb.saePath);
    const saeDecoder = saeWeights.W_dec.data;
    const weights = loadCrosscoder(rc.saePath);
    const { dIn: d, normScaleA, normScaleB } = weights.config;
    if (saeWeights.config.dIn !== d) throw new WorkbenchError('SAE_MODEL_MISMATCH', `The SAE of index ${rb.id} reads ${saeWeights.config.dIn}-wide activations; the crosscoder ${d}.`, 'Compare a crosscoder with SAEs of the same models.');
    /**
     * The direction an SAE-B feature should share with latent j: what j adds in B
     * (s_B W_dec^B[j] - s_A W_dec^A[j]) when that is at least half of what it writes in B, else what
     * it writes in B (a shared latent); null when it writes nothing.
     */
    const addedInB = (j: number): Float64Array | null => {
      const inB = Float64Array.from({ length: d }, (_, i) => normScaleB * weights.W_dec.data[(dC + j) * d + i]);
      const added = inB.map((v, i) => v - normScaleA * weights.W_dec.data[j * d + i]);
      const norm = (v: Float64Array) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));
      if (norm(inB) === 0) return null;
      return norm(added) >= 0.5 * norm(inB) ? added : inB;
    };
    const rows: CrosscoderAgreementRow[] = chosen.map((j, s) => {
      const jac = new Float64Array(dS);
      let top = 0;
      for (let f = 0; f < dS; f++) {
        const c = co[s * dS + f];
        if (c > 0) jac[f] = c / (atCond[j] + saeAtCond[f] - c);
        top = Math.max(top, jac[f]);
      }
      let best = -1;
      let bestScore = -Infinity;
      const added = addedInB(j);
      for (let f = 0; f < dS && top > 0; f++) {
        if (jac[f] < 0.9 * top) continue;
        const score = added ? cosineWithRow(added, saeDecoder, f) : -f;
        if (score > bestScore) {
          bestScore = score;
          best = f;
        }
      }
      const bestJ = best >= 0 ? jac[best] : 0;
      const row = best >= 0 ? (diffRow.get(best) ?? null) : null;
      const ccSays = leansB(j);
      const diffSays = row !== null && row.asymmetry >= DIFF_SAYS_B_ASYMMETRY;
      return {
        latent: j,
        delta_norm: Number.isNaN(dn[j]) ? null : dn[j],
        category: Number.isNaN(dn[j]) ? 'other' : categoryOf(dn[j], bands),
        rate_at_condition: nCond > 0 ? atCond[j] / nCond : 0,
        rate_elsewhere: nOther > 0 ? elsewhere[j] / nOther : 0,
        sae_feature: best >= 0 ? best : null,
        jaccard: best >= 0 ? bestJ : null,
        sae_rate_b: row?.rate_b ?? (best >= 0 && nCond > 0 ? saeAtCond[best] / nCond : null),
        sae_asymmetry: row?.asymmetry ?? null,
        sae_why: row?.why ?? null,
        crosscoder_says_b: ccSays,
        diff_says_b: diffSays,
        agreement: ccSays && diffSays ? 'both' : ccSays ? 'crosscoder only' : diffSays ? 'diff only' : 'neither',
      };
    });
    const agree = rows.filter((r) => r.agreement === 'both' || r.agreement === 'neither').length;
    const both = rows.filter((r) => r.agreement === 'both').length;
    const sentence =
      rows.length === 0
        ? `No crosscoder latent fires at ${diff.condition}.`
        : `At ${diff.condition} (${nCond} tokens), the two methods agree on ${agree} of ${rows.length} crosscoder latents: ${both} are B-specific by both (Δnorm > ${bands.sharedMax} and their SAE feature's asymmetry >= ${DIFF_SAYS_B_ASYMMETRY}), ${rows.filter((r) => r.agreement === 'crosscoder only').length} by the crosscoder only, ${rows.filter((r) => r.agreement === 'diff only').length} by the diff only.`;
    return { crosscoderIndex: rc.id, saeIndex: rb.id, condition: diff.condition, n_condition_tokens: nCond, bands, rows, agree, sentence };
  } finally {
    sae.close();
    cc.close();
  }
}
