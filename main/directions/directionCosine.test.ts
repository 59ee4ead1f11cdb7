import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeBF16, encodeF16 } from '../formats/halfFloat';
import { writeSafetensors } from '../formats/safetensors';
import { loadSae } from '../formats/saeLoader';
import { randomSaeTensors, v6TopkCfg, writeSaeDir } from '../formats/testing/saeFixture';
import { sharedDemoBundle } from '../testing/sharedDemoBundle';
import { makeTempDir } from '../testing/tempDirs';
import { decoderDirection, directionCosine, fileDirection, type Direction } from './directionCosine';

const tmp = makeTempDir('direction-cosine');
afterAll(() => tmp.cleanup());

const dir = (description: string, values: number[]): Direction => ({ description, values: Float64Array.from(values) });

describe('directionCosine (float64, defined once)', () => {
  it('gives the hand-computed values', () => {
    // (1,2,2)·(2,1,-2) = 2 + 2 - 4 = 0: orthogonal.
    expect(directionCosine(dir('a', [1, 2, 2]), dir('b', [2, 1, -2])).cosine).toBe(0);
    // (3,4)·(4,3) = 24; |a| = |b| = 5: 24/25.
    const r = directionCosine(dir('a', [3, 4]), dir('b', [4, 3]));
    expect(r.cosine).toBe(0.96);
    expect(r.a).toEqual({ description: 'a', dIn: 2, norm: 5 });
    // (1,1,0)·(1,0,0) = 1; |a| = sqrt 2: 1/sqrt 2.
    expect(directionCosine(dir('a', [1, 1, 0]), dir('b', [1, 0, 0])).cosine).toBe(1 / Math.sqrt(2));
    // Scale does not matter; opposite directions give exactly -1 (clamped against rounding).
    expect(directionCosine(dir('a', [0.1, 0.2, 0.3]), dir('b', [-3, -6, -9])).cosine).toBe(-1);
    expect(directionCosine(dir('a', [0.1, 0.7, 0.3]), dir('b', [1, 7, 3])).cosine).toBeCloseTo(1, 15);
  });

  it('accumulates in float64: a float32 sum would lose the small component', () => {
    // a = (1, 1e-4, ...): in float32, 1 + 1e-8 rounds to 1 and the cosine with e1 would read exactly 1.
    const a = [1, ...new Array(99).fill(1e-4)];
    const expected = 1 / Math.sqrt(1 + 99 * 1e-8);
    const c = directionCosine(dir('a', a), dir('e1', [1, ...new Array(99).fill(0)])).cosine;
    expect(c).toBeCloseTo(expected, 13);
    expect(c).toBeLessThan(1);
  });

  it('refuses directions of different d_in, zero directions and non-finite values, naming them', () => {
    expect(() => directionCosine(dir('W_dec[3] of A', [1, 2, 3]), dir('v in x.safetensors', [1, 2]))).toThrow(
      expect.objectContaining({ code: 'DIRECTION_SIZE_MISMATCH', message: 'W_dec[3] of A has 3 values (d_in 3) but v in x.safetensors has 2: they live in different spaces, so they have no cosine.' }),
    );
    expect(() => directionCosine(dir('a', [0, 0]), dir('b', [1, 0]))).toThrow(expect.objectContaining({ code: 'DIRECTION_ZERO', message: expect.stringContaining('a is all zeros') }));
    expect(() => directionCosine(dir('a', [1, NaN]), dir('b', [1, 0]))).toThrow(expect.objectContaining({ code: 'DIRECTION_NONFINITE', message: 'a holds NaN at entry 1.' }));
  });
});

describe('decoder rows and vectors from files', () => {
  it("reads W_dec[f] alone, equal to the loaded SAE's row, for float32, float16 and bfloat16 weights", () => {
    const tensors = randomSaeTensors(8, 12, 5);
    const f32 = writeSaeDir(path.join(tmp.dir, 'f32'), v6TopkCfg(8, 12, 2), tensors);
    const row = decoderDirection(f32, 7);
    const sae = loadSae(f32);
    expect(Array.from(row.values)).toEqual(Array.from(sae.W_dec.data.subarray(7 * 8, 8 * 8)));
    expect(row.description).toBe('W_dec[7] of f32');
    const dec = tensors.W_dec.data as Float32Array;
    for (const [name, dtype, encode] of [['f16', 'F16', encodeF16], ['bf16', 'BF16', encodeBF16]] as const) {
      const d = writeSaeDir(path.join(tmp.dir, name), v6TopkCfg(8, 12, 2), { ...tensors, W_dec: { dtype, shape: [12, 8], data: encode(dec) } });
      expect(Array.from(decoderDirection(d, 7).values)).toEqual(Array.from(loadSae(d).W_dec.data.subarray(56, 64)));
    }
    expect(() => decoderDirection(f32, 12)).toThrow(expect.objectContaining({ code: 'FEATURE_OUT_OF_RANGE', message: 'Feature 12 does not exist in the SAE f32: it has d_sae 12 (ids 0-11).' }));
  });

  it('finds the 1-D tensor of a file, or the one named, and says what a file holds when it does not fit', () => {
    const one = path.join(tmp.dir, 'one.safetensors');
    writeSafetensors(one, { direction: { dtype: 'F32', shape: [3], data: Float32Array.from([1, 2, 2]) }, W: { dtype: 'F32', shape: [2, 3], data: new Float32Array(6) } });
    expect(fileDirection(one, undefined, 3)).toMatchObject({ description: 'direction in one.safetensors', values: Float64Array.from([1, 2, 2]) });
    const two = path.join(tmp.dir, 'two.safetensors');
    writeSafetensors(two, { a: { dtype: 'F64', shape: [3], data: Float64Array.from([0.1, 0.2, 0.3]) }, b: { dtype: 'F32', shape: [4], data: new Float32Array(4) }, c: { dtype: 'F32', shape: [4], data: new Float32Array(4) } });
    // Only one of the 1-D tensors has d_in values; float64 values come back exactly.
    expect(Array.from(fileDirection(two, undefined, 3).values)).toEqual([0.1, 0.2, 0.3]);
    expect(() => fileDirection(two, undefined, 4)).toThrow(/holds several 1-D tensors \(a \[3\], b \[4\], c \[4\]\): name the one to use/);
    expect(() => fileDirection(one, 'W', 3)).toThrow(expect.objectContaining({ code: 'DIRECTION_SHAPE', message: expect.stringContaining('W in') }));
    expect(() => fileDirection(one, 'nope', 3)).toThrow(/has no tensor "nope" \(it has W \[2, 3\], direction \[3\]\)/);
    const fifo = path.join(tmp.dir, 'v.safetensors.fifo');
    execFileSync('mkfifo', [fifo]);
    expect(() => fileDirection(fifo, undefined, 3)).toThrow(expect.objectContaining({ code: 'NOT_A_FILE' }));
  });

  it("finds the demo's planted direction in the adhd SAE's feature 255 (cosine 1) and nowhere in standard's", () => {
    const demo = sharedDemoBundle();
    const planted = fileDirection(demo.plantedDirection, 'direction', 64);
    expect(directionCosine(decoderDirection(demo.saes.adhd, 255), planted).cosine).toBeCloseTo(1, 6);
    expect(Math.abs(directionCosine(decoderDirection(demo.saes.standard, 255), planted).cosine)).toBeLessThan(0.5);
    // The same feature across the two models' SAEs: token features are shared, the planted one is not.
    expect(directionCosine(decoderDirection(demo.saes.adhd, 3), decoderDirection(demo.saes.standard, 3)).cosine).toBeGreaterThan(0.9);
    expect(fs.existsSync(demo.plantedDirection)).toBe(true);
  });
});
