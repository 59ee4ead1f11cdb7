import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { THREADS_ENV } from '../engine/executionProviders';
import { relativeError } from '../engine/testing';
import { SeededRandom } from '../random/seededRandom';
import { referenceError, referenceLoss, referenceStep, to64, type ReferenceSpec, type Tensors64 } from './reference/trainStepReference';
import { freshTrainState, PARAM_NAMES, type SaeTrainState } from './saeParams';
import { ADAM_EPS, SaeStepRunner, type StepSpec } from './stepRunner';
import type { SaeActivation } from './trainStepGraph';

const dIn = 8;
const dSae = 24;
const B = 16;
const runners: SaeStepRunner[] = [];
afterAll(async () => {
  for (const r of runners) await r.release();
});

function spec(activation: SaeActivation, k: number, extra: Partial<StepSpec> = {}): StepSpec {
  return { dIn, dSae, k, activation, batchSize: B, formulation: 'sparse', beta1: 0.9, beta2: 0.999, clipNorm: 1, ...extra };
}

function refSpec(s: StepSpec): ReferenceSpec {
  return { dIn: s.dIn, dSae: s.dSae, k: s.k, activation: s.activation, beta1: s.beta1, beta2: s.beta2, eps: ADAM_EPS, clipNorm: s.clipNorm };
}

/** An SAE a few steps into training: init plus noise everywhere, nonzero biases and moments. */
function trainedState(seed: number): SaeTrainState {
  const st = freshTrainState({ dIn, dSae }, seed);
  const rng = new SeededRandom(seed + 1);
  for (const n of PARAM_NAMES) {
    st.params[n] = st.params[n].map((v) => v + rng.normal() * 0.05);
    st.m[n] = st.m[n].map(() => rng.normal() * 1e-3);
    st.v[n] = st.v[n].map(() => Math.abs(rng.normal()) * 1e-5);
  }
  return st;
}

function batch(seed: number, scale = 1): Float32Array {
  const rng = new SeededRandom(seed);
  return Float32Array.from({ length: B * dIn }, () => (rng.normal() + 0.3) * scale);
}

async function runner(s: StepSpec, state: SaeTrainState): Promise<SaeStepRunner> {
  const r = await SaeStepRunner.create(s, state, 'cpu');
  runners.push(r);
  return r;
}

/** Central differences of the float64 loss, one parameter element at a time. */
function finiteDifferences(s: ReferenceSpec, p: Tensors64, x: Float32Array, dead: number[], coef: number, which: 'mse' | 'total'): Tensors64 {
  const h = 1e-5;
  const detached = referenceError(s, p, x, B);
  const loss = (q: Tensors64) => {
    const l = referenceLoss(s, q, x, B, dead, coef, detached);
    return which === 'mse' ? l.mse : l.mse + l.aux;
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

describe('train step graph: gradients', () => {
  it('matches float64 central differences for the MSE term', async () => {
    const s = spec('topk', 3, { exposeGradients: true });
    const state = trainedState(11);
    const x = batch(12);
    const r = await runner(s, state);
    const res = await r.step(x, { lr: 1e-3, t: 1, dead: [], auxCoefficient: 1 });
    const fd = finiteDifferences(refSpec(s), to64(state.params), x, [], 1, 'mse');
    for (const n of PARAM_NAMES) {
      expect(relativeError(res.gradients![n], fd[n]), n).toBeLessThan(2e-4);
      expect(Math.max(...fd[n].map(Math.abs)), `${n} gradient is not trivially zero`).toBeGreaterThan(1e-4);
    }
    expect(res.stats.aux).toBe(0);
  });

  it('matches float64 central differences with the AuxK term over dead latents', async () => {
    const s = spec('topk', 3, { exposeGradients: true });
    const state = trainedState(21);
    const x = batch(22);
    // Eleven "dead" latents (more than k_aux = d_in / 2 = 4, so the top-k_aux choice matters).
    const dead = [0, 2, 3, 5, 7, 11, 13, 17, 19, 20, 23];
    const r = await runner(s, state);
    const res = await r.step(x, { lr: 1e-3, t: 1, dead, auxCoefficient: 0.5 });
    const p = to64(state.params);
    const fd = finiteDifferences(refSpec(s), p, x, dead, 0.5, 'total');
    const fdMse = finiteDifferences(refSpec(s), p, x, dead, 0.5, 'mse');
    for (const n of PARAM_NAMES) {
      expect(relativeError(res.gradients![n], fd[n]), n).toBeLessThan(2e-4);
    }
    // The AuxK term really contributes (so the check above covers it, not just the MSE).
    expect(relativeError(fd.W_dec, fdMse.W_dec)).toBeGreaterThan(1e-2);
    expect(relativeError(fd.W_encT, fdMse.W_encT)).toBeGreaterThan(1e-2);
    const ref = referenceLoss(refSpec(s), p, x, B, dead, 0.5);
    expect(res.stats.aux).toBeCloseTo(ref.aux, 5);
    expect(res.stats.mse).toBeCloseTo(ref.mse, 5);
  });
});

describe('train step graph: one whole update vs the float64 reference', () => {
  const cases: { name: string; activation: SaeActivation; k: number; scale: number; dead: number[] }[] = [
    { name: 'TopK, clipping engaged, AuxK on', activation: 'topk', k: 3, scale: 4, dead: [1, 4, 9, 16, 22] },
    { name: 'TopK, gradient norm under 1, no dead latents', activation: 'topk', k: 4, scale: 0.05, dead: [] },
    { name: 'BatchTopK, AuxK on', activation: 'batchtopk', k: 2, scale: 1, dead: [0, 6, 12] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const s = spec(c.activation, c.k);
      let state = trainedState(31);
      const r = await runner(s, state);
      // Two steps: the second checks Adam's bias corrections at t = 2 and the moments carried over.
      for (const t of [1, 2]) {
        const x = batch(40 + t, c.scale);
        const ref = referenceStep(refSpec(s), state, x, B, { lr: 3e-3, t, dead: c.dead, auxCoefficient: 1 });
        const res = await r.step(x, { lr: 3e-3, t, dead: c.dead, auxCoefficient: 1 });
        expect(res.finite).toBe(true);
        expect(res.stats.capped_tokens).toBe(0);
        expect(res.stats.grad_norm).toBeCloseTo(ref.gradNorm, 4);
        if (c.scale > 1) expect(ref.gradNorm).toBeGreaterThan(1);
        if (c.scale < 1) expect(ref.gradNorm).toBeLessThan(1);
        expect(res.stats.mse).toBeCloseTo(ref.mse, 5);
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
  }

  it('the dense formulation gives the same update as the sparse one', async () => {
    const state = trainedState(51);
    const x = batch(52);
    const dead = [2, 3, 19];
    const sparse = await runner(spec('topk', 3), state);
    const dense = await runner(spec('topk', 3, { formulation: 'dense' }), state);
    const a = await sparse.step(x, { lr: 1e-3, t: 1, dead, auxCoefficient: 1 });
    const b = await dense.step(x, { lr: 1e-3, t: 1, dead, auxCoefficient: 1 });
    expect(b.stats.mse).toBeCloseTo(a.stats.mse, 6);
    expect(Array.from(b.fireCounts)).toEqual(Array.from(a.fireCounts));
    for (const n of PARAM_NAMES) expect(relativeError(dense.state().params[n], sparse.state().params[n]), n).toBeLessThan(1e-6);
  });

  it('a step whose loss is not finite leaves the state unchanged', async () => {
    const state = trainedState(61);
    const r = await runner(spec('topk', 3), state);
    const x = batch(62);
    x[5] = Number.POSITIVE_INFINITY;
    const res = await r.step(x, { lr: 1e-3, t: 1, dead: [], auxCoefficient: 1 });
    expect(res.finite).toBe(false);
    for (const n of PARAM_NAMES) expect(Array.from(r.state().params[n])).toEqual(Array.from(state.params[n]));
  });

  it('repeats bit for bit on every run and every intra-op thread count (TopK and BatchTopK, with AuxK)', async () => {
    // Big enough that ORT spreads the gradient's index rows over threads: ScatterND "add" raced
    // there, and the step-1 gradient norm of one batch changed from run to run.
    const big = { dIn: 64, dSae: 256, batchSize: 1024 };
    const rng = new SeededRandom(71);
    const x = Float32Array.from({ length: big.batchSize * big.dIn }, () => rng.normal() + 0.3);
    const dead = Array.from({ length: 40 }, (_, i) => i * 6);
    /** Digest of two steps from a fresh state (the second with AuxK): stats, fire counts, state. */
    const twoSteps = async (activation: SaeActivation, threads: number) => {
      process.env[THREADS_ENV] = String(threads);
      const r = await runner(spec(activation, 8, big), freshTrainState({ dIn: big.dIn, dSae: big.dSae }, 72));
      delete process.env[THREADS_ENV];
      const h = createHash('sha256');
      for (const t of [1, 2]) {
        const res = await r.step(x, { lr: 1e-3, t, dead: t === 2 ? dead : [], auxCoefficient: 1 });
        h.update(Float64Array.from(Object.values(res.stats))).update(res.fireCounts);
      }
      const st = r.state();
      for (const part of [st.params, st.m, st.v]) for (const n of PARAM_NAMES) h.update(part[n]);
      return h.digest('hex');
    };
    for (const activation of ['topk', 'batchtopk'] as const) {
      const digests = [];
      for (const threads of [1, 2, 2, 3]) digests.push(await twoSteps(activation, threads));
      expect(new Set(digests).size, `${activation}: ${digests.join(' ')}`).toBe(1);
    }
  });
});
