import * as ort from 'onnxruntime-node';
import { createSessionWithFallback, type DeviceChoice, type ExecutionProvider } from '../main/engine/executionProviders';
import { GraphBuilder } from '../main/engine/onnx/graphBuilder';
import { randomTensor, seededRandom } from '../main/engine/randomWeights';
import { time, type Timing } from './timing';

/**
 * A plain ORT MatMul [m, k] @ [k, n] (weight as initializer) writing into a preallocated output,
 * so the time is the kernel's and not the copy of a large result into JS: the ceiling.
 */
export async function matmulBaseline(m: number, k: number, n: number, device: DeviceChoice, reps = 7): Promise<{ timing: Timing; flop: number; ep: ExecutionProvider }> {
  const g = new GraphBuilder('matmul');
  const x = g.input('x', 'float32', [m, k]);
  const rand = seededRandom(99);
  g.output(g.matmul(x, g.initializerF32(randomTensor(rand, [k, n], 0.05).data, [k, n])), 'y', 'float32', [m, n]);
  const { session, report } = await createSessionWithFallback(g.toBytes(), device);
  const feed = { x: new ort.Tensor('float32', randomTensor(rand, [m, k], 1).data, [m, k]) };
  const y = new ort.Tensor('float32', new Float32Array(m * n), [m, n]);
  const timing = await time(() => session.run(feed, { y }), { reps });
  await session.release();
  return { timing, flop: 2 * m * k * n, ep: report.running };
}
