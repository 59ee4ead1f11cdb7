import * as ort from 'onnxruntime-node';
import { createSessionWithFallback, type DeviceChoice, type ExecutionProvider } from '../main/engine/executionProviders';
import { GraphBuilder } from '../main/engine/onnx/graphBuilder';
import { randomTensor, seededRandom } from '../main/engine/randomWeights';
import { time, type Timing } from './timing';

/**
 * A plain ORT MatMul [m, k] @ [k, n] (weight as initializer): the ceiling. The product goes to a
 * preallocated output, or with `reduced` through a ReduceMax so only [m] values leave ORT (the
 * kernel plus one read pass, for graphs whose own outputs are small).
 */
export async function matmulBaseline(m: number, k: number, n: number, device: DeviceChoice, reps = 7, reduced = false): Promise<{ timing: Timing; flop: number; ep: ExecutionProvider }> {
  const g = new GraphBuilder('matmul');
  const x = g.input('x', 'float32', [m, k]);
  const rand = seededRandom(99);
  const product = g.matmul(x, g.initializerF32(randomTensor(rand, [k, n], 0.05).data, [k, n]));
  if (reduced) g.output(g.op('ReduceMax', [product], { axes: { ints: [-1] }, keepdims: { int: 0 } })[0], 'y', 'float32', [m]);
  else g.output(product, 'y', 'float32', [m, n]);
  const { session, report } = await createSessionWithFallback(g.toBytes(), device);
  const feed = { x: new ort.Tensor('float32', randomTensor(rand, [m, k], 1).data, [m, k]) };
  const y = reduced ? new ort.Tensor('float32', new Float32Array(m), [m]) : new ort.Tensor('float32', new Float32Array(m * n), [m, n]);
  const timing = await time(() => session.run(feed, { y }), { reps });
  await session.release();
  return { timing, flop: 2 * m * k * n, ep: report.running };
}
