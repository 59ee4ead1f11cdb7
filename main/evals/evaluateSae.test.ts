import { describe, expect, it } from 'vitest';
import { randomSae, randomTransformer, seededRandom } from '../engine/randomWeights';
import { referenceForward } from '../engine/reference/modelReference';
import { referenceSae } from '../engine/reference/saeReference';
import type { TokenWindow } from '../datasets/tokenWindows';
import type { SaeWeights } from '../formats/sae';
import { asyncErrorOf } from '../testing/workbenchErrors';
import { evaluateSaes } from './evaluateSae';

const model = randomTransformer({ nLayers: 2, dModel: 16, nHeads: 2, dVocab: 40, nCtx: 12, seed: 5 });
const hook = 'blocks.1.hook_resid_post';
const rand = seededRandom(8);
const toks = (n: number, bos: boolean) => [...(bos ? [0] : []), ...Array.from({ length: n }, () => 1 + Math.floor(rand() * 39))];
// Two documents' first windows (BOS at position 0) and one later window (no BOS).
const windows: TokenWindow[] = [
  { document: 0, start: 0, tokens: toks(9, true) },
  { document: 1, start: 0, tokens: toks(11, true) },
  { document: 1, start: 12, tokens: toks(7, false) },
];

function logSoftmax(logits: Float64Array, row: number, v: number): Float64Array {
  const r = logits.subarray(row * v, (row + 1) * v);
  const m = Math.max(...r);
  const lse = m + Math.log(r.reduce((a, x) => a + Math.exp(x - m), 0));
  return r.map((x) => x - lse);
}

/** Every metric straight from the float64 model and SAE references. */
function expected(sae: SaeWeights) {
  const d = 16;
  const v = 40;
  let resid = 0;
  let sumSq = 0;
  const sum = new Float64Array(d);
  let n = 0;
  let nonzero = 0;
  let l2 = 0;
  const fired = new Set<number>();
  const ce = { clean: [] as number[], sae: [] as number[], zero: [] as number[] };
  const kl = { sae: [] as number[], zero: [] as number[] };
  for (const w of windows) {
    const ref = referenceForward(model, w.tokens);
    const acts = ref.hooks.get(hook)!;
    const rec = referenceSae(sae, acts, w.tokens.length);
    const spliced = Float64Array.from(rec.saeOut);
    // Position 0 of every window is left out (BOS, or a continuation window's first token) and keeps its activation.
    spliced.set(acts.subarray(0, d), 0);
    const sLogits = referenceForward(model, [], { hook, activation: spliced }).logits;
    const zLogits = referenceForward(model, [], { hook, activation: new Float64Array(acts.length) }).logits;
    for (let p = 0; p < w.tokens.length; p++) {
      if (p === 0) continue;
      let xx = 0;
      let hh = 0;
      for (let i = 0; i < d; i++) {
        const x = acts[p * d + i];
        const h = rec.saeOut[p * d + i];
        resid += (x - h) ** 2;
        xx += x * x;
        hh += h * h;
        sum[i] += x;
      }
      sumSq += xx;
      l2 += Math.sqrt(hh) / Math.sqrt(xx);
      for (let j = 0; j < sae.config.dSae; j++) {
        if (rec.featureActs[p * sae.config.dSae + j] > 0) {
          nonzero++;
          fired.add(j);
        }
      }
      n++;
      const lc = logSoftmax(ref.logits, p, v);
      const ls = logSoftmax(sLogits, p, v);
      const lz = logSoftmax(zLogits, p, v);
      kl.sae.push(lc.reduce((a, x, t) => a + Math.exp(x) * (x - ls[t]), 0));
      kl.zero.push(lc.reduce((a, x, t) => a + Math.exp(x) * (x - lz[t]), 0));
      if (p < w.tokens.length - 1) {
        const next = w.tokens[p + 1];
        ce.clean.push(-lc[next]);
        ce.sae.push(-ls[next]);
        ce.zero.push(-lz[next]);
      }
    }
  }
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  const meanSq = sum.reduce((a, s) => a + s * s, 0) / n;
  const c = { clean: mean(ce.clean), sae: mean(ce.sae), zero: mean(ce.zero) };
  const k = { sae: mean(kl.sae), zero: mean(kl.zero) };
  return {
    tokens: n,
    fve: 1 - resid / (sumSq - meanSq),
    l0: nonzero / n,
    l2_ratio: l2 / n,
    dead_pct: (100 * (sae.config.dSae - fired.size)) / sae.config.dSae,
    ce_clean: c.clean,
    ce_with_sae: c.sae,
    ce_zero_ablation: c.zero,
    ce_loss_score: (c.zero - c.sae) / (c.zero - c.clean),
    kl_with_sae: k.sae,
    kl_zero_ablation: k.zero,
    kl_score: (k.zero - k.sae) / k.zero,
  };
}

describe('evaluateSaes', () => {
  it('computes every metric as the float64 references do (BOS and continuation-window first tokens excluded, SAE spliced elsewhere)', async () => {
    const topk = randomSae({ dIn: 16, dSae: 48, k: 5, hookName: hook, rescaleActsByDecoderNorm: true, seed: 3 });
    const jump = randomSae({ dIn: 16, dSae: 48, architecture: 'jumprelu', hookName: hook, seed: 4 });
    const results = await evaluateSaes(model, [topk, jump], { windows, bos: true }, { device: 'cpu', chunkWindows: 2 });
    for (const [i, sae] of [topk, jump].entries()) {
      const want = expected(sae);
      const got = results[i].metrics;
      expect(got.tokens).toBe(want.tokens);
      expect(got.tokens).toBe(9 + 11 + 6); // 10 and 12 tokens minus their BOS, and the continuation window's 7 minus its first
      for (const key of ['fve', 'l0', 'l2_ratio', 'dead_pct', 'ce_clean', 'ce_with_sae', 'ce_zero_ablation', 'ce_loss_score', 'kl_with_sae', 'kl_zero_ablation', 'kl_score'] as const) {
        expect(Math.abs(got[key] - want[key]), `${sae.config.architecture} ${key}: ${got[key]} vs ${want[key]}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(want[key])));
      }
      // Not trivially perfect or trivially broken.
      expect(got.kl_with_sae).toBeGreaterThan(1e-4);
      expect(got.kl_zero_ablation).toBeGreaterThan(got.kl_with_sae);
    }
  });

  it('refuses an SAE whose width does not match the hook, naming both', async () => {
    const wide = randomSae({ dIn: 32, dSae: 64, hookName: hook });
    const err = await asyncErrorOf(() => evaluateSaes(model, [wide], { windows, bos: true }, { device: 'cpu' }));
    expect(err.code).toBe('SAE_HOOK_WIDTH');
    expect(err.message).toContain('d_in 32');
    expect(err.message).toContain('16 wide');
  });
});
