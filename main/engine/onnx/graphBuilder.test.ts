import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './graphBuilder';

async function run(g: GraphBuilder, feeds: Record<string, ort.Tensor>) {
  const s = await ort.InferenceSession.create(g.toBytes(), { logSeverityLevel: 3, executionProviders: ['cpu'] });
  return s.run(feeds);
}

describe('GraphBuilder', () => {
  it('TopK + ScatterElements + Where build a sparse row', async () => {
    const g = new GraphBuilder('sparse');
    const x = g.input('x', 'float32', ['n', 5]);
    const [v, i] = g.topK(x, g.ints([2]));
    const dense = g.scatterElements(g.constantOfShape(g.shape(x)), i, g.relu(v), 1);
    g.output(dense, 'dense', 'float32', ['n', 5]);
    g.output(g.where(g.greater(x, g.scalar(0)), x, g.scalar(-1)), 'clipped', 'float32', ['n', 5]);
    const out = await run(g, { x: new ort.Tensor('float32', Float32Array.of(0.5, -3, 2, -1, -0.5), [1, 5]) });
    expect(Array.from(out.dense.data as Float32Array)).toEqual([0.5, 0, 2, 0, 0]);
    expect(Array.from(out.clipped.data as Float32Array)).toEqual([0.5, -1, 2, -1, -1]);
  });

  it('LayerNormalization, Reshape, Transpose, Gather with int64 inputs', async () => {
    const g = new GraphBuilder('misc');
    const idx = g.input('idx', 'int64', [2]);
    const table = g.initializerF32(Float32Array.of(1, 2, 3, 10, 20, 30, 5, 5, 5), [3, 3]);
    const rows = g.gather(table, idx);
    const ln = g.layerNorm(rows, g.initializerF32(Float32Array.of(1, 1, 1), [3]), g.initializerF32(Float32Array.of(0, 0, 0), [3]), 0);
    g.output(g.transpose(g.reshape(ln, g.ints([2, 3])), [1, 0]), 'y', 'float32', [3, 2]);
    const out = await run(g, { idx: new ort.Tensor('int64', BigInt64Array.of(1n, 0n), [2]) });
    const s = Math.sqrt(1.5);
    const y = Array.from(out.y.data as Float32Array);
    [-s, -s, 0, 0, s, s].forEach((e, k) => expect(y[k]).toBeCloseTo(e, 5));
  });

  it('refuses duplicate output names and empty graphs', () => {
    const g = new GraphBuilder('dup');
    const x = g.input('x', 'float32', [1]);
    expect(() => g.toBytes()).toThrow(/no outputs/);
    g.output(x, 'y', 'float32', [1]);
    expect(() => g.output(x, 'y', 'float32', [1])).toThrow(/"y" is used twice/);
  });
});
