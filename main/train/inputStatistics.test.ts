import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../random/seededRandom';
import { expectedAverageScale, geometricMedian, initialDecoderBias, inputScaleFor, meanRow, scaleRowsInPlace } from './inputStatistics';

describe('input statistics', () => {
  it('the expected_average_only_in scale makes the mean row norm sqrt(d_in)', () => {
    // Rows of norm 3 and 5 (mean 4) in 4 dimensions: s = sqrt(4) / 4.
    const rows = Float32Array.from([3, 0, 0, 0, 0, 0, 4, 3]);
    expect(expectedAverageScale(rows, 4)).toBeCloseTo(0.5, 12);
    expect(inputScaleFor('none', rows, 4)).toBe(1);
    const rng = new SeededRandom(3);
    const big = Float32Array.from({ length: 500 * 16 }, () => 50 + rng.normal() * 20);
    const s = expectedAverageScale(big, 16);
    scaleRowsInPlace(big, s);
    let sum = 0;
    for (let r = 0; r < 500; r++) sum += Math.hypot(...big.subarray(r * 16, (r + 1) * 16));
    expect(sum / 500).toBeCloseTo(4, 4);
    // All-zero rows leave the inputs alone instead of dividing by zero.
    expect(expectedAverageScale(new Float32Array(8), 4)).toBe(1);
  });

  it('the geometric median: the ordinary median on a line, the Fermat point of a triangle, unmoved by an outlier', () => {
    // Collinear points: the geometric median is the 1-D median (2), the mean is 21.2.
    const line = Float32Array.from([0, 0, 1, 0, 2, 0, 3, 0, 100, 0]);
    expect(meanRow(line, 2)[0]).toBeCloseTo(21.2, 10);
    const gm = geometricMedian(line, 2);
    expect(gm[0]).toBeCloseTo(2, 4);
    expect(gm[1]).toBeCloseTo(0, 10);
    // An equilateral triangle: the Fermat point is its centre.
    const tri = Float32Array.from([0, 1, Math.sqrt(3) / 2, -0.5, -Math.sqrt(3) / 2, -0.5]);
    const c = geometricMedian(tri, 2);
    expect(Math.hypot(c[0], c[1])).toBeLessThan(1e-5);
    // A cloud around (5, 5) and one far outlier: the median stays with the cloud.
    const rng = new SeededRandom(8);
    const cloud = Float32Array.from({ length: 201 * 2 }, (_, i) => (i < 400 ? 5 + rng.normal() * 0.1 : 1e4));
    expect(meanRow(cloud, 2)[0]).toBeGreaterThan(50);
    const m = geometricMedian(cloud, 2);
    expect(Math.abs(m[0] - 5)).toBeLessThan(0.05);
    expect(Math.abs(m[1] - 5)).toBeLessThan(0.05);
  });

  it('b_dec starts at zeros, the mean or the geometric median of the rows', () => {
    const rows = Float32Array.from([0, 0, 1, 0, 2, 0, 3, 0, 100, 0]);
    expect(Array.from(initialDecoderBias('zeros', rows, 2))).toEqual([0, 0]);
    expect(initialDecoderBias('mean', rows, 2)[0]).toBeCloseTo(21.2, 5);
    expect(initialDecoderBias('geometric_median', rows, 2)[0]).toBeCloseTo(2, 4);
  });
});
