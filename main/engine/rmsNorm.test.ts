import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './onnx/graphBuilder';
import { rmsNormGraph, rmsNormRows } from './rmsNorm';
import * as ort from 'onnxruntime-node';

// x = [3, 4]: mean(x^2) = 12.5; eps 0.5 gives 1/sqrt(13) = 0.27735...; no mean is subtracted.
const x = [3, 4];
const w = [2, -1];
const expected = [3 * 2 / Math.sqrt(13), (4 * -1) / Math.sqrt(13)];

describe('RMSNorm (Llama)', () => {
  it('float64 reference matches the hand-computed example', () => {
    const y = rmsNormRows(x, 1, w, 0.5);
    expect(y[0]).toBeCloseTo(expected[0], 14);
    expect(y[1]).toBeCloseTo(expected[1], 14);
    // A constant row keeps its sign and size relation: [5, 5] with w 1 -> 5/sqrt(25 + 0) = 1 each.
    expect(Array.from(rmsNormRows([5, 5, -2, 2], 2, [1, 1], 0))).toEqual([1, 1, -1, 1]);
  });

  it('the ONNX graph gives the same', async () => {
    const g = new GraphBuilder('rms');
    const input = g.input('x', 'float32', [1, 2]);
    g.output(rmsNormGraph(g, input, g.initializerF32(Float32Array.from(w), [2], 'w'), 0.5), 'y', 'float32', [1, 2]);
    const session = await ort.InferenceSession.create(g.toBytes(), { logSeverityLevel: 3, executionProviders: ['cpu'] });
    const y = (await session.run({ x: new ort.Tensor('float32', Float32Array.from(x), [1, 2]) })).y.data as Float32Array;
    expect(y[0]).toBeCloseTo(expected[0], 6);
    expect(y[1]).toBeCloseTo(expected[1], 6);
  });
});
