import * as ort from 'onnxruntime-node';
import { createSessionWithFallback, type DeviceChoice, type ExecutionProvider } from '../main/engine/executionProviders';
import { GraphBuilder } from '../main/engine/onnx/graphBuilder';
import { randomTensor, seededRandom } from '../main/engine/randomWeights';
import { gflops, medianMs } from './timing';

/** A plain ORT MatMul [m, k] @ [k, n] (weight as initializer): the ceiling the graphs are held to. */
export async function matmulBaseline(m: number, k: number, n: number, device: DeviceChoice): Promise<{ ms: number; gflops: number; ep: ExecutionProvider }> {
  const g = new GraphBuilder('matmul');
  const x = g.input('x', 'float32', [m, k]);
  const rand = seededRandom(99);
  g.output(g.matmul(x, g.initializerF32(randomTensor(rand, [k, n], 0.05).data, [k, n])), 'y', 'float32', [m, n]);
  const { session, report } = await createSessionWithFallback(g.toBytes(), device);
  const feed = { x: new ort.Tensor('float32', randomTensor(rand, [m, k], 1).data, [m, k]) };
  const ms = await medianMs(async () => {
    const r = await session.run(feed);
    for (const t of Object.values(r)) t.dispose?.();
  }, { reps: 7 });
  await session.release();
  return { ms, gflops: gflops(2 * m * k * n, ms), ep: report.running };
}
