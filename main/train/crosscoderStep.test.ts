import { afterAll, describe, expect, it } from 'vitest';
import { relativeError } from '../engine/testing';
import { SeededRandom } from '../random/seededRandom';
import { crosscoderReferenceError, crosscoderReferenceLoss, crosscoderReferenceStep, type CrosscoderReferenceSpec } from './reference/crosscoderStepReference';
import { to64, type Tensors64 } from './reference/trainStepReference';
import { freshTrainState, PARAM_NAMES, type SaeTrainState } from './saeParams';
import { ADAM_EPS, SaeStepRunner, type StepSpec } from './stepRunner';

// The crosscoder step is the SAE train-step graph with `crosscoderModels: 2` over [x_A | x_B]:
// these tests hold it to a float64 reference written per model from the definitions.
const d = 4;
const dSae = 24;
const B = 16;
const runners: SaeStepRunner[] = [];
afterAll(async () => {
  for (const r of runners) await r.release();
});

function spec(k: number, extra: Partial<StepSpec> = {}): StepSpec {
  return { dIn: 2 * d, dSae, k, activation: 'batchtopk', batchSize: B, formulation: 'sparse', beta1: 0.9, beta2: 0.999, clipNorm: 1, crosscoderModels: 2, ...extra };
}

function refSpec(s: StepSpec): CrosscoderReferenceSpec {
  return { dIn: d, dSae: s.dSae, k: s.k, beta1: s.beta1, beta2: s.beta2, eps: ADAM_EPS, clipNorm: s.clipNorm };
}

function trainedState(seed: number): SaeTrainState {
  const st = freshTrainState({ dIn: 2 * d, dSae }, seed);
  const rng = new SeededRandom(seed + 1);
  for (const n of PARAM_NAMES) {
    st.params[n] = st.params[n].map((v) => v + rng.normal() * 0.05);
    st.m[n] = st.m[n].map(() => rng.normal() * 1e-3);
    st.v[n] = st.v[n].map(() => Math.abs(rng.normal()) * 1e-5);
  }
  // Model B's decoders twice as long: the selection norm must be the SUM of the two.
  for (let j = 0; j < dSae; j++) for (let i = 0; i < d; i++) st.params.W_dec[j * 2 * d + d + i] *= 2;
  return st;
}

function batch(seed: number, scale = 1): Float32Array {
  const rng = new SeededRandom(seed);
  return Float32Array.from({ length: B * 2 * d }, () => (rng.normal() + 0.3) * scale);
}

async function runner(s: StepSpec, state: SaeTrainState): Promise<SaeStepRunner> {
  const r = await SaeStepRunner.create(s, state, 'cpu');
  runners.push(r);
  return r;
}

function finiteDifferences(s: CrosscoderReferenceSpec, p: Tensors64, x: Float32Array, dead: number[], coef: number): Tensors64 {
  const h = 1e-5;
  const detached = crosscoderReferenceError(s, p, x, B);
  const loss = (q: Tensors64) => {
    const l = crosscoderReferenceLoss(s, q, x, B, dead, coef, detached);
    return l.mse[0] + l.mse[1] + l.aux;
  };
  const out = {} as Tensors64;
  for (const n of PARAM_NAMES) {
    out[n] = new Float64Array(p[n].length);
    for (let i = 0; i < p[n].length; i++) {
      const keep = p[n][i];
      p[n][i] = keep + h;
      const up = loss(p);
      p[n][i] = keep - h;
      const down = loss(p);
      p[n][i] = keep;
      out[n][i] = (up - down) / (2 * h);
    }
  }
  return out;
}

describe('crosscoder train step: gradients', () => {
  for (const c of [
    { name: 'the sum of both models\' MSE', dead: [] as number[], coef: 1 },
    { name: 'with AuxK over dead latents', dead: [0, 2, 3, 5, 7, 11, 13, 17, 19, 20, 23], coef: 0.5 },
  ]) {
    it(`match float64 central differences: ${c.name}`, async () => {
      const s = spec(2, { exposeGradients: true });
      const state = trainedState(11);
      const x = batch(12);
      const r = await runner(s, state);
      const res = await r.step(x, { lr: 1e-3, t: 1, dead: c.dead, auxCoefficient: c.coef });
      expect(res.stats.capped_tokens).toBe(0);
      const p = to64(state.params);
      const fd = finiteDifferences(refSpec(s), p, x, c.dead, c.coef);
      for (const n of PARAM_NAMES) {
        expect(relativeError(res.gradients![n], fd[n]), n).toBeLessThan(2e-4);
        expect(Math.max(...fd[n].map(Math.abs)), `${n} gradient is not trivially zero`).toBeGreaterThan(1e-4);
      }
      const ref = crosscoderReferenceLoss(refSpec(s), p, x, B, c.dead, c.coef);
      expect(res.stats.aux).toBeCloseTo(ref.aux, 5);
      if (c.dead.length) expect(ref.aux).toBeGreaterThan(0);
      // Per model: model_stats' sse / B is that model's MSE.
      expect(res.modelStats![0] / B).toBeCloseTo(ref.mse[0], 5);
      expect(res.modelStats![2] / B).toBeCloseTo(ref.mse[1], 5);
      expect(ref.mse[0]).not.toBeCloseTo(ref.mse[1], 2);
    });
  }
});

describe('crosscoder train step: whole updates vs the float64 reference', () => {
  it('two steps (Adam t = 1, 2), clipping engaged, AuxK on; the BatchTopK minimum is the k-th selected value', async () => {
    const s = spec(2);
    let state = trainedState(31);
    const r = await runner(s, state);
    const dead = [1, 4, 9, 16, 22];
    for (const t of [1, 2]) {
      const x = batch(40 + t, 3);
      const ref = crosscoderReferenceStep(refSpec(s), state, x, B, { lr: 3e-3, t, dead, auxCoefficient: 1 });
      const res = await r.step(x, { lr: 3e-3, t, dead, auxCoefficient: 1 });
      expect(res.finite).toBe(true);
      expect(res.stats.capped_tokens).toBe(0);
      expect(ref.gradNorm).toBeGreaterThan(1);
      expect(res.stats.grad_norm).toBeCloseTo(ref.gradNorm, 4);
      expect(relativeError([res.stats.mse], [ref.loss.mse[0] + ref.loss.mse[1]])).toBeLessThan(1e-6);
      expect(res.stats.l0_sum).toBe(ref.loss.selected.reduce((a, sel) => a + sel.length, 0));
      expect(relativeError([res.stats.min_positive_act], [ref.minSelected])).toBeLessThan(1e-5);
      const got = r.state();
      for (const n of PARAM_NAMES) {
        expect(relativeError(got.params[n], ref.params[n]), `params ${n} t=${t}`).toBeLessThan(1e-5);
        expect(relativeError(got.m[n], ref.m[n]), `m ${n}`).toBeLessThan(1e-5);
        expect(relativeError(got.v[n], ref.v[n]), `v ${n}`).toBeLessThan(1e-4);
      }
      state = {
        params: Object.fromEntries(PARAM_NAMES.map((n) => [n, Float32Array.from(got.params[n])])) as SaeTrainState['params'],
        m: Object.fromEntries(PARAM_NAMES.map((n) => [n, Float32Array.from(got.m[n])])) as SaeTrainState['m'],
        v: Object.fromEntries(PARAM_NAMES.map((n) => [n, Float32Array.from(got.v[n])])) as SaeTrainState['v'],
      };
    }
  });

  it('the dense formulation gives the same update as the sparse one', async () => {
    const state = trainedState(51);
    const x = batch(52);
    const dead = [2, 3, 19];
    const sparse = await runner(spec(2), state);
    const dense = await runner(spec(2, { formulation: 'dense' }), state);
    const a = await sparse.step(x, { lr: 1e-3, t: 1, dead, auxCoefficient: 1 });
    const b = await dense.step(x, { lr: 1e-3, t: 1, dead, auxCoefficient: 1 });
    expect(b.stats.mse).toBeCloseTo(a.stats.mse, 6);
    expect(Array.from(b.modelStats!)).toEqual(Array.from(a.modelStats!).map((v, i) => expect.closeTo(v, i % 2 ? 4 : 5) as unknown as number));
    expect(Array.from(b.fireCounts)).toEqual(Array.from(a.fireCounts));
    for (const n of PARAM_NAMES) expect(relativeError(dense.state().params[n], sparse.state().params[n]), n).toBeLessThan(1e-6);
  });
});
