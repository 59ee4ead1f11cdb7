import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './onnx/graphBuilder';
import { rotateHeadInPlace, rotaryOf, rotaryTables, RotaryGraph } from './rotary';
import { randomTransformer } from './randomWeights';

/**
 * Hand-computed: d_head 4, rotary dims 4, base 10000, so inv_freq = [1, 10000^(-1/2)] = [1, 0.01].
 * rotate_half pairs dims (0, 2) at frequency 1 and (1, 3) at 0.01. At position 1, x = [1, 2, 3, 4]:
 *   x0' = 1 cos 1 - 3 sin 1,        x2' = 3 cos 1 + 1 sin 1,
 *   x1' = 2 cos .01 - 4 sin .01,    x3' = 4 cos .01 + 2 sin .01.
 * GPT-J's interleaved layout would pair (0, 1) and (2, 3) and give other numbers.
 */
const POS1 = [-1.9841106485555495, 1.959900667496664, 2.4623779024123156, 4.019799668334994];
const FULL = { dims: 4, base: 10000 };

async function rotateInGraph(x: number[], shape: number[], dims: number, dHead: number): Promise<Float32Array> {
  const g = new GraphBuilder('rotary');
  const input = g.input('x', 'float32', ['batch', 'seq', shape[2], dHead]);
  const rotary = new RotaryGraph(g, { dims, base: 10000 }, dHead, 8, g.shape(input, 1, 2));
  g.output(rotary.apply(input), 'y', 'float32', ['batch', 'seq', shape[2], dHead]);
  const s = await ort.InferenceSession.create(g.toBytes(), { logSeverityLevel: 3, executionProviders: ['cpu'] });
  const out = await s.run({ x: new ort.Tensor('float32', Float32Array.from(x), shape) });
  return out.y.data as Float32Array;
}

describe('rotary position embeddings (GPT-NeoX rotate_half)', () => {
  it('reference rotation matches the hand-computed example and leaves position 0 alone', () => {
    const tables = rotaryTables(FULL, 2);
    const x = Float64Array.of(1, 2, 3, 4, 1, 2, 3, 4);
    rotateHeadInPlace(x, 0, 0, FULL, tables);
    rotateHeadInPlace(x, 4, 1, FULL, tables);
    expect(Array.from(x.subarray(0, 4))).toEqual([1, 2, 3, 4]);
    x.subarray(4).forEach((v, i) => expect(v).toBeCloseTo(POS1[i], 14));
  });

  it('graph rotation: positions are the sequence index; dims past rotary.dims pass through', async () => {
    // [batch 1, seq 2, heads 1, d_head 4], the same vector at positions 0 and 1.
    const y = await rotateInGraph([1, 2, 3, 4, 1, 2, 3, 4], [1, 2, 1, 4], 4, 4);
    expect(Array.from(y.subarray(0, 4))).toEqual([1, 2, 3, 4]);
    y.subarray(4).forEach((v, i) => expect(v).toBeCloseTo(POS1[i], 5));

    // d_head 6 with rotary dims 4: dims 4, 5 unchanged; the rest as above.
    const z = await rotateInGraph([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6], [1, 2, 1, 6], 4, 6);
    expect(Array.from(z.subarray(0, 6))).toEqual([1, 2, 3, 4, 5, 6]);
    [...POS1, 5, 6].forEach((e, i) => expect(z[6 + i]).toBeCloseTo(e, 5));
  });

  it('rejects rotary settings that cannot fit the head', () => {
    const m = randomTransformer({ dModel: 16, nHeads: 2, positional: 'rotary' });
    expect(rotaryOf(m.config)).toEqual({ dims: 4, base: 10000 });
    expect(() => rotaryOf({ ...m.config, rotary: { dims: 3, base: 10000 } })).toThrow(/even rotary\.dims in 2\.\.8/);
    expect(() => rotaryOf({ ...m.config, rotary: { dims: 10, base: 10000 } })).toThrow(/even rotary\.dims/);
    expect(() => rotaryOf({ ...m.config, rotary: undefined })).toThrow(/got null/);
  });
});
