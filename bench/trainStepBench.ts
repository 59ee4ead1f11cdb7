import * as ort from 'onnxruntime-node';
import { createSessionWithFallback, type DeviceChoice } from '../main/engine/executionProviders';
import { GraphBuilder } from '../main/engine/onnx/graphBuilder';
import { randomTensor, seededRandom } from '../main/engine/randomWeights';
import { freshTrainState, PARAM_NAMES, paramShape, type SaeTrainState } from '../main/train/saeParams';
import { SaeStepRunner, type StepSpec } from '../main/train/stepRunner';
import { fmt, time, timeInterleaved, type Timing } from './timing';

/** The floor: one dense encoder forward X @ W_enc + TopK on the same batch, as its own graph. */
async function encoderFloor(n: number, dIn: number, dSae: number, k: number, device: DeviceChoice): Promise<{ run: () => Promise<unknown>; release: () => Promise<void> }> {
  const g = new GraphBuilder('encoder-floor');
  const x = g.input('x', 'float32', [n, dIn]);
  const w = g.input('w', 'float32', [dSae, dIn]);
  const b = g.input('b', 'float32', [dSae]);
  const [v, i] = g.topK(g.gemm(x, w, b, true), g.ints([k]));
  g.output(v, 'v', 'float32', [n, k]);
  g.output(i, 'i', 'int64', [n, k]);
  const { session } = await createSessionWithFallback(g.toBytes(), device);
  const rand = seededRandom(7);
  const feeds = {
    x: new ort.Tensor('float32', randomTensor(rand, [n, dIn], 1).data, [n, dIn]),
    w: new ort.Tensor('float32', randomTensor(rand, [dSae, dIn], 0.05).data, [dSae, dIn]),
    b: new ort.Tensor('float32', new Float32Array(dSae), [dSae]),
  };
  return { run: () => session.run(feeds), release: () => session.release() };
}

/** What binding every parameter and moment to a run costs (a graph that only reads b_dec). */
async function bindingCost(state: SaeTrainState, s: { dIn: number; dSae: number }, device: DeviceChoice): Promise<{ timing: Timing; mb: number }> {
  const g = new GraphBuilder('binding');
  const feeds: Record<string, ort.Tensor> = {};
  let bytes = 0;
  for (const p of PARAM_NAMES) {
    for (const [part, data] of [['p', state.params[p]], ['m', state.m[p]], ['v', state.v[p]]] as const) {
      const name = `${part}_${p}`;
      g.input(name, 'float32', paramShape(p, s));
      feeds[name] = new ort.Tensor('float32', data, paramShape(p, s));
      bytes += data.byteLength;
    }
  }
  g.output(g.op('ReduceSum', ['p_b_dec'], { keepdims: { int: 0 } })[0], 'y', 'float32', []);
  const { session } = await createSessionWithFallback(g.toBytes(), device);
  const timing = await time(() => session.run(feeds), { reps: 10 });
  await session.release();
  return { timing, mb: bytes / 2 ** 20 };
}

/**
 * (t) The SAE train step at d_in 512, d_sae 4096, k 40, batch 4096 tokens: sparse step (with and
 * without AuxK) as a multiple of the dense encoder forward, and the dense formulation of the same
 * step as a multiple of the sparse one.
 */
export async function trainStepBench(device: DeviceChoice, n = 4096, dIn = 512, dSae = 4096, k = 40, reps = 5): Promise<string[]> {
  const shape = { dIn, dSae };
  const state = freshTrainState(shape, 1);
  const x = randomTensor(seededRandom(2), [n, dIn], 1).data;
  const spec = (formulation: 'sparse' | 'dense'): StepSpec => ({ dIn, dSae, k, activation: 'topk', batchSize: n, formulation, beta1: 0.9, beta2: 0.999, clipNorm: 1 });
  const floorGraph = await encoderFloor(n, dIn, dSae, k, device);
  const sparse = await SaeStepRunner.create(spec('sparse'), state, device);
  const dense = await SaeStepRunner.create(spec('dense'), state, device);
  let t = 1;
  const opts = (dead: number[]) => ({ lr: 1e-4, t: t++, dead, auxCoefficient: 1 });
  const dead = Array.from({ length: Math.round(dSae * 0.02) }, (_, i) => i * 50);
  // Interleaved, so a shared machine's load falls on all of them alike.
  const [floor, sparseT, sparseAuxT, denseT] = await timeInterleaved([floorGraph.run, () => sparse.step(x, opts([])), () => sparse.step(x, opts(dead)), () => dense.step(x, opts([]))], { reps });
  await Promise.all([floorGraph.release(), sparse.release(), dense.release()]);
  const binding = await bindingCost(state, shape, device);
  const f = floor.best;
  return [
    `(t) SAE train step, TopK d_in ${dIn} -> d_sae ${dSae}, k ${k}, batch ${n} tokens on ${sparse.report.running}:`,
    `    floor: dense encoder forward X@W_enc + TopK: ${fmt(floor)}`,
    `    sparse step (forward, backward, clip, Adam): ${fmt(sparseT)} -> ${(sparseT.best / f).toFixed(2)}x the floor (target <= 3.5x)`,
    `    sparse step with AuxK over ${dead.length} dead latents (2%): ${fmt(sparseAuxT)} -> ${(sparseAuxT.best / f).toFixed(2)}x the floor`,
    `    dense formulation of the same step: ${fmt(denseT)} -> sparse is ${(denseT.best / sparseT.best).toFixed(2)}x faster (target >= 1.4x)`,
    `    binding all parameters and Adam moments (${binding.mb.toFixed(0)} MB, zero-copy) to a run: ${binding.timing.best.toFixed(2)} ms best (${((binding.timing.best / sparseT.best) * 100).toFixed(3)}% of a step)`,
  ];
}
